"""Palettes, presenter sizes and charts in words: the restyling core and every page through AppTest."""

import json

import numpy as np
import plotly.graph_objects as go
import pytest

from tests.test_app_pages import PAGES, assert_clean, open_page
from viz.decision_map import _tint, decision_colorscale
from viz.describe import describe_figure
from viz.palette import CLASS_COLORS, OKABE_ITO
from viz.restyle import PALETTES, recolor, restyle


def _hex(c):
    return tuple(int(c[i:i + 2], 16) for i in (1, 3, 5))


@pytest.mark.parametrize("palette", [p for p in PALETTES if p != "okabe-ito"])
def test_every_role_colour_and_its_tints_move_to_the_palette(palette):
    for name, base in OKABE_ITO.items():
        target = PALETTES[palette]["colors"][name]
        assert recolor(base, palette).upper() == target.upper()
        for share in (0.1, 0.35, 0.6):
            # a tint keeps its share of colour: white + s·(new base − white), to rounding
            got, want = np.array(_hex(recolor(_tint(base, share), palette))), 255 + share * (np.array(_hex(target)) - 255)
            if name != "black" and name != "yellow":
                assert np.abs(got - want).max() <= 4, (name, share)


def test_greys_white_and_named_scales_are_left_alone():
    for color in ("#FFFFFF", "#9E9E9E", "#BBBBBB", "#DDDDDD", "rgba(0,0,0,0)", "Viridis", "red"):
        assert recolor(color, "classic") == color
    assert recolor("rgba(0,114,178,0.5)", "classic") == "rgba(8,119,189,0.5)"


def test_palettes_keep_classes_distinguishable():
    """Every palette keeps the first four class colours well apart (CIE76 ΔE on a crude Lab would be overkill:
    require a clear RGB distance), so classes differ by colour as well as by marker shape."""
    for palette in PALETTES:
        colours = [np.array(_hex(recolor(c, palette))) for c in CLASS_COLORS[:4]]
        gaps = [np.linalg.norm(a - b) for i, a in enumerate(colours) for b in colours[i + 1:]]
        assert min(gaps) > 60, palette


def test_restyle_recolours_a_decision_map_and_scales_type_and_markers_in_frames():
    fig = go.Figure(go.Scatter(x=[0, 1], y=[0, 1], mode="markers", marker={"size": 8, "color": OKABE_ITO["blue"]}),
                    frames=[go.Frame(data=[go.Scatter(marker={"size": 10})])])
    fig.add_trace(go.Heatmap(z=[[0, 1]], colorscale=decision_colorscale(2)))
    styled = restyle(fig, "classic", 1.5)
    spec = json.loads(styled.to_json())
    assert spec["data"][0]["marker"] == {"size": 12, "color": "#0877BD"}
    assert spec["frames"][0]["data"][0]["marker"]["size"] == 15
    assert spec["layout"]["font"]["size"] == 18
    assert OKABE_ITO["blue"].upper() not in json.dumps(spec["data"][1]["colorscale"]).upper()
    # the cached original is untouched
    assert fig.data[0].marker.color == OKABE_ITO["blue"] and fig.data[0].marker.size == 8
    with pytest.raises(ValueError, match="choose one of"):
        restyle(fig, "rainbow")


def test_describe_figure_names_panels_axes_series_and_animation():
    fig = go.Figure(go.Scatter(x=[1], y=[2], name="loss"), frames=[go.Frame(data=[go.Scatter()])] * 3)
    fig.update_layout(title="Training", xaxis_title="epoch", yaxis_title="loss (log)")
    text = describe_figure(fig)
    assert "Training" in text and "epoch" in text and "loss (points/lines)" in text and "3 frames" in text


def _expanders(at):
    return [e for e in at.expander if "This chart in words" in e.label]


@pytest.mark.parametrize("path", PAGES)
def test_every_chart_is_described_in_words_with_its_numbers(path):
    at = open_page(path)
    assert_clean(at)
    charts = at.get("plotly_chart")
    described = _expanders(at)
    assert len(described) == len(charts) > 0
    for expander in described:
        text = " ".join(m.value for m in expander.markdown)
        assert len(text) > 60 and any(ch.isdigit() for ch in text), text
    for chart in charts:  # each chart's accessible name (what a screen reader announces) is its summary's start
        assert len(chart.proto.alt) > 20


def test_palette_in_the_link_recolours_every_chart_and_unknown_ones_are_explained():
    at = open_page("pages/decision-boundary.py", palette="classic")
    assert_clean(at)
    spec = " ".join(c.proto.spec for c in at.get("plotly_chart")).upper()
    assert "#0877BD" in spec and OKABE_ITO["blue"].upper() not in spec
    assert at.query_params["palette"] == "classic"
    default = " ".join(c.proto.spec for c in open_page("pages/decision-boundary.py").get("plotly_chart")).upper()
    assert OKABE_ITO["blue"].upper() in default
    bad = open_page("pages/decision-boundary.py", palette="<b>rainbow</b>")
    assert_clean(bad)
    assert any("palette=" in w.value and "okabe-ito" in w.value for w in bad.warning)


def test_presenter_mode_enlarges_chart_type_and_markers():
    normal = json.loads(open_page("pages/fit-a-line.py").get("plotly_chart")[0].proto.spec)
    big = json.loads(open_page("pages/fit-a-line.py", present="1").get("plotly_chart")[0].proto.spec)
    size = lambda spec: (spec["layout"].get("font") or {}).get("size", 12)
    assert size(big) >= 1.3 * size(normal)
    markers = lambda spec: [t["marker"]["size"] for t in spec["data"] if isinstance((t.get("marker") or {}).get("size"), (int, float))]
    assert markers(normal) and all(b > a for a, b in zip(markers(normal), markers(big)))


def test_on_a_phone_panels_stack_into_one_full_width_column_with_the_controls_under_the_first():
    from plotly.subplots import make_subplots

    from viz.restyle import stack_panels

    fig = make_subplots(rows=1, cols=3, subplot_titles=("a", "b", "c"))
    for col in (1, 2, 3):
        fig.add_trace(go.Scatter(x=[0, 1], y=[col, 0]), row=1, col=col)
    fig.update_layout(height=400, sliders=[{"y": -0.1, "steps": [{"label": "0"}]}])
    spec = stack_panels(json.loads(fig.to_json()))
    layout = spec["layout"]
    bands = [layout[f"yaxis{k}"]["domain"] for k in ("", "2", "3")]
    assert all(layout[f"xaxis{k}"]["domain"] == [0.0, 1.0] for k in ("", "2", "3"))
    assert bands[0][0] > bands[1][1] and bands[1][0] > bands[2][1]  # a above b above c, no overlap
    titles = {a["text"]: a["y"] for a in layout["annotations"]}
    assert titles["a"] > bands[0][1] - 1e-9 and bands[1][1] <= titles["b"] < bands[0][0]
    assert bands[1][1] < layout["sliders"][0]["y"] < bands[0][0] and layout["height"] > 2 * 400
    assert layout["dragmode"] is False
