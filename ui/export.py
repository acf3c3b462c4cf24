"""Downloads: the current animation as a standalone HTML file that plays offline, the numbers behind it as CSV,
and a Jupyter notebook that recomputes the view with ``core`` calls. Files are built only when a button is
pressed (Streamlit calls ``data`` then), so reruns stay cheap."""

from __future__ import annotations

from typing import Callable

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from ui.notebooks import notebook_file_name, notebook_for, notebook_refusal
from ui.uploads import csv_safe


def standalone_html(fig: go.Figure, title: str) -> str:
    """The figure as one HTML file with plotly.js inside: it opens and plays without a network."""
    return fig.to_html(include_plotlyjs=True, full_html=True, auto_play=False,
                       config={"displaylogo": False}, div_id="animation").replace(
        "<head>", f"<head><title>{title}</title>", 1)


def export_buttons(page: str, fig: go.Figure, title: str, tables: dict[str, Callable[[], pd.DataFrame]],
                   view=None) -> None:
    """A row of download buttons: the animation (HTML), each named table (CSV) and, given the page's ``view``,
    a notebook reproducing it (built-in data only: an uploaded file is not in the link)."""
    columns = st.columns(1 + len(tables) + (view is not None))
    columns[0].download_button("⬇️ Animation (HTML, plays offline)", data=lambda: standalone_html(fig, title),
                               file_name=f"{page}.html", mime="text/html", on_click="ignore", key=f"{page}.html",
                               help="One file with everything inside: open it in any browser, even offline.")
    for column, (label, make) in zip(columns[1:], tables.items()):
        name = label.lower().replace(" ", "-")
        column.download_button(f"⬇️ {label} (CSV)", data=lambda make=make: csv_safe(make()).to_csv(index=False),
                               file_name=f"{page}-{name}.csv", mime="text/csv", on_click="ignore",
                               key=f"{page}.{name}.csv")
    if view is not None:
        values, link = view.values(), view.share_link()
        if refusal := notebook_refusal(view.page, values):
            columns[-1].caption(f"📓 {refusal}")
        else:
            columns[-1].download_button(
                "⬇️ Notebook (.ipynb)", data=lambda: notebook_for(view.page, values, link),
                file_name=notebook_file_name(view.page), mime="application/x-ipynb+json", on_click="ignore",
                key=f"{page}.ipynb", help="A Jupyter notebook that recomputes this view with the app's own core "
                                          "functions, every setting filled in. It runs anywhere with numpy, scipy, "
                                          "scikit-learn, pandas and plotly: the app's code it uses is copied in.")
