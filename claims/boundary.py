"""Checks of the decision-boundary page's sentences: the page's training re-run with ``core`` (whose network
tests/test_neural_net.py holds to finite differences and scikit-learn), judged with scikit-learn's metrics and,
for "no line separates XOR", an exhaustive search over lines written here."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from sklearn.metrics import accuracy_score

from claims import checks
from core.datasets_2d import make_dataset, train_test_split
from core.features import feature_map
from core.neural_net import MLPClassifier
from core.training import record_training

PAGE = "decision-boundary"


def _key(v: dict) -> tuple:
    return tuple(sorted((k, tuple(x) if isinstance(x, (list, tuple)) else x) for k, x in v.items()))


def train(v: dict, **override):
    """Train what the page trains for the view ``v`` (with ``override``); returns the run and the data."""
    return _train(_key(v | override))


@lru_cache(maxsize=32)
def _train(key: tuple):
    v = dict(key)
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
    return run, (X_train, X_test, y_train, y_test), feature_map(X_train, f)


def best_line_accuracy(X, y) -> float:
    """The best accuracy any straight line reaches on (X, y): every direction in 0.5° steps, every cut."""
    best = 0.0
    for angle in np.deg2rad(np.arange(0, 180, 0.5)):
        s = X @ np.array([np.cos(angle), np.sin(angle)])
        order = np.argsort(s)
        ys = y[order]
        # cut after the k-th smallest: class 1 above (or below) it
        above_ones = np.concatenate([[ys.sum()], ys.sum() - np.cumsum(ys)])
        below_zeros = np.concatenate([[0], np.cumsum(1 - ys)])
        right = (above_ones + below_zeros) / len(y)
        best = max(best, right.max(), (1 - right).max())
    return float(best)


@checks(PAGE)
def xor_line(v):
    run, (X_train, X_test, y_train, y_test), _ = train(v)
    X, y = np.vstack([X_train, X_test]), np.concatenate([y_train, y_test])
    line = best_line_accuracy(X, y)
    assert 0.65 < line < 0.8, f"the best line gets {line:.0%} right, not about three quarters"
    assert run.test_accuracy[-1] < 0.65 and run.train_accuracy[-1] < 0.65, "the neuron does not stall near 50 %"
    weights = np.abs(run.model.coefs_[0]).max()
    assert weights < 0.5, f"the neuron's weights are {weights:.2f}, not pulled towards zero"
    hidden, _, _ = train(v, layers=1, units1=4)
    assert hidden.test_accuracy[-1] > 0.9, "a hidden layer of 4 units does not learn it"
    product, _, _ = train(v, features=("x1", "x2", "x1x2"))
    assert product.test_accuracy[-1] > 0.9, "the x₁x₂ feature does not learn it"


@checks(PAGE)
def xor_product(v):
    run, _, _ = train(v)
    assert run.model.hidden_layer_sizes == () and run.test_accuracy[-1] >= 0.98


@checks(PAGE)
def circle_squares(v):
    run, _, _ = train(v)
    assert run.model.hidden_layer_sizes == () and run.test_accuracy[-1] >= 0.98
    plain, _, _ = train(v, features=("x1", "x2"))
    assert plain.test_accuracy[-1] < 0.7


@checks(PAGE)
def spiral_depth(v):
    deep, _, _ = train(v)
    shallow, _, _ = train(v, layers=1)
    assert 0.65 <= shallow.test_accuracy[-1] <= 0.85, f"one layer gets {shallow.test_accuracy[-1]:.0%}, not ≈ 75 %"
    assert 0.93 <= deep.test_accuracy[-1] <= 0.99, f"four layers get {deep.test_accuracy[-1]:.0%}, not ≈ 96 %"


@checks(PAGE)
def overfit(v):
    run, _, _ = train(v)
    assert v["n"] == 60 and v["layers"] == 3
    assert run.train_accuracy[-1] == 1.0 and run.train_loss[-1] < 0.01, "training loss does not go to zero"
    assert 0.2 < np.min(run.test_loss) < 0.4 and run.test_loss[-1] > 2.0, "not from about 0.3 to over 2"
    regular, _, _ = train(v, penalty="l2", alpha=0.03)
    assert regular.test_loss[-1] < 1.2 * np.min(regular.test_loss) and regular.test_loss[-1] < 0.35


@checks(PAGE)
def dead_relu(v):
    run, _, F_train = train(v)
    dead = sum(int(d.sum()) for d in run.model.dead_units(F_train))
    assert 7 <= dead <= 11 and sum(v[f"units{i}"] for i in (1, 2)) == 16, f"{dead} of 16 dead, not about 9"
    assert run.train_accuracy[-1] <= 0.6, "accuracy does not stick near 50 %"
    leaky, _, _ = train(v, act1="leaky_relu", act2="leaky_relu")
    assert leaky.test_accuracy[-1] >= 0.95


@checks(PAGE)
def blobs(v):
    run, _, _ = train(v)
    assert run.model.n_outputs_ == 4 and run.test_accuracy[-1] > 0.9


@checks(PAGE)
def linear_gate(v):
    run, (_, _, y, _), F = train(v)
    assert run.model.hidden_layer_sizes == () and run.train_accuracy[-1] == 1.0
    assert accuracy_score(y, run.model.predict(F)) == 1.0


@checks(PAGE)
def gate_xor(v):
    run, (X, _, y, _), _ = train(v)
    assert best_line_accuracy(X, y) == 0.75, "a line can get more than 3 of 4 right"
    assert run.train_accuracy[-1] <= 0.75


@checks(PAGE)
def gate_xor_hidden(v):
    run, _, _ = train(v)
    assert run.train_accuracy[-1] == 1.0


@checks(PAGE)
def held_out(v):
    """"They are never trained on": the split's test rows are none of its training rows, and together they are
    every point once."""
    X, y = make_dataset(v["data"], v["n"], v["noise"], v["seed"], n_classes=v["classes"])
    X_train, X_test, _, _ = train_test_split(X, y, v["test"], v["seed"])
    train_rows, test_rows = {tuple(r) for r in X_train}, {tuple(r) for r in X_test}
    assert not train_rows & test_rows and len(X_train) + len(X_test) == len(X)


def _one_step_decay(fit_twice) -> float:
    """How much one full-batch SGD step shrinks the first weight matrix per unit α, with the data gradient
    cancelled out by fitting twice from the same start (α and α = 0)."""
    (w0, with_alpha), (_, without) = fit_twice(1.0), fit_twice(0.0)
    return float(np.mean((without - with_alpha) / w0))


@checks(PAGE)
def alpha_convention(v):
    """α multiplies the penalty added to the mean loss here (one step shrinks W by η·α·W), while scikit-learn's
    MLPClassifier divides it by the batch: its step shrinks W by η·α/B·W. Both measured from outside, one
    full-batch SGD step from the same start with and without α."""
    import warnings
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier as SkMLP
    X, y = make_dataset("circle", 40, 0.0, 0)
    lr, n = 0.01, len(y)

    def ours(alpha):
        model = MLPClassifier((4,), "tanh", penalty="l2", alpha=alpha, learning_rate_init=lr, batch_size=n,
                              random_state=0, max_iter=1)
        start = MLPClassifier((4,), "tanh", random_state=0, batch_size=n, max_iter=1, learning_rate_init=1e-300)
        start.fit(X, y)
        model.fit(X, y)
        return start.coefs_[0], model.coefs_[0]

    def sklearns(alpha):
        kw = dict(hidden_layer_sizes=(4,), activation="tanh", solver="sgd", momentum=0.0, batch_size=n,
                  learning_rate_init=lr, max_iter=1, shuffle=False, random_state=0, alpha=alpha)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = SkMLP(**kw).fit(X, y)
            start = SkMLP(**(kw | {"learning_rate_init": 1e-300})).fit(X, y)
        return start.coefs_[0], model.coefs_[0]

    assert np.isclose(_one_step_decay(ours), lr, rtol=1e-3), _one_step_decay(ours)
    assert np.isclose(_one_step_decay(sklearns), lr / n, rtol=1e-3), _one_step_decay(sklearns)
