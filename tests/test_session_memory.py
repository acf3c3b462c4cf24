"""A long session must not keep earlier runs of a page alive; the widget callbacks that live on the view work.

Streamlit re-executes a page as a fresh module on every run and keeps each widget's metadata, callback included,
for the whole session, also after the widget is gone (1.67: "the mapping outlives the widget"). A chart's widget
identity is a hash of its figure, so a chart with ``on_select`` registers a new widget for every figure it shows.
A callback defined in the page held that run's module namespace (its figures, results, data) through
``__globals__``: the optimizer page kept one run alive per race a visitor had seen, and under ``make load`` the
server grew without bound while its caches stayed flat. Callbacks therefore live on ``ui.view.View``.
"""

import gc
from pathlib import Path
from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest

from tests.test_app_pages import PAGES, assert_clean, declared, open_page, url_of

ROOT = Path(__file__).resolve().parent.parent


def runs_alive(path: str) -> int:
    """Module namespaces of this page's runs that are still reachable."""
    gc.collect()
    gc.collect()  # a second pass frees what the first one's finalizers let go
    return sum(1 for o in gc.get_objects()
               if type(o) is dict and o.get("__name__") == "__main__" and str(o.get("__file__", "")).endswith(path))


@pytest.mark.parametrize("path", PAGES)
def test_a_session_keeps_no_earlier_run_of_a_page_alive(path):
    before = runs_alive(path)
    at = open_page(path)
    presets = list(declared(path)[1])[:5]
    for name in presets:  # other presets: other figures, so other widget identities for every chart
        at.selectbox(key=f"{url_of(path)}.preset").set_value(name).run()
        assert_clean(at)
    assert len(presets) >= 3
    # with the click-to-start callback in the optimizer page itself, 6 runs stayed alive here
    assert runs_alive(path) - before <= 1  # the run on screen at most


def test_the_dice_button_moves_to_the_next_seed_and_wraps():
    at = open_page("pages/decision-boundary.py")
    key = "decision-boundary.seed"
    seed = at.session_state[key]
    at.button(key="regen").click().run()
    assert_clean(at)
    assert at.session_state[key] == seed + 1 and at.query_params["seed"] in (str(seed + 1), [str(seed + 1)])
    at.session_state[key] = 9999
    at.run().button(key="regen").click().run()
    assert at.session_state[key] == 0


def clicked_page():
    from functools import partial

    import streamlit as st

    from ui.params import FloatParam
    from ui.view import View

    view = View("click-test", [FloatParam("x0", "x", 0.0, low=-5, high=5, step=0.01),
                               FloatParam("y0", "y", 0.0, low=-5, high=5, step=0.01)])
    if "chart" in st.session_state:  # what a plotly chart's selection holds after a click
        partial(view.start_from_click, "chart", 1, "x0", "y0")()


def test_a_click_on_the_chosen_trace_sets_the_start_and_others_are_ignored():
    at = AppTest.from_function(clicked_page).run()
    points = [{"curve_number": 0, "x": 4.0, "y": 4.0}, {"curve_number": 1, "x": 1.23456, "y": -2.5}]
    at.session_state["chart"] = SimpleNamespace(selection=SimpleNamespace(points=points))
    at.run()
    assert not at.exception
    assert (at.session_state["click-test.x0"], at.session_state["click-test.y0"]) == (1.23, -2.5)
    other = AppTest.from_function(clicked_page).run()
    other.session_state["chart"] = SimpleNamespace(selection=SimpleNamespace(points=points[:1]))  # trace 0 only
    other.run()
    assert (other.session_state["click-test.x0"], other.session_state["click-test.y0"]) == (0.0, 0.0)


def test_no_page_defines_a_cached_function():
    """Streamlit remembers per thread the cached function it hashed arguments for last, and its script threads
    outlive their runs: a cached function defined in a page would keep that run's whole namespace (its figures,
    results, data) alive. Cached functions live in ``explorers/`` and ``ui/`` modules, whose namespaces are
    there for the process's life anyway."""
    import ast

    for path in sorted((ROOT / "pages").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                cached = [ast.unparse(d) for d in node.decorator_list if "cache" in ast.unparse(d)]
                assert not cached, f"{path.name}: {node.name} is cached ({cached}); move it to explorers/"
