"""The optimizer race page: typed surfaces, the step-by-step view, and bad input."""

import json

import pytest
from streamlit.testing.v1 import AppTest

from core.expressions import objective_for
from explorers.optimizer_surfaces import LR_GRID, SURFACE_DEFAULTS, surface_defaults
from tests.test_app_pages import declared, jobs_by_pickle, open_page
from viz.race import CLICK_TRACE

def open_race(**query) -> AppTest:
    return open_page("pages/optimizers.py", **query)


def test_a_typed_surface_races_and_its_latex_is_shown():
    at = open_race(surface="custom", expr="(x-1)**2 + 2*(y+0.5)**2", opts="sgd,adam", steps="200", lr="0.1")
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert list(table["optimizer"]) == ["SGD", "Adam"]
    assert table["final loss"].iloc[0] < 1e-8  # GD on this bowl converges
    assert any("2 \\cdot" in eq.value or "\\left(y" in eq.value for eq in at.latex)


def test_a_malicious_formula_is_refused_with_its_column_and_the_page_survives():
    at = open_race(surface="custom", expr="__import__('os').system('ls')")
    assert not at.exception
    message = " ".join(e.value for e in at.error)
    assert "column 1" in message and "__import__" in message
    assert at.title and at.get("plotly_chart") == []  # nothing drawn from it, nothing crashed
    at.text_input(key="optimizers.expr").set_value("x**2 + y**2").run()  # fixing it brings the race back
    assert not at.error and at.get("plotly_chart")


def test_step_by_step_substitutes_the_inspected_optimizers_numbers():
    at = open_race(preset="zigzag", inspect="momentum", k="0")
    latex = " ".join(eq.value for eq in at.latex)
    assert "v_{k+1} = \\beta v_k + g_k" in latex and "velocity" in latex
    # at step 0 the start is substituted: θ₀ = (−2.5, 2)
    assert "-2.5" in latex


def test_inspecting_an_optimizer_not_in_the_race_says_so():
    at = open_race(inspect="adagrad")
    assert not at.exception
    assert any("not in this race" in i.value for i in at.info)


def test_a_diverging_racer_is_named_with_its_step():
    at = open_race(preset="too-large")
    assert any("SGD diverged at step" in e.value for e in at.error)
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert spec["frames"]


def test_per_optimizer_learning_rates_reach_each_racer():
    at = open_race(per_lr="1", opts="sgd,adam", lr_sgd="0.001", lr_adam="0.1", inspect="adam", k="1")
    assert not at.exception and not at.error
    latex = " ".join(eq.value for eq in at.latex)
    assert "\\eta_k = 0.1" in latex
    at.selectbox(key="optimizers.inspect").set_value("sgd").run()
    assert "\\eta_k = 0.001" in " ".join(eq.value for eq in at.latex)


def test_untouched_multiselect_keeps_the_link_clean():
    at = open_race()
    at.slider(key="optimizers.steps").set_value(200).run()  # any change makes the page write its URL
    assert dict(at.query_params) == {"steps": "200"}


def test_a_closed_math_panel_is_in_the_link_sends_nothing_and_a_bad_value_is_explained():
    python = lambda at: [c for c in at.get("code") if c.proto.language == "python"]  # noqa: E731
    opened = open_page("pages/optimizers.py")
    assert opened.latex and python(opened)  # open by default: the math and the code beside the picture
    assert "math=" not in opened.get("code")[0].proto.code_text
    closed = open_page("pages/optimizers.py", math="false")
    assert not closed.latex and not python(closed)  # closed: nothing inside is computed or sent
    (panel,) = [e for e in closed.expander if e.label == "Math & code"]
    assert not panel.proto.expanded
    link = closed.get("code")[0].proto.code_text  # "Copy link to this view": whoever opens it sees it closed
    assert "/optimizers?" in link and "math=false" in link
    closed.slider(key="optimizers.steps").set_value(200).run()  # the view rewrites its URL around the bound key
    assert not closed.exception and dict(closed.query_params) == {"math": "false", "steps": "200"}
    junk = open_page("pages/optimizers.py", math="maybe")
    assert junk.latex and not junk.exception
    assert any("`math=maybe`" in w.value and "math=false" in w.value for w in junk.warning)


def test_a_setting_no_racer_uses_reuses_the_race(monkeypatch):
    import core.optimizers

    calls = []
    real = core.optimizers.race
    monkeypatch.setattr(core.optimizers, "race", lambda *a, **k: calls.append(1) or real(*a, **k))
    view = {"surface": "rosenbrock", "opts": "sgd,adam", "x0": "-1.7"}
    assert not open_race(**view).exception
    assert len(calls) == 1
    for unused in ({"condition": "40"}, {"angle": "15"}, {"beta": "0.5"}, {"wd": "0.2"}):
        assert not open_race(**view, **unused).exception  # a bowl's shape, momentum's β, AdamW's decay
    assert len(calls) == 1
    assert not open_race(**view, beta2="0.99").exception  # Adam's β₂ is used
    assert len(calls) == 2


def test_the_results_table_says_never_instead_of_none():
    calm = open_race().dataframe[0].value
    assert list(calm["diverged at step"]) == ["never"] * len(calm)
    assert "None" not in calm.astype(str).to_numpy()
    wild = open_race(preset="too-large").dataframe[0].value.set_index("optimizer")
    assert wild.loc["SGD", "diverged at step"].isdigit()  # the step, written out
    assert "never" in set(wild["diverged at step"]) or len(wild) == 1


# --- a start where a typed formula is not finite -------------------------------------------------------------


def test_a_start_where_the_formula_is_not_finite_draws_the_map_and_says_what_to_change():
    at = open_race(surface="custom", expr="log(x)")  # log(−2.5) is not a number
    assert not at.exception and not at.error
    message = " ".join(w.value for w in at.warning)
    assert "race did not start" in message and "f(-2.5, 2) = nan" in message and "click" in message
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)  # the map is drawn, to be clicked on
    click = spec["data"][CLICK_TRACE]
    assert click["name"] == "click to start here" and spec["data"][0]["type"] == "contour"
    assert at.dataframe == []  # no race, so no results
    at.number_input(key="optimizers.x0").set_value(1.5).run()  # a start where log(x) is finite: the race runs
    assert not at.warning and at.dataframe and json.loads(at.get("plotly_chart")[0].proto.spec)["frames"]


def test_a_gradient_that_is_not_finite_at_the_start_is_named():
    at = open_race(surface="custom", expr="sqrt(x**2 + y**2)", x0="0", y0="0")  # f = 0, ∇f = 0/0
    assert not at.exception
    message = " ".join(w.value for w in at.warning)
    assert "f(0, 0) = 0, but its gradient" in message and "race did not start" in message


# --- each surface's own η and start ---------------------------------------------------------------------------


def test_every_surface_has_its_own_defaults_on_the_eta_sliders_grid():
    params, _ = declared("pages/optimizers.py")
    lr = next(p for p in params if p.name == "lr")
    surface = next(p for p in params if p.name == "surface")
    assert set(SURFACE_DEFAULTS) == set(surface.options)
    assert LR_GRID == lr.grid()
    assert all(d.lr in LR_GRID for d in SURFACE_DEFAULTS.values())


def switch_to(surface, **query):
    """The page opened on another surface (with ``query``), then the surface control moved to ``surface``."""
    at = open_race(surface="rosenbrock" if surface != "rosenbrock" else "bowl", **query)
    return at.selectbox(key="optimizers.surface").set_value(surface).run()


def race_finishes_with_progress(at, surface, condition=10.0):
    """The page's own race: no racer diverged, and each closed at least half the loss gap from its start to
    the surface's lowest minimum (Rastrigin: the nearest dimple is 74 % of the way)."""
    assert not at.exception and not at.error  # a diverging racer is an st.error
    table = at.dataframe[0].value
    assert list(table["diverged at step"]) == ["never"] * len(table)
    state = at.session_state
    objective = objective_for(surface, condition=condition)
    f0 = float(objective.value([state["optimizers.x0"], state["optimizers.y0"]]))
    lowest = float(objective.value(objective.minima).min())
    for final in table["final loss"].astype(float):
        assert (f0 - final) / (f0 - lowest) > 0.5


@pytest.mark.parametrize("surface", [s for s in SURFACE_DEFAULTS if s != "custom"])
def test_switching_surface_sets_an_eta_no_default_racer_diverges_with(surface):
    at = switch_to(surface)
    state = at.session_state
    expected = surface_defaults(surface)
    assert (state["optimizers.lr"], state["optimizers.x0"], state["optimizers.y0"]) == (
        expected["lr"], expected["x0"], expected["y0"])
    assert tuple(state["optimizers.opts"]) == ("sgd", "momentum", "adam")  # the default racers
    race_finishes_with_progress(at, surface)
    at.slider(key="optimizers.steps").set_value(500).run()  # the slider's most steps: still none diverges
    assert state["optimizers.lr"] == expected["lr"]
    assert not at.error and list(at.dataframe[0].value["diverged at step"]) == ["never"] * 3


def test_a_narrow_bowl_gets_an_eta_it_is_stable_at():
    at = switch_to("bowl", condition="100")  # stable only for η < 2/κ = 0.02: the bowl's 0.05 would diverge
    assert at.session_state["optimizers.lr"] == 0.01
    race_finishes_with_progress(at, "bowl", condition=100.0)


def test_switching_surface_sets_the_per_racer_rates_only_when_they_are_used():
    at = switch_to("beale")
    assert dict(at.query_params) == {"surface": "beale", "lr": "0.01", "x0": "1.5", "y0": "1.0"}
    at = switch_to("beale", per_lr="1", lr_sgd="0.05", lr_adam="0.3")
    assert at.session_state["optimizers.lr_sgd"] == at.session_state["optimizers.lr_adam"] == 0.01
    assert not at.error


def test_presets_and_links_keep_their_own_eta():
    at = open_race()
    at.selectbox(key="optimizers.preset").set_value("rosenbrock").run()  # sets surface and η together
    state = at.session_state
    assert state["optimizers.surface"] == "rosenbrock"
    assert (state["optimizers.lr"], state["optimizers.x0"]) == (0.0015, -1.5)  # the preset's, not the surface's
    assert not any("changed" in i.value for i in at.info)  # the preset notice sees nothing changed
    at = open_race(surface="beale", lr="0.05")  # a link reproduces its view exactly, even a diverging one
    assert at.session_state["optimizers.lr"] == 0.05
    assert any("diverged at step 1" in e.value for e in at.error)


def test_the_3d_view_is_drawn_in_a_worker_too():
    """The objective holds closures, which do not pickle: drawn with it, the 3-D view failed whenever the
    server's worker was free. Every job and drawing here goes through pickle, as to a real worker."""
    import streamlit as st

    st.cache_resource.clear()
    with jobs_by_pickle():
        at = open_race(show3d="1", steps="120")
    assert not at.exception and not at.error
    assert sum("scene" in json.loads(c.proto.spec)["layout"] for c in at.get("plotly_chart")) == 1


def test_the_3d_view_is_drawn_only_on_request():
    """A 3-D chart keeps a WebGL canvas whose redraw (readPixels) cost ~0.5 s of the browser's time on every change
    even inside a closed expander; it is drawn only when asked for, and then it is the same race."""
    charts = lambda at: [json.loads(c.proto.spec) for c in at.get("plotly_chart")]  # noqa: E731
    plain = open_race()
    assert not any("scene" in spec["layout"] for spec in charts(plain))
    asked = open_race(show3d="1")
    scenes = [spec for spec in charts(asked) if "scene" in spec["layout"]]
    assert len(scenes) == 1 and len(charts(asked)) == len(charts(plain)) + 1
