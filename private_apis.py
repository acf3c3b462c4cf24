"""Every private Streamlit and Plotly API the app uses, in this one module (issue 24). Each is here because no
public API does the job; ``tests/test_private_apis.py`` fails on a private use anywhere else, and loudly, naming
what moved, when an upgrade changes one of these. Streamlit and Plotly are imported inside the functions: ``viz``
imports this module without loading Streamlit, and the worker process imports ``server`` without either.

Plotly:

- :func:`unchecked_figure` / :data:`UNCHECKED`: ``go.Figure(spec)`` checks every property of every trace against
  Plotly's schema. For a figure rebuilt from the dict of a figure Plotly already validated (a restyle, the figure
  opened on its last frame, a grid's layout) that costs about ten times the building, on every page run. Plotly
  has no public way to skip it (plotly/plotly.py#1812 asks for one); its constructor's private ``_validate``
  keyword does.

Streamlit:

- :func:`in_server`: ``Runtime.instance()`` tells a real ``streamlit run`` from AppTest's stand-in runtime (the
  worker pool and the warm-up start only in a real server). No public "am I served" exists.
- :func:`send_prepared_figures_as_they_are`: ``st.plotly_chart`` validates and encodes its figure on every run
  (``plotly.tools.return_figure_from_figure_or_data`` with ``validate_figure=True``, then ``plotly.io.to_json``),
  even a cached figure that has not changed: 3–25 ms a chart, a fifth of a cached rerun of the PCA vs t-SNE page,
  and a dict would be validated too. No public API takes a figure's JSON as it is, so those two Plotly functions
  are wrapped, process-wide, to answer from a prepared figure's text (``viz.prepared``, ``viz.wire``) and pass
  everything else to Plotly's own.
- :func:`script_yield`: ``get_script_run_ctx`` says whether a script run is on this thread; touching
  ``st.session_state`` is the point where Streamlit raises its stop/rerun request, which a script blocked on a
  worker's answer otherwise never reaches (so a change could not cancel a long job).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import plotly.graph_objects as go

#: The constructor keyword that skips validation, for ``go.Figure`` subclasses (``super().__init__(..., **UNCHECKED)``).
UNCHECKED = {"_validate": False}


def unchecked_figure(spec: dict | None = None, **parts) -> go.Figure:
    """``go.Figure(spec)`` (or ``go.Figure(layout=...)`` …) without validation: for specs made from valid figures."""
    import plotly.graph_objects as go

    return go.Figure(spec, **parts, **UNCHECKED)



def in_server() -> bool:
    """True in a real ``streamlit run`` (AppTest runs pages with a stand-in Runtime, and nothing listens)."""
    from streamlit.runtime import Runtime

    return Runtime.exists() and type(Runtime.instance()) is Runtime


def script_yield() -> None:
    """A point where Streamlit may stop the calling script: raises its stop (or rerun) exception if the visitor
    has moved on (changed a control, left the page); else, and outside a script run, does nothing.

    Streamlit checks for such requests whenever a script draws or touches ``st.session_state``; a script
    blocked waiting for a worker does neither, so it asks here."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    if get_script_run_ctx(suppress_warning=True) is None:
        return
    import streamlit as st

    "_" in st.session_state  # noqa: B015  (the membership test is Streamlit's check for a stop request)


def send_prepared_figures_as_they_are() -> None:
    """Make the two Plotly calls ``st.plotly_chart`` makes answer from a prepared figure's JSON text (an object
    with a ``wire()`` method returning a ``viz.wire.WireSpec``: a dict with the layout's size and ``text``).
    Idempotent."""
    import json

    import plotly.io
    import plotly.tools

    if getattr(plotly.io.to_json, "sends_prepared_figures", False):
        return
    plotly_to_json, plotly_figure_or_data = plotly.io.to_json, plotly.tools.return_figure_from_figure_or_data

    def wire_of(fig):
        if isinstance(fig, dict) and isinstance(getattr(fig, "text", None), str):  # a WireSpec: Streamlit's dict
            return fig
        return fig.wire() if callable(getattr(type(fig), "wire", None)) else None

    def to_json(fig, validate=True, pretty=False, remove_uids=True, engine=None):
        wire = wire_of(fig)
        if wire is not None and not pretty and remove_uids and engine is None:
            return wire.text
        if wire is not None:  # another encoding asked of the text: decode it first
            fig = json.loads(wire.text)
        return plotly_to_json(fig, validate=validate, pretty=pretty, remove_uids=remove_uids, engine=engine)

    def figure_or_data(figure_or_data, validate_figure):
        wire = wire_of(figure_or_data)
        return wire if wire is not None else plotly_figure_or_data(figure_or_data, validate_figure)

    to_json.sends_prepared_figures = True
    plotly.io.to_json = to_json
    plotly.tools.return_figure_from_figure_or_data = figure_or_data
