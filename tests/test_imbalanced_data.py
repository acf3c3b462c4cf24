"""Rare-positive data and its exact posterior."""

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from core.imbalanced_data import PREVALENCES, make_imbalanced, true_posterior


@pytest.mark.parametrize("n, prevalence, n_pos", [
    (10_200, 1 / 102, 100),     # the car-crash example
    (50_000, 0.001, 50),        # 1 in 1,000
    (1000, 0.5, 500),
    (100, 0.001, 1),            # round(0.1) = 0, but at least one positive
    (100, 0.999, 99),           # and at least one negative
    (333, 0.1, 33),
    (337, 0.1, 34),             # 33.7 rounds up
])
def test_positive_count_is_exact(n, prevalence, n_pos):
    X, y = make_imbalanced(n, prevalence, separation=2.0)
    assert X.shape == (n, 2) and X.dtype == np.float64 and y.dtype == np.int64
    assert y.sum() == n_pos and set(np.unique(y)) == {0, 1}


def test_named_prevalences_cover_the_examples():
    assert PREVALENCES["1 in 102 (car crashes)"] == 1 / 102 and PREVALENCES["1 in 1,000"] == 0.001
    for value in PREVALENCES.values():
        make_imbalanced(1000, value, 1.0)


def test_classes_are_unit_gaussians_whose_means_lie_separation_apart():
    X, y = make_imbalanced(200_000, prevalence=0.2, separation=3.0, n_features=4, random_state=1)
    gap = X[y == 1].mean(axis=0) - X[y == 0].mean(axis=0)
    np.testing.assert_allclose(gap, 3.0 / 2, atol=0.03)  # 3·(1, 1, 1, 1)/√4
    np.testing.assert_allclose(np.linalg.norm(gap), 3.0, atol=0.03)
    for k in (0, 1):
        np.testing.assert_allclose(np.cov(X[y == k].T), np.eye(4), atol=0.03)


def test_same_seed_same_data_and_labels_are_shuffled():
    X1, y1 = make_imbalanced(500, 0.1, 2.0, random_state=3)
    X2, y2 = make_imbalanced(500, 0.1, 2.0, random_state=3)
    X3, _ = make_imbalanced(500, 0.1, 2.0, random_state=4)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)
    assert 0 < np.flatnonzero(y1)[0] and np.flatnonzero(y1)[-1] < 499 - 10  # not grouped at one end


@pytest.mark.parametrize("n_features", [1, 2, 5])
def test_true_posterior_is_bayes_rule_on_the_two_densities(n_features):
    prevalence, separation = 0.03, 2.5
    X, _ = make_imbalanced(2000, prevalence, separation, n_features=n_features, random_state=5)
    mu = np.full(n_features, separation / np.sqrt(n_features))
    pos = prevalence * multivariate_normal(mu, np.eye(n_features)).pdf(X)
    neg = (1 - prevalence) * multivariate_normal(np.zeros(n_features), np.eye(n_features)).pdf(X)
    np.testing.assert_allclose(true_posterior(X, prevalence, separation), pos / (pos + neg), rtol=1e-10)


def test_true_posterior_is_calibrated_on_the_generated_data():
    X, y = make_imbalanced(200_000, prevalence=1 / 102, separation=2.0, random_state=6)
    p = true_posterior(X, 1 / 102, 2.0)
    order = np.argsort(p)
    for chunk in np.array_split(order, 10):  # deciles of the posterior
        expected, observed = p[chunk].sum(), y[chunk].sum()
        assert abs(observed - expected) < 4 * np.sqrt(np.sum(p[chunk] * (1 - p[chunk]))) + 1


@pytest.mark.parametrize("kwargs, message", [
    ({"prevalence": 0.0005}, "prevalence must be at least 0.001"),
    ({"prevalence": 1.0}, "prevalence must be at most 0.999"),
    ({"separation": -1.0}, "separation must be at least 0"),
    ({"n_samples": 1}, "n_samples must be at least 2"),
    ({"n_samples": 10.5}, "n_samples must be a whole number"),
    ({"n_features": 0}, "n_features must be at least 1"),
])
def test_bad_settings_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_imbalanced(**{"n_samples": 100, "prevalence": 0.1, "separation": 1.0, **kwargs})


def test_true_posterior_checks_its_input():
    with pytest.raises(ValueError, match="shape"):
        true_posterior(np.zeros(3), 0.1, 1.0)
    with pytest.raises(ValueError, match="prevalence"):
        true_posterior(np.zeros((3, 2)), 0.0, 1.0)
