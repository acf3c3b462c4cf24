"""Small multiples: one decision map per scikit-learn baseline, on the same data and the same axes."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
from viz.subplots import subplots

from viz.decision_map import class_points, decision_heatmap, encode_decision

ROW_HEIGHT = 330


def baseline_title(result) -> str:
    """A panel title such as "k-nearest neighbours — test 93 % · fit 2 ms" (train accuracy without a test set)."""
    which, accuracy = (("test", result.test_accuracy) if result.test_accuracy is not None
                       else ("train", result.train_accuracy))
    return f"{result.label} — {which} {100 * accuracy:.0f} % · fit {_duration(result.fit_seconds)}"


def baseline_grid(results, X_train, y_train, X_test, y_test, xs, ys, n_classes: int, cols: int = 3) -> go.Figure:
    """A grid of decision maps, one per ``BaselineResult``, with the training (and test) points on top.

    ``result.proba`` holds the grid points row by row (y outer, x inner), as
    ``np.meshgrid(xs, ys)`` flattens them. Panels share one legend, shown once: clicking a class hides it
    in every panel.
    """
    if not results:
        raise ValueError("baseline_grid needs at least one result.")
    cols = max(1, min(cols, len(results)))
    rows = math.ceil(len(results) / cols)
    fig = subplots(rows=rows, cols=cols, subplot_titles=[baseline_title(r) for r in results],
                        horizontal_spacing=0.02, vertical_spacing=0.08 / rows)
    has_test = X_test is not None and len(X_test) > 0
    for i, result in enumerate(results):
        row, col = divmod(i, cols)
        for trace in _panel(result, X_train, y_train, X_test if has_test else None, y_test, xs, ys, n_classes):
            if trace.type == "scatter":
                trace.showlegend = i == 0
            fig.add_trace(trace, row + 1, col + 1)
    _style_axes(fig, xs, ys, len(results), cols)
    fig.update_annotations(font_size=13)
    fig.update_layout(height=ROW_HEIGHT * rows + 60, margin={"l": 10, "r": 10, "t": 36, "b": 10},
                      legend={"orientation": "h", "x": 0.5, "xanchor": "center", "y": -0.01, "yanchor": "top"},
                      plot_bgcolor="white")
    return fig


def _panel(result, X_train, y_train, X_test, y_test, xs, ys, n_classes: int) -> list:
    """The heatmap, then one trace per class for training points and, if any, for test points."""
    proba = np.asarray(result.proba).reshape(len(ys), len(xs), n_classes)
    traces = [decision_heatmap(encode_decision(proba), xs, ys, n_classes, showlegend=False)]
    traces += class_points(X_train, y_train, n_classes, name="train")
    if X_test is not None:
        traces += class_points(X_test, y_test, n_classes, name="test", test=True)
    return traces


def _style_axes(fig: go.Figure, xs, ys, n_panels: int, cols: int) -> None:
    """Equal aspect, no ticks, ranges = the grid extent; panels beyond ``n_panels`` stay blank."""
    xrange, yrange = [float(np.min(xs)), float(np.max(xs))], [float(np.min(ys)), float(np.max(ys))]
    for i in range(n_panels):
        suffix = "" if i == 0 else str(i + 1)
        fig.update_layout({
            f"xaxis{suffix}": {"range": xrange, "showticklabels": False, "ticks": "", "showgrid": False,
                               "zeroline": False, "constrain": "domain"},
            f"yaxis{suffix}": {"range": yrange, "showticklabels": False, "ticks": "", "showgrid": False,
                               "zeroline": False, "scaleanchor": f"x{suffix}", "scaleratio": 1,
                               "constrain": "domain"},
        })
    for i in range(n_panels, math.ceil(n_panels / cols) * cols):
        suffix = str(i + 1)
        fig.update_layout({f"xaxis{suffix}": {"visible": False}, f"yaxis{suffix}": {"visible": False}})


def _duration(seconds: float) -> str:
    ms = seconds * 1000
    if ms < 1:
        return "<1 ms"
    return f"{ms:.0f} ms" if ms < 1000 else f"{seconds:.1f} s"
