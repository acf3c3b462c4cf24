"""The animation builder: frames, controls, float32 payloads, and the 3 MB budget."""

import json

import numpy as np
import plotly.graph_objects as go
import pytest

from core import LinearRegressionGD, make_line, mse_hessian
from viz.animation import PAYLOAD_BUDGET_BYTES, SPEEDS, Frame, animate, frame_indices, payload_bytes
from viz.line_fit import derivative_limit, fit_animation


def small_animation():
    fig = go.Figure([go.Scatter(x=np.zeros(3), y=np.zeros(3))])
    frames = [Frame(label=str(k), traces=[0], data=[go.Scatter(x=np.arange(3.0), y=np.full(3, float(k)))])
              for k in range(5)]
    return json.loads(animate(fig, frames).to_json())


def test_animation_has_play_pause_reset_speeds_and_a_step_per_frame():
    spec = small_animation()
    assert len(spec["frames"]) == 5
    playback, speed = spec["layout"]["updatemenus"]
    labels = [b["label"] for b in playback["buttons"]]
    assert any("Play" in lbl for lbl in labels) and any("Pause" in lbl for lbl in labels)
    reset = next(b for b in playback["buttons"] if "Reset" in b["label"])
    assert reset["args"][0] == [spec["frames"][0]["name"]]
    durations = [b["args"][1]["frame"]["duration"] for b in speed["buttons"]]
    assert len(durations) == len(SPEEDS) and durations == sorted(durations, reverse=True)
    steps = spec["layout"]["sliders"][0]["steps"]
    assert [s["args"][0] for s in steps] == [[f["name"]] for f in spec["frames"]]


@pytest.mark.parametrize("buttons", [True, False])
def test_the_controls_written_into_the_spec_are_valid_plotly_and_keep_the_figures_margins(buttons):
    fig = go.Figure([go.Contour(z=np.eye(3))], layout={"margin": {"l": 7, "t": 9}, "title": {"text": "T"}})
    frames = [Frame(label=str(k), traces=[0], data=[{"z": np.eye(3) * k}]) for k in range(4)]
    spec = json.loads(animate(fig, frames, buttons=buttons, template="plotly_white").to_json())
    go.Figure(spec)  # Plotly's own validation of every property, frames included: raises on anything invalid
    assert spec["layout"]["margin"] == {"l": 7, "t": 9, "b": 175 if buttons else 100}
    assert len(spec["layout"]["updatemenus"]) == (2 if buttons else 0)
    assert spec["layout"]["title"]["text"] == "T" and spec["layout"]["template"]["layout"]
    assert all(s["args"][1]["frame"]["redraw"] for s in spec["layout"]["sliders"][0]["steps"])  # a contour


def test_arrays_ship_as_float32():
    text = json.dumps(small_animation())
    assert '"dtype": "f4"' in text and '"f8"' not in text


def test_frame_indices_keep_both_ends_and_the_cap():
    idx = frame_indices(501, 150)
    assert idx[0] == 0 and idx[-1] == 500 and len(idx) <= 150 and np.all(np.diff(idx) > 0)
    assert list(frame_indices(4, 150)) == [0, 1, 2, 3]


def test_empty_animation_is_refused():
    with pytest.raises(ValueError, match="at least one frame"):
        animate(go.Figure(), [])


@pytest.mark.parametrize("n, steps, lr", [(500, 500, 0.3), (500, 500, 0.5), (2, 1, 0.3)])
def test_fit_animation_stays_under_the_payload_budget(n, steps, lr):
    x, y = make_line(n, random_state=0)
    traj = LinearRegressionGD(learning_rate=lr, n_steps=steps).fit(x, y).trajectory_
    optimum = np.linalg.lstsq(np.column_stack([x, np.ones_like(x)]), y, rcond=None)[0]
    fig = fit_animation(x, y, traj, optimum=optimum, true_line=lambda t: 2 * t - 1)
    size = payload_bytes(fig)
    assert 10_000 < size < PAYLOAD_BUDGET_BYTES
    assert json.loads(fig.to_json())["layout"]["sliders"][0]["steps"][-1]["label"].startswith(str(traj.n_steps))


def test_derivative_animation_ends_at_the_chosen_h():
    fig = derivative_limit(np.square, 1.0, 2.0, 1e-3)
    labels = [s["label"] for s in json.loads(fig.to_json())["layout"]["sliders"][0]["steps"]]
    assert labels[0].startswith("1 ") and labels[-1].startswith("0.001 ")
    assert payload_bytes(fig) < PAYLOAD_BUDGET_BYTES


def test_figures_with_a_contour_redraw_every_frame():
    fig = go.Figure([go.Contour(z=np.eye(3)), go.Scatter(x=[0.0], y=[0.0])])
    frames = [Frame(label=str(k), traces=[1], data=[{"x": [float(k)], "y": [0.0]}]) for k in range(3)]
    spec = json.loads(animate(fig, frames).to_json())
    play = spec["layout"]["updatemenus"][0]["buttons"][0]["args"][1]
    assert play["frame"]["redraw"] is True
    assert small_animation()["layout"]["updatemenus"][0]["buttons"][0]["args"][1]["frame"]["redraw"] is False


def test_frame_heatmaps_keep_their_shape_and_uint8_codes():
    z = np.arange(6, dtype=np.uint8).reshape(2, 3)
    fig = go.Figure([go.Heatmap(z=z)])
    spec = json.loads(animate(fig, [Frame(label="0", traces=[0], data=[{"z": z}])]).to_json())
    frame_z = spec["frames"][0]["data"][0]["z"]
    assert frame_z["dtype"] == "u1" and frame_z["shape"] == "2, 3"
    import base64
    assert np.frombuffer(base64.b64decode(frame_z["bdata"]), np.uint8).reshape(2, 3).tolist() == z.tolist()


def test_a_template_named_to_animate_styles_the_figure_as_update_layout_would():
    def base():
        return go.Figure(go.Scatter(x=[0.0, 1.0], y=[0.0, 1.0]))

    frames = [Frame(label=str(k), traces=[0], data=[{"y": [k, k + 1.0]}]) for k in range(3)]
    slow = base().update_layout(template="plotly_white")
    fast = animate(base(), frames, template="plotly_white")
    assert json.loads(fast.to_json()) == json.loads(animate(slow, frames).to_json())
    assert fast.to_dict()["layout"]["template"] != base().to_dict()["layout"]["template"]  # not the default


def _surface_race() -> dict:
    """A contour map no frame touches under a moving dot, beside a second panel that frames never touch."""
    from viz.subplots import subplots

    xs = np.linspace(-2, 2, 30)
    z = xs[None, :] ** 2 + 3 * xs[:, None] ** 2
    fig = subplots(rows=1, cols=2)
    fig.add_trace(go.Contour(x=xs, y=xs, z=z, colorscale="Viridis", ncontours=12,
                             colorbar={"title": {"text": "height"}}), row=1, col=1)
    fig.add_trace(go.Scatter(x=[1.0], y=[1.0], mode="markers"), row=1, col=1)
    fig.add_trace(go.Scatter(x=xs, y=xs, mode="markers"), row=1, col=2)
    frames = [Frame(label=str(k), traces=[1], data=[{"x": [1.0 - k / 10], "y": [1.0]}]) for k in range(6)]
    return json.loads(animate(fig, frames).to_json())


def test_a_still_surface_is_a_picture_and_frames_play_without_a_redraw():
    spec = _surface_race()
    assert all(b["args"][1]["frame"]["redraw"] is False for b in spec["layout"]["updatemenus"][0]["buttons"][:1])
    (image,) = spec["layout"]["images"]
    assert image["source"].startswith("data:image/png;base64,") and image["layer"] == "below"
    assert (image["x"], image["y"], image["sizex"], image["sizey"]) == (-2.0, 2.0, 4.0, 4.0)
    stand_in = spec["data"][0]  # same place, so frames still name the right traces
    assert stand_in["type"] == "scatter" and stand_in["marker"]["opacity"] == 0
    assert stand_in["marker"]["colorbar"]["title"]["text"] == "height"
    go.Figure(spec)  # valid Plotly


def test_every_frame_names_a_trace_of_every_panel_so_plotly_keeps_it_drawn():
    # plotly.js removes the drawing of a panel none of whose traces a frame names (the PCA panel emptied)
    spec = _surface_race()
    for frame in spec["frames"]:
        axes = {(spec["data"][i].get("xaxis", "x"), spec["data"][i].get("yaxis", "y")) for i in frame["traces"]}
        assert axes == {("x", "y"), ("x2", "y2")}
        for index, data in zip(frame["traces"], frame["data"]):
            if index != 1:
                assert set(data) == {"type"}  # named only: its data stays


def test_a_redrawn_frame_names_the_still_traces_of_its_panels_too():
    """A moving heatmap makes every frame a redraw, and plotly.js still first replots only the traces a frame
    names: the decision map's class points (never in a frame) were gone in 1-2 of ~80 paints under a 4x CPU
    throttle, until the full redraw put them back."""
    fig = go.Figure([go.Heatmap(z=np.zeros((3, 3), np.uint8)), go.Scatter(x=[0.0], y=[0.0], mode="markers")])
    frames = [Frame(label=str(k), traces=[0], data=[{"z": np.full((3, 3), k, np.uint8)}]) for k in range(4)]
    spec = json.loads(animate(fig, frames).to_json())
    assert spec["layout"]["updatemenus"][0]["buttons"][0]["args"][1]["frame"]["redraw"] is True
    for frame in spec["frames"]:
        assert frame["traces"] == [0, 1] and set(frame["data"][1]) == {"type"}  # named only: its data stays


def test_the_surface_picture_follows_the_height_and_draws_contour_lines():
    from viz.raster import surface_picture

    xs = np.linspace(-1, 1, 40)
    z = np.add.outer(np.zeros(40), xs)  # rises to the right
    picture = surface_picture(z, "Greys", n_levels=5, lines=False)
    assert picture.shape[2] == 4 and picture[..., 3].min() == 255
    left, right = picture[:, 5, :3].mean(), picture[:, -5, :3].mean()
    assert left > right  # Greys runs from white (low) to black (high)
    lined = surface_picture(z, "Greys", n_levels=5)
    assert (lined[..., :3] < picture[..., :3]).any()  # the level lines are darker than the fill
    z[:, :10] = np.nan
    assert surface_picture(z, "Greys")[:, :5, 3].max() == 0  # undefined: transparent


def test_values_past_float32_become_gaps_without_a_warning():
    from viz.animation import _decoded, typed_array

    with np.errstate(over="raise"):
        values = _decoded(typed_array(np.array([1.0, 1e300, -1e39, np.inf])))
    assert values[0] == 1.0 and np.isnan(values[1:3]).all() and np.isnan(values[3])


def test_a_surface_picture_is_made_once_per_surface_and_style():
    """A new learning rate redraws the paths on the same surface: its picture is the one already made, and any
    other surface or style makes a new one."""
    from unittest import mock

    from viz import raster

    z = np.add.outer(np.linspace(0, 1, 30), np.linspace(0, 2, 40))
    with mock.patch.object(raster, "indexed_picture", wraps=raster.indexed_picture) as made:
        first = raster.surface_data_uri(z, "Greys", n_levels=5)
        assert raster.surface_data_uri(z.copy(), "Greys", n_levels=5) == first and made.call_count == 1
        assert raster.surface_data_uri(z, "Greys", n_levels=6) != first
        assert raster.surface_data_uri(z ** 2, "Greys", n_levels=5) != first
        assert raster.surface_data_uri(z.T, "Greys", n_levels=5) != first
        assert made.call_count == 4
