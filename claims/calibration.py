"""Checks of the calibration page's sentences: the page's split and scores recomputed (``baselines.scorers`` fits
scikit-learn's models), judged with scikit-learn's ``calibration_curve`` and metrics where they have the same
quantity, and with ``core.thresholds`` (held to scikit-learn in tests/test_thresholds.py) for the counts."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.special import expit
from sklearn.calibration import calibration_curve
from sklearn.metrics import accuracy_score, recall_score

from baselines.scorers import fit_scores
from claims import checks
from core.calibration import CALIBRATORS, expected_calibration_error
from core.datasets_2d import train_test_split
from core.imbalanced_data import make_imbalanced, with_copies
from core.thresholds import at_threshold, per_10k, threshold_table

PAGE = "calibration"


def run(v: dict, **override):
    """Test labels and each calibrator's test probabilities, as the page computes them for ``v``."""
    v = v | override
    return _run(int(v["n"]), int(v["prevalence"]), float(v["separation"]), int(v["copies"]), int(v["seed"]),
                v["model"], float(v["cal_share"]))


@lru_cache(maxsize=16)
def _run(n, prevalence, separation, copies, seed, model, cal_share):
    X, y = make_imbalanced(n, 1 / prevalence, separation, 2, seed)
    X = with_copies(X, copies, random_state=seed)
    X_rest, X_test, y_rest, y_test = train_test_split(X, y, 0.3, seed)
    X_train, X_cal, y_train, y_cal = train_test_split(X_rest, y_rest, cal_share / 0.7, seed)
    scores = fit_scores(model, X_train, y_train, np.vstack([X_cal, X_test]), seed)
    s_cal, s_test = scores[:len(X_cal)], scores[len(X_cal):]
    return y_test, {name: cls().fit(s_cal, y_cal).predict(s_test) for name, (_, cls) in CALIBRATORS.items()}, \
        len(X_cal)


@checks(PAGE)
def car_crash(v):
    y, p, _ = run(v)
    flagged = p["none"] >= v["t"]
    assert round(accuracy_score(y, np.zeros_like(y)), 3) == 0.990, "“never” is not 99.0 % accurate"
    assert round(accuracy_score(y, flagged), 3) == 0.995, "the model is not 99.5 % accurate"
    assert 0.4 < recall_score(y, flagged) < 0.65, "it does not miss about half the crashes"


@checks(PAGE)
def fraud(v):
    y, p, _ = run(v)
    table = threshold_table(y, p["none"])
    a, b = per_10k(at_threshold(table, v["t_a"])), per_10k(at_threshold(table, v["t_b"]))
    assert (round(a.flagged), round(a.caught), round(b.flagged), round(b.caught)) == (13, 12, 11, 10), (a, b)
    assert round(b.missed - a.missed) == 2
    for t, row in ((v["t_a"], a), (v["t_b"], b)):  # the counts, straight from the scores
        assert np.isclose(row.flagged, 1e4 * np.mean(p["none"] >= t))


@checks(PAGE)
def nb_isotonic(v):
    y, p, _ = run(v)
    raw, iso = expected_calibration_error(y, p["none"]), expected_calibration_error(y, p["isotonic"])
    assert v["copies"] == 4 and round(raw, 2) == 0.12 and round(iso, 2) == 0.01, (raw, iso)
    y_l, p_l, _ = run(v, model="logistic")
    assert expected_calibration_error(y_l, p_l["none"]) < raw / 3  # the model, not the data, is miscalibrated


@checks(PAGE)
def isotonic_overfit(v):
    y, p, n_cal = run(v)
    ece = {name: expected_calibration_error(y, q) for name, q in p.items()}
    assert n_cal == 100, n_cal
    assert round(ece["isotonic"], 2) == 0.06 and round(ece["none"], 2) == 0.03, ece
    assert ece["none"] < ece["platt"] < ece["isotonic"] and round(ece["platt"], 2) == 0.04, ece
    assert min(ece.values()) == ece["none"], "a calibrator helps here"
    y_big, p_big, _ = run(v, cal_share=0.4)
    assert expected_calibration_error(y_big, p_big["isotonic"]) < ece["isotonic"] / 2, "isotonic does not recover"


@checks(PAGE)
def diagonal(v):
    """Above the diagonal the predictions are too low, below too high; an over-confident model (σ(2z) where the
    truth is σ(z)) sits above it left of 0.5 and below it right of 0.5, an under-confident one the other way."""
    rng = np.random.default_rng(0)
    z = rng.normal(0, 2, 200_000)
    y = rng.random(z.size) < expit(z)
    for p, over in ((expit(2 * z), True), (expit(z / 2), False)):
        observed, predicted = calibration_curve(y, p, n_bins=10)
        above = observed > predicted
        low, high = predicted < 0.45, predicted > 0.55
        assert np.all(above[low] == over) and np.all(above[high] != over)


@checks(PAGE)
def separation(v):
    """δ is the distance between the class means in (shared) standard deviations; at δ = 0 the classes are
    indistinguishable: the best accuracy on balanced classes is Φ(δ/2) = 50 % (SciPy's normal CDF)."""
    from scipy.stats import norm
    from core.imbalanced_data import make_imbalanced
    X, y = make_imbalanced(200_000, 0.5, 2.0, 1, 0)
    gap = (X[y == 1, 0].mean() - X[y == 0, 0].mean()) / X[y == 0, 0].std()
    assert abs(gap - 2.0) < 0.03, gap
    assert norm.cdf(0 / 2) == 0.5


@checks(PAGE)
def precision_prevalence(v):
    """With TPR and FPR fixed, precision π·TPR / (π·TPR + (1 − π)·FPR) falls as π falls, and the page's
    prevalence correction equals Bayes' rule on the odds."""
    from core.calibration import correct_prevalence
    pi = np.geomspace(1e-3, 0.5, 50)
    for tpr, fpr in ((0.6, 0.01), (0.95, 0.2)):
        precision = pi * tpr / (pi * tpr + (1 - pi) * fpr)
        assert np.all(np.diff(precision) > 0)
    for p, a, b in ((0.5, 0.1, 0.01), (0.9, 0.3, 0.02)):
        odds = p / (1 - p) * (b / (1 - b)) / (a / (1 - a))
        assert np.isclose(float(correct_prevalence(p, a, b)), odds / (1 + odds))
