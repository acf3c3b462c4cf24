"""Accessibility in a real browser: animation controls by keyboard alone, every page at phone width, palettes."""

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.test_browser import READOUT_JS, assert_healthy, open_url, readout
from ui.registry import EXPLORERS

PHONE = {"width": 390, "height": 844}  # an iPhone 12–15 in portrait, in CSS pixels
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/17.0 Mobile/15E148 Safari/604.1")


def focus_by_tab(pg, selector: str, max_tabs: int = 400) -> None:
    """Press Tab until the focused element matches ``selector`` (proves it is reachable by keyboard alone)."""
    for _ in range(max_tabs):
        pg.keyboard.press("Tab")
        if pg.evaluate(f"() => !!document.activeElement && document.activeElement.matches({selector!r})"):
            return
    raise AssertionError(f"{selector} was never focused by Tab")


def step_of(pg) -> int:
    now = readout(pg)["now"]
    return int("".join(ch for ch in now.split()[1] if ch.isdigit()))


def frame_step(pg, index: int) -> int:
    """The step number the animation's ``index``-th frame shows."""
    label = pg.evaluate(f"""() => [...document.querySelectorAll('.js-plotly-plot')]
        .find(g => g.layout && (g.layout.sliders || []).length).layout.sliders[0].steps[{index}].label""")
    return int("".join(ch for ch in str(label).split()[0] if ch.isdigit()))


def test_play_pause_and_step_slider_work_from_the_keyboard(server, page):
    open_url(page, f"{server.url}/fit-a-line")
    assert step_of(page) == 0
    page.wait_for_selector("g.updatemenu-button[tabindex='0']", timeout=10_000)
    focus_by_tab(page, "g.updatemenu-button")
    assert page.evaluate("() => document.activeElement.getAttribute('aria-label')").startswith("Play")
    page.keyboard.press("Enter")
    page.wait_for_function(f"({READOUT_JS})().now !== ({READOUT_JS})().first", timeout=10_000)
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.getAttribute('aria-label')").startswith("Pause")
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)
    paused_at = step_of(page)
    page.wait_for_timeout(600)
    assert 0 < paused_at == step_of(page)  # it played, and pausing holds it
    # the step slider, reached by Tab from the top of the page: Home, End and the arrows move it
    page.locator("h1").first.click()
    focus_by_tab(page, "g.slider-container[role='slider']")
    page.keyboard.press("Home")
    page.wait_for_function(f"(r => r.now === r.first)(({READOUT_JS})())", timeout=10_000)
    for _ in range(3):
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(250)
    assert step_of(page) == frame_step(page, 3)  # the third frame on (long runs keep every k-th step as a frame)
    page.keyboard.press("ArrowLeft")
    page.wait_for_timeout(250)
    assert step_of(page) == frame_step(page, 2)
    assert page.evaluate("() => document.activeElement.getAttribute('aria-valuenow')") in ("2", "3")
    assert_healthy(page)


@pytest.mark.parametrize("url_path", [e.url_path for e in EXPLORERS])
def test_every_page_fits_a_phone(server, browser, url_path):
    """At 390 px nothing is wider than the screen (no sideways scrolling of the page), charts fit with their
    panels stacked in one column (taller than wide), and the controls are still there to use."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                  user_agent=IPHONE)
    pg = context.new_page()
    open_url(pg, f"{server.url}/{url_path}")
    assert_healthy(pg)
    pg.wait_for_selector(".js-plotly-plot")
    width = pg.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, f"the page is {width}px wide on a {PHONE['width']}px phone"
    charts = pg.evaluate("() => [...document.querySelectorAll('.js-plotly-plot')]"
                         ".map(g => g.getBoundingClientRect().right)")
    assert charts and max(charts) <= PHONE["width"] + 1
    first = pg.locator(".js-plotly-plot").first.bounding_box()
    assert first["height"] > first["width"], "the first chart's panels should be stacked on a phone"
    assert pg.locator(".js-plotly-plot .modebar").count() == 0
    assert pg.get_by_role("slider").count() + pg.get_by_role("combobox").count() > 0
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"phone-{url_path}.png"))
    context.close()


def test_palette_choice_recolours_the_charts_and_lands_in_the_link(server, page):
    open_url(page, f"{server.url}/decision-boundary?palette=high-contrast")
    assert_healthy(page)
    page.wait_for_selector(".js-plotly-plot")
    colors = page.evaluate("() => [...document.querySelectorAll('.js-plotly-plot .scatterlayer .point')]"
                           ".map(p => getComputedStyle(p).fill)")
    assert "rgb(0, 68, 136)" in colors and "rgb(0, 114, 178)" not in colors  # #004488 instead of #0072B2
    assert "palette=high-contrast" in page.url
    # each chart is a labelled figure for screen readers: its summary's first sentence
    names = page.evaluate("() => [...document.querySelectorAll('[role=figure]')]"
                          ".map(e => e.getAttribute('aria-label'))")
    assert names and all(name and len(name) > 20 for name in names)
    assert page.locator("g.updatemenu-button[aria-label='Play at 2× speed']").count() > 0
    page.screenshot(path=str(ARTIFACTS / "palette-high-contrast.png"))
