"""Heatmaps of codes (decision maps, a layer's tiles) animate as pictures: each frame swaps a layout image's
source, with no redraw (viz.animation._pictured_codes). The pictures are checked against the colour each code
has in its discrete colour scale, independently of how the palette is computed."""

import base64
import io

import numpy as np
import plotly.graph_objects as go
from PIL import Image

from viz.animation import Frame, animate, final_frame
from viz.decision_map import INVALID, decision_colorscale, decision_heatmap, encode_decision
from viz.network import GAP, UNIT_COLORSCALE, Layout, layer_heatmap
from viz.prepared import figure_from
from viz.raster import CODES_SIDE
from viz.restyle import recolor, restyle

XS, YS = np.linspace(-2, 2, 30), np.linspace(-1, 1, 20)


def codes(k: int) -> np.ndarray:
    """A map of 2 classes whose boundary moves with ``k``, and one invalid (diverged) cell."""
    p = 1 / (1 + np.exp(-(XS[None, :] - 0.5 * k) * (1 + YS[:, None] ** 2)))
    z = encode_decision(np.stack([1 - p, p], axis=-1))
    z[0, 0] = INVALID
    return z


def animation() -> dict:
    layout = Layout((2, 3, 1), tile=8)
    fig = go.Figure([decision_heatmap(codes(0), XS, YS, 2),
                     go.Scatter(x=[0.0, 1.0], y=[0.0, 0.5], mode="markers"),
                     layer_heatmap(np.zeros((64, 3)), layout, 1, xaxis="x2", yaxis="y2")])
    frames = [Frame(str(k), [{"z": codes(k)}, {"x": [0.0, k], "y": [0.0, 0.5]},
                             {"z": layer_heatmap(np.full((64, 3), k - 1.0), layout, 1).z}], [0, 1, 2])
              for k in range(3)]
    return animate(fig, frames).to_dict()


def pixels(uri: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))).convert("RGBA"))


def hex_of(rgb) -> str:
    return "#{:02X}{:02X}{:02X}".format(*rgb[:3])


def scale_colour(scale: list, code: int) -> str:
    """The colour the discrete scale gives ``code`` (zmin 0, zmax 255): the stop pair around it."""
    at = code / INVALID
    return next(colour for (lo, colour), (hi, _) in zip(scale[::2], scale[1::2]) if lo <= at <= hi)


def test_no_heatmap_is_left_and_no_frame_redraws():
    spec = animation()
    assert [t["type"] for t in spec["data"]] == ["scatter"] * 3
    assert [t.get("visible") for t in spec["data"]] == [False, None, False]  # placeholders keep the indices
    buttons = [b for menu in spec["layout"]["updatemenus"] for b in menu["buttons"]]
    steps = spec["layout"]["sliders"][0]["steps"]
    assert {a["frame"]["redraw"] for b in buttons + steps for a in b["args"] if isinstance(a, dict)} == {False}
    for frame in spec["frames"]:
        assert set(frame["layout"]) == {"images[0].source", "images[1].source"}
        assert 0 not in frame["traces"] and 2 not in frame["traces"]


def test_each_frames_map_has_the_colour_of_each_code_where_its_cell_lies():
    spec = animation()
    scale = decision_colorscale(2)
    image = spec["layout"]["images"][0]
    assert image["name"] == "codes" and image["xref"] == "x" and image["sizing"] == "stretch"
    step_x, step_y = XS[1] - XS[0], YS[1] - YS[0]
    assert np.allclose([image["x"], image["y"], image["sizex"], image["sizey"]],
                       [XS[0] - step_x / 2, YS[-1] + step_y / 2, 30 * step_x, 20 * step_y], atol=1e-5)
    for k, frame in enumerate(spec["frames"]):
        picture = pixels(frame["layout"]["images[0].source"])
        block = CODES_SIDE // 30
        assert picture.shape[:2] == (20 * block, 30 * block)
        cells = picture[::block, ::block][::-1]  # first row of the picture = the highest y
        expected = codes(k)
        assert all(hex_of(cells[r, c]) == scale_colour(scale, int(expected[r, c]))
                   for r in range(20) for c in range(30))
        assert (cells[..., 3] == 255).all()


def test_a_layers_gaps_stay_transparent_and_its_tiles_take_the_unit_colours():
    spec = animation()
    picture = pixels(spec["frames"][2]["layout"]["images[1].source"])  # every unit at +1: full positive colour
    z = layer_heatmap(np.ones((64, 3)), Layout((2, 3, 1), tile=8), 1).z
    block = CODES_SIDE // max(np.shape(z))
    cells = picture[::block, ::block][::-1]
    gaps = np.asarray(z) == GAP
    assert (cells[gaps][:, 3] == 0).all() and (cells[~gaps][:, 3] == 255).all()
    assert {hex_of(c) for c in cells[~gaps]} == {UNIT_COLORSCALE[-1][1].upper()}


def test_a_viewers_palette_recolours_the_pictures_in_every_frame():
    spec = animation()
    styled = restyle(figure_from(spec), "tol-bright").to_dict()
    for before, after in [(spec["layout"]["images"][0]["source"], styled["layout"]["images"][0]["source"]),
                          *((f["layout"]["images[0].source"], g["layout"]["images[0].source"])
                            for f, g in zip(spec["frames"], styled["frames"]))]:
        old, new = pixels(before), pixels(after)
        assert old.shape == new.shape and not np.array_equal(old, new)
        colours = {hex_of(o): hex_of(n) for o, n in zip(old.reshape(-1, 4), new.reshape(-1, 4))}
        assert all(recolor(o, "tol-bright").upper() == n for o, n in colours.items())


def test_reduced_motion_opens_on_the_last_frames_pictures():
    spec = animation()
    last = final_frame(figure_from(spec)).to_dict()
    assert [im["source"] for im in last["layout"]["images"]] == [
        spec["frames"][-1]["layout"][f"images[{k}].source"] for k in range(2)]

