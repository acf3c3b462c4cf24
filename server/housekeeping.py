"""Server housekeeping for many sessions in one process: garbage collection, memory returned to the system,
and turn-taking between threads. Measured with ``make load`` (docs/performance.md); nothing here changes a result.

State lives in this module, not in ``app.py``: Streamlit re-executes the main script on every run, so a
module-level variable there starts afresh each time (an earlier "collect at most every 10 s" in app.py
therefore never collected at all).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
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
#: Blocks from this size (bytes) up get their own memory map, handed back to the system the moment they are
#: freed. glibc's default starts at 128 KB but raises itself up to 32 MB each time such a block is freed, after
#: which NumPy's big temporaries (a t-SNE's N×N matrices, a network's grid activations) come from the heap and
#: leave it fragmented: under random load the server grew by ~1.5 MB/s, and dropping cached views gave back
#: almost nothing (74 entries: 21 MB). A fixed threshold: 413 → 497 MB in 70 s of the same load, against 450 → 562.
MMAP_THRESHOLD = 512 * 1024
_M_ARENA_MAX, _M_MMAP_THRESHOLD = -8, -3  # mallopt's parameter numbers (glibc malloc.h)
#: CPython starts a full (oldest-generation) collection by itself after every 10 collections of the middle one
#: once enough objects have survived: under a random-values class that was one every ~3.5 s, each stopping every
#: thread for 20–480 ms (42 in 150 s, 5.2 s in all, timed with ``gc.callbacks``). Full collections are left to
#: ``collect_now_and_then`` (every GC_EVERY s); the young generations are collected as usual.
FULL_COLLECTION_THRESHOLD = 1_000_000

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
    """Once per server: threads take turns sooner; full collections only on schedule; malloc keeps few arenas
    and maps big blocks on their own."""
    sys.setswitchinterval(SWITCH_INTERVAL)
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_THRESHOLD)
    libc = _glibc()
    if libc is not None:
        libc.mallopt(_M_ARENA_MAX, MALLOC_ARENAS)
        libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)


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
    release_memory()
    if first:
        gc.freeze()
    return True


def release_memory() -> None:
    """A full collection, then freed memory handed back to the system (``malloc_trim``)."""
    gc.collect()
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


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
