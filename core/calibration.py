"""Can you trust the probability? Reliability of predicted probabilities, and maps that repair it.

A classifier's score p is *calibrated* when, among the cases scored p, a share p is positive:
:math:`P(Y = 1 \\mid \\hat p = p) = p`. A reliability diagram checks this bin by bin. With bins
:math:`B_1, …, B_M` of the scores, :math:`n_b = |B_b|`,

.. math::

    \\mathrm{conf}_b = \\frac{1}{n_b}\\sum_{i \\in B_b} \\hat p_i, \\qquad
    \\mathrm{acc}_b = \\frac{1}{n_b}\\sum_{i \\in B_b} y_i, \\qquad
    \\mathrm{ECE} = \\sum_b \\frac{n_b}{n}\\,\\lvert \\mathrm{acc}_b - \\mathrm{conf}_b \\rvert, \\qquad
    \\mathrm{MCE} = \\max_b \\lvert \\mathrm{acc}_b - \\mathrm{conf}_b \\rvert.

Binning is that of ``sklearn.calibration.calibration_curve``: ``uniform`` cuts [0, 1] into equal widths,
``quantile`` at the percentiles of the scores (equal counts, up to ties); a score on an inner edge falls in
the lower bin; empty bins are left out of the curve and the sums.

The Brier score :math:`\\frac1n\\sum_i (\\hat p_i - y_i)^2` and the log loss
:math:`-\\frac1n\\sum_i y_i\\log\\hat p_i + (1-y_i)\\log(1-\\hat p_i)` are proper scoring rules: they reward
calibration and sharpness together.

Calibrators map a model's scores s to probabilities. Each has ``fit(scores, y)`` and ``predict(scores)``;
fit them on a *calibration split* that the model was not trained on, and measure them on a third, test
split: a calibrator fitted on the test data grades its own homework (isotonic regression in particular
can fit the noise of a small sample).

* :class:`PlattScaling` (Platt 1999): :math:`p = \\sigma(a s + b)`, a logistic regression on the score.
* :class:`IsotonicCalibration` (Zadrozny & Elkan 2002): the non-decreasing step function of least squared
  error, by pool adjacent violators, linearly interpolated between steps.
* :class:`TemperatureScaling` (Guo et al. 2017): :math:`p = \\sigma(\\operatorname{logit}(s)/T)`, one
  parameter that softens (T > 1) or sharpens (T < 1) the scores without moving the 0.5 boundary.

:func:`correct_prevalence` moves calibrated probabilities to a population with a different share of
positives by Bayes' rule.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize_scalar

from core.neural_net import sigmoid
from core.thresholds import check_binary_labels, check_scores
from core.validation import MAX_ABS, check_array, check_float, check_int, check_labels

_STRATEGIES = ("uniform", "quantile")
#: Most reliability bins (far more than a sample can fill; each bin costs a few numbers).
MAX_BINS = 10_000


# --- inputs -------------------------------------------------------------------------------------------------------

def _labels_and_probabilities(y_true, y_prob, pos_label=None, name="y_prob") -> tuple[np.ndarray, np.ndarray]:
    """(positive mask, probabilities), one class allowed (a reliability bin may hold only one)."""
    if pos_label is None:
        y = check_binary_labels(y_true, require_both=False)
    else:
        y_arr = check_labels("y_true", y_true)
        values = np.unique(y_arr)
        if len(values) > 2:
            raise ValueError(f"y_true must hold at most two classes; found {len(values)}: {values.tolist()}.")
        y = y_arr == pos_label
    return y, check_scores(y_prob, len(y), name=name, probabilities=True)


def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p) - np.log1p(-p)


# --- reliability ---------------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class ReliabilityBins:
    """The bins of a reliability diagram, empty ones included (for the histogram under it).

    ``edges`` has n_bins + 1 entries; ``count``, ``mean_predicted`` (conf_b) and ``observed_frequency``
    (acc_b) one per bin, the last two NaN for an empty bin.
    """

    edges: np.ndarray
    count: np.ndarray
    mean_predicted: np.ndarray
    observed_frequency: np.ndarray

    @property
    def nonempty(self) -> np.ndarray:
        return self.count > 0

    @property
    def gap(self) -> np.ndarray:
        """acc_b − conf_b: positive where the model is under-confident about positives (NaN if empty)."""
        return self.observed_frequency - self.mean_predicted


def _bin_edges(y_prob: np.ndarray, n_bins: int, strategy: str) -> np.ndarray:
    if isinstance(strategy, str) and strategy == "quantile":
        return np.percentile(y_prob, np.linspace(0, 1, n_bins + 1) * 100)
    if isinstance(strategy, str) and strategy == "uniform":
        return np.linspace(0.0, 1.0, n_bins + 1)
    raise ValueError(f"strategy must be one of {', '.join(_STRATEGIES)}, got {strategy!r}.")


def _reliability(y: np.ndarray, p: np.ndarray, n_bins, strategy) -> ReliabilityBins:
    n_bins = check_int("n_bins", n_bins, low=1, high=MAX_BINS)
    edges = _bin_edges(p, n_bins, strategy)
    bin_ids = np.searchsorted(edges[1:-1], p)  # side="left": a score on an inner edge joins the lower bin
    count = np.bincount(bin_ids, minlength=n_bins)
    sums = np.bincount(bin_ids, weights=p, minlength=n_bins)
    positives = np.bincount(bin_ids, weights=y.astype(np.float64), minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        return ReliabilityBins(edges=edges, count=count, mean_predicted=sums / count,
                               observed_frequency=positives / count)


def reliability_bins(y_true, y_prob, n_bins: int = 10, strategy: str = "uniform") -> ReliabilityBins:
    """Per bin: edges, count, mean predicted probability and observed frequency of positives.

    Parameters
    ----------
    y_true : (n,) binary labels, 1 positive.
    y_prob : (n,) predicted probabilities of the positive class, in [0, 1].
    n_bins : int ≥ 1.
    strategy : "uniform" (equal widths on [0, 1]) or "quantile" (edges at the percentiles of ``y_prob``;
        repeated scores can make some bins empty or zero-width).
    """
    y, p = _labels_and_probabilities(y_true, y_prob)
    return _reliability(y, p, n_bins, strategy)


def calibration_curve(y_true, y_prob, *, pos_label=None, n_bins: int = 5, strategy: str = "uniform"):
    """``(prob_true, prob_pred)`` per non-empty bin, as ``sklearn.calibration.calibration_curve``.

    ``prob_true`` is the observed frequency of positives acc_b, ``prob_pred`` the mean prediction conf_b;
    a perfectly calibrated model puts them on the diagonal. ``pos_label`` names the positive class; by
    default labels must be 0/1 or −1/1 and 1 is positive.
    """
    y, p = _labels_and_probabilities(y_true, y_prob, pos_label)
    bins = _reliability(y, p, n_bins, strategy)
    return bins.observed_frequency[bins.nonempty], bins.mean_predicted[bins.nonempty]


def expected_calibration_error(y_true, y_prob, n_bins: int = 10, strategy: str = "uniform") -> float:
    """ECE = Σ_b (n_b / n)·|acc_b − conf_b| over the non-empty bins of :func:`reliability_bins`.

    It depends on the binning: more bins see finer miscalibration but also more sampling noise (even a
    perfectly calibrated model has ECE > 0 on a finite sample).
    """
    bins = reliability_bins(y_true, y_prob, n_bins, strategy)
    full = bins.nonempty
    return float(np.sum(bins.count[full] * np.abs(bins.gap[full])) / bins.count.sum())


def maximum_calibration_error(y_true, y_prob, n_bins: int = 10, strategy: str = "uniform") -> float:
    """MCE = max_b |acc_b − conf_b| over the non-empty bins: the worst bin, however few cases it holds."""
    bins = reliability_bins(y_true, y_prob, n_bins, strategy)
    return float(np.max(np.abs(bins.gap[bins.nonempty])))


def brier_score_loss(y_true, y_prob) -> float:
    """Mean squared error of the probabilities, (1/n) Σ (p_i − y_i)²: 0 is perfect, 0.25 is always ½."""
    y, p = _labels_and_probabilities(y_true, y_prob)
    return float(np.mean((p - y) ** 2))


def log_loss(y_true, y_prob, eps: float | None = None) -> float:
    """Binary cross-entropy −(1/n) Σ [y log p + (1 − y) log(1 − p)].

    Probabilities are clipped to [eps, 1 − eps] first so a confident mistake costs a lot but not ∞;
    ``eps=None`` is float64's machine epsilon (≈ 2.2e-16), as ``sklearn.metrics.log_loss``; otherwise 0 < eps ≤ 0.5.
    """
    y, p = _labels_and_probabilities(y_true, y_prob)
    eps = np.finfo(np.float64).eps if eps is None else check_float("eps", eps, low=0.0, low_inclusive=False, high=0.5)
    p = np.clip(p, eps, 1 - eps)
    return float(-np.mean(np.where(y, np.log(p), np.log1p(-p))))


# --- isotonic regression -----------------------------------------------------------------------------------

def isotonic_regression(y, *, sample_weight=None, y_min=None, y_max=None, increasing: bool = True) -> np.ndarray:
    """The monotone sequence closest to ``y`` in weighted least squares, by pool adjacent violators (PAVA).

    Solves :math:`\\min_z \\sum_i w_i (z_i - y_i)^2` subject to :math:`z_1 \\le z_2 \\le … \\le z_n`
    (≥ when ``increasing=False``), then clips to [y_min, y_max], as ``sklearn.isotonic.isotonic_regression``.

    Notes
    -----
    Whenever two neighbouring blocks violate the order, the solution is constant across both and equals
    their weighted mean, so they can be pooled in any order. First, vectorised passes pool each run of
    decreasing block means at once; when a pass stops shrinking the problem, one left-to-right sweep with a
    stack finishes: each block is pushed once and popped at most once, O(n) in all.
    """
    y = check_array("y", y, finite=False)
    w = np.ones_like(y) if sample_weight is None else check_array("sample_weight", sample_weight, finite=False)
    if y.ndim != 1 or w.shape != y.shape:
        raise ValueError(f"y and sample_weight must be 1-D of the same length, got {y.shape} and {w.shape}.")
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(w)) and np.all(w > 0)):
        raise ValueError("y must be finite and sample_weight finite and positive.")
    if len(y) and max(np.max(np.abs(y)), np.max(w)) > MAX_ABS:  # their products and sums must stay finite
        raise ValueError(f"y and sample_weight must lie within ±{MAX_ABS:g}; rescale them.")
    y_min = None if y_min is None else check_float("y_min", y_min)
    y_max = None if y_max is None else check_float("y_max", y_max)
    if y_min is not None and y_max is not None and y_min > y_max:
        raise ValueError(f"y_min must not exceed y_max, got {y_min:g} > {y_max:g}.")
    if len(y) == 0:
        return y
    order = slice(None) if increasing else slice(None, None, -1)
    sums, weights, sizes = _pava(y[order] * w[order], w[order], np.ones(len(y), dtype=np.int64))
    z = np.repeat(sums / weights, sizes)[order]
    if y_min is not None or y_max is not None:
        z = np.clip(z, -np.inf if y_min is None else y_min, np.inf if y_max is None else y_max)
    return z


def _pava(sums: np.ndarray, weights: np.ndarray, sizes: np.ndarray):
    """Blocks (Σwy, Σw, size) → pooled blocks with non-decreasing means Σwy/Σw."""
    while len(sums) > 1:
        means = sums / weights
        starts = np.flatnonzero(np.concatenate([[True], means[1:] > means[:-1]]))
        if len(starts) == len(sums):
            return sums, weights, sizes  # already monotone
        if len(starts) > 0.9 * len(sums):
            break  # pooling has slowed down: finish with the linear sweep
        sums, weights, sizes = (np.add.reduceat(a, starts) for a in (sums, weights, sizes))
    return _pava_sweep(sums, weights, sizes)


def _pava_sweep(sums, weights, sizes):
    stack_s, stack_w, stack_n = [], [], []
    for s, w, n in zip(sums.tolist(), weights.tolist(), sizes.tolist()):
        while stack_s and stack_s[-1] * w >= s * stack_w[-1]:  # previous mean ≥ this mean: pool
            s, w, n = s + stack_s.pop(), w + stack_w.pop(), n + stack_n.pop()
        stack_s.append(s)
        stack_w.append(w)
        stack_n.append(n)
    return np.array(stack_s), np.array(stack_w), np.array(stack_n, dtype=np.int64)


def _group_ties(x_sorted: np.ndarray) -> np.ndarray:
    """Start index of each group of equal x in sorted x, as scikit-learn: within float64 resolution (1e-15)
    of the group's first value counts as equal."""
    resolution = np.finfo(np.float64).resolution
    starts = np.flatnonzero(np.concatenate([[True], x_sorted[1:] != x_sorted[:-1]]))
    if np.all(np.diff(x_sorted[starts]) >= resolution):
        return starts
    kept, first = [0], x_sorted[0]  # rare: values closer than the resolution, grouped one by one
    for i in starts[1:].tolist():
        if x_sorted[i] - first >= resolution:
            kept.append(i)
            first = x_sorted[i]
    return np.array(kept)


# --- calibrators -------------------------------------------------------------------------------------------

def _fit_inputs(scores, y) -> tuple[np.ndarray, np.ndarray]:
    y = check_binary_labels(y, name="y")
    return _check_size(check_scores(scores, len(y))), y.astype(np.float64)


def _check_size(scores: np.ndarray) -> np.ndarray:
    """Scores small enough that a calibrator's products and squares of them stay finite."""
    return check_array("scores", scores, max_abs=MAX_ABS)


def _check_fitted(calibrator, attribute: str) -> None:
    if not hasattr(calibrator, attribute):
        raise ValueError(f"This {type(calibrator).__name__} has not been fitted yet; call fit(scores, y) first.")


class NoCalibration:
    """The scores as they are (they must already be probabilities in [0, 1])."""

    def fit(self, scores, y):
        _fit_inputs(scores, y)
        return self

    def predict(self, scores) -> np.ndarray:
        return check_scores(scores, probabilities=True)


class PlattScaling:
    """Platt scaling: p = σ(a·s + b), a and b by maximum likelihood on a calibration split.

    A logistic regression with the score as its only feature, fitted by Newton's method (with halving
    steps): the negative log-likelihood :math:`\\sum_i \\log(1 + e^{z_i}) - t_i z_i`, :math:`z_i = a s_i + b`,
    has gradient :math:`\\sum_i (p_i - t_i)(s_i, 1)` and Hessian :math:`\\sum_i p_i(1-p_i)(s_i, 1)(s_i, 1)^\\top`.

    Parameters
    ----------
    target_smoothing : bool, default False. Platt's targets :math:`t_+ = (N_+ + 1)/(N_+ + 2)` and
        :math:`t_- = 1/(N_- + 2)` instead of 1 and 0, which keeps a and b finite when the score separates
        the classes perfectly. Without it the fit equals an unpenalised logistic regression on the score;
        on separable data the maximum-likelihood slope is infinite and the fit stops after ``max_iter``
        steps with a very steep sigmoid.
    max_iter : int, the most Newton steps.
    tol : float, stop when the gradient of the mean loss is below ``tol`` in size.

    Attributes
    ----------
    a_, b_ : slope and intercept; n_iter_ : Newton steps taken.
    """

    def __init__(self, *, target_smoothing: bool = False, max_iter: int = 100, tol: float = 1e-10):
        self.target_smoothing = bool(target_smoothing)
        self.max_iter = check_int("max_iter", max_iter, low=1, high=10_000)  # Newton needs a handful
        self.tol = check_float("tol", tol, low=0.0, low_inclusive=False)

    def fit(self, scores, y):
        s, t = _fit_inputs(scores, y)
        if self.target_smoothing:
            n_pos = t.sum()
            t = np.where(t == 1, (n_pos + 1) / (n_pos + 2), 1 / (len(t) - n_pos + 2))
        X = np.column_stack([s, np.ones_like(s)])
        theta = np.array([0.0, _logit(np.clip(t.mean(), 1e-12, 1 - 1e-12))])
        loss = _nll(theta, X, t)
        for self.n_iter_ in range(1, self.max_iter + 1):
            p = sigmoid(X @ theta)
            grad = X.T @ (p - t) / len(t)
            if np.max(np.abs(grad)) < self.tol:
                break
            hess = (X * (p * (1 - p))[:, None]).T @ X / len(t)
            step = np.linalg.lstsq(hess, grad, rcond=None)[0]  # lstsq: constant scores make H singular
            theta, loss = _halving_step(theta, step, loss, X, t)
        self.a_, self.b_ = float(theta[0]), float(theta[1])
        return self

    def predict(self, scores) -> np.ndarray:
        _check_fitted(self, "a_")
        with np.errstate(over="ignore"):  # a steep fit on far-out scores: σ(±inf) is exactly 0 or 1
            return sigmoid(self.a_ * _check_size(check_scores(scores)) + self.b_)


def _nll(theta, X, t) -> float:
    z = X @ theta
    return float(np.mean(np.logaddexp(0.0, z) - t * z))


def _halving_step(theta, step, loss, X, t, max_halvings: int = 30):
    """Newton step, halved until the loss does not rise (the full step can overshoot far from the optimum)."""
    for _ in range(max_halvings):
        candidate = theta - step
        new_loss = _nll(candidate, X, t)
        if new_loss <= loss:
            return candidate, new_loss
        step = step / 2
    return theta, loss


class IsotonicCalibration:
    """Isotonic calibration: the best non-decreasing map from score to probability, linear between steps.

    Equal scores are first merged into one point with the share of positives among them as target and
    their count as weight; pool adjacent violators (:func:`isotonic_regression`) makes the targets
    non-decreasing; points inside flat runs are dropped. ``predict`` clips scores to the fitted range and
    interpolates linearly, as ``sklearn.isotonic.IsotonicRegression(out_of_bounds="clip", y_min=0,
    y_max=1)``.

    Flexible and assumption-free, but it needs a calibration split of some size: on few points its
    staircase follows the noise.

    Attributes
    ----------
    X_thresholds_, y_thresholds_ : the knots of the fitted piecewise-linear map (increasing scores,
        non-decreasing probabilities); X_min_, X_max_ : the range of the fitted scores.
    """

    def __init__(self, *, y_min: float = 0.0, y_max: float = 1.0):
        self.y_min, self.y_max = check_float("y_min", y_min), check_float("y_max", y_max)
        if self.y_min > self.y_max:
            raise ValueError(f"y_min must not exceed y_max, got {self.y_min:g} > {self.y_max:g}.")

    def fit(self, scores, y):
        x, t = _fit_inputs(scores, y)
        order = np.argsort(x, kind="stable")
        x, t = x[order], t[order]
        starts = _group_ties(x)
        counts = np.diff(np.append(starts, len(x)))
        x_unique, t_mean = x[starts], np.add.reduceat(t, starts) / counts
        z = isotonic_regression(t_mean, sample_weight=counts, y_min=self.y_min, y_max=self.y_max)
        self.X_min_, self.X_max_ = float(x_unique[0]), float(x_unique[-1])
        keep = np.ones(len(z), dtype=bool)  # drop a knot equal to both neighbours: it changes nothing
        keep[1:-1] = (z[1:-1] != z[:-2]) | (z[1:-1] != z[2:])
        self.X_thresholds_, self.y_thresholds_ = x_unique[keep], z[keep]
        return self

    def predict(self, scores) -> np.ndarray:
        _check_fitted(self, "X_thresholds_")
        s = np.clip(check_scores(scores), self.X_min_, self.X_max_)
        if len(self.X_thresholds_) == 1:
            return np.full(len(s), self.y_thresholds_[0])
        return np.interp(s, self.X_thresholds_, self.y_thresholds_)


class TemperatureScaling:
    """Temperature scaling: p = σ(z / T) for the logit z of each score, one T for all.

    T > 1 pulls over-confident probabilities towards ½, T < 1 pushes them out; the ranking and the 0.5
    boundary stay put (so accuracy, ROC and AUC do not change). T minimises the log loss on the calibration
    split, found by bounded Brent search over log T (the loss is convex in 1/T, so the search finds the
    one minimum; if the best T lies outside ``bounds`` — scores that rank the wrong way want T < 0 — the
    nearest bound is returned).

    Parameters
    ----------
    logits : bool, default False. The scores are logits z already; otherwise they are probabilities,
        clipped to [1e-12, 1 − 1e-12] and turned into logits z = log(s / (1 − s)).
    bounds : (T_low, T_high), default (0.01, 100).

    Attributes
    ----------
    temperature_ : the fitted T.
    """

    _CLIP = 1e-12

    def __init__(self, *, logits: bool = False, bounds: tuple[float, float] = (0.01, 100.0)):
        self.logits = bool(logits)
        try:
            low, high = bounds
        except (TypeError, ValueError):
            raise ValueError(f"bounds must be a pair (T_low, T_high), got {bounds!r}.") from None
        # Beyond 1e±6 a temperature changes nothing visible, and logits divided by it must stay finite.
        low = check_float("lowest temperature", low, low=1e-6)
        high = check_float("highest temperature", high, low=low, low_inclusive=False, high=1e6)
        self.bounds = (low, high)

    def _to_logits(self, scores) -> np.ndarray:
        if self.logits:
            return _check_size(check_scores(scores))
        return _logit(np.clip(check_scores(scores, probabilities=True), self._CLIP, 1 - self._CLIP))

    def fit(self, scores, y):
        y = check_binary_labels(y, name="y").astype(np.float64)
        z = self._to_logits(scores)
        if len(z) != len(y):
            raise ValueError(f"The scores and y must have the same length, got {len(z)} and {len(y)}.")

        def loss(log_t):
            u = z * np.exp(-log_t)
            return np.mean(np.logaddexp(0.0, u) - y * u)

        result = minimize_scalar(loss, bounds=np.log(self.bounds), method="bounded", options={"xatol": 1e-10})
        self.temperature_ = float(np.exp(result.x))
        return self

    def predict(self, scores) -> np.ndarray:
        _check_fitted(self, "temperature_")
        return sigmoid(self._to_logits(scores) / self.temperature_)


#: name -> (label shown on pages, calibrator class); ``cls()`` gives an unfitted calibrator.
CALIBRATORS = {
    "none": ("none (raw scores)", NoCalibration),
    "platt": ("Platt scaling", PlattScaling),
    "isotonic": ("isotonic regression", IsotonicCalibration),
    "temperature": ("temperature scaling", TemperatureScaling),
}


# --- prevalence shift --------------------------------------------------------------------------------------

def correct_prevalence(p, train_prevalence: float, deploy_prevalence: float) -> np.ndarray:
    """Move calibrated probabilities from a population with π positives to one with π′ (Bayes' rule).

    If only the prevalence changes and the class-conditional distributions p(x | y) stay the same, the
    posterior odds scale by the ratio of prior odds (Saerens, Latinne & Decaestecker 2002; Elkan 2001):

    .. math:: p' = \\frac{p\\,r_1}{p\\,r_1 + (1 - p)\\,r_0}, \\qquad r_1 = \\frac{π'}{π}, \\quad
              r_0 = \\frac{1 - π'}{1 - π}.

    A model trained on balanced data (π = ½) and deployed where 1 case in 1,000 is positive over-states
    every probability; this puts it right, if the model was calibrated at π.
    """
    pi = check_float("train_prevalence", train_prevalence, low=0.0, high=1.0)
    pi_new = check_float("deploy_prevalence", deploy_prevalence, low=0.0, high=1.0)
    if not (0 < pi < 1 and 0 < pi_new < 1):
        raise ValueError(f"Prevalences must lie strictly between 0 and 1, got {pi:g} and {pi_new:g}.")
    p = check_array("p", p, finite=False)
    if not np.all((p >= 0) & (p <= 1)):
        raise ValueError("p must hold probabilities in [0, 1] (no NaN).")
    # p r1 / (p r1 + (1 − p) r0) with both sides multiplied by π(1 − π): every factor is in [0, 1], so nothing
    # overflows even for a prevalence as small as 1e-300 (r1 = π′/π itself would be inf).
    a, b = p * pi_new * (1 - pi), (1 - p) * (1 - pi_new) * pi
    with np.errstate(invalid="ignore"):
        shifted = a / (a + b)
    if not np.all(np.isfinite(shifted)):
        raise ValueError("The prevalences are too extreme to shift these probabilities (the odds underflow); "
                         "use prevalences nearer 0.5.")
    return shifted
