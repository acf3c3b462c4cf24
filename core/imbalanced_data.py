"""Binary data with rare positives, and the exact Bayes posterior of the generator that made them.

Negatives come from :math:`N(0, I)`, positives from :math:`N(\\mu, I)` in ``n_features`` dimensions, with
:math:`\\mu = \\delta\\,\\mathbf 1/\\sqrt d` so the class means lie ``separation`` = δ apart. With prevalence
π = P(Y = 1), Bayes' rule gives the posterior exactly: the log-likelihood ratio of two Gaussians with the
same covariance is linear, so

.. math::

    P(Y = 1 \\mid x) = \\sigma\\Big(\\log\\frac{π}{1 - π} + \\mu^\\top x - \\tfrac12\\lVert\\mu\\rVert^2\\Big)
                    = \\sigma\\Big(\\operatorname{logit} π + δ\\,u - \\tfrac{δ^2}{2}\\Big),
    \\qquad u = \\frac{\\mathbf 1^\\top x}{\\sqrt d}.

That is the ground truth a calibrated model should recover (:func:`true_posterior`). The prior term
logit π shows why rare positives are hard: at π = 1/1000 it is −6.9, and a case needs
:math:`δu - δ^2/2 > 6.9` of evidence just to reach even odds.

Points come out shuffled. The positive count is exact: round(π·n), at least 1 and at most n − 1.
"""

from __future__ import annotations

import numpy as np

from core.neural_net import sigmoid
from core.validation import MAX_ABS, check_array, check_float, check_int, check_random_state

#: Prevalences a page can offer by name. "1 in 102" is the car-crash example: the share of positives at
#: which a classifier that always says "no crash" is 99 % accurate and useless.
PREVALENCES = {
    "1 in 2": 1 / 2,
    "1 in 10": 1 / 10,
    "1 in 102 (car crashes)": 1 / 102,
    "1 in 1,000": 1 / 1000,
}

MIN_PREVALENCE, MAX_PREVALENCE = 0.001, 0.999
_MAX_SAMPLES = 2_000_000
_MAX_FEATURES = 50
#: Most numbers in one table (n_samples × n_features, 80 MB of float64): the app runs in about 1 GB.
_MAX_VALUES = 10_000_000
#: Largest ``noise`` of :func:`with_copies`, far beyond the point where a copy carries no evidence.
_MAX_NOISE = 1000.0
_MAX_SEPARATION = 20.0


def _check_model(prevalence, separation, n_features) -> tuple[float, float, int]:
    prevalence = check_float("prevalence", prevalence, low=MIN_PREVALENCE, high=MAX_PREVALENCE)
    separation = check_float("separation", separation, low=0.0, high=_MAX_SEPARATION)
    n_features = check_int("n_features", n_features, low=1, high=_MAX_FEATURES)
    return prevalence, separation, n_features


def _direction(n_features: int) -> np.ndarray:
    """The unit vector 1/√d along which the class means differ."""
    return np.full(n_features, 1.0 / np.sqrt(n_features))


def make_imbalanced(n_samples: int = 10_000, prevalence: float = 0.01, separation: float = 2.0,
                    n_features: int = 2, random_state=0) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian classes with a set share of positives.

    Parameters
    ----------
    n_samples : int in [2, 2,000,000], with n_samples × n_features at most 10,000,000.
    prevalence : float in [0.001, 0.999], the share of positives π.
    separation : float in [0, 20], the distance δ between the class means in units of the (shared,
        identity) standard deviation. On balanced data the best possible accuracy is Φ(δ/2): 50 % at
        δ = 0 (identical classes), 84 % at 2, 98 % at 4.
    n_features : int in [1, 50].
    random_state : seed for NumPy's default generator.

    Returns
    -------
    X : float64 (n_samples, n_features); y : int64 (n_samples,) with exactly
    ``min(max(round(prevalence·n), 1), n − 1)`` ones, in random order.
    """
    n_samples = check_int("n_samples", n_samples, low=2, high=_MAX_SAMPLES)
    prevalence, separation, n_features = _check_model(prevalence, separation, n_features)
    if n_samples * n_features > _MAX_VALUES:
        raise ValueError(f"n_samples × n_features = {n_samples:,} × {n_features} is more than {_MAX_VALUES:,} numbers; "
                         "use fewer samples or features.")
    rng = check_random_state(random_state)
    n_pos = min(max(round(prevalence * n_samples), 1), n_samples - 1)
    y = rng.permutation(np.repeat(np.array([0, 1], dtype=np.int64), [n_samples - n_pos, n_pos]))
    X = rng.standard_normal((n_samples, n_features)) + np.outer(y, separation * _direction(n_features))
    return X, y


def true_posterior(X, prevalence: float, separation: float) -> np.ndarray:
    """P(Y = 1 | x) under :func:`make_imbalanced`'s model: σ(logit π + δu − δ²/2), u = 1ᵀx/√d.

    ``n_features`` is read from X's columns. Note that ``make_imbalanced`` fixes the positive *count*, so a
    sample's share of positives is round(π·n)/n, π up to rounding.
    """
    X = check_array("X", X, max_abs=MAX_ABS)
    if X.ndim != 2 or len(X) == 0:
        raise ValueError(f"X must be a non-empty table of shape (n_samples, n_features), got shape {X.shape}.")
    prevalence, separation, _ = _check_model(prevalence, separation, X.shape[1])
    u = X @ _direction(X.shape[1])
    return sigmoid(np.log(prevalence / (1 - prevalence)) + separation * u - separation ** 2 / 2)


def with_copies(X, copies: int, noise: float = 0.3, random_state=0) -> np.ndarray:
    """X with ``copies`` noisy duplicates of every column appended: the same evidence, seen again.

    A model that assumes its features independent given the class (naive Bayes) counts each copy as new
    evidence, so its probabilities run to 0 and 1 — over-confident — while logistic regression just splits the
    weight between the copies. ``noise`` is the standard deviation added to each copy.
    """
    copies = check_int("copies", copies, low=0, high=20)
    noise = check_float("noise", noise, low=0.0, high=_MAX_NOISE)
    X = check_array("X", X, max_abs=MAX_ABS)
    if X.ndim != 2:
        raise ValueError(f"X must be a table of shape (n_samples, n_features), got shape {X.shape}.")
    rng = check_random_state(random_state)
    extra = [X + noise * rng.standard_normal(X.shape) for _ in range(copies)]
    return np.hstack([X, *extra]) if extra else X
