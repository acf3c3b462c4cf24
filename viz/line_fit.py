"""Figures for "Fit a line with gradient descent": the run, and the derivative as a limit."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from viz.subplots import subplots

from core.gradient_descent import Trajectory
from core.linear_model import mse_loss
from viz.animation import Frame, animate, strided_indices
from viz.axes import log_ticks, log_ticks_of
from viz.palette import ROLE, SEQUENTIAL

#: Frames of one run: a step per frame up to this many steps, beyond it every second (third, ...) step. Each frame
#: is also a step of the slider, whose labels (this page's step captions) the browser measures one by one.
MAX_FRAMES = 60
GRID = 60


def step_caption(traj: Trajectory, k: int) -> str:
    """The numbers of step ``k`` as one line (shown above the step slider while it plays)."""
    (w, b), (gw, gb) = traj.params[k], traj.grad[k]
    return f"{k}  ·  w = {w:.4g}  ·  b = {b:.4g}  ·  L = {traj.loss[k]:.4g}  ·  ∇L = ({gw:.3g}, {gb:.3g})"


def fit_animation(x, y, traj: Trajectory, *, optimum, true_line=None) -> go.Figure:
    """Three linked views of one run, animated step by step.

    Left: the data, the true line and the fitted line with its residuals. Middle: the path of (w, b) over
    the contours of the loss surface, with the update arrow of the current step. Right: loss per step.
    """
    fig = subplots(rows=1, cols=3, column_widths=[0.36, 0.36, 0.28], horizontal_spacing=0.15,
                        subplot_titles=("Data and the fitted line", "Path over the loss surface",
                                        "Loss per step (log scale)"))
    x_line = np.array([x.min(), x.max()])
    ylo, yhi = _padded(np.concatenate([y, true_line(x_line) if true_line else []]), 0.15)
    # 0 data, 1 true line, 2 fitted line, 3 residuals
    fig.add_trace(go.Scatter(x=x, y=y, mode="markers", name="data", marker={"color": ROLE["data"], "size": 7,
                             "line": {"width": 0.5, "color": "white"}}), 1, 1)
    fig.add_trace(go.Scatter(x=x_line, y=true_line(x_line) if true_line else [None, None], mode="lines",
                             name="true line", line={"color": ROLE["truth"], "dash": "dash"}), 1, 1)
    fig.add_trace(go.Scatter(name="fitted line", mode="lines", line={"color": ROLE["model"], "width": 3}), 1, 1)
    fig.add_trace(go.Scatter(name="residuals", mode="lines", line={"color": ROLE["residual"], "width": 1},
                             showlegend=True), 1, 1)
    # 4 contour, 5 optimum, 6 path, 7 current point, 8 update arrow
    (wlo, whi), (blo, bhi) = _view_box(traj, optimum)
    W, B = np.meshgrid(np.linspace(wlo, whi, GRID), np.linspace(blo, bhi, GRID))
    L = mse_loss(np.stack([W, B], axis=-1), x, y)
    fig.add_trace(go.Contour(x=W[0], y=B[:, 0], z=np.log10(L), colorscale=SEQUENTIAL, ncontours=24,
                             contours={"coloring": "heatmap", "showlines": True}, line={"width": 0.5},
                             colorbar={"title": {"text": "log₁₀ L", "side": "top"}, "len": 0.75, "thickness": 10,
                                       "x": fig.layout.xaxis2.domain[1] + 0.004, "xanchor": "left"},
                             customdata=L, hovertemplate="w=%{x:.3g}<br>b=%{y:.3g}<br>L=%{customdata:.4g}"
                             "<extra></extra>", showlegend=False, name="loss"), 1, 2)
    fig.add_trace(go.Scatter(x=[optimum[0]], y=[optimum[1]], mode="markers", name="least squares",
                             marker={"symbol": "star", "size": 15, "color": ROLE["optimum"],
                                     "line": {"color": "white", "width": 1}}), 1, 2)
    fig.add_trace(go.Scatter(name="path of (w, b)", mode="lines+markers", line={"color": ROLE["path"]},
                             marker={"size": 4}), 1, 2)
    fig.add_trace(go.Scatter(name="current (w, b)", mode="markers", showlegend=False,
                             marker={"size": 11, "color": ROLE["path"], "line": {"color": "white", "width": 2}}), 1, 2)
    fig.add_trace(go.Scatter(name="next update −η∇L", mode="lines+markers", line={"color": ROLE["gradient"],
                             "width": 2}, marker={"symbol": "arrow", "angleref": "previous", "size": 12}), 1, 2)
    # 9 loss curve, 10 current loss
    fig.add_trace(go.Scatter(name="loss", mode="lines", line={"color": ROLE["path"]}, showlegend=False), 1, 3)
    fig.add_trace(go.Scatter(name="current loss", mode="markers", showlegend=False, cliponaxis=False,
                             marker={"size": 9, "color": ROLE["path"]}), 1, 3)  # whole at the last step

    frames = [_frame(x, y, x_line, traj, int(k)) for k in strided_indices(len(traj.loss), MAX_FRAMES)]
    # What frames never change is in the figure once, and frames send only y: Plotly draws as many points as the
    # shorter of x and y holds, so the path and the loss curve grow by their y alone.
    fig.data[2].x = x_line
    fig.data[3].x = np.column_stack([x, x, np.full_like(x, np.nan)]).ravel()
    fig.data[6].x = traj.params[:, 0]
    fig.data[9].x = np.arange(len(traj.loss), dtype=float)
    for data, i in zip(frames[0].data, frames[0].traces):
        fig.data[i].update(data)

    finite = traj.loss[np.isfinite(traj.loss) & (traj.loss > 0)]
    fig.update_xaxes(title_text="x", range=_padded(x, 0.05), row=1, col=1)
    fig.update_yaxes(title_text="y", range=[ylo, yhi], row=1, col=1)
    fig.update_xaxes(title_text="w (slope)", range=[wlo, whi], row=1, col=2)
    fig.update_yaxes(title_text="b (intercept)", range=[blo, bhi], row=1, col=2)
    fig.update_xaxes(title_text="step", range=[0, max(traj.n_steps, 1)], row=1, col=3)
    loss_range = np.log10(_padded(finite, 0.0, positive=True)) + [-0.1, 0.1]
    fig.update_yaxes(type="log", range=loss_range, **log_ticks(*loss_range), row=1, col=3)
    fig.update_layout(height=540, legend={"orientation": "h", "y": 1.12, "x": 0, "yanchor": "bottom"},
                      margin={"t": 110, "l": 70, "r": 40, "b": 175})  # all the room its labels and controls take:
    # a margin Plotly has to widen itself (automargin; Streamlit's theme sets l = 0) costs a second drawing
    return animate(fig, frames, slider_prefix="step ", template="plotly_white")


def _frame(x, y, x_line, traj: Trajectory, k: int) -> Frame:
    w, b = traj.params[k]
    fitted = w * x + b
    res_y = np.column_stack([y, fitted, np.full_like(x, np.nan)]).ravel()
    nxt = traj.params[k] - traj.learning_rate * traj.grad[k]
    return Frame(label=step_caption(traj, k), traces=[2, 3, 6, 7, 8, 9, 10], data=[
        dict(y=w * x_line + b),  # x never changes: frames send y only
        dict(y=res_y),
        dict(y=traj.params[: k + 1, 1]),  # the path so far (its x is in the figure)
        dict(x=[w], y=[b]),
        dict(x=[w, nxt[0]], y=[b, nxt[1]]),
        dict(y=traj.loss[: k + 1]),  # the loss so far (its x, the steps, is in the figure)
        dict(x=[k], y=[traj.loss[k]]),
    ])


def _view_box(traj: Trajectory, optimum):
    """Bounds that hold the optimum, the start and every step still inside the starting contour."""
    calm = traj.params[np.isfinite(traj.loss) & (traj.loss <= traj.loss[0])]
    pts = np.vstack([calm, np.asarray(optimum)[None, :]])
    return _padded(pts[:, 0], 0.25, min_span=1.0), _padded(pts[:, 1], 0.25, min_span=1.0)


def _padded(values, frac, *, min_span=1e-9, positive=False):
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    lo, hi = float(values.min()), float(values.max())
    if positive:
        return np.array([lo, hi])
    span = max(hi - lo, min_span)
    mid = (lo + hi) / 2
    return [mid - span / 2 - frac * span, mid + span / 2 + frac * span]


def derivative_limit(f, w: float, slope: float, h_chosen: float, *, h_max: float = 1.0, n_frames: int = 40,
                     errors=None) -> go.Figure:
    """The secant through ``(w, f(w))`` and ``(w+h, f(w+h))`` turning into the tangent as h shrinks.

    ``f`` is a vectorised 1-D function, ``slope`` its analytic derivative at ``w``. The animation runs h from
    ``h_max`` down to ``h_chosen`` on a log scale. ``errors`` (``(h, forward_err, central_err)`` arrays) adds
    a log-log panel of the finite-difference error against h: truncation error falls with h until round-off
    takes over.
    """
    hs = np.geomspace(h_max, h_chosen, n_frames) if h_chosen < h_max else np.array([h_chosen])
    cols = 2 if errors is not None else 1
    fig = subplots(rows=1, cols=cols, column_widths=[0.58, 0.42][:cols], horizontal_spacing=0.1,
                        subplot_titles=("Secant → tangent", "Error of the finite difference")[:cols])
    span = max(1.5 * h_max, 0.5)
    ws = np.linspace(w - span, w + span, 200)
    fw = float(f(np.array([w]))[0])
    curve = f(ws)
    fig.add_trace(go.Scatter(x=ws, y=curve, mode="lines", name="L(w) with b fixed",
                             line={"color": ROLE["data"], "width": 3}), 1, 1)
    fig.add_trace(go.Scatter(x=ws, y=fw + slope * (ws - w), mode="lines", name="tangent (analytic slope)",
                             line={"color": ROLE["tangent"], "dash": "dash"}), 1, 1)
    fig.add_trace(go.Scatter(name="secant", mode="lines+markers", line={"color": ROLE["secant"], "width": 2},
                             marker={"size": 9}), 1, 1)
    frames = []
    for h in hs:
        fh = float(f(np.array([w + h]))[0])
        secant = (fh - fw) / h
        frames.append(Frame(
            label=f"{h:.3g}  ·  secant slope = {secant:.6g}  ·  analytic = {slope:.6g}",
            traces=[2], data=[dict(x=[ws[0], w, w + h, ws[-1]],
                                         y=[fw + secant * (ws[0] - w), fw, fh, fw + secant * (ws[-1] - w)])]))
    fig.data[2].update(frames[0].data[0])
    lo, hi = _padded(curve, 0.1)
    fig.update_yaxes(range=[lo, hi], title_text="L", row=1, col=1)
    fig.update_xaxes(title_text="w", row=1, col=1)
    if errors is not None:
        eh, fwd, ctr = errors
        fig.add_trace(go.Scatter(x=eh, y=fwd, mode="lines", name="forward difference error",
                                 line={"color": ROLE["secant"]}), 1, 2)
        fig.add_trace(go.Scatter(x=eh, y=ctr, mode="lines", name="central difference error",
                                 line={"color": ROLE["tangent"], "dash": "dot"}), 1, 2)
        fig.add_vline(x=h_chosen, line={"color": "grey", "dash": "dot"}, row=1, col=2)
        fig.update_xaxes(type="log", title_text="h", **log_ticks_of(eh), row=1, col=2)
        fig.update_yaxes(type="log", title_text="|estimate − analytic|", **log_ticks_of([fwd, ctr]), row=1, col=2)
    fig.update_layout(height=460, margin={"t": 90, "l": 60},
                      legend={"orientation": "h", "y": 1.12, "x": 0, "yanchor": "bottom"})
    return animate(fig, frames, slider_prefix="h = ", frame_ms=120, template="plotly_white")
