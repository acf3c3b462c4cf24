"""Each batch-size preset promises something in its sentence; check the promise with `core` directly."""

import numpy as np
import pytest

from core.datasets import make_line
from core.datasets_2d import make_dataset, train_test_split
from core.linear_model import least_squares_line, mse_hessian
from core.minibatch import (batch_size_sweep, gradient_noise, linear_regression_sum, minibatch_sgd,
                            relative_target)
from core.neural_net import MLPClassifier
from core.sharpness import sharpness_by_batch_size
from tests.test_app_pages import declared

PAGE = "explorers/batch_size.py"


def settings(slug, **override):
    params, presets = declared(PAGE)
    return {p.name: p.default for p in params} | presets[slug].values | override


def problem_of(v):
    x, y = make_line(v["n"], noise=v["noise"], random_state=v["seed"])
    return linear_regression_sum(x, y), x, y


def race(v, theta0=(-2.0, 3.0)):
    problem, _, _ = problem_of(v)
    sizes = sorted({v["n"] if s == "full" else int(s) for s in v["sizes"]})
    return {B: minibatch_sgd(problem, np.array(theta0), B, v["lr"] * (B / sizes[0] if v["scale_lr"] else 1),
                             v["steps"], random_state=v["seed"]) for B in sizes}


def test_batch_one_is_noisy_per_step_but_far_ahead_per_example():
    v = settings("noisy-but-cheap")
    runs = race(v)
    one, full = runs[1], runs[v["n"]]
    assert np.sum(np.diff(one.full_loss) > 0) > 30 and np.all(np.diff(full.full_loss) <= 0)  # staggers vs glides
    assert one.examples[-1] < full.examples[1]  # all of batch 1's run costs less than one full-batch step…
    assert one.full_loss[-1] < 0.25 * full.full_loss[1]  # …and gets much further


def test_batch_32_is_nearly_as_good_as_the_full_batch_for_far_fewer_examples():
    v = settings("full-batch-cost")
    runs = race(v)
    assert runs[32].full_loss[-1] < 1.02 * runs[v["n"]].full_loss[-1]
    assert runs[v["n"]].examples[-1] == 16 * runs[32].examples[-1]


def test_linear_scaling_makes_loss_per_example_curves_coincide():
    v = settings("double-double")
    runs = race(v)
    budget = runs[8].examples[-1]  # compare every racer after the same number of examples
    at_budget = [run.full_loss[np.searchsorted(run.examples, budget)] for run in runs.values()]
    assert max(at_budget) / min(at_budget) < 1.15
    unscaled = race({**v, "scale_lr": False})
    assert max(r.full_loss[np.searchsorted(r.examples, budget)] for r in unscaled.values()) > 2 * max(at_budget)


def test_critical_batch_size_is_near_the_noise_scale_and_steps_level_off():
    v = settings("critical-batch")
    problem, x, y = problem_of(v)
    theta0 = np.array([-2.0, 3.0])
    target = relative_target(problem, theta0, least_squares_line(x, y), v["target"])
    result = batch_size_sweep(problem, theta0, [1, 2, 4, 8, 16, 32, 64, 128, 256, 512], base_lr=v["base_lr"],
                              rule=v["rule"], target_loss=target, seeds=3, patience=10, random_state=v["seed"],
                              max_lr=1 / np.linalg.eigvalsh(mse_hessian(x))[-1])
    steps = np.nanmedian(result.steps, axis=1)
    assert 1.6 < steps[0] / steps[1] < 2.5  # doubling a small batch about halves the steps
    assert steps[-2] / steps[-1] == pytest.approx(1.0, abs=0.1)  # doubling a large one buys nothing
    b_simple = gradient_noise(problem, theta0).b_simple
    assert 0.5 * b_simple < result.b_crit < 2 * b_simple


def test_small_batches_find_flatter_minima_at_similar_accuracy():
    v = settings("flat-minima")
    X, y = make_dataset("moons", 400, 0.3, v["seed"])
    X_train, X_test, y_train, y_test = train_test_split(X, y, 0.5, v["seed"])
    result = sharpness_by_batch_size(
        lambda B: MLPClassifier((16, 16), "tanh", learning_rate_init=v["sharp_lr"], batch_size=B,
                                random_state=v["seed"]),
        X_train, y_train, X_test, y_test, (4, 16, 64, 200), n_updates=v["sharp_updates"])
    assert result.sharpness[0] < result.sharpness[-1] / 3
    assert abs(result.test_accuracy[0] - result.test_accuracy[-1]) < 0.05
