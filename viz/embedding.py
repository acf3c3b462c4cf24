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
#: An upscaled digit is this many screen pixels per image pixel (8 × 16 = 128 px: big enough to read).
IMAGE_SCALE = 16


#: Above this many points the panels are drawn with WebGL (``scattergl``): SVG markers cost a DOM node each, and
#: 20,000 of them twice made every frame of the replay a redraw of 40,000 nodes.
GL_POINTS = 3000
#: The figure's ``layout.meta`` marks it for ui/linked_selection.py's script: its traces come in (PCA, t-SNE) pairs,
#: trace 2g and 2g + 1 holding the same points in the same order, so a point selected in one panel is the same
#: index in the other panel's trace.
LINKED = {"linked": "pairs"}


#: A clicked point (Streamlit's ``on_select``) drawn larger; the others fade only a little, to stay readable.
CLICKED = {"selected": {"marker": {"size": 12}}, "unselected": {"marker": {"opacity": 0.45}}}


def hover_texts(n: int, labels, label_names, images=None, row_names=None) -> list[str]:
    """What hovering a point says: its row and its label. ``images`` is accepted and not drawn: a picture in a
    hover label could only be block characters (six bytes of JSON each); the page shows a clicked row's real
    image instead (:func:`upscaled`)."""
    texts = []
    for i in range(n):
        parts = [f"row {i}" if row_names is None else str(row_names[i])]
        if labels is not None:
            parts.append(f"label: {label_names[labels[i]] if label_names is not None else labels[i]}")
        texts.append("<br>".join(parts))
    return texts


def upscaled(image, scale: int = IMAGE_SCALE) -> np.ndarray:
    """A small grey picture (e.g. an 8×8 digit, ink 0–16) as a uint8 image, dark ink on white, each pixel a
    ``scale`` × ``scale`` block (nearest neighbour: the real pixels, not a blur of them)."""
    image = np.asarray(image, dtype=float)
    ink = image / max(image.max(), 1e-9)
    grey = np.round(255 * (1 - ink)).astype(np.uint8)
    return np.kron(grey, np.ones((scale, scale), dtype=np.uint8))


def row_ids(rows, n: int) -> np.ndarray:
    """The rows' numbers in the data they came from (``Embeddable.rows``; 0..n−1 when None), in the smallest
    unsigned integer type that holds them: a point's ``customdata``, sent as a typed array."""
    ids = np.arange(n) if rows is None else np.asarray(rows)
    return ids.astype(np.uint16 if len(ids) == 0 or ids.max() < 2 ** 16 else np.uint32)


def clicked_row(points) -> int | None:
    """The row number (``customdata``) of the first point in a Plotly selection (Streamlit's
    ``event.selection.points``), or None when nothing with a row number was clicked."""
    for point in points or ():
        value = point.get("customdata") if isinstance(point, dict) else None
        if isinstance(value, (list, tuple)):
            value = value[0] if value else None
        if isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer():
            return int(value)
    return None


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


#: Fewest frames a replay keeps, however many points: the first, a few of early exaggeration, the last.
MIN_FRAMES = 6
#: The t-SNE panel's coordinates are sent as uint16: [−1, 1] (the fitted box) onto 0 … 65,535, a step of 3e-5 of
#: the panel (~0.02 px at 600 px), at half the bytes of float32 — twice the frames in the same budget.
QUANT = 65_535
#: The t-SNE panel's axis range, in those units (the box's [−1.08, 1.08]).
QUANT_RANGE = [(-1.08 + 1.0) * QUANT / 2, (1.08 + 1.0) * QUANT / 2]


def quantised(box: np.ndarray) -> np.ndarray:
    """Coordinates in [−1, 1] as uint16 (see :data:`QUANT`)."""
    return np.round((np.clip(box, -1.0, 1.0) + 1.0) * (QUANT / 2)).astype(np.uint16)


def frames_within_budget(n_points: int, text_bytes: int, budget: int = 2_400_000) -> int:
    """How many t-SNE frames fit: each costs n × 2 uint16 in base64 (≈ 6 bytes a point); ``text_bytes`` is
    what the hover labels and row numbers of both panels cost, and the still PCA panel (float32) and the first
    frame ≈ 17 bytes a point (plus slack). 100 frames at 2,000 points, 14 at 20,000 (a 2.4 MB figure)."""
    room = max(budget - text_bytes - 30 * n_points, 0)
    return int(np.clip(room // (6 * n_points + 200), MIN_FRAMES, MAX_FRAMES))


def _hover(name: str, members, style: int, ids, labels, label_names, texts) -> dict:
    """A trace's hover: "row r" and the label. The label of a class trace is the trace's own name, and the row
    its point's ``customdata`` (which a click also reports), so no text is sent per point; only the "other"
    group, whose points differ in label, and callers' own ``texts`` send text."""
    if texts is not None:
        return {"text": [texts[i] for i in members], "hovertemplate": "%{text}<extra></extra>"}
    if labels is None:
        return {"hovertemplate": "row %{customdata}<extra></extra>"}
    if style < 0:
        names = [str(label_names[labels[i]]) if label_names is not None else str(labels[i]) for i in members]
        return {"text": names, "hovertemplate": "row %{customdata}<br>label: %{text}<extra></extra>"}
    return {"hovertemplate": "row %{customdata}<br>label: %{fullData.name}<extra></extra>"}


PCA_TITLE = "PCA: a rotation, then a projection"


def _panels(pca_xy, first, labels, label_names, texts, pca_axes, rows, tsne_title: str, hover: bool = True):
    """PCA (left) and a t-SNE map (right) of the same points, a trace pair per label group; the figure, the
    t-SNE traces' indices, the groups and what the hover labels and row numbers cost in bytes."""
    fig = subplots(rows=1, cols=2, horizontal_spacing=0.06, subplot_titles=(PCA_TITLE, tsne_title))
    n = len(pca_xy)
    ids = row_ids(rows, n)
    groups = _groups(labels, label_names)
    size = 6 if n <= GL_POINTS else 3  # 20,000 points at size 6 are one solid blot
    pick = lambda rows: slice(None) if rows is None else rows  # noqa: E731
    t_sne, text_bytes = [], 0
    trace_type = go.Scattergl if n > GL_POINTS else go.Scatter
    for name, members, style in groups:
        r = pick(members)
        points = {"hoverinfo": "skip"}
        if hover:
            points = {**_hover(name, range(n) if members is None else members, style, ids, labels, label_names,
                               texts), "customdata": ids[r], **CLICKED}
            text_bytes += 2 * (len(json.dumps(points.get("text", []))) + ids[r].nbytes * 4 // 3)
        for xy, col in ((pca_xy[r], 1), (quantised(fit_box(first)[r]), 2)):
            fig.add_trace(trace_type(x=xy[:, 0], y=xy[:, 1], mode="markers", name=name, legendgroup=name,
                                     showlegend=col == 1, marker=_marker(style, size), **points),
                          row=1, col=col)
        t_sne.append(len(fig.data) - 1)
    fig.update_xaxes(title=pca_axes[0], row=1, col=1)
    fig.update_yaxes(title=pca_axes[1], row=1, col=1, scaleanchor="x", scaleratio=1)
    fig.update_xaxes(range=QUANT_RANGE, showticklabels=False, title="rescaled to fit each frame", row=1, col=2)
    fig.update_yaxes(range=QUANT_RANGE, showticklabels=False, row=1, col=2, scaleanchor="x2", scaleratio=1)
    fig.update_layout(height=520, legend={"orientation": "h", "y": 1.08, "yanchor": "bottom", "itemsizing": "constant"},
                      margin={"t": 80, "l": 74, "r": 12}, meta=LINKED)  # what its labels take (viz.animation.animate)
    return fig, t_sne, groups, text_bytes


def side_by_side(pca_xy, frames, frame_iters, labels=None, label_names=None, texts=None,
                 pca_axes=("PC 1", "PC 2"), exaggeration_until: int = 250, rows=None) -> go.Figure:
    """PCA (left, still) and t-SNE (right, one frame per recorded iteration), sharing colours and legend.

    Every point carries its row number (``rows``: the rows' numbers in the data they came from, default
    0..n−1) as ``customdata``: hovering shows it with the label, and a click (Streamlit's ``on_select``)
    reports it. ``texts`` (one hover text per point, e.g. :func:`hover_texts`) replaces the default hover."""
    fig, animated, groups, text_bytes = _panels(pca_xy, frames[0], labels, label_names, texts, pca_axes, rows,
                                                "t-SNE: an optimisation, replayed")
    n = len(pca_xy)
    pick = lambda rows: slice(None) if rows is None else rows  # noqa: E731
    shown = []
    for i in frame_indices(len(frames), frames_within_budget(n, text_bytes)):
        box = quantised(fit_box(frames[i]))
        it = int(frame_iters[i])
        phase = " · early exaggeration" if it < exaggeration_until else ""
        shown.append(Frame(label=f"{it}{phase}", traces=animated,
                           data=[{"x": box[pick(rows), 0], "y": box[pick(rows), 1]} for _, rows, _ in groups]))
    # WebGL traces are not animatable in Plotly: their frames only paint with a redraw (without it the slider moved
    # and the panel stood still, measured in Chromium at 20,000 points)
    return animate(fig, shown, redraw=n > GL_POINTS, slider_prefix="iteration ")


def running_map(pca_xy, embedding, iteration: int, total: int, labels=None, label_names=None,
                pca_axes=("PC 1", "PC 2"), exaggeration_until: int = 250) -> go.Figure:
    """What the page shows while t-SNE runs: PCA beside the map so far, in :func:`side_by_side`'s panels, colours
    and size, with the iteration where the replay's controls will be. No hover, no frames: it is redrawn every
    few tenths of a second, so it stays light (a 1,000-point one is ~30 KB)."""
    fig, *_ = _panels(pca_xy, embedding, labels, label_names, None, pca_axes, None, "t-SNE: running…", hover=False)
    phase = ", early exaggeration" if iteration < exaggeration_until else ""
    fig.add_annotation(text=f"t-SNE is running: iteration {iteration:,} of {total:,}{phase}. "
                            "Its replay starts when it ends.",
                       x=1.0, y=0, xref="paper", yref="paper", xanchor="right", yanchor="top", yshift=-60,
                       showarrow=False, font={"size": 14, "color": "#31333F"})
    # the replay's buttons and slider take this much below its plots: the same here, so the panels do not jump
    fig.update_layout(margin={"b": 190})
    return fig


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
