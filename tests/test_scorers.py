"""Scorers with different calibration habits: each habit shows on data where they differ."""

import numpy as np
import pytest
from sklearn.datasets import make_classification

from baselines.scorers import SCORERS, fit_scores
from core.calibration import IsotonicCalibration, expected_calibration_error
from core.thresholds import roc_auc_score


@pytest.fixture(scope="module")
def splits():
    # Two informative features and six linear combinations of them: naive Bayes counts the same evidence
    # several times over. Train / calibration / test splits of 2,000.
    X, y = make_classification(n_samples=6000, n_features=8, n_informative=2, n_redundant=6, class_sep=0.8,
                               random_state=42)
    return (X[:2000], y[:2000]), (X[2000:4000], y[2000:4000]), (X[4000:], y[4000:])


@pytest.fixture(scope="module")
def scores(splits):
    (X_train, y_train), (X_cal, _), (X_test, _) = splits
    both = np.vstack([X_cal, X_test])
    return {name: np.split(fit_scores(name, X_train, y_train, both, random_state=0), [2000])
            for name in SCORERS}


def test_every_scorer_gives_probabilities_that_rank_well(splits, scores):
    assert list(SCORERS) == ["logistic", "naive_bayes", "forest", "svm", "mlp"]
    y_test = splits[2][1]
    for name, (cal, test) in scores.items():
        assert isinstance(SCORERS[name][0], str)
        assert test.shape == (2000,) and test.dtype == np.float64
        assert np.all((test >= 0) & (test <= 1)), name
        assert roc_auc_score(y_test, test) > 0.85, name


def test_naive_bayes_is_worse_calibrated_than_logistic_regression(splits, scores):
    y_test = splits[2][1]
    nb, logistic = (expected_calibration_error(y_test, scores[k][1]) for k in ("naive_bayes", "logistic"))
    assert nb > 2 * logistic, (nb, logistic)


def test_isotonic_on_a_calibration_split_repairs_naive_bayes_on_the_test_split(splits, scores):
    (_, _), (_, y_cal), (_, y_test) = splits
    cal, test = scores["naive_bayes"]
    repaired = IsotonicCalibration().fit(cal, y_cal).predict(test)
    assert expected_calibration_error(y_test, repaired) < expected_calibration_error(y_test, test) / 2


def test_forest_avoids_the_extremes_that_naive_bayes_loves(scores):
    def extreme_share(p):
        return np.mean((p < 0.05) | (p > 0.95))
    assert extreme_share(scores["forest"][1]) < extreme_share(scores["naive_bayes"][1]) - 0.2


def test_svm_score_is_a_squashed_margin_and_not_calibrated(splits, scores):
    # σ(margin) lives mostly in σ(±1) ≈ [0.27, 0.73]: far from the confident truth on this easy data.
    y_test = splits[2][1]
    test = scores["svm"][1]
    assert np.mean((test < 0.05) | (test > 0.95)) < 0.05
    assert expected_calibration_error(y_test, test) > 0.05


def test_same_seed_same_scores(splits):
    (X_train, y_train), (X_cal, _), _ = splits
    for name in ("forest", "mlp"):
        np.testing.assert_array_equal(fit_scores(name, X_train, y_train, X_cal[:50], random_state=1),
                                      fit_scores(name, X_train, y_train, X_cal[:50], random_state=1))


@pytest.mark.parametrize("call, message", [
    (lambda X, y: fit_scores("boosting", X, y, X), "Unknown scorer 'boosting'"),
    (lambda X, y: fit_scores("logistic", X, y + 1, X), "found the values 1, 2"),
    (lambda X, y: fit_scores("logistic", X, np.ones_like(y), X), "only the class 1"),
    (lambda X, y: fit_scores("logistic", X[:-1], y, X), "one row per label"),
    (lambda X, y: fit_scores("logistic", X, y, X[:, :1]), "2 columns"),
])
def test_bad_input_is_rejected(call, message):
    X, y = np.random.default_rng(0).normal(size=(20, 2)), np.tile([0, 1], 10)
    with pytest.raises(ValueError, match=message):
        call(X, y)


def test_the_slow_models_fit_a_stratified_share_of_a_big_training_set():
    from baselines.scorers import FIT_ROWS, fit_rows
    from core.datasets_2d import subsample

    X, y = make_classification(n_samples=6000, n_features=4, weights=[0.8], random_state=3)
    for name in ("svm", "mlp"):  # 2,000 and 5,000 rows: both below these 6,000
        share = subsample(X, y, FIT_ROWS[name], 3)
        np.testing.assert_array_equal(fit_scores(name, X, y, X[:100], random_state=3),
                                      fit_scores(name, *share, X[:100], random_state=3))
    assert fit_rows("svm", 6000) == 2000 and fit_rows("svm", 500) == 500
    assert fit_rows("logistic", 10**6) == 10**6  # fast models take every row
