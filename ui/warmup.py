"""Open what a class will open, once, when the server starts: every page, preset and lesson step.

A view nobody has opened yet costs 0.2–3.5 s of computing (a network trained, a t-SNE run, a figure built);
once open, it is a cached rerun of ~0.05–0.1 s for everyone. When a class of 30 opens a lesson step together,
the first opener computes it and the other 29 wait for it; on a freshly started server every step of the
lesson is such a wait. So the server opens each view itself first, through one simulated browser tab on its
own port (``ui/browser_tab.py``, the load test's tab): the same code path as a student's click, so what it
fills is exactly what the class will hit. It only uses idle time: one view at a time, and only after visitors
have left the server alone for ``QUIET_S`` (a class already there computes what it opens itself; opening views
nobody asked for yet would only make it wait longer: with a class arriving at a cold server, p95 was 13 s without
a warm-up, 20 s with one that did not wait, 11 s with the wait).

``ML_EXPLORER_WARM_UP`` controls it: unset or ``1`` opens everything, ``0`` turns it off (the browser tests do,
to keep their timing their own), and a comma-separated list of page paths (``fit-a-line,optimizers``) limits it.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from urllib.parse import urlencode

from ui.lessons import LESSONS, step_link
from ui.registry import EXPLORERS
from ui.workers import server_pool

ENV = "ML_EXPLORER_WARM_UP"
OFF = {"0", "off", "false", "no"}
#: A view may take long when visitors compete with it: slower than this it is logged as a problem (the tab still
#: waits up to three times as long for it, then the warm-up moves on).
TIMEOUT_S = 120.0
#: The warm-up opens its next view only when no visitor has started a run for this long.
QUIET_S = 1.5
AGENT = "ml-math-explorer warm-up"  # its tab's User-Agent: how a run tells the warm-up from a visitor

_start_lock = threading.Lock()
_started: list[threading.Thread] = []
_last_visit = [float("-inf")]  # time.monotonic() of the last run a visitor started


def note_run() -> None:
    """Called at the start of every run of the app: a visitor's run makes the warm-up hold back."""
    import streamlit as st

    try:
        agent = st.context.headers.get("User-Agent", "")
    except Exception:  # no request behind this run (AppTest): nothing to tell apart
        agent = ""
    if agent != AGENT:
        _last_visit[0] = time.monotonic()


def wait_needed(now: float, last_visit: float) -> float:
    """Seconds the warm-up should still wait at ``now`` when a visitor's last run started at ``last_visit``."""
    return max(0.0, QUIET_S - (now - last_visit))


def views(url_path: str) -> list[dict]:
    """The views a class is sent to on a page, as query dicts: its defaults, each preset, each lesson step that
    opens it. The presets come from ``ui.view.DECLARED``, so the page must have run once in this process."""
    from ui.view import DECLARED

    _, presets = DECLARED[url_path]
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


def in_server() -> bool:
    """True in a real ``streamlit run`` (AppTest runs pages with a stand-in Runtime, and nothing listens)."""
    from streamlit.runtime import Runtime

    return Runtime.exists() and type(Runtime.instance()) is Runtime


def start_warm_up() -> threading.Thread | None:
    """Start the warm-up once per server process (a no-op on every later call, under AppTest, or when off)."""
    with _start_lock:
        if _started or not in_server():
            return None
        pages = pages_to_warm(os.environ.get(ENV))
        if not pages:
            _started.append(threading.current_thread())  # decided: nothing to do
            return None
        import streamlit as st

        address = st.get_option("server.address") or ""
        host = "127.0.0.1" if address in {"", "0.0.0.0", "::", "localhost"} else address
        host = f"[{host}]" if ":" in host else host  # an IPv6 address in a URL
        thread = threading.Thread(target=_run, args=(host, int(st.get_option("server.port")),
                                                     st.get_option("server.baseUrlPath") or "", pages),
                                  name="warm-up", daemon=True)
        _started.append(thread)
    thread.start()
    return thread


def _run(host: str, port: int, base_path: str, pages: list[str]) -> None:
    from streamlit.logger import get_logger

    log = get_logger(__name__)
    try:
        opened, problems, seconds = asyncio.run(warm(host, port, base_path, pages))
    except Exception as error:  # the app works without it: say so and stop
        log.warning("warm-up stopped: %s: %s", type(error).__name__, error)
        return
    pool = server_pool()
    if pool is not None:
        pool.retire_idle()  # the class that comes next finds every view cached: the worker's memory can go
    for view, problem in problems:
        log.warning("warm-up: %s: %s", view, problem)
    log.info("warm-up finished: %d views in %.1f s, %d with problems", opened, seconds, len(problems))


async def warm(host: str, port: int, base_path: str, pages: list[str]) -> tuple[int, list, float]:
    """Open every page at its defaults (which declares its presets), then its lesson steps and presets, one at a
    time; returns (views opened, [(view, problem)], seconds)."""
    from ui.browser_tab import Tab

    t0 = time.perf_counter()
    tab = Tab(host, port, timeout=TIMEOUT_S, base_path=base_path, agent=AGENT)
    opened, problems = 0, []

    async def visit(page: str, query: dict) -> None:
        nonlocal opened
        while (wait := wait_needed(time.monotonic(), _last_visit[0])) > 0:
            await asyncio.sleep(wait)
        text = urlencode(query)
        run = await (tab.open(page, text) if tab.ws is None else tab.rerun(text, page=page))
        opened += 1
        problems.extend((f"/{page}?{text}", f"{p.kind}: {p.detail}") for p in run.problems)

    try:
        for page in pages:  # the page as everyone first sees it; this also declares its presets
            await visit(page, {})
        for page in pages:
            for query in views(page)[1:]:
                await visit(page, query)
    finally:
        await tab.close()
    return opened, problems, time.perf_counter() - t0
