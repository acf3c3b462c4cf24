"""ProgressCache: bounded, shared, and one computation per key even when many sessions ask at once."""

import threading

import pytest

from ui.progress_cache import ProgressCache


def _ask_together(cache, compute, n=8):
    """n threads ask for the same key at the same moment; returns their results (or exceptions)."""
    start, results = threading.Barrier(n), [None] * n

    def ask(i):
        start.wait()
        try:
            results[i] = cache.get_or_run("tsne", compute, "t-SNE")
        except Exception as error:  # noqa: BLE001 — collected for the assertion
            results[i] = error

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_many_sessions_asking_at_once_share_one_computation():
    calls, release = [], threading.Event()

    def compute(report):
        calls.append(1)
        release.wait(5)  # hold the first computation until everyone has asked
        return object()

    cache = ProgressCache(max_entries=4)
    threading.Timer(0.3, release.set).start()
    results = _ask_together(cache, compute)
    assert len(calls) == 1
    assert all(r is results[0] for r in results)


def test_a_failed_computation_is_retried_by_a_waiting_session():
    calls = []

    def compute(report):
        calls.append(1)
        if len(calls) == 1:
            raise ValueError("the first try fails")
        return "ok"

    results = _ask_together(ProgressCache(max_entries=4), compute, n=4)
    assert sum(isinstance(r, ValueError) for r in results) == 1
    assert results.count("ok") == 3 and len(calls) == 2


def test_least_recently_used_results_leave_first():
    cache = ProgressCache(max_entries=2)
    for key in "abc":
        cache.get_or_run(key, lambda report, key=key: key.upper(), "run")
    assert "a" not in cache and "b" in cache and "c" in cache
    with pytest.raises(RuntimeError):
        cache.get_or_run("d", lambda report: (_ for _ in ()).throw(RuntimeError("boom")), "run")
    assert "d" not in cache
