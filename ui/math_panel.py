"""The "Math & code" panel: the equations on screen beside the exact source that computed the picture.

The code is read from the functions themselves with ``inspect``, so it can never drift from what runs.
"""

from __future__ import annotations

import inspect
import threading
from functools import lru_cache
from pathlib import Path

import streamlit as st

from ui.registry import ROOT


def latex_vector(values) -> str:
    """A column vector of numbers as LaTeX, e.g. for substituting a step's values into an equation."""
    return r"\begin{pmatrix}" + r" \\ ".join(f"{float(v):.4g}" for v in values) + r"\end{pmatrix}"


#: One source read at a time. ``inspect.getsource`` of a class parses its whole module with ``ast.parse``, and
#: CPython 3.11's AST constructor keeps its recursion count in state shared by all threads: two sessions
#: reading sources at once can fail with "SystemError: AST constructor recursion depth mismatch" (seen once
#: in ``make load``; python/cpython#106905).
_reading = threading.Lock()


def source_of(obj) -> tuple[str, str]:
    """``(where, source)`` of a function or class, e.g. ``("core/linear_model.py · mse_gradient", "def …")``."""
    with _reading:
        return _source_of(obj)


@lru_cache(maxsize=512)  # reading and parsing source files cost ~10 ms a function on every rerun
def _source_of(obj) -> tuple[str, str]:
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
                try:
                    where, source = source_of(obj)
                except (OSError, TypeError, SystemError):  # no source file (a zipped install), or a failed parse
                    tab.caption(f"The source of `{obj.__qualname__}` could not be read here; the equations "
                                "beside it still hold.")
                    continue
                tab.caption(f"`{where}` — read from the running code")
                tab.code(source, language="python", line_numbers=True)
