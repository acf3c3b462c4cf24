"""Checks of the batch-size page's sentences: the page's runs recomputed with ``core.minibatch`` (which
tests/test_minibatch.py holds to closed forms and hand-written SGD), and McCandlish et al.'s noise scales
computed here from their definitions (2018, eqs. 2.6–2.8) with NumPy."""

from __future__ import annotations

import numpy as np

from claims import checks
from core.datasets import make_line
from core.datasets_2d import make_dataset, train_test_split
from core.linear_model import least_squares_line, mse_hessian
from core.minibatch import (DEMO_SWEEP, DEMO_THETA0, batch_size_sweep, linear_regression_sum, minibatch_sgd,
                            relative_target)
from core.neural_net import MLPClassifier
from core.sharpness import sharpness_by_batch_size

PAGE = "batch-size"
SWEEP_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)


def problem_of(v):
    x, y = make_line(v["n"], noise=v["noise"], random_state=v["seed"])
    return linear_regression_sum(x, y), x, y


def race(v):
    problem, _, _ = problem_of(v)
    sizes = sorted({v["n"] if s == "full" else int(s) for s in v["sizes"]})
    return {B: minibatch_sgd(problem, np.array(DEMO_THETA0), B, v["lr"] * (B / sizes[0] if v["scale_lr"] else 1),
                             v["steps"], random_state=v["seed"]) for B in sizes}


def noise_scales(v) -> dict:
    """ε_max, B_noise and B_simple at the start, from the per-example gradients (McCandlish et al. 2018)."""
    problem, x, y = problem_of(v)
    theta = np.array(DEMO_THETA0, float)
    X = np.column_stack([x, np.ones_like(x)])
    grads = 2 * (X @ theta - y)[:, None] * X  # ∇ of (w·x + b − y)² per example
    G = grads.mean(axis=0)
    S = (grads - G).T @ (grads - G) / len(grads)
    H = 2 * X.T @ X / len(X)
    return {"eps_max": G @ G / (G @ H @ G), "b_noise": np.trace(H @ S) / (G @ H @ G),
            "b_simple": np.trace(S) / (G @ G)}


def sweep(v, capped: bool):
    """The page's batch-size sweep on view ``v`` (η capped at 1/λ_max when ``capped``), as the page runs it."""
    problem, x, y = problem_of(v)
    theta0 = np.array(DEMO_THETA0, float)
    target = relative_target(problem, theta0, least_squares_line(x, y), v["target"])
    return batch_size_sweep(problem, theta0, [B for B in SWEEP_SIZES if B <= v["n"]], base_lr=v["base_lr"],
                            rule=v["rule"], target_loss=target, seeds=DEMO_SWEEP["seeds"],
                            patience=DEMO_SWEEP["patience"], random_state=v["seed"],
                            max_lr=1 / np.linalg.eigvalsh(mse_hessian(x))[-1] if capped else None)


@checks(PAGE)
def noisy_but_cheap(v):
    runs = race(v)
    assert v["n"] == 512, "the full batch is not 512 examples"
    one, full = runs[1], runs[v["n"]]
    assert np.sum(np.diff(one.full_loss) > 0) > 30 and np.all(np.diff(full.full_loss) <= 0)  # staggers vs glides
    assert one.examples[-1] < full.examples[1]  # all of batch 1's run costs less than one full-batch step…
    assert one.full_loss[-1] < 0.25 * full.full_loss[1]  # …and gets much further


@checks(PAGE)
def full_batch_cost(v):
    runs = race(v)
    assert runs[32].full_loss[-1] < 1.02 * runs[v["n"]].full_loss[-1], "batch 32 is not nearly as good"
    assert runs[v["n"]].examples[-1] == 16 * runs[32].examples[-1]
    assert np.sum(np.diff(runs[32].full_loss) > 0) < np.sum(np.diff(runs[1].full_loss) > 0) / 2, "not nearly smooth"


@checks(PAGE)
def double_double(v):
    runs = race(v)
    budget = runs[8].examples[-1]  # compare every racer after the same number of examples
    at_budget = [run.full_loss[np.searchsorted(run.examples, budget)] for run in runs.values()]
    assert max(at_budget) / min(at_budget) < 1.15, "the loss-per-example curves do not nearly coincide"
    unscaled = race({**v, "scale_lr": False})
    assert max(r.full_loss[np.searchsorted(r.examples, budget)] for r in unscaled.values()) > 2 * max(at_budget)


@checks(PAGE)
def critical_batch(v):
    result = sweep(v, capped=True)
    steps = np.nanmedian(result.steps, axis=1)
    assert 1.6 < steps[0] / steps[1] < 2.5, "doubling a small batch does not about halve the steps"
    assert abs(steps[-2] / steps[-1] - 1) <= 0.1, "doubling a large one still buys steps"
    assert 20 <= steps[-1] <= 28, f"the steps level off at {steps[-1]}, not near 24"
    s = noise_scales(v)
    assert 5.5 < s["b_simple"] < 6.5 and 0.5 * s["b_simple"] < result.b_crit < 2 * s["b_simple"]
    best_at_1 = s["eps_max"] / (1 + s["b_noise"])  # McCandlish et al. eq. 2.7 at B = 1
    assert abs(v["base_lr"] / best_at_1 - 1) < 0.15, (v["base_lr"], best_at_1)
    assert round(best_at_1, 3) == 0.033


@checks(PAGE)
def flat_minima(v):
    X, y = make_dataset("moons", 400, 0.3, v["seed"])
    X_train, X_test, y_train, y_test = train_test_split(X, y, 0.5, v["seed"])
    result = sharpness_by_batch_size(
        lambda B: MLPClassifier((16, 16), "tanh", learning_rate_init=v["sharp_lr"], batch_size=B,
                                random_state=v["seed"]),
        X_train, y_train, X_test, y_test, (4, 16, 64, 200), n_updates=v["sharp_updates"])
    assert result.sharpness[0] < result.sharpness[-1] / 3, "batch 4 does not end far flatter"
    assert abs(result.train_loss[0] - result.train_loss[-1]) < 0.05, "not at about the same training loss"
    assert abs(result.test_accuracy[0] - result.test_accuracy[-1]) < 0.05, "test accuracy differs a lot"
    assert np.all(np.abs(result.updates / v["sharp_updates"] - 1) <= 0.3), "not about the same number of updates"


@checks(PAGE)
def linear_rule(v):
    """"Each racer uses η × B / (smallest B racing)": the page's race (explorers.jobs.batch_race) against that
    rule, one SGD step per racer recomputed here from the line's gradient."""
    from explorers.jobs import batch_race
    _, x, y = problem_of(v)
    sizes = [8, 32, 128]
    runs, _ = batch_race(x, y, DEMO_THETA0, sizes, 0.01, True, 2, False, "sgd", v["seed"])
    for B, run in zip(sizes, runs):
        assert np.allclose(run.lr, 0.01 * B / 8), (B, run.lr)


@checks(PAGE)
def cap_rule(v):
    """Past 2/λ_max the steep direction's error grows by |1 − ηλ_max| > 1 a step; at η = 1/λ_max it is gone in
    one step (1 − ηλ_max = 0): the Hessian of the mean squared error, 2XᵀX/n, from its formula."""
    _, x, _ = problem_of(v)
    X = np.column_stack([x, np.ones_like(x)])
    lam = np.linalg.eigvalsh(2 * X.T @ X / len(X))[-1]
    assert np.isclose(lam, np.linalg.eigvalsh(mse_hessian(x))[-1])
    assert abs(1 - 2.01 / lam * lam) > 1 and abs(1 - 1 / lam * lam) < 1e-12


@checks(PAGE)
def warmup(v):
    """"Ramp η up linearly over the first steps": η_t = η·t/T_w for t ≤ T_w, then η (Goyal et al. 2017)."""
    from core.minibatch import warmup_lrs
    lrs = warmup_lrs(0.1, 10, 30)
    assert np.allclose(lrs[:10], 0.1 * np.arange(1, 11) / 10) and np.allclose(lrs[10:], 0.1)


@checks(PAGE)
def same_start(v):
    """Every racer starts at θ₀ and takes the same number of update steps (the page's own race)."""
    from explorers.jobs import batch_race
    _, x, y = problem_of(v)
    sizes = sorted({v["n"] if s == "full" else int(s) for s in v["sizes"]})
    runs, _ = batch_race(x, y, DEMO_THETA0, sizes, v["lr"], v["scale_lr"], v["steps"], False, "sgd", v["seed"])
    for run in runs:
        assert np.allclose(run.params[0], DEMO_THETA0) and len(run.params) == v["steps"] + 1


@checks(PAGE)
def without_replacement(v):
    """Cov of a batch mean drawn without replacement is Σ/B · (N − B)/(N − 1), exactly G at B = N: every batch
    of 8 per-example gradients enumerated (itertools), against the formula and core's covariance."""
    from itertools import combinations
    from core.minibatch import batch_gradient_covariance, gradient_noise
    x = np.linspace(-1, 1, 8)
    problem = linear_regression_sum(x, 2 * x - 1 + np.sin(7 * x))
    theta = np.array(DEMO_THETA0, float)
    g = problem.example_gradients(theta)
    G, S = g.mean(axis=0), np.cov(g.T, bias=True)
    noise = gradient_noise(problem, theta)
    for B in (1, 3, 5, 8):
        means = np.array([g[list(c)].mean(axis=0) for c in combinations(range(8), B)])
        exact = np.cov(means.T, bias=True)
        assert np.allclose(exact, S / B * (8 - B) / 7)
        assert np.allclose(batch_gradient_covariance(noise, B, 8, replacement=False), exact)
        if 1 < B:
            assert np.trace(exact) < np.trace(S / B), "it does not shrink faster than Σ/B"
    assert np.allclose(means, G)  # B = N: the batch mean is G itself


@checks(PAGE)
def trade(v):
    """The page's lede and the noise scale's help, on the defaults: batch 1 staggers where the full batch
    glides and costs one example a step instead of n; in the sweep doubling a large batch no longer buys steps;
    McCandlish et al.'s B_simple (from its definition) is within a factor of 2 of the fitted B_crit."""
    runs = race(v)
    one, full = runs[1], runs[v["n"]]
    assert np.sum(np.diff(one.full_loss) > 0) > 30 and np.all(np.diff(full.full_loss) <= 0)
    assert one.examples[1] == 1 and full.examples[1] == v["n"]
    result = sweep(v, capped=v["cap"])
    steps = np.nanmedian(result.steps, axis=1)
    assert steps[0] > 3 * result.s_min, "batch 1 is not noise-dominated"
    assert abs(steps[-2] / steps[-1] - 1) <= 0.1, "doubling a large batch still buys steps"
    b_simple = noise_scales(v)["b_simple"]
    assert 0.5 * b_simple < result.b_crit < 2 * b_simple, (b_simple, result.b_crit)


@checks(PAGE)
def sharp_network(v):
    """"A 2-16-16-1 tanh network": the model the page's sharpness job builds, fitted briefly on 2-D two-class
    data, has layers of 2, 16, 16 and 1 units and tanh hidden activations."""
    from explorers.jobs import _sharpness_model
    X, y = make_dataset("moons", 40, 0.3, v["seed"])
    model = _sharpness_model(8, v["sharp_lr"], v["seed"])
    model.max_iter = 1
    model.fit(X, y)
    assert tuple(model.layer_units_) == (2, 16, 16, 1) and set(model.activations) == {"tanh"}, model.layer_units_
