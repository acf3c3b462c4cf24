"""PCA vs t-SNE above 3,000 points draws with WebGL (issue 25). Plotly cannot animate WebGL traces: their frames
paint only with a redraw, and a screenshot waits for a quiet moment, so it cannot tell a frame skipped from a
frame drawn. This counts WebGL draw calls instead, per animation frame, on a laptop's CPU (throttled 4x)."""

from tests.browser.test_browser import assert_healthy, open_url

#: Counts every WebGL draw call, with the animation frame the main chart was on when it was made.
COUNT_DRAWS_JS = """(() => {
  window.__draws = [];
  const main = () => [...document.querySelectorAll('.js-plotly-plot')].find(
    (g) => g.layout && (g.layout.updatemenus || []).length);
  for (const C of [window.WebGLRenderingContext, window.WebGL2RenderingContext].filter(Boolean)) {
    for (const name of ['drawArrays', 'drawElements']) {
      const draw = C.prototype[name];
      C.prototype[name] = function (...args) {
        const gd = main();
        window.__draws.push(gd && gd._fullLayout ? gd._fullLayout._currentFrame : null);
        return draw.apply(this, args);
      };
    }
  }
})();"""

#: Records, before every paint, the frame the main chart is on.
FOLLOW_FRAMES_JS = """() => {
  window.__draws = []; window.__frames = []; window.__following = true;
  const gd = [...document.querySelectorAll('.js-plotly-plot')].find((g) => g.layout && (g.layout.updatemenus || []).length);
  const tick = () => { window.__frames.push(gd._fullLayout._currentFrame); if (window.__following) requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
}"""


def test_every_frame_of_a_webgl_replay_is_drawn_on_a_slow_laptop(server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.add_init_script(COUNT_DRAWS_JS)
    open_url(page, f"{server.url}/pca-vs-tsne?data=gaussian_cloud&n=5000&iterations=250")
    chart = page.locator(".js-plotly-plot", has=page.locator("g.updatemenu-button")).first
    chart.wait_for(timeout=180_000)
    assert page.evaluate("() => document.querySelector('.js-plotly-plot .gl-container canvas') !== null")
    cdp = context.new_cdp_session(page)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
    page.evaluate(FOLLOW_FRAMES_JS)
    chart.locator("g.updatemenu-button", has_text="Play").first.click()
    page.wait_for_timeout(6000)
    chart.locator("g.updatemenu-button", has_text="Pause").first.click()
    page.wait_for_timeout(1500)
    page.evaluate("() => { window.__following = false; }")
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
    seen = [f for f in page.evaluate("window.__frames") if f is not None]
    shown = [f for i, f in enumerate(seen) if i == 0 or f != seen[i - 1]]
    drawn = set(page.evaluate("window.__draws"))
    assert len(shown) >= 5, shown  # the replay moved on
    # shown[0] was on screen when the count began (the run plays by itself on load), so it may have been drawn
    # before; every frame the replay moved to after that must be drawn while we watched.
    assert [f for f in shown[1:] if f not in drawn] == [], (shown, sorted(drawn))
    assert_healthy(page)
    context.close()
