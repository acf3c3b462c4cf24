"""The decision-boundary page on the stage, and "Keep training" live: a change of η, regularisation or optimizer
goes on from the running network's weights; a change of the data or the network starts again.

Fragments' ``run_every`` never fires in AppTest, but the fragment runs once in every script run: each ``run()``
with live training on is one tick of training. The references are computed with ``core`` directly."""

import copy
import json

import numpy as np
import pytest

from core.neural_net import MLPClassifier
from core.training import record_training
from tests.test_app_pages import assert_clean, open_page

PAGE = "pages/decision-boundary.py"
LIVE = "decision-boundary.live"


def live_state(at) -> dict:
    return at.session_state["_live"]


def epochs_done(live: dict) -> int:
    return len(live["run"].train_loss) - 1


def go_live(**query):
    at = open_page(PAGE, **query)
    at.toggle(key=LIVE).set_value(True).run()
    assert_clean(at)
    return at


def ticked_reference(before: MLPClassifier, live: dict, epochs: int, **params) -> np.ndarray:
    """``epochs`` more epochs of the network as it was, with ``params`` set, through ``core`` alone."""
    reference = copy.deepcopy(before).set_params(**params)
    F_train, F_test, F_grid, F_tiles = live["mapped"]
    data = live["data"]
    record_training(reference, F_train, data.y_train, F_test, data.y_test, F_grid, F_tiles, epochs=epochs,
                    n_frames=2, warm_start=True)
    return reference.theta_


# ------------------------------------------------------------------------------------------- the stage


def test_every_control_is_still_declared_and_keep_training_is_a_switch():

    at = open_page(PAGE)
    assert_clean(at)
    from explorers.boundary import PARAMS as params
    assert len(params) > 20  # every control is still declared, bound to the URL
    assert at.toggle(key=LIVE).label.startswith("🔁 Keep training")


def test_the_animation_fits_a_projector_column_and_the_confusion_matrix_moved_below():
    at = open_page(PAGE)
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    animation = next(spec for spec in specs if spec.get("frames"))
    assert animation["layout"]["height"] <= 580  # with the title, under 720 px
    assert not any(key.startswith("xaxis5") for key in animation["layout"])  # no confusion matrix in it
    confusion = [spec for spec in specs if not spec.get("frames")]
    assert confusion and confusion[0]["data"][0]["type"] == "heatmap"
    assert len(json.dumps(animation)) < 3_000_000


# ------------------------------------------------------------------------------------------- keep training


def test_a_learning_rate_change_while_live_goes_on_from_the_current_weights_with_the_new_rate():
    at = go_live(epochs="20")
    live = live_state(at)
    start = epochs_done(live)
    assert start > 20  # went on from the animation's last epoch
    before = copy.deepcopy(live["run"].model)
    at.select_slider(key="decision-boundary.lr").set_value(0.1).run()
    assert_clean(at)
    live = live_state(at)
    done = epochs_done(live) - start
    assert done >= 1
    # the epochs count on, and the weights are those of the old network trained on with η = 0.1
    assert live["run"].model.learning_rate_init == 0.1 and live["run"].model.n_iter_ == before.n_iter_ + done
    np.testing.assert_array_equal(live["run"].model.theta_, ticked_reference(before, live, done,
                                                                             learning_rate_init=0.1))
    # … and not those of the old rate
    assert not np.allclose(live["run"].model.theta_, ticked_reference(before, live, done))
    assert any(f"η changed to 0.1 at epoch {start}: training continues from the current weights" in c.value
               for c in at.caption)


def test_regularisation_and_optimizer_changes_while_live_keep_the_weights():
    at = go_live(epochs="20")
    start = epochs_done(live_state(at))
    before = copy.deepcopy(live_state(at)["run"].model)
    at.selectbox(key="decision-boundary.penalty").set_value("l2").run()
    live = live_state(at)
    done = epochs_done(live) - start
    np.testing.assert_array_equal(live["run"].model.theta_, ticked_reference(before, live, done, penalty="l2",
                                                                             alpha=0.001))
    assert any(c.value.startswith("🔁 the regularisation changed to L2; α changed to 0.001 at epoch "
                                  f"{start}: training continues") for c in at.caption)

    start, before = epochs_done(live), copy.deepcopy(live["run"].model)
    at.selectbox(key="decision-boundary.optimizer").set_value("adam").run()
    assert_clean(at)
    live = live_state(at)
    model = live["run"].model
    assert model.solver == "adam" and model.solver_start_ == before.t_  # a fresh state: Adam counts from 1
    np.testing.assert_array_equal(model.theta_, ticked_reference(before, live, epochs_done(live) - start,
                                                                 solver="adam"))
    assert any("fresh Adam state" in c.value for c in at.caption)


def test_a_change_of_data_or_network_starts_live_training_again():
    at = go_live(epochs="20")
    first = epochs_done(live_state(at))
    at.run()  # another tick
    assert epochs_done(live_state(at)) > first
    for widget, value in (("units1", 3), ("noise", 0.1)):
        old = live_state(at)
        history = old["run"].train_loss[:21].copy()
        if widget == "noise":
            at.slider(key=f"decision-boundary.{widget}").set_value(value).run()
        else:
            at.number_input(key=f"decision-boundary.{widget}").set_value(value).run()
        assert_clean(at)
        live = live_state(at)
        # a new run: its first 20 epochs are the new animation's, not the old history continued
        assert live is not old and live["key"] != old["key"]
        assert not np.array_equal(live["run"].train_loss[:21], history)
        assert epochs_done(live) > 20
        assert any("started again from the animation's last epoch (20)" in c.value for c in at.caption)
    assert live["run"].model.hidden_layer_sizes[0] == 3


def test_switching_live_off_shows_the_animation_and_on_again_resumes():
    at = go_live(epochs="20")
    epochs = epochs_done(live_state(at))
    at.toggle(key=LIVE).set_value(False).run()
    assert any(json.loads(c.proto.spec).get("frames") for c in at.get("plotly_chart"))
    at.toggle(key=LIVE).set_value(True).run()
    assert epochs_done(live_state(at)) > epochs  # resumed, not restarted


# ------------------------------------------------------------------------------------------- core: set_params


def _data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 2))
    return X, (X[:, 0] * X[:, 1] > 0).astype(int)


def test_set_params_on_a_trained_network_takes_the_next_step_with_the_new_rate():
    X, y = _data()
    net = MLPClassifier((4,), batch_size=len(X), max_iter=5, random_state=1).fit(X, y)
    theta = net.theta_.copy()
    expected = theta - 0.5 * net.gradient(theta, X, net.targets(y))  # one full-batch SGD step at η = 0.5
    net.set_params(learning_rate_init=0.5).partial_fit(X, y)
    np.testing.assert_allclose(net.theta_, expected, rtol=1e-12, atol=1e-14)
    assert net.n_iter_ == 6 and net.t_ == 6


def test_a_new_solver_starts_from_a_fresh_state_with_adams_bias_correction():
    X, y = _data()
    net = MLPClassifier((4,), batch_size=len(X), max_iter=5, random_state=1).fit(X, y)
    theta = net.theta_.copy()
    grad = net.gradient(theta, X, net.targets(y))
    net.set_params(solver="adam", learning_rate_init=0.01).partial_fit(X, y)
    # Adam's first step from a fresh state is η·g/(|g| + ε): about η for every weight with a real gradient
    step = np.abs(net.theta_ - theta)[np.abs(grad) > 1e-4]
    np.testing.assert_allclose(step, 0.01, rtol=1e-3)
    assert net.solver_start_ == 5


def test_set_params_refuses_what_needs_new_weights_and_bad_values_change_nothing():
    X, y = _data()
    net = MLPClassifier((4,), max_iter=2).fit(X, y)
    with pytest.raises(ValueError, match="fit"):
        net.set_params(hidden_layer_sizes=(5,))
    with pytest.raises(ValueError, match="no parameter"):
        net.set_params(momentum=0.9)
    with pytest.raises(ValueError):
        net.set_params(learning_rate_init=0.1, solver="nonsense")
    assert net.learning_rate_init == 0.03 and net.solver == "sgd"
    net.partial_fit(X, y)  # still trains
    fresh = MLPClassifier().set_params(hidden_layer_sizes=[3, 2], activation="relu")
    assert fresh.fit(X, y).layer_units_ == [2, 3, 2, 1]
