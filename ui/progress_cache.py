"""A small shared cache for long computations that show a progress bar while they run.

``st.cache_resource`` records the elements a cached function draws and replays them on later hits; a progress
bar updated through a placeholder cannot be replayed (Streamlit raises ``CacheReplayClosureError``). So finished
results live here instead: bounded, least recently used first out, shared by every session like
``cache_resource`` (results must not be mutated by a page).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable

import streamlit as st


class ProgressCache:
    """``get_or_run(key, compute, label)`` returns the cached result for ``key``, or runs
    ``compute(report)`` with ``report(done, total)`` driving a progress bar, keeps the result and returns it."""

    def __init__(self, max_entries: int):
        self.max_entries = max_entries
        self._results: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get_or_run(self, key, compute: Callable, label: str):
        with self._lock:
            if key in self._results:
                self._results.move_to_end(key)
                return self._results[key]
        bar = st.progress(0.0, text=label)
        try:
            result = compute(lambda done, total: bar.progress(min(done / max(total, 1), 1.0),
                                                              text=f"{label} {done} of {total}"))
        finally:
            bar.empty()
        with self._lock:
            self._results[key] = result
            while len(self._results) > self.max_entries:
                self._results.popitem(last=False)
        return result

    def __contains__(self, key) -> bool:
        with self._lock:
            return key in self._results
