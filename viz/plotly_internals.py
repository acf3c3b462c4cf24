"""Plotly's one private switch this code base uses, in one place: building a figure without validating it.

``go.Figure(spec)`` checks every property of every trace against Plotly's schema: for a figure rebuilt from the
dict of a figure Plotly already validated (a restyle, the figure opened on its last frame, a grid's layout),
that costs about ten times the building, on every page run. Plotly has no public way to skip it; its
constructor's private ``_validate`` keyword does. ``tests/test_private_apis.py`` fails loudly if Plotly drops it,
and nothing else in the app passes it.
"""

from __future__ import annotations

import plotly.graph_objects as go

#: The constructor keyword that skips validation, for ``go.Figure`` subclasses (``super().__init__(..., **UNCHECKED)``).
UNCHECKED = {"_validate": False}


def unchecked_figure(spec: dict | None = None, **parts) -> go.Figure:
    """``go.Figure(spec)`` (or ``go.Figure(layout=...)`` …) without validation: for specs made from valid figures."""
    return go.Figure(spec, **parts, **UNCHECKED)
