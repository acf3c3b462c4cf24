"""PCA beside t-SNE: the same points in the same colours, t-SNE replaying its optimisation frame by frame."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
from viz.subplots import subplots

from viz.animation import Frame, animate, frame_indices
from viz.palette import CLASS_COLORS, CLASS_SYMBOLS, OKABE_ITO

MAX_FRAMES = 100
#: Okabe–Ito's eight plus two of Paul Tol's muted colours, so the ten digits get ten colours; shapes repeat.
COLORS = [*CLASS_COLORS, "#882255", "#999933"]
SYMBOLS = [*CLASS_SYMBOLS, "hexagon", "pentagon"]
#: Labels beyond this many are drawn in grey as "other".
MAX_CLASSES = len(COLORS)
SHADES = " ░▒▓█"


def digit_art(image) -> str:
    """A small grey image (e.g. an 8×8 digit, values 0–16) as block characters for a hover label."""
    image = np.asarray(image, dtype=float)
    levels = np.clip(np.round(image / max(image.max(), 1e-9) * (len(SHADES) - 1)), 0, len(SHADES) - 1).astype(int)
    return "<br>".join("".join(SHADES[v] for v in row) for row in levels)


def hover_texts(n: int, labels, label_names, images=None, row_names=None) -> list[str]:
    """What hovering a point says: its label (and, for images, the picture in block characters — sent once,
    on the t-SNE side, as each block character costs six bytes of JSON)."""
    texts = []
    for i in range(n):
        parts = [f"row {i}" if row_names is None else str(row_names[i])]
        if labels is not None:
            parts.append(f"label: {label_names[labels[i]] if label_names is not None else labels[i]}")
        if images is not None:
            parts.append(f"<span style='font-family:monospace'>{digit_art(images[i])}</span>")
        texts.append("<br>".join(parts))
    return texts


def _groups(labels, label_names) -> list[tuple[str, np.ndarray, int]]:
    """(name, row indices, style index) per class; everything past MAX_CLASSES − 1 classes becomes "other"."""
    if labels is None:
        return [("points", None, 0)]
    classes, counts = np.unique(labels, return_counts=True)
    order = classes[np.argsort(-counts, kind="stable")]
    keep = sorted(order[:MAX_CLASSES] if len(order) <= MAX_CLASSES else order[:MAX_CLASSES - 1])
    groups = [(str(label_names[k]) if label_names is not None else str(k), np.flatnonzero(labels == k), i)
              for i, k in enumerate(keep)]
    rest = np.flatnonzero(~np.isin(labels, keep))
    if len(rest):
        groups.append(("other", rest, -1))
    return groups


def _marker(style: int, size: float = 6) -> dict:
    if style < 0:
        return {"color": "#BBBBBB", "size": size, "symbol": "circle"}
    return {"color": COLORS[style % len(COLORS)], "size": size, "symbol": SYMBOLS[style % len(SYMBOLS)],
            "line": {"width": 0.5, "color": "white"}}


def fit_box(points: np.ndarray) -> np.ndarray:
    """Centre an embedding and scale it into [−1, 1]² (t-SNE's scale changes a hundredfold while it runs)."""
    points = points - points.mean(axis=0)
    return points / max(np.abs(points).max(), 1e-12)


def frames_within_budget(n_points: int, text_bytes: int, budget: int = 2_400_000) -> int:
    """How many t-SNE frames fit: each costs n × 2 float32 in base64 (≈ 11 bytes a point); the hover texts
    are sent twice (once per panel)."""
    room = max(budget - text_bytes - 60 * n_points, 0)
    return int(np.clip(room // (11 * n_points + 200), 10, MAX_FRAMES))


def side_by_side(pca_xy, frames, frame_iters, labels=None, label_names=None, texts=None,
                 pca_axes=("PC 1", "PC 2"), exaggeration_until: int = 250) -> go.Figure:
    """PCA (left, still) and t-SNE (right, one frame per recorded iteration), sharing colours and legend."""
    fig = subplots(rows=1, cols=2, horizontal_spacing=0.06,
                        subplot_titles=("PCA: a rotation, then a projection", "t-SNE: an optimisation, replayed"))
    n = len(pca_xy)
    texts = texts if texts is not None else [f"row {i}" for i in range(n)]
    short = [t.split("<span")[0].removesuffix("<br>") for t in texts]  # the PCA side: label only
    groups = _groups(labels, label_names)
    pick = lambda rows: slice(None) if rows is None else rows  # noqa: E731
    animated = []
    for name, rows, style in groups:
        r = pick(rows)
        members = range(n) if rows is None else rows
        hover = [texts[i] for i in members]
        fig.add_trace(go.Scatter(x=pca_xy[r, 0], y=pca_xy[r, 1], mode="markers", name=name, legendgroup=name,
                                 marker=_marker(style), text=[short[i] for i in members],
                                 hovertemplate="%{text}<extra></extra>"), row=1, col=1)
        first = fit_box(frames[0])[r]
        fig.add_trace(go.Scatter(x=first[:, 0], y=first[:, 1], mode="markers", name=name, legendgroup=name,
                                 showlegend=False, marker=_marker(style), text=hover,
                                 hovertemplate="%{text}<extra></extra>"), row=1, col=2)
        animated.append(len(fig.data) - 1)
    shown = []
    text_bytes = len(json.dumps(texts)) + len(json.dumps(short))
    for i in frame_indices(len(frames), frames_within_budget(n, text_bytes)):
        box = fit_box(frames[i])
        it = int(frame_iters[i])
        phase = " · early exaggeration" if it < exaggeration_until else ""
        shown.append(Frame(label=f"{it}{phase}", traces=animated,
                           data=[{"x": box[pick(rows), 0], "y": box[pick(rows), 1]} for _, rows, _ in groups]))
    fig.update_xaxes(title=pca_axes[0], row=1, col=1)
    fig.update_yaxes(title=pca_axes[1], row=1, col=1, scaleanchor="x", scaleratio=1)
    fig.update_xaxes(range=[-1.08, 1.08], showticklabels=False, title="rescaled to fit each frame", row=1, col=2)
    fig.update_yaxes(range=[-1.08, 1.08], showticklabels=False, row=1, col=2, scaleanchor="x2", scaleratio=1)
    fig.update_layout(height=640, legend={"orientation": "h", "y": 1.12, "itemsizing": "constant"},
                      margin={"t": 80, "l": 10, "r": 10}, hoverlabel={"font": {"family": "monospace"}})
    return animate(fig, shown, slider_prefix="iteration ")


def scree(explained_ratio) -> go.Figure:
    """Variance explained per component (bars) and cumulatively (line)."""
    k = np.arange(1, len(explained_ratio) + 1)
    fig = go.Figure([
        go.Bar(x=k, y=explained_ratio, name="this component", marker={"color": OKABE_ITO["sky_blue"]}),
        go.Scatter(x=k, y=np.cumsum(explained_ratio), name="cumulative", mode="lines+markers",
                   line={"color": OKABE_ITO["blue"]}),
    ])
    fig.update_layout(height=300, xaxis={"title": "component", "dtick": 1 if len(k) <= 20 else 5},
                      yaxis={"title": "share of variance", "tickformat": ".0%", "range": [0, 1.02]},
                      legend={"orientation": "h", "y": 1.15}, margin={"t": 30, "l": 10, "r": 10, "b": 10})
    return fig


def loadings(names, weights, component: int) -> go.Figure:
    """The features weighing most in one principal component."""
    order = np.argsort(np.abs(weights))
    fig = go.Figure(go.Bar(x=np.asarray(weights)[order], y=[str(names[i]) for i in order], orientation="h",
                           marker={"color": [OKABE_ITO["blue"] if w >= 0 else OKABE_ITO["orange"]
                                             for w in np.asarray(weights)[order]]}))
    fig.update_layout(height=300, title=f"Top loadings of PC {component}", xaxis={"title": "weight"},
                      margin={"t": 40, "l": 10, "r": 10, "b": 10})
    return fig


def small_multiples(embeddings, titles, labels=None, label_names=None, cols: int = 5) -> go.Figure:
    """Several final embeddings side by side (e.g. over perplexities or seeds), same colours, no axes."""
    rows = int(np.ceil(len(embeddings) / cols))
    fig = subplots(rows=rows, cols=cols, subplot_titles=titles, horizontal_spacing=0.02, vertical_spacing=0.08)
    groups = _groups(labels, label_names)
    for k, points in enumerate(embeddings):
        box = fit_box(np.asarray(points, dtype=float))
        for name, idx, style in groups:
            sel = slice(None) if idx is None else idx
            fig.add_trace(go.Scatter(x=box[sel, 0], y=box[sel, 1], mode="markers", name=name, legendgroup=name,
                                     showlegend=k == 0, marker=_marker(style, 4), hoverinfo="skip"),
                          row=k // cols + 1, col=k % cols + 1)
    fig.update_xaxes(showticklabels=False, range=[-1.1, 1.1])
    fig.update_yaxes(showticklabels=False, range=[-1.1, 1.1])
    fig.update_layout(height=260 * rows + 60, legend={"orientation": "h", "y": -0.08},
                      margin={"t": 30, "l": 10, "r": 10, "b": 10})
    return fig
