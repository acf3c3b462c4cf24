"""Calibration and thresholds: can you trust the probability, and where should the line be?"""

import numpy as np
import pandas as pd
import streamlit as st

from baselines.scorers import SCORERS
import claims.calibration as checked
from claims import claim, said
from core.calibration import CALIBRATORS, correct_prevalence, expected_calibration_error
from core.thresholds import always_negative_baseline, at_threshold, bayes_threshold, best_threshold, expected_cost
from explorers import calibration as explorer
from explorers.calibration import (GIVEN, UPLOAD, cost_figure, paradox_figure, paradox_row, prevalence_figure,
                                   reliability_figure, scored, shown_table, tables, threshold_figure)
from ui.errors import attempt
from ui.export import export_buttons
from ui.math_panel import math_and_code
from ui.uploads import guess_label_column, numeric_table, upload_widget
from ui.view import View
from viz.calibration import ONE_IN_STEPS, per_10k_table
from ui.routing import enter_through_router

enter_through_router()  # on a fresh server a direct link runs this file without app.py: go through it


def uploaded_table() -> tuple[tuple | None, tuple | None]:
    """The uploader and its column pickers, in the page's flow (under the stage: they need its width); the
    table ``(X, codes)`` and its cache key, or ``(None, None)`` until a usable table and columns are chosen."""
    st.subheader("Your data", divider="gray")
    df = upload_widget("calibration.upload", help=said("One row per case: a 0/1 label column, and either a score "
                       "column in [0, 1] or feature columns to train a model on."))
    if df is None:
        return None, None
    left, right = st.columns(2)
    with left:
        # the column named like a label (species, class, y…) when there is one, else the first with two values
        named = guess_label_column(df)
        binary = [i for i, c in enumerate(df.columns) if df[c].nunique(dropna=True) == 2]
        default = list(df.columns).index(named) if named is not None else (binary[0] if binary else 0)
        label = st.selectbox("Label column", list(df.columns), key="calibration.label", index=default,
                             help="Two values: the second is the positive class. More: pick one class to "
                                  "judge against all the others.")
        mode = st.radio("The other columns are", ["features to train a model on", "a score to judge"],
                        key="calibration.mode", horizontal=True)
    with right:
        others = [c for c in df.columns if c != label]
        if mode == "a score to judge":
            features = [st.selectbox("Score column (probabilities in [0, 1])", others, key="calibration.score")]
        else:
            features = st.multiselect("Feature columns to train on", others, key="calibration.features",
                                      placeholder="All numeric columns")
    made = attempt(numeric_table, df, features or None, label, min_columns=1,
                   fix="Pick a label column.")
    if made is None:
        return None, None
    X, codes, names, _, notices = made
    for notice in notices:
        st.info(notice, icon="ℹ️")
    positive = None
    if len(names) > 2:  # one class against the rest: a two-class question the page can answer
        positive = st.selectbox("Positive class (one against the rest)", [str(n) for n in names],
                                key="calibration.positive")
        k = [str(n) for n in names].index(positive)
        st.caption(said(f"**{positive} vs the rest:** every row labelled {positive} is a positive (1), each of the "
                   f"other {len(names) - 1} classes a negative (0). The scores answer one question, “is it "
                   f"{positive}?”, and calibration, thresholds and costs are about that question only."))
        codes, names = (codes == k).astype(np.int64), [f"not {positive}", positive]
    if len(names) != 2:
        st.error(f"The label column must hold two values or more; it holds {len(names)}: "
                 f"{', '.join(map(str, names[:6]))}. **What to change:** pick another label column.", icon="✋")
    elif mode == "a score to judge" and not (np.all(X >= 0) and np.all(X <= 1)):
        st.error(said(f"The score column must hold probabilities in [0, 1]; it runs from {X.min():.3g} to "
                 f"{X.max():.3g}. **What to change:** pick a probability column, or train on features."), icon="✋")
    else:
        return (X, codes), ("upload", mode, positive, hash(X.tobytes()), hash(codes.tobytes()))
    return None, None


# ------------------------------------------------------------------------------------------- the page

view = View.of(explorer)  # the stage: explorers/calibration.py KEY and MORE
view.header("⚖️ Calibration and thresholds",
            said("A classifier's score is a promise: “0.9” should come true 9 times in 10. And a threshold turns it into "
            "a decision that costs something when wrong. **Notice when a probability can't be trusted, where the "
            "cheapest threshold sits, and how a rare event makes accuracy lie.**"))

source = view.control("source")
table_data, source_key = None, None
if source == UPLOAD:
    table_data, source_key = uploaded_table()  # below the stage: it needs the page's width
else:
    prevalence, separation, copies, n, seed_ = view.row(["prevalence", "separation", "copies", "n", "seed"],
                                                        widths=[3, 2, 2, 2, 1])
    source_key = ("synthetic", 1 / int(prevalence), separation, copies, n)
if source_key is not None and source_key[1] == "a score to judge":
    cal_share, use = view.row(["cal_share", "use"])
    model = GIVEN
else:
    model, cal_share, use = view.row(["model", "cal_share", "use"], widths=[2, 2, 2])
t = view.control("t")
seed = view.values()["seed"]
stage = view.on_stage()

result = None
if source_key is not None:
    result = attempt(scored, source_key, model, cal_share, seed, _table=table_data,
                     fix=said("Use more rows, or a larger calibration split, so every split has both classes."))
if result is None:
    stage.info("The threshold figure appears here once the data are ready"
               + (": upload a CSV file below." if source == UPLOAD else "."), icon="⚖️")

if result is not None:
    y_test = result["y_test"]
    if result["n_fit"] < result["n_train"]:
        st.caption(f"The {SCORERS[model][0]} is fitted on {result['n_fit']:,} of the {result['n_train']:,} "
                   "training rows, chosen at random with each class keeping its share, so that it takes about a "
                   "second" + (" (a kernel SVM's cost grows with the square of the rows)" if model == "svm" else "")
                   + ". The calibration and test splits keep all their rows.")
    made = attempt(tables, (source_key, model, cal_share, seed), use, result)
    table, hist, (auc, ap) = made if made is not None else (None, None, (np.nan, np.nan))

    if table is not None:
        at_t = at_threshold(table, t)
        table_key = ((source_key, model, cal_share, seed), use)
        with stage:
            view.chart(threshold_figure(table_key, t, table, hist), key="thresholds", summary=(
                f"Scores of the {len(y_test):,} test cases as histograms per class, with the threshold at {t:.2f}, "
                f"its point on the ROC and precision–recall curves, and the confusion matrix. At this threshold "
                f"{at_t.tp:,} positives are caught, {at_t.fn:,} missed, {at_t.fp:,} negatives wrongly flagged and "
                f"{at_t.tn:,} correctly passed: precision {at_t.precision:.3f}, recall {at_t.recall:.3f}, "
                f"accuracy {at_t.accuracy:.3f}. ROC AUC {auc:.3f}."))
        st.caption(said(f"Test split: {len(y_test):,} rows, {int(y_test.sum()):,} positives. ROC AUC "
                   f"{auc:.3f}, average precision {ap:.3f}. Drag the slider under the figure and the line, the "
                   "confusion matrix, both curves' points and every metric follow at once, in your browser; the "
                   "Threshold control beside the figure sets where it opens and the threshold the sections below "
                   "use. The confusion-matrix colours are shares of each actual class, so the rare class stays "
                   "visible."))

    st.subheader("Can you trust the probability?", divider="gray")
    bins, strategy = view.row(["bins", "strategy"])
    view.chart(reliability_figure((source_key, model, cal_share, seed), bins, strategy, result),
               key="reliability", summary=(
                   f"Reliability diagrams ({bins} {strategy} bins): the mean predicted probability against the "
                   "observed share of positives in each bin, one panel per calibrator; on the diagonal is "
                   "perfect calibration. Expected calibration error on the test split: " + "; ".join(
                       f"{label} {expected_calibration_error(y_test, result['calibrated'][name], bins, strategy):.3f}"
                       for name, (label, _) in CALIBRATORS.items()) + "."))
    st.caption(f"Each calibrator was fitted on the {result['n_cal']:,}-row calibration split and is judged here on "
               "the test split. " + claim(checked.diagonal,
                                          "Above the diagonal the predicted probability is too low (the event "
                                          "happens more often than predicted), below it too high. An over-confident "
                                          "model pushes its probabilities away from 0.5, so it sits above the "
                                          "diagonal left of 0.5 and below it right of 0.5; an under-confident one "
                                          "the other way round."))

    st.subheader("What does a mistake cost?", divider="gray")
    cost_fp, cost_fn, compare = view.row(["cost_fp", "cost_fn", "compare"])
    if table is not None:
        costs = expected_cost(table, cost_fp, cost_fn)
        best, bayes = best_threshold(table, cost_fp, cost_fn), bayes_threshold(cost_fp, cost_fn)
        marks = {"your threshold": t}
        if compare:
            t_a, t_b = view.row(["t_a", "t_b"])
            marks = {"A": t_a, "B": t_b}
        view.chart(cost_figure(table_key, cost_fp, cost_fn, tuple(marks.items()), table, costs, best, bayes),
                   key="costs", summary=(
            f"Expected cost per case against the threshold, with a false positive costing {cost_fp:g} and a "
            f"false negative {cost_fn:g}. The cheapest threshold on these test data is {best:.3f}; for calibrated "
            f"probabilities the rule p ≥ C_FP / (C_FP + C_FN) gives {bayes:.3f}. Marked: " + ", ".join(
                f"{name} at {v:.2f}" for name, v in marks.items()) + "."))
        st.caption(f"For calibrated probabilities the cheapest rule is “flag when p ≥ C_FP / (C_FP + C_FN) = "
                   f"{bayes:.3f}”; on these test data the cheapest threshold is {best:.3f}.")
        rows = {f"{name} = {v:.2f}": at_threshold(table, v) for name, v in marks.items()}
        rows[f"cheapest = {best:.2f}" if np.isfinite(best) else "cheapest: flag nothing"] = at_threshold(table, best)
        st.markdown(said("**Per 10,000 cases like these**"))
        per_10k_shown = shown_table(per_10k_table(rows), {"precision": 3})
        st.dataframe(per_10k_shown, hide_index=True, width="stretch",
                     column_config={c: st.column_config.NumberColumn(format="%.1f") for c in (
                         "flagged", "caught (TP)", "missed (FN)", "wrongly flagged (FP)")} |
                     {c: st.column_config.NumberColumn(format="%.3f") for c in ("precision", "recall")
                      if pd.api.types.is_numeric_dtype(per_10k_shown[c])})

    st.subheader("The accuracy paradox, and precision moving with prevalence", divider="gray")
    if table is not None:
        ours, never = at_threshold(table, t), always_negative_baseline(y_test)
        paradox = shown_table([paradox_row(f"ours at threshold {t:.2f}", ours),
                               paradox_row(said("“always say no”"), never)],
                              {"precision": 4})
        st.dataframe(paradox, hide_index=True, width="stretch",
                     column_config={c: st.column_config.NumberColumn(format="%.4f") for c in paradox.columns[1:]
                                    if pd.api.types.is_numeric_dtype(paradox[c])})
        deploy_one_in = int(view.control("deploy"))
        deploy = 1 / deploy_one_in
        # cache key: the rates to 6 significant digits (rounding to decimals put tiny FPRs 5 % off the table)
        paradox_fig = paradox_figure(float(f"{ours.recall:.6g}"), float(f"{ours.fpr:.6g}"), deploy_one_in)
        view.chart(paradox_fig, key="paradox", summary=said(
            f"As positives get rarer (the animation runs the prevalence from 1 in {ONE_IN_STEPS[0]:,} to 1 in "
            f"{ONE_IN_STEPS[-1]:,} and opens at 1 in {deploy_one_in:,}), a model that keeps recall "
            f"{ours.recall:.2f} and false-positive rate {ours.fpr:.3f} keeps "
            f"{'rising' if 1 - ours.fpr > ours.recall else 'falling' if 1 - ours.fpr < ours.recall else 'the same'} "
            f"accuracy while its precision "
            f"{'falls' if ours.fpr > 0 and ours.recall > 0 else 'stays where it is'}; “always say no” scores "
            f"accuracy {never.accuracy:.4f} on the test split against our {ours.accuracy:.4f}, yet catches "
            "nothing."))
        export_buttons("calibration", view.styled(paradox_fig), "The accuracy paradox", {"Threshold table": lambda: pd.DataFrame({
            "threshold": table.thresholds, "tp": table.tp, "fp": table.fp, "tn": table.tn, "fn": table.fn,
            "precision": table.precision, "recall": table.recall, "fpr": table.fpr, "f1": table.f1,
            "mcc": table.mcc, "balanced accuracy": table.balanced_accuracy})}, view=view)
        left, right = st.columns([3, 2])
        with left:
            view.chart(prevalence_figure(ours.recall, ours.fpr, result["train_prevalence"], deploy),
                       key="prevalence", summary=said(
                           f"Precision against prevalence (log scale) for TPR {ours.recall:.2f} and FPR "
                           f"{ours.fpr:.3f}, with the training prevalence {result['train_prevalence']:.3g} and the "
                           f"deployment prevalence 1 in {deploy_one_in:,} marked."))
        with right:
            st.markdown(claim(checked.precision_prevalence, f"At threshold {t:.2f} the model keeps its place on the ROC curve (TPR {ours.recall:.2f}, "
                        f"FPR {ours.fpr:.3f}) whatever the prevalence — but precision = π·TPR / (π·TPR + (1 − π)·FPR) "
                        f"falls as positives get rarer. Press ▶ above to watch it. A probability of 0.5 learnt at "
                        f"prevalence {result['train_prevalence']:.3g} means "
                        f"**{float(correct_prevalence(0.5, result['train_prevalence'], deploy)):.3f}** where the "
                        f"prevalence is 1 in {deploy_one_in:,} (Bayes' rule on the odds)."))

    import core.calibration as calibration_module
    import core.thresholds as thresholds_module

    math_and_code(
        equations=explorer.EQUATIONS,
        code=[thresholds_module.threshold_table, calibration_module.isotonic_regression,
              calibration_module.PlattScaling, calibration_module.expected_calibration_error,
              calibration_module.correct_prevalence],
        notes=["$P = TP + FN$ and $N = TN + FP$ are the actual positives and negatives; $\\hat P = TP + FP$ and "
               "$\\hat N = TN + FN$ the cases flagged and cleared. Isotonic regression is fitted by pool adjacent "
               "violators; $t^*$ is the cheapest threshold for calibrated probabilities, and $p'$ a probability "
               "learnt at prevalence $\\pi$ restated for prevalence $\\pi'$."],
    )
view.finish()
