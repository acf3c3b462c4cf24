"""Decision maps: a classifier's class probabilities on a grid, drawn as one heatmap, like TensorFlow Playground.

Each cell takes the colour of its predicted class, blended towards white as the confidence drops: white at
the decision boundary, nearly full colour where the model is sure. Binary and multiclass maps use the same
encoding, so every page draws them the same way.

The map ships as one uint8 per cell (class and confidence level packed together) under a discrete colour
scale, instead of K float probability layers: 60×60 cells cost 3.6 kB, and one ``go.Heatmap`` is drawn.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from viz.palette import CLASS_COLORS, class_style

#: Confidence levels per class; cell value = class · LEVELS + level.
LEVELS = 16
#: Cells whose probabilities are not finite (a diverged model) get this value, drawn light grey.
INVALID = 255
INVALID_COLOR = "#DDDDDD"
#: Colour share of the most confident level; the rest is white, so points drawn on top stay readable.
MAX_TINT = 0.6
#: Most classes whose codes stay below INVALID (class 14 uses 224..239).
MAX_CLASSES = INVALID // LEVELS


def encode_decision(proba) -> np.ndarray:
    """Pack class probabilities of shape (..., K) into uint8 codes of shape (...,).

    code = k·LEVELS + level, with k the most probable class and level its confidence rescaled from
    [1/K, 1] (a uniform guess, the boundary) to [0, LEVELS − 1] (certain). Rows holding NaN or ±inf
    become ``INVALID`` rather than a confident-looking colour.
    """
    proba = np.asarray(proba, dtype=np.float64)
    n_classes = _check_n_classes(proba.shape[-1] if proba.ndim else 0)
    invalid = ~np.isfinite(proba).all(axis=-1)
    safe = np.where(np.isfinite(proba), proba, 0.0)
    winner = safe.argmax(axis=-1)
    confidence = (safe.max(axis=-1) - 1 / n_classes) / (1 - 1 / n_classes)
    level = np.clip(np.rint(confidence * (LEVELS - 1)), 0, LEVELS - 1).astype(np.int64)
    return np.where(invalid, INVALID, winner * LEVELS + level).astype(np.uint8)


def decision_colorscale(n_classes: int, colors=CLASS_COLORS) -> list:
    """A discrete Plotly colour scale for codes from ``encode_decision`` on ``zmin=0, zmax=255``.

    Code v owns the interval [v − ½, v + ½] (scaled to [0, 1]), bounded by two stops of the same colour,
    so Plotly's interpolation is flat inside it and every integer lands on exactly one colour. The unused
    codes between the last class and 255 share the invalid grey.
    """
    n_classes = _check_n_classes(n_classes)
    n_codes = n_classes * LEVELS
    scale = []
    for code in range(n_codes):
        color = _tint(colors[(code // LEVELS) % len(colors)], (code % LEVELS + 1) / LEVELS * MAX_TINT)
        lo, hi = max(code - 0.5, 0) / INVALID, (code + 0.5) / INVALID
        scale += [[lo, color], [hi, color]]
    scale += [[(n_codes - 0.5) / INVALID, INVALID_COLOR], [1.0, INVALID_COLOR]]
    return scale


def decision_heatmap(z, xs, ys, n_classes: int, **kw) -> go.Heatmap:
    """One heatmap of uint8 codes ``z[row][col]`` at ``(xs[col], ys[row])``; ``kw`` goes to ``go.Heatmap``.

    Hover is off: the points drawn on top carry the hover, and per-cell codes mean nothing to a reader.
    """
    z = np.asarray(z, dtype=np.uint8)
    if z.shape != (len(ys), len(xs)):
        raise ValueError(f"z must have shape (len(ys), len(xs)) = {(len(ys), len(xs))}, got {z.shape}.")
    props = {"zmin": 0, "zmax": INVALID, "showscale": False, "hoverinfo": "skip",
             "colorscale": decision_colorscale(n_classes), "name": "decision map", **kw}
    return go.Heatmap(z=z, x=np.asarray(xs, dtype=np.float32), y=np.asarray(ys, dtype=np.float32), **props)


def class_points(X, y, n_classes: int, name: str = "train", test: bool = False) -> list[go.Scatter]:
    """One scatter trace per class 0..n_classes−1, even for classes absent from ``y``.

    A fixed number of traces keeps trace indices stable across animation frames. Training points are
    filled with a white outline (readable on their own class colour); test points are hollow with a thick
    outline, as with TensorFlow Playground's "show test data".
    """
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y).ravel()
    X = X.reshape(0, 2) if X.size == 0 else X
    if X.ndim != 2 or X.shape[1] != 2 or len(X) != len(y):
        raise ValueError(f"class_points needs X of shape (n, 2) and y of shape (n,), got {X.shape} and "
                         f"{y.shape}.")
    # float32 ships half the bytes of float64, and is plenty for points on a screen.
    return [_class_trace(X[y == k].astype(np.float32), k, name, test) for k in range(n_classes)]


def _class_trace(points: np.ndarray, k: int, name: str, test: bool) -> go.Scatter:
    style = class_style(k)
    if test:
        marker = {"color": style["color"], "symbol": style["symbol"] + "-open", "size": 9,
                  "line": {"color": style["color"], "width": 2.5}}
    else:
        marker = {**style, "size": 8, "line": {"color": "white", "width": 1}}
    return go.Scatter(x=points[:, 0], y=points[:, 1], mode="markers", marker=marker,
                      name=f"class {k} ({name})", legendgroup=f"class {k} ({name})",
                      hovertemplate=f"class {k} ({name})<br>(%{{x:.3g}}, %{{y:.3g}})<extra></extra>")


def _tint(hex_color: str, share: float) -> str:
    """``hex_color`` mixed with white: ``share`` of the colour, the rest white."""
    rgb = np.array([int(hex_color[i:i + 2], 16) for i in (1, 3, 5)], dtype=np.float64)
    mixed = np.rint(255 + share * (rgb - 255)).astype(int)
    return "#{:02X}{:02X}{:02X}".format(*mixed)


def _check_n_classes(n_classes: int) -> int:
    if not 2 <= n_classes <= MAX_CLASSES:
        raise ValueError(f"A decision map needs 2 to {MAX_CLASSES} classes, got {n_classes}.")
    return int(n_classes)
