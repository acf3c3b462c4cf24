"""Figures of the batch-size lab: paths of several batch sizes racing, the gradient cloud, the sweep, sharpness."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from viz.subplots import subplots

from viz.animation import Frame, animate, frame_indices, show_frame
from viz.axes import log_ticks, log_ticks_of
from viz.palette import OKABE_ITO, SEQUENTIAL

MAX_FRAMES = 100
#: One colour per batch size, from noisy (1) to smooth (full batch), the same in every figure of the page.
BATCH_COLORS = [OKABE_ITO[c] for c in ("vermillion", "orange", "bluish_green", "sky_blue", "blue",
                                       "reddish_purple", "black")]


def batch_color(i: int) -> str:
    return BATCH_COLORS[i % len(BATCH_COLORS)]


def batch_label(batch_size: int, n: int) -> str:
    return f"full batch ({n})" if batch_size >= n else f"B = {batch_size}"


# ------------------------------------------------------------------------------------- paths racing


def paths_animation(runs, labels: list[str], surface, noise: list[np.ndarray], x_axis: str = "examples",
                    optimum=None) -> go.Figure:
    """Every batch size's path over the loss contours (left), and on the right the full-data loss against
    update steps, against examples seen (or compute time), and the noise scale B_simple at each racer's point.

    ``surface`` is ``(ws, bs, Z)`` (Z[row = b, col = w]); ``noise[i]`` is B_simple along run i's path.
    """
    ws, bs, Z = surface
    # B_simple is infinite where the gradient is exactly zero (at the minimum): leave those points out
    noise = [np.where(np.isfinite(n), n, np.nan) for n in noise]
    fig = subplots(rows=3, cols=2, column_widths=[0.5, 0.5], horizontal_spacing=0.1, vertical_spacing=0.15,
                        specs=[[{"rowspan": 3}, {}], [None, {}], [None, {}]],
                        subplot_titles=("Paths over the loss surface (w across, b up)", "Full-data loss per update step",
                                        "… per example seen" if x_axis == "examples" else "… per second of compute",
                                        "Noise scale B_simple"))  # its formula: the metric and caption below
    fig.add_trace(go.Contour(x=ws, y=bs, z=np.log10(Z - Z.min() + 1e-3), colorscale=SEQUENTIAL, ncontours=25,
                             showscale=False, line={"width": 0.4}, hoverinfo="skip", opacity=0.85), row=1, col=1)
    if optimum is not None:
        fig.add_trace(go.Scatter(x=[optimum[0]], y=[optimum[1]], mode="markers", name="minimum",
                                 marker={"symbol": "star", "size": 14, "color": "white",
                                         "line": {"color": "black", "width": 1}}), row=1, col=1)
    n_steps = max(len(r.full_loss) for r in runs) - 1
    animated: list[int] = []
    for i, (run, label) in enumerate(zip(runs, labels)):
        color = batch_color(i)
        line = {"color": color, "width": 1.6 if run.batch_size > 1 else 1.0}
        start, steps = run.params[0], np.arange(len(run.full_loss))
        # the curves are drawn whole, faintly; a marker on each moves with the race (a fraction of the bytes of
        # redrawing growing curves in every frame)
        faint = {**line, "width": 1.2}
        for (xs, ys), row in (((steps, run.full_loss), 1), ((_xs(run, x_axis), run.full_loss[1:]), 2),
                              ((steps, noise[i]), 3)):
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line=faint, opacity=0.45, showlegend=False,
                                     legendgroup=label, hoverinfo="skip"), row=row, col=2)
        traces = [
            (go.Scatter(x=[start[0]], y=[start[1]], mode="lines", line=line, name=label, legendgroup=label), 1, 1),
            (go.Scatter(x=[start[0]], y=[start[1]], mode="markers", marker={"color": color, "size": 10,
                        "line": {"color": "white", "width": 1.5}}, showlegend=False, legendgroup=label), 1, 1),
            # cliponaxis off: the race ends at the panels' right edges, and a clipped marker shows half
            *[(go.Scatter(x=[0], y=[0], mode="markers", marker={"color": color, "size": 9}, showlegend=False,
                          legendgroup=label, cliponaxis=False), row, 2) for row in (1, 2, 3)],
        ]
        for trace, row, col in traces:
            fig.add_trace(trace, row=row, col=col)
            animated.append(len(fig.data) - 1)
    frames = [_paths_frame(runs, labels, noise, k, x_axis, animated) for k in frame_indices(n_steps + 1, MAX_FRAMES)]
    show_frame(fig, frames[0])
    top = max(np.nanmax(r.full_loss[np.isfinite(r.full_loss)]) for r in runs)
    low = min(np.nanmin(r.full_loss[np.isfinite(r.full_loss)]) for r in runs)
    fig.update_xaxes(range=[ws[0], ws[-1]], row=1, col=1)
    fig.update_yaxes(title="b", range=[bs[0], bs[-1]], row=1, col=1)
    # the two loss panels' titles name their x axes ("per update step", "per example seen"): no axis titles, so
    # the three stacked panels fit beside the controls on a 720-px screen
    fig.update_xaxes(range=[0, n_steps], row=1, col=2)
    seen = _log_range([_x(r, k, x_axis) for r in runs for k in (1, len(r.full_loss) - 1)])
    fig.update_xaxes(type="log", row=2, col=2, range=seen, **log_ticks(*seen))
    fig.update_xaxes(title="update step", range=[0, n_steps], row=3, col=2)
    loss_range = [np.log10(low) - 0.05, np.log10(top) + 0.05]
    for row in (1, 2):
        fig.update_yaxes(type="log", range=loss_range, **log_ticks(*loss_range), title="loss", row=row, col=2)
    finite = np.concatenate([n[np.isfinite(n) & (n > 0)] for n in noise])
    if len(finite):
        fig.update_yaxes(type="log", title="B_simple", row=3, col=2,
                         range=[np.log10(finite.min()) - 0.1, np.log10(finite.max()) + 0.1])
    fig.update_yaxes(dtick=1, row=3, col=2)  # one label per decade
    # the legend grows upwards from above the panel titles, so a second row (a narrow stage) covers nothing
    fig.update_layout(height=580, legend={"orientation": "h", "y": 1.1, "x": 0, "yanchor": "bottom"},
                      margin={"t": 110, "l": 68, "r": 40})  # what its labels take (see viz.animation.animate)
    return animate(fig, frames)


def _x(run, k: int, x_axis: str) -> float:
    k = min(k, len(run.examples) - 1)
    return float(run.examples[k] if x_axis == "examples" else run.seconds[k])


def _log_range(values) -> list[float]:
    values = np.asarray([v for v in values if v > 0])
    return [np.log10(values.min()) - 0.1, np.log10(values.max()) + 0.1] if len(values) else [0, 1]


#: A path keeps at most this many points per frame (long runs are drawn through every k-th step).
PATH_POINTS = 250


def _xs(run, x_axis: str) -> np.ndarray:
    return run.examples[1:] if x_axis == "examples" else run.seconds[1:]


def _paths_frame(runs, labels, noise, k: int, x_axis: str, traces: list[int]) -> Frame:
    data = []
    for i, run in enumerate(runs):
        upto = min(k, len(run.full_loss) - 1)  # a diverged run stays where it stopped
        stride = max(1, int(np.ceil(len(run.full_loss) / PATH_POINTS)))
        path = np.r_[np.arange(0, upto + 1, stride), upto]
        data += [
            {"x": run.params[path, 0], "y": run.params[path, 1]},
            {"x": run.params[upto:upto + 1, 0], "y": run.params[upto:upto + 1, 1]},
            {"x": [upto], "y": run.full_loss[upto:upto + 1]},
            {"x": [_x(run, max(upto, 1), x_axis)], "y": run.full_loss[max(upto, 1):max(upto, 1) + 1]},
            {"x": [upto], "y": noise[i][upto:upto + 1]},
        ]
    losses = " · ".join(f"{label}: {r.full_loss[min(k, len(r.full_loss) - 1)]:.3g}" for r, label in zip(runs, labels))
    return Frame(label=f"{k} · loss {losses}", data=data, traces=traces)



# ------------------------------------------------------------------------------------- gradient cloud


def ellipse(center, covariance, n_std: float = 2.0, points: int = 60) -> tuple[np.ndarray, np.ndarray]:
    """The n_std-standard-deviation ellipse of a 2-D Gaussian, as a closed curve."""
    values, vectors = np.linalg.eigh(np.asarray(covariance, dtype=float))
    t = np.linspace(0, 2 * np.pi, points)
    circle = np.stack([np.cos(t), np.sin(t)])
    curve = vectors @ (n_std * np.sqrt(np.maximum(values, 0))[:, None] * circle)
    return center[0] + curve[0], center[1] + curve[1]


def gradient_cloud(example_gradients, gradient, batch_samples: dict, covariances: dict, *,
                   names=("∂L/∂w", "∂L/∂b")) -> go.Figure:
    """Per-example gradients (grey), the gradients of sampled mini-batches of each size (coloured), their
    2σ ellipse Σ_B and the full gradient G; a slider steps through the batch sizes."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=example_gradients[:, 0], y=example_gradients[:, 1], mode="markers",
                             name="one example's gradient", marker={"color": "#9E9E9E", "size": 4, "opacity": 0.5}))
    sizes = list(batch_samples)
    first = sizes[0]
    fig.add_trace(go.Scatter(x=batch_samples[first][:, 0], y=batch_samples[first][:, 1], mode="markers",
                             name="a mini-batch's gradient", marker={"color": OKABE_ITO["vermillion"], "size": 6}))
    ex, ey = ellipse(gradient, covariances[first])
    fig.add_trace(go.Scatter(x=ex, y=ey, mode="lines", name="2σ of Σ/B", line={"color": OKABE_ITO["vermillion"],
                                                                                 "width": 2}))
    fig.add_trace(go.Scatter(x=[0, gradient[0]], y=[0, gradient[1]], mode="lines+markers", name="full gradient G",
                             line={"color": "black", "width": 3}, marker={"size": [4, 10], "symbol": ["circle",
                                                                                                    "arrow"],
                                                                            "angleref": "previous"}))
    frames = []
    for B in sizes:
        ex, ey = ellipse(gradient, covariances[B])
        spread = np.sqrt(np.trace(covariances[B]))
        frames.append(Frame(label=f"B = {B} · spread √tr(Σ_B) = {spread:.3g} · |G| = {np.linalg.norm(gradient):.3g}",
                            data=[{"x": batch_samples[B][:, 0], "y": batch_samples[B][:, 1]}, {"x": ex, "y": ey}],
                            traces=[1, 2]))
    low = np.minimum(example_gradients.min(axis=0), 0)
    high = np.maximum(example_gradients.max(axis=0), 0)
    pad = 0.05 * (high - low) + 1e-9
    fig.update_layout(height=520, xaxis={"title": names[0], "range": [low[0] - pad[0], high[0] + pad[0]],
                                         "zeroline": True},
                      yaxis={"title": names[1], "range": [low[1] - pad[1], high[1] + pad[1]], "zeroline": True},
                      legend={"orientation": "h", "y": 1.12}, margin={"t": 40, "l": 10, "r": 10})
    return animate(fig, frames, slider_prefix="", frame_ms=600, buttons=False)


# ------------------------------------------------------------------------------------- sweep


def sweep_figure(sweep) -> go.Figure:
    """Steps and examples to reach the target loss against batch size, with S_min(1 + B_crit/B) and
    E_min(1 + B/B_crit) fitted through them and B_crit marked; and steps against examples (the trade-off)."""
    fig = subplots(rows=1, cols=3, horizontal_spacing=0.09,
                        subplot_titles=("Steps to reach the target", "Examples to reach the target",
                                        "The trade-off: steps vs examples"))
    B = sweep.batch_sizes.astype(float)
    steps, examples = sweep.median_steps, sweep.median_examples
    seeds = sweep.steps.shape[1]
    for col, (values, per_seed, unit) in enumerate([(steps, sweep.steps, "steps"),
                                                     (examples, sweep.examples, "examples")], start=1):
        fig.add_trace(go.Scatter(x=np.repeat(B, seeds), y=per_seed.ravel(), mode="markers", showlegend=col == 1,
                                 name="one seed", marker={"color": "#9E9E9E", "size": 5}), row=1, col=col)
        fig.add_trace(go.Scatter(x=B, y=values, mode="lines+markers", name=f"median over {seeds} seeds",
                                 showlegend=col == 1, line={"color": OKABE_ITO["blue"], "width": 2},
                                 hovertemplate=f"B = %{{x}}<br>%{{y:.0f}} {unit}<extra></extra>"), row=1, col=col)
    if np.isfinite(sweep.b_crit) and sweep.b_crit > 0:
        grid = np.geomspace(B.min(), B.max(), 100)
        fit_steps = sweep.s_min * (1 + sweep.b_crit / grid)
        fit_examples = sweep.e_min * (1 + grid / sweep.b_crit)
        style = {"color": OKABE_ITO["vermillion"], "dash": "dash", "width": 2}
        fig.add_trace(go.Scatter(x=grid, y=fit_steps, mode="lines", line=style,
                                 name=f"fit: S_min(1 + B_crit/B), B_crit ≈ {sweep.b_crit:.3g}"), row=1, col=1)
        fig.add_trace(go.Scatter(x=grid, y=fit_examples, mode="lines", line=style, showlegend=False), row=1, col=2)
        fig.add_trace(go.Scatter(x=fit_examples, y=fit_steps, mode="lines", line=style, showlegend=False), row=1, col=3)
        for col in (1, 2):
            fig.add_vline(x=sweep.b_crit, line={"color": OKABE_ITO["vermillion"], "dash": "dot"}, row=1, col=col)
    fig.add_trace(go.Scatter(x=examples, y=steps, mode="lines+markers+text", text=[f"{int(b)}" for b in B],
                             textposition="top right", showlegend=False, line={"color": OKABE_ITO["blue"]},
                             cliponaxis=False,  # the largest batch's label stands past the panel's right edge
                             hovertemplate="%{x:.0f} examples, %{y:.0f} steps<extra></extra>"), row=1, col=3)
    all_steps = np.concatenate([steps, sweep.steps.ravel()])
    all_examples = np.concatenate([examples, sweep.examples.ravel()])
    for col in (1, 2):
        fig.update_xaxes(type="log", title="batch size B", **log_ticks_of(B), row=1, col=col)
    fig.update_yaxes(type="log", title="steps", **log_ticks_of(all_steps), row=1, col=1)
    fig.update_yaxes(type="log", title="examples", **log_ticks_of(all_examples), row=1, col=2)
    fig.update_xaxes(type="log", title="examples", **log_ticks_of(examples), row=1, col=3)
    fig.update_yaxes(type="log", title="steps", **log_ticks_of(steps), row=1, col=3)
    fig.update_layout(height=420, legend={"orientation": "h", "y": -0.25}, margin={"t": 40, "l": 10, "r": 10})
    return fig


# ------------------------------------------------------------------------------------- sharpness


def sharpness_figure(result) -> go.Figure:
    """λ_max per batch size, train and test accuracy per batch size, and the loss along the line between the
    smallest- and the largest-batch solutions."""
    fig = subplots(rows=1, cols=3, horizontal_spacing=0.09,
                        subplot_titles=("Sharpness λ_max of the solution", "Accuracy (the generalisation gap)",
                                        "Loss on the line between two solutions"))
    B = result.batch_sizes
    labels = [str(b) for b in B]
    fig.add_trace(go.Bar(x=labels, y=result.sharpness, marker={"color": [batch_color(i) for i in range(len(B))]},
                         showlegend=False, hovertemplate="B = %{x}: λ_max = %{y:.3g}<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Scatter(x=labels, y=result.train_accuracy, name="train", mode="lines+markers",
                             line={"color": "black"}), row=1, col=2)
    fig.add_trace(go.Scatter(x=labels, y=result.test_accuracy, name="test", mode="lines+markers",
                             line={"color": OKABE_ITO["vermillion"], "dash": "dash"}), row=1, col=2)
    fig.add_trace(go.Scatter(x=result.alphas, y=result.line_train, name="train loss", mode="lines",
                             line={"color": "black"}, showlegend=False), row=1, col=3)
    fig.add_trace(go.Scatter(x=result.alphas, y=result.line_test, name="test loss", mode="lines",
                             line={"color": OKABE_ITO["vermillion"], "dash": "dash"}, showlegend=False), row=1, col=3)
    for alpha, i in ((0.0, 0), (1.0, len(B) - 1)):
        fig.add_vline(x=alpha, line={"color": batch_color(i), "dash": "dot"}, row=1, col=3)
    fig.update_xaxes(title="batch size B", type="category", row=1, col=1)
    fig.update_xaxes(title="batch size B", type="category", row=1, col=2)
    fig.update_yaxes(title="λ_max", row=1, col=1)
    fig.update_yaxes(title="accuracy", tickformat=".0%", row=1, col=2)
    fig.update_xaxes(title=f"α: 0 = B {B[0]} solution, 1 = B {B[-1]} solution", row=1, col=3)
    fig.update_yaxes(title="loss", row=1, col=3)
    fig.update_layout(height=400, legend={"orientation": "h", "y": -0.25}, margin={"t": 40, "l": 10, "r": 10})
    return fig
