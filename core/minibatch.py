"""Mini-batch SGD on finite sums: recorded runs, gradient noise and batch-size sweeps.

Every training loss here is a finite sum over N examples,

.. math:: L(\\theta) = \\frac1N \\sum_{i=1}^N \\ell_i(\\theta), \\qquad
          G = \\nabla L(\\theta) = \\frac1N \\sum_i g_i, \\quad g_i = \\nabla \\ell_i(\\theta),

and a step of mini-batch SGD replaces G by the mean gradient of a batch :math:`\\mathcal B` of B examples,
:math:`\\theta_t = \\theta_{t-1} - \\eta_t\\, G_{\\mathcal B}(\\theta_{t-1})`. The batch gradient is an unbiased
estimate of G whose covariance shrinks like 1/B (:func:`batch_gradient_covariance`). McCandlish et al. (2018,
"An Empirical Model of Large-Batch Training") condense the trade-off into the *simple noise scale*

.. math:: B_{\\text{simple}} = \\frac{\\operatorname{tr}\\Sigma}{\\lvert G\\rvert^2},

the batch size at which the noise in :math:`G_{\\mathcal B}` is as large as G itself: far below it, doubling B
halves the steps needed (perfect scaling, the learning rate can double too); far above it, bigger batches
only waste examples. :func:`batch_size_sweep` measures this as steps-to-target S(B) and fits
:math:`S(B) = S_{\\min}(1 + B_{\\text{crit}}/B)` (their eq. 2.11).

Contents: :class:`FiniteSum` and three of them (:func:`linear_regression_sum`, :func:`logistic_regression_sum`,
:func:`network_sum`); :func:`batch_indices`; :func:`minibatch_sgd` (a run that records everything);
:func:`gradient_noise`, :func:`noise_scale_along`, :func:`batch_gradient_covariance`, :func:`batch_gradients`,
:func:`two_batch_estimate`;
:func:`lr_for_batch`, :func:`batch_size_sweep`, :func:`fit_steps_curve`; :func:`demo_line_problem`, the line
fit whose sweep shows linear learning-rate scaling helping up to a critical batch size and then stopping.
"""

from __future__ import annotations

from dataclasses import dataclass
from time import perf_counter
from typing import Callable, NamedTuple

import numpy as np
from scipy.optimize import nnls
from scipy.special import expit

from core.datasets import make_line
from core.linear_model import _as_xy
from core.neural_net import MLPClassifier, _check_xy
from core.optimizers import DIVERGENCE_FACTOR, MAX_STEPS, make_optimizer
from core.validation import check_array, check_float, check_int, check_mapping, check_random_state

#: Most batch gradients drawn by :func:`batch_gradients` or :func:`two_batch_estimate` in one call.
MAX_SAMPLES = 1_000_000
#: Largest batch (and number of examples) accepted: a batch is drawn as one array of indices.
MAX_BATCH = 1_000_000
#: Most example indices one run records or draws (steps × batch size; 80 MB): the app runs in about 1 GB.
MAX_INDICES = 10_000_000
#: Most steps whose batches :func:`batch_size_sweep` draws at once, and most indices per draw.
_CHUNK_STEPS, _CHUNK_INDICES = 256, 2**17


# ------------------------------------------------------------------------------------------ finite sums


def _rows(a: np.ndarray, rows) -> np.ndarray:
    return a if rows is None else a[rows]


@dataclass(frozen=True)
class FiniteSum:
    """A finite-sum objective :math:`L(\\theta) = \\frac1N \\sum_i \\ell_i(\\theta)` with per-example losses and
    gradients.

    Parameters
    ----------
    n : int, the number of examples N.
    n_params : int, the length P of θ.
    example_losses : callable ``(theta (P,), rows) -> (k,)``, the losses ℓ_i(θ) of the examples ``rows`` (an int
        array of k indices, repeats allowed) or of all N when ``rows`` is None.
    example_gradients : callable ``(theta, rows) -> (k, P)``, their gradients ∇ℓ_i(θ).
    name : str, for people.
    batch_gradients_fn : optional callable ``(thetas (R, P), rows (R, B)) -> (R, P)``: row r is the mean
        gradient over ``rows[r]`` at ``thetas[r]``. It lets R runs (seeds) step together in one NumPy call;
        without it :meth:`many_gradients` loops over them.
    full_losses_fn : optional callable ``(thetas (R, P)) -> (R,)``, L at R points at once; same idea.
    gradient_moments_fn : optional, for a quadratic finite sum, whose batch gradient is affine in θ:
        ``rows (..., B) -> (A (..., P, P), c (..., P))`` with :math:`G_{\\mathcal B}(\\theta) = A\\theta - c`.
        :func:`batch_size_sweep` then gets the (A, c) of hundreds of batches in one call, and a step costs
        one small matrix product.
    """

    n: int
    n_params: int
    example_losses: Callable
    example_gradients: Callable
    name: str = ""
    batch_gradients_fn: Callable | None = None
    full_losses_fn: Callable | None = None
    gradient_moments_fn: Callable | None = None

    def loss(self, theta, rows=None) -> float:
        """Mean loss over ``rows`` (all examples when None): L(θ), or a mini-batch's loss."""
        return float(np.mean(self.example_losses(np.asarray(theta, dtype=float), rows)))

    def gradient(self, theta, rows=None) -> np.ndarray:
        """Mean gradient over ``rows`` (all examples when None): G = ∇L(θ), or a mini-batch's G_B."""
        return np.mean(self.example_gradients(np.asarray(theta, dtype=float), rows), axis=0)

    def many_gradients(self, thetas, rows) -> np.ndarray:
        """(R, P): the mean gradient over ``rows[r]`` at ``thetas[r]`` for each of R runs."""
        if self.batch_gradients_fn is not None:
            return self.batch_gradients_fn(thetas, rows)
        return np.array([self.gradient(theta, r) for theta, r in zip(thetas, rows)])

    def many_losses(self, thetas) -> np.ndarray:
        """(R,): L on all data at each of R points."""
        if self.full_losses_fn is not None:
            return self.full_losses_fn(thetas)
        return np.array([self.loss(theta) for theta in thetas])


def linear_regression_sum(x, y) -> FiniteSum:
    """The line fit of :mod:`core.linear_model` as a finite sum, θ = (w, b).

    .. math:: \\ell_i = (w x_i + b - y_i)^2, \\qquad \\nabla \\ell_i = 2 (w x_i + b - y_i) \\begin{pmatrix} x_i \\\\ 1
              \\end{pmatrix},

    so :meth:`FiniteSum.loss` and :meth:`FiniteSum.gradient` are :func:`~core.linear_model.mse_loss` and
    :func:`~core.linear_model.mse_gradient`. The vectorised full loss uses that L is a quadratic bowl:
    :math:`L(\\theta) = L^* + (\\theta - \\theta^*)^\\top M (\\theta - \\theta^*)` with
    :math:`M = \\frac1N \\sum_i \\phi_i \\phi_i^\\top`, :math:`\\phi_i = (x_i, 1)` and θ* the least-squares line:
    O(1) per point instead of O(N), and no cancellation near the minimum.
    """
    x, y = _as_xy(x, y)
    features = np.column_stack([x, np.ones_like(x)])
    optimum = np.linalg.lstsq(features, y, rcond=None)[0]
    best = float(np.mean((features @ optimum - y) ** 2))
    moments = features.T @ features / len(x)

    def residuals(theta, rows):
        return theta[0] * _rows(x, rows) + theta[1] - _rows(y, rows)

    def example_losses(theta, rows=None):
        return residuals(theta, rows) ** 2

    def example_gradients(theta, rows=None):
        return 2.0 * residuals(theta, rows)[:, None] * _rows(features, rows)

    # G_B(θ) = A_B θ − c_B with A_B = 2·mean φφᵀ and c_B = 2·mean φy over the batch: the batch means of the
    # four numbers (x², x, xy, y) give a batch's gradient at any θ, which keeps a step cheap.
    stats = np.stack([x * x, x, x * y, y])

    def batch_means(rows):  # (4, ...): 2 × the batch means of x², x, xy, y (np.take: faster than stats[:, rows])
        return np.take(stats, rows, axis=1).sum(axis=-1) * (2.0 / rows.shape[-1])

    def batch_gradients_fn(thetas, rows):
        xx, x1, xy, y1 = batch_means(rows)
        w, b = thetas[:, 0], thetas[:, 1]
        return np.column_stack([xx * w + x1 * b - xy, x1 * w + 2.0 * b - y1])

    def gradient_moments_fn(rows):
        xx, x1, xy, y1 = batch_means(rows)
        A = np.stack([xx, x1, x1, np.full_like(xx, 2.0)], axis=-1).reshape(*xx.shape, 2, 2)
        return A, np.stack([xy, y1], axis=-1)

    def full_losses_fn(thetas):
        d = np.asarray(thetas, dtype=float) - optimum
        return best + np.sum((d @ moments) * d, axis=1)

    return FiniteSum(len(x), 2, example_losses, example_gradients, "linear regression",
                     batch_gradients_fn, full_losses_fn, gradient_moments_fn)


def logistic_regression_sum(X, y, alpha: float = 0.0) -> FiniteSum:
    """Binary logistic regression as a finite sum, θ = (w_1, …, w_d, b), labels y_i ∈ {0, 1}.

    .. math:: \\ell_i = \\log(1 + e^{z_i}) - y_i z_i + \\tfrac\\alpha2 \\lVert w \\rVert^2, \\quad z_i = x_i^\\top w + b,
              \\qquad \\nabla \\ell_i = (\\sigma(z_i) - y_i) \\begin{pmatrix} x_i \\\\ 1 \\end{pmatrix}
              + \\alpha \\begin{pmatrix} w \\\\ 0 \\end{pmatrix}

    :math:`\\log(1 + e^z) - yz` is the cross-entropy of :math:`p = \\sigma(z)`, written through ``logaddexp`` so a
    large |z| neither overflows nor rounds p to 0 or 1. The penalty (never on b) sits in every ℓ_i, so the mean
    is the usual penalised objective.
    """
    X, y = _check_xy(X, y)
    if not np.all((y == 0) | (y == 1)):
        raise ValueError(f"Logistic regression labels must be 0 or 1, got {np.unique(y)[:5].tolist()}.")
    alpha = check_float("regularisation rate alpha", alpha, low=0.0)
    y = y.astype(float)
    d = X.shape[1]

    def logits(theta, rows):
        return _rows(X, rows) @ theta[:d] + theta[d]

    def example_losses(theta, rows=None):
        z = logits(theta, rows)
        return np.logaddexp(0.0, z) - _rows(y, rows) * z + 0.5 * alpha * float(theta[:d] @ theta[:d])

    def example_gradients(theta, rows=None):
        err = expit(logits(theta, rows)) - _rows(y, rows)
        grads = np.empty((len(err), d + 1))
        grads[:, :d] = err[:, None] * _rows(X, rows) + alpha * theta[:d]
        grads[:, d] = err
        return grads

    def batch_gradients_fn(thetas, rows):
        Xb = X[rows]  # (R, B, d)
        err = expit(np.einsum("rbd,rd->rb", Xb, thetas[:, :d]) + thetas[:, d:]) - y[rows]
        return np.column_stack([np.einsum("rb,rbd->rd", err, Xb) / rows.shape[1] + alpha * thetas[:, :d],
                                np.mean(err, axis=1)])

    def full_losses_fn(thetas):
        thetas = np.asarray(thetas, dtype=float)
        Z = X @ thetas[:, :d].T + thetas[:, d]  # (N, R)
        data = np.mean(np.logaddexp(0.0, Z) - y[:, None] * Z, axis=0)
        return data + 0.5 * alpha * np.sum(thetas[:, :d] ** 2, axis=1)

    return FiniteSum(len(X), d + 1, example_losses, example_gradients, "logistic regression",
                     batch_gradients_fn, full_losses_fn)


def network_sum(model: MLPClassifier, X, y) -> FiniteSum:
    """An initialised :class:`~core.neural_net.MLPClassifier`'s objective on (X, y) as a finite sum over θ.

    ℓ_i is example i's loss plus the whole penalty α·R(W), so the mean over all examples is
    :meth:`~core.neural_net.MLPClassifier.objective` and the gradients are
    :meth:`~core.neural_net.MLPClassifier.per_example_gradients`.
    """
    if not hasattr(model, "theta_"):
        raise ValueError("Initialise the network first (fit, partial_fit or initialize) so it has weights.")
    X, y = _check_xy(X, y)
    if X.shape[1] != model.layer_units_[0]:
        raise ValueError(f"The network takes {model.layer_units_[0]} features, X has {X.shape[1]}.")
    Y = model.targets(y)

    def example_losses(theta, rows=None):
        return _network_example_losses(model, theta, _rows(X, rows), _rows(Y, rows))

    def example_gradients(theta, rows=None):
        return model.per_example_gradients(theta, _rows(X, rows), _rows(Y, rows))

    return FiniteSum(len(X), len(model.theta_), example_losses, example_gradients, "network")


def _network_example_losses(model: MLPClassifier, theta, X, Y, eps: float = 1e-12) -> np.ndarray:
    """Per-example terms of :meth:`MLPClassifier.objective`, with the same clipping as its ``log_loss``."""
    p = model.forward(X, theta)[1][-1]
    if model.loss == "log_loss":
        p = np.clip(p, eps, 1 - eps)
        if p.shape[1] == 1:  # a single sigmoid column counts its complement too
            data = -(Y * np.log(p) + (1 - Y) * np.log(1 - p))[:, 0]
        else:
            data = -np.sum(Y * np.log(p), axis=1)
    else:
        data = 0.5 * np.sum((p - Y) ** 2, axis=1)
    return data + model.alpha * model.weight_penalty(model.unpack(theta)[0])


def _check_problem(problem) -> FiniteSum:
    if not isinstance(problem, FiniteSum):
        raise ValueError(f"problem must be a FiniteSum (e.g. from linear_regression_sum), got {type(problem).__name__}.")
    return problem


def _check_theta(theta, problem: FiniteSum, name: str = "theta0") -> np.ndarray:
    theta = check_array(name, theta, finite=False).copy()
    if theta.shape != (problem.n_params,) or not np.all(np.isfinite(theta)):
        raise ValueError(f"{name} must be {problem.n_params} finite numbers (one per parameter), "
                         f"got shape {theta.shape}.")
    return theta


# ------------------------------------------------------------------------------------------- sampling


class _BatchStream:
    """Consecutive batches of B indices cut from an endless stream of blocks of N indices.

    Without replacement each block is a fresh permutation of range(N) ("shuffled epochs"); with replacement
    each block is N i.i.d. uniform draws. Drawing whole blocks makes the stream independent of how many
    batches are asked for at once, so ``take(3); take(2)`` gives the same batches as ``take(5)``.
    """

    def __init__(self, n: int, batch_size: int, replacement: bool, random_state):
        self.n, self.batch, self.replacement = n, batch_size, replacement
        self.rng = check_random_state(random_state)
        self.left = np.empty(0, dtype=np.intp)  # drawn but not yet used

    def take(self, k: int) -> np.ndarray:
        if not self.replacement and self.batch == self.n:
            return np.tile(np.arange(self.n), (k, 1))  # every shuffled epoch is one batch: all the data
        size = k * self.batch
        n_blocks = -(-max(size - len(self.left), 0) // self.n)
        if self.replacement:  # one call: the generator's stream of draws does not depend on how it is split
            blocks = [self.rng.integers(0, self.n, n_blocks * self.n)]
        else:
            blocks = [self.rng.permutation(self.n) for _ in range(n_blocks)]
        stream = np.concatenate([self.left, *blocks])
        self.left = stream[size:]
        return stream[:size].reshape(k, self.batch)


def _effective_batch(batch_size, n: int, replacement: bool) -> int:
    batch_size = check_int("batch size", batch_size, low=1, high=MAX_BATCH)
    return batch_size if replacement else min(batch_size, n)


def _check_indices(n_steps: int, batch: int) -> None:
    """Refuse a run whose batches alone would not fit in memory."""
    if n_steps * batch > MAX_INDICES:
        raise ValueError(f"{n_steps:,} steps × batches of {batch:,} is more than {MAX_INDICES:,} example indices; "
                         "use fewer steps or smaller batches.")


def _finite(value, what: str):
    """``value`` if every number in it is finite, else a ValueError saying ``what`` overflowed."""
    if not np.all(np.isfinite(value)):
        raise ValueError(f"{what} overflow to infinity or NaN; choose a point closer to the data's scale.")
    return value


def batch_indices(n: int, batch_size: int, n_steps: int, *, replacement: bool = False,
                  random_state=0) -> np.ndarray:
    """The example indices of ``n_steps`` mini-batches, an (n_steps, B) int array (row t−1 is step t's batch).

    Parameters
    ----------
    n : int, the number of examples N.
    batch_size : int, 1 … 1,000,000. Without replacement it is capped at N, and B = N makes every batch all the
        data (rows ``0 … N−1`` in order, no randomness used).
    n_steps : int, 1 … 100 000, with n_steps × B at most 10,000,000 indices.
    replacement : bool.
        True: every index is an independent uniform draw from range(N), so a batch may repeat an example.
        False ("shuffled epochs", what PyTorch's ``DataLoader(shuffle=True)`` does within an epoch): an
        endless stream of fresh permutations of range(N) cut into consecutive batches of B, so every N
        consecutive draws starting at a multiple of N hold each example exactly once. When B does not
        divide N a batch straddles two epochs (and may then hold one example twice); unlike ``drop_last``
        nothing is thrown away.
    random_state : int or None, the seed.

    The batches are the ones :func:`minibatch_sgd` and :func:`batch_size_sweep` use with the same seed.
    """
    n = check_int("number of examples", n, low=1, high=MAX_INDICES)
    batch = _effective_batch(batch_size, n, replacement)
    n_steps = check_int("number of steps", n_steps, low=1, high=MAX_STEPS)
    _check_indices(n_steps, batch)
    return _BatchStream(n, batch, bool(replacement), random_state).take(n_steps)


# ------------------------------------------------------------------------------------------ the recorded run


@dataclass
class MinibatchRun:
    """Everything about one run of mini-batch SGD; row t is step t (S steps, P parameters, batches of B).

    Attributes
    ----------
    batch_size : the batch size B actually used (capped at N without replacement).
    lr : (S,) the learning rate used at step t (after warm-up).
    params : (S+1, P) θ_0 … θ_S.
    batch_loss : (S,) the loss of step t's mini-batch at θ_{t−1}, the point where its gradient was taken.
    full_loss : (S+1,) L(θ_t) on all the data.
    batch_grad : (S, P) the mini-batch gradient G_B(θ_{t−1}) that step t followed.
    full_grad : (S+1, P) G(θ_t) on all the data.
    examples : (S+1,) examples processed so far, t·B.
    seconds : (S+1,) cumulative wall time of the updates alone (drawing the batch, its gradient and the
        optimizer step, by ``time.perf_counter``); recording the full-data loss and gradient is not counted.
    batches : (S, B) the example indices of each step's batch; None if the run was made with
        ``record_batches=False``.
    diverged_at : the first step whose full loss is not finite or exceeds ``DIVERGENCE_FACTOR·(1 + L(θ_0))``;
        the run stops there, so the arrays end at that step. None if it never happened.
    """

    batch_size: int
    lr: np.ndarray
    params: np.ndarray
    batch_loss: np.ndarray
    full_loss: np.ndarray
    batch_grad: np.ndarray
    full_grad: np.ndarray
    examples: np.ndarray
    seconds: np.ndarray
    batches: np.ndarray | None
    diverged_at: int | None = None

    @property
    def n_steps(self) -> int:
        """Steps actually taken."""
        return len(self.lr)


def warmup_lrs(lr: float, warmup_steps: int, n_steps: int) -> np.ndarray:
    """(n_steps,) learning rates :math:`\\eta_t = \\eta \\min(1, t / T_w)`, t = 1 … n_steps.

    The gradual warm-up of Goyal et al. (2017): a large-batch learning rate is reached linearly over the
    first T_w steps, because early on the loss changes too fast for the full step to be safe. T_w = 0 is none.
    """
    lr = check_float("learning rate", lr, low=0.0, low_inclusive=False)
    warmup_steps = check_int("warm-up steps", warmup_steps, low=0, high=MAX_STEPS)
    n_steps = check_int("number of steps", n_steps, low=1, high=MAX_STEPS)
    t = np.arange(1, n_steps + 1)
    return lr * np.minimum(1.0, t / warmup_steps) if warmup_steps else np.full(n_steps, float(lr))


def minibatch_sgd(problem: FiniteSum, theta0, batch_size: int, lr: float, n_steps: int, *,
                  replacement: bool = False, random_state=0, optimizer: str = "sgd",
                  optimizer_params: dict | None = None, warmup_steps: int = 0,
                  record_batches: bool = True) -> MinibatchRun:
    """Train with mini-batches for ``n_steps`` steps and record every quantity (a :class:`MinibatchRun`).

    Step t draws batch t of :func:`batch_indices` (same ``replacement`` and ``random_state``), takes its mean
    gradient :math:`G_{\\mathcal B}(\\theta_{t-1})` and hands it to the optimizer ``optimizer`` of
    :mod:`core.optimizers` (with ``optimizer_params``) at the learning rate :math:`\\eta\\min(1, t/T_w)`.
    For plain SGD: :math:`\\theta_t = \\theta_{t-1} - \\eta_t G_{\\mathcal B}(\\theta_{t-1})`; with B = N and no
    replacement it is full-batch gradient descent.

    ``record_batches=False`` leaves ``batches`` out (None): S·B integers, 0.8 MB for 200 full-batch steps over
    512 examples and up to 16 MB, which a caller that only draws the path would keep for nothing.
    """
    problem = _check_problem(problem)
    theta = _check_theta(theta0, problem)
    batch = _effective_batch(batch_size, problem.n, replacement)
    lr = check_float("learning rate", lr, low=0.0, low_inclusive=False)
    n_steps = check_int("number of steps", n_steps, low=1, high=MAX_STEPS)
    warmup = check_int("warm-up steps", warmup_steps, low=0, high=MAX_STEPS)
    _check_indices(n_steps, batch)
    opt = make_optimizer(optimizer, lr=lr, **check_mapping("optimizer_params", optimizer_params))
    lrs = warmup_lrs(lr, warmup, n_steps)

    P = problem.n_params
    params, full_loss = np.full((n_steps + 1, P), np.nan), np.full(n_steps + 1, np.nan)
    full_grad, seconds = np.full((n_steps + 1, P), np.nan), np.zeros(n_steps + 1)
    batch_loss, batch_grad = np.full(n_steps, np.nan), np.full((n_steps, P), np.nan)
    batches = np.zeros((n_steps, batch), dtype=np.intp) if record_batches else None
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow at the start is refused just below
        params[0], full_loss[0], full_grad[0] = theta, problem.loss(theta), problem.gradient(theta)
    if not (np.isfinite(full_loss[0]) and np.all(np.isfinite(full_grad[0]))):
        raise ValueError("theta0 must be a point where the loss and its gradient are finite.")
    limit = DIVERGENCE_FACTOR * (1.0 + abs(full_loss[0]))

    stream, state = _BatchStream(problem.n, batch, bool(replacement), random_state), opt.init_state(theta)
    elapsed, diverged_at = 0.0, None
    # Overflow on the way to divergence is expected and reported through diverged_at, not as warnings.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for t in range(1, n_steps + 1):
            start = perf_counter()
            rows = stream.take(1)[0]
            grad = problem.gradient(theta, rows)
            new_theta, state = opt.step(theta, grad, state, t, lrs[t - 1])
            elapsed += perf_counter() - start
            if batches is not None:
                batches[t - 1] = rows
            batch_grad[t - 1], batch_loss[t - 1] = grad, problem.loss(theta, rows)
            theta = new_theta
            params[t], full_loss[t], full_grad[t] = theta, problem.loss(theta), problem.gradient(theta)
            seconds[t] = elapsed
            if not full_loss[t] <= limit:  # also true for NaN
                diverged_at = t
                break
    S = t
    return MinibatchRun(batch, lrs[:S], params[:S + 1], batch_loss[:S], full_loss[:S + 1], batch_grad[:S],
                        full_grad[:S + 1], batch * np.arange(S + 1), seconds[:S + 1],
                        None if batches is None else batches[:S], diverged_at)


# --------------------------------------------------------------------------------------------- gradient noise


@dataclass(frozen=True)
class GradientNoise:
    """The spread of the per-example gradients at one θ (McCandlish et al. 2018, section 2).

    Attributes
    ----------
    gradient : (P,) :math:`G = \\frac1N \\sum_i g_i`, the full gradient.
    covariance : (P, P) :math:`\\Sigma = \\frac1N \\sum_i (g_i - G)(g_i - G)^\\top`. The population form
        (divide by N, not N − 1) because the N examples are the whole population a batch is drawn from: then a
        batch of B drawn with replacement has covariance exactly Σ/B, and one drawn without replacement
        exactly Σ/B·(N − B)/(N − 1) (:func:`batch_gradient_covariance`).
    trace : tr Σ, the total variance of one example's gradient.
    g2 : :math:`\\lvert G \\rvert^2`.
    b_simple : :math:`B_{\\text{simple}} = \\operatorname{tr}\\Sigma / \\lvert G\\rvert^2`; inf where G = 0, which
        includes a G below the rounding error of averaging N gradients (N·ε·rms |g_i|), as at a minimum
        found by a solver, where the computed G is rounding noise and the ratio would be 10³⁰.
    """

    gradient: np.ndarray
    covariance: np.ndarray
    trace: float
    g2: float
    b_simple: float


def gradient_noise(problem: FiniteSum, theta) -> GradientNoise:
    """The exact gradient noise at θ from all N per-example gradients (a :class:`GradientNoise`)."""
    problem = _check_problem(problem)
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is refused below
        grads = problem.example_gradients(_check_theta(theta, problem, "theta"), None)
        mean = grads.mean(axis=0)
        centred = grads - mean
        covariance = centred.T @ centred / len(grads)
        trace, g2 = float(np.trace(covariance)), float(mean @ mean)
    _finite(covariance, "The gradients at theta and their covariance")
    return GradientNoise(mean, covariance, trace, g2, _b_simple(trace, g2, grads))


def _b_simple(trace: float, g2: float, grads: np.ndarray) -> float:
    """tr Σ / |G|², or inf when |G| is below the rounding error of averaging the N rows of ``grads``."""
    rounding = (len(grads) * np.finfo(float).eps) ** 2 * float(np.mean(np.sum(grads**2, axis=1)))
    return trace / g2 if g2 > rounding else np.inf


def noise_scale_along(problem: FiniteSum, params) -> np.ndarray:
    """(S+1,): :math:`B_{\\text{simple}}` at every point of a path ``params`` (S+1, P), e.g. ``run.params``.

    Far from the minimum the examples agree on the way down (small B_simple: small batches are as good as
    big ones); near it G shrinks while Σ does not, so B_simple grows and larger batches start to pay off.
    NaN at points that are not finite (the last point of a diverged run) or where the gradients overflow.
    """
    problem = _check_problem(problem)
    params = check_array("params", params, finite=False)
    if params.ndim != 2 or params.shape[1] != problem.n_params:
        raise ValueError(f"params must be an (S+1, {problem.n_params}) array of points, got shape {params.shape}.")
    out = np.full(len(params), np.nan)
    for t in np.flatnonzero(np.all(np.isfinite(params), axis=1)):
        with np.errstate(over="ignore", invalid="ignore"):
            grads = problem.example_gradients(params[t], None)
            mean = grads.mean(axis=0)
            trace, g2 = float(np.mean(np.sum((grads - mean) ** 2, axis=1))), float(mean @ mean)
            if np.isfinite(trace) and np.isfinite(g2):  # else the gradients overflowed: left NaN
                out[t] = _b_simple(trace, g2, grads)
    return out


def batch_gradient_covariance(noise: GradientNoise, batch_size: int, n: int, replacement: bool) -> np.ndarray:
    """(P, P) covariance of a batch's mean gradient :math:`G_{\\mathcal B}`.

    .. math:: \\operatorname{Cov} G_{\\mathcal B} = \\frac{\\Sigma}{B} \\ \\text{(with replacement)}, \\qquad
              \\frac{\\Sigma}{B} \\cdot \\frac{N - B}{N - 1} \\ \\text{(without: a simple random sample of B of N)}

    The finite-population correction (N − B)/(N − 1) is why sampling without replacement is less noisy: the
    draws are negatively correlated (an example drawn once cannot be drawn again), down to no noise at B = N.
    """
    if not isinstance(noise, GradientNoise):
        raise ValueError(f"noise must be a GradientNoise (from gradient_noise), got {type(noise).__name__}.")
    n = check_int("number of examples", n, low=1)
    batch = check_int("batch size", batch_size, low=1, high=MAX_BATCH if replacement else n)
    cov = noise.covariance / batch
    if replacement:
        return cov
    return cov * ((n - batch) / (n - 1) if n > 1 else 0.0)


def batch_gradients(problem: FiniteSum, theta, batch_size: int, n_samples: int, *, replacement: bool,
                    random_state=0) -> np.ndarray:
    """(n_samples, P): the mean gradient of ``n_samples`` independently drawn batches at one θ.

    Each batch is B draws with replacement, or without replacement a uniformly random set of B distinct
    examples (B capped at N). All batches are averaged from one evaluation of the N per-example gradients.
    """
    problem = _check_problem(problem)
    theta = _check_theta(theta, problem, "theta")
    batch = _effective_batch(batch_size, problem.n, replacement)
    n_samples = check_int("number of samples", n_samples, low=1, high=MAX_SAMPLES)
    rng = check_random_state(random_state)
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is refused just below
        grads = _finite(problem.example_gradients(theta, None), "The gradients at theta")
    out = np.empty((n_samples, problem.n_params))
    chunk = max(1, 2**21 // max(batch * problem.n_params, problem.n))  # bounded memory per chunk
    for start in range(0, n_samples, chunk):
        k = min(chunk, n_samples - start)
        if replacement:
            rows = rng.integers(0, problem.n, (k, batch))
        else:  # the B smallest of N uniform keys: a uniformly random B-subset
            rows = np.argpartition(rng.random((k, problem.n)), batch - 1, axis=1)[:, :batch]
        out[start:start + k] = grads[rows].mean(axis=1)
    return out


class TwoBatchEstimate(NamedTuple):
    """Estimates of |G|², tr Σ and B_simple = tr Σ / |G|² from two batch sizes."""

    g2: float
    trace: float
    b_simple: float


def two_batch_estimate(problem: FiniteSum, theta, b_small: int, b_big: int, *, n_pairs: int = 1,
                       random_state=0) -> TwoBatchEstimate:
    """Estimate the noise scale from batch gradients alone (McCandlish et al. 2018, appendix A.1).

    A batch of B drawn with replacement has :math:`E\\lvert G_B\\rvert^2 = \\lvert G\\rvert^2 + \\operatorname{tr}\\Sigma/B`.
    Measuring :math:`\\lvert G_B \\rvert^2` at two sizes (each averaged over ``n_pairs`` independent batches) and
    solving the two equations gives unbiased estimates

    .. math:: \\lvert \\mathcal G \\rvert^2 = \\frac{B_{big}\\lvert G_{big}\\rvert^2 - B_{small}\\lvert G_{small}\\rvert^2}
              {B_{big} - B_{small}}, \\qquad
              \\mathcal S = \\frac{\\lvert G_{small}\\rvert^2 - \\lvert G_{big}\\rvert^2}{1/B_{small} - 1/B_{big}},

    and :math:`\\mathcal S / \\lvert \\mathcal G\\rvert^2` estimates B_simple (biased, as a ratio, but consistent).
    With few pairs either estimate can come out negative; then the ratio is meaningless (it is returned as is,
    or inf when the |G|² estimate is 0). Only :meth:`FiniteSum.gradient` on batches is used, as in a real
    training run where per-example gradients are unavailable (data-parallel workers give the two sizes).
    """
    problem = _check_problem(problem)
    theta = _check_theta(theta, problem, "theta")
    b_small = check_int("small batch size", b_small, low=1)
    b_big = check_int("big batch size", b_big, low=1, high=MAX_SAMPLES)
    if b_big <= b_small:
        raise ValueError(f"The big batch must be larger than the small one, got {b_big} ≤ {b_small}.")
    n_pairs = check_int("number of pairs", n_pairs, low=1, high=MAX_SAMPLES // b_big)
    rng = check_random_state(random_state)
    thetas = np.tile(theta, (n_pairs, 1))
    norms = []
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is refused just below
        for batch in (b_small, b_big):
            grads = problem.many_gradients(thetas, rng.integers(0, problem.n, (n_pairs, batch)))
            norms.append(float(np.mean(np.sum(grads**2, axis=1))))
    small, big = _finite(norms, "The batch gradients at theta")
    g2 = (b_big * big - b_small * small) / (b_big - b_small)
    trace = (small - big) / (1 / b_small - 1 / b_big)
    return TwoBatchEstimate(g2, trace, trace / g2 if g2 != 0 else np.inf)


# ------------------------------------------------------------------------------------------ batch-size sweep

#: Learning-rate scaling rules: the power k in lr(B) = base_lr·(B / base_batch)^k.
LR_RULES = {"none": 0.0, "linear": 1.0, "sqrt": 0.5}
#: What each rule is called on screen.
LR_RULE_LABELS = {"none": "Same lr for every batch",
                  "linear": "Linear scaling (Goyal et al. 2017)",
                  "sqrt": "Square-root scaling (Krizhevsky 2014)"}


def lr_for_batch(base_lr: float, base_batch: int, batch_size: int, rule: str) -> float:
    """The learning rate for batch size B under ``rule``: :math:`\\eta(B) = \\eta_0 (B / B_0)^k`, k from
    :data:`LR_RULES` (0 none, 1 linear, ½ square root).

    Linear scaling keeps η/B, the noise temperature of SGD, fixed, so below the critical batch size a
    batch twice as big does the work of two steps in one; the square-root rule keeps the variance of the
    update η·G_B fixed instead.
    """
    base_lr = check_float("base learning rate", base_lr, low=0.0, low_inclusive=False)
    base_batch = check_int("base batch size", base_batch, low=1)
    batch_size = check_int("batch size", batch_size, low=1)
    if not isinstance(rule, str) or rule not in LR_RULES:
        raise ValueError(f"rule must be one of {', '.join(LR_RULES)}, got {rule!r}.")
    lr = base_lr * (batch_size / base_batch) ** LR_RULES[rule]
    if not np.isfinite(lr):
        raise ValueError(f"The learning rate for batch size {batch_size} overflows ({base_lr:g} × {batch_size} / "
                         f"{base_batch}); lower the base learning rate.")
    return lr


@dataclass
class SweepResult:
    """Steps and examples to reach a target loss, for k batch sizes × ``seeds`` runs each.

    Attributes
    ----------
    batch_sizes : (k,) the batch sizes actually used (capped at N without replacement).
    lrs : (k,) the learning rate of each batch size.
    target_loss : the full-data loss to reach.
    steps : (k, seeds) the first step with L(θ_t) ≤ target; NaN if not within ``max_steps`` or diverged.
    examples : (k, seeds) steps · B.
    diverged : (k, seeds) bool, the run diverged first (loss non-finite or above 1e6·(1 + L(θ_0))).
    s_min, e_min, b_crit : the fit of :math:`S(B) = S_{\\min}(1 + B_{\\text{crit}}/B)` to the median steps
        (:func:`fit_steps_curve`): fewest steps, fewest examples (:math:`E_{\\min} = S_{\\min} B_{\\text{crit}}`,
        so :math:`E(B) = E_{\\min}(1 + B/B_{\\text{crit}})`) and the critical batch size. NaN when fewer than
        two batch sizes reached the target.
    seconds : wall time of the whole sweep.
    """

    batch_sizes: np.ndarray
    lrs: np.ndarray
    target_loss: float
    steps: np.ndarray
    examples: np.ndarray
    diverged: np.ndarray
    s_min: float
    e_min: float
    b_crit: float
    seconds: float

    @property
    def median_steps(self) -> np.ndarray:
        """(k,) the median over the seeds that reached the target (NaN where none did)."""
        return _median_reached(self.steps)

    @property
    def median_examples(self) -> np.ndarray:
        return _median_reached(self.examples)


def _median_reached(values: np.ndarray) -> np.ndarray:
    reached = np.isfinite(values)
    return np.array([np.median(row[ok]) if ok.any() else np.nan for row, ok in zip(values, reached)])


def fit_steps_curve(batch_sizes, steps) -> tuple[float, float, float]:
    """Fit :math:`S(B) = S_{\\min}(1 + B_{\\text{crit}}/B)`; return ``(s_min, b_crit, e_min)``.

    The model is linear in 1/B, :math:`S = S_{\\min} + E_{\\min}/B`, so this is a least-squares line in 1/B
    with both coefficients kept ≥ 0 (non-negative least squares). Residuals are relative, (S − fit)/S:
    steps span orders of magnitude across batch sizes and every batch size should count the same.
    NaN entries (not reached) are ignored; with fewer than two distinct batch sizes left all three are NaN.
    :math:`B_{\\text{crit}} = E_{\\min}/S_{\\min}`, inf if the steps never level off (S_min = 0).
    """
    B, S = check_array("batch_sizes", batch_sizes, ndim=1), check_array("steps", steps, ndim=1, finite=False)
    if B.shape != S.shape:
        raise ValueError(f"batch_sizes and steps must have the same length, got {len(B)} and {len(S)}.")
    if np.any(B < 1):
        raise ValueError(f"batch_sizes must be at least 1, got {B.min():g}.")
    if np.any(S < 0) or np.any(np.isinf(S)):
        raise ValueError("steps must be counts ≥ 0 (NaN for a batch size that never reached the target).")
    ok = np.isfinite(S)
    if len(np.unique(B[ok])) < 2:
        return np.nan, np.nan, np.nan
    B, S = B[ok], S[ok]
    weight = 1.0 / np.maximum(S, 1.0)  # a target met at the start (S = 0) still counts, as one step
    design = np.column_stack([np.ones_like(B), 1.0 / B]) * weight[:, None]
    (s_min, e_min), _ = nnls(design, S * weight)
    b_crit = e_min / s_min if s_min > 0 else np.inf
    return float(s_min), float(b_crit), float(e_min)


def batch_size_sweep(problem: FiniteSum, theta0, batch_sizes, *, base_lr: float, base_batch: int = 1,
                     rule: str = "none", target_loss: float, max_steps: int = 5000, seeds: int = 3,
                     warmup_steps: int = 0, replacement: bool = False, optimizer: str = "sgd",
                     max_lr: float | None = None, patience: int = 1, random_state: int = 0) -> SweepResult:
    """Steps (and examples) each batch size needs to first bring the full loss down to ``target_loss``.

    For each batch size B the learning rate is :func:`lr_for_batch` (capped at ``max_lr`` if given: a
    curvature limit, as in McCandlish et al.'s ε_max) and ``seeds`` runs with seeds ``random_state``,
    ``random_state + 1``, … are trained exactly as :func:`minibatch_sgd` would (same batches, same updates),
    but only the full loss is kept, so the runs are fast: the seeds of one batch size step together as the
    rows of a (seeds, P) array (:meth:`FiniteSum.many_gradients`, or one matrix product when the problem has
    ``gradient_moments_fn``), batches are drawn and full losses computed for up to 256 steps at a time, and
    a run stops soon after it reaches the target or diverges.

    ``patience`` = w > 1 asks more: the target counts as reached at the first step of w consecutive steps
    with L(θ_t) ≤ target. A noisy small-batch run can dip below a target it cannot hold by luck alone (with
    two parameters the loss above its floor is roughly a χ² with two degrees of freedom, which often comes
    close to 0); requiring a few steps in a row measures when the target is really reached. w = 1 is the
    plain first passage. A start already at or below the target counts as 0 steps.
    """
    problem = _check_problem(problem)
    theta0 = _check_theta(theta0, problem)
    requested = np.atleast_1d(np.asarray(batch_sizes, dtype=object)).ravel().tolist()  # object: ragged lists too
    sizes = np.array([_effective_batch(b, problem.n, replacement) for b in requested])
    if sizes.size == 0:
        raise ValueError("Give at least one batch size.")
    target = check_float("target loss", target_loss)
    max_steps = check_int("maximum steps", max_steps, low=1, high=MAX_STEPS)
    seeds = check_int("number of seeds", seeds, low=1, high=100)
    warmup = check_int("warm-up steps", warmup_steps, low=0, high=MAX_STEPS)
    patience = check_int("patience", patience, low=1, high=MAX_STEPS)
    random_state = check_int("random_state", random_state, low=0)
    lrs = np.array([lr_for_batch(base_lr, base_batch, int(b), rule) for b in sizes])
    if max_lr is not None:
        lrs = np.minimum(lrs, check_float("maximum learning rate", max_lr, low=0.0, low_inclusive=False))
    make_optimizer(optimizer, lr=1.0)  # an unknown optimizer fails here, before any work

    start = perf_counter()
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow at the start is refused just below
        first_loss = _finite(problem.loss(theta0), "The loss at theta0")
    limit = DIVERGENCE_FACTOR * (1.0 + abs(first_loss))
    steps, diverged = np.full((len(sizes), seeds), np.nan), np.zeros((len(sizes), seeds), bool)
    for i, (batch, lr) in enumerate(zip(sizes, lrs)):
        if first_loss <= target:
            steps[i] = 0
            continue
        steps[i], diverged[i] = _steps_to_target(
            problem, theta0, int(batch), float(lr), list(range(random_state, random_state + seeds)), target,
            limit, max_steps, warmup, bool(replacement), optimizer, patience)
    examples = steps * sizes[:, None]
    s_min, b_crit, e_min = fit_steps_curve(sizes, _median_reached(steps))
    return SweepResult(sizes, lrs, target, steps, examples, diverged, s_min, e_min, b_crit, perf_counter() - start)


def _steps_to_target(problem: FiniteSum, theta0, batch: int, lr: float, seeds: list, target: float,
                     limit: float, max_steps: int, warmup: int, replacement: bool, optimizer: str,
                     patience: int) -> tuple[np.ndarray, np.ndarray]:
    """One batch size: run the seeds side by side; return each seed's steps to target (NaN if not reached)
    and whether it diverged first.

    The runs advance a chunk of steps at a time with nothing but the update in the loop, keeping the path;
    then the full losses along the whole chunk are computed in one call (:meth:`FiniteSum.many_losses`) and
    scanned for each run's first decision. Decided runs leave before the next chunk. Chunks start at 16
    steps and double, so the steps run past a decision are never more than the steps before it.
    """
    steps, diverged = np.full(len(seeds), np.nan), np.zeros(len(seeds), bool)
    opt = make_optimizer(optimizer, lr=lr)
    lrs = warmup_lrs(lr, warmup, max_steps)
    streams = [_BatchStream(problem.n, batch, replacement, seed) for seed in seeds]
    theta = np.tile(theta0, (len(seeds), 1))
    state = opt.init_state(theta)
    alive = np.arange(len(seeds))  # which seed each row of theta is
    streak = np.zeros(len(seeds), dtype=int)  # consecutive steps at or below the target so far
    full_batch = not replacement and batch == problem.n
    t, chunk = 0, 16
    # Overflow on the way to divergence is expected and reported through `diverged`, not as warnings.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        while alive.size and t < max_steps:
            k = min(chunk, max(1, _CHUNK_INDICES // (alive.size * batch)), max_steps - t)
            rows = np.stack([streams[s].take(k) for s in alive], axis=1)  # (k, runs, B)
            grad_at = _chunk_gradients(problem, rows, full_batch)
            path = np.empty((k, alive.size, problem.n_params))
            for j in range(k):
                theta, state = opt.step(theta, grad_at(j, theta), state, t + j + 1, lrs[t + j])
                path[j] = theta
            loss = problem.many_losses(path.reshape(-1, problem.n_params)).reshape(k, alive.size)
            keep = np.ones(alive.size, bool)
            for r, run in enumerate(alive):
                outcome, at, streak[run] = _scan(loss[:, r], streak[run], target, limit, patience)
                if outcome == "reached":
                    steps[run] = t + at
                elif outcome == "diverged":
                    diverged[run] = True
                keep[r] = outcome is None
            theta, alive = theta[keep], alive[keep]
            state = {key: value[keep] for key, value in state.items()}
            t, chunk = t + k, min(2 * chunk, _CHUNK_STEPS)
    return steps, diverged


def _chunk_gradients(problem: FiniteSum, rows: np.ndarray, full_batch: bool) -> Callable:
    """``grad_at(j, thetas)``: the runs' batch gradients at step j of a chunk whose batches are ``rows``
    (k, runs, B). For a quadratic problem every batch's (A, c) with G_B(θ) = Aθ − c is computed up front, in
    one call for the whole chunk (once when every batch is the full data), leaving one small (P × P) product per
    step."""
    if problem.gradient_moments_fn is None:
        return lambda j, thetas: problem.many_gradients(thetas, rows[j])
    k = len(rows)
    A, c = problem.gradient_moments_fn(rows[:1] if full_batch else rows)
    A, c = np.broadcast_to(A, (k, *A.shape[1:])), np.broadcast_to(c, (k, *c.shape[1:]))
    return lambda j, thetas: (A[j] @ thetas[:, :, None])[:, :, 0] - c[j]


def _scan(loss: np.ndarray, streak: int, target: float, limit: float, patience: int):
    """Scan one run's losses at steps t+1 … t+k (``loss`` (k,)), ``streak`` steps having already been at or
    below the target just before. Return ``(outcome, at, streak)``: outcome "reached" (then the target was
    first met at step t + at and stayed met for ``patience`` steps), "diverged" or None (undecided)."""
    below = loss <= target
    blown = ~(loss <= limit)  # NaN counts as above the limit
    # Length of the run of consecutive steps below the target ending at each step, the carried streak included.
    idx = np.arange(1, len(loss) + 1)
    last_above = np.maximum.accumulate(np.where(below, 0, idx))
    streaks = idx - last_above + np.where(last_above == 0, streak, 0)
    done = np.flatnonzero(streaks >= patience)
    first_blown = np.flatnonzero(blown)
    if first_blown.size and (not done.size or first_blown[0] < done[0]):
        return "diverged", None, 0
    if done.size:
        end = done[0] + 1  # 1-based step within the chunk where the streak reached `patience`
        return "reached", end - patience + 1, 0
    return None, None, int(streaks[-1])


# ------------------------------------------------------------------------------------------ the demo problem

#: The line data of the batch-size page: ``make_line(**DEMO_LINE)`` (x uniform on [0, 2], so the bowl is
#: elongated: Hessian eigenvalues 0.29 and 4.6, stable learning rates below 2/4.6 = 0.43).
DEMO_LINE = {"n_samples": 512, "noise": 1.0, "random_state": 0}
#: Where its runs start, θ_0 = (w, b).
DEMO_THETA0 = (-2.0, 3.0)
#: The target is L* + this fraction of the starting excess L(θ_0) − L*: close enough to the minimum that
#: the gradient noise matters (B_simple grows from about 6 at θ_0 to about 70 at the target).
DEMO_TARGET_FRACTION = 0.05
#: The sweep that shows linear scaling helping up to a critical batch size and then stopping, for
#: ``batch_size_sweep(problem, theta0, target_loss=target, **DEMO_SWEEP)``. Batch size 1 needs about 175
#: steps; each doubling halves that while the learning rate 0.03·B is below the cap 0.2 (about 1/λ_max, half
#: the stability limit), then the steps level off at about 24 (fit: B_crit ≈ 6, S_min ≈ 22). ``patience``
#: keeps lucky dips of the noisy small-batch runs from counting; without the cap, B ≥ 16 diverges.
DEMO_SWEEP = {"batch_sizes": 2 ** np.arange(10), "base_lr": 0.03, "base_batch": 1, "rule": "linear",
              "max_lr": 0.2, "seeds": 3, "patience": 10}


class DemoProblem(NamedTuple):
    """The batch-size page's line fit: the finite sum, its data, start, minimiser and target loss."""

    problem: FiniteSum
    x: np.ndarray
    y: np.ndarray
    theta0: np.ndarray
    optimum: np.ndarray
    target_loss: float


def relative_target(problem: FiniteSum, theta0, optimum, fraction: float) -> float:
    """The loss :math:`L^* + f\\,(L(\\theta_0) - L^*)`: a target a fraction f of the way from the minimum back
    to the start, so "reach the target" means "remove 1 − f of the excess loss"."""
    problem = _check_problem(problem)
    fraction = check_float("target fraction", fraction, low=0.0, high=1.0)
    optimum, theta0 = _check_theta(optimum, problem, "optimum"), _check_theta(theta0, problem)
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is refused just below
        best, start = _finite((problem.loss(optimum), problem.loss(theta0)), "The losses at optimum and theta0")
        return _finite(best + fraction * (start - best), "The target loss")


def demo_line_problem() -> DemoProblem:
    """The line fit of the batch-size page, built from the ``DEMO_*`` constants."""
    x, y = make_line(**DEMO_LINE)
    problem = linear_regression_sum(x, y)
    theta0 = np.array(DEMO_THETA0)
    optimum = np.linalg.lstsq(np.column_stack([x, np.ones_like(x)]), y, rcond=None)[0]
    return DemoProblem(problem, x, y, theta0, optimum, relative_target(problem, theta0, optimum,
                                                                        DEMO_TARGET_FRACTION))
