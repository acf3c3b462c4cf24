"""Every page runs inside the router (``app.py``), even a fresh server's very first request.

While a ``pages/`` folder sits next to ``app.py``, Streamlit 1.67 answers a new server process's first request in
its legacy multipage mode: a direct link such as ``/optimizers`` runs ``pages/optimizers.py`` on its own, without
``app.py`` — no page config, no worker pool, no sidebar, navigation labels made from file names — until some run
calls ``st.navigation`` (see ``../shared/STREAMLIT_NOTES.md``). The page files are therefore named for their url
paths (so that legacy mode finds the right file) and each starts with :func:`enter_through_router`, which hands a
run that did not come through the router to ``app.py``. ``app.py`` then calls ``st.navigation`` (which ends legacy
mode for the whole process), and the navigation runs this same page again, inside the router. Public APIs only:
the flag is ours, set by the router around the page it runs.
"""

from __future__ import annotations

import runpy
import threading
from contextlib import contextmanager
from pathlib import Path

import streamlit as st

APP = Path(__file__).resolve().parent.parent / "app.py"
_run = threading.local()  # each session's script runs on its own thread; a page runs inside its router's run


@contextmanager
def routed():
    """Mark the page run inside this block as having come through the router."""
    _run.routed = True
    try:
        yield
    finally:
        _run.routed = False


def came_through_router() -> bool:
    return getattr(_run, "routed", False)


def enter_through_router() -> None:
    """First line of every page: if this run did not come through ``app.py``, run ``app.py`` instead and stop."""
    if came_through_router():
        return
    runpy.run_path(str(APP), run_name="__main__")
    st.stop()
