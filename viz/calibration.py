"""Figures of the calibration and threshold explorer."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from viz.subplots import subplots

from core.thresholds import at_threshold, metrics_at_prevalence, per_10k
from viz.animation import Frame, animate
from viz.palette import CLASS_COLORS, OKABE_ITO

NEG, POS = CLASS_COLORS[0], CLASS_COLORS[1]
METRICS = [("accuracy", "accuracy"), ("balanced accuracy", "balanced_accuracy"), ("precision", "precision"),
           ("recall (TPR)", "recall"), ("false-positive rate", "fpr"), ("specificity", "specificity"),
           ("F1", "f1"), ("MCC", "mcc"), ("share flagged", "flagged_share")]


def _row_values(row) -> list[str]:
    return [f"{getattr(row, key):.3f}" for _, key in METRICS]


#: ROC and precision-recall curves are drawn through at most this many of the table's rows.
CURVE_POINTS = 600


def threshold_explorer(table, hist, t: float) -> go.Figure:
    """Score histograms per class with the threshold line, the confusion matrix, ROC and precision-recall
    curves with the operating point, and every metric, at threshold ``t``.

    ``hist`` is ``(edges, negative_counts, positive_counts)``. Built fresh on every move of the threshold slider,
    so it holds only thinned curves and counts (a few kilobytes whatever the number of rows).
    """
    row = at_threshold(table, t)
    fig = subplots(rows=2, cols=3, column_widths=[0.36, 0.34, 0.30], vertical_spacing=0.16,
                        horizontal_spacing=0.08,
                        specs=[[{"colspan": 2}, None, {}], [{}, {}, {"type": "table"}]],
                        subplot_titles=("Scores of each class (count, log scale)", "Confusion matrix",
                                        "ROC curve", "Precision–recall curve", ""))
    edges, negatives, positives = hist
    centres, width = (edges[:-1] + edges[1:]) / 2, edges[1] - edges[0]
    for counts, color, name in ((negatives, NEG, "negatives (y = 0)"), (positives, POS, "positives (y = 1)")):
        fig.add_trace(go.Bar(x=centres, y=np.where(counts > 0, counts, np.nan), width=width, name=name,
                             marker={"color": color}, opacity=0.75), row=1, col=1)
    top = max(int(np.max(negatives + positives)), 1)
    fig.add_trace(go.Scatter(x=[t, t], y=[0.8, top * 1.5], mode="lines", name=f"threshold {t:.2f}",
                             line={"color": "black", "width": 3}), row=1, col=1)
    fig.add_trace(go.Heatmap(z=_confusion(row), x=["predicted 0", "predicted 1"], y=["actual 0", "actual 1"],
                             text=_confusion_text(row), texttemplate="%{text}", textfont={"size": 15},
                             showscale=False, colorscale=[[0, "#FFFFFF"], [1, OKABE_ITO["sky_blue"]]], zmin=0, zmax=1,
                             hovertemplate="%{y}, %{x}: %{text}<extra></extra>"), row=1, col=3)
    keep = np.unique(np.linspace(0, len(table) - 1, min(CURVE_POINTS, len(table))).round().astype(int))
    prevalence = table.n_positive / max(len(table) and table.n_positive + table.n_negative, 1)
    for col, (xs, ys, chance) in enumerate([(table.fpr, table.recall, ([0, 1], [0, 1])),
                                            (table.recall, table.precision, ([0, 1], [prevalence] * 2))], start=1):
        fig.add_trace(go.Scatter(x=xs[keep], y=ys[keep], mode="lines", line={"color": OKABE_ITO["blue"]},
                                 showlegend=False, hoverinfo="skip"), row=2, col=col)
        fig.add_trace(go.Scatter(x=chance[0], y=chance[1], mode="lines", showlegend=False, hoverinfo="skip",
                                 line={"color": "#BBBBBB", "dash": "dot"}), row=2, col=col)
    fig.add_trace(go.Scatter(x=[row.fpr], y=[row.recall], mode="markers", marker={"size": 13, "color": "black"},
                             showlegend=False, hovertemplate="FPR %{x:.3f}, TPR %{y:.3f}<extra></extra>"), row=2, col=1)
    fig.add_trace(go.Scatter(x=[row.recall], y=[row.precision], mode="markers", marker={"size": 13, "color": "black"},
                             showlegend=False, hovertemplate="recall %{x:.3f}, precision %{y:.3f}<extra></extra>"),
                  row=2, col=2)
    fig.add_trace(go.Table(header={"values": ["metric", "value"], "fill": {"color": "#EEEEEE"}},
                           cells={"values": [[m for m, _ in METRICS], _row_values(row)], "height": 24},
                           columnwidth=[2, 1]), row=2, col=3)
    fig.update_xaxes(title="score", range=[0, 1], row=1, col=1)
    fig.update_yaxes(type="log", title="count", row=1, col=1)
    fig.update_yaxes(autorange="reversed", row=1, col=3)
    fig.update_xaxes(title="false-positive rate", range=[0, 1], row=2, col=1)
    fig.update_yaxes(title="true-positive rate", range=[0, 1.02], row=2, col=1)
    fig.update_xaxes(title="recall", range=[0, 1], row=2, col=2)
    fig.update_yaxes(title="precision", range=[0, 1.02], row=2, col=2)
    fig.update_layout(height=740, barmode="overlay", legend={"orientation": "h", "y": 1.1},
                      margin={"t": 60, "l": 10, "r": 10, "b": 10})
    return fig


def score_histogram(scores, y, bins: int = 50) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(edges, negative counts, positive counts)`` of the scores over [0, 1]."""
    edges = np.linspace(0, 1, bins + 1)
    return edges, np.histogram(scores[y == 0], edges)[0], np.histogram(scores[y == 1], edges)[0]


def _confusion(row) -> np.ndarray:
    """Each cell as the share of its actual class (so a rare class still shows colour)."""
    counts = np.array([[row.tn, row.fp], [row.fn, row.tp]], dtype=float)
    return counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)


def _confusion_text(row) -> list[list[str]]:
    share = _confusion(row)
    names = [["true negatives", "false positives"], ["false negatives", "true positives"]]
    counts = [[row.tn, row.fp], [row.fn, row.tp]]
    return [[f"{counts[i][j]:,}<br>{names[i][j]}<br>{share[i][j]:.1%} of row" for j in range(2)] for i in range(2)]


def reliability(panels: list[tuple[str, object, float, float]]) -> go.Figure:
    """One reliability diagram per calibration (observed frequency against mean predicted probability, with
    the diagonal of perfect calibration) and the histogram of the predictions under each."""
    fig = subplots(rows=2, cols=len(panels), row_heights=[0.72, 0.28], shared_xaxes=True,
                        vertical_spacing=0.04, horizontal_spacing=0.04,
                        subplot_titles=[f"{name}<br><span style='font-size:12px'>ECE {ece:.3f} · Brier {brier:.4f}"
                                        f"</span>" for name, _, ece, brier in panels])
    for col, (name, bins, _, _) in enumerate(panels, start=1):
        ok = bins.nonempty
        fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line={"color": "#BBBBBB", "dash": "dot"},
                                 showlegend=False, hoverinfo="skip"), row=1, col=col)
        fig.add_trace(go.Scatter(x=bins.mean_predicted[ok], y=bins.observed_frequency[ok], mode="lines+markers",
                                 line={"color": OKABE_ITO["vermillion"]}, showlegend=False,
                                 hovertemplate="predicted %{x:.3f}<br>observed %{y:.3f}<extra></extra>"), row=1, col=col)
        widths = np.diff(bins.edges)
        fig.add_trace(go.Bar(x=(bins.edges[:-1] + bins.edges[1:]) / 2, y=bins.count, width=widths,
                             marker={"color": OKABE_ITO["sky_blue"]}, showlegend=False,
                             hovertemplate="%{y} predictions<extra></extra>"), row=2, col=col)
        fig.update_xaxes(range=[0, 1], row=1, col=col)
        fig.update_yaxes(range=[0, 1], row=1, col=col, showticklabels=col == 1)
        fig.update_xaxes(range=[0, 1], title="predicted probability", row=2, col=col)
        fig.update_yaxes(type="log", row=2, col=col, showticklabels=col == 1)
    fig.update_yaxes(title="observed frequency", row=1, col=1)
    fig.update_yaxes(title="count", row=2, col=1)
    fig.update_layout(height=480, margin={"t": 60, "l": 10, "r": 10, "b": 10})
    return fig


def cost_curve(table, cost_fp: float, cost_fn: float, costs: np.ndarray, best: float, bayes: float,
               marks: dict[str, float]) -> go.Figure:
    """Expected cost per decision against the threshold, its minimum, the Bayes threshold and chosen ones."""
    finite = np.flatnonzero(np.isfinite(table.thresholds))
    keep = finite[np.unique(np.linspace(0, len(finite) - 1, min(4 * CURVE_POINTS, len(finite))).round().astype(int))]
    keep = np.union1d(keep, finite[np.argmin(costs[finite])])  # thinned, but never past the minimum
    fig = go.Figure(go.Scatter(x=table.thresholds[keep], y=costs[keep], mode="lines", name="expected cost",
                               line={"color": OKABE_ITO["blue"], "width": 2},
                               hovertemplate="threshold %{x:.3f}<br>cost %{y:.4f} per decision<extra></extra>"))
    fig.add_vline(x=bayes, line={"color": OKABE_ITO["bluish_green"], "dash": "dash"},
                  annotation_text=f"t* = C_FP/(C_FP+C_FN) = {bayes:.3f}", annotation_position="top right")
    if np.isfinite(best):
        fig.add_vline(x=best, line={"color": OKABE_ITO["vermillion"]},
                      annotation_text=f"cheapest on these data: {best:.3f}", annotation_position="bottom right")
    for name, t in marks.items():
        fig.add_vline(x=t, line={"color": "#666666", "dash": "dot"}, annotation_text=name,
                      annotation_position="top right")
    # the "flag everyone" end costs C_FP·(1 − π) and would flatten everything else: show up to 1.5× the
    # costlier of "flag no one" and the middle of the range
    nothing, middle = costs[0], costs[np.searchsorted(-table.thresholds, -0.5)]
    top = 1.5 * max(nothing, middle, 1e-12)
    fig.update_layout(height=340, xaxis={"title": "threshold", "range": [0, 1]},
                      yaxis={"title": f"cost per decision (FP = {cost_fp:g}, FN = {cost_fn:g})", "range": [0, top]},
                      margin={"t": 30, "l": 10, "r": 10, "b": 10}, showlegend=False)
    return fig


def prevalence_curve(tpr: float, fpr: float, train_prevalence: float, deploy_prevalence: float) -> go.Figure:
    """Precision of the same operating point (same TPR and FPR, so the same point on the ROC curve) as the
    share of positives changes: precision = π·TPR / (π·TPR + (1 − π)·FPR)."""
    if tpr == 0 and fpr == 0:  # nothing is flagged: precision is 0/0 at every prevalence
        fig = go.Figure()
        fig.add_annotation(text="Nothing is flagged at this threshold, so precision is undefined at every "
                                "prevalence.<br>Lower the threshold to flag some cases.", showarrow=False,
                           x=0.5, y=0.5, xref="paper", yref="paper")
        fig.update_layout(height=320, xaxis={"visible": False}, yaxis={"visible": False},
                          margin={"t": 20, "l": 10, "r": 10, "b": 10})
        return fig
    pi = np.geomspace(1e-3, 0.5, 200)
    precision = metrics_at_prevalence(tpr, fpr, pi)["precision"]
    fig = go.Figure(go.Scatter(x=pi, y=precision, mode="lines", line={"color": OKABE_ITO["blue"], "width": 2},
                               name="precision", hovertemplate="prevalence %{x:.4f}<br>precision %{y:.3f}"
                                                               "<extra></extra>"))
    for name, p, color in (("training data", train_prevalence, "black"),
                           ("deployment", deploy_prevalence, OKABE_ITO["vermillion"])):
        value = float(metrics_at_prevalence(tpr, fpr, p)["precision"])
        fig.add_trace(go.Scatter(x=[p], y=[value], mode="markers+text", text=[f"{name}: {value:.2f}"],
                                 textposition="top center", marker={"size": 11, "color": color}, showlegend=False))
    fig.update_layout(height=320, xaxis={"title": "prevalence (share of positives)", "type": "log"},
                      yaxis={"title": "precision at this threshold", "range": [0, 1.05]},
                      margin={"t": 20, "l": 10, "r": 10, "b": 10}, showlegend=False)
    return fig


#: The prevalences the paradox animation steps through, as "1 in k".
ONE_IN_STEPS = (2, 3, 5, 7, 10, 15, 20, 30, 50, 70, 100, 102, 150, 200, 300, 500, 700, 1000)
PARADOX_METRICS = [("accuracy", "accuracy"), ("balanced accuracy", "balanced_accuracy"), ("precision", "precision"),
                   ("recall", "recall"), ("MCC", "mcc")]


def paradox_animation(tpr: float, fpr: float, start_one_in: int = 102) -> go.Figure:
    """The same operating point as positives get rarer: what it does to 10,000 cases (left) and its metrics
    beside those of "always say no" (right). Accuracy climbs for both; precision and MCC fall; recall stays."""
    fig = subplots(rows=1, cols=2, column_widths=[0.45, 0.55], horizontal_spacing=0.1,
                        subplot_titles=("What it does to 10,000 cases", "Ours vs “always say no”"))
    outcomes = [("caught (TP)", "tp", POS), ("missed (FN)", "fn", OKABE_ITO["vermillion"]),
                ("wrongly flagged (FP)", "fp", OKABE_ITO["reddish_purple"])]
    k = ONE_IN_STEPS.index(start_one_in) if start_one_in in ONE_IN_STEPS else 0
    names = [m for m, _ in PARADOX_METRICS]

    def data(one_in: int) -> list[dict]:
        ours = metrics_at_prevalence(tpr, fpr, 1 / one_in)
        never = metrics_at_prevalence(0.0, 0.0, 1 / one_in)
        return ([{"x": [label], "y": [float(ours[key])], "text": [f"{float(ours[key]):.0f}"]}
                 for label, key, _ in outcomes] +
                [{"x": names, "y": [float(np.nan_to_num(ours[key])) for _, key in PARADOX_METRICS],
                  "text": [_pct(ours[key]) for _, key in PARADOX_METRICS]},
                 {"x": names, "y": [float(np.nan_to_num(never[key])) for _, key in PARADOX_METRICS],
                  "text": [_pct(never[key]) for _, key in PARADOX_METRICS]}])

    first = data(ONE_IN_STEPS[k])
    for (label, _, color), d in zip(outcomes, first):
        fig.add_trace(go.Bar(**d, marker={"color": color}, name=label, showlegend=False, textposition="outside"),
                      row=1, col=1)
    for d, name, color in zip(first[3:], ("ours", "always say no"), (OKABE_ITO["blue"], "#9E9E9E")):
        fig.add_trace(go.Bar(**d, name=name, marker={"color": color}, textposition="outside"), row=1, col=2)
    frames = [Frame(label=f"1 in {one_in:,}", traces=list(range(5)), data=data(one_in)) for one_in in ONE_IN_STEPS]
    worst = metrics_at_prevalence(tpr, fpr, 0.5)
    fig.update_yaxes(range=[0, max(float(worst["tp"]), float(worst["fp"]), float(worst["fn"]), 1) * 1.2],
                     title="cases per 10,000", row=1, col=1)
    fig.update_yaxes(range=[0, 1.15], tickformat=".0%", row=1, col=2)
    fig.update_layout(height=440, barmode="group", legend={"orientation": "h", "y": -0.12, "x": 0.55},
                      margin={"t": 60, "l": 10, "r": 10})
    fig = animate(fig, frames, slider_prefix="prevalence ", frame_ms=500, speeds=(0.5, 1.0, 2.0))
    fig.layout.sliders[0].active = k
    return fig


def _pct(value) -> str:
    value = float(value)
    return "—" if not np.isfinite(value) else f"{value:.1%}"


def per_10k_table(rows: dict) -> list[dict]:
    """What each threshold would do per 10,000 cases."""
    out = []
    for name, row in rows.items():
        counts = per_10k(row)
        out.append({"threshold": name, "flagged": counts.flagged, "caught (TP)": counts.caught,
                    "missed (FN)": counts.missed, "wrongly flagged (FP)": counts.wrongly_flagged,
                    "precision": row.precision, "recall": row.recall})
    return out
