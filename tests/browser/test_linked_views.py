"""Linked views on the PCA vs t-SNE page (issue 25), in a real browser: a box drawn over points in the PCA panel
selects the same points in the t-SNE panel (in the browser: ui/linked_selection.py), and a clicked point's
nearest neighbours in the data are selected in both panels.

Before linking, a box in the PCA panel left the t-SNE traces without any ``selectedpoints`` and a click selected
the clicked point alone, in its own panel."""

import pytest

from tests.browser.conftest import start_server, wait_for_app
from tests.browser.test_browser import assert_healthy, open_url

PORT = 8672
URL = "/pca-vs-tsne?data=iris&iterations=250"

#: Per trace of the main (linked) chart: its axis and the indices Plotly has selected (null: no selection).
SELECTED_JS = """() => {
  const gd = [...document.querySelectorAll('.js-plotly-plot')].find((g) => g.layout && g.layout.meta
      && g.layout.meta.linked === 'pairs');
  return gd.data.map((t, i) => ({axis: t.xaxis || 'x', name: t.name,
      selected: t.selectedpoints == null ? null : Array.from(t.selectedpoints).map(Number)}));
}"""


@pytest.fixture(scope="module")
def server():
    s = start_server(PORT)
    yield s
    s.stop()


def plot_box(pg, axis: str):
    """The drag area (``rect.nsewdrag``) of the panel on ``axis`` ("xy" or "x2y2") of the main chart."""
    return pg.locator(f'.st-key-embeddings .js-plotly-plot .draglayer g.{axis} rect.nsewdrag').bounding_box()


def selected(pg) -> dict:
    """{(axis, trace name): selected indices} for every trace of the main chart."""
    return {(t["axis"], t["name"]): t["selected"] for t in pg.evaluate(SELECTED_JS)}


def test_a_box_in_the_pca_panel_selects_the_same_points_in_the_tsne_panel(server, page):
    open_url(page, server.url + URL)
    assert_healthy(page)
    # the box-select tool of the mode bar (Streamlit shows it when the chart takes box selections)
    page.locator(".st-key-embeddings .js-plotly-plot").hover()
    page.locator('.st-key-embeddings .modebar-btn[data-val="select"]').click()
    box = plot_box(page, "xy")
    x0, y0 = box["x"] + box["width"] * 0.05, box["y"] + box["height"] * 0.05
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x0 + box["width"] * 0.5, y0 + box["height"] * 0.45, steps=8)
    page.mouse.move(x0 + box["width"] * 0.6, y0 + box["height"] * 0.9, steps=8)
    page.mouse.up()
    page.wait_for_timeout(1500)
    wait_for_app(page)
    page.wait_for_timeout(500)
    now = selected(page)
    pca = {name: sel for (axis, name), sel in now.items() if axis == "x"}
    tsne = {name: sel for (axis, name), sel in now.items() if axis == "x2"}
    assert sum(len(s or []) for s in pca.values()) > 0, now  # the box caught some points
    assert tsne == pca, now  # the same points, trace by trace, selected on the t-SNE side
    assert_healthy(page)


def test_a_clicked_point_and_its_neighbours_are_selected_in_both_panels(server, page):
    open_url(page, server.url + URL)
    # click a point of the first class in the t-SNE panel: where Plotly draws it
    point = page.evaluate("""() => {
      const gd = [...document.querySelectorAll('.js-plotly-plot')].find((g) => g.layout && g.layout.meta);
      const t = gd._fullData[1], xa = gd._fullLayout.xaxis2, ya = gd._fullLayout.yaxis2;
      const r = gd.querySelector('.draglayer g.x2y2 rect.nsewdrag').getBoundingClientRect();
      const i = 0;
      return {x: r.left + xa.l2p(t.x[i]), y: r.top + ya.l2p(t.y[i])};
    }""")
    page.mouse.click(point["x"], point["y"])
    page.wait_for_timeout(1000)
    wait_for_app(page)
    page.wait_for_selector("text=nearest neighbours in the data", timeout=30_000)
    page.wait_for_timeout(800)
    now = selected(page)
    pca = {name: sel for (axis, name), sel in now.items() if axis == "x"}
    tsne = {name: sel for (axis, name), sel in now.items() if axis == "x2"}
    assert sum(len(s or []) for s in pca.values()) == 11, now  # the point and its 10 neighbours
    assert tsne == pca, now
    assert_healthy(page)
