"""Turn a run computed on the server into one Plotly figure that animates in the browser.

Server-pushed chart updates remount the chart and flicker, so an explorer sends the whole run at once: a base
figure plus ``frames``, Play / Pause / Reset buttons, speed buttons and a step slider — all played by
Plotly in the browser. Arrays are sent as float32 (half the bytes of float64).
"""

from __future__ import annotations

import base64
import copy
import re
from dataclasses import dataclass, field

import numpy as np
import plotly.graph_objects as go

from viz.prepared import AnimatedFigure, figure_from, spec_of
from viz.raster import code_palette, codes_data_uri, surface_data_uri
from viz.theme import template_spec

#: Budget for one figure's JSON, shared by all explorers (first paint grows with payload).
PAYLOAD_BUDGET_BYTES = 3_000_000
#: Frame duration at 1× speed, in milliseconds.
BASE_FRAME_MS = 80
SPEEDS = (0.5, 1.0, 2.0, 4.0)
#: Trace kinds Plotly moves from frame to frame without a full redraw.
LIGHT_TYPES = ("scatter", "scattergl")


@dataclass
class Frame:
    """One animation frame: new data (dicts, or Plotly traces) for the traces at ``traces`` (indices into the
    base figure).

    ``label`` is what the step slider shows (e.g. the optimisation step); ``layout`` may update titles or
    annotations for this frame.
    """

    label: str
    data: list
    traces: list[int]
    layout: dict = field(default_factory=dict)


def frame_indices(n_items: int, max_frames: int) -> np.ndarray:
    """At most ``max_frames`` evenly spread indices into ``range(n_items)``, always including both ends."""
    if n_items <= max_frames:
        return np.arange(n_items)
    return np.unique(np.linspace(0, n_items - 1, max_frames).round().astype(int))


def strided_indices(n_items: int, max_frames: int) -> np.ndarray:
    """Every ``s``-th index into ``range(n_items)`` and the last, ``s`` the smallest stride giving at most
    ``max_frames``: a run shown in even strides (steps 0, 2, 4, ...) reads as a steady pace, where evenly spread
    rounded indices (0, 2, 3, 5, ...) jitter."""
    if n_items <= max_frames:
        return np.arange(n_items)
    stride = -(-(n_items - 1) // (max_frames - 1))
    return np.unique(np.append(np.arange(0, n_items, stride), n_items - 1))


def animate(fig: go.Figure, frames: list[Frame], *, redraw: bool = False, slider_prefix: str = "step ",
            frame_ms: int = BASE_FRAME_MS, speeds: tuple[float, ...] = SPEEDS, buttons: bool = True,
            template: str | None = None) -> go.Figure:
    """Add ``frames`` with Play / Pause / Reset, speed buttons and a step slider to ``fig`` (in place).

    Frames play without a full redraw whenever they only move scatter traces: a still contour map underneath
    becomes a picture (:func:`_still_surfaces`), drawn once, a heatmap of codes becomes a picture that frames
    swap (:func:`_pictured_codes`), and every frame names a trace of every panel so that Plotly keeps the
    panels it does not change (:func:`_keep_every_panel`). Frames that change a contour,
    heatmap or bar are redrawn (``redraw``, also forced by ``redraw=True``); a redraw must finish within a
    frame's time or heatmaps never get painted, so such figures pass a longer ``frame_ms`` and fewer ``speeds``.
    ``buttons=False`` leaves only the slider, for frames that are settings to compare rather than time.
    ``template`` names a registered Plotly template to style the figure with (``fig.update_layout(template=...)``
    would deep-copy and validate all of it: 18 ms for ``plotly_white``, on every figure built). Returns ``fig``
    with float32 arrays throughout.
    """
    if not frames:
        raise ValueError("An animation needs at least one frame.")
    names = [str(i) for i in range(len(frames))]
    spec = _cast_f8(fig.to_dict())
    frames = _pictured_codes(spec, frames)
    moving = {index for frame in frames for index in frame.traces}
    redraw = redraw or any(spec["data"][i].get("type", "scatter") not in LIGHT_TYPES for i in moving)
    if not redraw:
        _still_surfaces(spec, moving)
        redraw = any(trace.get("type", "scatter") not in LIGHT_TYPES for trace in spec["data"])

    def play(speed: float) -> dict:
        ms = int(frame_ms / speed)
        return {"frame": {"duration": ms, "redraw": redraw}, "transition": {"duration": 0},
                "fromcurrent": True, "mode": "immediate"}

    jump = {"frame": {"duration": 0, "redraw": redraw}, "transition": {"duration": 0}, "mode": "immediate"}
    controls = [
        {"label": "▶ Play", "method": "animate", "args": [None, play(1.0)]},
        {"label": "❚❚ Pause", "method": "animate", "args": [[None], jump]},
        {"label": "⏮ Reset", "method": "animate", "args": [[names[0]], jump]},
    ]
    speeds = [{"label": f"{s:g}×", "method": "animate", "args": [None, play(s)]} for s in speeds]
    menus = [
        {"type": "buttons", "direction": "right", "showactive": False, "x": 0.0, "y": 0, "xanchor": "left",
         "yanchor": "top", "pad": {"t": 48, "r": 8}, "buttons": controls, "name": "playback"},
        {"type": "buttons", "direction": "right", "showactive": False, "x": 0.42, "y": 0, "xanchor": "left",
         "yanchor": "top", "pad": {"t": 48}, "buttons": speeds, "name": "speed"},
    ]
    # The controls go straight into the figure's dict: through ``fig.update_layout`` Plotly validated every
    # slider step (9 ms for 100 frames) and copied them again in ``to_dict``. They are the same few shapes
    # every time, and a test validates them (tests/test_animation.py).
    layout = spec.setdefault("layout", {})
    layout.update(
        updatemenus=menus if buttons else [],
        sliders=[{
            "active": 0, "x": 0.0, "len": 1.0, "y": 0, "yanchor": "top", "pad": {"t": 88 if buttons else 48, "b": 4},
            "currentvalue": {"prefix": slider_prefix, "visible": True, "xanchor": "right",
                             "font": {"size": 14, "color": "#31333F"}},
            # Step labels under every tick would overlap; the current value above says where we are.
            "font": {"color": "rgba(0,0,0,0)"}, "ticklen": 0, "minorticklen": 0,
            "steps": [{"label": f.label, "method": "animate", "args": [[name], jump]}
                      for f, name in zip(frames, names)],
        }],
    )
    # The room the buttons and slider take below the plots (up to 172 px in Streamlit's theme). A margin too small
    # for what it holds, Plotly widens itself (automargin) and then draws the whole figure a second time: about
    # 100 ms of every new figure in a browser. So each figure also asks for the left and right margins its labels
    # take (tests/browser/test_live.py checks that Plotly widens none).
    margin = layout.get("margin", {})
    layout["margin"] = {**margin, "b": max(margin.get("b", 0), 175) if buttons else 100}
    if template is not None:
        layout["template"] = registered_template(template)
    frames = _keep_every_panel(spec["data"], frames)  # with a redraw too: it comes a paint later (see there)
    return _with_frames(spec, frames, names)


def _keep_every_panel(traces: list[dict], frames: list[Frame]) -> list[Frame]:
    """``frames``, each also naming (with no new data) one trace of every panel and kind it leaves alone.

    plotly.js first replots only the traces a frame names, and removes the drawing of every kind of trace in a
    panel of which the frame names none: without a redraw the PCA panel beside a replaying t-SNE emptied on the
    first frame and stayed empty. With a redraw (``redraw=True``) the full replot puts them back, but not always
    before the browser paints: under a 4x CPU throttle the decision map's points were gone from 1-2 of ~80
    sampled paints (tests/browser/test_live.py). Naming one trace of each keeps them drawn; a trace named
    without data keeps its data. (Heatmaps are never replotted before the redraw, whatever a frame names:
    hence :func:`_pictured_codes`.)
    """
    groups: dict[tuple, int] = {}
    for index, trace in enumerate(traces):
        if trace.get("visible") is False:  # draws nothing: naming it keeps nothing either
            continue
        groups.setdefault((trace.get("xaxis", "x"), trace.get("yaxis", "y"), trace.get("type", "scatter")), index)
    kept = []
    for frame in frames:
        named = {(traces[i].get("xaxis", "x"), traces[i].get("yaxis", "y"), traces[i].get("type", "scatter"))
                 for i in frame.traces}
        extra = [index for group, index in groups.items() if group not in named]
        kept.append(Frame(frame.label, [*frame.data, *({} for _ in extra)], [*frame.traces, *extra], frame.layout)
                    if extra else frame)
    return kept


def _pictured_codes(spec: dict, frames: list[Frame]) -> list[Frame]:
    """Every heatmap of uint8 codes without hover (a decision map, a layer's tiles) becomes a layout image, and
    ``frames`` that change its codes change its picture instead (in ``spec``, in place; returns the new frames).

    plotly.js cannot animate a heatmap: a frame that changes one must be redrawn, and it first replots the
    traces it can animate, without the heatmaps. On a laptop's CPU the redraw then comes a paint or more
    later: with the CPU throttled 4x the decision map was blank in most painted frames of a replay
    (tests/browser/test_live.py). A frame's layout update of an image's ``source`` is applied without a
    redraw, so every frame of such a figure only moves scatter traces and swaps pictures. The heatmap keeps
    its place (frames name traces by index) as an invisible empty trace on its axes. Its picture is named "codes", so
    that a viewer's palette can recolour it (:mod:`viz.restyle`).
    """
    layout = spec.setdefault("layout", {})
    pictured: dict[int, tuple[int, np.ndarray]] = {}  # trace index: (image index, palette)
    for index, trace in enumerate(spec["data"]):
        if not _is_codes_heatmap(trace):
            continue
        z = _decoded(trace["z"])
        palette = code_palette(trace["colorscale"], float(trace["zmin"]), float(trace["zmax"]))
        images = layout.setdefault("images", [])
        pictured[index] = (len(images), palette)
        images.append({"source": codes_data_uri(z, palette), **_cells_box(trace, z.shape), "name": "codes",
                       "xref": trace.get("xaxis", "x"), "yref": trace.get("yaxis", "y"), "sizing": "stretch",
                       "xanchor": "left", "yanchor": "top", "layer": "below"})
        spec["data"][index] = {"type": "scatter", "x": [], "y": [], "xaxis": trace.get("xaxis", "x"),
                               "yaxis": trace.get("yaxis", "y"), "visible": False, "showlegend": False}
    if not pictured:
        return frames
    changed = []
    for frame in frames:
        kept, sources = [], {}
        for index, values in zip(frame.traces, frame.data):
            if index in pictured:
                image, palette = pictured[index]
                if "z" in values:  # (a frame naming it without new codes leaves its picture)
                    sources[f"images[{image}].source"] = codes_data_uri(np.asarray(values["z"]), palette)
            else:
                kept.append((index, values))
        changed.append(Frame(frame.label, [v for _, v in kept], [i for i, _ in kept], {**frame.layout, **sources}))
    return changed


def _is_codes_heatmap(trace: dict) -> bool:
    z = trace.get("z")
    return (trace.get("type") == "heatmap" and trace.get("hoverinfo") == "skip" and not trace.get("zsmooth")
            and isinstance(z, dict) and z.get("dtype") == "u1" and isinstance(trace.get("colorscale"), list)
            and trace.get("zmin") is not None and trace.get("zmax") is not None)


def _cells_box(trace: dict, shape: tuple[int, int]) -> dict:
    """Where a heatmap's cells cover its axes (half a cell beyond the first and last centres), as a layout
    image's ``x``, ``y`` (its top left), ``sizex`` and ``sizey``. Cell centres are evenly spaced."""
    rows, cols = shape
    if "x" in trace:
        x, y = _decoded(trace["x"]).astype(float), _decoded(trace["y"]).astype(float)
        x0, dx, y0, dy = x[0], (x[-1] - x[0]) / max(cols - 1, 1), y[0], (y[-1] - y[0]) / max(rows - 1, 1)
    else:
        x0, dx, y0, dy = (float(trace.get(k, d)) for k, d in (("x0", 0), ("dx", 1), ("y0", 0), ("dy", 1)))
    return {"x": x0 - dx / 2, "y": y0 + (rows - 0.5) * dy, "sizex": cols * dx, "sizey": rows * dy}


def _still_surfaces(spec: dict, moving: set[int]) -> None:
    """Every contour map no frame changes becomes a picture under its panel (in place).

    Its trace keeps its place (frames name traces by index) as an invisible grid of points that carries the
    colour bar and the hover values. See :mod:`viz.raster` for why.
    """
    layout = spec.setdefault("layout", {})
    for index, trace in enumerate(spec["data"]):
        if index in moving or trace.get("type") != "contour" or not {"x", "y", "z"} <= trace.keys():
            continue
        x, y, z = (_decoded(trace[k]) for k in ("x", "y", "z"))
        if x.ndim != 1 or y.ndim != 1 or z.shape != (len(y), len(x)):
            continue
        contours = trace.get("contours") or {}
        picture = surface_data_uri(z, trace.get("colorscale") or "Plasma", zmin=trace.get("zmin"),
                                   zmax=trace.get("zmax"), n_levels=int(trace.get("ncontours") or 15),
                                   banded=contours.get("coloring", "fill") == "fill",
                                   lines=contours.get("showlines", True) and (trace.get("line") or {}).get("width", 1) > 0,
                                   reverse=bool(trace.get("reversescale")))
        x_axis, y_axis = trace.get("xaxis", "x"), trace.get("yaxis", "y")
        layout.setdefault("images", []).append({
            "source": picture, "xref": x_axis, "yref": y_axis, "x": float(x.min()),
            "y": float(y.max()), "sizex": float(np.ptp(x)), "sizey": float(np.ptp(y)), "sizing": "stretch",
            "xanchor": "left", "yanchor": "top", "layer": "below"})
        for axis, values in ((x_axis, x), (y_axis, y)):  # the picture covers the panel as the contour did
            props = layout.setdefault(axis[0] + "axis" + axis[1:], {})
            props.setdefault("range", [float(values.min()), float(values.max())])
            props.update(showgrid=False, zeroline=False)
        spec["data"][index] = _hover_grid(trace, x, y, z)


#: The invisible grid standing in for a contour map has at most this many points a side.
HOVER_GRID = 25


def _hover_grid(contour: dict, x, y, z) -> dict:
    """An invisible scatter trace over a contour's area: its colour bar, and its values on hover.

    A contour that takes no hover (the figure says where the pointer is some other way) needs only the colour
    bar: its corners, four points instead of 625 invisible markers for the browser to draw.
    """
    side = 2 if contour.get("hoverinfo") == "skip" else HOVER_GRID
    rows = np.unique(np.linspace(0, len(y) - 1, min(side, len(y))).round().astype(int))
    cols = np.unique(np.linspace(0, len(x) - 1, min(side, len(x))).round().astype(int))
    grid_x, grid_y = np.meshgrid(x[cols], y[rows])
    values = z[np.ix_(rows, cols)]
    finite = np.isfinite(z)
    low = contour.get("zmin", float(z[finite].min()) if finite.any() else 0.0)
    high = contour.get("zmax", float(z[finite].max()) if finite.any() else 1.0)
    # maxdisplayed: Plotly hovers on the data, so it need not draw these invisible markers (625 SVG nodes)
    marker = {"color": typed_array(values.ravel()), "colorscale": contour.get("colorscale") or "Plasma",
              "cmin": low, "cmax": high, "showscale": contour.get("showscale", True), "opacity": 0, "size": 10,
              "maxdisplayed": 1,
              "reversescale": bool(contour.get("reversescale"))}
    if "colorbar" in contour:
        marker["colorbar"] = contour["colorbar"]
    grid = {"type": "scatter", "mode": "markers", "x": typed_array(grid_x.ravel()), "y": typed_array(grid_y.ravel()),
            "marker": marker, "showlegend": False, "name": contour.get("name", "surface"),
            "xaxis": contour.get("xaxis", "x"), "yaxis": contour.get("yaxis", "y"),
            "hovertemplate": (contour.get("hovertemplate") or "x=%{x:.3g}<br>y=%{y:.3g}<br>z=%{z:.4g}<extra></extra>"
                              ).replace("%{z", "%{marker.color")}
    if contour.get("hoverinfo") == "skip":  # the figure says where the pointer is some other way
        grid["hoverinfo"] = "skip"  # (a hover template would override it)
        del grid["hovertemplate"]
    if "customdata" in contour:
        custom = _decoded(contour["customdata"])
        if custom.shape == z.shape:
            grid["customdata"] = typed_array(custom[np.ix_(rows, cols)].ravel())
    return grid


def _decoded(values) -> np.ndarray:
    """A trace property as an array, whether a plain list or Plotly's base64 typed-array spec."""
    if isinstance(values, dict) and "bdata" in values:
        flat = np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"]))
        shape = values.get("shape")
        return flat.reshape([int(n) for n in str(shape).split(",")]) if shape else flat
    return np.asarray(values, dtype=float)


def registered_template(name: str) -> dict:
    """Plotly's registered template ``name`` as a plain dict (a fresh copy: the caller may change it)."""
    return copy.deepcopy(template_spec(name))


def show_frame(fig: go.Figure, frame: Frame) -> None:
    """Put ``frame``'s data into the base traces (in place), so the figure opens showing that frame."""
    for index, values in zip(frame.traces, frame.data):
        fig.data[index].update(values)


def _with_frames(spec: dict, frames: list[Frame], names: list[str]) -> go.Figure:
    """The figure ``spec`` (a validated figure's dict) plus ``frames``, attached as plain float32 dicts.

    Building a ``go.Frame`` per frame makes Plotly validate every trace of every frame — about 1 s for a
    race of 7 racers × 120 frames — and even unvalidated, an object per frame trace costs 0.1–0.3 s. The base
    figure is already validated and frame traces only carry coordinates, so the frames stay data
    (:class:`~viz.prepared.AnimatedFigure`). The base figure is not validated again either: only its arrays'
    dtypes changed since it was (validating it once more was a quarter of building a decision-boundary
    animation: 0.29 → 0.22 s).
    """
    types = [trace.get("type", "scatter") for trace in spec["data"]]
    # Plotly reads a frame trace without a type as a scatter, so name the type of the trace it updates.
    spec["frames"] = [{"name": name, "traces": f.traces,
                       "data": [{"type": types[i], **_plain(d)} for i, d in zip(f.traces, f.data)],
                       **({"layout": f.layout} if f.layout else {})} for f, name in zip(frames, names)]
    return AnimatedFigure(spec)


def _plain(trace) -> dict:
    """A frame trace as a dict whose coordinate arrays are already encoded as typed arrays.

    Encoding once here, rather than leaving NumPy arrays for Streamlit to encode, keeps every rerun cheap.
    Floats ship as float32; uint8 arrays (heatmap codes) and uint16 ones (quantised coordinates) stay as they
    are; a 2-D ``z`` keeps its shape.
    """
    props = trace.to_plotly_json() if hasattr(trace, "to_plotly_json") else dict(trace)
    for key in ("x", "y", "z"):
        if key in props and props[key] is not None and not isinstance(props[key], dict):
            if np.asarray(props[key]).dtype.kind in "biuf":  # categories (text) stay a plain list
                props[key] = typed_array(props[key], keep_shape=key == "z")
    return props


#: Integer dtypes sent as they are (Plotly's typed-array codes); every other array becomes float32.
KEPT_DTYPES = {np.dtype(np.uint8): "u1", np.dtype(np.uint16): "u2"}


def typed_array(values, keep_shape: bool = False) -> dict:
    """``values`` as Plotly's base64 typed-array spec: uint8 and uint16 stay as they are, everything else
    becomes float32."""
    values = np.asarray(values)
    code = KEPT_DTYPES.get(values.dtype)
    values = np.ascontiguousarray(values) if code else as_float32(values)
    spec = {"dtype": code or "f4", "bdata": base64.b64encode(values.tobytes()).decode("ascii")}
    if keep_shape and values.ndim == 2:
        spec["shape"] = f"{values.shape[0]}, {values.shape[1]}"
    return spec  # (a C-contiguous array's bytes are its ravel's: one encoding serves both)


def as_float32(values) -> np.ndarray:
    """``values`` as float32, a value too large for float32 (a diverging run's) as NaN: a gap in the line,
    as infinities and NaNs already are, instead of an overflow warning and a made-up infinity."""
    values = np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.where(np.abs(values) <= np.finfo(np.float32).max, values, np.nan).astype(np.float32)


def _cast_f8(node):
    """A figure's dict with its float64 arrays (``{"dtype": "f8", "bdata": ...}``) as float32, half the bytes.

    Plotly upcasts arrays assigned to traces that already belong to a figure, so the cast is done on the
    serialised form instead.
    """
    if isinstance(node, dict):
        if node.get("dtype") == "f8" and "bdata" in node:
            values = as_float32(np.frombuffer(base64.b64decode(node["bdata"]), dtype=np.float64))
            return {**node, "dtype": "f4", "bdata": base64.b64encode(values.tobytes()).decode("ascii")}
        return {key: _cast_f8(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_cast_f8(value) for value in node]
    return node


def payload_bytes(fig: go.Figure) -> int:
    """Size of the figure's JSON as it is sent to the browser."""
    return len(fig.to_json().encode())


def final_frame(fig: go.Figure) -> go.Figure:
    """A copy of an animated figure that opens on its last frame (for people who asked for reduced motion):
    the traces hold the last frame's data and the slider points at it; Play and the slider still work."""
    spec = spec_of(fig)
    frames = spec.get("frames") or []
    if not frames:
        return fig
    last = frames[-1]
    for index, data in zip(last.get("traces", []), last.get("data", [])):
        spec["data"][index].update({k: v for k, v in data.items() if k != "type"})
    for key, value in (last.get("layout") or {}).items():  # e.g. "images[2].source" (see _pictured_codes)
        if match := re.fullmatch(r"(\w+)\[(\d+)\]\.(\w+)", key):
            spec["layout"][match[1]][int(match[2])][match[3]] = value
        else:
            spec["layout"][key] = value
    for slider in spec.get("layout", {}).get("sliders", []):
        slider["active"] = len(frames) - 1
    return figure_from(spec)
