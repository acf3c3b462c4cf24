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
    assert spec["layout"]["margin"] == {"l": 7, "t": 9, "b": 140 if buttons else 100}
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
