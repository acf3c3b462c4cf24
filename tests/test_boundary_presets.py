"""Each decision-boundary preset promises something in its sentence; check the promise with `core` directly."""

import numpy as np
import pytest

from core.datasets_2d import make_dataset, train_test_split
from core.features import feature_map
from core.neural_net import MLPClassifier
from core.training import record_training
from tests.test_app_pages import declared

PAGE = "explorers/boundary.py"


def run_preset(slug, **override):
    """Train what the page trains for ``slug`` (defaults, then the preset, then ``override``)."""
    params, presets = declared(PAGE)
    v = {p.name: p.default for p in params} | presets[slug].values | override
    X, y = make_dataset(v["data"], v["n"], v["noise"], v["seed"], n_classes=v["classes"])
    X_train, X_test, y_train, y_test = train_test_split(X, y, v["test"], v["seed"])
    f = list(v["features"])
    layers = tuple(v[f"units{i}"] for i in range(1, v["layers"] + 1))
    acts = tuple(v[f"act{i}"] for i in range(1, v["layers"] + 1))
    model = MLPClassifier(layers, acts, output=v["output"], loss=v["loss"], penalty=v["penalty"],
                          alpha=v["alpha"] if v["penalty"] != "none" else 0.0, solver=v["optimizer"],
                          learning_rate_init=v["lr"], batch_size=v["batch"], random_state=v["seed"])
    F_test = feature_map(X_test, f) if len(X_test) else np.empty((0, len(f)))
    run = record_training(model, feature_map(X_train, f), y_train, F_test, y_test, feature_map(X_train[:4], f),
                          feature_map(X_train[:4], f), epochs=v["epochs"], n_frames=10)
    return run, feature_map(X_train, f)


def test_xor_needs_more_than_one_neuron():
    run, _ = run_preset("xor-line")
    assert run.test_accuracy[-1] < 0.65
    hidden, _ = run_preset("xor-line", layers=1, units1=4)
    assert hidden.test_accuracy[-1] > 0.9


def test_xor_product_feature_makes_it_a_straight_cut():
    run, _ = run_preset("xor-product")
    assert run.test_accuracy[-1] >= 0.98


def test_circle_is_one_neuron_with_squared_features():
    run, _ = run_preset("circle-squares")
    assert run.test_accuracy[-1] >= 0.98
    plain, _ = run_preset("circle-squares", features=("x1", "x2"))
    assert plain.test_accuracy[-1] < 0.7


def test_spiral_needs_depth():
    deep, _ = run_preset("spiral-depth")
    shallow, _ = run_preset("spiral-depth", layers=1)
    assert deep.test_accuracy[-1] > 0.9 and shallow.test_accuracy[-1] < 0.8


def test_overfitting_test_loss_turns_back_up_and_l2_holds_it():
    run, _ = run_preset("overfit")
    assert run.train_accuracy[-1] == 1.0 and run.train_loss[-1] < 0.01
    assert run.test_loss[-1] > 2.0 > 0.5 > np.min(run.test_loss)
    regular, _ = run_preset("overfit", penalty="l2", alpha=0.03)
    assert regular.test_loss[-1] < 1.2 * np.min(regular.test_loss) and regular.test_loss[-1] < 0.35


def test_dead_relu_units_at_a_large_learning_rate_and_leaky_relu_recovers():
    run, F_train = run_preset("dead-relu")
    dead = sum(int(d.sum()) for d in run.model.dead_units(F_train))
    assert dead >= 6 and run.train_accuracy[-1] <= 0.6
    leaky, _ = run_preset("dead-relu", act1="leaky_relu", act2="leaky_relu")
    assert leaky.test_accuracy[-1] >= 0.95


def test_blobs_softmax_separates_four_classes():
    run, _ = run_preset("blobs")
    assert run.model.n_outputs_ == 4 and run.test_accuracy[-1] > 0.9


@pytest.mark.parametrize("gate", ["and", "or", "nand", "nor"])
def test_a_single_neuron_learns_the_linear_gates(gate):
    run, _ = run_preset(f"gate-{gate}")
    assert run.model.hidden_layer_sizes == () and run.train_accuracy[-1] == 1.0


def test_a_single_neuron_cannot_learn_xor_but_a_hidden_layer_can():
    run, _ = run_preset("gate-xor")
    assert run.train_accuracy[-1] <= 0.75
    hidden, _ = run_preset("gate-xor-hidden")
    assert hidden.train_accuracy[-1] == 1.0
