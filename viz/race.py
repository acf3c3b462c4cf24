"""The optimizer race: every racer's path over the surface's contours, animated step by step, plus a 3-D view."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from viz.subplots import subplots

from core.objectives import Objective
from core.optimizers import RaceResult
from viz.animation import Frame, animate, frame_indices
from viz.palette import OKABE_ITO, SEQUENTIAL

MAX_FRAMES = 120
GRID = 90
#: Paths keep every step while racers × steps stays below this; beyond it they are drawn through frame steps
#: only, which keeps the figure under the payload budget.
FULL_PATH_POINTS = 2500

CLICK_GRID = 41  # click targets per side
#: Index of the click-target trace in the race figure (after the contour).
CLICK_TRACE = 1
TRACES_PER_RACER = 6  # path, current point, step taken, current loss, gradient step, velocity
#: Which optimizer state is drawn as its "velocity" arrow (scaled by −η, like the step it feeds).
VELOCITY_KEYS = ("velocity", "m_hat")

#: One colour per optimizer, the same everywhere in the app.
OPTIMIZER_COLORS = {
    "sgd": OKABE_ITO["black"], "momentum": OKABE_ITO["blue"], "nesterov": OKABE_ITO["sky_blue"],
    "adagrad": OKABE_ITO["bluish_green"], "rmsprop": OKABE_ITO["reddish_purple"], "adam": OKABE_ITO["orange"],
    "adamw": OKABE_ITO["yellow"],
}


def racer_color(name: str) -> str:
    return OPTIMIZER_COLORS.get(name.split("_")[0] if name not in OPTIMIZER_COLORS else name, "#444444")


def surface_grid(objective: Objective, n: int = GRID):
    """``(xs, ys, Z)`` of the objective over its domain, Z of shape (n, n)."""
    (x0, x1), (y0, y1) = objective.domain
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    X, Y = np.meshgrid(xs, ys)
    with np.errstate(all="ignore"):
        Z = objective.value(np.stack([X, Y], axis=-1))
    return xs, ys, np.where(np.isfinite(Z), Z, np.nan)


def display_height(Z):
    """Log-scaled height, log₁₀(f − min f + 10⁻³): spreads the contours where the interesting part is flat."""
    return np.log10(Z - np.nanmin(Z) + 1e-3)


def finite_points(objective: Objective, points: np.ndarray) -> np.ndarray:
    """Which of ``points`` (..., 2) are places a race can start: f and its gradient are finite there."""
    with np.errstate(all="ignore"):
        value, grad = objective.value(points), objective.gradient(points)
    return np.isfinite(value) & np.all(np.isfinite(grad), axis=-1)


def _add_surface(fig: go.Figure, objective: Objective, start, colorbar: dict, **cell) -> None:
    """The surface's contour map, the invisible click targets (trace :data:`CLICK_TRACE`), the known minima and
    the start: the first four traces of both the race figure and the map shown when no race can start. ``cell``:
    the subplot's ``row`` and ``col``, if the figure has subplots."""
    xs, ys, Z = surface_grid(objective)
    fig.add_trace(go.Contour(x=xs, y=ys, z=display_height(Z), colorscale=SEQUENTIAL, ncontours=30,
                             contours={"coloring": "heatmap"}, line={"width": 0.4}, hoverinfo="skip",
                             colorbar=colorbar, showlegend=False, name="surface"), **cell)
    # A grid of invisible points: clicking one picks it as the new start (the page listens for selections).
    # Only points a race can start from are offered (a typed formula may be undefined on part of the map).
    grid = np.stack(np.meshgrid(np.linspace(*objective.domain[0], CLICK_GRID),
                                np.linspace(*objective.domain[1], CLICK_GRID)), axis=-1).reshape(-1, 2)
    grid = grid[finite_points(objective, grid)]
    # The surface itself takes no hover (nor clicks): these points say f where the pointer is.
    with np.errstate(all="ignore"):
        height = objective.value(grid)
    fig.add_trace(go.Scatter(x=grid[:, 0], y=grid[:, 1], mode="markers", name="click to start here",
                             marker={"size": 14, "opacity": 0}, showlegend=False, customdata=height,
                             hovertemplate="f(%{x:.2f}, %{y:.2f}) = %{customdata:.4g}<br>click to start here"
                                           "<extra></extra>"), **cell)
    minima = np.asarray(objective.minima).reshape(-1, 2)
    fig.add_trace(go.Scatter(x=minima[:, 0], y=minima[:, 1], mode="markers", name="minima",
                             marker={"symbol": "star", "size": 13, "color": "white",
                                     "line": {"color": "black", "width": 1}}), **cell)
    fig.add_trace(go.Scatter(x=[start[0]], y=[start[1]], mode="markers", name="start",
                             marker={"symbol": "x", "size": 11, "color": "black"}), **cell)


def start_map(objective: Objective, start) -> go.Figure:
    """The surface alone, with the start where no race can begin (f or its gradient is not finite there): the
    map stays on screen so that a click on it can pick a new start."""
    fig = go.Figure()
    _add_surface(fig, objective, start, colorbar={"title": {"text": "log height", "side": "top"}, "thickness": 10,
                                                  "len": 0.75})
    fig.data[3].name = "start (f or its gradient is not finite here)"
    (x0, x1), (y0, y1) = objective.domain
    fig.update_xaxes(range=[x0, x1], title_text="x")
    fig.update_yaxes(range=[y0, y1], title_text="y")
    fig.update_layout(height=520, title={"text": "Click the coloured part of the map to start the race there"},
                      legend={"orientation": "h", "y": 1.02, "x": 0, "yanchor": "bottom"})
    return fig


def race_animation(objective: Objective, result: RaceResult) -> go.Figure:
    """Paths over the contours (left) and loss per step (right), all racers advancing together."""
    # room between the panels for the colour bar's ticks and the loss axis's ticks: no axis title there (the
    # panel's title says what the axis is), so the two cannot overlap in the stage's narrow figure column
    fig = subplots(rows=1, cols=2, column_widths=[0.58, 0.42], horizontal_spacing=0.17,
                   subplot_titles=("Paths over the surface", "Loss f per step"))
    _add_surface(fig, objective, result.positions[0, 0],
                 colorbar={"title": {"text": "log height", "side": "top"}, "thickness": 10, "len": 0.75,
                           "x": fig.layout.xaxis.domain[1] + 0.005, "xanchor": "left"}, row=1, col=1)

    animated, n_fixed = [], len(fig.data)
    for i, (name, label) in enumerate(zip(result.names, result.labels)):
        color = racer_color(name)
        fig.add_trace(go.Scatter(mode="lines", name=label, legendgroup=name, line={"color": color, "width": 2}), 1, 1)
        fig.add_trace(go.Scatter(mode="markers", legendgroup=name, showlegend=False, name=f"{label} now",
                                 marker={"size": 11, "color": color, "line": {"color": "white", "width": 1.5}}), 1, 1)
        fig.add_trace(go.Scatter(mode="lines+markers", legendgroup=name, showlegend=False,
                                 name=f"{label} next update", line={"color": color, "width": 1.5, "dash": "dot"},
                                 marker={"symbol": "arrow", "angleref": "previous", "size": 10, "color": color}), 1, 1)
        fig.add_trace(go.Scatter(mode="markers", legendgroup=name, showlegend=False, name=f"{label} loss now",
                                 marker={"size": 9, "color": color}), 1, 2)
        fig.add_trace(go.Scatter(mode="lines+markers", legendgroup=name, showlegend=False,
                                 name=f"{label} gradient step −η∇f", line={"color": "white", "width": 1.5},
                                 marker={"symbol": "arrow", "angleref": "previous", "size": 8, "color": "white"}),
                      1, 1)
        fig.add_trace(go.Scatter(mode="lines+markers", legendgroup=name, showlegend=False,
                                 name=f"{label} velocity −ηv", line={"color": color, "width": 2, "dash": "dash"},
                                 marker={"symbol": "arrow", "angleref": "previous", "size": 8, "color": color}), 1, 1)
        animated.append(n_fixed + TRACES_PER_RACER * i)
    for i, name in enumerate(result.names):  # the whole loss curve, faint, so the race's end is visible
        fig.add_trace(go.Scatter(x=np.arange(result.n_steps + 1.0), y=result.loss[i], mode="lines",
                                 legendgroup=name, showlegend=False, hoverinfo="skip",
                                 line={"color": racer_color(name), "width": 1.5}, opacity=0.45), 1, 2)

    idx = frame_indices(result.n_steps + 1, MAX_FRAMES)
    full = result.n_racers * (result.n_steps + 1) <= FULL_PATH_POINTS
    frames = [_frame(result, animated, idx, j, full) for j in range(len(idx))]
    for data, t in zip(frames[0].data, frames[0].traces):
        fig.data[t].update(data)

    (x0, x1), (y0, y1) = objective.domain
    fig.update_xaxes(range=[x0, x1], title_text="x", row=1, col=1)
    fig.update_yaxes(range=[y0, y1], title_text="y", row=1, col=1)
    fig.update_xaxes(range=[0, result.n_steps], title_text="step", row=1, col=2)
    finite = result.loss[np.isfinite(result.loss)]
    if finite.size and finite.min() > 0:
        lo, hi = np.log10(finite.min()), np.log10(finite.max())
        fig.update_yaxes(type="log", range=[lo - 0.2, hi + 0.2], row=1, col=2)
        fig.layout.annotations[1].text = "Loss f per step (log scale)"
    fig.update_layout(height=560, margin={"t": 90},
                      legend={"orientation": "h", "y": 1.12, "x": 0, "yanchor": "bottom"})
    return animate(fig, frames, slider_prefix="step ", template="plotly_white")


def _frame(result: RaceResult, animated: list[int], idx: np.ndarray, j: int, full: bool) -> Frame:
    """Step k: each racer's path so far, where it is, the step it takes next, the plain gradient step
    −η∇f it would take without its tricks, and its velocity (momentum) or m̂ (Adam) scaled by −η."""
    k = int(idx[j])
    data, traces = [], []
    steps = np.arange(k + 1) if full else idx[: j + 1]
    for i, (name, base) in enumerate(zip(result.names, animated)):
        path = result.positions[i, steps]
        now = result.positions[i, k]
        last = k >= result.n_steps
        lr = 0.0 if last else result.lr[i, k]
        nxt = now if last else now + result.updates[i, k]
        plain = now - lr * result.grad[i, k]
        key = next((key for key in VELOCITY_KEYS if key in result.states[name]), None)
        velocity = now - lr * result.states[name][key][k] if key else now
        data += [dict(x=path[:, 0], y=path[:, 1]), dict(x=[now[0]], y=[now[1]]),
                 dict(x=[now[0], nxt[0]], y=[now[1], nxt[1]]), dict(x=[k], y=[result.loss[i, k]]),
                 dict(x=[now[0], plain[0]], y=[now[1], plain[1]]),
                 dict(x=[now[0], velocity[0]], y=[now[1], velocity[1]])]
        traces += list(range(base, base + TRACES_PER_RACER))
    return Frame(label=str(k), data=data, traces=traces)


def surface_3d(objective: Objective, result: RaceResult) -> go.Figure:
    """The surface in 3-D with every racer's whole path drawn on it (drag to turn it)."""
    xs, ys, Z = surface_grid(objective, 60)
    fig = go.Figure(go.Surface(x=xs, y=ys, z=Z, colorscale=SEQUENTIAL, opacity=0.85, showscale=False,
                               name="surface", hovertemplate="x=%{x:.3g}<br>y=%{y:.3g}<br>f=%{z:.4g}<extra></extra>"))
    zmin, zmax = np.nanmin(Z), np.nanmax(Z)
    for i, (name, label) in enumerate(zip(result.names, result.labels)):
        ok = np.isfinite(result.loss[i])
        p, z = result.positions[i, ok], np.clip(result.loss[i, ok], zmin, zmax)
        fig.add_trace(go.Scatter3d(x=p[:, 0], y=p[:, 1], z=z, mode="lines", name=label,
                                   line={"color": racer_color(name), "width": 5}))
    fig.update_layout(height=520, margin={"l": 0, "r": 0, "t": 10, "b": 0},
                      scene={"xaxis_title": "x", "yaxis_title": "y", "zaxis_title": "f",
                             "aspectmode": "manual", "aspectratio": {"x": 1, "y": 1, "z": 0.6}},
                      legend={"orientation": "h", "y": 1.0})
    return fig
