"""The optimizer page in a browser: a typed surface that is not finite at the start still draws its map, and a
click on the map starts the race there."""

from tests.browser.conftest import wait_for_app


def test_a_start_where_the_formula_is_not_finite_keeps_the_map_clickable(server, page):
    page.goto(f"{server.url}/optimizers?surface=custom&expr=log(x)")  # log(−2.5) is not a number
    wait_for_app(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    chart = page.locator(".js-plotly-plot").first
    chart.wait_for(timeout=10_000)  # the surface is drawn even though no race can start from (−2.5, 2)
    assert page.get_by_text("the race did not start").count() >= 1
    chart.scroll_into_view_if_needed()  # (the message above pushes the map below the fold)
    box = chart.locator("g.xy .nsewdrag").first.bounding_box()  # the contour's plotting area, box (−3, 3)²
    page.mouse.click(box["x"] + 0.75 * box["width"], box["y"] + 0.5 * box["height"])  # about (1.5, 0)
    page.wait_for_function("() => location.search.includes('x0=')", timeout=20_000)
    wait_for_app(page)
    assert abs(float(page.locator(".st-key-optimizers-x0 input").input_value()) - 1.5) < 0.3
    assert page.get_by_text("the race did not start").count() == 0
    # the race now runs: its animated figure (with the step scrubber) and its results table are drawn
    page.locator(".js-plotly-plot", has=page.locator(".slider-container")).first.wait_for(timeout=20_000)
    assert page.locator('[data-testid="stDataFrame"]').count() >= 1
    page.screenshot(path="/tmp/opt_start_after_click.png")


def test_switching_surface_brings_that_surfaces_own_eta_and_start(server, page):
    page.goto(f"{server.url}/optimizers")  # the bowl at η = 0.05: on Rosenbrock that blows up at step 1
    wait_for_app(page)
    page.locator(".st-key-optimizers-surface").click()
    page.get_by_role("option", name="Rosenbrock valley").click()
    page.wait_for_function("() => location.search.includes('surface=rosenbrock')", timeout=20_000)
    wait_for_app(page)
    assert "lr=0.002" in page.url and "x0=-1.2" in page.url
    assert page.locator('[data-testid="stException"]').count() == 0
    # no racer's "diverged at step N" alert (the results table's column of that name is not one)
    assert page.locator('[data-testid="stAlert"]', has_text="diverged at step").count() == 0
    page.locator(".js-plotly-plot", has=page.locator(".slider-container")).first.wait_for(timeout=20_000)
