"""The NumPy network against independent references: finite differences, scikit-learn, truth tables."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.metrics import confusion_matrix as sk_confusion_matrix
from sklearn.metrics import log_loss as sk_log_loss

from core.derivatives import central_difference
from core.logistic_regression import LogisticRegression
from core.metrics import confusion_matrix
from core.neural_net import ACTIVATIONS, MLPClassifier, log_loss, sigmoid, softmax
from core.training import continued, record_training, snapshot_epochs

GATES = {"and": [0, 0, 0, 1], "or": [0, 1, 1, 1], "nand": [1, 1, 1, 0], "nor": [1, 0, 0, 0], "xor": [0, 1, 1, 0]}
TRUTH_INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)


def numerical_gradient(f, theta, h=1e-6):
    grad = np.empty_like(theta)
    for i in range(len(theta)):
        e = np.zeros_like(theta)
        e[i] = h
        grad[i] = (f(theta + e) - f(theta - e)) / (2 * h)
    return grad


def initialised(model, X, y):
    model.initialize(X.shape[1], np.unique(y))
    return model


@settings(max_examples=60, deadline=None)
@given(
    layers=st.lists(st.integers(1, 5), min_size=0, max_size=3),
    activation=st.sampled_from(sorted(ACTIVATIONS)),
    n_classes=st.integers(2, 4),
    output=st.sampled_from(["auto", "softmax"]),
    loss=st.sampled_from(["log_loss", "squared_error"]),
    penalty=st.sampled_from(["none", "l1", "l2"]),
    n=st.integers(1, 12),
    n_features=st.integers(1, 4),
    seed=st.integers(0, 10_000),
)
def test_backprop_matches_finite_differences(layers, activation, n_classes, output, loss, penalty, n, n_features,
                                             seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_features))
    y = np.arange(n) % n_classes
    if n < n_classes:
        y = rng.integers(0, n_classes, size=n)
    model = MLPClassifier(tuple(layers), activation, output=output, loss=loss, penalty=penalty, alpha=0.3,
                          random_state=seed)
    initialised(model, X, np.arange(n_classes))
    theta = model.theta_ + rng.normal(scale=0.1, size=model.theta_.shape)
    # Kinks (ReLU at 0, |w| at 0) have no derivative; keep away from them, as a finite difference would.
    theta[np.abs(theta) < 1e-3] = 1e-2
    Y = model.targets(y)
    numeric = numerical_gradient(lambda t: model.objective(t, X, Y), theta)
    assert np.allclose(model.gradient(theta, X, Y), numeric, rtol=1e-4, atol=1e-6)


def test_gradient_check_is_sensitive():
    """Guard for the test above: a deliberately wrong ReLU rule is caught by the same comparison."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(8, 2)), np.arange(8) % 2
    model = initialised(MLPClassifier((5,), "relu"), X, y)
    Y = model.targets(y)
    original = ACTIVATIONS["relu"]
    try:
        ACTIVATIONS["relu"] = original.__class__("relu", "", "", original.forward, lambda g, z, a: g)
        wrong = model.gradient(model.theta_, X, Y)
    finally:
        ACTIVATIONS["relu"] = original
    numeric = numerical_gradient(lambda t: model.objective(t, X, Y), model.theta_)
    assert not np.allclose(wrong, numeric, rtol=1e-4, atol=1e-6)


def test_relu_blocks_gradient_where_the_unit_is_off():
    z = np.array([[-2.0, 0.0, 3.0]])
    grad = ACTIVATIONS["relu"].backward(np.ones_like(z), z, np.maximum(z, 0))
    assert grad.tolist() == [[0.0, 0.0, 1.0]]


def test_activations_match_their_closed_forms():
    z = np.linspace(-40, 40, 81)
    assert np.allclose(sigmoid(z), 1 / (1 + np.exp(-z)))
    assert np.allclose(ACTIVATIONS["leaky_relu"].forward(z), np.where(z > 0, z, 0.01 * z))
    for name, act in ACTIVATIONS.items():
        a = act.forward(z)
        assert np.allclose(act.backward(np.ones_like(z), z, a), central_difference(act.forward, z, 1e-6),
                           atol=1e-5) or name in ("relu", "leaky_relu")


@pytest.mark.parametrize("n_classes", [2, 3, 5])
def test_cross_entropy_equals_scikit_learn_log_loss(n_classes):
    rng = np.random.default_rng(n_classes)
    z = rng.normal(scale=3, size=(50, n_classes))
    y = np.arange(50) % n_classes
    p = softmax(z)
    assert log_loss(p, np.eye(n_classes)[y]) == pytest.approx(sk_log_loss(y, p, labels=range(n_classes)), rel=1e-10)
    if n_classes == 2:  # one sigmoid column
        p1 = sigmoid(z[:, :1])
        assert log_loss(p1, y[:, None]) == pytest.approx(sk_log_loss(y, np.hstack([1 - p1, p1])), rel=1e-10)
    assert np.allclose(softmax(z).sum(axis=1), 1) and np.allclose(softmax(z + 1000), softmax(z))


@pytest.mark.parametrize("n_classes, C", [(2, 1.0), (2, 0.05), (3, 1.0), (4, 10.0)])
def test_logistic_regression_reaches_scikit_learns_solution(n_classes, C):
    rng = np.random.default_rng(1)
    centres = 2.5 * np.c_[np.cos(np.arange(n_classes)), np.sin(np.arange(n_classes))]
    y = np.arange(200) % n_classes
    X = centres[y] + rng.normal(scale=1.5, size=(200, 2))
    ours = LogisticRegression(C=C).fit(X, y)
    ref = SkLogisticRegression(C=C, tol=1e-12, max_iter=10_000).fit(X, y)
    assert ours.coef_.shape == ref.coef_.shape
    assert np.allclose(ours.coef_, ref.coef_, atol=2e-5)
    assert np.allclose(ours.intercept_, ref.intercept_, atol=2e-5)
    assert np.allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-5)


def test_logistic_regression_takes_few_newton_steps_when_the_penalty_is_tiny():
    # α = 1/(Cn) is 1e-5 here: gradient descent needed ~8,000 steps (10 s) on the calibration page's fraud data
    from core.imbalanced_data import make_imbalanced, with_copies

    X, y = make_imbalanced(20_000, 1 / 50, 4.0, 2, 0)
    X = with_copies(X, 4, random_state=0)
    ours = LogisticRegression().fit(X, y)
    ref = SkLogisticRegression(tol=1e-12, max_iter=10_000).fit(X, y)
    assert ours.n_iter_ <= 30
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-5)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-3)


def test_network_with_no_hidden_layer_trained_by_adam_approaches_logistic_regression():
    rng = np.random.default_rng(2)
    y = np.arange(200) % 2
    X = np.where(y[:, None] == 1, 1.0, -1.0) + rng.normal(size=(200, 2))
    ref = SkLogisticRegression(C=1.0, tol=1e-12, max_iter=10_000).fit(X, y)
    net = MLPClassifier((), penalty="l2", alpha=1 / 200, solver="adam", learning_rate_init=0.05, batch_size=200,
                        max_iter=2000).fit(X, y)
    assert np.allclose(net.coefs_[0].ravel(), ref.coef_.ravel(), atol=1e-3)


@pytest.mark.parametrize("gate", sorted(GATES))
def test_single_neuron_learns_every_gate_but_xor(gate):
    y = np.array(GATES[gate])
    net = MLPClassifier((), solver="sgd", learning_rate_init=1.0, batch_size=4, max_iter=2000).fit(TRUTH_INPUTS, y)
    if gate == "xor":
        assert net.score(TRUTH_INPUTS, y) <= 0.75  # no line splits XOR's corners
    else:
        assert net.score(TRUTH_INPUTS, y) == 1.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_one_hidden_layer_solves_xor(seed):
    y = np.array(GATES["xor"])
    net = MLPClassifier((4,), "tanh", solver="adam", learning_rate_init=0.05, batch_size=4, max_iter=500,
                        random_state=seed).fit(TRUTH_INPUTS, y)
    assert net.score(TRUTH_INPUTS, y) == 1.0
    assert net.loss_curve_[-1] < 0.05


def test_network_solves_noisy_xor_data_and_is_reproducible():
    rng = np.random.default_rng(3)
    X = rng.uniform(-5, 5, size=(300, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    runs = [MLPClassifier((4, 2), "tanh", max_iter=200, random_state=7).fit(X, y) for _ in range(2)]
    assert np.array_equal(runs[0].theta_, runs[1].theta_)
    assert runs[0].score(X, y) > 0.9
    other = MLPClassifier((4, 2), "tanh", max_iter=200, random_state=8).fit(X, y)
    assert not np.array_equal(other.theta_, runs[0].theta_)


def test_views_and_attributes_follow_scikit_learn():
    X, y = np.random.default_rng(0).normal(size=(30, 3)), np.arange(30) % 3
    net = MLPClassifier((5, 4), ("relu", "tanh"), max_iter=3, batch_size=7).fit(X, y)
    assert [W.shape for W in net.coefs_] == [(3, 5), (5, 4), (4, 3)]
    assert [b.shape for b in net.intercepts_] == [(5,), (4,), (3,)]
    assert net.out_activation_ == "softmax" and net.n_iter_ == 3 and net.t_ == 3 * 5 and len(net.loss_curve_) == 3
    assert np.shares_memory(net.coefs_[1], net.theta_)
    assert [h.shape for h in net.hidden_activations(X)] == [(30, 5), (30, 4)]
    assert np.allclose(net.predict_proba(X).sum(axis=1), 1)


def test_partial_fit_continues_where_fit_stopped():
    rng = np.random.default_rng(4)
    X, y = rng.normal(size=(40, 2)), np.arange(40) % 2
    a = MLPClassifier((3,), max_iter=5, random_state=1).fit(X, y)
    b = MLPClassifier((3,), max_iter=3, random_state=1).fit(X, y)
    b.partial_fit(X, y).partial_fit(X, y)
    assert np.allclose(a.theta_, b.theta_) and b.n_iter_ == 5


@pytest.mark.parametrize("kwargs, message", [
    ({"hidden_layer_sizes": (4,) * 7}, "at most 6"),
    ({"hidden_layer_sizes": (17,)}, "at most 16"),
    ({"activation": "swish"}, "activation must be one of"),
    ({"activation": ("relu",), "hidden_layer_sizes": (2, 2)}, "one activation per hidden layer"),
    ({"learning_rate_init": 0.0}, "lr must be greater than 0"),
    ({"solver": "lion"}, "optimizer must be one of"),
    ({"penalty": "l3"}, "penalty must be one of"),
])
def test_bad_settings_say_what_to_change(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MLPClassifier(**kwargs)


def test_sigmoid_output_refuses_three_classes_and_one_class_is_refused():
    X = np.zeros((6, 2))
    with pytest.raises(ValueError, match="softmax"):
        MLPClassifier((2,), output="sigmoid").fit(X, np.arange(6) % 3)
    with pytest.raises(ValueError, match="two classes"):
        MLPClassifier((2,)).fit(X, np.zeros(6, int))


def test_confusion_matrix_matches_scikit_learn():
    rng = np.random.default_rng(5)
    y_true, y_pred = rng.integers(0, 4, 100), rng.integers(0, 4, 100)
    assert np.array_equal(confusion_matrix(y_true, y_pred, 4), sk_confusion_matrix(y_true, y_pred, labels=range(4)))


def test_record_training_snapshots_and_curves():
    rng = np.random.default_rng(6)
    X = rng.uniform(-5, 5, size=(200, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    grid, hidden_grid = rng.uniform(-5, 5, size=(50, 2)), rng.uniform(-5, 5, size=(9, 2))
    run = record_training(MLPClassifier((4, 2), "tanh", learning_rate_init=0.1), X[:100], y[:100], X[100:], y[100:], grid, hidden_grid,
                          epochs=80, n_frames=30)
    assert run.epochs[0] == 0 and run.epochs[-1] == 80 and len(run.epochs) == 30
    assert run.proba.shape == (30, 50, 2) and run.proba.dtype == np.float32
    assert run.hidden.shape == (30, 9, 6) and run.params.shape[0] == 30
    assert len(run.train_loss) == 81 and run.train_loss[-1] < 0.5 * run.train_loss[0]
    assert run.confusion[-1].sum() == 100 and np.trace(run.confusion[-1]) == round(run.test_accuracy[-1] * 100)
    # the last snapshot is the final model
    assert np.allclose(run.proba[-1], run.model.predict_proba(grid), atol=1e-6)
    assert run.diverged_at is None


@pytest.mark.parametrize("n_classes, loss", [(2, "log_loss"), (3, "log_loss"), (2, "squared_error")])
def test_record_training_curves_are_each_epochs_loss_and_accuracy_by_scikit_learn(n_classes, loss):
    from sklearn.metrics import accuracy_score

    rng = np.random.default_rng(8)
    X = rng.normal(size=(160, 2))
    y = np.digitize(X[:, 0] + 0.5 * X[:, 1], [-0.4, 0.4][:n_classes - 1])
    grid = rng.normal(size=(10, 2))

    def run(epochs):
        model = MLPClassifier((5,), "relu", learning_rate_init=0.05, batch_size=16, loss=loss, random_state=2)
        return record_training(model, X[:100], y[:100], X[100:], y[100:], grid, grid, epochs=epochs)

    full = run(25)
    for epochs in (1, 9, 25):  # the curves at epoch k hold the weights after k epochs: those of a k-epoch run
        short = run(epochs)
        for name, (X_part, y_part) in {"train": (X[:100], y[:100]), "test": (X[100:], y[100:])}.items():
            proba = short.model.predict_proba(X_part)
            if loss == "log_loss":
                expected_loss = sk_log_loss(y_part, proba, labels=range(n_classes))
            else:  # ½ mean ‖p − onehot‖² over the output units (one sigmoid unit for two classes)
                p = proba[:, 1:] if n_classes == 2 else proba
                target = (y_part[:, None] == (np.arange(1, 2) if n_classes == 2 else np.arange(n_classes)))
                expected_loss = 0.5 * np.mean(np.sum((p - target) ** 2, axis=1))
            assert getattr(full, f"{name}_loss")[epochs] == pytest.approx(expected_loss, rel=1e-9)
            assert getattr(full, f"{name}_accuracy")[epochs] == accuracy_score(y_part, short.model.predict(X_part))
            assert getattr(full, f"{name}_loss")[epochs] == getattr(short, f"{name}_loss")[-1]


def test_record_training_reports_its_progress_and_a_report_that_raises_stops_it():
    rng = np.random.default_rng(6)
    X = rng.uniform(-5, 5, size=(60, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    calls = []
    plain = record_training(MLPClassifier((4,), random_state=1), X, y, X[:0], y[:0], X, X, epochs=120)
    reported = record_training(MLPClassifier((4,), random_state=1), X, y, X[:0], y[:0], X, X, epochs=120,
                               callback=lambda done, total: calls.append((done, total)))
    assert calls == [(k, 120) for k in range(2, 121, 2)]  # every 120 // CALLBACKS = 2 epochs, ending at 120
    np.testing.assert_array_equal(reported.params, plain.params)  # reporting changes nothing

    class Enough(Exception):
        pass

    def stop_at_10(done, total):
        if done >= 10:
            raise Enough

    model = MLPClassifier((4,), random_state=1)
    with pytest.raises(Enough):
        record_training(model, X, y, X[:0], y[:0], X, X, epochs=120, callback=stop_at_10)
    assert model.n_iter_ == 10  # stopped right there


def test_record_training_stops_at_divergence_and_keeps_the_last_good_frame():
    rng = np.random.default_rng(7)
    X = rng.uniform(-5, 5, size=(100, 2))
    y = (X[:, 0] > 0).astype(int)
    run = record_training(MLPClassifier((8, 8), "leaky_relu", learning_rate_init=10.0),
                          X, y, X[:0], y[:0], X[:5], X[:5],
                          epochs=50, n_frames=10)
    assert run.diverged_at is not None and "weight" in run.reason
    assert run.epochs[-1] == run.diverged_at - 1 == len(run.train_loss) - 1
    assert np.all(np.isfinite(run.params)) and np.all(np.isnan(run.test_loss))


def test_snapshot_epochs_spread_over_the_run():
    assert snapshot_epochs(10, 100).tolist() == list(range(11))
    shots = snapshot_epochs(1000, 50)
    assert shots[0] == 0 and shots[-1] == 1000 and len(shots) == 50


def quadrants(seed: int):
    """60 points labelled by the sign of x₁·x₂, and 7 of them as the grid."""
    X = np.random.default_rng(seed).uniform(-5, 5, size=(60, 2))
    return X, (X[:, 0] * X[:, 1] > 0).astype(int), X[:7]


def test_warm_started_recording_continues_the_same_run():
    X, y, grid = quadrants(8)
    whole = record_training(MLPClassifier((4,), random_state=3), X, y, X[:0], y[:0], grid, grid, epochs=30)
    first = record_training(MLPClassifier((4,), random_state=3), X, y, X[:0], y[:0], grid, grid, epochs=30)
    first.model.max_iter = 30  # the same schedule (constant) either way
    # Re-run the first 20 epochs, then continue 10 more from where it stopped.
    part = record_training(MLPClassifier((4,), random_state=3), X, y, X[:0], y[:0], grid, grid, epochs=20)
    more = record_training(part.model, X, y, X[:0], y[:0], grid, grid, epochs=10, n_frames=2, warm_start=True)
    assert more.epochs.tolist() == [20, 30]
    joined = continued(part, more)
    assert np.allclose(joined.train_loss, whole.train_loss)
    assert joined.epochs.tolist() == [30] and np.allclose(joined.proba[-1], whole.proba[-1], atol=1e-6)


def test_the_last_snapshots_of_a_run_keep_its_curves_and_model_and_can_still_be_continued():
    X, y, grid = quadrants(9)
    whole = record_training(MLPClassifier((4,), random_state=3), X, y, X[:0], y[:0], grid, grid, epochs=30)
    slim = whole.last()
    assert slim.epochs.tolist() == [30] and slim.proba.shape == (1, 7, 2) and slim.hidden.shape == (1, 7, 4)
    for key in ("proba", "hidden", "params", "confusion"):
        assert np.array_equal(getattr(slim, key)[0], getattr(whole, key)[-1])
        assert not np.shares_memory(getattr(slim, key), getattr(whole, key))  # the rest can be freed
    assert slim.train_loss is whole.train_loss and slim.model is whole.model and slim.seconds == whole.seconds
    assert whole.last(3).epochs.tolist() == whole.epochs[-3:].tolist() and whole.n_frames == 31
    more = record_training(slim.model, X, y, X[:0], y[:0], grid, grid, epochs=5, n_frames=2, warm_start=True)
    assert continued(slim, more).epochs.tolist() == [35]  # what "keep training" does with a cached run
    with pytest.raises(ValueError, match="frames"):
        whole.last(0)


def test_dead_relu_units_are_found_and_get_no_gradient():
    X = np.array([[1.0, 2.0], [2.0, 1.0], [0.5, 0.5]])
    y = np.array([0, 1, 0])
    net = initialised(MLPClassifier((3,), "relu"), X, y)
    net.coefs_[0][...] = 1.0
    net.intercepts_[0][...] = 1.0
    net.coefs_[0][:, 1] = -5.0  # unit 1: z = −5(x₁ + x₂) − 1 < 0 for every row here
    net.intercepts_[0][1] = -1.0
    assert net.dead_units(X)[0].tolist() == [False, True, False]
    grad_coefs, _ = net.unpack(net.gradient(net.theta_, X, net.targets(y)))
    assert np.all(grad_coefs[0][:, 1] == 0) and np.all(grad_coefs[1][1] == 0)
    assert not np.any(initialised(MLPClassifier((3,), "tanh"), X, y).dead_units(X)[0])


def test_alpha_weighs_the_penalty_against_the_mean_loss_n_times_more_than_scikit_learns():
    """What the module docstring and the page's α help say: J = mean loss + α·½Σw² here; scikit-learn adds
    α·½Σw²/n (its first reported loss, before a step of η = 1e-12 moves anything), so scikit-learn's α = n·ours
    gives the same objective."""
    import warnings

    from sklearn.metrics import log_loss
    from sklearn.neural_network import MLPClassifier as SkMLP

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(30, 2)), rng.integers(0, 2, 30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # one epoch does not converge
        sk = SkMLP((3,), alpha=2.0, solver="sgd", learning_rate_init=1e-12, momentum=0.0, batch_size=30,
                   max_iter=1, shuffle=False, random_state=0).fit(X, y)
    sk_squares = sum(float((w ** 2).sum()) for w in sk.coefs_)
    assert sk.loss_curve_[0] == pytest.approx(log_loss(y, sk.predict_proba(X)) + 0.5 * 2.0 * sk_squares / 30,
                                              rel=1e-6)
    model = MLPClassifier((3,), penalty="l2", alpha=0.1, max_iter=1, random_state=0).fit(X, y)
    squares = sum(float((w ** 2).sum()) for w in model.coefs_)
    expected = log_loss(y, model.predict_proba(X)) + 0.1 * 0.5 * squares
    assert model.objective(model.theta_, X, model.targets(y)) == pytest.approx(expected, rel=1e-9)
