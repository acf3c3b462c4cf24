"""The decision-boundary animation: one figure in which everything about a training run moves together.

Left, the decision map with the data, as large as the figure's height allows; right, the network (a tile per
unit, a line per weight) over loss and accuracy growing epoch by epoch. One figure, because separate charts
cannot share a Play button; sized for the stage's figure column (about 600 px wide at 1280×720), so that the
whole of it, its Play button and step slider included, is on screen beside the key controls. The confusion
matrix is a figure of its own (:func:`confusion_figure`), read below the stage.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from core.training import TrainingRun
from viz.animation import PAYLOAD_BUDGET_BYTES, Frame, animate, frame_indices, show_frame
from viz.decision_map import class_points, decision_heatmap, encode_decision
from viz.network import Layout, layer_heatmap, mosaic, weight_lines, weight_scale, weight_traces
from viz.palette import OKABE_ITO

#: Curves keep at most this many points per frame (long runs are drawn through every k-th epoch).
CURVE_POINTS = 250
FRAME_MS = 160
TRAIN_COLOR, TEST_COLOR = OKABE_ITO["black"], OKABE_ITO["vermillion"]
AXES = {  # name: (x domain, y domain)
    "map": ((0.0, 0.48), (0.0, 1.0)),
    "net": ((0.55, 1.0), (0.40, 1.0)),
    "loss": ((0.55, 0.75), (0.0, 0.25)),
    "acc": ((0.82, 1.0), (0.0, 0.25)),
}
#: Height of the animation: with its Play buttons and slider it fits under a stage title at 1280×720.
HEIGHT = 560
#: The still figure of live training has no buttons or slider, and leaves room for a line under it.
STILL_HEIGHT = 450
#: What the labels take (see viz.animation.animate: a margin Plotly has to widen costs a second drawing).
MARGIN = {"l": 45, "r": 20, "t": 58}


@dataclass
class BoundaryData:
    """What the figure draws besides the run: the data (in the plane), the grids and the labels."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    xs: np.ndarray  # decision grid
    ys: np.ndarray
    feature_values: np.ndarray  # (hidden grid points, n_features) the inputs as the network sees them
    feature_labels: list[str]
    layer_labels: list[str]  # one per hidden layer, e.g. "4 · tanh"
    n_classes: int
    tile: int
    show_test: bool = True


def boundary_animation(run: TrainingRun, data: BoundaryData, max_frames: int = 100) -> go.Figure:
    """The whole run as one animated figure (see the module docstring), starting untrained."""
    fig, frames = _figure_and_frames(run, data, frame_indices(run.n_frames, max_frames))
    show_frame(fig, frames[0])  # untrained, as the slider says, until Play
    # The maps become pictures whose source each frame swaps (viz.animation._pictured_codes): no frame redraws.
    # 160 ms a frame paces a 100-frame run over 16 s, slow enough to watch the boundary form.
    return animate(fig, frames, slider_prefix="", frame_ms=FRAME_MS, speeds=(0.5, 1.0, 2.0))


def boundary_still(run: TrainingRun, data: BoundaryData) -> go.Figure:
    """The run's last snapshot as a still figure (for live training, redrawn a few times a second)."""
    fig, frames = _figure_and_frames(run, data, np.array([run.n_frames - 1]))
    show_frame(fig, frames[-1])
    fig.update_layout(height=STILL_HEIGHT, margin={"b": 30, "t": 80},
                      title={"text": frames[-1].label, "x": 0.0, "y": 0.99, "yanchor": "top", "font": {"size": 14}})
    return fig


def confusion_figure(run: TrainingRun, data: BoundaryData) -> go.Figure:
    """The confusion matrix of the run's last snapshot (test data, or training data without a test split)."""
    labels = [f"class {k}" for k in range(data.n_classes)]
    counts = run.confusion[-1].astype(np.float32)
    fig = go.Figure(go.Heatmap(z=counts, x=labels, y=labels, colorscale=[[0, "#FFFFFF"], [1, OKABE_ITO["sky_blue"]]],
                               showscale=False, texttemplate="%{z}", textfont={"size": 14}, zmin=0,
                               zmax=max(1.0, float(counts.sum()) / data.n_classes),
                               hovertemplate="true %{y}, predicted %{x}: %{z}<extra></extra>"))
    side = 90 + 48 * data.n_classes
    fig.update_layout(height=side + 40, width=side + 60, margin={"l": 10, "r": 10, "t": 30, "b": 10},
                      xaxis={"title": "predicted", "type": "category", "side": "bottom"},
                      yaxis={"title": "true", "type": "category", "autorange": "reversed"},
                      title={"text": f"Epoch {int(run.epochs[-1])}", "x": 0.0, "font": {"size": 13}})
    return fig


def _figure_and_frames(run: TrainingRun, data: BoundaryData, wanted: np.ndarray) -> tuple[go.Figure, list[Frame]]:
    layout = Layout(tuple(run.model.layer_units_), data.tile)
    frames_at = _within_budget(wanted, data, layout)
    fig = go.Figure()
    _axes(fig, layout, data)
    traces = _base_traces(fig, run, data, layout)
    coefs = [run.model.unpack(run.params[i])[0] for i in frames_at]
    scale = weight_scale(coefs)
    frames = [_frame(run, data, layout, traces, i, coef, scale) for i, coef in zip(frames_at, coefs)]
    fig.update_layout(height=HEIGHT, margin=MARGIN, plot_bgcolor="white",
                      legend={"orientation": "h", "x": 0.0, "y": 1.0, "xanchor": "left", "yanchor": "bottom",
                              "font": {"size": 11}, "itemwidth": 30, "entrywidth": 0},
                      annotations=[*fig.layout.annotations, *_labels(layout, data)])
    return fig, frames


# ---------------------------------------------------------------- layout


def _axes(fig: go.Figure, layout: Layout, data: BoundaryData) -> None:
    hidden = {"showgrid": False, "zeroline": False, "showticklabels": False, "ticks": ""}
    half = layout.height / 2 + 0.2
    n_cols = len(layout.layer_units)
    small = {"tickfont": {"size": 10}, "nticks": 4}
    fig.update_layout(
        xaxis={"domain": AXES["net"][0], **hidden, "range": [-1.3, layout.x(n_cols - 1) + 1.0], "anchor": "y",
               "constrain": "domain"},
        yaxis={"domain": AXES["net"][1], **hidden, "range": [-half, half + 0.5], "scaleanchor": "x",
               "constrain": "domain", "anchor": "x"},
        # the map keeps its squares and sits at the top left, its title and legend just over it
        xaxis2={"domain": AXES["map"][0], "range": [data.xs[0], data.xs[-1]], "title": {"text": "x₁", "standoff": 2},
                "anchor": "y2", "showgrid": False, "constrain": "domain", "constraintoward": "left"},
        yaxis2={"domain": AXES["map"][1], "range": [data.ys[0], data.ys[-1]], "title": {"text": "x₂", "standoff": 2},
                "anchor": "x2", "scaleanchor": "x2", "showgrid": False, "constrain": "domain",
                "constraintoward": "top"},
        xaxis3={"domain": AXES["loss"][0], "anchor": "y3", **small},
        yaxis3={"domain": AXES["loss"][1], "anchor": "x3", "rangemode": "tozero", **small},
        xaxis4={"domain": AXES["acc"][0], "anchor": "y4", **small},
        yaxis4={"domain": AXES["acc"][1], "anchor": "x4", "range": [0, 1.02], "tickformat": ".0%",
                "tickfont": {"size": 10}, "tickvals": [0, 0.5, 1]},
    )


def _labels(layout: Layout, data: BoundaryData) -> list[dict]:
    """Column headings over the network, the feature names beside its inputs and the panels' titles."""
    top = layout.height / 2 + 0.35
    heads = ["Input", *data.layer_labels, "Output"]
    small = len(layout.layer_units) > 4  # many columns: narrower headings
    notes = [{"x": layout.x(c), "y": top, "xref": "x", "yref": "y", "text": f"<b>{h}</b>", "showarrow": False,
              "font": {"size": 9 if small else 11}} for c, h in enumerate(heads)]
    notes += [{"x": layout.x(0) - 0.42, "y": y, "xref": "x", "yref": "y", "text": label, "showarrow": False,
               "xanchor": "right", "font": {"size": 11}} for y, label in zip(layout.ys(0), data.feature_labels)]
    key = ("filled = train · hollow = test" if data.show_test and len(data.X_test) else "")
    titles = {"map": "Decision map" + (f" <span style='font-size:11px'>({key})</span>" if key else ""),
              "net": "Network: what each unit computes", "loss": "Loss", "acc": "Accuracy"}
    for name, text in titles.items():
        (x0, _), (_, y1) = AXES[name]
        # over the map, the legend sits between the title and the panel
        notes.append({"x": x0, "y": y1, "xref": "paper", "yref": "paper", "text": f"<b>{text}</b>",
                      "showarrow": False, "xanchor": "left", "yanchor": "bottom", "font": {"size": 12},
                      "yshift": 24 if name == "map" else 2})
    return notes


# ---------------------------------------------------------------- traces


def _base_traces(fig: go.Figure, run: TrainingRun, data: BoundaryData, layout: Layout) -> dict[str, list[int]]:
    """Add every trace once; returns the indices of the animated ones by role."""
    index: dict[str, list[int]] = {}

    def add(role, *traces):
        index.setdefault(role, [])
        for trace in traces:
            fig.add_trace(trace)
            index[role].append(len(fig.data) - 1)

    # network: the input tiles never change; hidden layers and weights do
    fig.add_trace(layer_heatmap(data.feature_values, layout, 0))
    add("weights", *weight_traces())
    for c in range(1, len(layout.layer_units) - 1):
        add("hidden", layer_heatmap(np.zeros((layout.tile ** 2, layout.layer_units[c])), layout, c))
    fig.add_trace(_output_nodes(layout, data.n_classes, run.model.n_outputs_))
    # decision map and data
    add("map", decision_heatmap(np.zeros((len(data.ys), len(data.xs)), np.uint8), data.xs, data.ys, data.n_classes,
                                xaxis="x2", yaxis="y2"))
    # One legend entry per class (filled = train, hollow = test, said once beside the legend).
    for k, trace in enumerate(class_points(data.X_train, data.y_train, data.n_classes, "train")):
        fig.add_trace(trace.update(xaxis="x2", yaxis="y2", name=f"class {k}"))
    if data.show_test and len(data.X_test):
        for trace in class_points(data.X_test, data.y_test, data.n_classes, "test", test=True):
            fig.add_trace(trace.update(xaxis="x2", yaxis="y2", showlegend=False))

    # curves
    has_test = len(data.X_test) > 0
    for role, axes in (("loss", ("x3", "y3")), ("acc", ("x4", "y4"))):
        add(role, go.Scatter(x=[], y=[], name="train", mode="lines", line={"color": TRAIN_COLOR, "width": 2},
                             xaxis=axes[0], yaxis=axes[1], showlegend=False, hovertemplate="%{y:.3f}"))
        if has_test:
            add(role, go.Scatter(x=[], y=[], name="test", mode="lines",
                                 line={"color": TEST_COLOR, "width": 2, "dash": "dash"}, xaxis=axes[0], yaxis=axes[1],
                                 showlegend=False, hovertemplate="%{y:.3f}"))
    epochs = len(run.train_loss) - 1
    top = np.nanmax([np.nanmax(run.train_loss), np.nanmax(run.test_loss) if has_test else 0])
    fig.update_layout(xaxis3={"range": [0, max(epochs, 1)]}, xaxis4={"range": [0, max(epochs, 1)]},
                      yaxis3={"range": [0, float(top) * 1.05 + 1e-9]})
    fig.add_annotation(x=1, y=AXES["loss"][1][1], xref="paper", yref="paper", showarrow=False, xanchor="right",
                       yanchor="bottom", yshift=20, font={"size": 11},  # over the curves' titles
                       text=f"<span style='color:{TRAIN_COLOR}'>— train</span>" +
                            (f"  <span style='color:{TEST_COLOR}'>- - test</span>" if has_test else ""))
    return index


def _output_nodes(layout: Layout, n_classes: int, n_outputs: int) -> go.Scatter:
    from viz.palette import class_style
    column = len(layout.layer_units) - 1
    ys = layout.ys(column)
    colors = [class_style(1)["color"]] if n_outputs == 1 else [class_style(k)["color"] for k in range(n_outputs)]
    text = ["p₁"] if n_outputs == 1 else [f"p{'₀₁₂₃₄₅₆₇₈₉'[k]}" for k in range(n_outputs)]
    return go.Scatter(x=np.full(len(ys), layout.x(column)), y=ys, mode="markers+text", text=text,
                      textposition="middle right", showlegend=False, hoverinfo="skip",
                      marker={"size": 22, "color": colors, "line": {"color": "#333333", "width": 1}})


# ---------------------------------------------------------------- frames


def _frame(run: TrainingRun, data: BoundaryData, layout: Layout, traces: dict, i: int, coefs, scale) -> Frame:
    epoch = int(run.epochs[i])
    updates: list[tuple[int, dict]] = []
    updates += list(zip(traces["weights"], weight_lines(coefs, layout, scale)))
    start = 0
    for c, trace in enumerate(traces.get("hidden", []), start=1):
        units = layout.layer_units[c]
        values = run.hidden[i][:, start:start + units]
        start += units
        updates.append((trace, {"z": mosaic(values, layout)}))
    grid = run.proba[i].reshape(len(data.ys), len(data.xs), -1)
    updates.append((traces["map"][0], {"z": encode_decision(grid)}))
    upto = _curve_epochs(epoch)
    curves = [(run.train_loss, run.test_loss), (run.train_accuracy, run.test_accuracy)]
    for role, (train, test) in zip(("loss", "acc"), curves):
        for trace, values in zip(traces[role], (train, test)):
            updates.append((trace, {"x": upto.astype(np.float32), "y": values[upto]}))
    return Frame(label=_label(run, i, epoch), traces=[t for t, _ in updates], data=[d for _, d in updates])


def _curve_epochs(epoch: int) -> np.ndarray:
    stride = max(1, int(np.ceil((epoch + 1) / CURVE_POINTS)))
    return np.unique(np.r_[np.arange(0, epoch + 1, stride), epoch])


def _label(run: TrainingRun, i: int, epoch: int) -> str:
    text = f"epoch {epoch} · train loss {run.train_loss[epoch]:.3f}"
    if np.isfinite(run.test_loss[epoch]):
        text += f" · test loss {run.test_loss[epoch]:.3f} · test accuracy {run.test_accuracy[epoch]:.0%}"
    else:
        text += f" · train accuracy {run.train_accuracy[epoch]:.0%}"
    return text



def _within_budget(wanted: np.ndarray, data: BoundaryData, layout: Layout) -> np.ndarray:
    """The snapshots to animate: ``wanted``, thinned evenly if the estimated payload would pass the budget."""
    n_hidden = sum(layout.layer_units[1:-1])
    tile_bytes = n_hidden * layout.tile * (layout.tile + layout.gap)
    n_weights = sum(a * b for a, b in zip(layout.layer_units[:-1], layout.layer_units[1:]))
    # base64 is 4/3 of the bytes; Plotly's JSON adds a little more (it escapes every "/").
    per_frame = 1.4 * (len(data.xs) * len(data.ys) + tile_bytes + 24 * n_weights + 16 * CURVE_POINTS) + 1000
    fits = int((0.8 * PAYLOAD_BUDGET_BYTES - 200_000) // per_frame)
    return wanted[frame_indices(len(wanted), max(2, fits))]
