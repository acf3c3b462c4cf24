"""A page's cached figure, drawn where the server's one interpreter is spared it."""

from __future__ import annotations

from server.workers import offload
from viz.prepared import drawn
from viz.theme import default_template


def draw(builder, *args, **kwargs):
    """``viz.prepared.prepare(builder(*args, **kwargs))``, offloaded (``server.workers.offload``) in this
    process's Plotly template: the figure a cached function keeps. ``builder`` and its arguments must pickle
    (module-level functions, arrays, plain values)."""
    return offload(drawn, builder, args, kwargs, default_template())
