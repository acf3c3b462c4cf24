"""How heavy the two interactive animations are (issue 22): what a person waits for after a change is mostly the
browser receiving and drawing the figure, so its size, the traces each frame moves and the markers the browser
must draw are bounded here, in bytes and counts (never seconds). Each bound failed on the figures before."""

import base64
import io
import json

import numpy as np
import pytest
from numpy.polynomial import Polynomial

from core.datasets import make_line
from core.expressions import objective_for
from core.linear_model import LinearRegressionGD, least_squares_line
from core.optimizers import default_schedule_params, optimizers_for, race
from viz.line_fit import fit_animation
from viz.race import CLICK_TRACE, race_animation, race_layout
from viz.wire import encode


def fit_view(lr=0.3, steps=100, n=40):
    """The fit-a-line page's default view."""
    x, y = make_line(n, w=2.0, b=-1.0, noise=0.5, random_state=0)
    traj = LinearRegressionGD(learning_rate=lr, n_steps=steps, w0=-1.0, b0=3.0).fit(x, y).trajectory_
    return fit_animation(x, y, traj, optimum=least_squares_line(x, y), true_line=Polynomial([-1.0, 2.0])), traj


def race_view(opts=("sgd", "momentum", "adam"), steps=150, surface="bowl"):
    """The optimizers page's default view (or another surface and field)."""
    objective = objective_for(surface, "x**2", 10.0, 0.0)
    result = race(objective.gradient, objective.value, optimizers_for(list(opts), [0.05] * len(opts)), [-2.5, 2.0],
                  steps, "constant", default_schedule_params("constant", steps))
    return race_animation(objective, result), result


def wire_bytes(fig) -> int:
    return len(encode(fig.to_dict()))


def test_the_default_views_ship_small_figures():
    # before: fit a line 415 KB, the race 677 KB
    assert wire_bytes(fit_view()[0]) < 200_000
    assert wire_bytes(race_view()[0]) < 230_000


def test_seven_racers_for_500_steps_ship_under_600_kb():
    fig, _ = race_view(("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"), 500, "rosenbrock")
    assert wire_bytes(fig) < 600_000  # before: 1.45 MB


def test_a_race_frame_moves_the_racers_together_not_six_traces_each():
    fig, result = race_view()
    spec = fig.to_dict()
    layout = race_layout(result)
    for frame in spec["frames"]:
        # a path per racer, a next step per racer, a velocity per racer that has one (momentum, Adam), and one
        # trace each for the current points, the gradient steps and the current losses: 11, where it was 18
        assert len(frame["traces"]) == 2 * result.n_racers + len(layout.velocity) + 3 == 11
        now = dict(zip(frame["traces"], frame["data"]))[layout.now]
        assert set(now) == {"type", "x", "y"}  # colours and hover texts stay in the figure


def test_paths_grow_by_their_y_alone():
    """The x of a path (and of the loss curve) is in the figure once: a frame sends only the y of the steps taken
    so far, and Plotly draws as many points as the shorter of the two holds."""
    fig, traj = fit_view()
    spec = fig.to_dict()
    last = spec["frames"][-1]
    for index in (6, 9):  # the path of (w, b), the loss curve
        data = dict(zip(last["traces"], last["data"]))[index]
        assert "x" not in data and "y" in data
        assert _decoded(spec["data"][index]["x"]).size == traj.n_steps + 1
    race_spec = race_view()[0].to_dict()
    layout = race_layout(race_view()[1])
    for index in layout.paths:
        assert all("x" not in dict(zip(f["traces"], f["data"]))[index] for f in race_spec["frames"])


def test_short_runs_keep_every_step_and_long_ones_play_in_even_strides():
    fig, _ = fit_view(steps=40)
    assert [s["label"].split()[0] for s in fig.to_dict()["layout"]["sliders"][0]["steps"]] == [
        str(k) for k in range(41)]
    labels = [int(s["label"].split()[0]) for s in fit_view()[0].to_dict()["layout"]["sliders"][0]["steps"]]
    assert len(labels) <= 60 and labels[0] == 0 and labels[-1] == 100 and set(np.diff(labels)) == {2}
    race_labels = [int(s["label"]) for s in race_view()[0].to_dict()["layout"]["sliders"][0]["steps"]]
    assert len(race_labels) <= 60 and race_labels[-1] == 150 and set(np.diff(race_labels)) == {3}


@pytest.mark.parametrize("which", ["race", "fit"])
def test_invisible_hover_and_click_points_are_not_drawn(which):
    """Plotly hovers, clicks and selects on a trace's data: the invisible click targets of the race (1,681) and
    the hover grid over the loss surface (625) need no markers drawn, which was half the race's drawing time."""
    spec = (race_view() if which == "race" else fit_view())[0].to_dict()
    invisible = [t for t in spec["data"] if (t.get("marker") or {}).get("opacity") == 0]
    assert invisible and all(t["marker"].get("maxdisplayed") == 1 for t in invisible)
    if which == "race":
        assert spec["data"][CLICK_TRACE]["name"] == "click to start here"


def test_the_surface_pictures_are_palette_pngs_with_the_same_pixels():
    from PIL import Image

    from viz.raster import SHADES, surface_data_uri, surface_picture

    z = np.add.outer(np.linspace(0, 1, 60), np.linspace(0, 2, 60)) ** 2
    z[:6, :6] = np.nan
    uri = surface_data_uri(z, "Viridis", n_levels=24)
    image = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
    assert image.mode == "P" and 2 * SHADES + 1 <= 256
    assert np.array_equal(np.asarray(image.convert("RGBA")), surface_picture(z, "Viridis", n_levels=24))
    for spec, budget in ((fit_view()[0].to_dict(), 30_000), (race_view()[0].to_dict(), 20_000)):
        (picture,) = spec["layout"]["images"]
        assert len(picture["source"]) < budget  # before: 78 KB and 41 KB as RGBA


def _decoded(values):
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"]))
    return np.asarray(values, dtype=float)


def test_the_figures_are_valid_plotly():
    import plotly.graph_objects as go

    for fig in (fit_view()[0], race_view()[0]):
        go.Figure(json.loads(fig.to_json()))  # Plotly's own validation, frames included
