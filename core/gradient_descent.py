"""Plain gradient descent that records every step, and the stability limit of its learning rate.

.. math:: \\theta_{k+1} = \\theta_k - \\eta\\, \\nabla L(\\theta_k)

On a quadratic with Hessian ``H`` the error along each eigenvector is multiplied by ``1 − η λ`` per step,
so the run converges iff ``|1 − η λ| < 1`` for every eigenvalue λ, that is iff ``η < 2 / λ_max``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.validation import check_array, check_float, check_int

#: A run is stopped (and flagged) once its loss exceeds the start by this factor: drawing it further shows nothing.
BLOWUP_FACTOR = 1e12
#: A loss above its start that rises this many steps in a row counts as diverging.
GROWTH_PATIENCE = 3


@dataclass(frozen=True)
class Trajectory:
    """The whole run: row ``k`` of each array is step ``k`` (row 0 is the start).

    ``params[k]`` is θ_k, ``loss[k]`` is L(θ_k), ``grad[k]`` is ∇L(θ_k). ``diverged_at`` is the step at
    which divergence was detected (``None`` if it was not) and ``reason`` says why.
    """

    params: np.ndarray
    loss: np.ndarray
    grad: np.ndarray
    learning_rate: float
    diverged_at: int | None = None
    reason: str | None = None

    @property
    def n_steps(self) -> int:
        """Number of updates actually taken (the run may stop early when it blows up)."""
        return len(self.loss) - 1


def gradient_descent(loss, grad, start, learning_rate: float, n_steps: int) -> Trajectory:
    """Take ``n_steps`` of ``θ ← θ − η ∇L(θ)`` from ``start`` and return the :class:`Trajectory`.

    ``loss`` and ``grad`` are functions of a parameter vector. Divergence is flagged at the first step where
    the loss is not finite, or is above its starting value and has risen ``GROWTH_PATIENCE`` steps in a row;
    the run stops early once the loss is non-finite or ``BLOWUP_FACTOR`` times its start.
    """
    learning_rate = check_float("learning_rate", learning_rate, low=0.0, low_inclusive=False)
    n_steps = check_int("n_steps", n_steps, low=1, high=100_000)
    theta = check_array("start", start, ndim=1)
    if theta.size == 0:
        raise ValueError("start must hold at least one parameter, got an empty array.")
    params = np.full((n_steps + 1, theta.size), np.nan)
    losses = np.full(n_steps + 1, np.nan)
    grads = np.full((n_steps + 1, theta.size), np.nan)
    diverged_at, reason, rises = None, None, 0
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(n_steps + 1):
            params[k], losses[k], grads[k] = theta, loss(theta), grad(theta)
            if not np.isfinite(losses[k]) or not np.all(np.isfinite(grads[k])):
                diverged_at = k if diverged_at is None else diverged_at
                reason = reason or "the loss overflowed to infinity/NaN"
                break
            rises = rises + 1 if k and losses[k] > losses[k - 1] else 0
            if diverged_at is None and rises >= GROWTH_PATIENCE and losses[k] > losses[0]:
                diverged_at = k
                reason = f"the loss rose {rises} steps in a row and passed its starting value"
            if losses[k] > BLOWUP_FACTOR * (1.0 + losses[0]):
                break
            if k < n_steps:
                theta = theta - learning_rate * grads[k]
    last = k + 1
    return Trajectory(params[:last], losses[:last], grads[:last], learning_rate, diverged_at, reason)


def max_stable_learning_rate(hessian) -> float:
    """``2 / λ_max(H)``: the largest learning rate for which gradient descent converges on a quadratic."""
    H = check_array("hessian", hessian, ndim=2)
    if H.shape[0] != H.shape[1] or H.size == 0:
        raise ValueError(f"hessian must be a square matrix, got shape {H.shape}.")
    with np.errstate(over="ignore"):  # a Hessian near 1e308 overflows inside LAPACK's scaling: reported below
        eigenvalues = np.linalg.eigvalsh(H)
    top = float(eigenvalues[-1])
    if not np.isfinite(top):
        raise ValueError("The Hessian's eigenvalues overflow; rescale the problem.")
    if not top > 0:
        raise ValueError("The Hessian has no positive eigenvalue, so no learning rate is stable.")
    if not np.isfinite(2.0 / top):
        raise ValueError(f"The Hessian's largest eigenvalue ({top:.3g}) is too close to 0 for a finite limit: "
                         "every learning rate up to the largest float is stable.")
    return 2.0 / top
