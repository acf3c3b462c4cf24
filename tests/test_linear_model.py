"""The MSE line fit, checked against finite differences, closed forms, lstsq and scikit-learn."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LinearRegression

from core import (LinearRegressionGD, central_difference, gradient_descent, make_line, max_stable_learning_rate,
                  mse_gradient, mse_hessian, mse_loss)

coord = st.floats(-20, 20, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(w=coord, b=coord, seed=st.integers(0, 10_000), n=st.integers(2, 60))
def test_gradient_matches_central_differences(w, b, seed, n):
    x, y = make_line(n, noise=1.0, random_state=seed)
    h = 1e-5
    numeric = [central_difference(lambda t: mse_loss([t, b], x, y), w, h),
               central_difference(lambda t: mse_loss([w, t], x, y), b, h)]
    np.testing.assert_allclose(mse_gradient([w, b], x, y), numeric, rtol=1e-6, atol=1e-6)


@settings(max_examples=30, deadline=None)
@given(w=coord, b=coord, seed=st.integers(0, 10_000))
def test_hessian_matches_differences_of_the_gradient(w, b, seed):
    x, y = make_line(30, random_state=seed)
    h = 1e-4
    columns = [(mse_gradient(np.add([w, b], e), x, y) - mse_gradient(np.subtract([w, b], e), x, y)) / (2 * h)
               for e in (np.array([h, 0.0]), np.array([0.0, h]))]
    np.testing.assert_allclose(mse_hessian(x), np.column_stack(columns), rtol=1e-6, atol=1e-6)


def test_loss_and_gradient_vectorise_over_a_grid():
    x, y = make_line(25, random_state=3)
    grid = np.stack(np.meshgrid(np.linspace(-2, 3, 7), np.linspace(-1, 1, 5)), axis=-1)
    looped = np.array([[mse_loss(p, x, y) for p in row] for row in grid])
    np.testing.assert_allclose(mse_loss(grid, x, y), looped)
    assert mse_gradient(grid, x, y).shape == (5, 7, 2)


@pytest.mark.parametrize("block", [1, 25, 26 * 25 + 7, 1 << 18])
def test_a_big_grid_is_computed_in_blocks_with_the_same_numbers(monkeypatch, block):
    import core.linear_model as linear_model

    x, y = make_line(25, random_state=4)
    grid = np.stack(np.meshgrid(np.linspace(-2, 3, 13), np.linspace(-1, 1, 11)), axis=-1)
    looped = np.array([[mse_loss(p, x, y) for p in row] for row in grid])
    # the reference: a quadratic bowl around the least-squares line, L(θ) = L* + (θ − θ*)ᵀ M (θ − θ*)
    features = np.column_stack([x, np.ones_like(x)])
    best = np.linalg.lstsq(features, y, rcond=None)[0]
    d = grid - best
    bowl = np.mean((features @ best - y) ** 2) + np.einsum("...i,ij,...j->...", d, features.T @ features / len(x), d)
    monkeypatch.setattr(linear_model, "BLOCK_ELEMENTS", block)  # 1 line per block, … , all in one go
    blocked = mse_loss(grid, x, y)
    assert blocked.shape == (11, 13)
    np.testing.assert_array_equal(blocked, looped)
    np.testing.assert_allclose(blocked, bowl, rtol=1e-10)


def test_loss_is_numpys_mean_squared_residual():
    x, y = make_line(50, random_state=1)
    assert mse_loss([1.5, 0.2], x, y) == pytest.approx(np.mean((1.5 * x + 0.2 - y) ** 2))


def test_long_run_reaches_the_least_squares_solution():
    x, y = make_line(80, noise=0.7, random_state=4)
    lr = 0.9 * max_stable_learning_rate(mse_hessian(x))
    model = LinearRegressionGD(learning_rate=lr, n_steps=5000, w0=-3.0, b0=4.0).fit(x, y)
    solution = np.linalg.lstsq(np.column_stack([x, np.ones_like(x)]), y, rcond=None)[0]
    np.testing.assert_allclose([model.coef_[0], model.intercept_], solution, atol=1e-8)
    reference = LinearRegression().fit(x[:, None], y)
    np.testing.assert_allclose(model.predict(x), reference.predict(x[:, None]), atol=1e-7)
    assert model.diverged_at_ is None and model.n_iter_ == 5000


@pytest.mark.parametrize("fraction", [0.5, 0.9, 0.99])
def test_converges_below_two_over_lambda_max(fraction):
    x, y = make_line(40, random_state=0)
    lr = fraction * 2.0 / np.linalg.eigvalsh(mse_hessian(x))[-1]
    traj = LinearRegressionGD(learning_rate=lr, n_steps=3000).fit(x, y).trajectory_
    assert traj.diverged_at is None
    assert traj.loss[-1] < traj.loss[0]
    assert np.linalg.norm(traj.grad[-1]) < 1e-3


@pytest.mark.parametrize("fraction", [1.02, 1.2, 3.0])
def test_diverges_above_two_over_lambda_max(fraction):
    x, y = make_line(40, random_state=0)
    lr = fraction * 2.0 / np.linalg.eigvalsh(mse_hessian(x))[-1]
    traj = LinearRegressionGD(learning_rate=lr, n_steps=3000).fit(x, y).trajectory_
    assert traj.diverged_at is not None and traj.reason
    assert traj.loss[-1] > 1e6 * traj.loss[0]


def test_gradient_descent_matches_the_closed_form_on_a_1d_quadratic():
    # f(t) = a t² / 2: each step multiplies t by (1 − η a), exactly.
    a, lr, t0 = 3.0, 0.1, 2.0
    traj = gradient_descent(lambda t: 0.5 * a * t[0] ** 2, lambda t: a * t, [t0], lr, 25)
    np.testing.assert_allclose(traj.params[:, 0], t0 * (1 - lr * a) ** np.arange(26))
    assert max_stable_learning_rate([[a]]) == pytest.approx(2 / a)


def test_divergence_is_flagged_at_the_step_the_loss_overflows():
    # f = exp(t²) from t = 20: the first step lands near −1e175, where f overflows.
    traj = gradient_descent(lambda t: float(np.exp(t[0] ** 2)), lambda t: 2 * t * np.exp(t**2), [20.0], 1.0, 10)
    assert traj.diverged_at == 1 and "overflow" in traj.reason
    assert traj.n_steps == 1


def test_same_seed_same_data_and_noise_zero_is_exact():
    np.testing.assert_array_equal(make_line(10, random_state=5)[1], make_line(10, random_state=5)[1])
    assert not np.array_equal(make_line(10, random_state=5)[1], make_line(10, random_state=6)[1])
    x, y = make_line(10, w=3.0, b=-2.0, noise=0.0, random_state=1)
    np.testing.assert_allclose(y, 3.0 * x - 2.0)


@pytest.mark.parametrize("kwargs, message", [
    ({"n_samples": 1}, "at least 2"),
    ({"n_samples": 2.5}, "whole number"),
    ({"noise": -1.0}, "at least 0"),
    ({"w": float("nan")}, "finite"),
    ({"x_range": (1.0, 1.0)}, "low < high"),
])
def test_bad_data_parameters_say_what_to_change(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_line(**kwargs)


@pytest.mark.parametrize("kwargs, message", [
    ({"learning_rate": 0.0}, "greater than 0"),
    ({"learning_rate": float("inf")}, "finite"),
    ({"n_steps": 0}, "at least 1"),
])
def test_bad_fit_parameters_say_what_to_change(kwargs, message):
    x, y = make_line(10)
    with pytest.raises(ValueError, match=message):
        LinearRegressionGD(**kwargs).fit(x, y)


def test_bad_data_to_fit_is_rejected():
    with pytest.raises(ValueError, match="finite"):
        LinearRegressionGD().fit([0.0, np.nan, 1.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="shape"):
        LinearRegressionGD().fit([0.0, 1.0], [1.0, 2.0, 3.0])


def test_least_squares_line_matches_scikit_learn():
    from core import least_squares_line

    x, y = make_line(60, noise=0.8, random_state=9)
    reference = LinearRegression().fit(x[:, None], y)
    np.testing.assert_allclose(least_squares_line(x, y), [reference.coef_[0], reference.intercept_])
