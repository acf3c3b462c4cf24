"""PCA vs t-SNE in a real browser: hovering a digit names it (no block-character pictures), clicking it shows
its real 8×8 image below the chart.

Its browser runs in a thread of its own: Playwright's sync API allows one instance per thread, and
tests/browser/conftest.py's session-wide ``browser`` (whose fixtures do not reach this directory) may be open
in the main thread when both are collected.
"""

import os
import re
import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.browser.conftest import ARTIFACTS, CHROMIUM_ARGS, start_server, wait_for_app

pytestmark = pytest.mark.browser
BLOCKS = re.compile("[░▒▓█]")


@pytest.fixture(scope="module")
def server():
    if shutil.which("chromium") is None:
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is required in CI (make test installs it)")
        pytest.skip("chromium is not installed (run `make test`, which installs it)")
    s = start_server()
    yield s
    s.stop()


def in_browser(check, *args):
    """``check(page, *args)`` in a fresh headless Chromium at 1280×720, in its own thread; returns its result
    (an assertion failing inside fails the test)."""
    def run():
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
            try:
                return check(browser.new_context(viewport={"width": 1280, "height": 720}).new_page(), *args)
            finally:
                browser.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


def main_chart(pg):
    return pg.locator(".js-plotly-plot", has=pg.locator(".slider-container")).first


def point_centre(chart, panel: str, index: int = 0) -> tuple[float, float]:
    """Screen position of a marker in ``panel`` ("xy" is PCA, "x2y2" t-SNE)."""
    box = chart.locator(f"g.cartesianlayer g.subplot.{panel} .scatterlayer path.point").nth(index).bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def hover_text(pg, chart, panel: str, index: int = 0) -> str:
    x, y = point_centre(chart, panel, index)
    pg.mouse.move(x, y)
    label = chart.locator(".hoverlayer .hovertext")
    label.first.wait_for(timeout=10_000)
    return label.first.text_content()


def test_hover_names_the_digit_and_a_click_shows_its_image(server):
    in_browser(hover_and_click, server.url)


def hover_and_click(page, url):
    page.goto(f"{url}/pca-vs-tsne?n=300&iterations=250")
    wait_for_app(page)
    chart = main_chart(page)
    chart.scroll_into_view_if_needed()
    for panel in ("x2y2", "xy"):  # the t-SNE side carried the block characters
        text = hover_text(page, chart, panel, 5)
        assert "row" in text and "label" in text, text
        assert not BLOCKS.search(text), text
    row = re.search(r"row (\d+)", text).group(1)
    label = re.search(r"label: (\d)", text).group(1)
    x, y = point_centre(chart, "xy", 5)
    page.mouse.click(x, y)
    image = page.locator('[data-testid="stImage"] img')
    image.first.wait_for(timeout=20_000)
    wait_for_app(page)
    caption = page.locator(".st-key-embeddings-clicked").inner_text()
    assert f"row {row}" in caption and f"digit {label}" in caption, caption
    image.first.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "pca-vs-tsne-clicked-digit.png"))
    assert page.locator('[data-testid="stException"]').count() == 0
