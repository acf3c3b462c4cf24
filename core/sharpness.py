"""How sharp is a minimum? The largest Hessian eigenvalue by power iteration, and the loss along a line.

Keskar et al. (2017), "On Large-Batch Training for Deep Learning: Generalization Gap and Sharp Minima", found
that large batches tend to end in sharper minima — a larger top eigenvalue of the Hessian of the training loss —
and that the loss along the straight line between a small-batch and a large-batch solution shows it.

Only gradients are needed: a Hessian-vector product is the derivative of the gradient in direction v,

.. math:: H v \\approx \\frac{\\nabla L(\\theta + \\varepsilon v) - \\nabla L(\\theta - \\varepsilon v)}{2\\varepsilon},

exact up to rounding for a quadratic loss and accurate to O(ε²) otherwise. Power iteration
:math:`v \\leftarrow Hv / \\lVert Hv \\rVert` then converges to the eigenvector of the eigenvalue largest in size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from core.neural_net import MLPClassifier, _check_test_xy, _check_xy
from core.validation import MAX_ABS, check_array, check_float, check_int, check_random_state

#: Most parameters :func:`numerical_hessian` builds a full Hessian for (its P × P matrix is 8 MB at 1000).
MAX_HESSIAN_PARAMS = 1000
#: Most positions :func:`loss_along_line` evaluates, and the farthest it extrapolates.
MAX_ALPHAS, MAX_ALPHA = 10_000, 1000.0


def hessian_vector_product(grad_fn: Callable, theta, v, eps: float = 1e-4) -> np.ndarray:
    """H(θ)·v by a central difference of gradients along v (scaled so the step is ``eps`` long, 0 < eps ≤ 1)."""
    theta, v = _check_theta(theta), check_array("v", v, max_abs=MAX_ABS)
    if v.shape != theta.shape:
        raise ValueError(f"v must have the shape of theta {theta.shape}, got {v.shape}.")
    eps = check_float("eps", eps, low=0.0, low_inclusive=False, high=1.0)
    size = np.linalg.norm(v)
    if size == 0:
        return np.zeros_like(theta)
    u = v / size
    return size * (np.asarray(grad_fn(theta + eps * u)) - np.asarray(grad_fn(theta - eps * u))) / (2 * eps)


def numerical_hessian(grad_fn: Callable, theta, eps: float = 1e-4) -> np.ndarray:
    """The full Hessian, one Hessian-vector product per coordinate, symmetrised (for checks and tiny models:
    at most 1000 parameters)."""
    theta = _check_theta(theta)
    if theta.size > MAX_HESSIAN_PARAMS:
        raise ValueError(f"numerical_hessian builds a {theta.size} × {theta.size} matrix; it is meant for at most "
                         f"{MAX_HESSIAN_PARAMS} parameters (use top_hessian_eigenvalue for more).")
    columns = [hessian_vector_product(grad_fn, theta, e, eps) for e in np.eye(len(theta))]
    H = np.column_stack(columns)
    return (H + H.T) / 2


@dataclass(frozen=True)
class TopEigen:
    """The Hessian eigenvalue largest in size, its unit eigenvector, and the iterations power iteration took."""

    value: float
    vector: np.ndarray
    n_iter: int


def top_hessian_eigenvalue(grad_fn: Callable, theta, *, n_iter: int = 200, tol: float = 1e-7,
                           eps: float = 1e-4, random_state: int | None = 0) -> TopEigen:
    """Power iteration on Hessian-vector products: the sharpness λ_max of the loss at ``theta``.

    Stops when the Rayleigh quotient vᵀHv changes by less than ``tol`` (relative) between iterations.
    Near a minimum the Hessian is (nearly) positive semi-definite, so the eigenvalue largest in size is λ_max.
    """
    n_iter = check_int("n_iter", n_iter, low=1, high=100_000)
    tol = check_float("tol", tol, low=0.0, low_inclusive=False)
    theta = _check_theta(theta)
    v = check_random_state(random_state).standard_normal(theta.shape)
    v /= np.linalg.norm(v)
    value = 0.0
    for k in range(1, n_iter + 1):
        Hv = hessian_vector_product(grad_fn, theta, v, eps)
        if not np.all(np.isfinite(Hv)):
            raise ValueError("The gradient is not finite around theta, so its Hessian cannot be measured there.")
        new_value = float(v @ Hv)  # Rayleigh quotient of the current unit vector
        size = np.linalg.norm(Hv)
        if size == 0:
            return TopEigen(0.0, v, k)
        v = Hv / size
        if k > 1 and abs(new_value - value) <= tol * max(abs(new_value), 1e-12):
            return TopEigen(new_value, v, k)
        value = new_value
    return TopEigen(value, v, n_iter)


def loss_along_line(loss_fn: Callable, theta_a, theta_b, alphas) -> np.ndarray:
    """L((1 − α) θ_a + α θ_b) for each α: α = 0 is θ_a, α = 1 is θ_b, outside [0, 1] extrapolates (|α| ≤ 1000,
    at most 10,000 of them)."""
    theta_a, theta_b = _check_theta(theta_a, "theta_a"), _check_theta(theta_b, "theta_b")
    if theta_b.shape != theta_a.shape:
        raise ValueError(f"theta_a and theta_b must have the same shape, got {theta_a.shape} and {theta_b.shape}.")
    alphas = _check_alphas(alphas)
    return np.array([loss_fn((1 - a) * theta_a + a * theta_b) for a in alphas])


def _check_theta(theta, name: str = "theta") -> np.ndarray:
    theta = check_array(name, theta, ndim=1, max_abs=MAX_ABS)
    if theta.size == 0:
        raise ValueError(f"{name} must hold at least one parameter, got none.")
    return theta


def _check_alphas(alphas) -> np.ndarray:
    alphas = check_array("alphas", alphas, ndim=1)
    if len(alphas) > MAX_ALPHAS or np.any(np.abs(alphas) > MAX_ALPHA):
        raise ValueError(f"alphas must be at most {MAX_ALPHAS:,} positions within ±{MAX_ALPHA:g}, got {len(alphas):,} "
                         f"up to {np.max(np.abs(alphas), initial=0):g}.")
    return alphas


@dataclass
class SharpnessResult:
    """One network trained per batch size for about the same number of updates, and how sharp each ended up.

    batch_sizes, epochs : (k,) the batch sizes and the whole epochs each ran (round(n_updates × B / N), at least 1).
    updates : (k,) the updates each ran (the model's ``t_``): epochs × ⌈N / B⌉ (an epoch ends with a smaller batch when B does not
        divide N), so not exactly ``n_updates``: e.g. 4,000, 4,160, 5,120 and 4,000 for B = 4, 16, 64, 200 of
        N = 200 at 4,000.
    sharpness : (k,) λ_max of the training loss at each solution.
    train_loss, train_accuracy, test_accuracy : (k,) at each solution (test NaN without test data).
    alphas : (m,) positions on the line from the smallest-batch solution (α = 0) to the largest (α = 1).
    line_train, line_test : (m,) the loss along that line on the training and test data.
    """

    batch_sizes: np.ndarray
    epochs: np.ndarray
    updates: np.ndarray
    sharpness: np.ndarray
    train_loss: np.ndarray
    train_accuracy: np.ndarray
    test_accuracy: np.ndarray
    alphas: np.ndarray
    line_train: np.ndarray
    line_test: np.ndarray


def sharpness_by_batch_size(make_model: Callable, X_train, y_train, X_test, y_test, batch_sizes, *,
                            n_updates: int, alphas=np.linspace(-0.5, 1.5, 41),
                            callback: Callable[[int, int], object] | None = None) -> SharpnessResult:
    """Keskar et al.'s experiment in small: for each batch size B, train ``make_model(B)`` (an unfitted
    :class:`~core.neural_net.MLPClassifier`) for the whole number of epochs nearest to ``n_updates`` updates
    (``updates`` in the result says how many each ran), then measure λ_max and the loss along the line between
    the smallest- and the largest-batch solutions.

    About equal updates, not equal epochs: a large batch then sees far more examples, so it is not simply
    under-trained when it ends somewhere sharper. ``callback(done, 2k)``, if given, is called after each of the
    k trainings and after each λ_max; an exception it raises stops the experiment there.
    """
    n_updates = check_int("n_updates", n_updates, low=1, high=100_000)
    X_train, y_train = _check_xy(X_train, y_train, "X_train", "y_train")
    X_test, y_test = _check_test_xy(X_test, y_test, X_train.shape[1])
    if not np.all(np.isin(y_test, y_train)):
        raise ValueError("y_test holds labels that are not in y_train; a network can only be tested on its classes.")
    alphas = _check_alphas(alphas)
    sizes = np.atleast_1d(np.asarray(batch_sizes, dtype=object))
    if sizes.ndim != 1 or not 1 <= len(sizes) <= 20:
        raise ValueError(f"batch_sizes must list 1 to 20 batch sizes, got {batch_sizes!r}.")
    models, rows = [], []
    steps = 2 * len(sizes)
    for i, B in enumerate(sizes.tolist()):
        B = min(check_int("batch size", B, low=1), len(X_train))
        epochs = max(1, round(n_updates * B / len(X_train)))
        model = make_model(B)
        if not isinstance(model, MLPClassifier):
            raise ValueError(f"make_model must return an MLPClassifier, got {type(model).__name__}.")
        model.max_iter = epochs
        model.check_params()
        model.fit(X_train, y_train)
        if callback is not None:
            callback(2 * i + 1, steps)
        Y = model.targets(y_train)
        top = top_hessian_eigenvalue(lambda t, m=model, Y=Y: m.gradient(t, X_train, Y), model.theta_,
                                     n_iter=300, tol=1e-5)
        if callback is not None:
            callback(2 * i + 2, steps)
        models.append(model)
        rows.append((B, epochs, model.t_, top.value, model.objective(model.theta_, X_train, Y), model.score(X_train, y_train),
                     model.score(X_test, y_test) if len(X_test) else np.nan))
    first, last = models[0], models[-1]
    Y_train = first.targets(y_train)
    Y_test = first.targets(y_test) if len(X_test) else None
    line_train = loss_along_line(lambda t: first.objective(t, X_train, Y_train), first.theta_, last.theta_, alphas)
    line_test = (loss_along_line(lambda t: first.objective(t, X_test, Y_test), first.theta_, last.theta_, alphas)
                 if Y_test is not None else np.full(len(alphas), np.nan))
    columns = [np.array(c, dtype=float) for c in zip(*rows)]
    if not np.all(np.isfinite(columns[3])):
        raise ValueError("The gradient is not finite at a trained network, so its sharpness cannot be measured.")
    return SharpnessResult(columns[0].astype(int), columns[1].astype(int), columns[2].astype(int), *columns[3:],
                           np.asarray(alphas, float), line_train, line_test)
