"""Checks of the fit-a-line page's sentences: gradient descent on the mean squared error written out here from
its formula (L = mean((w·x + b − y)²)), with scikit-learn's LinearRegression as the least-squares reference."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LinearRegression

from claims import checks
from core.datasets import make_line

PAGE = "fit-a-line"


def problem(v: dict):
    x, y = make_line(v["n"], w=v["w_true"], b=v["b_true"], noise=v["noise"], random_state=v["seed"])
    X = np.column_stack([x, np.ones_like(x)])
    return X, y


def descend(v: dict) -> tuple[np.ndarray, np.ndarray]:
    """(w, b) at every step and the loss there; stops where the loss leaves the finite."""
    X, y = problem(v)
    theta, path, loss = np.array([v["w0"], v["b0"]], float), [], []
    with np.errstate(all="ignore"):
        for _ in range(v["steps"] + 1):
            r = X @ theta - y
            path.append(theta)
            loss.append(np.mean(r ** 2))
            if not np.isfinite(loss[-1]) or loss[-1] > 1e50:
                break
            theta = theta - v["lr"] * 2 * X.T @ r / len(y)
    return np.array(path), np.array(loss)


def lr_max(v: dict) -> float:
    X, _ = problem(v)
    return 2 / np.linalg.eigvalsh(2 * X.T @ X / len(X))[-1]


def optimum(v: dict) -> np.ndarray:
    X, y = problem(v)
    fit = LinearRegression().fit(X[:, :1], y)
    return np.array([fit.coef_[0], fit.intercept_])


def min_loss(v: dict) -> float:
    X, y = problem(v)
    return float(np.mean((X @ optimum(v) - y) ** 2))


@checks(PAGE)
def good(v):
    path, loss = descend(v)
    assert v["lr"] < lr_max(v)
    excess = loss - min_loss(v)
    assert excess[-1] < 1e-3 * excess[0], "the loss does not fall by orders of magnitude"
    assert np.linalg.norm(path[-1] - optimum(v)) < 0.05, "the path does not reach the least-squares line"


@checks(PAGE)
def crawling(v):
    path, loss = descend(v)
    assert v["steps"] == 100
    assert np.all(np.diff(loss) < 0) and loss[-1] - loss[-2] < -1e-4, "the loss is not still falling"
    assert np.linalg.norm(path[-1] - optimum(v)) > 0.5 * np.linalg.norm(path[0] - optimum(v)), "it got far"


def bounces(path: np.ndarray, v: dict) -> np.ndarray:
    """The distance from the optimum along the steepest direction of the bowl, step by step."""
    X, _ = problem(v)
    steep = np.linalg.eigh(X.T @ X)[1][:, -1]
    return (path - optimum(v)) @ steep


@checks(PAGE)
def edge(v):
    path, loss = descend(v)
    assert 0.9 * lr_max(v) < v["lr"] < lr_max(v), "η is not just below 2/λ_max"
    along = bounces(path, v)
    assert np.all(along[:-1] * along[1:] < 0), "the path does not bounce from wall to wall"
    assert np.all(np.abs(along[1:]) < np.abs(along[:-1])), "the bounces do not shrink"
    assert loss[-1] < loss[0]


@checks(PAGE)
def diverging(v):
    path, loss = descend(v)
    assert v["lr"] > lr_max(v)
    along = bounces(path, v)
    assert np.all(along[:-1] * along[1:] < 0) and np.all(np.abs(along[1:]) > np.abs(along[:-1])), \
        "the path does not bounce outward"
    assert loss[-1] > 1e6 * loss[0], "the loss does not explode"


@checks(PAGE)
def stable_limit(v):
    """"Past 2/λ_max every step overshoots further": the factor along the steep axis is |1 − ηλ_max| > 1."""
    X, _ = problem(v)
    lam = np.linalg.eigvalsh(2 * X.T @ X / len(X))[-1]
    for lr in (1.01 * 2 / lam, 1.5 * 2 / lam):
        assert abs(1 - lr * lam) > 1


@checks(PAGE)
def update_rule(v):
    """"Each update moves (w, b) by η times the negative gradient": core's run against the gradient written out
    here, 2/n Σ (w·x + b − y)(x, 1)."""
    from core.linear_model import LinearRegressionGD
    X, y = problem(v)
    traj = LinearRegressionGD(learning_rate=v["lr"], n_steps=5, w0=v["w0"], b0=v["b0"]).fit(X[:, 0], y).trajectory_
    for k in range(5):
        grad = 2 * X.T @ (X @ traj.params[k] - y) / len(y)
        assert np.allclose(traj.params[k + 1], traj.params[k] - v["lr"] * grad)


@checks(PAGE)
def shorter_steps(v):
    """With η fixed below 2/λ_max, each step is shorter than the one before: g_{k+1} = (I − ηH) g_k contracts."""
    path, _ = descend(v)
    steps = np.linalg.norm(np.diff(path, axis=0), axis=1)
    assert v["lr"] < lr_max(v) and np.all(steps[1:] <= steps[:-1] * (1 + 1e-12)), "a step got longer"


@checks(PAGE)
def finite_difference(v):
    """On this loss, quadratic in w with curvature 2·mean(x²): the forward difference's error is exactly
    h·mean(x²) (it falls like h) until round-off takes over, so h = 1e-12 is worse than 1e-6; the central
    difference has no truncation error at all, only round-off, which grows as h shrinks."""
    X, y = problem(v)
    x, b, w = X[:, 0], v["b0"], v["w0"]
    loss = lambda w: np.mean((w * x + b - y) ** 2)  # noqa: E731
    slope = 2 * np.mean((w * x + b - y) * x)
    fwd = lambda h: abs((loss(w + h) - loss(w)) / h - slope)  # noqa: E731
    ctr = lambda h: abs((loss(w + h) - loss(w - h)) / (2 * h) - slope)  # noqa: E731
    for h in (1e-1, 1e-2, 1e-3):
        assert np.isclose(fwd(h), h * np.mean(x ** 2), rtol=1e-6), "the forward error is not h·mean(x²)"
    assert fwd(1e-12) > 100 * fwd(1e-6), "round-off does not take over"
    assert max(ctr(h) for h in (1.0, 1e-1, 1e-2)) < 1e-12 < ctr(1e-8) < ctr(1e-12), "central is not round-off alone"
