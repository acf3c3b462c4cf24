"""Server housekeeping for many sessions in one process: garbage collection, memory returned to the system,
and turn-taking between threads. Measured with ``make load`` (README "Load"); nothing here changes a result.

State lives in this module, not in ``app.py``: Streamlit re-executes the main script on every run, so a
module-level variable there starts afresh each time (an earlier "collect at most every 10 s" in app.py
therefore never collected at all).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
import os
import sys
import threading
import time

#: A full garbage collection at most this often (seconds) instead of after every script run.
GC_EVERY = 10.0
#: How long (s) a thread may hold the GIL while another waits for it (CPython's default is 5 ms). Every element
#: a script draws wakes the server's event loop with a system call, after which the script thread must win the
#: GIL back; behind another session's computation that wait was the default 5 ms each time, for about 100
#: elements a run (py-spy: a quarter of the script threads' samples).
SWITCH_INTERVAL = 0.0005
#: glibc's malloc gives each thread that allocates its own arena (up to 8 per core); with a script thread per
#: session, freed memory stays spread over many arenas and the process's RSS only grows. Two suffice here.
MALLOC_ARENAS = 2
_M_ARENA_MAX = -8  # mallopt's parameter number (glibc malloc.h)

#: Above this resident memory (MB) the server drops the least recently used half of every bounded cache's
#: entries. With every preset and lesson view cached it sits at 460–530 MB; a class trying random values adds
#: ~1.5 MB/s of new cached views, up to 660 MB in 2 minutes (the load goal is 600 MB, and Community Cloud's
#: smallest tier has 690 MB). Least recently used first: the lesson step the class is on stays.
MEMORY_SOFT_LIMIT_MB = 540.0

_lock = threading.Lock()
_heavy = threading.Lock()
_last_collect = [time.monotonic()]
_frozen = [False]
_libc = None


def _glibc():
    """The C library if it is glibc (``mallopt``/``malloc_trim`` exist), else None (macOS, musl, Windows)."""
    global _libc
    if _libc is None:
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            _libc = libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else False
        except OSError:
            _libc = False
    return _libc or None


def tune_process() -> None:
    """Once per server: threads take turns sooner, and malloc keeps few arenas."""
    sys.setswitchinterval(SWITCH_INTERVAL)
    libc = _glibc()
    if libc is not None:
        libc.mallopt(_M_ARENA_MAX, MALLOC_ARENAS)


def collect_now_and_then(clock=time.monotonic) -> bool:
    """A full collection if none ran in the last GC_EVERY seconds; True if this call ran one.

    Streamlit's own ``gc.collect(2)`` after every run (``runner.postScriptGC``, off in config.toml) walked every
    cached figure and model each time: over half the server's CPU with 30 sessions. Cyclic garbage (Plotly
    figures hold parent links) must still be collected, and the memory freed handed back to the system
    (``malloc_trim``), or the server's memory only grows.

    The first call (at the end of the server's first run, when the app's modules are imported) also freezes
    what exists then (``gc.freeze``): modules, classes and functions are never garbage, and leaving them out
    of every later collection cut its pause from ~0.3 s to ~0.1 s.
    """
    with _lock:
        first = not _frozen[0]
        if not first and clock() - _last_collect[0] < GC_EVERY:
            return False
        _last_collect[0] = clock()
        _frozen[0] = True
    gc.collect()
    if first:
        gc.freeze()
    _give_back()
    if in_server() and rss_mb() > MEMORY_SOFT_LIMIT_MB and trim_caches(0.5):  # (a test process's memory is not ours)
        gc.collect()
        _give_back()
    return True


def in_server() -> bool:
    """True in a real ``streamlit run`` (AppTest runs pages with a stand-in Runtime, and nothing listens)."""
    from streamlit.runtime import Runtime

    return Runtime.exists() and type(Runtime.instance()) is Runtime


def _give_back() -> None:
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


def rss_mb() -> float:
    """This process's resident memory in MB (0 where /proc is missing)."""
    try:
        with open("/proc/self/statm") as f:
            resident_pages = int(f.read().split()[1])
    except (OSError, ValueError, IndexError):
        return 0.0
    return resident_pages * (os.sysconf("SC_PAGE_SIZE") / 1e6)


def trim_caches(fraction: float) -> int:
    """Drop the least recently used ``fraction`` of the entries of every bounded ``st.cache_resource`` cache
    (unbounded ones are singletons: a shared results store, the uploads); returns how many were dropped.

    Streamlit has no public way to shrink a cache; this pops entries the way its own ``max_entries`` eviction
    does (``TTLCleanupCache.popitem`` under the cache's lock, so release hooks run). Checked by a test against
    the pinned Streamlit version.
    """
    from streamlit.runtime.caching.cache_resource_api import _resource_caches

    with _resource_caches._caches_lock:
        caches = [cache for by_key in _resource_caches._function_caches.values() for cache in by_key.values()]
    dropped = 0
    for cache in caches:
        entries, lock = getattr(cache, "_mem_cache", None), getattr(cache, "_mem_cache_lock", None)
        if entries is None or lock is None or entries.maxsize == float("inf"):
            continue
        with lock:
            for _ in range(int(len(entries) * fraction)):
                entries.popitem()
                dropped += 1
    return dropped


@contextlib.contextmanager
def one_heavy_at_a_time():
    """Run a long computation (training, t-SNE, a sweep) only when no other session is running one.

    Every session's script shares one interpreter lock, so twenty cold views started together each got a
    twentieth of a core: all twenty finished late (a 2-s t-SNE took 50 s), and so did every cheap cached rerun
    behind them. Queued instead, the computations finish one after another and cached views keep their turn.
    Only wrap leaf work that waits for nothing else (no cached function inside), so this cannot deadlock.
    """
    with _heavy:
        yield


tune_process()  # on first import: once per server process
