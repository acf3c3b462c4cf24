"""The server's warm-up (``server/warmup.py``) opens every page, preset and lesson step of the pages it is asked to,
once, through a real tab on its own port — and never runs outside a real server."""

import asyncio
import re
import threading
import time

import pytest

from bench import load
from tests.test_app_pages import open_page
from server import warmup
from private_apis import in_server
from ui.lessons import LESSONS
from ui.registry import EXPLORERS

ARTIFACTS = load.ROOT / "tests" / "artifacts"
PAGES = ["fit-a-line", "optimizers"]  # two cheap pages keep this quick
FINISHED = re.compile(r"warm-up finished: (\d+) views in [\d.]+ s, (\d+) with problems")


def test_the_setting_names_the_pages():
    every = [e.url_path for e in EXPLORERS]
    assert warmup.pages_to_warm(None) == every
    assert warmup.pages_to_warm(" 1 ") == every
    assert warmup.pages_to_warm("ALL") == every
    for off in ("0", "off", "False", "no"):
        assert warmup.pages_to_warm(off) == []
    assert warmup.pages_to_warm("optimizers, fit-a-line") == ["fit-a-line", "optimizers"]  # the app's order
    assert warmup.pages_to_warm("optimizers,no-such-page") == ["optimizers"]


def test_a_page_s_views_are_its_defaults_presets_and_lesson_steps():
    from explorers.batch_size import PRESETS as presets

    views = warmup.views("batch-size")
    steps = [(lesson.slug, str(i + 1)) for lesson in LESSONS.values() for i, step in enumerate(lesson.steps)
             if step.page == "batch-size"]
    assert views[0] == {}
    assert [v["preset"] for v in views[1:1 + len(presets)]] == list(presets)
    assert [(v["lesson"], v["step"]) for v in views[1 + len(presets):]] == steps
    assert len(presets) >= 3 and len(steps) >= 3


def test_it_does_not_start_under_apptest():
    open_page()
    assert not in_server()
    assert warmup.start_warm_up() is None
    assert not any(t.name == "warm-up" for t in threading.enumerate())


@pytest.fixture(scope="module")
def warmed_server():
    server = load.Server(log_dir=ARTIFACTS, log_prefix="warmup", warm_up=",".join(PAGES))
    try:
        server.start()
    except OSError as error:
        pytest.skip(f"streamlit could not be started: {error}")
    try:
        specs = load.discover(PAGES)  # while the server boots
        server.wait_healthy()
        yield server, specs
    finally:
        server.stop()


def test_it_waits_for_a_quiet_moment():
    assert warmup.wait_needed(now=10.0, last_visit=float("-inf")) == 0.0
    assert warmup.wait_needed(now=10.0, last_visit=10.0) == warmup.QUIET_S
    assert warmup.wait_needed(now=10.0, last_visit=10.0 - warmup.QUIET_S / 3) == pytest.approx(2 * warmup.QUIET_S / 3)
    assert warmup.wait_needed(now=10.0, last_visit=10.0 - 2 * warmup.QUIET_S) == 0.0


async def busy_visitor(port: int, seconds: float) -> int:
    """A visitor changing something every 0.3 s for ``seconds``; returns how many runs it made."""
    tab = load.Tab("127.0.0.1", port)
    runs = 0
    try:
        await tab.open("fit-a-line")
        end = asyncio.get_running_loop().time() + seconds
        while asyncio.get_running_loop().time() < end:
            await tab.rerun(f"lr={0.01 + 0.001 * (runs % 10):.3f}")
            runs += 1
            await asyncio.sleep(0.3)
    finally:
        await tab.close()
    return runs


def test_a_started_server_opens_every_view_of_the_pages_asked_for_when_visitors_let_it(warmed_server):
    server, specs = warmed_server
    assert "warm-up" not in server.log_path.read_text()  # nothing before the first visit ...
    # ... which starts it; but while a visitor keeps the server busy, it holds back (alone, it takes ~3 s)
    assert asyncio.run(busy_visitor(server.port, seconds=8.0)) >= 3
    assert "warm-up finished" not in server.log_path.read_text()
    line = server.wait_warmed(timeout=240)  # the visitor left: now it runs
    match = FINISHED.search(line)
    assert match, line
    assert int(match[1]) == sum(len(specs[page].views) for page in PAGES)
    assert int(match[2]) == 0, server.log_path.read_text()[-3000:]
    assert server.tracebacks() == []
    # its worker process (server/workers.py) has left too: the class that comes next needs none of its memory
    deadline = time.monotonic() + 10
    while len(load._tree(server.proc.pid)) > 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert load._tree(server.proc.pid) == [server.proc.pid]
    # a later visitor does not start it again
    asyncio.run(load._open_once("127.0.0.1", server.port))
    assert server.log_path.read_text().count("warm-up finished") == 1
