"""A small shared cache for long computations that show a progress bar while they run.

``st.cache_resource`` records the elements a cached function draws and replays them on later hits; a progress
bar updated through a placeholder cannot be replayed (Streamlit raises ``CacheReplayClosureError``). So finished
results live here instead: bounded, least recently used first out, shared by every session like
``cache_resource`` (results must not be mutated by a page).

Like ``cache_resource``, a result is computed once even when many sessions ask for it at the same moment (a
class opening the same lesson step): the first computes, the others wait for it instead of each repeating it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable

import streamlit as st


class ProgressCache:
    """``get_or_run(key, compute, label, preview)`` returns the cached result for ``key``, or runs
    ``compute(report)`` with ``report(done, total)`` driving a progress bar, keeps the result and returns it.
    A report with more arguments (``report(done, total, *extra)``: a t-SNE's map so far) also calls
    ``preview(done, total, *extra)``, which may draw them."""

    def __init__(self, max_entries: int):
        self.max_entries = max_entries
        self._results: OrderedDict = OrderedDict()
        self._running: dict = {}  # key -> Event set when the session computing it is done (or failed)
        self._lock = threading.Lock()

    def get_or_run(self, key, compute: Callable, label: str, preview: Callable | None = None):
        with self._lock:
            if key in self._results:
                self._results.move_to_end(key)
                return self._results[key]
            done = self._running.get(key)
            if done is None:
                done = self._running[key] = threading.Event()
                owner = True
            else:
                owner = False
        if not owner:
            with st.spinner(f"{label}: another viewer started this same run a moment ago; waiting for it…"):
                done.wait()
            return self.get_or_run(key, compute, label, preview)  # its result, or (if it failed) our own try
        try:
            bar = st.progress(0.0, text=label)

            def report(n, total, *extra):
                bar.progress(min(n / max(total, 1), 1.0), text=f"{label} {n} of {total}")
                if extra and preview is not None:
                    preview(n, total, *extra)
            try:
                result = compute(report)
            finally:
                bar.empty()
            with self._lock:
                self._results[key] = result
                while len(self._results) > self.max_entries:
                    self._results.popitem(last=False)
            return result
        finally:
            with self._lock:
                self._running.pop(key, None)
            done.set()

    def __contains__(self, key) -> bool:
        with self._lock:
            return key in self._results
