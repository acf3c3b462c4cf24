"""The calibration page's stage: its threshold figure beside its key controls on one projector screen, and
nothing in that figure drawn over anything else (titles, legend, labels, the metric list, the slider).

The figure was ~800 px tall under the controls (its top at ~800 px at 1280×720); put in the stage's narrower
column as it was, it overlapped itself.
"""

import pytest

from tests.browser.test_browser import assert_healthy, open_url

KEYS = ("prevalence", "separation", "model", "use", "t")
SIZES = [(1280, 720), (1366, 768), (1920, 1080)]

# Every visible piece of text the threshold figure draws, as page rectangles: annotations (panel titles, the
# "t = …" label, the cells' counts, the metric list), legend, axis titles and tick labels, the slider's readout.
TEXT_BOXES = """chart => {
    const sel = '.annotation-text, .legendtext, .legendtitletext, [class^="g-x"][class$="title"] text,'
              + ' [class^="g-y"][class$="title"] text, .xaxislayer-above text, .yaxislayer-above text,'
              + ' .slider-group > text.slider-label';
    return [...chart.querySelectorAll(sel)].filter(e => {
        const r = e.getBoundingClientRect(), style = getComputedStyle(e);
        return r.width > 0 && r.height > 0 && style.visibility !== 'hidden' && style.opacity !== '0';
    }).map(e => {
        const r = e.getBoundingClientRect();
        return {text: e.textContent.trim(), x0: r.left, x1: r.right, y0: r.top, y1: r.bottom};
    });
}"""


def threshold_figure(page):
    chart = page.locator(".js-plotly-plot", has=page.locator(".slider-container")).first
    chart.wait_for(timeout=60_000)
    page.wait_for_timeout(300)  # Plotly's second pass (automargin) settles
    return chart


def overlaps(boxes: list[dict], slack: float = 1.0) -> list[tuple[str, str]]:
    return [(a["text"], b["text"]) for i, a in enumerate(boxes) for b in boxes[i + 1:]
            if min(a["x1"], b["x1"]) - max(a["x0"], b["x0"]) > slack
            and min(a["y1"], b["y1"]) - max(a["y0"], b["y0"]) > slack]


@pytest.mark.parametrize("width, height", SIZES)
def test_the_threshold_figure_and_its_key_controls_share_one_screen(server, browser, width, height):
    context = browser.new_context(viewport={"width": width, "height": height})
    try:
        page = context.new_page()
        open_url(page, f"{server.url}/calibration")
        assert_healthy(page)
        box = threshold_figure(page).bounding_box()
        visible = min(box["y"] + box["height"], height) - max(box["y"], 0)
        assert box["y"] < 230 and box["height"] >= 400 and visible >= 0.9 * box["height"], box
        for name in ("preset", *KEYS):
            control = page.locator(f".st-key-calibration-{name}").bounding_box()
            assert control and control["y"] >= 0 and control["y"] + control["height"] <= height, (name, control)
            assert control["x"] + control["width"] <= box["x"], (name, control)  # beside the figure, left of it
    finally:
        context.close()


@pytest.mark.parametrize("query, width, height", [
    ("", 1280, 720), ("?t=0", 1280, 720), ("?preset=car-crash&t=0.95", 1280, 720), ("", 1920, 1080),
    ("?present=1", 1280, 720)])
def test_nothing_in_the_threshold_figure_is_drawn_over_anything_else(server, browser, query, width, height):
    context = browser.new_context(viewport={"width": width, "height": height})
    try:
        page = context.new_page()
        open_url(page, f"{server.url}/calibration{query}")
        assert_healthy(page)
        chart = threshold_figure(page)
        boxes = chart.evaluate(TEXT_BOXES)
        texts = " ".join(b["text"] for b in boxes)
        for expected in ("Confusion matrix", "ROC curve", "negatives (y = 0)", "false negatives", "share flagged",
                         "threshold t = ", "predicted 1", "false-positive rate"):
            assert expected in texts, expected
        assert overlaps(boxes) == []
        frame = chart.bounding_box()
        outside = [b["text"] for b in boxes if b["x0"] < frame["x"] - 1 or b["x1"] > frame["x"] + frame["width"] + 1
                   or b["y0"] < frame["y"] - 1 or b["y1"] > frame["y"] + frame["height"] + 1]
        assert outside == []  # nothing cut off at the figure's edges
    finally:
        context.close()
