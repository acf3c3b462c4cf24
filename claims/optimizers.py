"""Checks of the optimizer race's sentences: each re-runs the race with the optimizers' published update rules
(PyTorch's ``torch.optim`` documentation) on the surfaces' closed forms, written out here apart from ``core``."""

from __future__ import annotations

import numpy as np

from claims import checks

PAGE = "optimizers"


def gradient(v: dict):
    """The surface's gradient, written from its formula (not ``core.objectives``)."""
    if v["surface"] == "bowl":
        t = np.deg2rad(v["angle"])
        R = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
        A = R @ np.diag([1.0, v["condition"]]) @ R.T
        return lambda p: A @ p
    if v["surface"] == "rosenbrock":  # (1 − x)² + 100 (y − x²)²
        return lambda p: np.array([-2 * (1 - p[0]) - 400 * p[0] * (p[1] - p[0] ** 2), 200 * (p[1] - p[0] ** 2)])
    if v["surface"] == "saddle":  # x² − y² + y⁴/4
        return lambda p: np.array([2 * p[0], -2 * p[1] + p[1] ** 3])
    if v["surface"] == "rastrigin":  # 20 + Σ p² − 10 cos 2πp
        return lambda p: 2 * p + 20 * np.pi * np.sin(2 * np.pi * p)
    raise AssertionError(f"no reference for the {v['surface']} surface")


def path(name: str, v: dict, lr: float | None = None) -> np.ndarray:
    """Positions p_0..p_steps of one racer under ``torch.optim``'s rule (NaN after it leaves the finite)."""
    grad, lr, beta = gradient(v), v["lr"] if lr is None else lr, v["beta"]
    p = np.array([v["x0"], v["y0"]], dtype=float)
    out = np.full((v["steps"] + 1, 2), np.nan)
    out[0] = p
    buf, m, s = np.zeros(2), np.zeros(2), np.zeros(2)
    with np.errstate(all="ignore"):
        for t in range(1, v["steps"] + 1):
            g = grad(p)
            if name == "sgd":
                p = p - lr * g
            elif name in ("momentum", "nesterov"):  # SGD(momentum=β[, nesterov=True]): buf = β·buf + g
                buf = beta * buf + g if t > 1 else g.copy()
                p = p - lr * (g + beta * buf if name == "nesterov" else buf)
            elif name == "adam":  # Adam(betas=(0.9, 0.999), eps=1e-8), bias-corrected
                m, s = 0.9 * m + 0.1 * g, 0.999 * s + 0.001 * g * g
                p = p - lr * (m / (1 - 0.9 ** t)) / (np.sqrt(s / (1 - 0.999 ** t)) + 1e-8)
            else:
                raise AssertionError(f"no reference rule for {name}")
            if not np.all(np.isfinite(p)) or np.abs(p).max() > 1e6:
                break
            out[t] = p
    return out


def diverged_at(track: np.ndarray) -> int | None:
    bad = ~np.isfinite(track).all(axis=1)
    return int(np.argmax(bad)) if bad.any() else None


def bowl_value(v: dict, p: np.ndarray) -> float:
    """½ pᵀAp: the bowl's height, from its gradient Ap."""
    return float(0.5 * p @ gradient(v)(p))


@checks(PAGE)
def zigzag(v):
    gd, mom = path("sgd", v), path("momentum", v)
    t = np.deg2rad(v["angle"])
    across = np.diff(gd[:20], axis=0) @ np.array([-np.sin(t), np.cos(t)])  # the steep direction
    assert np.all(across[:-1] * across[1:] < 0), "gradient descent does not zig-zag across the valley"
    assert v["lr"] > 0.8 * 2 / v["condition"], "η is not near the largest stable step 2/κ"
    assert v["beta"] == 0.5
    assert bowl_value(v, mom[-1]) < 0.01 * bowl_value(v, gd[-1]), "momentum does not end far closer"


@checks(PAGE)
def rosenbrock(v):
    ends = {n: path(n, v)[-1] for n in ("sgd", "momentum", "adam")}
    assert np.linalg.norm(ends["momentum"] - [1, 1]) < 0.05, "momentum does not reach (1, 1)"
    assert np.linalg.norm(ends["sgd"] - [1, 1]) > 1.0, "gradient descent does not crawl"
    adam = path("adam", v)
    assert np.abs(np.diff(adam, axis=0)).max() < 1.5 * v["lr"], "Adam's steps are not about η per coordinate"
    assert np.linalg.norm(adam[-1] - [1, 1]) > 1.0, "Adam does not barely move"
    assert diverged_at(path("sgd", v, lr=0.1)) < 10, "gradient descent at η = 0.1 does not blow up at once"
    assert np.linalg.norm(path("adam", v, lr=0.1)[-1] - [1, 1]) < 0.25, "Adam at η = 0.1 is not close to (1, 1)"


def off_the_ridge(track: np.ndarray) -> int:
    """The first step at which |y| > 0.5: the racer has left the ridge y = 0 for a valley at y = ±√2."""
    return int(np.argmax(np.abs(track[:, 1]) > 0.5))


@checks(PAGE)
def saddle(v):
    assert v["y0"] == 0.00001
    off = {n: off_the_ridge(path(n, v)) for n in ("sgd", "momentum", "adam")}
    assert 105 <= off["sgd"] <= 125, off
    assert 35 <= off["momentum"] <= 45, off
    adam = path("adam", v)
    assert abs(adam[1, 1]) > 0.9 * v["lr"], "Adam's first step is not about η off the ridge"
    assert 9 <= off["adam"] <= 13, off


@checks(PAGE)
def rastrigin(v):
    for name in ("sgd", "momentum", "adam"):
        assert np.allclose(path(name, v)[-1], [2, -2], atol=0.05), f"{name} does not stay near (2, −2)"


@checks(PAGE)
def too_large(v):
    assert (v["condition"], v["angle"]) == (10.0, 0.0) and v["lr"] == 0.3
    gd = path("sgd", v)
    # along the steep axis a step multiplies y by 1 − ηκ = −2
    assert np.isclose(abs(gd[10, 1] / gd[0, 1]), 2 ** 10), gd[:11, 1]
    assert np.abs(path("adam", v)).max() < 10, "Adam's steps do not stay bounded"


@checks(PAGE)
def overshoot(v):
    heavy, nesterov = path("momentum", v), path("nesterov", v)
    assert np.any(np.diff(np.sign(heavy[:, 0])) != 0), "the heavy ball never passes the minimum"
    assert bowl_value(v, heavy[-1]) > 1e-4 > 1e-8 > bowl_value(v, nesterov[-1])


@checks(PAGE)
def same_start(v):
    """Every racer starts at the same point and sees the same gradients: core's race, its first position and
    first gradient the same for every racer."""
    from core.expressions import objective_for
    from core.optimizers import optimizers_for, race
    objective = objective_for(v["surface"], v["expr"], v["condition"], v["angle"])
    opts = ("sgd", "momentum", "adam")
    result = race(objective.gradient, objective.value, optimizers_for(opts, (v["lr"],) * 3, v["beta"], v["beta2"],
                                                                      v["wd"]), [v["x0"], v["y0"]], 5)
    assert np.allclose(result.positions[:, 0], [v["x0"], v["y0"]])
    assert np.allclose(result.grad[:, 0], gradient(v)(np.array([v["x0"], v["y0"]])))
