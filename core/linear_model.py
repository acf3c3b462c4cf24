"""Fit a line ``y ≈ w·x + b`` by minimising the mean squared error.

.. math::
    L(w, b) = \\frac{1}{n} \\sum_i (w x_i + b - y_i)^2

    \\frac{\\partial L}{\\partial w} = \\frac{2}{n} \\sum_i (w x_i + b - y_i)\\, x_i, \\qquad
    \\frac{\\partial L}{\\partial b} = \\frac{2}{n} \\sum_i (w x_i + b - y_i)

    H = \\frac{2}{n} \\begin{pmatrix} \\sum x_i^2 & \\sum x_i \\\\ \\sum x_i & n \\end{pmatrix}

The loss is a quadratic bowl in (w, b), so its Hessian is the same everywhere and gradient descent is stable
exactly when the learning rate is below ``2 / λ_max(H)``.
"""

from __future__ import annotations

import numpy as np

from core.gradient_descent import Trajectory, gradient_descent
from core.validation import MAX_ABS, check_array, check_float, check_int


def mse_loss(params, x, y):
    """Mean squared error of the line(s) ``params = (..., [w, b])``; vectorised over leading axes.

    ``params`` of shape (2,) gives a scalar; shape (H, W, 2) (a grid) gives an (H, W) loss surface. Everything
    must be finite and within ±1e50 (so the squares cannot overflow); x and y are 1-D of the same length.
    """
    return _mse_loss(_check_params(params), *_check_data(x, y))


def mse_gradient(params, x, y):
    """Analytic gradient ``[∂L/∂w, ∂L/∂b]`` of :func:`mse_loss`, same broadcasting."""
    return _mse_gradient(_check_params(params), *_check_data(x, y))


def mse_hessian(x):
    """The (constant) 2x2 Hessian of :func:`mse_loss` with respect to ``(w, b)``."""
    x, _ = _check_data(x, x)
    n = x.shape[-1]
    return 2.0 / n * np.array([[np.sum(x * x), np.sum(x)], [np.sum(x), n]])


#: Residuals computed at once for a grid of lines. A loss surface broadcast in one go is a (lines × points)
#: array per intermediate step: 80×80 lines over 1,920 points made ~100 MB temporaries, and the server's memory
#: jumped by 200 MB under load. In blocks of this many residuals it stays at a few MB, with the same numbers.
BLOCK_ELEMENTS = 1 << 18


# The kernels, without the checks: gradient descent calls them at every step on data checked once.
def _mse_loss(params, x, y):
    if params.ndim > 1 and params[..., 0].size * x.shape[-1] > BLOCK_ELEMENTS:
        return _in_blocks(_mean_squared_residual, params, x, y)
    return _mean_squared_residual(params, x, y)


def _mean_squared_residual(params, x, y):
    w, b = params[..., 0, None], params[..., 1, None]
    residual = w * x + b - y
    return np.mean(residual**2, axis=-1)


def _in_blocks(kernel, params, x, y):
    """``kernel`` over the lines of a grid ``params`` (..., 2), a block of rows at a time."""
    lines = params.reshape(-1, 2)
    step = max(1, BLOCK_ELEMENTS // max(x.shape[-1], 1))
    out = np.concatenate([kernel(lines[i:i + step], x, y) for i in range(0, len(lines), step)])
    return out.reshape(params.shape[:-1])


def _mse_gradient(params, x, y):
    w, b = params[..., 0, None], params[..., 1, None]
    residual = w * x + b - y
    n = x.shape[-1]
    return np.stack([2.0 / n * np.sum(residual * x, axis=-1),
                     2.0 / n * np.sum(residual, axis=-1)], axis=-1)


def _check_params(params) -> np.ndarray:
    params = check_array("params", params, max_abs=MAX_ABS)
    if params.ndim == 0 or params.shape[-1] != 2:
        raise ValueError(f"params must hold (w, b) on its last axis, got shape {params.shape}.")
    return params


def _check_data(x, y) -> tuple[np.ndarray, np.ndarray]:
    x, y = check_array("x", x, max_abs=MAX_ABS), check_array("y", y, max_abs=MAX_ABS)
    if x.ndim != 1 or y.shape != x.shape or x.size == 0:
        raise ValueError(f"x and y must be 1-D arrays of the same, non-zero length; got shapes {x.shape} and "
                         f"{y.shape}.")
    return x, y


def least_squares_line(x, y):
    """The exact minimiser ``[w, b]`` of :func:`mse_loss`: the least-squares line through the points.

    .. math:: \\min_{w,b} \\lVert [x\\;1] \\begin{pmatrix} w \\\\ b \\end{pmatrix} - y \\rVert^2
    """
    x, y = _as_xy(x, y)
    return np.linalg.lstsq(np.column_stack([x, np.ones_like(x)]), y, rcond=None)[0]


class LinearRegressionGD:
    """Least-squares line fitted by plain (full-batch) gradient descent.

    Mirrors ``sklearn.linear_model.LinearRegression`` (``fit``, ``predict``, ``coef_``, ``intercept_``) and
    keeps the whole run in ``trajectory_`` so every step can be drawn.

    Parameters
    ----------
    learning_rate : float > 0, the step size η in ``θ ← θ − η ∇L(θ)``.
    n_steps : int ≥ 1, how many updates to take (fewer if the run blows up).
    w0, b0 : float, the starting line.
    """

    def __init__(self, learning_rate: float = 0.1, n_steps: int = 100, w0: float = 0.0, b0: float = 0.0):
        self.learning_rate = learning_rate
        self.n_steps = n_steps
        self.w0 = w0
        self.b0 = b0

    def fit(self, X, y):
        """Run gradient descent on the MSE of ``y ≈ w·X + b``; returns ``self``."""
        x, y = _as_xy(X, y)
        lr = check_float("learning_rate", self.learning_rate, low=0.0, low_inclusive=False)
        steps = check_int("n_steps", self.n_steps, low=1, high=100_000)
        start = [check_float("w0", self.w0, low=-MAX_ABS, high=MAX_ABS),
                 check_float("b0", self.b0, low=-MAX_ABS, high=MAX_ABS)]
        self.trajectory_ = gradient_descent(lambda p: _mse_loss(p, x, y), lambda p: _mse_gradient(p, x, y),
                                            start, lr, steps)
        # The fitted line is the last one whose loss is finite: a run that overflowed ends on a step to inf/NaN.
        last = np.flatnonzero(np.isfinite(self.trajectory_.loss))[-1]
        self.coef_ = self.trajectory_.params[last, :1].copy()
        self.intercept_ = float(self.trajectory_.params[last, 1])
        self.n_iter_ = self.trajectory_.n_steps
        self.diverged_at_ = self.trajectory_.diverged_at
        return self

    def predict(self, X):
        """``w·X + b`` with the fitted line."""
        if not hasattr(self, "coef_"):
            raise ValueError("This LinearRegressionGD has not been fitted yet; call fit(X, y) first.")
        x = check_array("X", X, max_abs=MAX_ABS).reshape(-1)
        with np.errstate(over="ignore"):
            prediction = self.coef_[0] * x + self.intercept_
        if not np.all(np.isfinite(prediction)):
            raise ValueError("The fitted line overflows at these X (its slope is huge: the fit diverged); "
                             "lower the learning rate and fit again.")
        return prediction


def _as_xy(X, y):
    x = check_array("X", X, finite=False)
    if x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]
    y = check_array("y", y, finite=False)
    if x.ndim != 1 or y.shape != x.shape:
        raise ValueError(f"X must have one feature and match y; got X of shape {np.shape(X)} "
                         f"and y of shape {np.shape(y)}.")
    if x.size < 2:
        raise ValueError(f"Fitting a line needs at least 2 points, got {x.size}.")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("X and y must be finite numbers (found NaN or infinity).")
    if max(np.max(np.abs(x)), np.max(np.abs(y))) > MAX_ABS:
        raise ValueError(f"X and y must lie within ±{MAX_ABS:g} (their squares must stay finite); rescale them.")
    return x, y
