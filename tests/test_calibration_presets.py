"""Each calibration preset promises something in its sentence; check the promise with `core` directly."""

import numpy as np

from baselines.scorers import fit_scores
from core.calibration import CALIBRATORS, expected_calibration_error
from core.datasets_2d import train_test_split
from core.imbalanced_data import make_imbalanced, with_copies
from core.thresholds import always_negative_baseline, at_threshold, per_10k, threshold_table
from tests.test_app_pages import declared

PAGE = "explorers/calibration.py"


def run(slug, **override):
    """What the page computes for ``slug``: test labels and each calibrator's test probabilities."""
    params, presets = declared(PAGE)
    v = {p.name: p.default for p in params} | presets[slug].values | override
    X, y = make_imbalanced(v["n"], 1 / int(v["prevalence"]), v["separation"], 2, v["seed"])
    X = with_copies(X, v["copies"], random_state=v["seed"])
    X_rest, X_test, y_rest, y_test = train_test_split(X, y, 0.3, v["seed"])
    X_train, X_cal, y_train, y_cal = train_test_split(X_rest, y_rest, v["cal_share"] / 0.7, v["seed"])
    scores = fit_scores(v["model"], X_train, y_train, np.vstack([X_cal, X_test]), v["seed"])
    s_cal, s_test = scores[:len(X_cal)], scores[len(X_cal):]
    return v, y_test, {name: cls().fit(s_cal, y_cal).predict(s_test) for name, (_, cls) in CALIBRATORS.items()}


def test_car_crash_model_beats_always_no_by_a_hair_and_misses_half():
    v, y, p = run("car-crash")
    ours = at_threshold(threshold_table(y, p["none"]), v["t"])
    never = always_negative_baseline(y)
    assert round(never.accuracy, 3) == 0.990 and round(ours.accuracy, 3) == 0.995
    assert 0.4 < ours.recall < 0.65  # "still misses about half the crashes"
    assert ours.balanced_accuracy < 0.8 and never.balanced_accuracy == 0.5 and never.mcc == 0


def test_fraud_thresholds_per_ten_thousand():
    v, y, p = run("fraud")
    table = threshold_table(y, p["none"])
    a, b = per_10k(at_threshold(table, v["t_a"])), per_10k(at_threshold(table, v["t_b"]))
    assert 11 < a.flagged < 15 and 10 < a.caught < 14
    assert b.flagged < a.flagged and b.caught < a.caught and 1 <= b.missed - a.missed <= 3


def test_naive_bayes_over_confident_and_isotonic_fixes_it():
    v, y, p = run("nb-isotonic")
    raw, iso = expected_calibration_error(y, p["none"]), expected_calibration_error(y, p["isotonic"])
    assert raw > 0.08 and iso < 0.02
    logistic = run("nb-isotonic", model="logistic")[2]["none"]
    assert expected_calibration_error(y, logistic) < raw / 3  # the model, not the data, is miscalibrated


def test_isotonic_overfits_a_tiny_calibration_set():
    v, y, p = run("isotonic-overfit")
    ece = {name: expected_calibration_error(y, q) for name, q in p.items()}
    assert ece["isotonic"] > ece["none"] and ece["isotonic"] > ece["platt"]
    _, y_big, p_big = run("isotonic-overfit", cal_share=0.4)
    assert expected_calibration_error(y_big, p_big["isotonic"]) < ece["isotonic"]
