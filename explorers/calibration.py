"""Calibration and thresholds (pages/calibration.py): its controls, presets and computations, importable without
running the page.

The page draws; this module declares what the page's link can say (``PARAMS``, ``PRESETS``, the stage's ``KEY`` and
``MORE`` controls) and computes what it shows: the model's scores and the calibrators' probabilities, the
all-thresholds table, and the figures. ``warm(values)`` calls the same cached functions the page calls for a view,
so the server can fill the caches before a class opens it. Streamlit is imported for its cache decorators only:
nothing here draws.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from baselines.scorers import SCORERS, fit_rows, fit_scores
import claims.calibration as checked
from claims import claim, said
from core.calibration import CALIBRATORS, brier_score_loss, expected_calibration_error, reliability_bins
from core.datasets_2d import train_test_split
from core.imbalanced_data import make_imbalanced, with_copies
from core.thresholds import (at_threshold, bayes_threshold, best_threshold, expected_cost, roc_auc_score,
                             average_precision_score, threshold_table)
from server.workers import run_heavy
from ui.figures import draw
from ui.params import BoolParam, ChoiceParam, FloatParam, IntParam, Preset
from viz.calibration import (ONE_IN_STEPS, cost_curve, paradox_animation, prevalence_curve, reliability,
                             score_histogram, threshold_explorer)

PAGE = "calibration"
TEST_SHARE = 0.3
UPLOAD = "upload"
GIVEN = "given"  # an uploaded score column, used as it is
#: Prevalences as "1 in k" (the URL holds k).
#: Prevalences to choose from: the paradox animation's own steps, so every choice has its frame.
ONE_IN = {str(k): said(f"1 in {k:,}") + (" (car crashes)" if k == 102 else "") for k in ONE_IN_STEPS}

PARAMS = [
    ChoiceParam("source", "Data", "synthetic", options={"synthetic": "Two Gaussian classes (set the prevalence)",
                                                        UPLOAD: "Your own CSV…"}),
    ChoiceParam("prevalence", "Prevalence", "10", options=ONE_IN),
    FloatParam("separation", "Class separation δ", 2.0, low=0.0, high=6.0, step=0.25,
               help=claim(checked.separation,
                          "Distance between the class means in standard deviations: 0 = indistinguishable.")),
    IntParam("copies", "Duplicated features", 0, low=0, high=8,
             help=said("Noisy copies of the features: the same evidence again, which naive Bayes counts as "
                        "new (the nb-isotonic preset's check measures what that does).")),
    IntParam("n", "Rows", 20_000, low=1_000, high=100_000, step=1_000),
    IntParam("seed", "Seed", 0, low=0, high=9999, kind="number"),
    ChoiceParam("model", "Model", "logistic", options={k: label for k, (label, _) in SCORERS.items()}),
    FloatParam("cal_share", "Calibration split", 0.2, low=0.02, high=0.5, step=0.01, fmt="%.2f",
               help=said("Rows held out to fit the calibrators (never the test rows).")),
    ChoiceParam("use", "Scores used for decisions", "none", options={k: label for k, (label, _) in CALIBRATORS.items()}),
    IntParam("bins", "Reliability bins", 10, low=5, high=30),
    ChoiceParam("strategy", "Bins", "uniform", options={"uniform": "equal width", "quantile": "equal counts"}),
    FloatParam("t", "Threshold", 0.5, low=0.0, high=1.0, step=0.01,
               help=said("Where the figure's own slider opens, and the threshold the sections below use. The slider "
                    "under the figure moves the threshold at once, in your browser, and leaves this one as it is.")),
    FloatParam("cost_fp", "Cost of a false positive", 1.0, low=0.1, high=100.0, step=0.1, kind="number"),
    FloatParam("cost_fn", "Cost of a false negative", 5.0, low=0.1, high=1000.0, step=0.1, kind="number"),
    BoolParam("compare", "Compare two thresholds", False),
    FloatParam("t_a", "Threshold A", 0.8, low=0.0, high=1.0, step=0.01),
    FloatParam("t_b", "Threshold B", 0.9, low=0.0, high=1.0, step=0.01),
    ChoiceParam("deploy", "Prevalence where the model is used", "100", options=ONE_IN),
]
PRESETS = {
    "car-crash": Preset(claim(checked.car_crash, "The “99 % accurate” car-crash model (1 in 102)"),
                        {"prevalence": "102", "separation": 3.0, "n": 50_000, "t": 0.5},
                        claim(checked.car_crash,
                              "Crashes happen in 1 of 102 trips, so “never crashes” is already 99.0 % accurate. Our "
                              "model is 99.5 % accurate — and still misses about half the crashes. Balanced "
                              "accuracy, recall, MCC and precision tell the truth that accuracy hides.")),
    "fraud": Preset(claim(checked.fraud, "Fraud: block at 0.8 or at 0.9?"),
                    {"prevalence": "500", "separation": 4.0, "n": 100_000, "compare": True, "t_a": 0.8,
                     "t_b": 0.9, "t": 0.8},
                    claim(checked.fraud,
                          "Per 10,000 payments, 0.8 blocks about 13 and catches 12 frauds; 0.9 blocks 11, catches 10 "
                          "and lets 2 more through. Which is right depends on what a missed fraud costs against an "
                          "annoyed customer — set the costs and read the curve.")),
    "nb-isotonic": Preset("Naive Bayes is over-confident; isotonic fixes it",
                          {"model": "naive_bayes", "copies": 4, "prevalence": "5", "use": "isotonic"},
                          claim(checked.nb_isotonic,
                                "With the features duplicated, naive Bayes counts the same evidence five times: its "
                                "reliability curve is an S, its ECE about 0.12. Isotonic regression fitted on the "
                                "calibration split bends it back onto the diagonal (ECE about 0.01).")),
    "isotonic-overfit": Preset("Isotonic overfits a tiny calibration set",
                               {"model": "logistic", "prevalence": "5", "n": 2_000, "cal_share": 0.05},
                               claim(checked.isotonic_overfit,
                                     "With only 100 calibration rows, isotonic regression fits their noise: a "
                                     "staircase whose test ECE (≈ 0.06) is worse than no calibration at all (≈ "
                                     "0.03). Platt scaling fits two parameters and lands in between (≈ 0.04): "
                                     "logistic regression was calibrated already, so here no calibrator helps. Raise "
                                     "the calibration split and watch isotonic recover.")),
}

#: The Math & code panel's equations (the notebook export shows the same). One formula a line: the math
#: column is ~330 px wide on a 1280 px screen, and a wider line is cut off.
EQUATIONS = [
    r"\mathrm{ECE} = \sum_b \frac{n_b}{n}\,\big|\,\bar y_b - \bar p_b\,\big|",
    r"\mathrm{Brier} = \frac1n\sum_i (p_i - y_i)^2",
    r"\text{Platt: } p = \sigma(a s + b)",
    r"\text{temperature: } p = \sigma(\operatorname{logit}(s)/T)",
    r"\text{isotonic: } \min_{f \uparrow} \sum_i (y_i - f(s_i))^2",
    r"\text{TPR} = \frac{TP}{P},\qquad \text{FPR} = \frac{FP}{N}",
    r"\text{precision} = \frac{TP}{\hat P},\qquad \text{recall} = \text{TPR}",
    r"\mathrm{MCC} = \frac{TP\cdot TN - FP\cdot FN}{\sqrt{P\,N\,\hat P\,\hat N}}",
    r"\text{cost}(t) = \frac{C_{FP}\,FP(t) + C_{FN}\,FN(t)}{n}",
    r"t^* = \frac{C_{FP}}{C_{FP} + C_{FN}}",
    r"p' = \frac{p\,\pi'/\pi}{p\,\pi'/\pi + (1 - p)\,\frac{1 - \pi'}{1 - \pi}}",
]

#: The stage: beside the threshold figure, what changes it most — the data's prevalence and overlap, the model,
#: the scores it decides on, and where the page's threshold sits. The data source and sizes are one click away.
KEY = ("prevalence", "separation", "model", "use", "t")
MORE = ("source", "copies", "n", "seed", "cal_share")


# ------------------------------------------------------------------------------------------- computing


@st.cache_resource(max_entries=12, show_spinner="Fitting the model and the calibrators…")
def scored(source_key: tuple, model: str, cal_share: float, seed: int, _table=None):
    """Train / calibration / test split, the model's scores, and each calibrator's probabilities on test."""
    if _table is None:
        _, prevalence, separation, copies, n = source_key
        X, y = make_imbalanced(n, prevalence, separation, 2, seed)
        X = with_copies(X, copies, random_state=seed)
    else:
        X, y = _table
    X_rest, X_test, y_rest, y_test = train_test_split(X, y, TEST_SHARE, seed)
    X_train, X_cal, y_train, y_cal = train_test_split(X_rest, y_rest, cal_share / (1 - TEST_SHARE), seed)
    if model == GIVEN:  # the table's own score column: nothing to train
        s_cal, s_test = X_cal[:, 0], X_test[:, 0]
    else:
        scores = run_heavy(fit_scores, model, X_train, y_train, np.vstack([X_cal, X_test]), seed)
        s_cal, s_test = scores[:len(X_cal)], scores[len(X_cal):]
    calibrated = {name: cls().fit(s_cal, y_cal).predict(s_test) for name, (_, cls) in CALIBRATORS.items()}
    return {"y_test": y_test, "calibrated": calibrated, "train_prevalence": float(np.mean(y_train)),
            "n_cal": len(y_cal), "n_train": len(y_train),
            "n_fit": len(y_train) if model == GIVEN else fit_rows(model, len(y_train))}


@st.cache_resource(max_entries=16, show_spinner=False)
def tables(key: tuple, use: str, _result: dict):
    """The all-thresholds table and the score histograms of one set of test scores (cached: the slider then
    only looks a threshold up, O(log n))."""
    scores, y = _result["calibrated"][use], _result["y_test"]
    return (threshold_table(y, scores, probabilities=True), score_histogram(scores, y),
            (roc_auc_score(y, scores), average_precision_score(y, scores)))


# The two threshold figures are rebuilt only when their inputs change (a rebuild costs 0.1–0.3 s of CPU;
# a class moving the same slider to the same places shares them). ``key`` names the table.
@st.cache_resource(max_entries=64, show_spinner=False)
def threshold_figure(key: tuple, t: float, _table, _hist):
    return draw(threshold_explorer, _table, _hist, t)


@st.cache_resource(max_entries=64, show_spinner=False)
def cost_figure(key: tuple, cost_fp: float, cost_fn: float, marks: tuple, _table, _costs, best, bayes):
    return draw(cost_curve, _table, cost_fp, cost_fn, _costs, best, bayes, dict(marks))


@st.cache_resource(max_entries=16, show_spinner=False)
def reliability_figure(key: tuple, bins: int, strategy: str, _result: dict):
    y = _result["y_test"]
    panels = [(label, reliability_bins(y, _result["calibrated"][name], bins, strategy),
               expected_calibration_error(y, _result["calibrated"][name], bins, strategy),
               brier_score_loss(y, _result["calibrated"][name])) for name, (label, _) in CALIBRATORS.items()]
    return draw(reliability, panels)


@st.cache_resource(max_entries=32, show_spinner=False)
def prevalence_figure(tpr: float, fpr: float, train_prevalence: float, deploy: float):
    return draw(prevalence_curve, tpr, fpr, train_prevalence, deploy)


@st.cache_resource(max_entries=32, show_spinner=False)
def paradox_figure(tpr: float, fpr: float, one_in: int):
    return draw(paradox_animation, tpr, fpr, one_in)


#: What the tables show where a number is undefined (precision when nothing is flagged is 0/0), instead of a
#: bare "None" (pages/optimizers.py's results_table does the same).
UNDEFINED = "— (none flagged)"


def paradox_row(name: str, row) -> dict:
    """The metrics that tell the truth at low prevalence; precision is undefined when nothing is flagged."""
    return {"model": name, "accuracy": row.accuracy, "balanced accuracy": row.balanced_accuracy, "MCC": row.mcc,
            "precision": row.precision if row.tp + row.fp else None, "recall": row.recall}


def shown_table(rows: list[dict], digits: dict[str, int]) -> pd.DataFrame:
    """``rows`` as the page shows them: a column holding an undefined value says so in words, its numbers
    written out with ``digits[column]`` decimals (a column mixing text and numbers is text)."""
    table = pd.DataFrame(rows)
    for column, places in digits.items():
        missing = table[column].isna()
        if missing.any():
            table[column] = [UNDEFINED if gone else f"{value:.{places}f}" for gone, value in zip(missing, table[column])]
    return table


# ------------------------------------------------------------------------------------------- warming up


def warm(values: dict) -> None:
    """Compute what the page computes for the view ``values`` (every PARAMS name): the scores, the threshold
    table and figure, the reliability diagrams, the cost curve, the paradox animation and the precision curve. An
    uploaded table has nothing to warm, and a view the page would explain as an error is skipped."""
    if values["source"] == UPLOAD:
        return
    source_key = ("synthetic", 1 / int(values["prevalence"]), values["separation"], values["copies"], values["n"])
    scores_key = (source_key, values["model"], values["cal_share"], values["seed"])
    try:
        result = scored(*scores_key)
        table, hist, _ = tables(scores_key, values["use"], result)
    except ValueError:
        return
    table_key = (scores_key, values["use"])
    threshold_figure(table_key, values["t"], table, hist)
    reliability_figure(scores_key, values["bins"], values["strategy"], result)
    cost_fp, cost_fn = values["cost_fp"], values["cost_fn"]
    marks = {"A": values["t_a"], "B": values["t_b"]} if values["compare"] else {"your threshold": values["t"]}
    cost_figure(table_key, cost_fp, cost_fn, tuple(marks.items()), table, expected_cost(table, cost_fp, cost_fn),
                best_threshold(table, cost_fp, cost_fn), bayes_threshold(cost_fp, cost_fn))
    ours, deploy_one_in = at_threshold(table, values["t"]), int(values["deploy"])
    paradox_figure(float(f"{ours.recall:.6g}"), float(f"{ours.fpr:.6g}"), deploy_one_in)
    prevalence_figure(ours.recall, ours.fpr, result["train_prevalence"], 1 / deploy_one_in)
