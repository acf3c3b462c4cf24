"""Figures of the calibration and threshold explorer."""

from __future__ import annotations

import base64
import re

import numpy as np
import plotly.graph_objects as go
from viz.subplots import subplots

from core.thresholds import at_threshold, metrics_at_prevalence, per_10k
from viz.animation import Frame, animate, typed_array
from viz.axes import log_ticks_of
from viz.palette import CLASS_COLORS, OKABE_ITO
from private_apis import unchecked_figure

NEG, POS = CLASS_COLORS[0], CLASS_COLORS[1]
METRICS = [("accuracy", "accuracy"), ("balanced accuracy", "balanced_accuracy"), ("precision", "precision"),
           ("recall (TPR)", "recall"), ("false-positive rate", "fpr"), ("specificity", "specificity"),
           ("F1", "f1"), ("MCC", "mcc"), ("share flagged", "flagged_share")]


def _row_values(row) -> list[str]:
    """Each metric of ``row`` as shown; precision is undefined (0/0) when nothing is flagged, so a dash."""
    flagged = row.tp + row.fp
    return ["—" if key == "precision" and not flagged else f"{getattr(row, key):.3f}" for _, key in METRICS]


#: ROC and precision-recall curves are drawn through at most this many of the table's rows.
CURVE_POINTS = 600
#: The thresholds the figure's own slider steps through, in the browser without a server run (the
#: Streamlit control's own step). Each step is ~0.7 kB of JSON, so the whole grid costs ~70 kB.
THRESHOLD_GRID = np.round(np.linspace(0.0, 1.0, 101), 2)
#: Radius in pixels of the operating point drawn on the ROC and precision-recall curves.
POINT_RADIUS = 6.5
#: Above this threshold the "t = …" label sits left of the line, so it stays inside the panel.
LABEL_FLIPS_AT = 0.8

# The threshold figure's layout, made for the stage: the figure column beside the key controls, 600 px wide
# at 1280×720 (with the sidebar open) to ~1,080 px at 1920×1080, under a figure top of ~190 px. At HEIGHT the
# whole figure, its slider included, is on a 720-px screen.
HEIGHT = 480
#: Top: the legend and the panel titles of the first row; bottom: the second row's axis titles and the slider.
MARGIN = {"t": 30, "b": 92, "l": 10, "r": 10}
#: Histograms (two columns) over ROC and precision–recall; the confusion matrix over the metrics, the widest
#: column, so a cell holds "false negatives" at SMALL_FONT in a 600-px figure.
COLUMN_WIDTHS = [0.31, 0.29, 0.40]
ROW_HEIGHTS = [0.52, 0.48]
#: Between the rows: the histograms' tick labels and axis title, and the second row's panel titles.
VERTICAL_SPACING = 0.19
#: Between the columns: the confusion matrix's "actual 0" and precision–recall's axis labels.
HORIZONTAL_SPACING = 0.1
#: How far (a share of the plot's height) the metric list reaches above its row, into the gap under the matrix.
METRICS_REACH = 0.06
SMALL_FONT, TITLE_FONT = 11, 13
#: Pixels from the bottom of the panels to the slider's readout: room for the second row's axis titles.
SLIDER_DROP = 42


def threshold_grid(t: float) -> tuple[np.ndarray, int]:
    """The slider's thresholds and the step it opens on: the grid, plus ``t`` itself if it falls between two
    grid points (a link may hold ``t=0.505``), so the figure always opens exactly at ``t``."""
    t = float(t)
    if abs(t * 100 - round(t * 100)) < 1e-7:  # 0.07000000000000001 from a slider's float steps is 0.07
        t = round(t, 2)
    grid = THRESHOLD_GRID if np.any(THRESHOLD_GRID == t) else np.sort(np.append(THRESHOLD_GRID, t))
    return grid, int(np.flatnonzero(grid == t)[0])


def threshold_label(t: float) -> str:
    """A threshold as the slider shows it: two decimals on the grid, as many as it needs off it."""
    return f"{t:.2f}" if round(t, 2) == t else f"{t:g}"


def threshold_explorer(table, hist, t: float) -> go.Figure:
    """Score histograms per class with the threshold line, the confusion matrix, ROC and precision-recall
    curves with the operating point, and every metric, at threshold ``t`` — with a slider of its own that
    moves the threshold in the browser.

    ``hist`` is ``(edges, negative_counts, positive_counts)``. Everything that depends on the threshold is a
    layout shape or annotation (the line, the confusion matrix's cells and counts, the two operating points,
    the metric values), and each slider step is one Plotly ``relayout`` of those only, precomputed here for
    every threshold of :func:`threshold_grid`. A relayout of shapes and annotations redraws just them, so the
    slider answers at frame rate with no script run; a restyle of a heatmap or table trace would redraw the
    whole figure. The curves and histograms are thinned (a few kilobytes whatever the number of rows).
    """
    grid, active = threshold_grid(t)
    fig = subplots(rows=2, cols=3, column_widths=COLUMN_WIDTHS, row_heights=ROW_HEIGHTS,
                   vertical_spacing=VERTICAL_SPACING, horizontal_spacing=HORIZONTAL_SPACING,
                   specs=[[{"colspan": 2}, None, {}], [{}, {}, {}]],
                   # the histograms' title is the legend's (above them, where a title would collide with it)
                   subplot_titles=("", "Confusion matrix", "ROC curve", "Precision–recall curve", ""))
    edges, negatives, positives = hist
    centres, width = (edges[:-1] + edges[1:]) / 2, edges[1] - edges[0]
    for counts, color, name in ((negatives, NEG, "negatives (y = 0)"), (positives, POS, "positives (y = 1)")):
        fig.add_trace(go.Bar(x=centres, y=np.where(counts > 0, counts, np.nan), width=width, name=name,
                             marker={"color": color}, opacity=0.75), row=1, col=1)
    keep = np.unique(np.linspace(0, len(table) - 1, min(CURVE_POINTS, len(table))).round().astype(int))
    keep = np.union1d(keep, _row_index(table, grid))  # thinned, but through every point the slider visits
    prevalence = table.n_positive / max(len(table) and table.n_positive + table.n_negative, 1)
    for col, (xs, ys, chance) in enumerate([(table.fpr, table.recall, ([0, 1], [0, 1])),
                                            (table.recall, table.precision, ([0, 1], [prevalence] * 2))], start=1):
        fig.add_trace(go.Scatter(x=xs[keep], y=ys[keep], mode="lines", line={"color": OKABE_ITO["blue"]},
                                 showlegend=False, hoverinfo="skip"), row=2, col=col)
        fig.add_trace(go.Scatter(x=chance[0], y=chance[1], mode="lines", showlegend=False, hoverinfo="skip",
                                 line={"color": "#BBBBBB", "dash": "dot"}), row=2, col=col)
    fig.update_xaxes(title={"text": "score", "standoff": 2}, range=[0, 1], row=1, col=1)
    fig.update_yaxes(type="log", title={"text": "count", "standoff": 2}, row=1, col=1)
    fig.update_xaxes(range=[-0.5, 1.5], tickvals=[0, 1], ticktext=["predicted 0", "predicted 1"], showgrid=False,
                     zeroline=False, fixedrange=True, tickfont={"size": SMALL_FONT}, row=1, col=3)
    fig.update_yaxes(range=[1.5, -0.5], tickvals=[0, 1], ticktext=["actual 0", "actual 1"], showgrid=False,
                     zeroline=False, fixedrange=True, tickfont={"size": SMALL_FONT}, row=1, col=3)
    fig.update_xaxes(title={"text": "false-positive rate", "standoff": 2}, range=[0, 1], nticks=3, row=2, col=1)
    fig.update_yaxes(title={"text": "true-positive rate", "standoff": 2}, range=[0, 1.02], nticks=3, row=2, col=1)
    fig.update_xaxes(title={"text": "recall", "standoff": 2}, range=[0, 1], nticks=3, row=2, col=2)
    fig.update_yaxes(title={"text": "precision", "standoff": 2}, range=[0, 1.02], nticks=3, row=2, col=2)
    fig.update_xaxes(range=[0, 1], visible=False, fixedrange=True, row=2, col=3)
    # the metric list reaches up into the gap under the confusion matrix (which has no axis title there), so
    # its ten lines fit also in presenter mode's larger type
    bottom, top = fig.layout.yaxis5.domain
    fig.update_yaxes(range=[0, 1], visible=False, fixedrange=True, domain=[bottom, top + METRICS_REACH],
                     row=2, col=3)
    for note in fig.layout.annotations:  # the panel titles, a little smaller than Plotly's 16 px
        note.font = {"size": TITLE_FONT}
    # The marks and the slider go into the figure's dict: through update_layout Plotly validated each of
    # ~100 steps (a third of the build). tests/test_threshold_figure.py validates the whole figure instead.
    spec = fig.to_dict()
    for trace in spec["data"]:  # float32 typed arrays: half the bytes of float64
        trace.update({key: _float32(trace[key]) for key in ("x", "y") if key in trace})
    layout = spec["layout"]
    shapes, notes = list(layout.get("shapes") or []), list(layout.get("annotations") or [])
    marks = _Marks(len(shapes), len(notes))
    shapes += marks.shapes()
    notes += marks.annotations()
    steps = [marks.at(g, row) for g, row in zip(grid, _rows_at(table, grid))]
    _apply(steps[active], shapes, notes)
    layout.update(height=HEIGHT, barmode="overlay", margin=MARGIN, shapes=shapes, annotations=notes,
                  legend={"orientation": "h", "x": 0, "xanchor": "left", "y": 1, "yanchor": "bottom",
                          "font": {"size": SMALL_FONT}, "title": {"text": "Scores of each class:", "side": "left"},
                          "itemwidth": 30, "tracegroupgap": 0},
                  sliders=[_slider(grid, steps, active)])
    return unchecked_figure(spec)


class _Row:
    """Row ``i`` of a threshold table with the attributes of a ``ThresholdRow``, read from the table's metric
    arrays (computed once for the table; a ``ThresholdRow`` computes each metric again, ~1 ms a row)."""

    def __init__(self, table, i: int):
        self.tp, self.fp, self.tn, self.fn = (int(a[i]) for a in (table.tp, table.fp, table.tn, table.fn))
        for _, key in METRICS:
            setattr(self, key, float(getattr(table, key)[i]))


def _float32(values):
    """A trace's coordinates (an array, or Plotly's float64 typed-array dict) as a float32 typed array; short
    lists (two-point chance lines) stay as they are."""
    if isinstance(values, dict) and values.get("dtype") == "f8":
        values = np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.float64)
    return typed_array(values) if isinstance(values, np.ndarray) else values


def _row_index(table, thresholds) -> np.ndarray:
    """The rows ``at_threshold`` picks for each threshold (the last whose threshold is ≥ t), in one search."""
    return np.searchsorted(-table.thresholds, -np.asarray(thresholds, dtype=float), side="right") - 1


def _rows_at(table, thresholds) -> list[_Row]:
    return [_Row(table, int(i)) for i in _row_index(table, thresholds)]


def _slider(grid, steps: list[dict], active: int) -> dict:
    """Plotly's slider over ``grid``: each step one relayout (no frames, so no trace is ever replaced)."""
    return {
        "active": active, "x": 0.0, "len": 1.0, "y": 0, "yanchor": "top", "pad": {"t": SLIDER_DROP, "b": 4},
        "currentvalue": {"prefix": "threshold t = ", "visible": True, "xanchor": "left",
                         "font": {"size": 14, "color": "#31333F"}},
        # a label under each of ~100 ticks would overlap; the readout above says where the slider is
        "font": {"color": "rgba(0,0,0,0)"}, "ticklen": 0, "minorticklen": 0,
        "transition": {"duration": 0},
        "steps": [{"label": threshold_label(g), "method": "relayout", "args": [step]} for g, step in zip(grid, steps)],
    }


def _apply(step: dict, shapes: list[dict], notes: list[dict]) -> None:
    """Set a relayout step's ``shapes[i].key`` / ``annotations[i].key`` values in the lists (in place)."""
    for path, value in step.items():
        name, index, key = re.fullmatch(r"(shapes|annotations)\[(\d+)\]\.(\w+)", path).groups()
        (shapes if name == "shapes" else notes)[int(index)][key] = value


class _Marks:
    """What moves with the threshold, as layout shapes and annotations appended after ``n_shapes`` shapes and
    ``n_notes`` annotations: their fixed style, and (:meth:`at`) the relayout that puts them at a threshold.

    Axes (from ``subplots`` with the page's grid): x/y the histograms, x2/y2 the confusion matrix, x3/y3 ROC,
    x4/y4 precision–recall, x5/y5 the metric values.
    """

    CELLS = ((0, 0, "true negatives"), (0, 1, "false positives"), (1, 0, "false negatives"),
             (1, 1, "true positives"))

    def __init__(self, n_shapes: int, n_notes: int):
        self.flagged, self.line, self.roc, self.pr = range(n_shapes, n_shapes + 4)
        self.cells = list(range(n_shapes + 4, n_shapes + 8))
        self.label, self.values = n_notes, n_notes + 1
        self.counts = list(range(n_notes + 3, n_notes + 7))

    def shapes(self) -> list[dict]:
        def point(x: str, y: str) -> dict:
            return {"type": "circle", "xref": x, "yref": y, "xsizemode": "pixel", "ysizemode": "pixel",
                    "x0": -POINT_RADIUS, "x1": POINT_RADIUS, "y0": -POINT_RADIUS, "y1": POINT_RADIUS,
                    "fillcolor": "black", "line": {"color": "white", "width": 1.5}}

        return [
            {"type": "rect", "xref": "x", "yref": "y domain", "x1": 1, "y0": 0, "y1": 1, "layer": "below",
             "fillcolor": "rgba(0,0,0,0.05)", "line": {"width": 0}},  # the flagged side, s ≥ t
            {"type": "line", "xref": "x", "yref": "y domain", "y0": 0, "y1": 1, "line": {"color": "black", "width": 3}},
            point("x3", "y3"),
            point("x4", "y4"),
        ] + [{"type": "rect", "xref": "x2", "yref": "y2", "x0": j - 0.5, "x1": j + 0.5, "y0": i - 0.5,
              "y1": i + 0.5, "layer": "below", "line": {"color": "white", "width": 2}} for i, j, _ in self.CELLS]

    def annotations(self) -> list[dict]:
        table = {"xref": "x5", "yref": "y5", "y": 1, "yanchor": "top", "showarrow": False,
                 "font": {"size": SMALL_FONT}}
        return [
            {"xref": "x", "yref": "y domain", "y": 1, "yanchor": "top", "xshift": 0, "showarrow": False,
             "font": {"size": 12}, "bgcolor": "rgba(255,255,255,0.8)"},
            {**table, "x": 1, "xanchor": "right", "align": "right"},
            {**table, "x": 0, "xanchor": "left", "align": "left",
             "text": "<br>".join(["<b>metric</b>"] + [m for m, _ in METRICS])},
        ] + [{"xref": "x2", "yref": "y2", "x": j, "y": i, "showarrow": False,
              "font": {"size": SMALL_FONT, "color": "#1A1A1A"}}
             for i, j, _ in self.CELLS]

    def at(self, t: float, row) -> dict:
        """The relayout that shows threshold ``t`` whose counts and metrics are ``row``."""
        flip = t > LABEL_FLIPS_AT
        step = {f"shapes[{self.flagged}].x0": float(t), f"shapes[{self.line}].x0": float(t),
                f"shapes[{self.line}].x1": float(t),
                f"annotations[{self.label}].x": float(t), f"annotations[{self.label}].text": f"t = {threshold_label(t)}",
                f"annotations[{self.label}].xanchor": "right" if flip else "left",
                f"annotations[{self.label}].xshift": -4 if flip else 4,
                f"shapes[{self.roc}].xanchor": _round(row.fpr), f"shapes[{self.roc}].yanchor": _round(row.recall),
                f"shapes[{self.pr}].xanchor": _round(row.recall), f"shapes[{self.pr}].yanchor": _round(row.precision),
                f"annotations[{self.values}].text": "<br>".join(["<b>value</b>"] + _row_values(row))}
        share, texts = _confusion(row), _confusion_text(row)
        for (i, j, _), shape, text in zip(self.CELLS, self.cells, self.counts):
            step[f"shapes[{shape}].fillcolor"] = _tint(OKABE_ITO["sky_blue"], share[i, j])
            step[f"annotations[{text}].text"] = texts[i][j]
        return step


def _round(value: float) -> float:
    """A coordinate to 5 decimals: far below a pixel, and a third of the JSON of a full float."""
    return round(float(value), 5)


def _tint(color: str, share: float) -> str:
    """``color`` mixed with white, ``share`` of it (0 = white): the heat-map colour of a share, and a tint that
    viz.restyle recognises, so the cells follow a viewer's palette."""
    base = np.array([int(color[k:k + 2], 16) for k in (1, 3, 5)])
    mixed = np.round(255 + float(share) * (base - 255)).astype(int)
    return "#{:02X}{:02X}{:02X}".format(*mixed)


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
        fig.update_yaxes(type="log", row=2, col=col, showticklabels=col == 1, **log_ticks_of(bins.count))
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
    # (few distinct scores, all above 0.5: the middle is the last threshold, not one past it)
    nothing, middle = costs[0], costs[min(np.searchsorted(-table.thresholds, -0.5), len(costs) - 1)]
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
    fig.update_layout(height=320, xaxis={"title": "prevalence (share of positives)", "type": "log", **log_ticks_of(pi)},
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
                      margin={"t": 60, "l": 80, "r": 15})  # what its labels take (see viz.animation.animate)
    fig = animate(fig, frames, slider_prefix="prevalence ", frame_ms=500, speeds=(0.5, 1.0, 2.0))
    fig.layout.sliders[0].active = k
    return fig


def _pct(value) -> str:
    value = float(value)
    return "—" if not np.isfinite(value) else f"{value:.1%}"


def per_10k_table(rows: dict) -> list[dict]:
    """What each threshold would do per 10,000 cases; precision is None (undefined) where nothing is flagged."""
    out = []
    for name, row in rows.items():
        counts = per_10k(row)
        out.append({"threshold": name, "flagged": counts.flagged, "caught (TP)": counts.caught,
                    "missed (FN)": counts.missed, "wrongly flagged (FP)": counts.wrongly_flagged,
                    "precision": row.precision if row.tp + row.fp else None, "recall": row.recall})
    return out
