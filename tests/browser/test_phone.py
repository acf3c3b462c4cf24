"""Every page's charts on a phone (390 × 844, a mobile User-Agent): the animation controls fit and sit under the
main panel, colour bars stay off other panels, and no text runs off the chart (issue 22, item 5)."""

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.test_access_browser import IPHONE, PHONE
from tests.browser.test_browser import assert_healthy, open_url
from ui.registry import EXPLORERS

#: How far below the top of its chart's first panel the Play button may sit (a phone screen is 844 px tall).
PLAY_WITHIN_PX = 900

#: Per chart drawn: its buttons, how far Play sits below the top of its first panel, buttons that overlap,
#: colour bars over a panel not their own, text that runs past the chart's sides, titles under the legend.
LAYOUT_JS = """() => {
  const box = r => ({x: r.left, y: r.top, r: r.right, b: r.bottom});
  const hit = (a, c) => a.x < c.r - 1 && c.x < a.r - 1 && a.y < c.b - 1 && c.y < a.b - 1;
  return [...document.querySelectorAll('.js-plotly-plot')].filter(gd => gd.getBoundingClientRect().width > 0)
    .map((gd, index) => {
      const chart = box(gd.getBoundingClientRect());
      const origin = gd.querySelector('.main-svg').getBoundingClientRect();
      const panels = Object.entries(gd._fullLayout._plots || {}).map(([id, p]) => ({id,
        x: origin.left + p.xaxis._offset, r: origin.left + p.xaxis._offset + p.xaxis._length,
        y: origin.top + p.yaxis._offset, b: origin.top + p.yaxis._offset + p.yaxis._length}));
      const buttons = [...gd.querySelectorAll('g.updatemenu-button')]
        .map(g => ({label: g.textContent.trim(), ...box(g.getBoundingClientRect())}));
      const overlaps = [];
      buttons.forEach((a, i) => buttons.slice(i + 1).forEach(c => {
        if (hit(a, c)) overlaps.push(`${a.label} × ${c.label}`);
      }));
      const play = buttons.find(b => b.label.includes('Play'));
      const top = panels.length ? Math.min(...panels.map(p => p.y)) : chart.y;
      const bars = [...gd.querySelectorAll('g.colorbar')].flatMap(g => {
        const uid = ([...g.classList].find(c => c.startsWith('cb')) || 'cb').slice(2);
        const trace = gd._fullData.find(t => t.uid === uid) || {};
        const own = (trace.xaxis || 'x') + (trace.yaxis || 'y');
        const bar = box(g.getBoundingClientRect());
        return panels.filter(p => p.id !== own && hit(bar, p)).map(p => `colour bar of ${own} over ${p.id}`);
      });
      const overflow = [...gd.querySelectorAll('text')].filter(t => {
        const s = getComputedStyle(t);
        if (s.display === 'none' || s.visibility === 'hidden' || s.opacity === '0' || s.fillOpacity === '0'
            || /rgba\\(.*,\\s*0\\)$/.test(s.fill) || !t.textContent.trim()) return false;
        const r = t.getBoundingClientRect();
        return r.width > 0 && (r.right > chart.r + 1 || r.left < chart.x - 1);
      }).map(t => t.textContent.slice(0, 60));
      const entries = [...gd.querySelectorAll('.legend .legendtext')].map(t => box(t.getBoundingClientRect()));
      const clashes = [...gd.querySelectorAll('.annotation-text')]
        .filter(a => entries.some(e => hit(e, box(a.getBoundingClientRect()))))
        .map(a => a.textContent.slice(0, 40));
      return {index, height: Math.round(chart.b - chart.y), buttons: buttons.map(b => b.label),
              play: play ? Math.round(play.y - top) : null, overlaps, bars, overflow, clashes};
    });
}"""


@pytest.mark.parametrize("url_path", [e.url_path for e in EXPLORERS])
def test_on_a_phone_the_controls_fit_under_the_main_panel_and_nothing_overlaps(server, browser, url_path):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, user_agent=IPHONE)
    pg = context.new_page()
    try:
        open_url(pg, f"{server.url}/{url_path}")
        assert_healthy(pg)
        pg.wait_for_selector(".js-plotly-plot g.cartesianlayer")
        pg.wait_for_timeout(500)  # Plotly's automargin redraw
        charts = pg.evaluate(LAYOUT_JS)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(ARTIFACTS / f"phone-layout-{url_path}.png"))
    finally:
        context.close()
    assert charts, "no chart drawn"
    problems = []
    for chart in charts:
        where = f"chart {chart['index']} ({chart['height']} px tall)"
        problems += [f"{where}: buttons overlap: {pair}" for pair in chart["overlaps"]]
        problems += [f"{where}: {bar}" for bar in chart["bars"]]
        problems += [f"{where}: text runs off the chart: {text!r}" for text in chart["overflow"]]
        problems += [f"{where}: the legend covers the title {text!r}" for text in chart["clashes"]]
        if chart["play"] is not None and chart["play"] > PLAY_WITHIN_PX:
            problems.append(f"{where}: Play is {chart['play']} px below the top of its first panel")
    assert not problems, "\n".join(problems)
    if any(c["buttons"] for c in charts):
        assert any(c["play"] is not None for c in charts), "an animated chart lost its Play button"
