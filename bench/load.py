"""``make load`` / ``python -m bench.load``: a simulated classroom against a real ``streamlit run``.

N sessions (default 30) talk to the server exactly as browser tabs do — over Streamlit's websocket, with the
protocol in ``bench/browser_tab.py`` — but without 30 Chromiums eating the two cores. Each session opens the
app, then visits every explorer in its own order, and every 2–4 s changes the view the way a control change
does: a rerun whose URL (query string) differs from the one the page last wrote, which ``ui/view.py`` turns
into new control values. Mostly the page's presets and lesson steps (what a class is told to open), plus a share
(``--random``, 20 %) of other in-range values of one declared control. A fixed ``--seed`` decides every
session's sequence.

Latency is from sending the rerun to the run's ``script_finished``. Errors: an exception element, the app's
catch-all "Something went wrong", a run that ends in error, page not found, a timeout (a run slower than
``--timeout``, 30 s; the session goes on waiting, as a browser does, up to ``--give-up``, 90 s, then reconnects),
a disconnect, and tracebacks in the server's log. Memory: the RSS and the PSS of the server and its worker, every
0.5 s.
Bounded: sessions start over ``--ramp`` s, stop changing things after ``--duration`` s more, and the last runs
get at most ``--give-up`` s to finish; the server is always stopped at the end (also on Ctrl-C).

Goals (a benchmark, not a test): p95 < 1 s, no errors, peak RSS < 600 MB. Exit code 1 if one is missed.
The report also breaks latency down per page and per kind of change, lists the slowest views and says how busy
the rest of the machine was (other processes on a 2-core machine inflate every latency).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.browser_tab import ERROR_KINDS, Problem, RunResult, Tab  # noqa: E402

RESULTS = ROOT / "bench" / "results"
HOME = ""  # the home page's url path
GOAL_P95_S = 1.0
GOAL_RSS_MB = 600.0
TRACEBACK = re.compile(r"^Traceback \(most recent call last\):", re.M)


# --------------------------------------------------------------------------------------------- what to click


@dataclass
class PageSpec:
    """What a session can do on one page: its declared controls, and the views a class is sent to."""

    url_path: str
    params: list = field(default_factory=list)  # ui.params.Param
    views: list[dict] = field(default_factory=list)  # query dicts: the defaults, each preset, each lesson step


def discover(pages: list[str] | None = None) -> dict[str, PageSpec]:
    """Every explorer's declared controls (its ``explorers/<name>.py``, imported), and the views a class is sent
    to: the defaults, each preset and each lesson step that opens the page (what the warm-up computes)."""
    from server.warmup import views
    from ui.registry import EXPLORERS

    wanted = [e for e in EXPLORERS if pages is None or e.url_path in pages]
    unknown = set(pages or ()) - {e.url_path for e in EXPLORERS}
    if unknown:
        raise SystemExit(f"unknown pages {sorted(unknown)}; known: {[e.url_path for e in EXPLORERS]}")
    return {e.url_path: PageSpec(e.url_path, list(e.declarations().PARAMS), views(e.url_path)) for e in wanted}


def random_value(param, rng: random.Random):
    """An in-range value of a declared control, as its widget could produce it."""
    from ui.params import (BoolParam, ChoiceParam, FloatParam, IntParam, LogFloatParam, MultiChoiceParam,
                           TextParam)

    if isinstance(param, LogFloatParam):
        return rng.choice(param.grid())
    if isinstance(param, FloatParam):
        k = rng.randint(0, int(round((param.high - param.low) / param.step)))
        return min(param.high, round(param.low + k * param.step, 10))
    if isinstance(param, IntParam):
        return rng.randrange(param.low, param.high + 1, param.step)
    if isinstance(param, ChoiceParam):
        return rng.choice(list(param.options))
    if isinstance(param, MultiChoiceParam):
        options = list(param.options)
        chosen = set(rng.sample(options, rng.randint(max(1, param.min_count), len(options))))
        return tuple(o for o in options if o in chosen)
    if isinstance(param, BoolParam):
        return rng.random() < 0.5
    if isinstance(param, TextParam):
        return None  # free text: a class types what it is told (a preset's value), not random text
    return None


@dataclass
class Action:
    page: str
    query: str
    kind: str  # load | switch | preset | lesson | default | random (| bogus: an injected fault)
    switch: bool = False
    control: str = ""  # the control a "random" change moved


class Plan:
    """One session's sequence of actions, decided by its own seeded generator (not by timing or the server)."""

    def __init__(self, specs: dict[str, PageSpec], rng: random.Random, random_share: float,
                 changes_per_page: tuple[int, int]):
        self.specs, self.rng, self.random_share, self.changes_per_page = specs, rng, random_share, changes_per_page
        self.order: list[str] = []
        self.page = HOME
        self.query: dict = {}
        self.left_on_page = 0

    def first(self) -> Action:
        return Action(HOME, "", "load")

    def next(self) -> Action:
        if self.page == HOME or self.left_on_page <= 0:
            return self._switch()
        self.left_on_page -= 1
        spec = self.specs[self.page]
        if self.rng.random() < self.random_share and spec.params:
            for _ in range(10):
                param = self.rng.choice(spec.params)
                value = random_value(param, self.rng)
                if value is None:
                    continue
                query = dict(self.query)
                query[param.name] = param.format(value)
                if query != self.query:
                    self.query = query
                    return Action(self.page, urlencode(query), "random", control=param.name)
        view = self._pick_view(spec)
        return Action(self.page, urlencode(view), self._kind(view))

    def _switch(self) -> Action:
        if not self.order:
            self.order = list(self.specs)
            self.rng.shuffle(self.order)
        page = self.order.pop(0)
        if page == self.page and self.order:  # never "switch" to the page we are on
            self.order.append(page)
            page = self.order.pop(0)
        self.page = page
        self.left_on_page = self.rng.randint(*self.changes_per_page)
        self.query = dict(self.rng.choice(self.specs[page].views))  # a link, or the sidebar (the defaults)
        return Action(page, urlencode(self.query), "switch", switch=True)

    def _pick_view(self, spec: PageSpec) -> dict:
        others = [v for v in spec.views if v != self.query] or spec.views
        self.query = dict(self.rng.choice(others))
        return self.query

    @staticmethod
    def _kind(view: dict) -> str:
        return "lesson" if "lesson" in view else "preset" if "preset" in view else "default"


# --------------------------------------------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:  # the server must not outlive the benchmark, even if it is killed
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def streamlit_command(port: int) -> list[str]:
    """``streamlit run app.py`` on 127.0.0.1:``port``, headless, no usage stats, no file watcher."""
    return [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless=true",
            "--server.address=127.0.0.1", f"--server.port={port}", "--browser.gatherUsageStats=false",
            "--server.fileWatcherType=none"]


class Server:
    """``streamlit_command`` run from the repository root, logging to a file (the browser tests use it too)."""

    def __init__(self, port: int | None = None, log_dir: Path = RESULTS, log_prefix: str = "load-server",
                 warm_up: str = "0"):
        self.port = port or free_port()
        self.warm_up = warm_up  # ML_EXPLORER_WARM_UP (server/warmup.py): off unless asked, so tests time themselves
        self.url = f"http://127.0.0.1:{self.port}"
        Path(log_dir).mkdir(parents=True, exist_ok=True)
        self.log_path = Path(log_dir) / f"{log_prefix}-{self.port}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Server":
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            streamlit_command(self.port), cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT,
            env={**os.environ, "ML_EXPLORER_WARM_UP": self.warm_up},
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None)
        return self

    def wait_healthy(self, timeout: float = 60.0) -> "Server":
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                if urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2).read() == b"ok":
                    return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"streamlit did not become healthy on port {self.port}; see {self.log_path}")

    def wait_warmed(self, timeout: float = 600.0) -> str:
        """Wait for the server's warm-up to finish (it starts with the first run: open the app first); returns
        its log line."""
        deadline = time.time() + timeout
        while time.time() < deadline and self.proc.poll() is None:
            line = next((line for line in self.log_path.read_text(errors="replace").splitlines()
                         if "warm-up finished" in line or "warm-up stopped" in line), None)
            if line is not None:
                return line.strip()
            time.sleep(0.5)
        raise RuntimeError(f"the warm-up did not finish within {timeout:g} s; see {self.log_path}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if getattr(self, "log", None) is not None and not self.log.closed:
            self.log.close()

    def tracebacks(self) -> list[str]:
        """Tracebacks the server logged (each with the line before it, which says what failed)."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        found = []
        for match in TRACEBACK.finditer(text):
            before = text[:match.start()].rstrip("\n").rsplit("\n", 1)[-1]
            lines = text[match.end():].split("\n")[1:]
            error = next((line for line in lines if line.strip() and not line.startswith(" ")), "")
            found.append(f"{before.strip()} … {error.strip()}"[:300])
        return found

    def __enter__(self) -> "Server":
        self.start()
        self.wait_healthy()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


# --------------------------------------------------------------------------------------------------- memory


def _tree(pid: int) -> list[int]:
    children: dict[int, list[int]] = defaultdict(list)
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                children[ppid].append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, ()))
    return out


def _summed_kb(pid: int, file: str, field: str) -> int:
    """``field`` (kB) of /proc/<p>/``file``, summed over ``pid`` and its descendants."""
    total = 0
    for p in _tree(pid):
        try:
            with open(f"/proc/{p}/{file}") as f:
                total += next((int(line.split()[1]) for line in f if line.startswith(field)), 0)
        except OSError:
            pass
    return total


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and its descendants, in MB (from /proc)."""
    return _summed_kb(pid, "status", "VmRSS:") / 1024


def pss_mb(pid: int) -> float:
    """Proportional memory of ``pid`` and its descendants, in MB: each page shared by k processes counts 1/k.

    With worker processes (``server/workers.py``) the RSS sum counts every shared library page once per process
    (about 80 MB a worker); the PSS sum counts it once, as a container's memory limit does. Both are reported.
    """
    return _summed_kb(pid, "smaps_rollup", "Pss:") / 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` and its descendants (from /proc/<pid>/stat)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in _tree(pid):
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, ValueError, IndexError):
            pass
    return total / ticks


def machine_cpu_seconds() -> tuple[float, float]:
    """(CPU time every process on this machine has used, CPU time the host took from this virtual machine:
    ``steal``), from /proc/stat: to tell how busy the rest of the machine was, and how much of the CPU the
    host held back."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    ticks = os.sysconf("SC_CLK_TCK")
    steal = fields[7] if len(fields) > 7 else 0
    busy = sum(fields[:7]) - fields[3] - (fields[4] if len(fields) > 4 else 0)  # user … softirq, not idle/iowait
    return busy / ticks, steal / ticks


async def sample_memory(pid: int, into: list, every: float = 0.5, t0: float = 0.0, cpu: list | None = None,
                        pss: list | None = None) -> None:
    """The server's RSS every ``every`` s into ``into`` as (t, MB); with ``cpu``, also (t, server CPU s, machine
    busy CPU s, this client's CPU s, CPU s the host stole) — cumulative, so a stall shows as busy (the server
    computing), idle (waiting), stolen (the host running something else), or as a gap in t (this client itself
    stalled)."""
    while True:
        t = round(time.perf_counter() - t0, 2)
        into.append((t, round(rss_mb(pid), 1)))
        if pss is not None:
            pss.append((t, round(pss_mb(pid), 1)))
        if cpu is not None:
            busy, steal = machine_cpu_seconds()
            cpu.append((t, round(cpu_seconds(pid), 2), round(busy, 2), round(time.process_time(), 2),
                        round(steal, 2)))
        await asyncio.sleep(every)


# --------------------------------------------------------------------------------------------------- the run


@dataclass
class Config:
    sessions: int = 30
    duration: float = 120.0
    ramp: float = 10.0
    interval: tuple[float, float] = (2.0, 4.0)
    changes_per_page: tuple[int, int] = (2, 4)
    random_share: float = 0.2
    timeout: float = 30.0
    give_up: float = 90.0  # a tab waits this long for a slow run (counted as a timeout) before reconnecting
    seed: int = 0
    actions: int | None = None  # stop each session after this many reruns (None: only the duration bounds it)
    pages: list[str] | None = None
    inject: list[str] = field(default_factory=list)  # faults for checking the harness: bogus-frame, missing-page
    warm: bool = False  # visit every preset and lesson view once before the class starts (not measured)
    server_warm_up: str = "during"  # the server's own warm-up (server/warmup.py): off, during the class, or before it


@dataclass
class Sample:
    session: int
    t: float  # seconds since the start, when the rerun was sent
    page: str
    kind: str
    query: str
    seconds: float
    ok: bool
    novel: bool  # the first time any session asked for this (page, view): a likely cache miss
    bytes: int
    refs: int
    explained: int
    control: str = ""
    problems: list = field(default_factory=list)
    served: str = ""  # the page the server ran
    echo: str = ""  # the query string the page wrote back


@dataclass
class Results:
    config: Config
    samples: list[Sample] = field(default_factory=list)
    memory: list = field(default_factory=list)  # (t, MB): RSS of the server and its workers, summed
    pss: list = field(default_factory=list)  # (t, MB): the same processes' proportional set size, summed
    cpu: list = field(default_factory=list)  # (t, server, machine busy, client, host steal: CPU s), cumulative
    reconnects: int = 0
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0
    other_cpu_s: float = 0.0  # every other process on the machine: a busy machine makes the numbers worse
    steal_s: float = 0.0  # CPU time the host took from this virtual machine (/proc/stat "steal"): it slows us too
    wall_s: float = 0.0
    t0_unix: float = 0.0  # when t = 0 was, to line samples up with a profiler's or the server log's clock
    server_tracebacks: list[str] = field(default_factory=list)
    warm_up: list = field(default_factory=list)  # (page, query, seconds, problems) of the unmeasured warm-up
    server_warm_up: str = ""  # the server's "warm-up finished" log line, when the class waited for it


def _view_key(page: str, query: str) -> tuple:
    return page, tuple(sorted(parse_qsl(query, keep_blank_values=True)))


async def _session(index: int, host: str, port: int, specs: dict[str, PageSpec], cfg: Config, results: Results,
                   seen: set, t0: float, start_at: float, deadline: float) -> None:
    rng = random.Random(f"{cfg.seed}:{index}")
    plan = Plan(specs, rng, cfg.random_share, cfg.changes_per_page)
    await asyncio.sleep(max(0.0, start_at - time.perf_counter()))
    tab, queue = None, [plan.first()]
    faults = list(cfg.inject) if index == 0 else []
    done = 0
    try:
        while True:
            action = queue.pop(0)
            if action.kind == "load" or tab is None:  # a typed URL, or a tab that lost its server: a fresh tab
                if tab is not None:
                    await tab.close()
                tab = Tab(host, port, timeout=cfg.timeout, give_up=cfg.give_up)
            run = await _act(tab, action, index, results, seen, t0)
            done += 1
            if cfg.actions is not None and done >= cfg.actions:
                break
            if run.abandoned or any(p.kind in ("disconnect", "protocol", "connect") for p in run.problems):
                results.reconnects += 1
                await tab.close()
                tab = None
                await asyncio.sleep(1.0)
                queue.insert(0, Action(plan.page, urlencode(plan.query), "load"))
            if faults and not queue:
                queue.extend(_fault(faults.pop(0), plan))
            if not queue:
                queue.append(plan.next())
            think = rng.uniform(*cfg.interval)
            if time.perf_counter() + think >= deadline:
                break
            await asyncio.sleep(think)
    finally:
        if tab is not None:
            await tab.close()


def _fault(name: str, plan: Plan) -> list[Action]:
    """Faults that a working harness must report (``--inject``): they check the checker."""
    if name == "missing-page":  # a link to a page that does not exist, then back to where the plan is
        return [Action("no-such-page", "", "load"), Action(plan.page, urlencode(plan.query), "load")]
    if name == "bogus-frame":  # a frame that is not a BackMsg (the server drops the connection), then a rerun
        return [Action(plan.page, urlencode(plan.query), "bogus")]
    raise ValueError(f"unknown fault {name!r} (known: missing-page, bogus-frame)")


async def _act(tab: Tab, action: Action, index: int, results: Results, seen: set, t0: float) -> RunResult:
    sent = time.perf_counter() - t0
    key = _view_key(action.page, action.query)
    novel = key not in seen
    seen.add(key)
    try:
        if action.kind == "bogus":
            await tab.send_raw(b"\xff\xfe this is not a BackMsg")
        if action.kind == "load":
            run = await tab.open(action.page, action.query)
        else:
            run = await tab.rerun(action.query, page=action.page if action.switch else None)
    except Exception as error:  # could not even connect
        run = RunResult(time.perf_counter() - t0 - sent, [Problem("connect", f"{type(error).__name__}: {error}")])
    results.samples.append(Sample(
        index, round(sent, 3), action.page or "home", action.kind, action.query, run.seconds, run.ok, novel,
        run.bytes, run.refs, run.explained, action.control, [asdict(p) for p in run.problems], run.page or "home",
        run.query))
    return run


async def warm_up(host: str, port: int, specs: dict[str, PageSpec], cfg: Config, results: Results,
                  seen: set) -> None:
    """One tab opens every page's defaults, presets and lesson steps once: the caches a prepared class finds."""
    tab = Tab(host, port, timeout=cfg.timeout, give_up=cfg.give_up)
    try:
        await tab.open(HOME, "")
        for page, spec in specs.items():
            for view in spec.views:
                query = urlencode(view)
                run = await tab.rerun(query, page=page)
                seen.add(_view_key(page, query))
                results.warm_up.append((page, query, round(run.seconds, 3), [asdict(p) for p in run.problems]))
                if run.abandoned or not run.ok and any(p.kind == "disconnect" for p in run.problems):
                    await tab.close()
                    tab = Tab(host, port, timeout=cfg.timeout, give_up=cfg.give_up)
                    await tab.open(HOME, "")
    finally:
        await tab.close()


async def classroom(host: str, port: int, server_pid: int | None, specs: dict[str, PageSpec],
                    cfg: Config) -> Results:
    """Run the simulated class against a server that is already up; returns every measured rerun."""
    results = Results(cfg)
    seen: set = set()
    if cfg.warm:
        await warm_up(host, port, specs, cfg, results, seen)
    t0 = time.perf_counter()
    results.t0_unix = time.time()
    deadline = t0 + cfg.ramp + cfg.duration
    sampler = None
    cpu0, client0 = (cpu_seconds(server_pid) if server_pid else 0.0), time.process_time()
    machine0, steal0 = machine_cpu_seconds()
    if server_pid:
        sampler = asyncio.create_task(sample_memory(server_pid, results.memory, t0=t0, cpu=results.cpu,
                                                    pss=results.pss))
    try:
        await asyncio.gather(*[
            _session(i, host, port, specs, cfg, results, seen, t0, t0 + cfg.ramp * i / max(cfg.sessions, 1),
                     deadline) for i in range(cfg.sessions)])
    finally:
        if sampler is not None:
            sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sampler
            results.memory.append((round(time.perf_counter() - t0, 2), round(rss_mb(server_pid), 1)))
            results.server_cpu_s = cpu_seconds(server_pid) - cpu0
        results.client_cpu_s = time.process_time() - client0
        results.wall_s = time.perf_counter() - t0
        machine, steal = machine_cpu_seconds()
        results.other_cpu_s = max(0.0, machine - machine0 - results.server_cpu_s - results.client_cpu_s)
        results.steal_s = steal - steal0
    return results


# --------------------------------------------------------------------------------------------------- report


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0–100), linear between closest ranks; NaN when empty."""
    if not values:
        return math.nan
    xs = sorted(values)
    k = (len(xs) - 1) * q / 100
    lo, hi = math.floor(k), math.ceil(k)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def error_counts(results: Results) -> Counter:
    counts = Counter()
    for s in results.samples:
        for p in s.problems:
            counts[p["kind"]] += 1
    for *_, problems in results.warm_up:
        for p in problems:
            counts[p["kind"]] += 1
    if results.server_tracebacks:
        counts["server_traceback"] = len(results.server_tracebacks)
    return counts


#: A rerun during which the host took less than this (cores, /proc/stat steal) had the machine to itself.
QUIET_STEAL_CORES = 0.15


def steal_during(cpu: list, start: float, end: float) -> float:
    """Cores the host took from this machine, on average, between ``start`` and ``end`` (from the ``cpu`` series:
    rows (t, …, steal seconds), cumulative); 0 without a series."""
    rows = [row for row in cpu if len(row) > 4]
    if len(rows) < 2:
        return 0.0

    def at(t: float) -> float:  # cumulative steal at t, interpolated
        if t <= rows[0][0]:
            return rows[0][4]
        for (t0, *_, s0), (t1, *_, s1) in zip(rows, rows[1:]):
            if t <= t1:
                return s0 + (s1 - s0) * (t - t0) / max(t1 - t0, 1e-9)
        return rows[-1][4]

    end = max(end, start + 0.5)  # at least one sampling step: a 50-ms rerun still shows its surroundings
    return (at(end) - at(start)) / (end - start)


def summarize(results: Results) -> dict:
    xs = [s.seconds for s in results.samples]
    peak = max((m for _, m in results.memory), default=math.nan)
    final = results.memory[-1][1] if results.memory else math.nan
    errors = error_counts(results)

    def stats(group: list[Sample]) -> dict:
        t = [s.seconds for s in group]
        novel = [s.seconds for s in group if s.novel]
        repeat = [s.seconds for s in group if not s.novel]
        return {"reruns": len(group), "p50": percentile(t, 50), "p95": percentile(t, 95), "p99": percentile(t, 99),
                "max": max(t, default=math.nan), "mean_kb": statistics.fmean([s.bytes for s in group]) / 1024
                if group else math.nan, "novel": len(novel), "novel_p50": percentile(novel, 50),
                "novel_p95": percentile(novel, 95), "repeat_p50": percentile(repeat, 50),
                "repeat_p95": percentile(repeat, 95), "errors": sum(len(s.problems) for s in group),
                "explained": sum(s.explained for s in group)}

    by_page, by_kind, by_control = defaultdict(list), defaultdict(list), defaultdict(list)
    for s in results.samples:
        by_page[s.page].append(s)
        by_kind[s.kind].append(s)
        if s.control:
            by_control[f"{s.page}?{s.control}"].append(s)
    steady = [m for t, m in results.memory if t >= results.config.ramp]
    quiet = [s.seconds for s in results.samples
             if steal_during(results.cpu, s.t, s.t + s.seconds) < QUIET_STEAL_CORES]
    summary = {
        "sessions": results.config.sessions, "reruns": len(xs), "p50": percentile(xs, 50),
        "p95": percentile(xs, 95), "p99": percentile(xs, 99), "max": max(xs, default=math.nan),
        "errors": dict(errors), "error_total": sum(errors.values()), "peak_rss_mb": peak, "final_rss_mb": final,
        "steady_mean_rss_mb": statistics.fmean(steady) if steady else math.nan,
        "peak_pss_mb": max((m for _, m in results.pss), default=math.nan),
        "reruns_per_s": len(xs) / results.wall_s if results.wall_s else math.nan,
        "server_cpu_cores": results.server_cpu_s / results.wall_s if results.wall_s else math.nan,
        "client_cpu_cores": results.client_cpu_s / results.wall_s if results.wall_s else math.nan,
        "other_cpu_cores": results.other_cpu_s / results.wall_s if results.wall_s else math.nan,
        "steal_cores": results.steal_s / results.wall_s if results.wall_s else math.nan,
        "quiet_reruns": len(quiet), "quiet_p50": percentile(quiet, 50), "quiet_p95": percentile(quiet, 95),
        "cores": os.cpu_count(),
        "reconnects": results.reconnects, "wall_s": results.wall_s,
        "pages": {p: stats(g) for p, g in sorted(by_page.items())},
        "kinds": {k: stats(g) for k, g in sorted(by_kind.items())},
        "controls": {c: stats(g) for c, g in sorted(by_control.items())},
    }
    summary["goals"] = {
        f"p95 < {GOAL_P95_S:g} s": bool(summary["p95"] < GOAL_P95_S),
        "0 errors": summary["error_total"] == 0 and len(xs) > 0,
        f"peak RSS < {GOAL_RSS_MB:g} MB": bool(peak < GOAL_RSS_MB),
    }
    summary["passed"] = all(summary["goals"].values())
    return summary


def _ms(x: float) -> str:
    return "—" if x != x else f"{1000 * x:,.0f}"


def report(results: Results, summary: dict) -> str:
    cfg = results.config
    lines = [
        f"Simulated classroom: {cfg.sessions} sessions, {cfg.duration:g} s after a {cfg.ramp:g} s ramp-up, a change "
        f"every {cfg.interval[0]:g}–{cfg.interval[1]:g} s, {100 * cfg.random_share:.0f} % random values, "
        f"seed {cfg.seed}" + (f", pages {', '.join(cfg.pages)}" if cfg.pages else "")
        + (f", at most {cfg.actions} reruns per session" if cfg.actions else "")
        + (f", injected faults: {', '.join(cfg.inject)}" if cfg.inject else "")
        + (f"; caches warmed first with {len(results.warm_up)} preset and lesson views" if cfg.warm else "")
        + {"off": "; server warm-up off", "during": "; the server's warm-up ran during the class",
           "before": f"; the class came after the server's warm-up ({results.server_warm_up.split('warm-up ')[-1]})"
           }.get(cfg.server_warm_up, ""),
        "",
        "| sessions | reruns | reruns/s | p50 ms | p95 ms | p99 ms | max ms | errors | peak RSS MB | final RSS MB "
        "| peak PSS MB | server CPU (cores) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {summary['sessions']} | {summary['reruns']} | {summary['reruns_per_s']:.1f} | {_ms(summary['p50'])} "
        f"| {_ms(summary['p95'])} | {_ms(summary['p99'])} | {_ms(summary['max'])} | {summary['error_total']} "
        f"| {summary['peak_rss_mb']:.0f} | {summary['final_rss_mb']:.0f} | {summary['peak_pss_mb']:.0f} "
        f"| {summary['server_cpu_cores']:.2f} |",
        "",
        "Errors by kind: " + (", ".join(f"{k} {v}" for k, v in sorted(
            summary["errors"].items(), key=lambda kv: (ERROR_KINDS + ("server_traceback",)).index(kv[0])
            if kv[0] in ERROR_KINDS + ("server_traceback",) else 99)) or "none")
        + f"; reconnects {summary['reconnects']}",
        f"CPU ({summary['cores']} cores): server {summary['server_cpu_cores']:.2f}, load client "
        f"{summary['client_cpu_cores']:.2f}, other processes {summary['other_cpu_cores']:.2f}, taken by the host "
        f"(steal) {summary['steal_cores']:.2f} cores"
        + (" — the machine was busy with other work: latencies are inflated"
           if summary["other_cpu_cores"] + summary["steal_cores"] > 0.25 else ""),
        f"Reruns while the host took < {QUIET_STEAL_CORES:g} cores: {summary['quiet_reruns']} of {summary['reruns']}, "
        f"p50 {_ms(summary['quiet_p50'])} ms, p95 {_ms(summary['quiet_p95'])} ms",
        "",
        "Per page (novel = the first request of that exact view by any session, a likely cache miss):",
        "",
        "| page | reruns | p50 ms | p95 ms | max ms | KB/rerun | novel: n, p50, p95 ms | repeated: p50, p95 ms "
        "| errors |",
        "|---|---:|---:|---:|---:|---:|---|---|---:|",
    ]
    for page, s in summary["pages"].items():
        lines.append(f"| {page} | {s['reruns']} | {_ms(s['p50'])} | {_ms(s['p95'])} | {_ms(s['max'])} "
                     f"| {s['mean_kb']:,.0f} | {s['novel']}, {_ms(s['novel_p50'])}, {_ms(s['novel_p95'])} "
                     f"| {_ms(s['repeat_p50'])}, {_ms(s['repeat_p95'])} | {s['errors']} |")
    lines += ["", "Per kind of change:", "", "| kind | reruns | p50 ms | p95 ms | max ms | KB/rerun |",
              "|---|---:|---:|---:|---:|---:|"]
    for kind, s in summary["kinds"].items():
        lines.append(f"| {kind} | {s['reruns']} | {_ms(s['p50'])} | {_ms(s['p95'])} | {_ms(s['max'])} "
                     f"| {s['mean_kb']:,.0f} |")
    slow = sorted(results.samples, key=lambda s: -s.seconds)[:12]
    lines += ["", "Slowest reruns:", "", "| ms | page | kind | novel | view |", "|---:|---|---|---|---|"]
    for s in slow:
        lines.append(f"| {_ms(s.seconds)} | {s.page} | {s.kind} | {'yes' if s.novel else 'no'} "
                     f"| `?{s.query}` |")
    examples = [(s, p) for s in results.samples for p in s.problems][:10]
    if examples or results.server_tracebacks:
        lines += ["", "Error examples:"]
        lines += [f"- {p['kind']} on {s.page} `?{s.query}`: {p['detail']}" for s, p in examples]
        lines += [f"- server log: {t}" for t in results.server_tracebacks[:5]]
    lines += ["", "Goals: " + "; ".join(f"{name}: {'PASS' if ok else 'FAIL'}"
                                          for name, ok in summary["goals"].items()),
              "PASS" if summary["passed"] else "FAIL"]
    return "\n".join(lines)


def to_json(results: Results, summary: dict) -> dict:
    return {"config": asdict(results.config), "summary": summary, "memory": results.memory, "pss": results.pss,
            "cpu": results.cpu, "t0_unix": results.t0_unix, "warm_up": results.warm_up,
            "server_tracebacks": results.server_tracebacks, "samples": [asdict(s) for s in results.samples]}


# --------------------------------------------------------------------------------------------------- main


def _pair(text: str) -> tuple[float, float]:
    parts = [float(x) for x in text.replace("-", ",").split(",") if x.strip()]
    if len(parts) == 1:
        parts *= 2
    if len(parts) != 2 or parts[0] > parts[1] or parts[0] < 0:
        raise argparse.ArgumentTypeError("expected LOW,HIGH (or one number)")
    return parts[0], parts[1]


def parse_args(argv=None) -> tuple[Config, argparse.Namespace]:
    ap = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sessions", type=int, default=30, help="concurrent sessions (default 30)")
    ap.add_argument("--duration", type=float, default=120.0, help="seconds of steady load after the ramp-up")
    ap.add_argument("--ramp", type=float, default=10.0, help="sessions start evenly over this many seconds")
    ap.add_argument("--interval", type=_pair, default=(2.0, 4.0), help="think time between changes, LOW,HIGH s")
    ap.add_argument("--changes-per-page", type=_pair, default=(2, 4), help="changes before switching page")
    ap.add_argument("--random", type=float, default=0.2, dest="random_share",
                    help="share of changes that move one control to a random in-range value (default 0.2)")
    ap.add_argument("--timeout", type=float, default=30.0, help="a rerun slower than this is an error")
    ap.add_argument("--give-up", type=float, default=90.0,
                    help="how long a session waits for a slow run before it reconnects (default 90 s)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--actions", type=int, default=None, help="stop each session after this many reruns")
    ap.add_argument("--port", type=int, default=None, help="server port (default: a free one)")
    ap.add_argument("--pages", default=None, help="comma-separated url paths (default: every explorer)")
    ap.add_argument("--warm", action="store_true",
                    help="open every preset and lesson view once before the class starts (not measured)")
    ap.add_argument("--server-warm-up", choices=("off", "during", "before"), default="during",
                    help="the server opens every page, preset and lesson step itself when it starts (server/warmup.py): "
                    "while the class is already there (during, the default), before the class comes (before: "
                    "the teacher opened the app earlier), or not at all (off)")
    ap.add_argument("--inject", default="", help="faults to check the harness: bogus-frame,missing-page")
    ap.add_argument("--json", type=Path, default=None, help="write every sample and the summary here")
    args = ap.parse_args(argv)
    lo, hi = args.changes_per_page
    cfg = Config(sessions=args.sessions, duration=args.duration, ramp=args.ramp, interval=args.interval,
                 changes_per_page=(int(lo), int(hi)), random_share=args.random_share, timeout=args.timeout,
                 give_up=args.give_up, seed=args.seed, actions=args.actions,
                 pages=[p for p in args.pages.split(",") if p] if args.pages else None,
                 inject=[f for f in args.inject.split(",") if f], warm=args.warm,
                 server_warm_up=args.server_warm_up)
    return cfg, args


async def _open_once(host: str, port: int) -> None:
    """The app's home page in one tab, as the teacher opening it before class (this starts the warm-up)."""
    tab = Tab(host, port)
    try:
        await tab.open(HOME)
    finally:
        await tab.close()


def _terminate(signum, frame):  # `kill` stops the benchmark like Ctrl-C does: the server is stopped too
    raise KeyboardInterrupt


def main(argv=None) -> int:
    cfg, args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    server = Server(args.port, warm_up="0" if cfg.server_warm_up == "off" else "1")
    print(f"starting streamlit on {server.url} (log: {server.log_path.relative_to(ROOT)})", flush=True)
    server.start()
    try:
        t = time.perf_counter()
        specs = discover(cfg.pages)  # runs while the server boots
        print(f"read the controls of {len(specs)} pages in {time.perf_counter() - t:.1f} s", flush=True)
        server.wait_healthy()
        warmed = ""
        if cfg.server_warm_up == "before":
            print("opening the app once and waiting for the server's warm-up …", flush=True)
            asyncio.run(_open_once("127.0.0.1", server.port))
            warmed = server.wait_warmed()
            print(warmed, flush=True)
        print(("warming the caches, then " if cfg.warm else "")
              + f"{cfg.sessions} sessions for {cfg.ramp:g} + {cfg.duration:g} s …", flush=True)
        results = asyncio.run(classroom("127.0.0.1", server.port, server.proc.pid, specs, cfg))
        results.server_warm_up = warmed
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        server.stop()
    results.server_tracebacks = server.tracebacks()
    summary = summarize(results)
    print(report(results, summary))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(to_json(results, summary), indent=1, default=str))
        print(f"wrote {args.json}")
    return 0 if summary["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
