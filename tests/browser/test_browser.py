"""End to end: every page by its direct URL, playing animations, keyboard control, shared links."""

import os
import re
from pathlib import Path

import pytest

from tests.browser.conftest import ARTIFACTS, wait_for_app
from ui.registry import EXPLORERS

PAGES = [("", "ML Math Explorer")] + [(e.url_path, e.title) for e in EXPLORERS]


def open_url(pg, url):
    pg.goto(url)
    wait_for_app(pg)


def assert_healthy(pg):
    assert pg.locator('[data-testid="stException"]').count() == 0
    assert pg.get_by_text("Page not found").count() == 0
    assert pg.get_by_text("Something went wrong").count() == 0


# The step readout of the page's first animated chart (the first Plotly chart with a step slider): "step 12 …"
# or, for training, "epoch 12 …".
STEP_TEXT_JS = """() => [...document.querySelectorAll('.js-plotly-plot .slider-container text')]
    .map(t => t.textContent).find(t => /^(step|epoch) /.test(t)) || ''"""
FIRST = r"^(step|epoch) 0(\s|$)"  # a JS regex: the readout of the first frame
STEP_NUMBER = re.compile(r"(?:step|epoch) (\d+)")


def slider_step(pg) -> str:
    """The animation's current step, as Plotly's slider shows it above the scrubber."""
    pg.wait_for_function(f"({STEP_TEXT_JS})() !== ''", timeout=30_000)
    return pg.evaluate(STEP_TEXT_JS)


def streamlit_slider(pg, key):
    return pg.locator(f".st-key-{key}").get_by_role("slider")


@pytest.mark.parametrize("url_path, title", PAGES)
def test_screenshot_each_page_opened_by_direct_url_on_a_fresh_server(fresh_server, browser, url_path, title):
    context = browser.new_context(viewport={"width": 1280, "height": 720})  # a classroom projector: the stage
    pg = context.new_page()
    open_url(pg, f"{fresh_server.url}/{url_path}")
    assert_healthy(pg)
    assert title in pg.locator("h1").first.inner_text()
    if url_path:
        pg.wait_for_selector(".js-plotly-plot .slider-container")
        rail = pg.locator(".js-plotly-plot", has=pg.locator("g.updatemenu-button")).locator(
            "g.slider-container[role='slider']").first
        if rail.count():  # show the run's last frame (ui/keyboard.py: End steps the slider to it)
            rail.focus()
            pg.keyboard.press("End")
            pg.wait_for_timeout(2000)
            pg.evaluate("() => { document.activeElement.blur(); "
                        "document.querySelectorAll('*').forEach((el) => { if (el.scrollTop) el.scrollTop = 0; }); }")
        pg.mouse.move(2, 2)  # no hover label over the picture
        pg.wait_for_timeout(500)
        pg.evaluate("() => document.querySelectorAll('*').forEach((el) => { if (el.scrollTop) el.scrollTop = 0; })")
    out = Path(os.environ.get("SCREENSHOT_DIR") or ARTIFACTS / "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(out / f"{url_path or 'home'}.png"))
    context.close()


# The first chart with Play buttons: its slider's readout now, and what it reads on the first frame.
READOUT_JS = """() => {
  const gd = [...document.querySelectorAll('.js-plotly-plot')]
    .find(g => g.layout && (g.layout.updatemenus || []).length && (g.layout.sliders || []).length);
  if (!gd) return null;
  const slider = gd.layout.sliders[0];
  const text = gd.querySelector('g.slider-group > text.slider-label');  // the current value, above the rail
  return {now: text ? text.textContent : '', first: (slider.currentvalue.prefix || '') + slider.steps[0].label};
}"""


def readout(page) -> dict:
    page.wait_for_function(f"(({READOUT_JS})() || {{}}).now", timeout=30_000)
    return page.evaluate(READOUT_JS)


@pytest.mark.parametrize("url_path", [e.url_path for e in EXPLORERS])
def test_play_advances_the_animation_in_the_browser(server, page, url_path):
    open_url(page, f"{server.url}/{url_path}")
    before = readout(page)["now"]
    chart = page.locator(".js-plotly-plot", has=page.locator("g.updatemenu-button")).first
    chart.locator("g.updatemenu-button", has_text="Play").first.click()
    page.wait_for_function(f"({READOUT_JS})().now !== {before!r}", timeout=15_000)
    # what lies under the animation is still drawn after playing (Plotly blanks it unless frames redraw)
    chart.locator("g.updatemenu-button", has_text="Pause").first.click()
    page.wait_for_timeout(500)
    drawn = chart.locator(".contourlayer path, .hm image, .scatterlayer .point, .barlayer .point").count()
    assert drawn > 0
    chart.locator("g.updatemenu-button", has_text="Reset").first.click()
    page.wait_for_timeout(300)
    chart.locator("g.updatemenu-button", has_text="Reset").first.click()
    page.wait_for_function(f"(r => r.now === r.first)(({READOUT_JS})())", timeout=10_000)
    assert_healthy(page)


def test_keyboard_moves_a_slider_and_the_output_and_url_follow(server, page):
    open_url(page, f"{server.url}/fit-a-line")
    metric = page.locator('[data-testid="stMetric"]', has_text="steps taken")
    assert "100" in metric.inner_text()
    streamlit_slider(page, "fit-a-line-steps").focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => location.search.includes('steps=101')", timeout=20_000)
    wait_for_app(page)
    assert "101" in metric.inner_text()
    assert_healthy(page)


def test_a_shared_link_reproduces_the_view(server, page, browser):
    open_url(page, f"{server.url}/fit-a-line?lr=0.05&steps=37&seed=7&preset=crawling")
    assert_healthy(page)
    assert streamlit_slider(page, "fit-a-line-steps").get_attribute("aria-valuetext") == "37"
    assert "0.05" in page.locator(".st-key-fit-a-line-lr").inner_text()
    assert "37" in page.locator('[data-testid="stMetric"]', has_text="steps taken").inner_text()
    shown = page.locator(".st-key-fit-a-line-preset").evaluate(
        "el => el.innerText + ' ' + [...el.querySelectorAll('input')].map(i => i.value).join(' ')")
    assert "Too small: crawling" in shown
    page.get_by_text("Copy link to this view").click()
    link = page.locator('[data-testid="stCode"]', has_text="/fit-a-line?").first.inner_text()
    assert all(part in link for part in ("preset=crawling", "lr=0.05", "steps=37", "seed=7")), link
    assert link.startswith(f"{server.url}/fit-a-line?"), link
    # the copied link, opened by someone else: the same page with the same controls
    other = browser.new_context(viewport={"width": 1280, "height": 720})
    friend = other.new_page()
    open_url(friend, link)
    assert_healthy(friend)
    assert "Fit a line" in friend.locator("h1").first.inner_text()
    assert streamlit_slider(friend, "fit-a-line-steps").get_attribute("aria-valuetext") == "37"
    assert "37" in friend.locator('[data-testid="stMetric"]', has_text="steps taken").inner_text()
    other.close()


def test_a_bad_link_shows_notices_not_a_traceback(server, page):
    open_url(page, f"{server.url}/fit-a-line?lr=banana&steps=-5&preset=nope")
    assert_healthy(page)
    alerts = page.locator('[data-testid="stAlert"]').all_inner_texts()
    text = " ".join(alerts)
    assert "lr=banana" in text and "steps=-5" in text and "nope" in text


def test_clicking_the_surface_moves_the_race_start(server, page):
    open_url(page, f"{server.url}/optimizers")
    x0 = page.locator(".st-key-optimizers-x0 input")
    assert x0.input_value() == "-2.50"
    chart = page.locator(".js-plotly-plot", has=page.locator(".slider-container")).first
    box = chart.locator("g.xy .nsewdrag").first.bounding_box()  # the contour's plotting area
    page.mouse.click(box["x"] + 0.75 * box["width"], box["y"] + 0.25 * box["height"])
    page.wait_for_function("() => location.search.includes('x0=')", timeout=20_000)
    wait_for_app(page)
    # the bowl's box is (−3, 3)²: three quarters across and a quarter down is about (1.5, 1.5)
    assert abs(float(x0.input_value()) - 1.5) < 0.3
    assert abs(float(page.locator(".st-key-optimizers-y0 input").input_value()) - 1.5) < 0.3
    assert_healthy(page)


LOSS = re.compile(r"epoch (\d+) · train loss ([\d.]+)")


def test_training_plays_the_loss_falls_and_the_map_is_painted_while_playing(server, page):
    open_url(page, f"{server.url}/decision-boundary")
    chart = page.locator(".js-plotly-plot", has=page.locator(".slider-container")).first
    first = LOSS.match(slider_step(page))
    assert first.group(1) == "0"
    # half speed: every frame has time to finish redrawing its heatmaps before the next one starts
    chart.locator("g.updatemenu-button", has_text="0.5×").first.click()
    painted, readouts = [], []
    for _ in range(8):
        page.wait_for_timeout(400)
        readouts.append(LOSS.match(slider_step(page)))
        box = chart.locator("g.x2y2 .nsewdrag").first.bounding_box()
        shot = page.screenshot(clip=box)
        painted.append(len(set(_pixels(shot))) > 50)
    epochs = [int(m.group(1)) for m in readouts]
    losses = [float(m.group(2)) for m in readouts]
    assert epochs == sorted(epochs) and epochs[-1] > 0
    # training lowers the loss, frame after frame
    assert losses[-1] < losses[0] < float(first.group(2))
    assert sum(b < a for a, b in zip(losses, losses[1:])) >= len(losses) // 2
    assert sum(painted) >= 3, painted  # the decision map is drawn while it plays, not blank
    assert_healthy(page)


def _pixels(png: bytes):
    from io import BytesIO

    from PIL import Image
    return Image.open(BytesIO(png)).convert("RGB").resize((60, 60)).get_flattened_data()


def test_a_boundary_control_retrains_and_the_link_follows(server, page):
    open_url(page, f"{server.url}/decision-boundary")
    streamlit_slider(page, "decision-boundary-layers").focus()
    page.keyboard.press("ArrowLeft")
    page.wait_for_function("() => location.search.includes('layers=1')", timeout=20_000)
    wait_for_app(page)
    assert page.get_by_text("Layer 2: units").count() == 0 and page.get_by_text("Layer 1: units").count() == 1
    assert_healthy(page)




def test_dragging_the_threshold_changes_the_confusion_matrix(server, page):
    open_url(page, f"{server.url}/calibration")
    chart = page.locator(".js-plotly-plot").first
    chart.wait_for()
    before = chart.inner_text()
    assert "true negatives" in before
    handle = streamlit_slider(page, "calibration-t")
    box = handle.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + 250, box["y"] + box["height"] / 2, steps=8)  # drag the handle to the right
    page.mouse.up()
    page.wait_for_function("() => location.search.includes('t=')", timeout=20_000)
    wait_for_app(page)
    after = page.locator(".js-plotly-plot").first.inner_text()
    assert after != before and "true negatives" in after
    assert float(handle.get_attribute("aria-valuetext")) > 0.5
    assert_healthy(page)


def test_a_presenter_link_hides_the_chosen_controls_and_the_sidebar(server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 720})  # a projector
    page = context.new_page()
    open_url(page, f"{server.url}/fit-a-line?present=1&hide=lr,steps")
    assert_healthy(page)
    assert page.locator(".st-key-fit-a-line-lr").count() == 0 and page.locator(".st-key-fit-a-line-steps").count() == 0
    assert page.locator(".st-key-fit-a-line-w0").count() == 1  # the other key controls stay
    assert not page.locator('[data-testid="stSidebar"]').is_visible()
    size = page.evaluate("() => getComputedStyle(document.documentElement).fontSize")
    assert size == "20px"
    page.wait_for_selector(".js-plotly-plot .slider-container")
    out = Path(os.environ.get("SCREENSHOT_DIR") or ARTIFACTS / "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out.parent / "presenter-fit-a-line.png"))
    context.close()


def test_downloads_the_numbers_as_csv_and_an_animation_that_plays_offline(server, browser, tmp_path):
    context = browser.new_context(viewport={"width": 1400, "height": 1400}, accept_downloads=True)
    page = context.new_page()
    open_url(page, f"{server.url}/fit-a-line")
    with page.expect_download() as download:
        page.get_by_role("button", name=re.compile(r"Trajectory \(CSV")).first.click()
    csv = Path(download.value.path()).read_text()
    header, first = csv.splitlines()[:2]
    assert header == "step,w,b,loss,dL/dw,dL/db" and first.startswith("0,")
    with page.expect_download() as download:
        page.get_by_role("button", name=re.compile(r"Animation \(HTML")).first.click()
    html = tmp_path / "animation.html"
    html.write_text(Path(download.value.path()).read_text())
    offline = context.new_page()
    offline.route("http*://**", lambda route: route.abort())  # no network: everything must be in the file
    offline.goto(html.as_uri())
    offline.wait_for_selector(".js-plotly-plot .slider-container")
    before = readout(offline)["now"]
    offline.locator("g.updatemenu-button", has_text="Play").first.click()
    offline.wait_for_function(f"({READOUT_JS})().now !== {before!r}", timeout=15_000)
    context.close()


@pytest.mark.parametrize("url_path", [e.url_path for e in EXPLORERS])
def test_every_page_exports_its_numbers_as_csv(server, browser, url_path):
    context = browser.new_context(viewport={"width": 1400, "height": 1400}, accept_downloads=True)
    page = context.new_page()
    open_url(page, f"{server.url}/{url_path}")
    button = page.get_by_role("button", name=re.compile(r"\(CSV\)")).first
    button.scroll_into_view_if_needed()
    with page.expect_download(timeout=30_000) as download:
        button.click()
    lines = Path(download.value.path()).read_text().splitlines()
    assert len(lines) > 2 and "," in lines[0]
    context.close()


def test_the_reduce_motion_switch_opens_animations_on_their_last_frame(server, page):
    open_url(page, f"{server.url}/fit-a-line")
    first = readout(page)
    assert first["now"] == first["first"]
    page.locator('[data-testid="stSidebar"]').get_by_text("Reduce motion").click()
    page.wait_for_function("() => location.search.includes('motion=reduced')", timeout=20_000)
    wait_for_app(page)
    page.wait_for_function(f"(r => r && r.now && r.now !== r.first)(({READOUT_JS})())", timeout=20_000)
    assert_healthy(page)
