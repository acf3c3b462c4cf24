"""``viz.subplots.subplots``: Plotly's ``make_subplots`` laid out once per arrangement, the same figures."""

import json

import numpy as np
import plotly.graph_objects as go
import pytest
import streamlit as st
from plotly.subplots import make_subplots

import viz.baseline_grid
import viz.batch_lab
import viz.calibration
import viz.embedding
import viz.line_fit
import viz.race
from tests.test_app_pages import PAGES, assert_clean, open_page
from viz.subplots import subplots

ARRANGEMENTS = [
    dict(rows=1, cols=3, column_widths=[0.36, 0.36, 0.28], horizontal_spacing=0.085, subplot_titles=("a", "b", "c")),
    dict(rows=2, cols=3, column_widths=[0.36, 0.34, 0.30], vertical_spacing=0.16, subplot_titles=list("abcdef")),
    dict(rows=2, cols=2, row_heights=[0.72, 0.28], shared_xaxes=True, vertical_spacing=0.05),
    dict(rows=1, cols=2, specs=[[{"type": "xy"}, {"type": "xy", "secondary_y": True}]]),
]


def drawn(make, kwargs):
    fig = make(**kwargs)
    fig.add_trace(go.Scatter(x=np.arange(3.0), y=np.arange(3.0), name="first"), row=1, col=1)
    fig.add_trace(go.Heatmap(z=np.eye(2)), row=kwargs["rows"], col=kwargs["cols"])
    fig.update_xaxes(type="log", row=1, col=2)
    fig.update_yaxes(title_text="loss", row=kwargs["rows"], col=1)
    fig.update_layout(title_text="T", margin={"l": 4}, xaxis_range=[0, 1])
    return fig


@pytest.mark.parametrize("kwargs", ARRANGEMENTS)
def test_a_figure_from_subplots_is_plotlys_make_subplots_figure(kwargs):
    assert subplots(**kwargs).to_dict() == make_subplots(**kwargs).to_dict()
    assert drawn(subplots, kwargs).to_dict() == drawn(make_subplots, kwargs).to_dict()
    # What the browser gets (keys may come in another order)
    assert json.loads(drawn(subplots, kwargs).to_json()) == json.loads(drawn(make_subplots, kwargs).to_json())


@pytest.mark.parametrize("template", ["plotly", "plotly_white", None])
def test_the_default_template_is_the_one_in_force_when_the_figure_is_made(template, monkeypatch):
    import plotly.io as pio

    for default in ("plotly_dark", template):  # a layout cached under another default must not keep it
        monkeypatch.setattr(pio.templates, "default", default)
        ours, plotlys = drawn(subplots, ARRANGEMENTS[1]), drawn(make_subplots, ARRANGEMENTS[1])
        assert json.loads(ours.to_json()) == json.loads(plotlys.to_json())


def test_titles_are_put_into_one_layout_per_arrangement():
    from viz.subplots import _laid_out

    before = _laid_out.cache_info().misses
    for score in (0.1, 0.25, 0.5):
        titles = [f"ECE {score:.3f}", "", f"Brier {score / 2:.4f}"]
        kwargs = dict(rows=2, cols=3, row_heights=[0.7, 0.3], subplot_titles=titles)
        assert subplots(**kwargs).to_dict() == make_subplots(**kwargs).to_dict()
    assert _laid_out.cache_info().misses - before == 1


def test_each_figure_is_its_own_copy():
    first = subplots(**ARRANGEMENTS[0])
    first.update_layout(title_text="changed", annotations=[])
    first.layout.xaxis.domain = [0, 0.1]
    assert subplots(**ARRANGEMENTS[0]).to_dict() == make_subplots(**ARRANGEMENTS[0]).to_dict()


@pytest.mark.parametrize("path", PAGES)
def test_every_page_draws_the_same_valid_charts_as_with_plotlys_make_subplots(path, monkeypatch):
    def charts():
        st.cache_resource.clear()
        st.cache_data.clear()
        at = open_page(path)
        assert_clean(at)
        return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]

    ours = charts()
    for module in (viz.baseline_grid, viz.batch_lab, viz.calibration, viz.embedding, viz.line_fit, viz.race):
        monkeypatch.setattr(module, "subplots", make_subplots)
    plotlys = charts()
    assert ours == plotlys
    for spec in ours:  # Plotly's validation of every property of the base figure (the frames only hold data)
        go.Figure({k: v for k, v in spec.items() if k != "frames"})
