"""The Plotly template figures are drawn with, carried to a process that does not import Streamlit.

Streamlit registers its own template when it is imported and makes it Plotly's default, and its charts need
it: the frontend swaps the template's placeholder colours for the app theme's. A worker process
(``server/workers.py``) never imports Streamlit, so a figure it drew would carry Plotly's own template instead.
The server sends its default with each drawing job (:func:`default_template`, 3.6 KB) and the worker makes it
its own default before drawing (:func:`use_template`).
"""

from __future__ import annotations

import functools

import plotly.graph_objects as go
import plotly.io as pio


def default_template() -> tuple[str, dict]:
    """Plotly's default template here: ``(name, spec)``."""
    name = pio.templates.default
    return name, template_spec(name)


@functools.lru_cache(maxsize=8)
def template_spec(name: str) -> dict:
    """Plotly's registered template ``name`` as a plain dict, made once (shared: copy it to change it)."""
    return pio.templates[name].to_plotly_json()


def use_template(name: str, spec: dict) -> None:
    """Make ``spec`` the default template under ``name`` in this process (registered once per spec)."""
    if _registered.get(name) != spec:
        pio.templates[name] = go.layout.Template(spec)
        _registered[name] = spec
        pio.templates.default = name
    elif pio.templates.default != name:  # setting the default validates (deep-copies) the template: ~35 ms
        pio.templates.default = name


_registered: dict[str, dict] = {}
