"""Every registered page driven with AppTest: defaults, every preset, bad links, URL round-trips."""

import contextlib
import inspect
import json
import pickle
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from core import gradient_descent, make_line, mse_hessian
from server import workers
from ui.registry import EXPLORERS
from viz.animation import PAYLOAD_BUDGET_BYTES

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGES = [e.path for e in EXPLORERS]


class PicklingPool:
    """A stand-in for the server's worker pool that computes here, but sends every job and its answer through
    pickle on the way, as a real worker does: so every page's every job and drawing (``server.workers.run_heavy``,
    ``offload``, ``ui.figures.draw``) is checked to travel, which AppTest alone (no workers) would never notice."""

    @staticmethod
    def _travel(value):
        return pickle.loads(pickle.dumps(value))

    def run(self, fn, *args, report=None, still_wanted=None, **kwargs):
        fn, args, kwargs = self._travel((fn, args, kwargs))
        return self._travel(fn(*args, **kwargs) if report is None else fn(*args, report=report, **kwargs))

    def run_if_free(self, fn, *args, **kwargs):
        return True, self.run(fn, *args, **kwargs)


@contextlib.contextmanager
def jobs_by_pickle():
    saved, workers.server_pool = workers.server_pool, lambda preload=(): PicklingPool()
    try:
        yield
    finally:
        workers.server_pool = saved


@pytest.fixture(autouse=True)
def jobs_travel_by_pickle():
    with jobs_by_pickle():
        yield


def open_page(path=None, **query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if path:
        # Pages with a custom url_path are only known after st.navigation has run once.
        at.run().switch_page(path)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def url_of(path):
    return next(e.url_path for e in EXPLORERS if e.path == path)


def declared(path):
    """A page's declared controls and presets, from its explorer module (``explorers/<name>.py``)."""
    module = next(e for e in EXPLORERS if e.path == path).declarations()
    return module.PARAMS, module.PRESETS


def assert_clean(at: AppTest):
    assert not at.exception, [e.value for e in at.exception]
    # run_safely's catch-all message must not appear either: that would be a bug caught, not a page working
    assert not [e for e in at.error if "Something went wrong" in e.value]


def test_home_lists_every_explorer():
    at = open_page()
    assert_clean(at)
    links = [e.proto.page for e in at.get("page_link") if e.proto.label.startswith("Open")]
    assert links == [e.url_path for e in EXPLORERS]
    lessons = [e.proto for e in at.get("page_link") if e.proto.label == "Start the lesson"]
    assert len(lessons) >= len(EXPLORERS) and all("lesson=" in p.query_string for p in lessons)


@pytest.mark.parametrize("path", PAGES)
def test_page_runs_with_defaults_and_draws_animated_figures(path):
    at = open_page(path)
    assert_clean(at)
    assert at.title[0].value != "ML Math Explorer" and not at.warning
    specs = [c.proto.spec for c in at.get("plotly_chart")]
    assert any(json.loads(spec).get("frames") for spec in specs)  # at least one animated view
    assert all(len(spec.encode()) < PAYLOAD_BUDGET_BYTES for spec in specs)
    assert dict(at.query_params) == {}  # defaults keep the link clean


@pytest.mark.parametrize("path, preset", [(p, name) for p in PAGES for name in declared(p)[1]])
def test_every_preset_runs_and_sets_controls_and_url(path, preset):
    at = open_page(path)
    at.selectbox(key=f"{url_of(path)}.preset").set_value(preset).run()
    assert_clean(at)
    params, presets = declared(path)
    for name, value in presets[preset].values.items():
        assert at.session_state[f"{url_of(path)}.{name}"] == value
    assert dict(at.query_params) == {"preset": preset}
    assert any(presets[preset].notice[:40] in i.value for i in at.info)
    # the link alone reproduces it
    again = open_page(path, preset=preset)
    assert_clean(again)
    for name, value in presets[preset].values.items():
        assert again.session_state[f"{url_of(path)}.{name}"] == value


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("junk", ["banana", "-5", "1e999", "", "nan", "🙂" * 3])
def test_every_control_survives_junk_in_the_link(path, junk):
    params, _ = declared(path)
    query = {p.name: junk for p in params}
    at = open_page(path, preset="no-such-preset", **query)
    assert_clean(at)
    warnings = " ".join(w.value for w in at.warning)
    assert "no-such-preset" in warnings
    for p in params:  # each bad value is dropped with a notice and the default is used
        try:
            p.parse(junk)
        except ValueError:
            assert f"`{p.name}={junk}`" in warnings, p.name
            assert at.session_state[f"{url_of(path)}.{p.name}"] == p.default


def test_documented_bad_link_examples_get_notices():
    at = open_page("pages/fit-a-line.py", lr="banana", steps="-5", preset="nope")
    assert_clean(at)
    text = " ".join(w.value for w in at.warning)
    assert "`lr=banana`" in text and "`steps=-5`" in text and "`nope`" in text
    assert at.session_state["fit-a-line.lr"] == 0.3 and at.session_state["fit-a-line.steps"] == 100


def test_moving_controls_writes_the_url_and_the_url_reproduces_the_view():
    at = open_page("pages/fit-a-line.py")
    at.select_slider(key="fit-a-line.lr").set_value(0.05)
    at.slider(key="fit-a-line.steps").set_value(37)
    at.number_input(key="fit-a-line.seed").set_value(7)
    at.run()
    assert_clean(at)
    url = dict(at.query_params)
    assert url == {"lr": "0.05", "steps": "37", "seed": "7"}
    shared = open_page("pages/fit-a-line.py", **url)
    assert_clean(shared)
    for key, value in {"lr": 0.05, "steps": 37, "seed": 7}.items():
        assert shared.session_state[f"fit-a-line.{key}"] == value
    metric = {m.label: m.value for m in shared.metric}
    assert metric["steps taken"] == "37"
    spec = json.loads(shared.get("plotly_chart")[0].proto.spec)
    assert spec == json.loads(at.get("plotly_chart")[0].proto.spec)  # same seed, same picture
    link = shared.get("code")[0].proto.code_text
    assert "/fit-a-line?" in link and "lr=0.05" in link and "seed=7" in link


def test_diverging_preset_explains_the_largest_stable_learning_rate():
    at = open_page("pages/fit-a-line.py", preset="diverging")
    assert_clean(at)
    x, _ = make_line(40, w=2.0, b=-1.0, noise=0.5, random_state=0)
    lr_max = 2.0 / np.linalg.eigvalsh(mse_hessian(x))[-1]
    message = " ".join(e.value for e in at.error)
    assert "Diverged at step" in message and f"{lr_max:.3g}" in message and "2/λ_max" in message


def test_math_panel_shows_the_running_source_and_the_step_numbers():
    at = open_page("pages/fit-a-line.py", k="2")
    assert_clean(at)
    code = [c.proto.code_text.strip() for c in at.get("code")]
    assert inspect.getsource(gradient_descent).strip() in code
    latex = " ".join(eq.value for eq in at.latex)
    assert "k=2" in latex
    # the numbers substituted are step 2 → 3 of the default run, recomputed here by hand
    x, y = make_line(40, w=2.0, b=-1.0, noise=0.5, random_state=0)
    theta = np.array([-1.0, 3.0])
    for _ in range(3):
        residual = theta[0] * x + theta[1] - y
        grad = 2 * np.array([np.mean(residual * x), np.mean(residual)])
        theta_before, theta = theta, theta - 0.3 * grad
    for value in (*theta, *theta_before, *grad):
        assert f"{value:.4g}" in latex


def test_a_whole_class_scrolls_in_a_box_of_about_a_screen_and_a_function_shows_whole():
    from core.pca import PCA
    from ui.math_panel import CODE_HEIGHT, code_height, source_of

    assert code_height(source_of(PCA)[1]) == CODE_HEIGHT <= 600  # ~200 lines: 3,000 px of page otherwise
    assert code_height(source_of(gradient_descent)[1]) == "content"


def test_sources_are_read_one_at_a_time_whatever_the_threads(monkeypatch):
    # CPython 3.11 parses a class's module with an AST constructor that is not thread-safe (python/cpython#106905)
    import threading
    import time

    import ui.math_panel as panel

    inside, most = [0], [0]

    def slow_read(obj):
        inside[0] += 1
        most[0] = max(most[0], inside[0])
        time.sleep(0.02)
        inside[0] -= 1
        return "where", "source"

    monkeypatch.setattr(panel, "_source_of", slow_read)
    threads = [threading.Thread(target=panel.source_of, args=(obj,)) for obj in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most[0] == 1


def test_a_source_that_cannot_be_read_leaves_the_page_and_the_equations(monkeypatch):
    import ui.math_panel as panel

    def failing(obj):
        raise SystemError("AST constructor recursion depth mismatch (before=54, after=50)")

    monkeypatch.setattr(panel, "_source_of", failing)
    at = open_page("pages/fit-a-line.py", seed="4243")
    assert_clean(at)
    assert at.latex  # the equations are drawn, and no source is
    assert not [c for c in at.get("code") if c.proto.language == "python"]
    assert any("could not be read" in c.value for c in at.caption)


def test_unexpected_errors_are_caught_and_explained(monkeypatch):
    import explorers.fit_line

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(explorers.fit_line, "fit_animation", broken)
    monkeypatch.setattr(explorers.fit_line, "derivative_limit", broken)
    monkeypatch.setattr(workers, "server_pool", lambda preload=(): None)  # everything here: `broken` does not pickle
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("pages/fit-a-line.py")
    at.query_params["seed"] = "4242"  # bypass the figure cache
    at.run()
    assert not at.exception
    assert any("Something went wrong" in e.value and "boom" in e.value for e in at.error)


def test_presenter_mode_hides_the_chosen_controls_and_keeps_their_values():
    path = "pages/fit-a-line.py"
    at = open_page(path, present="1", hide="lr,steps", lr="0.05")
    assert_clean(at)
    keys = {w.key for w in at.slider} | {w.key for w in at.select_slider}
    assert "fit-a-line.lr" not in keys and "fit-a-line.steps" not in keys
    numbers = {w.key for w in at.number_input}
    assert "fit-a-line.w0" in numbers  # the other key controls stay beside the figure ...
    assert "fit-a-line.n" not in keys  # ... and the rest ("More controls") leave the projector's screen
    assert at.session_state["fit-a-line.lr"] == 0.05  # hidden, still in force
    assert dict(at.query_params) == {"present": "1", "hide": "lr,steps", "lr": "0.05"}  # the link survives
    assert not [w for w in at.warning if w.icon == "🔗"]


@pytest.mark.parametrize("path", PAGES)
def test_reduced_motion_opens_every_animation_on_its_last_frame(path):
    at = open_page(path, motion="reduced")
    assert_clean(at)
    assert not [w for w in at.warning if w.icon == "🔗"]
    animated = [json.loads(c.proto.spec) for c in at.get("plotly_chart") if json.loads(c.proto.spec).get("frames")]
    assert animated
    for spec in animated:
        last = len(spec["frames"]) - 1
        assert spec["layout"]["sliders"][0]["active"] == last
        index, data = spec["frames"][last]["traces"][0], spec["frames"][last]["data"][0]
        for key in ("x", "y", "z"):
            if key in data:
                assert spec["data"][index][key] == data[key]
    assert at.query_params["motion"] == "reduced"
