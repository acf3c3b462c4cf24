"""A fresh server's very first request is a direct link to a page (issue 24).

With a ``pages/`` folder beside ``app.py``, Streamlit 1.67 runs a new process's first request in its legacy
multipage mode: the page file alone, navigation labels made from file names (``ui/routing.py``). Each page must
still come up through the router: its own title, the app's navigation titles, the sidebar's app-wide controls,
no "Page not found". One new server per page, so every page is some server's first request.
"""

import pytest

from tests.browser.conftest import start_server
from tests.browser.test_browser import PAGES, assert_healthy, open_url
from ui.registry import EXPLORERS

NAV_TITLES = ["Home"] + [e.title for e in EXPLORERS]
NAV_JS = """() => [...document.querySelectorAll('[data-testid="stSidebarNav"] a')].map(a => a.innerText.trim())"""


@pytest.mark.parametrize("url_path, title", PAGES[1:])
def test_a_direct_link_is_the_first_request_of_a_new_server(browser, url_path, title):
    server = start_server()
    try:
        context = browser.new_context(viewport={"width": 1280, "height": 720})
        pg = context.new_page()
        open_url(pg, f"{server.url}/{url_path}?motion=reduced")
        assert_healthy(pg)
        assert title in pg.locator("h1").first.inner_text()
        pg.wait_for_function(f"({NAV_JS})().length >= {len(NAV_TITLES)}", timeout=30_000)
        labels = [label.split("\n")[-1] for label in pg.evaluate(NAV_JS)]
        assert labels == NAV_TITLES, labels
        # app.py's sidebar ran (the router, not the page alone) and read the link
        toggle = pg.locator('[data-testid="stSidebar"] label', has_text="Reduce motion").locator("input")
        assert toggle.is_checked()
        assert pg.url.split("?")[0].rstrip("/").endswith(url_path) and "motion=reduced" in pg.url
        pg.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)  # the page drew its figure
        context.close()
    finally:
        server.stop()
