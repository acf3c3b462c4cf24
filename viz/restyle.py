"""Restyle a finished figure for its viewer: another palette, or larger type and markers for a projector.

Figures are built once (and cached) in the app's own colour-blind-safe palette, Okabe & Ito. A viewer's
choice is applied afterwards, to a copy, by walking the figure's JSON:

* **Palette.** Every colour the builders use is a palette colour or a *tint* of one (mixed with white,
  as decision maps and confidence shading are). A colour ``c = w + s·(b − w)`` — white ``w``, base ``b``,
  share ``s`` — becomes ``w + s·(b' − w)`` with ``b'`` the other palette's colour for the same role, so
  shading survives the swap. Greys, white and named colour scales are left alone.
* **Presenter scale.** Font sizes and scatter marker sizes (in the figure and in every animation frame)
  are multiplied, and lines thickened, so the back row of a classroom can read them.
"""

from __future__ import annotations

import re

import plotly.graph_objects as go

from viz.palette import OKABE_ITO

#: Other palettes, each mapping the app's Okabe–Ito colours (by name) to its own. All keep the roles apart
#: for the common colour-vision deficiencies (Paul Tol's schemes are designed for that).
PALETTES = {
    "okabe-ito": {"label": "Okabe–Ito (colour-blind safe, default)", "colors": dict(OKABE_ITO)},
    "tol-bright": {"label": "Paul Tol bright (colour-blind safe)", "colors": {
        "black": "#000000", "orange": "#CCBB44", "sky_blue": "#66CCEE", "bluish_green": "#228833",
        "yellow": "#CCBB44", "blue": "#4477AA", "vermillion": "#EE6677", "reddish_purple": "#AA3377"}},
    "high-contrast": {"label": "High contrast (projectors, greyscale print)", "colors": {
        "black": "#000000", "orange": "#DDAA33", "sky_blue": "#6699CC", "bluish_green": "#117733",
        "yellow": "#EECC66", "blue": "#004488", "vermillion": "#BB5566", "reddish_purple": "#882255"}},
    "classic": {"label": "Classic orange/blue (TensorFlow Playground)", "colors": {
        "black": "#000000", "orange": "#F59322", "sky_blue": "#8FB9E0", "bluish_green": "#2CA02C",
        "yellow": "#E8D33F", "blue": "#0877BD", "vermillion": "#D62728", "reddish_purple": "#9467BD"}},
}
DEFAULT_PALETTE = "okabe-ito"
PLOTLY_MARGIN = {"t": 100, "b": 80, "l": 80, "r": 80}  # Plotly's defaults, for figures that set none
#: Extra pixels between the panels and the Play buttons / step slider under them, when type grows or
#: panels are stacked (axis titles then need more room).
CONTROLS_DROP = 40

_HEX = re.compile(r"^#([0-9a-fA-F]{6})$")
_RGBA = re.compile(r"^rgba?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*(?:,\s*([0-9.]+)\s*)?\)$")
#: How far (per channel, out of 255) a colour may sit from the white–base line and still count as a tint.
_TOLERANCE = 3.0


def _rgb(color: str):
    """(r, g, b, alpha-or-None) of a ``#RRGGBB`` or ``rgb(a)(...)`` string, or None for anything else."""
    if m := _HEX.match(color):
        h = m.group(1)
        return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16), None
    if m := _RGBA.match(color):
        return int(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(4)
    return None


def _tint_share(rgb, base) -> float | None:
    """The share s with rgb ≈ white + s·(base − white), or None when rgb is not a tint of base."""
    span = [b - 255 for b in base]
    if max(abs(d) for d in span) < 40:  # a base this close to white cannot carry a share reliably
        return None
    s = sum((c - 255) * d for c, d in zip(rgb, span)) / sum(d * d for d in span)
    if not 0.02 <= s <= 1.0 + 1e-9:
        return None
    return s if all(abs(255 + s * d - c) <= _TOLERANCE for c, d in zip(rgb, span)) else None


def color_map(palette: str) -> dict[str, str]:
    """Okabe–Ito hex (upper case) → the palette's hex, for the named roles."""
    target = PALETTES[palette]["colors"]
    return {OKABE_ITO[name].upper(): target[name].upper() for name in OKABE_ITO}


def recolor(color: str, palette: str) -> str:
    """``color`` in ``palette``: a palette colour or a tint of one is moved to the new palette's colour."""
    if palette == DEFAULT_PALETTE:
        return color
    parsed = _rgb(color)
    if parsed is None:
        return color
    rgb, alpha = parsed[:3], parsed[3]
    for source, target in color_map(palette).items():
        base = _rgb(source)[:3]
        s = 1.0 if tuple(rgb) == base else _tint_share(rgb, base)
        if s is None:
            continue
        new = [round(255 + s * (t - 255)) for t in _rgb(target)[:3]]
        if alpha is not None:
            return f"rgba({new[0]},{new[1]},{new[2]},{alpha})"
        return "#{:02X}{:02X}{:02X}".format(*new)
    return color


def _recolor_all(node, palette: str):
    """Every colour string under ``node`` (a figure dict) moved to ``palette``; arrays are left as they are."""
    if isinstance(node, dict):
        return {k: _recolor_all(v, palette) for k, v in node.items()}
    if isinstance(node, list):
        return [_recolor_all(v, palette) for v in node]
    return recolor(node, palette) if isinstance(node, str) else node


def _scale_sizes(node, scale: float):
    """Multiply font sizes, marker sizes and line widths under ``node`` (a figure dict), in place."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("font", "marker", "line", "textfont", "tickfont") and isinstance(value, dict):
                for size_key in ("size", "width"):
                    if isinstance(value.get(size_key), (int, float)) and not isinstance(value.get(size_key), bool):
                        value[size_key] = value[size_key] * scale
            _scale_sizes(value, scale)
    elif isinstance(node, list):
        for value in node:
            _scale_sizes(value, scale)


def _grow_margins(layout: dict, scale: float) -> None:
    """Larger type needs larger margins: the top and bottom margins grow by ``scale`` (the plot area keeps its
    pixels) and whatever sits below the plot — Play buttons, the step slider — moves down with it."""
    margin = {**PLOTLY_MARGIN, **(layout.get("margin") or {})}
    plot = (layout.get("height") or 450) - margin["t"] - margin["b"]
    drop = CONTROLS_DROP * (scale - 1) / 0.4  # 40 px more room at the presenter's 1.4×
    layout["margin"] = {**margin, "t": margin["t"] * scale, "b": margin["b"] * scale + drop}
    layout["height"] = plot + (margin["t"] + margin["b"]) * scale + drop
    for control in (layout.get("sliders") or []) + (layout.get("updatemenus") or []):
        if control.get("y", 1) <= 0:
            control["y"] = control["y"] * scale - drop / plot


def restyle(fig: go.Figure, palette: str = DEFAULT_PALETTE, scale: float = 1.0, narrow: bool = False) -> go.Figure:
    """A copy of ``fig`` in ``palette`` with every font, marker and line ``scale`` times larger, and its panels
    stacked in one column when ``narrow`` (a phone).

    Unset font sizes (Plotly's default 12 px) are set so that they scale too.
    """
    if palette not in PALETTES:
        raise ValueError(f"Unknown palette {palette!r}; choose one of {', '.join(PALETTES)}.")
    if palette == DEFAULT_PALETTE and scale == 1.0 and not narrow:
        return fig
    spec = _recolor_all(fig.to_plotly_json(), palette)
    if narrow:
        spec = stack_panels(spec)
    if scale != 1.0:
        layout = spec.setdefault("layout", {})
        layout.setdefault("font", {}).setdefault("size", 12)
        _scale_sizes(spec, scale)
        _grow_margins(layout, scale)
    return go.Figure(spec, _validate=False)  # built from a valid figure: skip re-validation (~10× faster)


# ------------------------------------------------------------------------------------------- phones

#: On a phone, each panel gets a band of at least / at most this many pixels, with GAP pixels between bands
#: for its axis titles and the next panel's title.
BAND_MIN, BAND_MAX, GAP = 240, 360, 110


def _cells(layout: dict, data: list) -> list[tuple]:
    """The panels of a figure as paper-coordinate boxes (x0, x1, y0, y1), in reading order."""
    boxes = set()
    for name, axis in layout.items():
        if re.fullmatch(r"xaxis\d*", name) and isinstance(axis, dict):
            anchor = axis.get("anchor") or "y" + name[5:]
            y_axis = layout.get("yaxis" + anchor[1:], {}) if anchor.startswith("y") else {}
            boxes.add((*axis.get("domain", (0.0, 1.0)), *y_axis.get("domain", (0.0, 1.0))))
    for trace in data:
        if isinstance(trace.get("domain"), dict):
            boxes.add((*trace["domain"].get("x", (0.0, 1.0)), *trace["domain"].get("y", (0.0, 1.0))))
    return sorted(boxes, key=lambda b: (-round(b[3], 2), b[0]))


def stack_panels(spec: dict) -> dict:
    """A figure dict laid out for a phone: side-by-side panels stacked into one column, each full width,
    with dragging off so a finger scrolls the page instead of zooming the chart. Positions outside the panels
    (legend above, Play buttons and step slider below) keep their distance in pixels."""
    layout = spec.setdefault("layout", {})
    if any(k.startswith(("scene", "geo", "polar", "ternary", "mapbox", "map")) for k in layout):
        return spec
    cells = _cells(layout, spec.get("data", []))
    margin = {**PLOTLY_MARGIN, **(layout.get("margin") or {})}
    old_plot = (layout.get("height") or 450) - margin["t"] - margin["b"]
    bands = [min(BAND_MAX, max(BAND_MIN, (y1 - y0) * old_plot)) for _, _, y0, y1 in cells]
    new_plot = sum(bands) + GAP * (len(bands) - 1)
    new_domain, top = {}, 0.0
    for cell, band in zip(cells, bands):
        new_domain[cell] = (1 - (top + band) / new_plot, 1 - top / new_plot)
        top += band + GAP

    def cell_of(x, y, slack=0.12):
        return next((c for c in cells if c[0] - 1e-6 <= x <= c[1] + 1e-6 and c[2] - 1e-6 <= y <= c[3] + slack), None)

    def move(x, y):
        """A paper point in a panel keeps its place in the panel; outside every panel it keeps its pixels."""
        cell = cell_of(x, y)
        if cell is None:
            if y <= 0:
                return x, y * old_plot / new_plot
            return x, 1 + (y - 1) * old_plot / new_plot if y >= 1 else y
        x0, x1, y0, y1 = cell
        b0, b1 = new_domain[cell]
        return (x - x0) / max(x1 - x0, 1e-9), b0 + (y - y0) / max(y1 - y0, 1e-9) * (b1 - b0)

    for name, axis in list(layout.items()):
        if re.fullmatch(r"xaxis\d*", name) and isinstance(axis, dict):
            anchor = axis.get("anchor") or "y" + name[5:]
            y_name = "yaxis" + anchor[1:]
            cell = (*axis.get("domain", (0.0, 1.0)), *layout.get(y_name, {}).get("domain", (0.0, 1.0)))
            axis["domain"] = [0.0, 1.0]
            layout.setdefault(y_name, {})["domain"] = list(new_domain[cell])
    for trace in spec.get("data", []):
        if isinstance(trace.get("domain"), dict):
            d = trace["domain"]
            cell = (*d.get("x", (0.0, 1.0)), *d.get("y", (0.0, 1.0)))
            trace["domain"] = {"x": [0.0, 1.0], "y": list(new_domain[cell])}
    for note in layout.get("annotations", []) or []:
        if note.get("xref", "paper") == "paper" and note.get("yref", "paper") == "paper" and "x" in note and "y" in note:
            note["x"], note["y"] = move(note["x"], note["y"])
    for control in (layout.get("sliders") or []) + (layout.get("updatemenus") or []):
        if "y" in control:  # below the panels: keep the pixels, plus room for the last panel's axis title
            control["y"] = (control["y"] * old_plot - CONTROLS_DROP) / new_plot if control["y"] <= 0 else \
                move(-1.0, control["y"])[1]
    for slider in layout.get("sliders") or []:  # its readout starts at the left edge instead of overflowing it
        slider.update({"x": 0.0, "len": 1.0})
        slider.setdefault("currentvalue", {}).update({"xanchor": "left"})
        slider["currentvalue"].setdefault("font", {})["size"] = 11
    if isinstance(layout.get("legend"), dict) and "y" in layout["legend"]:
        layout["legend"]["y"] = move(-1.0, layout["legend"]["y"])[1]
    _place_colorbars(spec, layout)
    layout["height"] = round(new_plot + margin["t"] + margin["b"] + CONTROLS_DROP)
    layout["margin"] = {**margin, "b": margin["b"] + CONTROLS_DROP, "l": min(margin["l"], 50),
                        "r": min(margin["r"], 30)}
    layout["dragmode"] = False
    return spec


def _place_colorbars(spec: dict, layout: dict) -> None:
    """A visible colour bar spans its own panel's band (not the whole, now much taller, figure)."""
    for trace in spec.get("data", []):
        if trace.get("type") not in ("contour", "heatmap", "histogram2d") or trace.get("showscale") is False:
            continue
        y_name = "yaxis" + (trace.get("yaxis") or "y")[1:]
        b0, b1 = layout.get(y_name, {}).get("domain", (0.0, 1.0))
        bar = trace.setdefault("colorbar", {})
        bar.update({"y": (b0 + b1) / 2, "yanchor": "middle", "len": b1 - b0, "lenmode": "fraction"})
