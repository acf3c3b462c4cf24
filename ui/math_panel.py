"""The "Math & code" panel: the equations on screen beside the exact source that computed the picture.

The code is read from the functions themselves with ``inspect``, so it can never drift from what runs.
"""

from __future__ import annotations

import inspect
from functools import lru_cache
from pathlib import Path

import streamlit as st

from ui.registry import ROOT


def latex_vector(values) -> str:
    """A column vector of numbers as LaTeX, e.g. for substituting a step's values into an equation."""
    return r"\begin{pmatrix}" + r" \\ ".join(f"{float(v):.4g}" for v in values) + r"\end{pmatrix}"


@lru_cache(maxsize=512)  # reading and parsing source files cost ~10 ms a function on every rerun
def source_of(obj) -> tuple[str, str]:
    """``(where, source)`` of a function or class, e.g. ``("core/linear_model.py · mse_gradient", "def …")``."""
    path = Path(inspect.getsourcefile(obj)).resolve()
    where = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name
    return f"{where} · {obj.__qualname__}", inspect.getsource(obj)


def math_and_code(equations: list[str], code: list, *, notes: list[str] | None = None,
                  expanded: bool = True) -> None:
    """Equations (LaTeX) on the left, the source of each ``core`` object in ``code`` on the right."""
    with st.expander("Math & code", expanded=expanded, icon="🧮"):
        math_col, code_col = st.columns([5, 6], gap="large")
        with math_col:
            for eq in equations:
                st.latex(eq)
            for note in notes or []:
                st.markdown(note)
        with code_col:
            tabs = st.tabs([obj.__name__ for obj in code])
            for tab, obj in zip(tabs, code):
                where, source = source_of(obj)
                tab.caption(f"`{where}` — read from the running code")
                tab.code(source, language="python", line_numbers=True)
