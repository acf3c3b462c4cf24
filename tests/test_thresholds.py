"""Every threshold at once, against scikit-learn's metrics threshold by threshold."""

import numpy as np
import pytest
from sklearn import metrics as skm

from core.thresholds import (
    PER_CASES,
    ThresholdRow,
    always_negative_baseline,
    at_threshold,
    auc,
    average_precision_score,
    bayes_threshold,
    best_threshold,
    expected_cost,
    per_10k,
    precision_recall_curve,
    roc_auc_score,
    roc_curve,
    threshold_table,
)


def scored_data(kind, seed=0, n=400):
    """Labels and scores of several shapes: continuous, heavily tied, integer-valued, constant."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    noisy = y + rng.normal(0, 1.0, n)
    scores = {
        "continuous": 1 / (1 + np.exp(-noisy)),
        "ties": np.round(1 / (1 + np.exp(-noisy)), 1),
        "integers": np.clip(np.round(noisy * 2), -2, 3),
        "constant": np.full(n, 0.3),
        "perfect": y * 0.5 + rng.random(n) * 0.4,
    }[kind]
    return y, scores


KINDS = ["continuous", "ties", "integers", "constant", "perfect"]


# ---- the table --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_table_counts_equal_sklearn_confusion_matrix_at_thresholds(kind):
    y, s = scored_data(kind)
    table = threshold_table(y, s)
    tns, fps, fns, tps, thresholds = skm.confusion_matrix_at_thresholds(y, s)
    assert len(table) == len(thresholds) + 1
    assert table.thresholds[0] == np.inf and table.tp[0] == 0 and table.fp[0] == 0
    np.testing.assert_array_equal(table.thresholds[1:], thresholds)
    for ours, theirs in [(table.tp, tps), (table.fp, fps), (table.tn, tns), (table.fn, fns)]:
        np.testing.assert_array_equal(ours[1:], theirs)


def test_table_metrics_equal_sklearn_at_every_row():
    y, s = scored_data("ties", seed=3, n=300)
    table = threshold_table(y, s)
    for i, t in enumerate(table.thresholds):
        pred = s >= t
        assert table.precision[i] == pytest.approx(skm.precision_score(y, pred, zero_division=1.0))
        assert table.recall[i] == pytest.approx(skm.recall_score(y, pred))
        assert table.f1[i] == pytest.approx(skm.f1_score(y, pred, zero_division=0.0))
        assert table.mcc[i] == pytest.approx(skm.matthews_corrcoef(y, pred), abs=1e-12)
        assert table.balanced_accuracy[i] == pytest.approx(skm.balanced_accuracy_score(y, pred))
        assert table.accuracy[i] == pytest.approx(skm.accuracy_score(y, pred))
        assert table.flagged_share[i] == pytest.approx(pred.mean())
        assert table.specificity[i] == pytest.approx(1 - table.fpr[i])


def sampled_thresholds(s, rng, k=20):
    """Thresholds that hit scores exactly, fall between them, and lie beyond both ends."""
    exact = rng.choice(s, k // 2)
    between = rng.uniform(s.min(), s.max(), k - k // 2 - 2)
    return np.concatenate([exact, between, [s.max() + 1, s.min() - 1]])


@pytest.mark.parametrize("kind", KINDS)
def test_at_threshold_equals_sklearn_metrics_of_the_thresholded_scores(kind):
    rng = np.random.default_rng(11)
    y, s = scored_data(kind, seed=5, n=2000)
    table = threshold_table(y, s)
    for t in sampled_thresholds(s, rng):
        row, pred = at_threshold(table, t), (s >= t).astype(int)
        tn, fp, fn, tp = skm.confusion_matrix(y, pred, labels=[0, 1]).ravel()
        assert (row.tp, row.fp, row.tn, row.fn) == (tp, fp, tn, fn), t
        assert row.threshold >= t and not np.any((s >= t) & (s < row.threshold))
        assert row.mcc == pytest.approx(skm.matthews_corrcoef(y, pred), abs=1e-12)
        assert row.f1 == pytest.approx(skm.f1_score(y, pred, zero_division=0.0))
        assert row.balanced_accuracy == pytest.approx(skm.balanced_accuracy_score(y, pred))
        assert row.precision == pytest.approx(skm.precision_score(y, pred, zero_division=1.0))
        assert row.recall == pytest.approx(skm.recall_score(y, pred))
        assert row.accuracy == pytest.approx(skm.accuracy_score(y, pred))


def test_at_threshold_ends_flag_nothing_and_everything():
    y, s = scored_data("continuous")
    table = threshold_table(y, s)
    assert at_threshold(table, np.inf).tp + at_threshold(table, np.inf).fp == 0
    assert at_threshold(table, s.max() + 1e-9).threshold == np.inf
    assert at_threshold(table, s.max()).threshold == s.max()
    everything = at_threshold(table, -np.inf)
    assert everything.tn == everything.fn == 0 and everything.flagged_share == 1.0
    with pytest.raises(ValueError, match="NaN"):
        at_threshold(table, float("nan"))


def test_mcc_does_not_overflow_on_large_counts():
    row = ThresholdRow(0.5, tp=400_000, fp=100_000, tn=3_000_000, fn=50_000)
    num = 400_000 * 3_000_000 - 100_000 * 50_000
    exact = num / (500_000 * 450_000 * 3_100_000 * 3_050_000) ** 0.5  # Python ints: exact product
    assert row.mcc == pytest.approx(exact, rel=1e-12)


def test_constant_scores_give_one_threshold_and_auc_one_half():
    y, s = scored_data("constant")
    table = threshold_table(y, s)
    np.testing.assert_array_equal(table.thresholds, [np.inf, 0.3])
    assert roc_auc_score(y, s) == 0.5 == skm.roc_auc_score(y, s)


def test_labels_minus_one_one_and_bool_are_accepted():
    y, s = scored_data("ties")
    base = threshold_table(y, s)
    for labels in (2 * y - 1, y.astype(bool)):
        other = threshold_table(labels, s)
        np.testing.assert_array_equal(other.tp, base.tp)
        np.testing.assert_array_equal(other.fp, base.fp)


# ---- curves ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("drop", [True, False])
def test_roc_curve_equals_sklearn(kind, drop):
    for seed in range(3):
        y, s = scored_data(kind, seed)
        ours, theirs = roc_curve(y, s, drop_intermediate=drop), skm.roc_curve(y, s, drop_intermediate=drop)
        for a, b in zip(ours, theirs):
            np.testing.assert_array_equal(a, b)


def test_roc_curve_drops_intermediate_points_by_default():
    y, s = scored_data("continuous", n=2000)
    assert len(roc_curve(y, s)[0]) < len(roc_curve(y, s, drop_intermediate=False)[0])
    np.testing.assert_array_equal(roc_curve(y, s)[2], skm.roc_curve(y, s)[2])


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("drop", [True, False])
def test_precision_recall_curve_equals_sklearn(kind, drop):
    for seed in range(3):
        y, s = scored_data(kind, seed)
        ours = precision_recall_curve(y, s, drop_intermediate=drop)
        theirs = skm.precision_recall_curve(y, s, drop_intermediate=drop)
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-15)


@pytest.mark.parametrize("kind", KINDS)
def test_areas_equal_sklearn(kind):
    for seed in range(4):
        y, s = scored_data(kind, seed)
        assert roc_auc_score(y, s) == pytest.approx(skm.roc_auc_score(y, s), abs=1e-14)
        assert average_precision_score(y, s) == pytest.approx(skm.average_precision_score(y, s), abs=1e-14)


def test_roc_auc_is_the_probability_a_positive_outranks_a_negative():
    y, s = scored_data("ties", seed=2, n=300)
    pos, neg = s[y == 1], s[y == 0]
    pairs = (pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean()
    assert roc_auc_score(y, s) == pytest.approx(pairs, abs=1e-12)


def test_auc_matches_sklearn_in_both_directions_and_rejects_zigzags():
    x, y = np.array([0.0, 0.2, 0.5, 1.0]), np.array([0.0, 0.6, 0.7, 1.0])
    assert auc(x, y) == pytest.approx(skm.auc(x, y)) == pytest.approx(auc(x[::-1], y[::-1]))
    with pytest.raises(ValueError, match="monotonic"):
        auc([0, 1, 0.5], [0, 1, 1])
    with pytest.raises(ValueError, match="2 points"):
        auc([0.5], [1])


# ---- costs --------------------------------------------------------------------------------------------------

def test_expected_cost_is_the_average_cost_per_case_at_every_threshold():
    y, s = scored_data("ties", seed=4)
    table = threshold_table(y, s)
    cost = expected_cost(table, cost_fp=1.0, cost_fn=5.0)
    brute = [(((s >= t) & (y == 0)).sum() * 1.0 + ((s < t) & (y == 1)).sum() * 5.0) / len(y)
             for t in table.thresholds]
    np.testing.assert_allclose(cost, brute)
    assert best_threshold(table, 1.0, 5.0) == table.thresholds[np.argmin(brute)]


def test_best_threshold_breaks_ties_towards_the_higher_threshold():
    # Positives at 0.9 and 0.8, a negative at 0.85, equal costs: flagging down to 0.9 (one miss) and down to
    # 0.8 (one false alarm) both cost one mistake in three cases.
    table = threshold_table([1, 0, 1], [0.9, 0.85, 0.8])
    cost = expected_cost(table, 1.0, 1.0)
    np.testing.assert_allclose(cost, [2 / 3, 1 / 3, 2 / 3, 1 / 3])
    assert best_threshold(table, 1.0, 1.0) == 0.9
    assert best_threshold(threshold_table([0, 1], [0.2, 0.8]), 5.0, 0.0) == np.inf  # misses are free


@pytest.mark.parametrize("cost_fp, cost_fn", [(1.0, 1.0), (1.0, 4.0), (4.0, 1.0), (1.0, 19.0)])
def test_cost_optimal_threshold_on_calibrated_scores_approaches_the_bayes_threshold(cost_fp, cost_fn):
    # y ~ Bernoulli(p), p ~ U(0, 1): the expected cost of flagging p ≥ t is C_FP(1 − t)²/2 + C_FN t²/2, least
    # at t* = C_FP/(C_FP + C_FN) with curvature C = C_FP + C_FN. The empirical cost adds noise of variance
    # σ²|t − t*|/n near t*, σ² = (1 − t*)C_FP² + t* C_FN², so its argmin lies about
    # δ = (4σ²/(C²n))^(1/3) from t* (cube-root asymptotics; Chernoff's distribution, sd ≈ 0.5δ).
    n = 200_000
    rng = np.random.default_rng(7)
    p = rng.random(n)
    y = (rng.random(n) < p).astype(int)
    t_star = bayes_threshold(cost_fp, cost_fn)
    assert t_star == cost_fp / (cost_fp + cost_fn)
    sigma2 = (1 - t_star) * cost_fp**2 + t_star * cost_fn**2
    delta = (4 * sigma2 / ((cost_fp + cost_fn) ** 2 * n)) ** (1 / 3)
    found = best_threshold(threshold_table(y, p, probabilities=True), cost_fp, cost_fn)
    assert abs(found - t_star) < 3 * delta, (found, t_star, delta)


def test_costs_must_be_non_negative_and_not_both_zero():
    table = threshold_table([0, 1], [0.2, 0.8])
    with pytest.raises(ValueError, match="cost_fp must be at least 0"):
        expected_cost(table, -1.0, 1.0)
    with pytest.raises(ValueError, match="both be 0"):
        bayes_threshold(0.0, 0.0)


# ---- per 10,000 and the accuracy paradox -------------------------------------------------------------------

def test_per_10k_scales_the_confusion_matrix():
    y, s = scored_data("continuous", n=500)
    table = threshold_table(y, s)
    row = at_threshold(table, 0.5)
    counts = per_10k(row)
    assert counts.caught == pytest.approx(row.tp * PER_CASES / 500)
    assert counts.wrongly_flagged == pytest.approx(row.fp * 20) and counts.missed == pytest.approx(row.fn * 20)
    assert counts.flagged == pytest.approx(counts.caught + counts.wrongly_flagged)
    assert counts.flagged + counts.missed + counts.cleared == pytest.approx(PER_CASES)
    np.testing.assert_allclose(per_10k(table).caught, table.tp * 20)


def test_always_negative_is_accurate_on_rare_positives_and_catches_nothing():
    y = np.zeros(10_200, dtype=int)
    y[:100] = 1  # 1 in 102
    row = always_negative_baseline(y)
    assert row.accuracy == pytest.approx(101 / 102)
    assert row.recall == 0 and row.f1 == 0 and row.mcc == 0 and row.balanced_accuracy == 0.5
    assert per_10k(row).missed == pytest.approx(PER_CASES / 102)
    table = threshold_table(y, np.random.default_rng(0).random(len(y)))
    assert (table.row(0).tn, table.row(0).fn) == (row.tn, row.fn)


# ---- bad input ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("y, scores, message", [
    ([0, 1, 2], [0.1, 0.2, 0.3], "binary labels.*found the values 0, 1, 2"),
    (["cat", "dog"], [0.1, 0.2], "found the values cat, dog"),
    ([1, 1, 1], [0.1, 0.2, 0.3], "only the class 1"),
    ([0, 1, 0], [0.1, np.nan, 0.3], "1 NaN"),
    ([0, 1, 0], [0.1, np.inf, 0.3], "1 infinite"),
    ([0, 1, 0], [0.1, 0.2], "same length.*3 labels and 2 scores"),
    ([], [], "empty"),
    ([[0, 1]], [[0.1, 0.2]], "1-D"),
])
def test_bad_input_gives_a_clear_error(y, scores, message):
    with pytest.raises(ValueError, match=message):
        threshold_table(y, scores)


def test_probabilities_outside_unit_interval_are_rejected_only_when_asked():
    y, s = [0, 1, 1], [-0.5, 0.4, 1.2]
    assert len(threshold_table(y, s)) == 4
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\]; 2 value\(s\) fall outside"):
        threshold_table(y, s, probabilities=True)
    for fn in (roc_curve, precision_recall_curve, roc_auc_score, average_precision_score):
        with pytest.raises(ValueError, match="only the class 0"):
            fn([0, 0, 0], [0.1, 0.2, 0.3])


def test_metrics_at_prevalence_match_resampled_data():
    from core.thresholds import metrics_at_prevalence
    rng = np.random.default_rng(11)
    n = 200_000
    for prevalence in (0.5, 0.1, 0.01):
        y = (rng.random(n) < prevalence).astype(int)
        scores = np.where(y == 1, rng.normal(2, 1, n), rng.normal(0, 1, n))
        row = at_threshold(threshold_table(y, scores), 1.0)
        m = metrics_at_prevalence(row.recall, row.fpr, y.mean())
        assert m["accuracy"] == pytest.approx(row.accuracy, abs=1e-9)
        assert m["precision"] == pytest.approx(row.precision, abs=1e-9)
        assert m["mcc"] == pytest.approx(row.mcc, abs=1e-9)
        assert m["tp"] == pytest.approx(row.tp / n * 10_000)
