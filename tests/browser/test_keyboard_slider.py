"""The arrow keys on an animation's step slider leave no mouse drag behind (issue 22, item 4).

The keyboard script once stepped the slider by sending Plotly a synthetic mousedown on the rail and a mouseup on
``window``. Plotly listens for the end of a slider drag on the chart's own element, which a mouseup sent to
``window`` never reaches: the drag stayed open, the step followed the pointer with no button held, and Play stalled
a few frames in (every pointer move over the chart jumped it back).
"""

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.test_browser import assert_healthy, open_url

SLIDER = "g.slider-container[role='slider']"
# The first animated chart's slider: where it stands, how many steps it has, and whether Plotly thinks a drag
# of it is still going on (``_dragging`` is Plotly's own flag, read here only to say why a test failed).
STATE_JS = """() => {
  const gd = [...document.querySelectorAll('.js-plotly-plot')]
    .find(g => g.layout && (g.layout.updatemenus || []).length && (g.layout.sliders || []).length);
  const full = ((gd._fullLayout || {}).sliders || [])[0] || {};
  return {active: gd.layout.sliders[0].active || 0, n: gd.layout.sliders[0].steps.length, dragging: !!full._dragging};
}"""


def state(pg) -> dict:
    return pg.evaluate(STATE_JS)


def sweep_the_rail(pg, buttons_down: bool = False) -> None:
    """Move the pointer from one end of the slider's rail to the other (a drag if ``buttons_down``)."""
    box = pg.locator("g.slider-container .slider-rail-touch-rect").first.bounding_box()
    y = box["y"] + box["height"] / 2
    pg.mouse.move(box["x"] + 2, y)
    if buttons_down:
        pg.mouse.down()
    for i in range(1, 21):
        pg.mouse.move(box["x"] + box["width"] * i / 20 - 2, y)
        pg.wait_for_timeout(20)
    if buttons_down:
        pg.mouse.up()
    pg.wait_for_timeout(300)


@pytest.mark.parametrize("route", ["plotly-api", "pointer-fallback"])
def test_arrow_keys_step_one_frame_and_leave_no_drag_behind(server, page, route):
    open_url(page, f"{server.url}/fit-a-line")
    # The first animated chart's slider, once the keyboard script has labelled it: the first labelled slider on
    # the page may be another chart's while a redrawn first chart waits for its label.
    chart = page.locator(".js-plotly-plot", has=page.locator("g.updatemenu-button")).first
    slider = chart.locator(SLIDER)
    slider.wait_for(timeout=20_000)
    if route == "pointer-fallback":
        # Streamlit's Plotly bundle sets the global ``Plotly``; without it the script falls back to pointer events
        assert page.evaluate("() => delete window.Plotly && typeof window.Plotly === 'undefined'")
    assert state(page)["active"] == 0
    slider.focus()
    for expected in (1, 2, 3):
        page.keyboard.press("ArrowRight")
        page.wait_for_function(f"() => ({STATE_JS})().active === {expected}", timeout=5_000)
    assert state(page)["active"] == 3 and state(page)["n"] > 20  # one frame per key press, of many
    page.wait_for_function("(el) => el.getAttribute('aria-valuenow') === '3'", arg=slider.element_handle(),
                           timeout=5_000)

    sweep_the_rail(page)  # no button held: hovering must not move the step
    after_hover = state(page)
    page.locator("g.updatemenu-button", has_text="Play").first.click()
    try:  # it plays on, past step 10
        page.wait_for_function(f"() => ({STATE_JS})().active > 10", timeout=20_000)
    except PlaywrightTimeout:  # the assertion below says what happened
        pass
    played = state(page)
    # On the broken script: the hover dragged the step to the end, and Play stalled on step 3 ("dragging": True
    # in ``after_hover`` says Plotly still thought the mouse button was down).
    assert (after_hover["active"], played["active"] > 10) == (3, True), (after_hover, played)
    page.locator("g.updatemenu-button", has_text="Pause").first.click()

    sweep_the_rail(page, buttons_down=True)  # a real mouse drag still works, and ends with the button
    dragged_to = state(page)
    assert dragged_to["active"] >= dragged_to["n"] - 3 and not dragged_to["dragging"]
    page.mouse.move(5, 5)
    page.wait_for_timeout(300)
    assert state(page)["active"] == dragged_to["active"]
    assert_healthy(page)
