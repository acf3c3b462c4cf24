"""The optimizer race: every racer's path over the surface's contours, animated step by step, plus a 3-D view."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from viz.subplots import subplots

from core.objectives import Objective
from core.optimizers import RaceResult
from viz.animation import Frame, animate, frame_indices, strided_indices
from viz.axes import log_ticks
from viz.palette import OKABE_ITO, SEQUENTIAL

#: Frames of one race: a step per frame up to this many steps, beyond it every second (third, ...) step.
MAX_FRAMES = 60
GRID = 90
#: Paths keep every step while racers × steps stays below this; beyond it they are drawn through this many
#: evenly spread steps (and every frame's step), which keeps the figure under the payload budget.
FULL_PATH_POINTS = 2500
PATH_POINTS = 120

CLICK_GRID = 41  # click targets per side
#: Index of the click-target trace in the race figure (after the contour).
CLICK_TRACE = 1
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
    # Plotly hovers, clicks and selects on its data, not on drawn markers, so it draws just one of them
    # (``maxdisplayed``): 1,681 invisible markers were half of the browser's time to draw the race. Undrawn points
    # are hovered by distance alone, so a click picks the nearest one (drawn, any within its 7 px radius).
    grid = np.stack(np.meshgrid(np.linspace(*objective.domain[0], CLICK_GRID),
                                np.linspace(*objective.domain[1], CLICK_GRID)), axis=-1).reshape(-1, 2)
    grid = grid[finite_points(objective, grid)]
    # The surface itself takes no hover (nor clicks): these points say f where the pointer is.
    with np.errstate(all="ignore"):
        height = objective.value(grid)
    fig.add_trace(go.Scatter(x=grid[:, 0], y=grid[:, 1], mode="markers", name="click to start here",
                             marker={"size": 14, "opacity": 0, "maxdisplayed": 1}, showlegend=False,
                             customdata=height,
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

    layout = race_layout(result, first=len(fig.data))
    colors = [racer_color(name) for name in result.names]
    idx = strided_indices(result.n_steps + 1, MAX_FRAMES)
    full = result.n_racers * (result.n_steps + 1) <= FULL_PATH_POINTS
    path_steps = (np.arange(result.n_steps + 1) if full
                  else np.union1d(frame_indices(result.n_steps + 1, PATH_POINTS), idx))
    # Each racer's path: its whole x is in the figure once, and a frame sends only the y of the steps taken so far
    # (Plotly draws as many points as the shorter of x and y holds).
    for name, label, color, path in zip(result.names, result.labels, colors, result.positions[:, path_steps]):
        fig.add_trace(go.Scatter(x=path[:, 0], mode="lines", name=label, legendgroup=name,
                                 line={"color": color, "width": 2}), 1, 1)
    # Where every racer is now: one trace, a colour per point (only its coordinates move).
    fig.add_trace(go.Scatter(mode="markers", showlegend=False, name="now", text=list(result.labels),
                             hovertemplate="(%{x}, %{y})<extra>%{text} now</extra>",
                             marker={"size": 11, "color": colors, "line": {"color": "white", "width": 1.5}}), 1, 1)
    # The step each racer takes next: a line style per racer, so a trace per racer.
    for name, label, color in zip(result.names, result.labels, colors):
        fig.add_trace(go.Scatter(mode="lines+markers", legendgroup=name, showlegend=False,
                                 name=f"{label} next update", line={"color": color, "width": 1.5, "dash": "dot"},
                                 marker={"symbol": "arrow", "angleref": "previous", "size": 10, "color": color}), 1, 1)
    # The plain gradient steps −η∇f are all white: one trace, a segment per racer (None between segments).
    fig.add_trace(go.Scatter(mode="lines+markers", showlegend=False, name="gradient step −η∇f",
                             text=[text for label in result.labels for text in (label,) * 2 + ("",)],
                             hovertemplate="(%{x}, %{y})<extra>%{text} gradient step −η∇f</extra>",
                             line={"color": "white", "width": 1.5},
                             marker={"symbol": "arrow", "angleref": "previous", "size": 8, "color": "white"}), 1, 1)
    for racer in layout.velocity:  # only racers that carry a velocity (or m̂) have this arrow
        name, label, color = result.names[racer], result.labels[racer], colors[racer]
        fig.add_trace(go.Scatter(mode="lines+markers", legendgroup=name, showlegend=False,
                                 name=f"{label} velocity −ηv", line={"color": color, "width": 2, "dash": "dash"},
                                 marker={"symbol": "arrow", "angleref": "previous", "size": 8, "color": color}), 1, 1)
    fig.add_trace(go.Scatter(mode="markers", showlegend=False, name="loss now", text=list(result.labels),
                             hovertemplate="(%{x}, %{y})<extra>%{text} loss now</extra>",
                             marker={"size": 9, "color": colors}, cliponaxis=False), 1, 2)  # whole at the last step
    for name, color, loss in zip(result.names, colors, result.loss):  # whole loss curves, faint: the race's end
        fig.add_trace(go.Scatter(x=np.arange(result.n_steps + 1.0), y=loss, mode="lines", legendgroup=name,
                                 showlegend=False, hoverinfo="skip", line={"color": color, "width": 1.5},
                                 opacity=0.45), 1, 2)

    frames = [_frame(result, layout, int(k), path_steps) for k in idx]
    for data, t in zip(frames[0].data, frames[0].traces):
        fig.data[t].update(data)

    (x0, x1), (y0, y1) = objective.domain
    fig.update_xaxes(range=[x0, x1], title_text="x", row=1, col=1)
    fig.update_yaxes(range=[y0, y1], title_text="y", row=1, col=1)
    fig.update_xaxes(range=[0, result.n_steps], title_text="step", row=1, col=2)
    finite = result.loss[np.isfinite(result.loss)]
    if finite.size and finite.min() > 0:
        lo, hi = np.log10(finite.min()), np.log10(finite.max())
        fig.update_yaxes(type="log", range=[lo - 0.2, hi + 0.2], **log_ticks(lo - 0.2, hi + 0.2), row=1, col=2)
        fig.layout.annotations[1].text = "Loss f per step (log scale)"
    # l: the y axis's labels and title (Streamlit's theme sets l = 0, and a margin Plotly widens costs a redraw)
    # r: half the last step's label and marker stand past the loss panel's right edge
    fig.update_layout(height=560, margin={"t": 90, "l": 68, "r": 24},
                      legend={"orientation": "h", "y": 1.12, "x": 0, "yanchor": "bottom"})
    return animate(fig, frames, slider_prefix="step ", template="plotly_white")


def _velocity_key(result: RaceResult, name: str) -> str | None:
    """The optimizer state drawn as ``name``'s velocity arrow (None: it has no velocity, e.g. plain SGD)."""
    return next((key for key in VELOCITY_KEYS if key in result.states[name]), None)


@dataclass(frozen=True)
class RaceLayout:
    """Where the animated traces of a race figure are: after the ``first`` fixed ones, a path per racer, the
    racers' current points (one trace), a next-step arrow per racer, the gradient steps (one trace), a
    velocity arrow per racer in ``velocity`` (racer indices) and the current losses (one trace)."""

    first: int
    n_racers: int
    velocity: tuple[int, ...]

    @property
    def paths(self) -> range:
        return range(self.first, self.first + self.n_racers)

    @property
    def now(self) -> int:
        return self.first + self.n_racers

    @property
    def steps(self) -> range:
        return range(self.now + 1, self.now + 1 + self.n_racers)

    @property
    def gradient(self) -> int:
        return self.now + 1 + self.n_racers

    @property
    def velocities(self) -> range:
        return range(self.gradient + 1, self.gradient + 1 + len(self.velocity))

    @property
    def loss_now(self) -> int:
        return self.gradient + 1 + len(self.velocity)


def race_layout(result: RaceResult, first: int = 4) -> RaceLayout:
    """The trace layout :func:`race_animation` gives ``result`` (``first``: the surface's four traces)."""
    return RaceLayout(first, result.n_racers, tuple(i for i, name in enumerate(result.names)
                                                    if _velocity_key(result, name)))


def _segments(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Arrows from ``starts`` to ``ends`` (n, 2) as one polyline, a NaN point between them: (3n, 2)."""
    return np.stack([starts, ends, np.full_like(starts, np.nan)], axis=1).reshape(-1, 2)


def _frame(result: RaceResult, layout: RaceLayout, k: int, path_steps: np.ndarray) -> Frame:
    """Step k: each racer's path so far (through ``path_steps``, which hold k), where it is, the step it takes
    next, the plain gradient step −η∇f it would take without its tricks, and its velocity (momentum) or m̂ (Adam)
    scaled by −η."""
    steps = path_steps[: np.searchsorted(path_steps, k, side="right")]
    now = result.positions[:, k]
    last = k >= result.n_steps
    lr = np.zeros(result.n_racers) if last else result.lr[:, k]
    nxt = now if last else now + result.updates[:, k]
    plain = now - lr[:, None] * result.grad[:, k]
    data = [dict(y=path) for path in result.positions[:, steps, 1]]  # x is in the figure already
    data.append(dict(x=now[:, 0], y=now[:, 1]))
    data += [dict(x=[a[0], b[0]], y=[a[1], b[1]]) for a, b in zip(now, nxt)]
    gradient = _segments(now, plain)
    data.append(dict(x=gradient[:, 0], y=gradient[:, 1]))
    for racer in layout.velocity:
        name = result.names[racer]
        end = now[racer] - lr[racer] * result.states[name][_velocity_key(result, name)][k]
        data.append(dict(x=[now[racer, 0], end[0]], y=[now[racer, 1], end[1]]))
    data.append(dict(x=np.full(result.n_racers, float(k)), y=result.loss[:, k]))
    traces = [*layout.paths, layout.now, *layout.steps, layout.gradient, *layout.velocities, layout.loss_now]
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
