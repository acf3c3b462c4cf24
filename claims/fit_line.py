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
