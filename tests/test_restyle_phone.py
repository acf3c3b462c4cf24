"""The phone layout (``restyle(..., narrow=True)``), without a browser: main panel first with the animation
controls under it, colour bars under their own panel, long readouts and titles wrapped."""

import json

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from viz.animation import Frame, animate
from viz.restyle import READOUT_CHARS, _wrap, restyle, stack_panels


def _racing_figure():
    """A small panel beside a large one: a still contour (its colour bar) with a moving point, and a loss."""
    fig = make_subplots(rows=2, cols=2, specs=[[{"rowspan": 2}, {}], [None, {}]],
                        subplot_titles=("The loss surface, with a long title that cannot fit a phone", "b", "c"))
    grid = np.linspace(-1, 1, 5)
    fig.add_trace(go.Contour(x=grid, y=grid, z=np.add.outer(grid ** 2, grid ** 2), colorbar={"x": 0.45}),
                  row=1, col=1)
    fig.add_trace(go.Scatter(x=[0.5], y=[0.5]), row=1, col=1)
    fig.add_trace(go.Scatter(x=[0, 1], y=[1, 0]), row=1, col=2)
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1]), row=2, col=2)
    fig.update_layout(height=500, legend={"orientation": "h", "y": 1.15})
    frames = [Frame(f"{k} · w = {k / 3:.4f} · b = {-k / 7:.4f} · loss = {k ** 2:.5f} · ∇ = (0.1234, -0.5678)",
                    [{"x": [k / 10], "y": [0.5]}], [1]) for k in range(5)]
    return animate(fig, frames)


def test_the_main_panel_comes_first_with_the_buttons_a_row_each_and_the_slider_under_it():
    layout = restyle(_racing_figure(), narrow=True).to_plotly_json()["layout"]
    main, b, c = (layout[f"yaxis{k}"]["domain"] for k in ("", "2", "3"))
    assert main[0] > b[1] > b[0] > c[1]  # the large panel on top, then the others in reading order
    menus = {m["name"]: m["y"] for m in layout["updatemenus"]}
    slider = layout["sliders"][0]["y"]
    assert main[0] > menus["playback"] > menus["speed"] > slider > b[1]  # under the main panel, above the next
    assert all(m["yanchor"] == "top" and m["x"] == 0 for m in layout["updatemenus"])


def test_a_colour_bar_lies_flat_under_its_own_panel_even_when_a_still_contour_became_a_picture():
    fig = restyle(_racing_figure(), narrow=True).to_plotly_json()
    layout = fig["layout"]
    bars = [t["marker"]["colorbar"] for t in fig["data"] if (t.get("marker") or {}).get("showscale")]
    assert len(bars) == 1  # the invisible grid standing in for the contour carries it
    bar, main = bars[0], layout["yaxis"]["domain"]
    assert bar["orientation"] == "h" and bar["yanchor"] == "top"
    assert layout["updatemenus"][0]["y"] < bar["y"] < main[0]  # between its panel and the Play buttons


def test_long_readouts_and_titles_wrap_at_separators_and_words():
    spec = restyle(_racing_figure(), narrow=True).to_plotly_json()
    prefix = len(spec["layout"]["sliders"][0]["currentvalue"]["prefix"])
    for step in spec["layout"]["sliders"][0]["steps"]:
        lines = step["label"].split("<br>")
        assert len(lines) > 1 and len(lines[0]) + prefix <= READOUT_CHARS
        assert all(len(line) <= READOUT_CHARS for line in lines) and lines[0].endswith("·")
    title = spec["layout"]["annotations"][0]["text"]
    assert "<br>" in title
    assert title.replace("<br>", " ") == "The loss surface, with a long title that cannot fit a phone"
    # the space inside the tag is no place to break: only the visible words count
    assert _wrap("<b>Decision map <span style='font-size:11px'>(filled = train)</span></b>", 20, sep=" ") == \
        "<b>Decision map <span style='font-size:11px'>(filled<br>= train)</span></b>"


def test_a_legend_above_the_panels_sits_above_the_wrapped_title():
    layout = restyle(_racing_figure(), narrow=True).to_plotly_json()["layout"]
    title = layout["annotations"][0]
    assert layout["legend"]["yanchor"] == "bottom" and layout["legend"]["y"] > title["y"]
    assert layout["margin"]["t"] > 100  # the extra title line pushed the top margin, not into the legend


def test_presenter_sizes_on_a_phone_give_the_controls_more_room():
    normal = restyle(_racing_figure(), narrow=True).to_plotly_json()["layout"]
    big = restyle(_racing_figure(), scale=1.4, narrow=True).to_plotly_json()["layout"]
    gap = lambda lay: (lay["updatemenus"][0]["y"] - lay["sliders"][0]["y"]) * (lay["height"] - lay["margin"]["t"]
                                                                              - lay["margin"]["b"])
    assert gap(big) > 1.3 * gap(normal) > 0


def test_a_figure_without_axes_in_its_layout_still_stacks():
    spec = stack_panels(json.loads(go.Figure(go.Scatter(x=[0, 1], y=[0, 1])).to_json()))
    assert spec["layout"]["height"] > 0 and spec["layout"]["dragmode"] is False
