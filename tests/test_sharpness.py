"""Sharpness: power iteration against numpy's eigvalsh of the Hessian, and the loss along a line."""

import numpy as np
import pytest

from core.linear_model import mse_gradient, mse_hessian, mse_loss
from core.neural_net import MLPClassifier
from core.sharpness import hessian_vector_product, loss_along_line, numerical_hessian, top_hessian_eigenvalue


def test_power_iteration_finds_the_largest_eigenvalue_of_a_quadratic():
    rng = np.random.default_rng(0)
    Q, _ = np.linalg.qr(rng.normal(size=(6, 6)))
    eigenvalues = np.array([9.0, 4.0, 2.0, 1.0, 0.5, 0.1])
    H = Q @ np.diag(eigenvalues) @ Q.T
    top = top_hessian_eigenvalue(lambda t: H @ t, np.zeros(6))
    assert top.value == pytest.approx(9.0, rel=1e-6)
    assert abs(abs(top.vector @ Q[:, 0]) - 1) < 1e-4


def test_linear_regression_sharpness_matches_the_closed_form_hessian():
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 2, 100)
    y = 2 * x - 1 + rng.normal(size=100)
    top = top_hessian_eigenvalue(lambda t: mse_gradient(t, x, y), np.array([0.5, 0.5]))
    assert top.value == pytest.approx(np.linalg.eigvalsh(mse_hessian(x))[-1], rel=1e-6)


def test_power_iteration_matches_eigvalsh_of_a_network_hessian_at_a_trained_point():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(80, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    net = MLPClassifier((5,), "tanh", solver="adam", learning_rate_init=0.05, batch_size=80, max_iter=300).fit(X, y)
    Y = net.targets(y)

    def grad(theta):
        return net.gradient(theta, X, Y)

    H = numerical_hessian(grad, net.theta_)
    exact = np.linalg.eigvalsh(H)
    top = top_hessian_eigenvalue(grad, net.theta_, n_iter=2000, tol=1e-10)
    assert abs(top.value) == pytest.approx(np.max(np.abs(exact)), rel=1e-3)
    # the Hessian-vector product agrees with the matrix too
    v = rng.normal(size=net.theta_.shape)
    assert np.allclose(hessian_vector_product(grad, net.theta_, v), H @ v, rtol=1e-3, atol=1e-6)


def test_loss_along_line_passes_through_both_ends():
    x, y = np.array([0.0, 1.0, 2.0]), np.array([1.0, 3.0, 5.0])
    a, b = np.array([0.0, 0.0]), np.array([2.0, 1.0])  # b is the exact fit: loss 0
    alphas = np.array([-0.5, 0.0, 0.5, 1.0, 1.5])
    line = loss_along_line(lambda t: mse_loss(t, x, y), a, b, alphas)
    assert line[1] == pytest.approx(mse_loss(a, x, y)) and line[3] == pytest.approx(0.0)
    assert line[2] < line[1] and line[4] > line[3]  # a bowl along the line


def test_zero_hessian_and_bad_settings():
    top = top_hessian_eigenvalue(lambda t: np.zeros_like(t), np.ones(3))
    assert top.value == 0.0
    with pytest.raises(ValueError, match="n_iter"):
        top_hessian_eigenvalue(lambda t: t, np.ones(2), n_iter=0)


def test_small_batches_end_flatter_with_the_same_number_of_updates():
    from core.datasets_2d import make_dataset, train_test_split
    from core.sharpness import sharpness_by_batch_size

    X, y = make_dataset("moons", 400, 0.3, 0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, 0.5, 0)
    result = sharpness_by_batch_size(
        lambda B: MLPClassifier((16, 16), "tanh", learning_rate_init=0.1, batch_size=B, random_state=0),
        X_train, y_train, X_test, y_test, [4, 200], n_updates=4000)
    assert result.epochs.tolist() == [80, 4000]
    assert result.sharpness[0] < result.sharpness[1] / 3  # the small-batch solution is much flatter
    assert abs(result.train_loss[0] - result.train_loss[1]) < 0.05  # ... at about the same training loss
    i0, i1 = np.argmin(abs(result.alphas)), np.argmin(abs(result.alphas - 1))
    assert result.line_train[i0] == pytest.approx(result.train_loss[0], rel=1e-9)
    assert result.line_train[i1] == pytest.approx(result.train_loss[1], rel=1e-9)


def test_the_experiment_reports_after_each_training_and_each_sharpness_and_a_report_that_raises_stops_it():
    from core.datasets_2d import make_dataset, train_test_split
    from core.sharpness import sharpness_by_batch_size

    X, y = make_dataset("moons", 120, 0.3, 0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, 0.5, 0)
    made = []

    def make(B):
        made.append(B)
        return MLPClassifier((8,), "tanh", learning_rate_init=0.1, batch_size=B, random_state=0)

    seen = []
    reported = sharpness_by_batch_size(make, X_train, y_train, X_test, y_test, [4, 20, 60], n_updates=60,
                                       callback=lambda *a: seen.append(a))
    assert seen == [(i, 6) for i in range(1, 7)]
    quiet = sharpness_by_batch_size(make, X_train, y_train, X_test, y_test, [4, 20, 60], n_updates=60)
    np.testing.assert_array_equal(reported.sharpness, quiet.sharpness)  # reporting changes nothing

    def stop_after_two(done, total):
        if done == 2:
            raise KeyboardInterrupt

    made.clear()
    with pytest.raises(KeyboardInterrupt):
        sharpness_by_batch_size(make, X_train, y_train, X_test, y_test, [4, 20, 60], n_updates=60,
                                callback=stop_after_two)
    assert made == [4]  # stopped after the first network's sharpness: the second was never built


def test_whole_epochs_run_about_the_asked_updates_and_the_result_says_how_many():
    """Epochs are round(updates·B/N) and an epoch runs ⌈N/B⌉ updates: B = 4, 16, 64, 200 of N = 200 at 400 updates
    run 400, 416, 512 and 400 (the page once said "400 updates for every batch size")."""
    from core.datasets_2d import make_dataset, train_test_split
    from core.sharpness import sharpness_by_batch_size

    X, y = make_dataset("moons", 400, 0.3, 0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, 0.5, 0)
    result = sharpness_by_batch_size(
        lambda B: MLPClassifier((4,), "tanh", learning_rate_init=0.1, batch_size=B, random_state=0),
        X_train, y_train, X_test, y_test, [4, 16, 64, 200], n_updates=400)
    assert result.updates.tolist() == [400, 416, 512, 400]
    assert result.updates.tolist() == [e * -(-200 // b) for e, b in zip(result.epochs, result.batch_sizes)]
