"""Long computations in a worker process, so that they run on the server's second core.

Every session's script runs in one Python process, and its threads share one interpreter lock: under load the
whole server used about one core of two (``make load``: 0.93–1.06 cores), and a network training or a t-SNE
made every cached rerun of every other session wait behind it. Here such a computation runs in a separate
Python process instead (``python -m ui.workers``), which computes while the server keeps answering.

- :func:`run_heavy` is the one entry point. In a Streamlit server with workers enabled it sends the call to a
  worker; anywhere else (tests, AppTest, a notebook, ``ML_EXPLORER_WORKERS=0``) it runs the call here, one at a
  time (:func:`ui.housekeeping.one_heavy_at_a_time`). The result is the same either way.
- The call travels by pickle, so ``fn`` must be a module-level function of plain values and arrays (see
  ``explorers/jobs.py``) and its result must pickle. The worker imports only what ``fn`` needs (``core``, NumPy,
  scikit-learn for the calibration models and the decision-boundary comparison, Plotly for a job that draws):
  no Streamlit, and no pandas (:func:`keep_out_dataframes`).
- Progress: a job that takes ``report`` gets a ``report(done, total)`` that sends a message back; the waiting
  script thread passes it on to its progress bar.
- Short jobs first: a free worker goes to the waiting job expected to finish soonest (each kind of job's
  recent run time, :attr:`WorkerPool.expected`), less one second for every second it has waited, so a
  calibration fit (~0.2 s) does not queue behind a t-SNE (~1.5 s) and no job waits for ever. A visitor who
  moves on does not keep the worker busy: a waiting script checks every ``POLL_S`` whether Streamlit has stopped it (:func:`script_yield`); a stopped
  script's job is never sent. A job that reports progress and whose script stops while it runs is cancelled at
  its next report (a t-SNE: within 10 iterations) instead of running to its end for nobody.

Why not :class:`concurrent.futures.ProcessPoolExecutor`: it cannot stream progress messages back to the caller
while the job runs, and ``multiprocessing`` starts its children by re-running the parent's ``__main__`` (for
``streamlit run``, the Streamlit command line: a second copy of Streamlit in every worker). A child started
with ``python -m ui.workers`` and :mod:`multiprocessing.connection`'s framed pickles over two pipes is small.
"""

from __future__ import annotations

import functools
import os
import pickle
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

from ui.housekeeping import one_heavy_at_a_time

#: Environment variable: how many worker processes a server starts (0 runs every computation in the server).
WORKERS_ENV = "ML_EXPLORER_WORKERS"
#: A worker with no job for this long (s) exits, handing its memory back (~50 MB idle, 120 MB once it has
#: imported scikit-learn); the next job starts a new one (~0.5 s). A class on a warmed server asks for none.
IDLE_EXIT_S = 30.0
#: The exit status of a worker that left because it was idle (a job sent at that moment is sent again).
IDLE_EXIT_CODE = 75
#: The worker's scheduling priority below the server's (``nice``): a cached rerun, which a visitor waits on
#: while it draws, gets a core before a long computation does; the computation takes whatever is left.
WORKER_NICENESS = 10
#: How often (s) a script waiting for a worker checks whether its visitor has moved on (:func:`script_yield`).
POLL_S = 0.2
#: Expected run time (s) of a kind of job not run yet; then the average of its recent runs (weight ``NEWEST``
#: for the newest).
FIRST_GUESS_S = 1.0
NEWEST = 0.3
#: The message that cancels the running job (read by its ``report``; a stray one between jobs is ignored).
CANCEL = "cancel"
#: Libraries a worker process keeps out (``keep_out_dataframes``).
KEPT_OUT = ("pandas", "pyarrow")
ROOT = Path(__file__).resolve().parent.parent


class WorkerDied(RuntimeError):
    """The worker process ended in the middle of a job (killed, or out of memory)."""


class JobCancelled(Exception):
    """Raised inside a worker's job, at its next ``report``, when the script waiting for it has stopped."""


class RemoteTraceback(Exception):
    """The worker's traceback, chained to the re-raised exception so a log shows where it happened."""

    def __str__(self) -> str:
        return self.args[0]


def default_workers() -> int:
    """Workers a server starts: ``ML_EXPLORER_WORKERS`` if set, else one when two cores are available."""
    value = os.environ.get(WORKERS_ENV, "").strip()
    if value:
        try:
            return max(0, min(int(value), 8))
        except ValueError:
            return 0
    if os.name != "posix":  # the pipes are handed over with pass_fds (POSIX only)
        return 0
    return 1 if available_cores() >= 2 else 0


def available_cores(cgroup: Path = Path("/sys/fs/cgroup")) -> float:
    """The cores this process may use: the CPUs it may run on, capped by its container's CPU quota (a hosted
    container may see every core of its host but be allowed only a share of one)."""
    cores = float(len(os.sched_getaffinity(0)))
    try:  # cgroup v2: "max 100000" or "<quota> <period>" in microseconds
        quota, period = (cgroup / "cpu.max").read_text().split()[:2]
    except (OSError, ValueError):
        try:  # cgroup v1: a quota of -1 means none
            quota = (cgroup / "cpu" / "cpu.cfs_quota_us").read_text().strip()
            period = (cgroup / "cpu" / "cpu.cfs_period_us").read_text().strip()
        except OSError:
            return cores
    try:
        if quota in ("max", "-1"):
            return cores
        return min(cores, int(quota) / int(period))
    except (ValueError, ZeroDivisionError):
        return cores


@dataclass
class _Turn:
    """A script's place in the line for a worker: ``ready`` is set once ``worker`` is its."""
    expected: float  # seconds its job is expected to take
    since: float = field(default_factory=time.monotonic)
    ready: threading.Event = field(default_factory=threading.Event)
    worker: "_Worker | None" = None

    def urgency(self, now: float) -> float:
        """Lower goes first: the expected run time less the time waited (shortest first, and none starves)."""
        return self.expected - (now - self.since)


@dataclass
class _Worker:
    process: subprocess.Popen
    to_worker: Connection
    from_worker: Connection


class WorkerPool:
    """``workers`` processes, each running one job at a time; :meth:`run` waits for a free one (shortest
    expected job first, see the module's notes)."""

    def __init__(self, workers: int = 1, idle_exit: float = IDLE_EXIT_S):
        if workers < 1:
            raise ValueError("a pool needs at least one worker")
        self.idle_exit = idle_exit
        self._free: list[_Worker] = []
        self._waiting: list[_Turn] = []  # scripts waiting for a worker
        self.expected: dict[str, float] = {}  # "module.function" -> recent run time of that job (s)
        self._all: list[_Worker] = []
        self._lock = threading.Lock()
        for _ in range(workers):
            self._free.append(self._start())

    def _start(self) -> _Worker:
        down_r, down_w = os.pipe()  # server -> worker
        up_r, up_w = os.pipe()      # worker -> server
        process = subprocess.Popen([sys.executable, "-m", "ui.workers", str(down_r), str(up_w), str(self.idle_exit)],
                                   cwd=ROOT, pass_fds=(down_r, up_w), stdin=subprocess.DEVNULL)
        os.close(down_r)
        os.close(up_w)
        worker = _Worker(process, Connection(down_w, readable=False), Connection(up_r, writable=False))
        with self._lock:
            self._all.append(worker)
        return worker

    def pids(self) -> list[int]:
        with self._lock:
            return [w.process.pid for w in self._all if w.process.poll() is None]

    def run(self, fn, *args, report=None, still_wanted=None, **kwargs):
        """``fn(*args, **kwargs)`` (plus ``report=`` when given) in a worker: its result, or its exception.

        ``still_wanted()``, if given, is called every ``POLL_S`` while the job waits for a worker and raises
        once the caller has given up (Streamlit stopped its script): the job is then never sent."""
        kind = _kind(fn)
        worker = self._acquire(still_wanted, self.expected.get(kind, FIRST_GUESS_S))
        try:
            for attempt in range(2):
                if worker.process.poll() is not None:  # it left while idle: start another
                    worker = self._replace(worker)
                try:
                    started = time.monotonic()
                    worker.to_worker.send((fn, args, kwargs, report is not None))
                    result = self._wait(worker, report)
                    self._learn(kind, time.monotonic() - started)
                    return result
                except (EOFError, OSError):
                    # It left for idleness just as the job was sent (the job never started): send it again.
                    if attempt == 0 and _exit_code(worker) == IDLE_EXIT_CODE:
                        continue
                    raise
        except (EOFError, OSError) as exc:  # the pipe closed: the worker is gone
            worker = self._replace(worker)
            raise WorkerDied("The computation stopped: its worker process ended (it may have run out of memory). "
                             "Try smaller settings.") from exc
        except _Interrupted as stop:
            # The script was stopped (the user changed a control) while the worker still computes: cancel the
            # job (it stops at its next report), read its last messages in the background, then hand the
            # worker to the next caller.
            threading.Thread(target=self._drain, args=(worker, True), daemon=True).start()
            worker = None
            raise stop.cause
        finally:
            if worker is not None:
                self._release(worker)

    def _acquire(self, still_wanted, expected: float) -> _Worker:
        """A free worker, when this job's turn comes; raises what ``still_wanted`` raises (the caller gave up),
        leaving its place in the line."""
        with self._lock:
            if self._free and not self._waiting:
                return self._free.pop()
            turn = _Turn(expected)
            self._waiting.append(turn)
        try:
            while not turn.ready.wait(POLL_S if still_wanted is not None else None):
                still_wanted()
        except BaseException:
            with self._lock:
                if turn.worker is None:  # still in line: leave it
                    self._waiting.remove(turn)
                    raise
            self._release(turn.worker)  # a worker arrived just as we gave up: pass it on
            raise
        return turn.worker

    def _release(self, worker: _Worker) -> None:
        """The worker to the waiting job whose turn it is, or back to the free list."""
        with self._lock:
            if self._waiting:
                now = time.monotonic()
                turn = min(self._waiting, key=lambda t: t.urgency(now))  # the first such: the oldest on a tie
                self._waiting.remove(turn)
                turn.worker = worker
                turn.ready.set()
            else:
                self._free.append(worker)

    @staticmethod
    def _wait(worker: _Worker, report):
        while True:
            kind, *payload = worker.from_worker.recv()
            if kind == "progress":
                try:
                    report(*payload)
                except BaseException as exc:  # Streamlit stops a script by raising inside its calls
                    raise _Interrupted(exc) from None
            elif kind == "done":
                return payload[0]
            else:
                exc, text = payload
                raise exc from RemoteTraceback(text)

    def _learn(self, kind: str, seconds: float) -> None:
        with self._lock:
            before = self.expected.get(kind)
            self.expected[kind] = seconds if before is None else (1 - NEWEST) * before + NEWEST * seconds

    def _drain(self, worker: _Worker, cancel: bool = False) -> None:
        try:
            if cancel:
                worker.to_worker.send(CANCEL)
            while worker.from_worker.recv()[0] == "progress":
                pass
        except (EOFError, OSError):
            pass  # it died: the next run() finds it gone and starts another
        self._release(worker)  # always back in the pool, or the pool would lose it for good

    def _replace(self, worker: _Worker) -> _Worker:
        worker.process.kill()
        worker.process.wait()
        for conn in (worker.to_worker, worker.from_worker):
            conn.close()
        with self._lock:
            if worker in self._all:
                self._all.remove(worker)
        return self._start()

    def retire_idle(self) -> int:
        """Let every idle worker leave now (the next job starts another, ~0.5 s); returns how many left.

        For the end of the server's warm-up: a worker holds its imports and the heap of the last job (80–180 MB)
        for ``idle_exit`` more seconds, just as a class arrives, and a warmed class asks it for nothing.
        """
        with self._lock:
            idle, self._free = self._free, []
        retired = 0
        for worker in idle:
            if worker.process.poll() is None:
                worker.to_worker.close()  # its recv() ends: it exits (run() replaces an exited worker)
                retired += _exit_code(worker) is not None
            self._release(worker)
        return retired

    def close(self) -> None:
        with self._lock:
            workers, self._all = self._all, []
        for worker in workers:
            worker.to_worker.close()  # the worker's recv() ends: it exits
            try:
                worker.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                worker.process.kill()
            worker.from_worker.close()


def _kind(fn) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


def _exit_code(worker: _Worker) -> int | None:
    try:
        return worker.process.wait(timeout=5)
    except subprocess.TimeoutExpired:  # the pipe broke but the process lingers: it is gone for us all the same
        return None


class _Interrupted(Exception):
    def __init__(self, cause: BaseException):
        super().__init__()
        self.cause = cause


# ------------------------------------------------------------------------------------------- the server's pool

_pool: list[WorkerPool | None] = []
_pool_lock = threading.Lock()


def server_pool() -> WorkerPool | None:
    """The running server's pool, started at the first call; None outside a server or with 0 workers."""
    if _pool:  # decided already (every run of app.py asks)
        return _pool[0]
    from ui.warmup import in_server  # Streamlit's runtime; imported here so a worker never loads Streamlit

    with _pool_lock:
        if not _pool:
            workers = default_workers() if in_server() else 0
            _pool.append(WorkerPool(workers) if workers else None)
        return _pool[0]


def run_heavy(fn, *args, report=None, **kwargs):
    """A long computation: in the server's worker process when it has one, else here, one at a time."""
    pool = server_pool()
    if pool is None:
        with one_heavy_at_a_time():
            return fn(*args, **kwargs) if report is None else fn(*args, report=report, **kwargs)
    return pool.run(fn, *args, report=report, still_wanted=script_yield, **kwargs)


def script_yield() -> None:
    """A point where Streamlit may stop the calling script: raises its stop (or rerun) exception if the visitor
    has moved on (changed a control, left the page); else, and outside a script run, does nothing.

    Streamlit checks for such requests whenever a script draws or touches ``st.session_state``; a script
    blocked waiting for a worker does neither, so it asks here."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    if get_script_run_ctx(suppress_warning=True) is None:
        return
    import streamlit as st

    "_" in st.session_state  # noqa: B015  (the membership test is Streamlit's check for a stop request)


def _picklable(exc: BaseException) -> BaseException:
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")


def serve(inbox: Connection, outbox: Connection, idle_exit: float = 0.0) -> int:
    """The worker's loop: run each job sent, answer with its result or its exception, until the server leaves
    (0) or no job came for ``idle_exit`` seconds (IDLE_EXIT_CODE; 0 s waits for ever)."""
    from ui.housekeeping import release_memory  # importing it tuned this process too (tune_process)

    import explorers.jobs  # noqa: F401  (what most jobs need, imported before the first one arrives)
    import core.training  # noqa: F401

    while True:
        try:
            if idle_exit > 0 and not inbox.poll(idle_exit):
                return IDLE_EXIT_CODE
            job = inbox.recv()
        except (EOFError, OSError):
            return 0
        if job == CANCEL:  # it came after its job had ended: nothing to cancel
            continue
        fn, args, kwargs, wants_report = job
        if wants_report:
            kwargs["report"] = functools.partial(_report, inbox, outbox)
        try:
            message = ("done", fn(*args, **kwargs))
        except JobCancelled:
            message = ("cancelled",)
        except Exception as exc:
            message = ("error", _picklable(exc), traceback.format_exc())
        try:
            outbox.send(message)
        except Exception as exc:  # the result itself would not pickle
            outbox.send(("error", RuntimeError(f"the result could not be sent back: {exc}"), traceback.format_exc()))
        del message
        release_memory()  # hand a big job's memory back to the system at once


def _report(inbox: Connection, outbox: Connection, done, total) -> None:
    """A job's ``report``: the progress to the server; raises JobCancelled if the server has cancelled the job
    (while a job runs, the only message the server sends is ``CANCEL``)."""
    outbox.send(("progress", done, total))
    if inbox.poll():
        inbox.recv()
        raise JobCancelled


class _KeptOut:
    """An import hook that answers ``import pandas`` (or pyarrow) as if it were not installed."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        if name.partition(".")[0] in KEPT_OUT:
            raise ModuleNotFoundError(f"No module named {name!r} (kept out of the worker)", name=name)
        return None  # anything else: the next finder


def keep_out_dataframes() -> None:
    """Make ``import pandas`` (and ``pyarrow``) fail in this process, as if they were not installed.

    Jobs take and return arrays, but scikit-learn imports pandas whenever it can, and pandas imports pyarrow:
    ~65 MB that a worker would hold for nothing (129 MB with scikit-learn's models, against 193 MB).
    scikit-learn and narwhals treat the failed import as "no pandas" and work on arrays as before. (A ``None``
    in ``sys.modules`` would not do: scikit-learn takes any entry there for the module.)"""
    if not any(finder is _KeptOut for finder in sys.meta_path):
        sys.meta_path.insert(0, _KeptOut)


if __name__ == "__main__":
    keep_out_dataframes()
    os.nice(WORKER_NICENESS)
    try:
        sys.exit(serve(Connection(int(sys.argv[1]), writable=False), Connection(int(sys.argv[2]), readable=False),
                       float(sys.argv[3])))
    except KeyboardInterrupt:  # Ctrl-C in the terminal reaches the whole process group
        pass
