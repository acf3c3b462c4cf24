"""A real ``streamlit run`` on 127.0.0.1 and Debian's headless Chromium driven by Playwright."""

import os
import shutil
import time
from pathlib import Path

import pytest

from bench.load import Server

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def start_server(port: int | None = None) -> Server:
    """``streamlit run app.py`` on a free loopback port (or ``port``), healthy, logging into tests/artifacts."""
    return Server(port, log_dir=ARTIFACTS, log_prefix="streamlit").start().wait_healthy()


@pytest.fixture(scope="session")
def browser():
    chromium = shutil.which("chromium")
    if chromium is None:
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is required in CI (make test installs it)")
        pytest.skip("chromium is not installed (run `make test`, which installs it)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def fresh_server():
    server = start_server()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def server():
    s = start_server()
    yield s
    s.stop()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    yield pg
    context.close()


def wait_for_app(pg, timeout=60_000):
    """Wait until the script run is over and every element is drawn (no loading skeletons)."""
    time.sleep(0.15)  # let a rerun start so we don't read the previous run's state
    pg.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]'
                         '[data-test-connection-state="CONNECTED"]', timeout=timeout)
    pg.wait_for_function("() => !document.querySelector('[data-testid=stSkeleton]')", timeout=timeout)
