"""The optimizer race page: typed surfaces, the step-by-step view, and bad input."""

import json

from streamlit.testing.v1 import AppTest

from tests.test_app_pages import open_page

def open_race(**query) -> AppTest:
    return open_page("explorers/optimizers.py", **query)


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
