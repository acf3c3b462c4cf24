"""The threshold figure's own slider: every step shows what ``core.thresholds`` says at its threshold, a step
turns the figure into the one built at that threshold, and the figure opens where the page's control says."""

import json
import re

import numpy as np
import plotly.graph_objects as go
import pytest

from core.thresholds import at_threshold, threshold_table
from tests.test_app_pages import assert_clean, open_page
from viz.calibration import (HEIGHT, METRICS, THRESHOLD_GRID, score_histogram, threshold_explorer,
                             threshold_grid, threshold_label)
from viz.restyle import restyle

PAGE = "pages/calibration.py"
CELL = re.compile(r"^([\d,]+)<br>(true negatives|false positives|false negatives|true positives)<br>([\d.]+)% of row$")


def scored(n=3000, seed=0, prevalence=0.1):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < prevalence).astype(int)
    scores = 1 / (1 + np.exp(-(rng.normal(size=n) + 2.5 * y - 2)))
    return y, scores


@pytest.fixture(scope="module")
def data():
    y, s = scored()
    table = threshold_table(y, s, probabilities=True)
    return table, score_histogram(s, y)


def steps(fig) -> list[dict]:
    return fig.to_dict()["layout"]["sliders"][0]["steps"]


def shown(layout_or_step: dict) -> tuple[dict, list[str]]:
    """The confusion-matrix cells {name: (count, share %)} and the metric values, from a layout's annotations
    or from a slider step's relayout."""
    if "annotations" in layout_or_step:
        texts = [a.get("text", "") for a in layout_or_step["annotations"]]
    else:
        texts = [v for k, v in layout_or_step.items() if k.startswith("annotations") and k.endswith(".text")]
    cells = {m.group(2): (int(m.group(1).replace(",", "")), float(m.group(3)))
             for m in map(CELL.match, texts) if m}
    values = next(t for t in texts if t.startswith("<b>value</b>")).split("<br>")[1:]
    return cells, values


def expected(table, t: float) -> tuple[dict, list[str]]:
    row = at_threshold(table, t)
    negatives, positives = max(row.tn + row.fp, 1), max(row.fn + row.tp, 1)
    cells = {"true negatives": (row.tn, round(100 * row.tn / negatives, 1)),
             "false positives": (row.fp, round(100 * row.fp / negatives, 1)),
             "false negatives": (row.fn, round(100 * row.fn / positives, 1)),
             "true positives": (row.tp, round(100 * row.tp / positives, 1))}
    values = ["—" if key == "precision" and row.tp + row.fp == 0 else f"{getattr(row, key):.3f}" for _, key in METRICS]
    return cells, values


def test_every_step_shows_the_numbers_core_computes_at_its_threshold(data):
    table, hist = data
    fig = threshold_explorer(table, hist, 0.5)
    all_steps = steps(fig)
    assert [s["label"] for s in all_steps] == [f"{g:.2f}" for g in THRESHOLD_GRID]
    for step in all_steps:
        assert step["method"] == "relayout"  # no frames: a frame that skips a trace could wipe it
        assert shown(step["args"][0]) == expected(table, float(step["label"])), step["label"]


def test_a_step_turns_the_figure_into_the_one_built_at_that_threshold(data):
    table, hist = data
    base = threshold_explorer(table, hist, 0.3)
    for k in (0, 12, 50, 77, 100):
        moved = go.Figure(base.to_dict())  # validated: each relayout key must name a real property
        moved.plotly_relayout(steps(base)[k]["args"][0])
        built = threshold_explorer(table, hist, float(THRESHOLD_GRID[k])).to_dict()["layout"]
        ours = moved.to_dict()["layout"]
        assert ours["shapes"] == built["shapes"] and ours["annotations"] == built["annotations"], k


@pytest.mark.parametrize("t, label, count", [(0.5, "0.50", 101), (0.0, "0.00", 101), (1.0, "1.00", 101),
                                             (0.07000000000000001, "0.07", 101), (0.505, "0.505", 102)])
def test_the_figure_opens_at_t_with_the_slider_on_it(data, t, label, count):
    table, hist = data
    fig = threshold_explorer(table, hist, t)
    slider = fig.to_dict()["layout"]["sliders"][0]
    assert len(slider["steps"]) == count and slider["steps"][slider["active"]]["label"] == label
    grid, active = threshold_grid(t)
    assert threshold_label(grid[active]) == label
    assert shown(fig.to_dict()["layout"]) == expected(table, t)  # the traces at opening are the numbers at t


def test_nothing_flagged_shows_a_dash_for_precision_not_a_number(data):
    table, hist = data
    top = float(np.max(table.thresholds[1:]))
    fig = threshold_explorer(table, hist, 1.0)
    cells, values = shown(fig.to_dict()["layout"])
    assert top < 1.0 and cells["false positives"][0] == 0 and cells["true positives"][0] == 0
    assert values[[key for _, key in METRICS].index("precision")] == "—"


def test_the_figure_is_small_valid_and_float32_even_for_100k_rows():
    y, s = scored(n=100_000, seed=1, prevalence=0.01)
    fig = threshold_explorer(threshold_table(y, s, probabilities=True), score_histogram(s, y), 0.5)
    spec = fig.to_dict()
    go.Figure(spec)  # Plotly's validation of every property
    size = len(fig.to_json().encode())
    assert size < 300_000, size  # the brief: under 1 MB; ~150 kB measured
    arrays = [trace[key] for trace in spec["data"] for key in ("x", "y") if isinstance(trace.get(key), dict)]
    assert arrays and all(a["dtype"] == "f4" for a in arrays)
    assert not spec.get("frames")


def test_a_viewers_palette_recolours_the_cells_at_every_step(data):
    table, hist = data
    fig = threshold_explorer(table, hist, 0.5)
    recoloured = restyle(fig, "tol-bright").to_dict()["layout"]["sliders"][0]["steps"]
    key = next(k for k in steps(fig)[50]["args"][0] if k.endswith(".fillcolor"))
    assert steps(fig)[50]["args"][0][key] != recoloured[50]["args"][0][key]


def panel_boxes(layout: dict) -> dict[str, tuple]:
    """Each panel's (x0, x1, y0, y1) in paper coordinates, by its x axis."""
    return {name: (*axis["domain"], *layout["yaxis" + axis["anchor"][1:]]["domain"])
            for name, axis in layout.items() if name.startswith("xaxis")}


def test_the_figure_is_made_for_the_stage_beside_the_controls(data):
    """At most ~480 px tall (under a figure top of ~190 px on a 720-px screen), five panels that do not
    overlap, the legend above the histograms and the slider under every panel."""
    table, hist = data
    layout = threshold_explorer(table, hist, 0.5).to_dict()["layout"]
    assert layout["height"] == HEIGHT <= 480
    boxes = list(panel_boxes(layout).values())
    assert len(boxes) == 5
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert a[1] <= b[0] or b[1] <= a[0] or a[3] <= b[2] or b[3] <= a[2], (a, b)
    histograms = panel_boxes(layout)["xaxis"]
    assert layout["legend"]["y"] >= histograms[3] and layout["legend"]["yanchor"] == "bottom"
    slider = layout["sliders"][0]
    assert slider["y"] <= 0 and slider["yanchor"] == "top"


# ---- the page ----------------------------------------------------------------------------------------------

def threshold_chart(at) -> dict:
    return json.loads(at.get("plotly_chart")[0].proto.spec)


def test_the_page_opens_the_figures_slider_where_its_threshold_control_is():
    at = open_page(PAGE)
    assert_clean(at)
    slider = threshold_chart(at)["layout"]["sliders"][0]
    assert slider["steps"][slider["active"]]["label"] == "0.50"
    at.slider(key="calibration.t").set_value(0.83).run()
    assert_clean(at)
    slider = threshold_chart(at)["layout"]["sliders"][0]
    assert slider["steps"][slider["active"]]["label"] == "0.83"
    assert len(slider["steps"]) == 101


STAGE_KEYS = ("prevalence", "separation", "model", "use", "t")
MORE = ("source", "copies", "n", "seed", "cal_share")


def widget_keys(block) -> set[str]:
    return {w.key for kind in ("selectbox", "slider", "number_input", "toggle", "checkbox")
            for w in getattr(block, kind)}


def test_the_key_controls_are_on_the_stage_beside_the_threshold_figure():
    at = open_page(PAGE)
    assert_clean(at)
    controls, figure = at.columns[0], at.columns[1]
    assert {f"calibration.{name}" for name in ("preset", *STAGE_KEYS)} <= widget_keys(controls)
    more = next(e for e in controls.expander if e.label == "⚙️ More controls")
    assert {f"calibration.{name}" for name in MORE} == widget_keys(more)
    spec = json.loads(figure.get("plotly_chart")[0].proto.spec)  # the threshold figure, beside them
    assert spec["layout"]["sliders"][0]["currentvalue"]["prefix"] == "threshold t = "
    assert "calibration.cost_fp" not in widget_keys(controls)  # the costs stay with the cost curve below


def test_presenter_mode_keeps_only_the_key_controls_on_the_stage():
    at = open_page(PAGE, present="1", n="5000")
    assert_clean(at)
    shown = widget_keys(at)
    assert {f"calibration.{name}" for name in STAGE_KEYS} <= shown
    assert not {f"calibration.{name}" for name in MORE} & shown
    assert at.session_state["calibration.n"] == 5000  # not drawn, still in force
    assert dict(at.query_params) == {"present": "1", "n": "5000"}


def test_an_upload_is_asked_for_under_the_stage_and_its_figure_appears_on_the_stage():
    from tests.test_calibration_page import labelled_csv

    csv = labelled_csv()
    at = open_page(PAGE, source="upload")
    assert_clean(at)
    assert not at.columns[1].get("plotly_chart")
    assert any("upload a CSV file below" in i.value for i in at.columns[1].info)
    assert len(at.file_uploader) == 1 and not [u for u in at.columns[0].get("file_uploader")]
    at.file_uploader[0].set_value(("cases.csv", csv.encode(), "text/csv")).run()
    assert_clean(at)
    spec = json.loads(at.columns[1].get("plotly_chart")[0].proto.spec)
    assert spec["layout"]["sliders"][0]["steps"][50]["label"] == "0.50"
