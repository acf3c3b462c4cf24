"""What a person sees while the picture moves: a change plays by itself, and no panel blanks during Play on a
modest machine (the CPU throttled 4x, as DevTools does)."""

import pytest

from tests.browser.conftest import wait_for_app
from tests.browser.playback import (PANELS_JS, START_JS, STOP_JS, blanks, painted_during_play, screenshot_pixels,
                                    white_share)
from tests.browser.test_browser import READOUT_JS, assert_healthy, open_url, readout, streamlit_slider


def test_a_control_change_starts_the_new_run_playing_without_play(server, page):
    open_url(page, f"{server.url}/fit-a-line")
    first = readout(page)
    page.wait_for_timeout(3000)
    # opening a page waits for the viewer (it once played by itself: a rerun drawing the same figure again
    # handed Plotly new frame objects, which looked like a new run)
    assert readout(page)["now"] == first["first"]
    streamlit_slider(page, "fit-a-line-steps").focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => location.search.includes('steps=101')", timeout=20_000)
    wait_for_app(page)
    # the new run plays by itself: no second press of Play
    page.wait_for_function(f"(r => r && r.now && r.now !== r.first)(({READOUT_JS})())", timeout=20_000)
    assert_healthy(page)


def test_reduced_motion_never_plays_by_itself(server, page):
    open_url(page, f"{server.url}/fit-a-line?motion=reduced")
    last = readout(page)["now"]
    streamlit_slider(page, "fit-a-line-steps").focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => location.search.includes('steps=101')", timeout=20_000)
    wait_for_app(page)
    page.wait_for_timeout(2000)
    now = readout(page)["now"]
    assert now != readout(page)["first"] and now == readout(page)["now"]  # on its last frame, still
    assert last != now  # a new run: 101 steps


def played_on_a_slow_laptop(context, page, url: str, rounds: int = 1, play_ms: int = 5000):
    """Open ``url``, throttle the CPU 4x, and press Play, then Pause, then Reset, ``rounds`` times: what every
    panel drew before, and what it drew at every paint while playing."""
    open_url(page, url)
    page.wait_for_function(f"({PANELS_JS})() !== null", timeout=60_000)
    before = page.evaluate(PANELS_JS)
    cdp = context.new_cdp_session(page)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
    chart = page.locator(".js-plotly-plot", has=page.locator("g.updatemenu-button")).first
    samples = []
    for _ in range(rounds):
        page.evaluate(START_JS)
        chart.locator("g.updatemenu-button", has_text="Play").first.click()
        page.wait_for_timeout(play_ms)
        chart.locator("g.updatemenu-button", has_text="Pause").first.click()
        page.wait_for_timeout(800)
        samples += page.evaluate(STOP_JS)
        chart.locator("g.updatemenu-button", has_text="Reset").first.click()
        page.wait_for_timeout(800)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
    return before, samples


@pytest.mark.parametrize("url_path", ["optimizers", "pca-vs-tsne", "fit-a-line", "batch-size", "decision-boundary",
                                      "calibration"])
def test_no_panel_blanks_while_playing_on_a_slow_laptop(server, browser, url_path):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    before, samples = played_on_a_slow_laptop(context, page, f"{server.url}/{url_path}")
    assert len(samples) >= 10, f"only {len(samples)} paints in 6 s"
    assert blanks(before, samples) == {}, (before, blanks(before, samples))
    assert blanks(before, [page.evaluate(PANELS_JS)]) == {}  # and after Reset
    assert_healthy(page)
    context.close()


#: The plot area (inset 2 px) of every panel of the chart, in the page, from its graph div.
PANEL_BOXES_JS = """(gd) => {
  const r = gd.getBoundingClientRect(), L = gd._fullLayout;
  return L._subplots.cartesian.map((id) => {
    const [, x, y] = id.match(/^(x\\d*)(y\\d*)$/);
    const xa = L[x.replace('x', 'xaxis')], ya = L[y.replace('y', 'yaxis')];
    return [r.left + xa._offset + 2, r.top + ya._offset + 2, r.left + xa._offset + xa._length - 2,
            r.top + ya._offset + ya._length - 2].map(Math.round);
  });
}"""


@pytest.mark.parametrize("url_path", ["decision-boundary", "optimizers", "fit-a-line", "batch-size"])
def test_every_painted_frame_shows_the_pictures_while_playing_on_a_slow_laptop(server, browser, url_path):
    """What a person sees, pixel by pixel: every frame Chromium painted during Play with the CPU throttled 4x,
    in each panel that a picture fills (less than 5 % of it white before Play). The decision map was a heatmap, which plotly.js cannot animate: each
    frame replotted the points first and the map only in a redraw after, so 22 of 24 painted frames showed a
    white map. Counting the map's elements (the test above) saw 1-2 of 80: the element stays while its picture
    waits. Now the map is a picture whose source each frame swaps."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    open_url(page, f"{server.url}/{url_path}")
    chart = page.locator(".js-plotly-plot", has=page.locator("g.updatemenu-button")).first
    chart.wait_for(timeout=60_000)
    page.wait_for_timeout(1000)
    chart.locator("g.updatemenu-button", has_text="Reset").first.click()
    page.wait_for_timeout(500)
    boxes = chart.evaluate(PANEL_BOXES_JS)
    shown = screenshot_pixels(page)
    filled = [b for b in boxes if shown[b[1]:b[3], b[0]:b[2]].size and white_share(shown[b[1]:b[3], b[0]:b[2]]) < 0.05]
    assert filled, (boxes, [white_share(shown[b[1]:b[3], b[0]:b[2]]) for b in boxes])
    painted = painted_during_play(context, page, chart, filled)
    assert len(painted) >= 15, len(painted)
    for k in range(len(filled)):
        blank = [round(white_share(p[k]), 2) for p in painted if white_share(p[k]) > 0.5]
        assert blank == [], f"panel {filled[k]}: {len(blank)} of {len(painted)} painted frames blank: {blank}"
    if url_path == "decision-boundary":
        assert len({p[0].tobytes() for p in painted}) >= 10  # and the map moved
    assert_healthy(page)
    context.close()


#: The main chart's margins: asked for in its layout, and as Plotly drew it.
MARGINS_JS = """() => {
  const gd = [...document.querySelectorAll('.js-plotly-plot')].find((g) => g.layout && (g.layout.updatemenus || []).length);
  const size = gd._fullLayout._size, asked = gd.layout.margin || {};
  return {asked: ['l', 'r', 't', 'b'].map((k) => asked[k] ?? null), drawn: ['l', 'r', 't', 'b'].map((k) => Math.round(size[k]))};
}"""


@pytest.mark.parametrize("url_path", ["fit-a-line", "optimizers", "decision-boundary", "batch-size", "pca-vs-tsne",
                                      "calibration"])
def test_a_new_figure_is_drawn_once_at_the_margins_it_asks_for(server, page, url_path):
    """A margin too small for its labels, slider or buttons, Plotly widens itself and then draws the whole figure
    again: ~100 ms of every change's picture (fit a line and optimizers drew twice, their left margin 0 -> 55).
    Each figure asks for the room its parts take, so Plotly widens none."""
    open_url(page, f"{server.url}/{url_path}")
    page.wait_for_selector("g.updatemenu-button", timeout=120_000)
    page.wait_for_timeout(1500)
    margins = page.evaluate(MARGINS_JS)
    asked = [0 if m is None else m for m in margins["asked"]]
    assert margins["drawn"] == asked, margins
    assert_healthy(page)


STAGED = {"fit-a-line": ("lr", "steps", "w0", "b0"), "optimizers": ("surface", "opts", "lr", "steps"),
          "pca-vs-tsne": ("data", "n", "perplexity", "iterations"), "batch-size": ("sizes", "lr", "scale_lr", "steps")}


@pytest.mark.parametrize("url_path", list(STAGED))
def test_the_figure_and_its_key_controls_share_a_projector_screen(server, browser, url_path):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    open_url(page, f"{server.url}/{url_path}")
    chart = page.locator(".js-plotly-plot", has=page.locator("g.updatemenu-button")).first
    chart.wait_for(timeout=60_000)
    box = chart.bounding_box()
    visible = min(box["y"] + box["height"], 720) - max(box["y"], 0)
    assert box["height"] >= 400 and visible >= 0.9 * box["height"], box
    for name in STAGED[url_path]:
        control = page.locator(f".st-key-{url_path}-{name}").bounding_box()
        assert control and control["y"] >= 0 and control["y"] + control["height"] <= 720, (name, control)
    assert page.locator(f".st-key-{url_path}-preset").bounding_box()["y"] < 720
    context.close()


# Every annotation drawn on the page while the script runs, with where its chart stood on the screen.
SEEN_JS = """() => {
  window.__seen = [];
  new MutationObserver(() => {
    for (const text of document.querySelectorAll('.js-plotly-plot g.annotation-text-g text')) {
      const said = text.textContent;
      if (!said.startsWith('t-SNE is running') || window.__seen.some(s => s.said === said)) continue;
      const box = text.closest('.js-plotly-plot').getBoundingClientRect();
      window.__seen.push({said, top: box.top, bottom: box.bottom, height: box.height});
    }
  }).observe(document.body, {childList: true, subtree: true, characterData: true});
}"""


def test_a_t_sne_change_shows_the_new_map_moving_on_the_stage_while_it_runs(server, browser):
    """Before, a perplexity change left the old picture greyed out until t-SNE ended (2–4 s) with the progress bar
    below the screen; now the new run's map is drawn where the chart is, a few times a second, as it goes."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    open_url(page, f"{server.url}/pca-vs-tsne?perplexity=37&iterations=1000")  # a run no other test caches
    page.locator(".js-plotly-plot", has=page.locator("g.updatemenu-button")).first.wait_for(timeout=60_000)
    page.evaluate(SEEN_JS)
    streamlit_slider(page, "pca-vs-tsne-perplexity").focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => location.search.includes('perplexity=38')", timeout=20_000)
    wait_for_app(page)
    seen = page.evaluate("window.__seen")
    assert seen, "no map was drawn while t-SNE ran"
    iterations = [int(s["said"].split("iteration ")[1].split(" of")[0].replace(",", "")) for s in seen]
    assert iterations == sorted(iterations) and iterations[0] < 1000  # the run as it goes, in order
    for s in seen:  # on the stage, where the replay then plays
        assert s["height"] >= 400 and min(s["bottom"], 720) - max(s["top"], 0) >= 0.9 * s["height"], s
    replay = page.locator(".js-plotly-plot", has=page.locator("g.updatemenu-button")).first
    assert abs(replay.bounding_box()["y"] - seen[-1]["top"]) < 40  # the replay takes its place
    assert page.locator("g.annotation-text-g", has_text="t-SNE is running").count() == 0
    assert_healthy(page)
    context.close()
