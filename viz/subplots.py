"""``make_subplots``, laid out once per arrangement.

Plotly's ``make_subplots`` builds and validates a whole layout (axes, domains, titles) on every call: 18–37 ms
for the grids here, and a new view draws one to three of them on the server, which every session shares. The
layout only depends on the arguments, so :func:`subplots` makes it once per arrangement and hands out
unvalidated copies (~2 ms). Such a figure does not validate later ``update_layout`` calls either (about a
third of drawing a figure); traces still validate themselves when built (``go.Scatter(...)``), and a test
draws every page with both and validates every chart (``tests/test_subplots.py``).
"""

from __future__ import annotations

import copy
import functools

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from private_apis import unchecked_figure

#: Arrangements kept (titles are not part of one: they are put in each copy).
CACHED_LAYOUTS = 64
_STAND_IN = "\x00{}"  # a subplot title while the layout is made (no real title starts with a NUL)


def subplots(**kwargs) -> go.Figure:
    """``make_subplots(**kwargs)`` as an unvalidated figure: the same layout and subplot grid (``add_trace(...,
    row, col)``, ``update_xaxes(row=..., col=...)`` work as on Plotly's)."""
    titles = list(kwargs.get("subplot_titles") or [])
    if titles:  # laid out with stand-ins, so that titles holding numbers (scores) do not each need a layout
        kwargs = {**kwargs, "subplot_titles": [_STAND_IN.format(i) if t else t for i, t in enumerate(titles)]}
    layout, grid_ref, grid_str = _laid_out(_frozen(kwargs))
    layout = copy.deepcopy(layout)
    for note in layout.get("annotations", []):
        if isinstance(note.get("text"), str) and note["text"].startswith(_STAND_IN[:1]):
            note["text"] = titles[int(note["text"][1:])]
    fig = unchecked_figure(layout=layout)
    # Where make_subplots itself keeps the grid (plotly/_subplots.py): read by add_trace and update_xaxes.
    fig.__dict__["_grid_ref"] = grid_ref
    fig.__dict__["_grid_str"] = grid_str
    return fig


@functools.lru_cache(maxsize=CACHED_LAYOUTS)
def _laid_out(frozen: tuple) -> tuple[dict, list, str]:
    fig = make_subplots(**_thawed(frozen))
    layout = fig.to_dict()["layout"]
    layout.pop("template", None)  # the default template when the copy is made (pio.templates.default) applies
    return layout, fig._grid_ref, fig._grid_str


def _frozen(value):
    """Hashable form of the arguments: dicts as sorted item tuples, lists and tuples as tagged tuples."""
    if isinstance(value, dict):
        return ("dict", tuple(sorted((k, _frozen(v)) for k, v in value.items())))
    if isinstance(value, (list, tuple)):
        return ("list", tuple(_frozen(v) for v in value))
    return value


def _thawed(value):
    if isinstance(value, tuple) and len(value) == 2 and value[0] == "dict":
        return {k: _thawed(v) for k, v in value[1]}
    if isinstance(value, tuple) and len(value) == 2 and value[0] == "list":
        return [_thawed(v) for v in value[1]]
    return value
