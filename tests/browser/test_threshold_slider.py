"""The calibration page's threshold figure has its own slider, played by Plotly in the browser.

Dragging it must move the confusion matrix and the metrics at once, with no script run on the server (the
URL and the Streamlit control stay as they were), and show at each threshold what ``core.thresholds`` says.
"""

import io
import re

import numpy as np
import pytest

from core.thresholds import at_threshold, threshold_table
from tests.browser.conftest import ARTIFACTS, wait_for_app
from claims.calibration import run
from tests.test_app_pages import declared

PRESET = "car-crash"
READOUT = ".slider-group > text.slider-label"  # Plotly's "threshold t = 0.50" above the slider
CELLS = ("true negatives", "false positives", "false negatives", "true positives")
CELL_TEXT = re.compile(r"^([\d,]+)(" + "|".join(CELLS) + r")([\d.]+)% of row$")

# Every script-state the app enters from now on (a rerun would pass through "running").
WATCH_SCRIPT_STATE = """() => {
    window.__states = [];
    const app = document.querySelector('[data-testid="stApp"]');
    new MutationObserver(() => window.__states.push(app.getAttribute('data-test-script-state')))
        .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""


@pytest.fixture(scope="module")
def expected():
    """The page's test split and scores for the preset, computed here with ``core`` (as the page does)."""
    params, presets = declared("pages/calibration.py")
    y_test, scores, _ = run({p.name: p.default for p in params} | presets[PRESET].values)
    return threshold_table(y_test, scores["none"], probabilities=True)


def figure(page):
    chart = page.locator(".js-plotly-plot").first  # section 1's figure is the page's first chart
    chart.locator(".slider-container").wait_for(timeout=30_000)
    return chart


def shown(chart) -> tuple[str, dict]:
    """The figure's slider readout and its confusion-matrix cells {name: (count, share %)}."""
    readout = chart.locator(READOUT).text_content()
    cells = {}
    for text in chart.locator(".annotation-text").all_text_contents():
        if m := CELL_TEXT.match(text.strip()):
            cells[m.group(2)] = (int(m.group(1).replace(",", "")), float(m.group(3)))
    return readout, cells


def threshold_of(readout: str) -> float:
    return float(re.search(r"(\d\.\d\d)", readout).group(1))


def assert_matches_core(cells: dict, table, t: float):
    row = at_threshold(table, t)
    assert cells == {
        "true negatives": (row.tn, round(100 * row.tn / (row.tn + row.fp), 1)),
        "false positives": (row.fp, round(100 * row.fp / (row.tn + row.fp), 1)),
        "false negatives": (row.fn, round(100 * row.fn / (row.fn + row.tp), 1)),
        "true positives": (row.tp, round(100 * row.tp / (row.fn + row.tp), 1)),
    }, t


def drag_slider(page, chart, to: float, steps: int = 12):
    """Drag the figure's slider grip to the share ``to`` of its rail."""
    chart.locator(".slider-rail-rect").scroll_into_view_if_needed()
    rail = chart.locator(".slider-rail-rect").bounding_box()
    grip = chart.locator(".slider-grip-rect").bounding_box()
    y = grip["y"] + grip["height"] / 2
    page.mouse.move(grip["x"] + grip["width"] / 2, y)
    page.mouse.down()
    page.mouse.move(rail["x"] + to * rail["width"], y, steps=steps)
    page.mouse.up()


def panels_painted(page, chart) -> list[bool]:
    """Whether each panel of the figure shows more than one colour (a blanked panel is all white)."""
    from PIL import Image

    painted = []
    for box in [b.bounding_box() for b in chart.locator("rect.nsewdrag").all()]:
        image = Image.open(io.BytesIO(page.screenshot(clip=box))).convert("L")
        shades = image.getcolors(256)  # None when there are more than 256
        painted.append(shades is None or len(shades) > 2)
    return painted


def test_the_figures_own_slider_moves_the_numbers_in_the_browser_without_a_rerun(server, page, expected):
    page.goto(f"{server.url}/calibration?preset={PRESET}")
    wait_for_app(page)
    chart = figure(page)
    readout, before = shown(chart)
    assert threshold_of(readout) == 0.5  # it opens where the Streamlit control (the preset's t) says
    assert_matches_core(before, expected, 0.5)
    url = page.url
    page.evaluate(WATCH_SCRIPT_STATE)

    drag_slider(page, chart, 0.15)
    page.wait_for_function(f"() => !document.querySelector('.js-plotly-plot {READOUT}')"
                           ".textContent.includes('0.50')", timeout=5_000)
    readout, after = shown(chart)
    t = threshold_of(readout)
    assert t < 0.3 and after != before
    assert_matches_core(after, expected, t)  # the browser shows what the server computes for that threshold

    page.wait_for_timeout(600)  # a rerun, had one been sent, would have started by now
    assert page.evaluate("window.__states") == []  # stApp never entered the running state
    assert page.url == url
    assert page.locator(".st-key-calibration-t").get_by_role("slider").get_attribute("aria-valuetext") == "0.50"
    page.screenshot(path=str(ARTIFACTS / "threshold-slider-dragged.png"))


def test_dragging_under_a_4x_slower_cpu_keeps_every_panel_painted(server, browser, expected):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    try:
        page.goto(f"{server.url}/calibration?preset={PRESET}")
        wait_for_app(page)
        chart = figure(page)
        chart.scroll_into_view_if_needed()
        assert all(panels_painted(page, chart))
        cdp = context.new_cdp_session(page)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
        page.evaluate(WATCH_SCRIPT_STATE)
        seen = set()
        for to in (0.9, 0.6, 0.3, 0.05, 0.75):
            drag_slider(page, chart, to, steps=6)
            readout, cells = shown(chart)
            t = threshold_of(readout)
            seen.add(t)
            assert_matches_core(cells, expected, t)
            painted = panels_painted(page, chart)
            assert len(painted) == 5 and all(painted), (t, painted)  # histograms, matrix, ROC, PR, metrics
        assert len(seen) == 5
        assert page.evaluate("window.__states") == []
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
    finally:
        context.close()


def test_the_math_panel_equations_fit_their_column(server, browser):
    """No equation of the calibration page's Math & code panel is wider than its column (they were cut off). The
    panel is open by default; one closed in the link (``math=false``) opens with a click."""
    for width, height, query in ((1400, 1000, ""), (1280, 720, "?math=false")):
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        try:
            page.goto(f"{server.url}/calibration{query}")
            wait_for_app(page)
            panel = page.locator('[data-testid="stExpander"]').filter(has_text="Math & code").first
            panel.scroll_into_view_if_needed()
            if query:
                assert panel.locator(".katex-display").count() == 0  # closed: nothing typeset
                panel.locator("summary").click()
                page.wait_for_function("() => !location.search.includes('math=')", timeout=20_000)
                wait_for_app(page)
            panel.locator(".katex-display").first.wait_for(timeout=20_000)
            widths = panel.evaluate("""e => [...e.querySelectorAll('.katex-display')]
                .map(k => [k.scrollWidth, k.clientWidth])""")
            assert len(widths) >= 7
            assert [w for w in widths if w[0] > w[1] + 1] == [], (width, widths)
        finally:
            context.close()


def test_the_arrow_keys_move_the_threshold_and_its_readout_together(server, page, expected):
    """Keyboard steps ran the step's relayout but left the knob and its readout behind: End showed the matrix
    at t = 1.00 under a readout of 0.50."""
    page.goto(f"{server.url}/calibration?preset={PRESET}")
    wait_for_app(page)
    chart = figure(page)
    chart.locator("g.slider-container[role='slider']").focus()
    for key, t in (("End", 1.0), ("ArrowLeft", 0.99), ("Home", 0.0), ("ArrowRight", 0.01)):
        page.keyboard.press(key)
        page.wait_for_function(f"() => document.querySelector('.js-plotly-plot {READOUT}')"
                               f".textContent.includes('{t:.2f}')", timeout=5_000)
        readout, cells = shown(chart)
        assert threshold_of(readout) == t
        assert_matches_core(cells, expected, t)
