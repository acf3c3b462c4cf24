"""Say in words how a figure is built — its panels, axes, series and animation — for screen readers.

Pages add a sentence about what the chart shows *now* (its numbers); this module adds the structure, read
from the figure itself so it never goes stale when a figure changes.
"""

from __future__ import annotations

import plotly.graph_objects as go

_KINDS = {"scatter": "points/lines", "scattergl": "points", "contour": "contour map", "heatmap": "heat map",
          "surface": "3-D surface", "bar": "bars", "histogram": "histogram", "table": "table"}


def _clean(text) -> str:
    """Plain text of a Plotly label (line breaks and bold/italic tags removed)."""
    text = str(text or "").replace("<br>", " ")
    for tag in ("<b>", "</b>", "<i>", "</i>", "<sub>", "</sub>", "<sup>", "</sup>"):
        text = text.replace(tag, "")
    return " ".join(text.split())


def _text(title) -> str:
    return _clean(getattr(title, "text", None)) if title is not None else ""


def _axes(layout) -> list[str]:
    axes = []
    for name in sorted(k for k in layout.to_plotly_json() if k.startswith(("xaxis", "yaxis"))):
        title = _text(layout[name].title)
        if title and title not in axes:
            axes.append(title)
    return axes


def _series(fig: go.Figure) -> list[str]:
    seen, series = set(), []
    for trace in fig.data:
        name = (trace.name or "").strip()
        kind = _KINDS.get(trace.type, trace.type)
        label = f"{name} ({kind})" if name else kind
        if name.startswith("_") or label in seen:
            continue
        seen.add(label)
        series.append(label)
    return series


def describe_figure(fig: go.Figure, max_series: int = 12) -> str:
    """One paragraph: title, panels, axes, series and, for animations, how to play them."""
    layout = fig.layout
    parts = []
    if title := _text(layout.title):
        parts.append(f"Chart: {title}.")
    panels = [a.text for a in layout.annotations or () if a.text and getattr(a, "xref", "") == "paper"
              and getattr(a, "yanchor", None) == "bottom" and len(a.text) < 80]
    if len(panels) > 1:
        parts.append(f"{len(panels)} panels: " + "; ".join(_clean(p) for p in panels) + ".")
    if axes := _axes(layout):
        parts.append("Axes: " + "; ".join(axes) + ".")
    series = _series(fig)
    if series:
        more = f" and {len(series) - max_series} more" if len(series) > max_series else ""
        parts.append("Series: " + ", ".join(series[:max_series]) + more + ".")
    if frames := frame_count(fig):
        parts.append(f"Animated: {frames} frames, played with the ▶ Play / ⏸ Pause buttons or stepped "
                     "with the slider under the chart (Tab to reach them, arrow keys to step).")
    return " ".join(parts)


def frame_count(fig: go.Figure) -> int:
    """How many animation frames a figure has, also when it keeps them as dicts (viz.prepared)."""
    counted = getattr(fig, "frame_count", None)  # viz.prepared's figures keep their frames as dicts
    return counted() if callable(counted) else len(fig.frames or ())
