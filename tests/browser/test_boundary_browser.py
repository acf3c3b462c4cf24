"""The decision-boundary page on a projector screen: the animation, its Play button and slider, the preset, the
key controls and the "Keep training" switch all on screen at once, without scrolling (the figure used to start
about 1,140 px down, under three boxes of controls)."""

import pytest

from tests.browser.test_browser import assert_healthy, open_url

KEY = ("data", "layers", "lr", "epochs", "live")


@pytest.mark.parametrize("width, height", [(1280, 720), (1366, 768), (1920, 1080)])
def test_the_boundary_animation_and_its_key_controls_share_a_projector_screen(server, browser, width, height):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    open_url(page, f"{server.url}/decision-boundary")
    chart = page.locator(".js-plotly-plot", has=page.locator("g.updatemenu-button")).first
    chart.wait_for(timeout=60_000)
    box = chart.bounding_box()
    visible = min(box["y"] + box["height"], height) - max(box["y"], 0)
    assert box["y"] < 230 and box["height"] >= 400 and visible >= 0.9 * box["height"], box
    play = chart.locator("g.updatemenu-button", has_text="Play").first.bounding_box()
    assert play["y"] + play["height"] <= height, play
    for name in KEY:
        control = page.locator(f".st-key-decision-boundary-{name}").bounding_box()
        assert control and control["y"] >= 0 and control["y"] + control["height"] <= height, (name, control)
    assert page.locator(".st-key-decision-boundary-preset").bounding_box()["y"] < height
    assert_healthy(page)
    context.close()
