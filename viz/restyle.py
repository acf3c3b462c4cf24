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

import functools
import re

import plotly.graph_objects as go

from viz.palette import OKABE_ITO
from viz.prepared import figure_from
from viz.raster import repainted

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


def _recolor_pictures(spec: dict, palette: str) -> None:
    """The pictures of heatmap codes (layout images named "codes", ``viz.animation``), and every frame's
    change of them, in ``palette`` (in place): their palettes are the heatmaps' colour scales."""
    if palette == DEFAULT_PALETTE:
        return
    layout = spec.get("layout") or {}
    codes = {k for k, image in enumerate(layout.get("images") or []) if image.get("name") == "codes"}
    paint = functools.lru_cache(maxsize=None)(lambda colour: recolor(colour, palette))
    for k in codes:
        layout["images"][k]["source"] = repainted(layout["images"][k]["source"], paint)
    keys = {f"images[{k}].source" for k in codes}
    for frame in spec.get("frames") or []:
        for key in keys & (frame.get("layout") or {}).keys():
            frame["layout"][key] = repainted(frame["layout"][key], paint)


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
    _recolor_pictures(spec, palette)
    if narrow:
        spec = stack_panels(spec, scale)
    if scale != 1.0:
        layout = spec.setdefault("layout", {})
        layout.setdefault("font", {}).setdefault("size", 12)
        _scale_sizes(spec, scale)
        _grow_margins(layout, scale)
    return figure_from(spec)  # built from a valid figure: skip re-validation (~10× faster)


# ------------------------------------------------------------------------------------------- phones
#
# A phone's figure is one column: the main panel (the largest) first, the Play buttons and step slider right
# under it — not at the bottom of a stack of panels, a long scroll away from what they play — and then the
# other panels. Everything is laid out in pixels from the top, then converted to paper coordinates.

#: Each panel gets a band of at least / at most this many pixels.
BAND_MIN, BAND_MAX = 240, 360
#: Pixels kept free (at 1× type) under a panel for its tick labels and x-axis title (TICKS_ROOM without a
#: title), above a panel (but the first) for its title, and under a panel for its horizontal colour bar.
AXIS_ROOM, TICKS_ROOM, TITLE_ROOM, COLORBAR_ROOM = 62, 34, 48, 64
#: Pixels for each row of buttons (one menu a row: Play/Pause/Reset then the speeds, each row fits 300 px),
#: and for the step slider with a one-line readout, plus LINE for each further line of its readout.
BUTTON_ROW, SLIDER_ROOM, LINE = 40, 56, 15
#: Characters on a line of a slider's readout (11 px type), and pixels a panel title may span.
READOUT_CHARS, TITLE_PX = 44, 290
#: The width of a panel on a 390 px phone (a 358 px chart less its tick labels and axis title, measured in
#: Chromium), for the height of panels of a fixed aspect ratio.
PHONE_PLOT_PX = 290
#: Trace types whose colour bar shows unless ``showscale`` is false.
SCALED_TYPES = ("contour", "heatmap", "histogram2d", "histogram2dcontour")


def _axis_box(layout: dict, x_name: str) -> tuple:
    """The paper box (x0, x1, y0, y1) of the panel whose x axis is ``x_name`` (``xaxis``, ``xaxis2``, …)."""
    axis = layout.get(x_name) or {}
    anchor = axis.get("anchor") or "y" + x_name[5:]
    y_axis = (layout.get("yaxis" + anchor[1:]) or {}) if anchor.startswith("y") else {}
    return (*(axis.get("domain") or (0.0, 1.0)), *(y_axis.get("domain") or (0.0, 1.0)))


def _domain_box(domain: dict) -> tuple:
    return (*(domain.get("x") or (0.0, 1.0)), *(domain.get("y") or (0.0, 1.0)))


def _title_text(axis: dict) -> str:
    title = axis.get("title")
    return str((title.get("text") if isinstance(title, dict) else title) or "")


def _panels(layout: dict, data: list) -> dict[tuple, bool]:
    """The panels of a figure as paper boxes (x0, x1, y0, y1), each with whether its x axis has a title."""
    titled: dict[tuple, bool] = {}
    for name, axis in layout.items():
        if re.fullmatch(r"xaxis\d*", name) and isinstance(axis, dict):
            box = _axis_box(layout, name)
            titled[box] = titled.get(box, False) or bool(_title_text(axis))
    for trace in data:
        if isinstance(trace.get("domain"), dict):
            titled.setdefault(_domain_box(trace["domain"]), False)
    return titled or {(0.0, 1.0, 0.0, 1.0): False}


def _band(layout: dict, cell: tuple, old_plot: float, plot_width: float) -> float:
    """A panel's height on a phone: its height before, within [BAND_MIN, BAND_MAX]; or, for a panel whose axes
    keep a fixed aspect ratio by shrinking its domain (a map with equal x and y units), the height its full
    width gives it, or Plotly shrinks it within its band and leaves a gap under it."""
    band = min(BAND_MAX, max(BAND_MIN, (cell[3] - cell[2]) * old_plot))
    for name, x_axis in layout.items():
        if not (re.fullmatch(r"xaxis\d*", name) and isinstance(x_axis, dict) and _axis_box(layout, name) == cell):
            continue
        y_short = x_axis.get("anchor") or "y" + name[5:]
        y_axis = layout.get("yaxis" + y_short[1:]) or {}
        try:
            x_span, y_span = (abs(float(a["range"][1]) - float(a["range"][0])) for a in (x_axis, y_axis))
        except (KeyError, TypeError, ValueError, IndexError):
            continue
        shrinks = "domain" in (y_axis.get("constrain"), x_axis.get("constrain"))
        if y_axis.get("scaleanchor") == "x" + name[5:] and shrinks:
            natural = plot_width * y_span * (y_axis.get("scaleratio") or 1) / max(x_span, 1e-12)
        elif x_axis.get("scaleanchor") == y_short and shrinks:
            natural = plot_width * y_span / max(x_span * (x_axis.get("scaleratio") or 1), 1e-12)
        else:
            continue
        return min(BAND_MAX, max(BAND_MIN / 2, natural))
    return band


def _cells(layout: dict, data: list) -> list[tuple]:
    """The panels as paper boxes in reading order, the largest (the main panel) moved to the front."""
    cells = sorted(_panels(layout, data), key=lambda b: (-round(b[3], 2), b[0]))
    main = max(cells, key=lambda b: (b[1] - b[0]) * (b[3] - b[2]))  # the first of equals, in reading order
    return [main] + [c for c in cells if c != main]


def _colorbars(spec: dict, layout: dict) -> list[tuple[dict, tuple]]:
    """Every visible colour bar (its dict, created if need be) with the paper box of its trace's panel.

    Scatter traces carry one in ``marker`` (the invisible grid standing in for a still contour map does)."""
    found = []
    for trace in spec.get("data", []):
        if isinstance(trace.get("domain"), dict):
            box = _domain_box(trace["domain"])
        else:
            box = _axis_box(layout, "xaxis" + (trace.get("xaxis") or "x")[1:])
        if trace.get("type") in SCALED_TYPES and trace.get("showscale", True) is not False \
                and not trace.get("coloraxis"):
            found.append((trace.setdefault("colorbar", {}), box))
        for part in ("marker", "line"):
            holder = trace.get(part)
            if isinstance(holder, dict) and holder.get("showscale") is True:
                found.append((holder.setdefault("colorbar", {}), box))
    return found


def _visible_len(text: str) -> int:
    return len(re.sub(r"<[^>]*>", "", text))


def _wrap(text: str, width: int, first: int = 0, sep: str = " · ") -> str:
    """``text`` broken with ``<br>`` into lines of at most ``width`` visible characters (the first line has
    ``first`` fewer: a prefix goes before it), between ``sep``-separated pieces where it can, else between
    words. Tags (``<b>``, ``<span style='…'>``) are never split."""
    out = []
    text = re.sub(r"<[^>]*>", lambda tag: tag.group().replace(" ", "\x01"), text)  # no break inside a tag
    for given in re.split(r"<br\s*/?>", text):
        tokens = []  # (what joins it to the word before, word)
        for i, piece in enumerate(given.split(sep)):
            parts = [piece] if _visible_len(piece) <= width else re.findall(r"(?:<[^>]*>|[^ <])+", piece)
            tokens += [(sep if i else "", parts[0])] + [(" ", part) for part in parts[1:]]
        lines, line = [], ""
        for join, word in tokens:
            room = width - (0 if out or lines else first)
            if line and _visible_len(line + join + word) > room:
                lines.append(line + join.rstrip())  # a line ending in "·" says that more follows
                line = word.lstrip()
            else:
                line += join + word
        out += lines + [line]
    return "<br>".join(out).replace("\x01", " ")


def _readout_lines(slider: dict) -> int:
    """Wrap a slider's step labels for its readout on a phone; the most lines any of them now takes."""
    prefix = len(str((slider.get("currentvalue") or {}).get("prefix") or ""))
    lines = 1
    for step in slider.get("steps") or []:
        if isinstance(step.get("label"), str):
            step["label"] = _wrap(step["label"], READOUT_CHARS, first=prefix)
            lines = max(lines, step["label"].count("<br>") + 1)
    return lines


def stack_panels(spec: dict, scale: float = 1.0) -> dict:
    """A figure dict laid out for a phone: side-by-side panels stacked into one column, each full width, the
    largest first with the animation controls (Play buttons a row per menu, then the step slider) under it,
    colour bars laid flat under their panels, long titles and slider readouts wrapped, and dragging off so a
    finger scrolls the page instead of zooming the chart. ``scale`` is the type size the figure will get
    (presenter mode), for the rows the controls need. Things above or below all the panels (a legend) keep
    their distance in pixels."""
    layout = spec.setdefault("layout", {})
    if any(k.startswith(("scene", "geo", "polar", "ternary", "mapbox", "map")) for k in layout):
        return spec
    data = spec.get("data", [])
    titled, cells = _panels(layout, data), _cells(layout, data)
    bars = _colorbars(spec, layout)
    below = [c for c in (layout.get("updatemenus") or []) + (layout.get("sliders") or []) if c.get("y", 1) <= 0]
    margin = {**PLOTLY_MARGIN, **(layout.get("margin") or {})}
    old_plot = (layout.get("height") or 450) - margin["t"] - margin["b"]

    # pixels from the top of the plot area: each panel's band, its colour bar, the controls
    band_px, bar_px, control_px, top = {}, {}, [], 0.0
    for i, cell in enumerate(cells):
        top += TITLE_ROOM * scale if i else 0.0
        band = _band(layout, cell, old_plot, PHONE_PLOT_PX)
        band_px[cell] = (top, top + band)
        top += band + (AXIS_ROOM if titled[cell] else TICKS_ROOM) * scale
        if any(box == cell for _, box in bars):
            bar_px[cell] = top
            top += COLORBAR_ROOM * scale
        if i == 0:
            for control in below:
                control_px.append(top)
                top += (BUTTON_ROW if "buttons" in control else
                        SLIDER_ROOM + LINE * (_readout_lines(control) - 1)) * scale
    new_plot = top
    new_domain = {cell: (1 - b / new_plot, 1 - t / new_plot) for cell, (t, b) in band_px.items()}

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
            cell = _axis_box(layout, name)
            anchor = axis.get("anchor") or "y" + name[5:]
            axis["domain"] = [0.0, 1.0]
            if anchor.startswith("y"):
                layout.setdefault("yaxis" + anchor[1:], {})["domain"] = list(new_domain[cell])
    for trace in data:
        if isinstance(trace.get("domain"), dict):
            trace["domain"] = {"x": [0.0, 1.0], "y": list(new_domain[_domain_box(trace["domain"])])}
    title_px, lift, above = _place_notes(layout, cells[0], cell_of, move)
    _place_controls(layout, below, control_px, new_plot, move)
    legend = layout.get("legend")
    if isinstance(legend, dict) and "y" in legend:
        legend["y"] = move(-1.0, legend["y"])[1]
        if (legend["y"] - 1) * new_plot >= title_px[0]:  # it was above the first panel's title: right above
            legend.update(y=1 + (sum(title_px) + 6) / new_plot, yanchor="bottom")  # it again (Plotly makes room)
    for note in above:  # out of the way of the first panel's longer title
        note["y"] += lift / new_plot
    for bar, cell in bars:  # flat, under its own panel, the panel's width: never over another panel
        bar.update({"orientation": "h", "x": 0.5, "xanchor": "center", "y": 1 - bar_px[cell] / new_plot,
                    "yanchor": "top", "len": 0.9, "lenmode": "fraction", "thickness": 10, "ypad": 0})
        if isinstance(bar.get("title"), dict):
            bar["title"]["side"] = "top"
    legend_below = isinstance(layout.get("legend"), dict) and layout["legend"].get("y", 1) < 0
    bottom = margin["b"] if legend_below or not below else 20  # the controls no longer need the room
    layout["height"] = round(new_plot + margin["t"] + lift + bottom)
    layout["margin"] = {**margin, "t": margin["t"] + lift, "b": bottom, "l": min(margin["l"], 50),
                        "r": min(margin["r"], 30)}
    layout["dragmode"] = False
    return spec


def _place_notes(layout: dict, first: tuple, cell_of, move) -> tuple[float, float, list]:
    """Annotations on paper moved with their panels (``move``); panel titles wrapped to the phone's width.
    Returns where the first panel's title starts above it and its height, in pixels, how many pixels it grew
    upwards (into what sits above it), and the notes above every panel."""
    title_px, lift, above = (0.0, 0.0), 0.0, []
    for note in layout.get("annotations", []) or []:
        on_paper = note.get("xref", "paper") == "paper" and note.get("yref", "paper") == "paper"
        if not on_paper or "x" not in note or "y" not in note:
            continue
        cell = cell_of(note["x"], note["y"])
        note["x"], note["y"] = move(note["x"], note["y"])
        if cell is None:
            above += [note] if note["y"] >= 1 else []
        elif isinstance(note.get("text"), str):  # a panel's title: at most the phone's width
            size = (note.get("font") or {}).get("size") or (layout.get("font") or {}).get("size") or 12
            text = _wrap(note["text"], int(TITLE_PX / (0.55 * size)), sep=" ")
            if cell == first and note.get("yanchor", "auto") != "top":
                title_px = max(title_px, (note.get("yshift") or 0, (text.count("<br>") + 1) * size * 1.5))
                lift = max(lift, (text.count("<br>") - note["text"].count("<br>")) * size * 1.5)
            note["text"] = text
    return title_px, lift, above


def _place_controls(layout: dict, below: list, tops: list, new_plot: float, move) -> None:
    """The controls that were under all the panels go where ``stack_panels`` made room for them (``tops``, in
    pixels from the top), at the left edge; any others keep their place."""
    for control, top in zip(below, tops):
        control.update({"y": 1 - top / new_plot, "yanchor": "top", "x": 0.0, "xanchor": "left"})
        control["pad"] = {"t": 0, "b": 0, "l": 0, "r": 8 if "buttons" in control else 0}
    for control in (layout.get("sliders") or []) + (layout.get("updatemenus") or []):
        if all(control is not moved for moved in below) and "y" in control:
            control["y"] = move(-1.0, control["y"])[1]
    for slider in layout.get("sliders") or []:  # its readout starts at the left edge instead of overflowing it
        if all(slider is not moved for moved in below):
            _readout_lines(slider)
        slider.update({"x": 0.0, "len": 1.0})
        slider.setdefault("currentvalue", {}).update({"xanchor": "left"})
        slider["currentvalue"].setdefault("font", {})["size"] = 11
