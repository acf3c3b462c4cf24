"""Long computations in a worker process, so that they run on the server's second core.

Every session's script runs in one Python process, and its threads share one interpreter lock: under load the
whole server used about one core of two (``make load``: 0.93–1.06 cores), and a network training or a t-SNE
made every cached rerun of every other session wait behind it. Here such a computation runs in a separate
Python process instead (``python -m server.workers``), which computes while the server keeps answering.

- :func:`run_heavy` is the one entry point. In a Streamlit server with workers enabled it sends the call to a
  worker; anywhere else (tests, AppTest, a notebook, ``ML_EXPLORER_WORKERS=0``) it runs the call here, one at a
  time (:func:`server.housekeeping.one_heavy_at_a_time`). The result is the same either way.
- The call travels by pickle, so ``fn`` must be a module-level function of plain values and arrays (see
  ``explorers/jobs.py``) and its result must pickle. The worker imports only what ``fn`` needs (``core``, NumPy,
  scikit-learn for the calibration models and the decision-boundary comparison, Plotly for a job that draws):
  no Streamlit, and no pandas (:func:`keep_out_dataframes`).
- Progress: a job that takes ``report`` gets a ``report(done, total, *extra)`` that sends a message back; the
  waiting script thread passes it on to its progress bar (``extra``: a t-SNE's map so far, drawn as it runs).
- Short jobs first: a free worker goes to the waiting job expected to finish soonest (each kind of job's
  recent run time, :attr:`WorkerPool.expected`), less one second for every second it has waited, so a
  calibration fit (~0.2 s) does not queue behind a t-SNE (~1.5 s) and no job waits for ever. And a job need
  not wait for a long one that reports progress at all if it is short (expected to take at most ``NEST_MAX_S``)
  or would end before the long one (its remaining time, from the share it reported done): it is sent to the
  busy worker, which runs it at the long job's next report (a t-SNE reports every 10 iterations), then goes on
  with the long one. So a training asked for during a t-SNE's first second does not wait for the t-SNE.
- A visitor who moves on does not keep the worker busy: a waiting script checks every ``POLL_S`` whether
  Streamlit has stopped it (:func:`script_yield`); a stopped script's job is never sent. A job that reports
  progress and whose script stops while it runs is cancelled at its next report (a t-SNE: within 10
  iterations) instead of running to its end for nobody.
- Messages carry the job's number (two jobs may share a worker); one thread per worker reads its answers and
  hands each to the script waiting for it.

Why not :class:`concurrent.futures.ProcessPoolExecutor`: it cannot stream progress messages back to the caller
while the job runs, and ``multiprocessing`` starts its children by re-running the parent's ``__main__`` (for
``streamlit run``, the Streamlit command line: a second copy of Streamlit in every worker). A child started
with ``python -m server.workers`` and :mod:`multiprocessing.connection`'s framed pickles over two pipes is small.
"""

from __future__ import annotations

import functools
import importlib
import itertools
import os
import pickle
import queue
import subprocess
import sys
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

from server.housekeeping import one_heavy_at_a_time
from private_apis import script_yield

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
#: A job expected to take at most this long (s) may run inside a long job that reports progress (a longer one
#: only if it should end before that job: :meth:`WorkerPool._nestable`).
NEST_MAX_S = 0.5
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
    """A script's place in the line for a worker: ``ready`` is set once ``worker`` is its (``nested``: inside
    the long job that worker runs)."""
    expected: float  # seconds its job is expected to take
    reports: bool  # the job reports progress (a short job may run inside it)
    since: float = field(default_factory=time.monotonic)
    ready: threading.Event = field(default_factory=threading.Event)
    worker: "_Worker | None" = None
    nested: bool = False

    def urgency(self, now: float) -> float:
        """Lower goes first: the expected run time less the time waited (shortest first, and none starves)."""
        return self.expected - (now - self.since)


_GONE = ("gone", None)  # what a job waiting on a worker gets when the worker's pipe closes


@dataclass
class _Worker:
    process: subprocess.Popen
    to_worker: Connection
    from_worker: Connection
    replies: dict = field(default_factory=dict)  # job number -> queue of that job's messages
    busy: bool = False  # it runs a job (its "outer" job)
    outer_reports: bool = False  # ... which reports progress: a short job may run inside it
    outer_since: float = 0.0  # when that job started (time.monotonic)
    outer_expected: float = 0.0  # how long it was expected to take (s)
    outer_done: float = 0.0  # the share of it done, as last reported
    nested_since: float = 0.0  # when the job now inside it started
    nested_total: float = 0.0  # seconds jobs inside it have run so far
    nested: bool = False  # a short job runs inside it
    gone: bool = False  # its pipe closed
    sending: threading.Lock = field(default_factory=threading.Lock)

    def send(self, message) -> None:
        with self.sending:
            self.to_worker.send(message)

    def start_outer(self, reports: bool, expected: float) -> None:
        """(Under the pool's lock.) It is now running a job of its own (not one inside another)."""
        self.busy, self.outer_reports = True, reports
        self.outer_since, self.outer_expected, self.outer_done = time.monotonic(), expected, 0.0
        self.nested_total = 0.0

    def own_time(self, now: float) -> float:
        """How long its own job has run, not counting the jobs that ran inside it."""
        return now - self.outer_since - self.nested_total - (now - self.nested_since if self.nested else 0.0)

    def remaining(self, now: float) -> float:
        """How long its own job should still take: from the share it reported done, else from its expected time."""
        elapsed = self.own_time(now)
        if self.outer_done > 0:
            return elapsed * (1 - self.outer_done) / self.outer_done
        return self.outer_expected - elapsed

    def read(self) -> None:
        """Hand each answer to the queue of the job it is for, until the pipe closes; then tell every job."""
        try:
            while True:
                message = self.from_worker.recv()
                replies = self.replies.get(message[1])
                if replies is not None:
                    replies.put(message)
        except (EOFError, OSError):
            pass
        self.gone = True
        for replies in list(self.replies.values()):
            replies.put(_GONE)

    def expect(self, job: int) -> queue.SimpleQueue:
        self.replies[job] = replies = queue.SimpleQueue()
        if self.gone:  # it closed before we listened: the reader will not tell us
            replies.put(_GONE)
        return replies


class WorkerPool:
    """``workers`` processes, each running one job at a time (and perhaps a short one inside it); :meth:`run`
    waits for a free one (shortest expected job first, see the module's notes)."""

    def __init__(self, workers: int = 1, idle_exit: float = IDLE_EXIT_S, preload: tuple[str, ...] = ()):
        """``preload``: modules each worker imports before its first job (what most jobs need)."""
        if workers < 1:
            raise ValueError("a pool needs at least one worker")
        self.idle_exit = idle_exit
        self.preload = tuple(preload)
        self._free: list[_Worker] = []
        self._waiting: list[_Turn] = []  # scripts waiting for a worker
        self.expected: dict[str, float] = {}  # "module.function" -> recent run time of that job (s)
        self._all: list[_Worker] = []
        self._lock = threading.Lock()
        self._numbers = itertools.count(1)
        for _ in range(workers):
            self._free.append(self._start())

    def _start(self) -> _Worker:
        down_r, down_w = os.pipe()  # server -> worker
        up_r, up_w = os.pipe()      # worker -> server
        process = subprocess.Popen([sys.executable, "-m", "server.workers", str(down_r), str(up_w), str(self.idle_exit),
                                    *self.preload],
                                   cwd=ROOT, pass_fds=(down_r, up_w), stdin=subprocess.DEVNULL)
        os.close(down_r)
        os.close(up_w)
        worker = _Worker(process, Connection(down_w, readable=False), Connection(up_r, writable=False))
        threading.Thread(target=worker.read, name=f"worker-{process.pid}-answers", daemon=True).start()
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
        worker, nested = self._acquire(still_wanted, self.expected.get(_kind(fn), FIRST_GUESS_S), report is not None)
        return self._run_on(worker, nested, fn, args, kwargs, report)

    def run_if_free(self, fn, *args, **kwargs) -> tuple[bool, object]:
        """``(True, fn(*args, **kwargs))`` computed in a worker if one can start it at once — a free worker with
        nobody waiting, or a long job that reports, to run inside (:meth:`_nestable`) — else ``(False, None)``
        without waiting: the caller computes it itself."""
        with self._lock:
            slot = self._slot_now(self.expected.get(_kind(fn), FIRST_GUESS_S), False)
        if slot is None:
            return False, None
        worker, nested = slot
        if not nested and worker.process.poll() is not None:  # it left for idleness: not worth a start (~0.5 s)
            self._finished(worker, False)  # (the next job that waits for a worker starts another)
            return False, None
        return True, self._run_on(worker, nested, fn, args, kwargs, None)

    def _run_on(self, worker: _Worker, nested: bool, fn, args, kwargs, report):
        kind = _kind(fn)
        job = next(self._numbers)
        replies = None
        try:
            for attempt in range(2):
                if not nested and worker.process.poll() is not None:  # it left while idle: start another
                    worker = self._replace(worker, report is not None, self.expected.get(kind, FIRST_GUESS_S))
                replies = worker.expect(job)
                try:
                    worker.send(("job", job, fn, args, kwargs, report is not None))
                    result, seconds = self._wait(replies, report, None if nested else worker)
                    self._learn(kind, seconds)
                    return result
                except (EOFError, OSError):
                    worker.replies.pop(job, None)
                    # It left for idleness just as the job was sent (the job never started): send it again.
                    if attempt == 0 and not nested and _exit_code(worker) == IDLE_EXIT_CODE:
                        continue
                    raise
        except (EOFError, OSError) as exc:  # the pipe closed: the worker is gone
            if not nested:  # (a job inside another leaves the replacing to the other's caller)
                worker = self._replace(worker, False)
            raise WorkerDied("The computation stopped: its worker process ended (it may have run out of memory). "
                             "Try smaller settings.") from exc
        except _Interrupted as stop:
            # The script was stopped (the user changed a control) while the worker still computes: cancel the
            # job (it stops at its next report), read its last messages in the background, then hand the
            # worker on.
            threading.Thread(target=self._drain, args=(worker, job, replies, nested), daemon=True).start()
            worker = None
            raise stop.cause
        finally:
            if worker is not None:
                worker.replies.pop(job, None)
                self._finished(worker, nested)

    def _acquire(self, still_wanted, expected: float, reports: bool) -> tuple[_Worker, bool]:
        """A worker when this job's turn comes, and whether the job is to run inside the long job that worker
        runs; raises what ``still_wanted`` raises (the caller gave up), leaving its place in the line."""
        with self._lock:
            slot = self._slot_now(expected, reports)
            if slot is not None:
                return slot
            turn = _Turn(expected, reports)
            self._waiting.append(turn)
        try:
            while not turn.ready.wait(POLL_S):
                if still_wanted is not None:
                    still_wanted()
                with self._lock:  # a long job that had its fair share of jobs inside it may take one again
                    for worker in self._all:
                        self._nest_waiting(worker)
        except BaseException:
            with self._lock:
                if turn.worker is None:  # still in line: leave it
                    self._waiting.remove(turn)
                    raise
            self._finished(turn.worker, turn.nested)  # a worker arrived just as we gave up: pass it on
            raise
        return turn.worker, turn.nested

    def _slot_now(self, expected: float, reports: bool) -> tuple[_Worker, bool] | None:
        """(Under the lock.) A worker that can start a job at once, and whether inside its long job; or None."""
        if self._free and not self._waiting:
            worker = self._free.pop()
            worker.start_outer(reports, expected)
            return worker, False
        now = time.monotonic()
        for worker in self._all:
            if self._nestable(worker, expected, now):
                self._nest(worker, expected)
                return worker, True
        return None

    @staticmethod
    def _nestable(worker: _Worker, expected: float, now: float) -> bool:
        """A job expected to take ``expected`` s may run inside ``worker``'s job: that one reports, has no job
        inside it yet, and the newcomer is short (``NEST_MAX_S``) or would end before it (shortest remaining
        time first: a training sent during a t-SNE's first second ends ~1 s sooner, the t-SNE that much later).
        Jobs inside it may take at most as long as it has run itself: else a stream of new views' drawings, or of
        trainings, could hold a t-SNE back for ever. (It once took at most one longer job in all: then a class's
        trainings queued behind one visitor's 20,000-point t-SNE for its whole ~100 s, 60-80 s each under
        ``make load``.)"""
        if not (worker.busy and worker.outer_reports and not worker.nested and not worker.gone):
            return False
        if worker.nested_total > worker.own_time(now):  # it has had less than half the worker: its turn
            return False
        return expected <= NEST_MAX_S or expected < worker.remaining(now)

    @staticmethod
    def _nest(worker: _Worker, expected: float) -> None:
        """(Under the lock.) A job expected to take ``expected`` s is to run inside ``worker``'s job."""
        worker.nested, worker.nested_since = True, time.monotonic()

    def _finished(self, worker: _Worker, nested: bool) -> None:
        """A job on ``worker`` ended: its place (the worker, or the slot inside its long job) to the waiting job
        whose turn it is."""
        with self._lock:
            if nested:
                worker.nested = False
                worker.nested_total += time.monotonic() - worker.nested_since
            else:
                worker.busy = worker.outer_reports = False
                if self._waiting:
                    now = time.monotonic()
                    turn = min(self._waiting, key=lambda t: t.urgency(now))  # the first such: oldest on a tie
                    self._waiting.remove(turn)
                    worker.start_outer(turn.reports, turn.expected)
                    turn.worker, turn.nested = worker, False
                    turn.ready.set()
                elif worker not in self._free:
                    self._free.append(worker)
            self._nest_waiting(worker)  # a job waiting may run inside the long one now running there

    def _nest_waiting(self, worker: _Worker) -> None:
        """(Under the lock.) The most urgent waiting job that may run inside ``worker``'s job, sent there."""
        now = time.monotonic()
        fitting = [t for t in self._waiting if self._nestable(worker, t.expected, now)]
        if fitting:
            turn = min(fitting, key=lambda t: t.urgency(now))
            self._waiting.remove(turn)
            self._nest(worker, turn.expected)
            turn.worker, turn.nested = worker, True
            turn.ready.set()

    @staticmethod
    def _wait(replies: queue.SimpleQueue, report, outer: _Worker | None = None):
        """The job's answer; its progress passed to ``report`` (and noted on ``outer``, the worker it runs on as
        that worker's own job, for :meth:`_Worker.remaining`)."""
        while True:
            kind, _, *payload = replies.get()
            if kind == "progress":
                done, total = payload[:2]  # and whatever else the job reported (a t-SNE's map so far)
                if outer is not None and total:
                    outer.outer_done = min(max(done / total, 0.0), 1.0)
                try:
                    report(*payload)
                except BaseException as exc:  # Streamlit stops a script by raising inside its calls
                    raise _Interrupted(exc) from None
            elif kind == "done":
                return payload[0], payload[1]  # the result, and how long the job took in the worker
            elif kind == "error":
                exc, text = payload
                raise exc from RemoteTraceback(text)
            else:  # the worker is gone (or answered a cancel nobody sent)
                raise EOFError(f"the worker answered {kind!r}")

    def _learn(self, kind: str, seconds: float) -> None:
        with self._lock:
            before = self.expected.get(kind)
            self.expected[kind] = seconds if before is None else (1 - NEWEST) * before + NEWEST * seconds

    def _drain(self, worker: _Worker, job: int, replies: queue.SimpleQueue, nested: bool) -> None:
        try:
            worker.send(("cancel", job))
            while replies.get()[0] == "progress":
                pass
        except (EOFError, OSError):
            pass  # it died: the next run() finds it gone and starts another
        worker.replies.pop(job, None)
        self._finished(worker, nested)  # always handed on, or the pool would lose it for good

    def _replace(self, worker: _Worker, reports: bool, expected: float = 0.0) -> _Worker:
        worker.process.kill()
        worker.process.wait()
        for conn in (worker.to_worker, worker.from_worker):
            conn.close()
        with self._lock:
            if worker in self._all:
                self._all.remove(worker)
        new = self._start()
        with self._lock:
            new.start_outer(reports, expected)
        return new

    def retire_idle(self) -> int:
        """Let every idle worker leave now (the next job starts another, ~0.5 s); returns how many left.

        For the end of the server's warm-up: a worker holds its imports and the heap of the last job (80–180 MB)
        for ``idle_exit`` more seconds, just as a class arrives, and a warmed class asks it for nothing.
        """
        with self._lock:
            idle, self._free = self._free, []
            for worker in idle:
                worker.busy = True  # for the moment: no job may be sent to it while it leaves
        retired = 0
        for worker in idle:
            if worker.process.poll() is None:
                worker.to_worker.close()  # its recv() ends: it exits (run() replaces an exited worker)
                retired += _exit_code(worker) is not None
            self._finished(worker, False)
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


def server_pool(preload: tuple[str, ...] = ()) -> WorkerPool | None:
    """The running server's pool, started at the first call (``app.py``'s, which names the modules its workers
    import ahead of their first job); None outside a server or with 0 workers."""
    if _pool:  # decided already (every run of app.py asks)
        return _pool[0]
    from private_apis import in_server  # here, so a worker process never loads Streamlit

    with _pool_lock:
        if not _pool:
            workers = default_workers() if in_server() else 0
            _pool.append(WorkerPool(workers, preload=preload) if workers else None)
        return _pool[0]


def run_heavy(fn, *args, report=None, **kwargs):
    """A long computation: in the server's worker process when it has one, else here, one at a time."""
    pool = server_pool()
    if pool is None:
        with one_heavy_at_a_time():
            return fn(*args, **kwargs) if report is None else fn(*args, report=report, **kwargs)
    return pool.run(fn, *args, report=report, still_wanted=script_yield, **kwargs)


def offload(fn, *args, **kwargs):
    """A short computation that need not wait for a worker: in one if it can start at once (so the server's one
    interpreter is spared it), else here, as before. For drawing a new view's figures (0.05–0.25 s of the
    server's CPU each): under a class those were a third of all the server's work."""
    pool = server_pool()
    if pool is not None:
        done, result = pool.run_if_free(fn, *args, **kwargs)
        if done:
            return result
    return fn(*args, **kwargs)


def yield_on_progress(done, total) -> None:
    """A ``report`` for a job whose progress nobody draws: each report is a point where Streamlit may stop the
    script (:func:`script_yield`), so the job is cancelled when its visitor moves on, and a job that reports
    lets short jobs run inside it."""
    script_yield()


def _picklable(exc: BaseException) -> BaseException:
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")


def serve(inbox: Connection, outbox: Connection, idle_exit: float = 0.0, preload: tuple[str, ...] = ()) -> int:
    """The worker's loop: run each job sent, answer with its result or its exception, until the server leaves
    (0) or no job came for ``idle_exit`` seconds (IDLE_EXIT_CODE; 0 s waits for ever)."""
    from server.housekeeping import release_memory  # importing it tuned this process too (tune_process)

    for module in preload:  # what most jobs need, imported before the first one arrives
        importlib.import_module(module)

    jobs = _Jobs(inbox, outbox)
    while True:
        if jobs.pending:
            message = jobs.pending.popleft()
        else:
            try:
                if idle_exit > 0 and not inbox.poll(idle_exit):
                    return IDLE_EXIT_CODE
                message = inbox.recv()
            except (EOFError, OSError):
                return 0
        if message[0] != "job":  # a cancel that came after its job had ended: nothing to cancel
            continue
        if not jobs.run(message):
            return 0  # the server is gone
        release_memory()  # hand a big job's memory back to the system at once


class _Jobs:
    """The worker's jobs: the one running, and a short one the server sends while it reports progress."""

    def __init__(self, inbox: Connection, outbox: Connection):
        self.inbox, self.outbox = inbox, outbox
        self.running: set[int] = set()
        self.cancelled: set[int] = set()
        self.pending: deque = deque()  # jobs read while one ran that could not run inside it

    def run(self, message, depth: int = 0) -> bool:
        """Run the job in ``message`` and send its answer; False if the server is gone."""
        _, job, fn, args, kwargs, wants_report = message
        if wants_report:
            kwargs["report"] = functools.partial(self.report, job, depth)
        self.running.add(job)
        started = time.perf_counter()
        try:
            result = fn(*args, **kwargs)
            answer = ("done", job, result, time.perf_counter() - started)  # its time here: no start-up, no queue
        except JobCancelled:
            answer = ("cancelled", job)
        except Exception as exc:
            answer = ("error", job, _picklable(exc), traceback.format_exc())
        finally:
            self.running.discard(job)
            self.cancelled.discard(job)
        try:
            self.outbox.send(answer)
        except (EOFError, OSError):
            return False
        except Exception as exc:  # the result itself would not pickle
            self.outbox.send(("error", job, RuntimeError(f"the result could not be sent back: {exc}"),
                              traceback.format_exc()))
        return True

    def report(self, job: int, depth: int, done, total, *extra) -> None:
        """A job's ``report(done, total, *extra)``: the progress (and ``extra``, for the caller's ``report``) to
        the server; then whatever the server sent meanwhile: a cancel (raises JobCancelled here if it is this
        job's), or a short job to run now, inside this one."""
        try:
            self.outbox.send(("progress", job, done, total, *extra))
            while self.inbox.poll():
                message = self.inbox.recv()
                if message[0] == "cancel":
                    if message[1] in self.running:
                        self.cancelled.add(message[1])
                elif depth == 0:
                    self.run(message, depth + 1)
                else:
                    self.pending.append(message)
        except (EOFError, OSError):
            raise JobCancelled from None  # the server is gone: nobody waits for this job
        if job in self.cancelled:
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
                       float(sys.argv[3]), tuple(sys.argv[4:])))
    except KeyboardInterrupt:  # Ctrl-C in the terminal reaches the whole process group
        pass
