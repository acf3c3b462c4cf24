"""Reliability diagrams, calibration errors and calibrators, against scikit-learn and known truths."""

import numpy as np
import pytest
from sklearn.calibration import calibration_curve as sk_calibration_curve
from sklearn.isotonic import IsotonicRegression
from sklearn.isotonic import isotonic_regression as sk_isotonic_regression
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.metrics import brier_score_loss as sk_brier_score_loss
from sklearn.metrics import log_loss as sk_log_loss

from core.calibration import (
    CALIBRATORS,
    IsotonicCalibration,
    NoCalibration,
    PlattScaling,
    TemperatureScaling,
    brier_score_loss,
    calibration_curve,
    correct_prevalence,
    expected_calibration_error,
    isotonic_regression,
    log_loss,
    maximum_calibration_error,
    reliability_bins,
)
from core.imbalanced_data import make_imbalanced, true_posterior


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def calibrated(n, seed=0):
    """y ~ Bernoulli(p) with p ~ U(0, 1): perfectly calibrated probabilities."""
    rng = np.random.default_rng(seed)
    p = rng.random(n)
    return (rng.random(n) < p).astype(int), p


def overconfident(n, temperature=3.0, seed=0):
    """True logit z, reported probability σ(T·z): too close to 0 and 1 for T > 1."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 1.5, n)
    y = (rng.random(n) < sigmoid(z)).astype(int)
    return y, sigmoid(temperature * z)


def probability_sets(seed):
    """Probabilities that exercise the binning: continuous, on the bin edges, tied, squeezed into a corner."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 500)
    return y, {
        "continuous": rng.random(500),
        "on_edges": rng.integers(0, 11, 500) / 10,
        "few_values": rng.choice([0.0, 0.25, 0.3, 1.0], 500),
        "corner": rng.random(500) ** 6,
    }


# ---- reliability -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
@pytest.mark.parametrize("n_bins", [1, 2, 3, 5, 10, 17])
def test_calibration_curve_equals_sklearn(strategy, n_bins):
    for seed in range(2):
        y, sets = probability_sets(seed)
        for name, p in sets.items():
            ours = calibration_curve(y, p, n_bins=n_bins, strategy=strategy)
            theirs = sk_calibration_curve(y, p, n_bins=n_bins, strategy=strategy)
            assert len(ours[0]) == len(theirs[0]), name
            for a, b in zip(ours, theirs):
                np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15, err_msg=name)


def test_calibration_curve_pos_label_and_minus_one_labels_equal_sklearn():
    y, sets = probability_sets(4)
    p = sets["continuous"]
    words = np.where(y == 1, "spam", "ham")
    for ours, theirs in [
        (calibration_curve(words, p, pos_label="spam"), sk_calibration_curve(words, p, pos_label="spam")),
        (calibration_curve(words, p, pos_label="ham"), sk_calibration_curve(words, p, pos_label="ham")),
        (calibration_curve(2 * y - 1, p, n_bins=4), sk_calibration_curve(2 * y - 1, p, n_bins=4)),
    ]:
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a, b, rtol=1e-12)


def test_reliability_bins_keep_empty_bins_for_the_histogram():
    y = np.array([0, 1, 1, 0, 1])
    p = np.array([0.05, 0.15, 0.2, 0.85, 0.95])  # 0.2 lies on an inner edge: it belongs to the lower bin
    bins = reliability_bins(y, p, n_bins=5)
    np.testing.assert_allclose(bins.edges, np.linspace(0, 1, 6))
    np.testing.assert_array_equal(bins.count, [3, 0, 0, 0, 2])
    np.testing.assert_allclose(bins.mean_predicted[[0, 4]], [0.4 / 3, 0.9])
    np.testing.assert_allclose(bins.observed_frequency[[0, 4]], [2 / 3, 0.5])
    assert np.isnan(bins.mean_predicted[1:4]).all() and np.isnan(bins.observed_frequency[1:4]).all()


def test_ece_and_mce_by_hand():
    y = np.array([0, 1, 1, 0, 1])
    p = np.array([0.05, 0.15, 0.2, 0.85, 0.95])
    gaps = np.array([2 / 3 - 0.4 / 3, 0.9 - 0.5])
    assert expected_calibration_error(y, p, n_bins=5) == pytest.approx((3 * gaps[0] + 2 * gaps[1]) / 5)
    assert maximum_calibration_error(y, p, n_bins=5) == pytest.approx(gaps.max())


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
def test_ece_is_the_count_weighted_gap_of_the_calibration_curve(strategy):
    y, p = overconfident(3000)
    prob_true, prob_pred = sk_calibration_curve(y, p, n_bins=8, strategy=strategy)
    counts = reliability_bins(y, p, 8, strategy).count
    gaps = np.abs(prob_true - prob_pred)
    assert expected_calibration_error(y, p, 8, strategy) == pytest.approx(np.sum(counts[counts > 0] * gaps) / 3000)
    assert maximum_calibration_error(y, p, 8, strategy) == pytest.approx(gaps.max())


def test_calibrated_probabilities_have_small_ece_and_overconfident_ones_do_not():
    # For calibrated p, each bin's gap is sampling noise of size √(p(1−p)/n_b) ≤ ½√(10/n) with 10 bins.
    y, p = calibrated(20_000)
    assert expected_calibration_error(y, p) < 4 * 0.5 * np.sqrt(10 / 20_000)
    y, p = overconfident(20_000)
    assert expected_calibration_error(y, p) > 0.05


@pytest.mark.parametrize("seed", range(3))
def test_brier_score_and_log_loss_equal_sklearn(seed):
    y, sets = probability_sets(seed)
    for name, p in sets.items():
        assert brier_score_loss(y, p) == pytest.approx(sk_brier_score_loss(y, p), rel=1e-12), name
        assert log_loss(y, p) == pytest.approx(sk_log_loss(y, p), rel=1e-9), name  # 0 and 1 are clipped


def test_log_loss_eps_bounds_the_cost_of_a_confident_mistake():
    assert log_loss([1, 0], [0.0, 1.0], eps=1e-3) == pytest.approx(-np.log(1e-3))
    assert log_loss([1, 0], [0.5, 0.5]) == pytest.approx(np.log(2))


# ---- isotonic regression -------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(5))
def test_isotonic_regression_equals_sklearn(seed):
    rng = np.random.default_rng(seed)
    n = 300
    y = rng.normal(size=n) + np.linspace(0, 2, n)
    w = rng.uniform(0.1, 3, n)
    for kwargs in [{}, {"sample_weight": w}, {"increasing": False}, {"y_min": 0.0, "y_max": 1.5},
                   {"sample_weight": w, "increasing": False}]:
        np.testing.assert_allclose(isotonic_regression(y, **kwargs), sk_isotonic_regression(y, **kwargs),
                                   rtol=1e-10, atol=1e-12, err_msg=str(kwargs))


def test_isotonic_regression_solves_hard_cases():
    # A staircase falling by less than each step rises pools one block per vectorised pass: the linear sweep
    # finishes it. Every value ends up the mean of its pooled block.
    y = np.concatenate([np.arange(200.0), [-1000.0]])
    np.testing.assert_allclose(isotonic_regression(y), sk_isotonic_regression(y), rtol=1e-12)
    sawtooth = np.tile([3.0, 1.0, 2.0, 0.0], 50) + np.repeat(np.arange(50.0), 4) * 0.5
    np.testing.assert_allclose(isotonic_regression(sawtooth), sk_isotonic_regression(sawtooth), rtol=1e-12)
    assert np.all(np.diff(isotonic_regression(np.random.default_rng(0).normal(size=5000))) >= 0)


def binary_with_ties(seed, n=600):
    rng = np.random.default_rng(seed)
    x = np.round(rng.normal(size=n), int(rng.integers(1, 3)))  # rounding creates many ties
    y = (rng.random(n) < sigmoid(2 * x)).astype(int)
    return x, y


@pytest.mark.parametrize("seed", range(6))
def test_isotonic_calibration_equals_sklearn_isotonic_regression_with_ties(seed):
    x, y = binary_with_ties(seed)
    ours = IsotonicCalibration().fit(x, y)
    theirs = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1).fit(x, y)
    np.testing.assert_allclose(ours.X_thresholds_, theirs.X_thresholds_)
    np.testing.assert_allclose(ours.y_thresholds_, theirs.y_thresholds_, rtol=1e-12)
    new = np.concatenate([np.random.default_rng(seed).normal(0, 2, 300), [x.min() - 5, x.max() + 5]])
    np.testing.assert_allclose(ours.predict(new), theirs.predict(new), rtol=1e-12, atol=1e-14)


def test_isotonic_calibration_groups_near_equal_scores_as_sklearn():
    x = np.array([0.0, 1e-16, 1.0, 2.0, 2.0 + 1e-14])  # 0 and 1e-16 differ by less than 1e-15: one score
    y = np.array([0, 1, 1, 0, 1])
    ours = IsotonicCalibration().fit(x, y)
    theirs = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1).fit(x, y)
    np.testing.assert_array_equal(ours.X_thresholds_, theirs.X_thresholds_)
    np.testing.assert_allclose(ours.y_thresholds_, theirs.y_thresholds_)


def test_isotonic_calibration_of_one_score_value_is_constant():
    model = IsotonicCalibration().fit([0.4, 0.4, 0.4, 0.4], [0, 1, 1, 1])
    np.testing.assert_allclose(model.predict([0.0, 0.4, 1.0]), 0.75)


# ---- Platt and temperature scaling ---------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(4))
def test_platt_scaling_equals_an_unpenalised_logistic_fit_on_the_score(seed):
    rng = np.random.default_rng(seed)
    s = rng.normal(0, 2, 800) + 0.5
    y = (rng.random(800) < sigmoid(0.7 * s - 0.3 + rng.normal(0, 0.5, 800))).astype(int)
    platt = PlattScaling().fit(s, y)
    reference = SkLogisticRegression(C=1e12, tol=1e-12, max_iter=10_000).fit(s.reshape(-1, 1), y)
    assert platt.a_ == pytest.approx(reference.coef_[0, 0], rel=1e-5)
    assert platt.b_ == pytest.approx(reference.intercept_[0], rel=1e-5, abs=1e-7)
    grid = np.linspace(-6, 6, 25)
    np.testing.assert_allclose(platt.predict(grid), reference.predict_proba(grid.reshape(-1, 1))[:, 1], rtol=1e-5)


def test_platt_target_smoothing_keeps_separable_data_finite():
    s, y = np.array([0.1, 0.2, 0.3, 0.7, 0.8, 0.9]), np.array([0, 0, 0, 1, 1, 1])
    smooth = PlattScaling(target_smoothing=True).fit(s, y)
    # Platt's targets are 4/5 for positives and 1/5 for negatives: the same likelihood as every point
    # appearing as a positive with weight t and as a negative with weight 1 − t.
    t = np.where(y == 1, 4 / 5, 1 / 5)
    reference = SkLogisticRegression(C=1e12, tol=1e-12, max_iter=10_000).fit(
        np.concatenate([s, s]).reshape(-1, 1), np.repeat([1, 0], 6), sample_weight=np.concatenate([t, 1 - t]))
    assert smooth.a_ == pytest.approx(reference.coef_[0, 0], rel=1e-5)
    assert smooth.b_ == pytest.approx(reference.intercept_[0], rel=1e-5)
    steep = PlattScaling(max_iter=30).fit(s, y)  # without smoothing the likelihood has no maximum
    assert steep.a_ > 10 * smooth.a_ and np.all((steep.predict(s) > 0.5) == (y == 1))


@pytest.mark.parametrize("temperature", [0.5, 1.0, 2.5])
def test_temperature_scaling_recovers_the_temperature(temperature):
    rng = np.random.default_rng(1)
    z = rng.normal(0, 2, 40_000)
    y = (rng.random(len(z)) < sigmoid(z / temperature)).astype(int)
    fitted = TemperatureScaling(logits=True).fit(z, y).temperature_
    # The MLE of β = 1/T has standard error 1/√(n·E[z²σ'(βz)]) ≈ 0.01–0.02 here.
    assert fitted == pytest.approx(temperature, rel=0.05)


def test_temperature_is_one_over_the_slope_of_a_logistic_fit_without_intercept():
    y, p = overconfident(3000, temperature=2.0, seed=3)
    model = TemperatureScaling().fit(p, y)
    logits = np.log(p / (1 - p)).reshape(-1, 1)
    reference = SkLogisticRegression(C=1e12, fit_intercept=False, tol=1e-12, max_iter=10_000).fit(logits, y)
    assert model.temperature_ == pytest.approx(1 / reference.coef_[0, 0], rel=1e-6)
    on_logits = TemperatureScaling(logits=True).fit(logits.ravel(), y)
    assert on_logits.temperature_ == pytest.approx(model.temperature_, rel=1e-6)
    np.testing.assert_allclose(on_logits.predict(logits.ravel()), model.predict(p), rtol=1e-9)


# ---- every calibrator ---------------------------------------------------------------------------------------

def test_registry_calibrators_are_monotone_and_repair_overconfidence_out_of_sample():
    y, p = overconfident(6000, temperature=3.0, seed=5)
    (y_cal, p_cal), (y_test, p_test) = (y[:3000], p[:3000]), (y[3000:], p[3000:])
    raw_loss = log_loss(y_test, p_test)
    assert set(CALIBRATORS) == {"none", "platt", "isotonic", "temperature"}
    for name, (label, cls) in CALIBRATORS.items():
        assert isinstance(label, str) and label
        model = cls().fit(p_cal, y_cal)
        q = model.predict(p_test)
        assert q.shape == p_test.shape and np.all((q >= 0) & (q <= 1))
        order = np.argsort(p_test)
        assert np.all(np.diff(q[order]) >= -1e-12), name  # calibration never reorders the cases
        if cls is NoCalibration:
            np.testing.assert_array_equal(q, p_test)
        else:
            assert log_loss(y_test, q) < raw_loss - 0.05, name
            assert expected_calibration_error(y_test, q) < expected_calibration_error(y_test, p_test) / 2, name


@pytest.mark.parametrize("cls", [PlattScaling, IsotonicCalibration, TemperatureScaling, NoCalibration])
def test_calibrators_reject_bad_labels_and_scores(cls):
    with pytest.raises(ValueError, match="found the values 0, 1, 2"):
        cls().fit([0.1, 0.5, 0.9], [0, 1, 2])
    with pytest.raises(ValueError, match="only the class 1"):
        cls().fit([0.1, 0.5, 0.9], [1, 1, 1])
    with pytest.raises(ValueError, match="NaN"):
        cls().fit([0.1, np.nan, 0.9], [0, 1, 1])
    with pytest.raises(ValueError, match="same length"):
        cls().fit([0.1, 0.5], [0, 1, 1])


# ---- prevalence shift -----------------------------------------------------------------------------------------

def test_prevalence_correction_turns_the_true_posterior_at_one_prevalence_into_the_other():
    for separation in (1.0, 2.5):
        X, _ = make_imbalanced(5000, prevalence=0.5, separation=separation, random_state=2)
        X_rare, _ = make_imbalanced(5000, prevalence=0.01, separation=separation, random_state=3)
        for points in (X, X_rare):
            at_half = true_posterior(points, 0.5, separation)
            np.testing.assert_allclose(correct_prevalence(at_half, 0.5, 0.01),
                                       true_posterior(points, 0.01, separation), rtol=1e-10, atol=1e-15)
            np.testing.assert_allclose(correct_prevalence(true_posterior(points, 0.01, separation), 0.01, 0.5),
                                       at_half, rtol=1e-10)


def test_corrected_probabilities_are_calibrated_on_data_at_the_new_prevalence():
    # The posterior of balanced data, applied where 2 % are positive, over-states risk; the corrected one
    # agrees with the outcomes bin by bin, up to binomial noise (4 standard errors).
    X, y = make_imbalanced(100_000, prevalence=0.02, separation=2.0, random_state=4)
    balanced = true_posterior(X, 0.5, 2.0)
    corrected = correct_prevalence(balanced, 0.5, 0.02)
    edges = np.quantile(corrected, np.linspace(0, 1, 11))
    bins = np.clip(np.searchsorted(edges[1:-1], corrected, side="right"), 0, 9)
    for b in range(10):
        p, outcome = corrected[bins == b], y[bins == b]
        assert abs(outcome.sum() - p.sum()) < 4 * np.sqrt(np.sum(p * (1 - p))) + 1, b
    assert balanced.mean() > 5 * y.mean()
    assert expected_calibration_error(y, corrected) < expected_calibration_error(y, balanced) / 10


def test_prevalence_correction_is_identity_for_equal_prevalences_and_checks_inputs():
    p = np.linspace(0, 1, 11)
    np.testing.assert_allclose(correct_prevalence(p, 0.3, 0.3), p)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        correct_prevalence(p, 0.0, 0.5)
    with pytest.raises(ValueError, match="probabilities"):
        correct_prevalence([0.5, 1.2], 0.5, 0.1)


# ---- bad input ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fn", [brier_score_loss, log_loss, expected_calibration_error,
                                maximum_calibration_error, calibration_curve, reliability_bins])
def test_metrics_reject_bad_input(fn):
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\]"):
        fn([0, 1, 1], [0.1, 1.5, 0.9])
    with pytest.raises(ValueError, match="found the values 0, 1, 3"):
        fn([0, 1, 3], [0.1, 0.5, 0.9])
    with pytest.raises(ValueError, match="NaN"):
        fn([0, 1, 1], [0.1, np.nan, 0.9])
    with pytest.raises(ValueError, match="same length"):
        fn([0, 1], [0.1, 0.5, 0.9])
    with pytest.raises(ValueError, match="empty"):
        fn([], [])


def test_binning_arguments_are_checked():
    with pytest.raises(ValueError, match="strategy must be one of uniform, quantile"):
        calibration_curve([0, 1], [0.2, 0.8], strategy="equal")
    with pytest.raises(ValueError, match="n_bins must be at least 1"):
        expected_calibration_error([0, 1], [0.2, 0.8], n_bins=0)
    with pytest.raises(ValueError, match="at most two classes"):
        calibration_curve(["a", "b", "c"], [0.2, 0.5, 0.8], pos_label="a")
