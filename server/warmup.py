"""Compute what a class will open, once, when the server starts: every page's defaults, presets and lesson steps.

A view nobody has opened yet costs 0.2–3.5 s of computing (a network trained, a t-SNE run, a figure built);
once computed, it is a cached rerun of ~0.05–0.1 s for everyone. When a class of 30 opens a lesson step together,
the first opener computes it and the other 29 wait for it; on a freshly started server every step of the
lesson is such a wait. So the server computes each view first: for every view it reads the link's values the way
the page does (``ui.params.parse_url`` over the explorer's declared controls and presets) and calls the
explorer's ``warm(values)``, which calls the same cached functions the page calls (``explorers/<name>.py``).
It only uses idle time: one view at a time, and only after visitors have left the server alone for ``QUIET_S``
(a class already there computes what it opens itself; computing views nobody asked for yet would only make it
wait longer: with a class arriving at a cold server, p95 was 13 s without a warm-up, 20 s with one that did not
wait, 11 s with the wait).

``ML_EXPLORER_WARM_UP`` controls it: unset or ``1`` warms everything, ``0`` turns it off (the browser tests do,
to keep their timing their own), and a comma-separated list of page paths (``fit-a-line,optimizers``) limits it.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from urllib.parse import urlencode

from private_apis import in_server
from server.workers import server_pool
from ui.lessons import LESSONS, step_link
from ui.params import parse_url
from ui.registry import EXPLORERS, explorer

ENV = "ML_EXPLORER_WARM_UP"
OFF = {"0", "off", "false", "no"}
#: The warm-up computes its next view only when no visitor has started a run for this long.
QUIET_S = 1.5

_start_lock = threading.Lock()
_started: list[threading.Thread] = []
_last_visit = [float("-inf")]  # time.monotonic() of the last run a visitor started


def note_run() -> None:
    """Called at the start of every run of the app: a visitor's run makes the warm-up hold back."""
    _last_visit[0] = time.monotonic()


def wait_needed(now: float, last_visit: float) -> float:
    """Seconds the warm-up should still wait at ``now`` when a visitor's last run started at ``last_visit``."""
    return max(0.0, QUIET_S - (now - last_visit))


def views(url_path: str) -> list[dict]:
    """The views a class is sent to on a page, as query dicts: its defaults, each preset, each lesson step that
    opens it."""
    presets = explorer(url_path).declarations().PRESETS
    return ([{}] + [{"preset": slug} for slug in presets]
            + [step_link(lesson, i) for lesson in LESSONS.values() for i, step in enumerate(lesson.steps)
               if step.page == url_path])


def pages_to_warm(setting: str | None) -> list[str]:
    """The page paths ``ML_EXPLORER_WARM_UP=setting`` asks for (unknown names are ignored, with the rest kept)."""
    setting = (setting or "1").strip().lower()
    if setting in OFF:
        return []
    known = [e.url_path for e in EXPLORERS]
    if setting in {"1", "all", "on", "true", "yes"}:
        return known
    asked = {name.strip() for name in setting.split(",")}
    return [page for page in known if page in asked]


def start_warm_up() -> threading.Thread | None:
    """Start the warm-up once per server process (a no-op on every later call, under AppTest, or when off)."""
    with _start_lock:
        if _started or not in_server():
            return None
        pages = pages_to_warm(os.environ.get(ENV))
        if not pages:
            _started.append(threading.current_thread())  # decided: nothing to do
            return None
        thread = threading.Thread(target=_run, args=(pages,), name="warm-up", daemon=True)
        _started.append(thread)
    thread.start()
    return thread


def _log() -> logging.Logger:
    """The warm-up's log, on the server's stderr beside Streamlit's own lines."""
    log = logging.getLogger("ml_explorer.warmup")
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    return log


def _run(pages: list[str]) -> None:
    log = _log()
    # The cached functions run here outside a script run, which Streamlit logs as a warning on every call: noise
    # (a filter, because Streamlit resets its loggers' levels when it reads its config)
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(
        lambda record: "missing ScriptRunContext" not in record.getMessage())
    try:
        opened, problems, seconds = warm(pages)
    except Exception as error:  # the app works without it: say so and stop
        log.warning("warm-up stopped: %s: %s", type(error).__name__, error)
        return
    pool = server_pool()
    if pool is not None:
        pool.retire_idle()  # the class that comes next finds every view cached: the worker's memory can go
    for view, problem in problems:
        log.warning("warm-up: %s: %s", view, problem)
    log.info("warm-up finished: %d views in %.1f s, %d with problems", opened, seconds, len(problems))


def warm(pages: list[str], quiet: bool = True) -> tuple[int, list, float]:
    """Compute every page's defaults, then its presets and lesson steps, one at a time (each after a quiet
    moment when ``quiet``); returns (views computed, [(view, problem)], seconds)."""
    t0 = time.perf_counter()
    opened, problems = 0, []
    order = ([(page, query) for page in pages for query in views(page)[:1]]  # the page as everyone first sees it
             + [(page, query) for page in pages for query in views(page)[1:]])
    for page, query in order:
        module = explorer(page).declarations()
        while quiet and (wait := wait_needed(time.monotonic(), _last_visit[0])) > 0:
            time.sleep(wait)
        _, values, _ = parse_url(query, module.PARAMS, module.PRESETS)
        try:
            module.warm(values)
        except Exception as error:  # a view that fails is the page's to explain; the warm-up goes on
            problems.append((f"/{page}?{urlencode(query)}", f"{type(error).__name__}: {error}"))
        opened += 1
    return opened, problems, time.perf_counter() - t0
