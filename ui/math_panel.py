"""The "Math & code" panel: the equations on screen beside the exact source that computed the picture.

The code is read from the functions themselves with ``inspect``, so it can never drift from what runs.
"""

from __future__ import annotations

import inspect
import threading
from functools import lru_cache
from pathlib import Path

import streamlit as st

from ui.params import MATH_KEY
from ui.registry import ROOT


def latex_vector(values) -> str:
    """A column vector of numbers as LaTeX, e.g. for substituting a step's values into an equation."""
    return r"\begin{pmatrix}" + r" \\ ".join(f"{float(v):.4g}" for v in values) + r"\end{pmatrix}"


#: Streamlit lets a display equation wider than its column scroll sideways, but paints the scrollbar
#: transparent: the equation looks cut off. In the Math & code panel the scrollbar shows, so a reader sees there
#: is more (pages keep their lines narrow enough not to need it: ~330 px for the math column at 1280 px).
EQUATION_CSS = """<style>
.st-key-math-equations .katex-display { overflow-x: auto; overflow-y: hidden; padding-bottom: 4px;
    scrollbar-width: thin; scrollbar-color: rgba(49, 51, 63, 0.35) transparent; }
.st-key-math-equations .katex-display > .katex { padding: 0 3px; }  /* ink past a formula's box (a slanted
    last letter, a tall bar) would otherwise make a 2-px scroll */
</style>"""


#: A source longer than this many lines (a whole class, ~200 for PCA) scrolls inside a box of CODE_HEIGHT px,
#: about a screen's height, instead of making the panel thousands of pixels tall beside a few equations.
CODE_LINES, CODE_HEIGHT = 40, 560


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


def code_height(source: str):
    """The height of ``source``'s code box: its own up to :data:`CODE_LINES` lines, else :data:`CODE_HEIGHT`."""
    return CODE_HEIGHT if source.count("\n") + 1 > CODE_LINES else "content"


def math_panel():
    """The "Math & code" panel, a page's one: open, as the app's idea wants the math and the code beside the
    picture; a reader who closes it puts that in the link (``?math=false``). Returns its container when open,
    else None, and then nothing of it is computed or sent (no typesetting, no source highlighting)."""
    panel = st.expander("Math & code", expanded=True, icon="🧮", key=MATH_KEY, bind="query-params")
    return panel if panel.open else None


def math_and_code(equations: list[str], code: list, *, notes: list[str] | None = None, panel=None) -> None:
    """Equations (LaTeX) on the left, the source of each ``core`` object in ``code`` on the right, in the
    :func:`math_panel` (``panel``: one the page opened already, with controls of its own above), if it is open."""
    panel = math_panel() if panel is None else panel
    if panel is None:
        return
    with panel:
        math_col, code_col = st.columns([5, 6], gap="large")
        # (one panel a page: the key names its equations for the style above)
        with math_col, st.container(key="math-equations"):
            st.html(EQUATION_CSS)
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
                tab.code(source, language="python", line_numbers=True, height=code_height(source))
