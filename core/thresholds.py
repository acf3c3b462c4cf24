"""Every metric of a binary classifier at every decision threshold, from one sort of the scores.

A classifier that outputs a score :math:`s_i` for each example becomes a decision rule once a threshold
t is chosen: predict *positive* when :math:`s_i \\ge t`. Sorting the scores once in descending order, the
true and false positives at the k-th distinct score are cumulative sums of the labels,

.. math:: TP(t) = \\sum_i y_i [s_i \\ge t], \\qquad FP(t) = \\sum_i (1 - y_i)[s_i \\ge t],

and TN = N − FP, FN = P − TP (P positives, N negatives). So the whole confusion matrix at *every* distinct
threshold costs one O(n log n) sort plus O(n) sums (:func:`threshold_table`), and one threshold afterwards
is a binary search, O(log n) (:func:`at_threshold`). From the four counts:

* precision = TP / (TP + FP), 1.0 when nothing is flagged (see below);
* recall (true-positive rate) = TP / P; fpr = FP / N; specificity (true-negative rate) = TN / N;
* f1 = 2TP / (2TP + FP + FN), 0 when TP = 0;
* balanced_accuracy = (recall + specificity) / 2;
* mcc = (TP·TN − FP·FN) / √((TP+FP)(TP+FN)(TN+FP)(TN+FN)), 0 when a factor under the root is 0 (flag
  nothing or everything), as ``sklearn.metrics.matthews_corrcoef``;
* accuracy = (TP + TN) / n; flagged_share = (TP + FP) / n.

Precision is 0/0 only on the "flag nothing" row. It is 1.0 there, the end point that
``sklearn.metrics.precision_recall_curve`` appends (no flags means no false alarms). Beware that
``sklearn.metrics.precision_score`` gives 0.0 with a warning for the same case unless ``zero_division=1``.
F1 does not depend on this choice: it is 0 whenever TP = 0.

The ROC and precision-recall functions return what scikit-learn returns, array for array, including ties
(equal scores share one threshold) and ``roc_curve``'s default ``drop_intermediate=True``.

Labels are 0/1 (or −1/1, or False/True), with 1 the positive class. Bad input raises ``ValueError`` with a
message fit for the page: labels that are not binary (naming the values found), a single class, NaN or
infinite scores, scores outside [0, 1] when ``probabilities=True``, lengths that differ, no data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from numbers import Real

import numpy as np

from core.validation import MAX_ABS, check_array, check_float, check_labels

#: The population size of :func:`per_10k`.
PER_CASES = 10_000

_LABEL_SETS = ({0, 1}, {-1, 1})
_SHOW_VALUES = 10


# --- input checks ----------------------------------------------------------------------------------------

def check_binary_labels(y_true, *, name: str = "y_true", require_both: bool = True) -> np.ndarray:
    """Return ``y_true`` as a bool array (True = positive), or raise a ValueError saying what is wrong.

    Accepted: labels in {0, 1}, {−1, 1} or {False, True}; 1 (True) is positive. With ``require_both`` the
    labels must also contain both classes.
    """
    y = check_labels(name, y_true)  # 1-D, none missing, numbers or text of one kind
    if len(y) == 0:
        raise ValueError(f"{name} is empty: at least one labelled example is needed.")
    values = _distinct_values(y)
    if y.dtype != bool and not any(set(values) <= allowed for allowed in _LABEL_SETS):
        shown = values[:_SHOW_VALUES] + (["…"] if len(values) > _SHOW_VALUES else [])
        raise ValueError(f"{name} must hold binary labels 0/1 (or −1/1, False/True); found the values "
                         f"{', '.join(map(str, shown))}.")
    if require_both and len(values) < 2:
        raise ValueError(f"{name} holds only the class {values[0]}: both positive and negative examples "
                         "are needed.")
    return y == 1


def _distinct_values(y: np.ndarray) -> list:
    try:
        values = np.unique(y).tolist()
    except TypeError:  # mixed types that do not sort
        values = sorted({repr(v) for v in y.tolist()})
    # Integral floats print as integers (1.0 → 1) so the message reads as labels.
    return [int(v) if isinstance(v, float) and v.is_integer() else v for v in values]


def check_scores(scores, n_labels: int | None = None, *, name: str = "scores",
                 probabilities: bool = False) -> np.ndarray:
    """Return ``scores`` as a float64 1-D array, or raise a ValueError.

    Scores must be finite; with ``probabilities=True`` also in [0, 1]. ``n_labels`` is the number of labels
    they must match.
    """
    try:
        s = np.asarray(scores, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numbers.") from None
    if s.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array with one score per example, got shape {s.shape}.")
    if len(s) == 0:
        raise ValueError(f"{name} is empty: at least one score is needed.")
    if n_labels is not None and len(s) != n_labels:
        raise ValueError(f"The labels and {name} must have the same length, got {n_labels} labels and "
                         f"{len(s)} scores.")
    bad = ~np.isfinite(s)
    if bad.any():
        n_nan = int(np.isnan(s).sum())
        raise ValueError(f"{name} must be finite numbers; found {n_nan} NaN and {int(bad.sum()) - n_nan} "
                         f"infinite value(s) (first at index {int(np.argmax(bad))}).")
    if probabilities and (s.min() < 0 or s.max() > 1):
        outside = int(((s < 0) | (s > 1)).sum())
        raise ValueError(f"{name} must be probabilities in [0, 1]; {outside} value(s) fall outside "
                         f"(min {s.min():g}, max {s.max():g}).")
    return s


def _check_pair(y_true, scores, probabilities: bool = False) -> tuple[np.ndarray, np.ndarray]:
    y = check_binary_labels(y_true)
    return y, check_scores(scores, len(y), probabilities=probabilities)


# --- derived rates -------------------------------------------------------------------------------------------

def _ratio(num, den, undefined: float):
    """num / den elementwise, ``undefined`` where den is 0; a float for scalar input."""
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    out = np.full(np.broadcast(num, den).shape, undefined)
    np.divide(num, den, out=out, where=den > 0)
    return out if out.ndim else float(out)


class _Rates:
    """Metrics derived from the counts ``tp, fp, tn, fn``: arrays on a table, numbers on a row."""

    tp: np.ndarray
    fp: np.ndarray
    tn: np.ndarray
    fn: np.ndarray

    @cached_property
    def n_samples(self) -> int:
        """n = TP + FP + TN + FN, the same for every row."""
        return int(np.ravel(self.tp)[0] + np.ravel(self.fp)[0] + np.ravel(self.tn)[0] + np.ravel(self.fn)[0])

    @cached_property
    def precision(self):
        """TP / (TP + FP); 1.0 when nothing is flagged."""
        return _ratio(self.tp, self.tp + self.fp, 1.0)

    @cached_property
    def recall(self):
        """TP / P, the true-positive rate (sensitivity)."""
        return _ratio(self.tp, self.tp + self.fn, 0.0)

    @cached_property
    def fpr(self):
        """FP / N, the false-positive rate (1 − specificity)."""
        return _ratio(self.fp, self.fp + self.tn, 0.0)

    @cached_property
    def specificity(self):
        """TN / N, the true-negative rate."""
        return _ratio(self.tn, self.fp + self.tn, 0.0)

    @cached_property
    def f1(self):
        """2TP / (2TP + FP + FN), the harmonic mean of precision and recall."""
        return _ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn, 0.0)

    @cached_property
    def balanced_accuracy(self):
        """(TPR + TNR) / 2: 0.5 for any rule that ignores the input."""
        return (self.recall + self.specificity) / 2

    @cached_property
    def mcc(self):
        """Matthews correlation (TP·TN − FP·FN) / √((TP+FP)(TP+FN)(TN+FP)(TN+FN)); 0 when undefined."""
        tp, fp, tn, fn = (np.asarray(c, dtype=np.float64) for c in (self.tp, self.fp, self.tn, self.fn))
        # Two square roots, each of a product of two counts: the four-fold product overflows int64 at n ≈ 10⁵.
        den = np.sqrt((tp + fp) * (tn + fn)) * np.sqrt((tp + fn) * (tn + fp))
        return _ratio(tp * tn - fp * fn, den, 0.0)

    @cached_property
    def accuracy(self):
        """(TP + TN) / n."""
        return _ratio(self.tp + self.tn, self.n_samples, 0.0)

    @cached_property
    def flagged_share(self):
        """(TP + FP) / n, the share of cases predicted positive."""
        return _ratio(self.tp + self.fp, self.n_samples, 0.0)


@dataclass(frozen=True, eq=False)
class ThresholdTable(_Rates):
    """The confusion matrix at every distinct threshold, row 0 flagging nothing.

    Row 0 has threshold +∞ (TP = FP = 0); row k ≥ 1 predicts positive when ``score ≥ thresholds[k]``, the
    k-th largest distinct score, so the last row flags everything. This is the order and length of
    ``sklearn.metrics.roc_curve(..., drop_intermediate=False)``. Counts are int64 arrays; the metrics of
    :class:`_Rates` (``precision``, ``recall``, ``fpr``, ``specificity``, ``f1``, ``balanced_accuracy``,
    ``mcc``, ``accuracy``, ``flagged_share``) are float arrays of the same length, computed on first use.
    """

    thresholds: np.ndarray
    tp: np.ndarray
    fp: np.ndarray
    tn: np.ndarray
    fn: np.ndarray
    _keys: np.ndarray = field(init=False, repr=False)  # −thresholds, ascending: for the binary search

    def __post_init__(self):
        object.__setattr__(self, "_keys", -self.thresholds)

    def __len__(self) -> int:
        return len(self.thresholds)

    @property
    def n_positive(self) -> int:
        return int(self.tp[-1] + self.fn[-1])

    @property
    def n_negative(self) -> int:
        return int(self.fp[-1] + self.tn[-1])

    def row(self, i: int) -> ThresholdRow:
        """Row ``i`` as scalars."""
        return ThresholdRow(float(self.thresholds[i]), int(self.tp[i]), int(self.fp[i]), int(self.tn[i]),
                            int(self.fn[i]))


@dataclass(frozen=True, eq=False)
class ThresholdRow(_Rates):
    """One row of a :class:`ThresholdTable`: the counts at ``score ≥ threshold`` and every metric as a float."""

    threshold: float
    tp: int
    fp: int
    tn: int
    fn: int


def threshold_table(y_true, scores, *, probabilities: bool = False) -> ThresholdTable:
    """Confusion matrix at every distinct score threshold, in one pass over the sorted scores.

    Parameters
    ----------
    y_true : (n,) binary labels, 1 positive.
    scores : (n,) finite scores, higher meaning more likely positive.
    probabilities : require the scores to lie in [0, 1].

    Returns
    -------
    ThresholdTable with 1 + (number of distinct scores) rows. Constant scores give two rows: flag nothing,
    flag everything.

    Notes
    -----
    One O(n log n) sort; with the labels in score order :math:`y_{(1)}, y_{(2)}, …` (descending scores),
    :math:`TP_k = \\sum_{j \\le k} y_{(j)}` and :math:`FP_k = k − TP_k`, read at the last position of
    each run of equal scores (ties change their predictions together).
    """
    y, s = _check_pair(y_true, scores, probabilities)
    order = np.argsort(s)[::-1]  # descending; the order within ties does not change any count
    s, y = s[order], y[order]
    last_of_run = np.append(np.flatnonzero(s[1:] != s[:-1]), len(s) - 1)
    tp = np.cumsum(y, dtype=np.int64)[last_of_run]
    fp = last_of_run + 1 - tp
    tp, fp = np.append(0, tp), np.append(0, fp)
    return ThresholdTable(thresholds=np.append(np.inf, s[last_of_run]), tp=tp, fp=fp, tn=fp[-1] - fp,
                          fn=tp[-1] - tp)


def at_threshold(table: ThresholdTable, threshold: float) -> ThresholdRow:
    """The counts and metrics when predicting positive for ``score ≥ threshold``, by binary search: O(log n).

    The row returned carries the table's threshold in effect: the smallest distinct score ≥ ``threshold``
    (+∞ when no score reaches it, i.e. nothing is flagged).
    """
    if not isinstance(table, ThresholdTable):
        raise ValueError(f"table must be a ThresholdTable (from threshold_table), got {type(table).__name__}.")
    if isinstance(threshold, bool) or not isinstance(threshold, Real):
        raise ValueError(f"The threshold must be a number (±inf allowed), got {threshold!r}.")
    try:
        t = float(threshold)
    except OverflowError:  # a whole number beyond any float: past every score
        t = np.inf if threshold > 0 else -np.inf
    if np.isnan(t):
        raise ValueError("The threshold must be a number, got NaN.")
    # Rows whose threshold is ≥ t are those with −threshold ≤ −t; the last of them decides.
    return table.row(int(np.searchsorted(table._keys, -t, side="right")) - 1)


# --- curves, as in sklearn.metrics ------------------------------------------------------------------------

def roc_curve(y_true, y_score, *, drop_intermediate: bool = True):
    """ROC curve ``(fpr, tpr, thresholds)``, as ``sklearn.metrics.roc_curve``.

    ``thresholds[0]`` is +∞ (the point (0, 0)); the rest are distinct scores, descending. With
    ``drop_intermediate`` points collinear with their neighbours (both second differences of FP and TP
    zero) are dropped: they do not change the plotted curve or its area.
    """
    table = threshold_table(y_true, y_score)
    fp, tp, thresholds = table.fp[1:], table.tp[1:], table.thresholds[1:]
    if drop_intermediate and len(fp) > 2:
        corner = np.concatenate([[True], (np.diff(fp, 2) != 0) | (np.diff(tp, 2) != 0), [True]])
        fp, tp, thresholds = fp[corner], tp[corner], thresholds[corner]
    fp, tp = np.append(0, fp), np.append(0, tp)
    return fp / fp[-1], tp / tp[-1], np.append(np.inf, thresholds)


def auc(x, y) -> float:
    """Area under the curve through the points (x, y) by the trapezoid rule; x monotone either way."""
    x, y = check_array("x", x), check_array("y", y)
    if x.ndim != 1 or x.shape != y.shape:
        raise ValueError(f"x and y must be 1-D arrays of the same length, got shapes {x.shape} and {y.shape}.")
    if len(x) < 2:
        raise ValueError(f"At least 2 points are needed to compute an area, got {len(x)}.")
    dx = np.diff(x)
    if np.any(dx < 0) and not np.all(dx <= 0):
        raise ValueError("x must be monotonic (all increasing or all decreasing) to compute an area.")
    direction = -1.0 if np.any(dx < 0) else 1.0
    with np.errstate(over="ignore", invalid="ignore"):
        area = float(direction * np.trapezoid(y, x))
    if not np.isfinite(area):
        raise ValueError("The area overflows: x and y are too large; rescale them.")
    return area


def roc_auc_score(y_true, y_score) -> float:
    """Area under the ROC curve: the chance a random positive scores above a random negative (ties ½).

    Constant scores give 0.5, the diagonal.
    """
    fpr, tpr, _ = roc_curve(y_true, y_score)
    return auc(fpr, tpr)


def precision_recall_curve(y_true, y_score, *, drop_intermediate: bool = False):
    """``(precision, recall, thresholds)`` as ``sklearn.metrics.precision_recall_curve``.

    Thresholds are the distinct scores ascending; precision and recall have one more entry, the end point
    (precision 1, recall 0) for flagging nothing. ``drop_intermediate`` keeps only the first and last point
    of each run of equal recall.
    """
    table = threshold_table(y_true, y_score)
    fp, tp, thresholds = table.fp[1:], table.tp[1:], table.thresholds[1:]
    if drop_intermediate and len(fp) > 2:
        keep = np.concatenate([[True], (np.diff(tp[:-1]) != 0) | (np.diff(tp[1:]) != 0), [True]])
        fp, tp, thresholds = fp[keep], tp[keep], thresholds[keep]
    precision, recall = tp / (tp + fp), tp / tp[-1]
    return np.append(precision[::-1], 1.0), np.append(recall[::-1], 0.0), thresholds[::-1]


def average_precision_score(y_true, y_score) -> float:
    """AP = Σₖ (Rₖ − Rₖ₋₁) Pₖ: precision weighted by each threshold's gain in recall (no interpolation)."""
    precision, recall, _ = precision_recall_curve(y_true, y_score)
    return float(max(0.0, -np.sum(np.diff(recall) * precision[:-1])))


# --- costs ----------------------------------------------------------------------------------------------------

def _check_table(table) -> None:
    if not isinstance(table, ThresholdTable):
        raise ValueError(f"table must be a ThresholdTable (from threshold_table), got {type(table).__name__}.")


def _check_costs(cost_fp, cost_fn) -> tuple[float, float]:
    cost_fp = check_float("cost_fp", cost_fp, low=0.0, high=MAX_ABS)
    cost_fn = check_float("cost_fn", cost_fn, low=0.0, high=MAX_ABS)
    if cost_fp + cost_fn == 0:
        raise ValueError("cost_fp and cost_fn cannot both be 0: then every threshold costs nothing.")
    return cost_fp, cost_fn


def expected_cost(table: ThresholdTable, cost_fp: float, cost_fn: float) -> np.ndarray:
    """Average cost per case at every threshold, (FP·C_FP + FN·C_FN) / n (correct decisions cost 0)."""
    _check_table(table)
    cost_fp, cost_fn = _check_costs(cost_fp, cost_fn)
    return (table.fp * cost_fp + table.fn * cost_fn) / table.n_samples


def best_threshold(table: ThresholdTable, cost_fp: float, cost_fn: float) -> float:
    """The threshold of least :func:`expected_cost` on these data.

    Ties go to the highest threshold (the fewest flags, the first row in the table's order). It may be +∞:
    flagging nothing is cheapest. ``at_threshold(table, best_threshold(...))`` gives its row.
    """
    costs = expected_cost(table, cost_fp, cost_fn)
    return float(table.thresholds[int(np.argmin(costs))])


def bayes_threshold(cost_fp: float, cost_fn: float) -> float:
    """The cost-optimal threshold for calibrated probabilities, t* = C_FP / (C_FP + C_FN).

    Flagging a case of probability p costs (1 − p)·C_FP in expectation, clearing it p·C_FN; flagging is
    cheaper exactly when p ≥ C_FP / (C_FP + C_FN). Only valid if the scores are calibrated probabilities.
    """
    cost_fp, cost_fn = _check_costs(cost_fp, cost_fn)
    return cost_fp / (cost_fp + cost_fn)


@dataclass(frozen=True)
class PerTenThousand:
    """What a threshold does to 10,000 cases like these (floats; arrays when given a whole table)."""

    flagged: float          # predicted positive: TP + FP
    caught: float           # TP
    missed: float           # FN
    wrongly_flagged: float  # FP
    cleared: float          # TN


def per_10k(row: ThresholdRow | ThresholdTable) -> PerTenThousand:
    """Counts of a row (or every row of a table) scaled to :data:`PER_CASES` = 10,000 cases."""
    if not isinstance(row, _Rates):
        raise ValueError(f"row must be a ThresholdRow or ThresholdTable, got {type(row).__name__}.")
    if row.n_samples <= 0:
        raise ValueError("The row counts no cases, so there is nothing to scale to 10,000.")
    scale = PER_CASES / row.n_samples
    return PerTenThousand(flagged=(row.tp + row.fp) * scale, caught=row.tp * scale, missed=row.fn * scale,
                          wrongly_flagged=row.fp * scale, cleared=row.tn * scale)


def always_negative_baseline(y_true) -> ThresholdRow:
    """The rule "always say no" as a row: accuracy 1 − prevalence, recall 0, F1 0, MCC 0, balanced 0.5.

    On rare positives its accuracy is excellent and it catches nothing: the accuracy paradox.
    """
    y = check_binary_labels(y_true)
    n_pos = int(y.sum())
    return ThresholdRow(threshold=float("inf"), tp=0, fp=0, tn=len(y) - n_pos, fn=n_pos)


def metrics_at_prevalence(tpr, fpr, prevalence) -> dict[str, np.ndarray]:
    """The metrics of one operating point (fixed TPR and FPR: the same point on the ROC curve) when positives
    make up a share π of the cases — per 10,000 cases and as rates. Vectorised over ``prevalence``.

    .. math:: TP = N\\pi\\,\\mathrm{TPR},\\quad FN = N\\pi(1 - \\mathrm{TPR}),\\quad
              FP = N(1-\\pi)\\,\\mathrm{FPR},\\quad TN = N(1-\\pi)(1 - \\mathrm{FPR})

    Accuracy, precision and MCC move with π; recall, specificity and balanced accuracy do not. Precision is
    NaN where nothing is flagged (TPR = FPR = 0, or π = 0 with FPR = 0): there it is 0/0, undefined.
    """
    tpr = check_float("tpr", tpr, low=0.0, high=1.0)
    fpr = check_float("fpr", fpr, low=0.0, high=1.0)
    pi = check_array("prevalence", prevalence)
    if np.any(pi < 0) or np.any(pi > 1):
        raise ValueError("prevalence must be a share of positives in [0, 1].")
    tp, fn = PER_CASES * pi * tpr, PER_CASES * pi * (1 - tpr)
    fp, tn = PER_CASES * (1 - pi) * fpr, PER_CASES * (1 - pi) * (1 - fpr)
    flagged = tp + fp
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(flagged > 0, tp / np.where(flagged > 0, flagged, 1), np.nan)
        denominator = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
        mcc = np.where(denominator > 0, (tp * tn - fp * fn) / np.where(denominator > 0, denominator, 1), 0.0)
    return {"tp": tp, "fn": fn, "fp": fp, "tn": tn, "accuracy": (tp + tn) / PER_CASES, "precision": precision,
            "recall": np.full_like(pi, tpr), "balanced_accuracy": np.full_like(pi, (tpr + 1 - fpr) / 2), "mcc": mcc}
