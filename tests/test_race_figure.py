"""The race figure: arrows at each racer's point mean what the caption says."""

import base64
import json

import numpy as np

from core.objectives import OBJECTIVES
from core.optimizers import make_optimizer, race
from viz.animation import PAYLOAD_BUDGET_BYTES, payload_bytes
from viz.race import race_animation, race_layout


def decode(v):
    return np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.float32) if isinstance(v, dict) else np.array(v)


def test_arrows_show_the_step_the_gradient_step_and_the_velocity():
    bowl = OBJECTIVES["bowl"](condition=10.0)
    result = race(bowl.gradient, bowl.value, [make_optimizer("sgd", lr=0.05),
                                              make_optimizer("momentum", lr=0.05, beta=0.9)], [-2.5, 2.0], 30)
    spec = json.loads(race_animation(bowl, result).to_json())
    frame = spec["frames"][5]  # 30 steps < MAX_FRAMES, so frame j is step j
    traces = dict(zip(frame["traces"], frame["data"]))
    layout = race_layout(result)
    theta = np.array([-2.5, 2.0])  # recompute momentum's step 5 by hand
    v = np.zeros(2)
    for _ in range(5):
        v = 0.9 * v + bowl.gradient(theta)
        theta = theta - 0.05 * v
    g = bowl.gradient(theta)
    racer = 1  # the second racer: momentum
    point = np.array([decode(traces[layout.now]["x"])[racer], decode(traces[layout.now]["y"])[racer]])
    np.testing.assert_allclose(point, theta, rtol=1e-5)
    gradient = traces[layout.gradient]  # a segment per racer: start, end, gap
    grad_end = [decode(gradient["x"])[3 * racer + 1], decode(gradient["y"])[3 * racer + 1]]
    np.testing.assert_allclose(grad_end, theta - 0.05 * g, rtol=1e-5)
    assert layout.velocity == (1,)  # plain SGD has no velocity arrow
    velocity = traces[layout.velocities[0]]
    vel_end = [decode(velocity["x"])[1], decode(velocity["y"])[1]]
    np.testing.assert_allclose(vel_end, theta - 0.05 * v, rtol=1e-5)
    step = traces[layout.steps[racer]]
    step_end = [decode(step["x"])[1], decode(step["y"])[1]]
    np.testing.assert_allclose(step_end, theta - 0.05 * (0.9 * v + g), rtol=1e-5)
    path = spec["data"][layout.paths[racer]]  # the path so far: x in the figure, y in the frame
    path_y = decode(traces[layout.paths[racer]]["y"])
    assert path_y.size == 6 and decode(path["x"]).size == 31
    np.testing.assert_allclose([decode(path["x"])[5], path_y[5]], theta, rtol=1e-5)


def test_seven_racers_for_500_steps_stay_under_budget():
    surface = OBJECTIVES["rosenbrock"]()
    opts = [make_optimizer(n, lr=0.001) for n in ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam",
                                                 "adamw")]
    fig = race_animation(surface, race(surface.gradient, surface.value, opts, [-1.5, 2.0], 500))
    assert payload_bytes(fig) < PAYLOAD_BUDGET_BYTES


def test_the_click_targets_cover_only_points_a_race_can_start_from():
    from core.expressions import objective_for
    from viz.race import CLICK_GRID, CLICK_TRACE, start_map

    half_plane = objective_for("custom", "log(x) + y**2")  # undefined for x <= 0
    fig = start_map(half_plane, [-2.5, 2.0])
    click = fig.data[CLICK_TRACE]
    assert click.name == "click to start here"
    x = np.asarray(click.x)
    assert x.size and np.all(x > 0)  # only where f and ∇f are finite
    assert fig.data[0].type == "contour" and fig.data[3].name.startswith("start")
    bowl = OBJECTIVES["bowl"]()
    result = race(bowl.gradient, bowl.value, [make_optimizer("sgd", lr=0.05)], [-2.5, 2.0], 10)
    assert decode(race_animation(bowl, result).data[CLICK_TRACE].x).size == CLICK_GRID**2  # finite everywhere: all
