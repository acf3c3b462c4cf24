"""Each optimizer-race preset promises something in its sentence; check the promise with `core` directly."""

import numpy as np
import pytest

from core.objectives import OBJECTIVES
from core.optimizers import make_optimizer, race
from tests.test_app_pages import declared

PAGE = "explorers/optimizers.py"


def run_preset(slug, **override):
    params, presets = declared(PAGE)
    v = {p.name: p.default for p in params} | presets[slug].values | override
    objective = (OBJECTIVES["bowl"](condition=v["condition"], angle=v["angle"]) if v["surface"] == "bowl"
                 else OBJECTIVES[v["surface"]]())
    extra = {"momentum": {"beta": v["beta"]}, "nesterov": {"beta": v["beta"]}}
    optimizers = [make_optimizer(n, lr=v["lr"], **extra.get(n, {})) for n in v["opts"]]
    result = race(objective.gradient, objective.value, optimizers, [v["x0"], v["y0"]], v["steps"])
    return {n: i for i, n in enumerate(result.names)}, result


def final_loss(result, i):
    return result.loss[i][np.isfinite(result.loss[i])][-1]


def test_zigzag_momentum_beats_the_zigzagging_descent():
    ix, r = run_preset("zigzag")
    steps = np.diff(r.positions[ix["sgd"], :20], axis=0)
    across = steps @ np.array([-np.sin(np.pi / 6), np.cos(np.pi / 6)])  # the steep direction at 30°
    assert np.all(across[:-1] * across[1:] < 0)  # sign flips every step: a zig-zag
    assert final_loss(r, ix["momentum"]) < 0.01 * final_loss(r, ix["sgd"])


def test_rosenbrock_momentum_arrives_gd_crawls_adam_needs_a_bigger_rate():
    ix, r = run_preset("rosenbrock")
    ends = r.final_positions
    assert np.linalg.norm(ends[ix["momentum"]] - [1, 1]) < 0.05
    assert np.linalg.norm(ends[ix["sgd"]] - [1, 1]) > 1.0 and np.linalg.norm(ends[ix["adam"]] - [1, 1]) > 1.0
    ix, r = run_preset("rosenbrock", lr=0.1)
    assert r.diverged_at[ix["sgd"]] is not None and r.diverged_at[ix["sgd"]] < 10
    assert np.linalg.norm(r.final_positions[ix["adam"]] - [1, 1]) < 0.25


def test_saddle_gd_lingers_longest():
    ix, r = run_preset("saddle")
    escape = {n: int(np.argmax(r.loss[i] < -0.5)) for n, i in ix.items()}
    assert 100 <= escape["sgd"] <= 140 and 30 <= escape["momentum"] <= 55 and escape["adam"] <= 35


def test_rastrigin_everyone_stays_in_the_nearest_dimple():
    ix, r = run_preset("rastrigin")
    for i in ix.values():
        assert np.allclose(r.final_positions[i], [2, -2], atol=0.05)


def test_too_large_gd_diverges_adam_does_not():
    ix, r = run_preset("too-large")
    assert r.diverged_at[ix["sgd"]] is not None and r.diverged_at[ix["sgd"]] <= 15
    assert r.diverged_at[ix["adam"]] is None


def test_overshoot_heavy_ball_spirals_nesterov_converges():
    ix, r = run_preset("overshoot")
    assert final_loss(r, ix["momentum"]) > 1e-4 > 1e-8 > final_loss(r, ix["nesterov"])
    # the heavy ball passes the minimum: x changes sign along the way
    assert np.any(np.diff(np.sign(r.positions[ix["momentum"], :, 0])) != 0)
