"""Mini-batch SGD, gradient noise and batch-size sweeps against independent references: finite differences,
core.linear_model / core.gradient_descent, scikit-learn's log loss, exact covariances and sampling theory."""

import dataclasses

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import log_loss as sk_log_loss

from core.datasets import make_line
from core.gradient_descent import max_stable_learning_rate
from core.linear_model import LinearRegressionGD, mse_gradient, mse_hessian, mse_loss
from core.minibatch import (
    DEMO_SWEEP,
    FiniteSum,
    batch_gradient_covariance,
    batch_gradients,
    batch_indices,
    batch_size_sweep,
    demo_line_problem,
    fit_steps_curve,
    gradient_noise,
    linear_regression_sum,
    logistic_regression_sum,
    lr_for_batch,
    minibatch_sgd,
    network_sum,
    noise_scale_along,
    two_batch_estimate,
)
from core.neural_net import MLPClassifier
from core.optimizers import make_optimizer
from tests.test_neural_net import numerical_gradient


def line_problem(n=40, noise=0.5, seed=0):
    x, y = make_line(n, noise=noise, random_state=seed)
    return x, y, linear_regression_sum(x, y)


def logistic_problem(alpha=0.3, n=60, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    X = rng.normal(size=(n, 3)) + y[:, None]
    return X, y, logistic_regression_sum(X, y, alpha)


def plain(problem: FiniteSum) -> FiniteSum:
    """The same problem without its vectorised shortcuts, so code falls back to per-example loops."""
    return dataclasses.replace(problem, batch_gradients_fn=None, full_losses_fn=None, gradient_moments_fn=None)


def mean_of_squares_model(n=20_000, seed=0):
    """ℓ_i(θ) = ½|θ − x_i|², x_i ~ N(μ, S): g_i = θ − x_i, so G = θ − x̄ and Σ is the sample covariance of x."""
    rng = np.random.default_rng(seed)
    S = np.diag([1.0, 2.0, 3.0])
    x = rng.multivariate_normal([1.0, -1.0, 0.5], S, size=n)
    problem = FiniteSum(n, 3, lambda th, rows=None: 0.5 * np.sum((th - (x if rows is None else x[rows])) ** 2, axis=1),
                        lambda th, rows=None: th - (x if rows is None else x[rows]), "mean of squares")
    return x, problem


# --------------------------------------------------------------------------------------- per-example gradients


def test_linear_regression_sum_is_the_mse_of_core_linear_model():
    x, y, problem = line_problem()
    for theta in ([0.0, 0.0], [2.5, -1.5], [-3.0, 7.0]):
        assert problem.loss(theta) == pytest.approx(mse_loss(np.array(theta), x, y), rel=1e-13)
        assert np.allclose(problem.gradient(theta), mse_gradient(np.array(theta), x, y), rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("make", [line_problem, logistic_problem])
def test_per_example_gradients_match_finite_differences_of_single_example_losses(make):
    *_, problem = make()
    theta = np.random.default_rng(5).normal(size=problem.n_params)
    grads = problem.example_gradients(theta, None)
    assert grads.shape == (problem.n, problem.n_params)
    for i in (0, 7, problem.n - 1):
        numeric = numerical_gradient(lambda t: problem.example_losses(t, np.array([i]))[0], theta)
        assert np.allclose(grads[i], numeric, rtol=1e-6, atol=1e-8)
    assert np.allclose(grads.mean(axis=0), problem.gradient(theta))
    assert np.allclose(problem.gradient(theta), numerical_gradient(problem.loss, theta), rtol=1e-6, atol=1e-8)


def test_logistic_regression_sum_is_scikit_learns_log_loss_plus_the_penalty():
    X, y, problem = logistic_problem(alpha=0.3)
    theta = np.array([0.4, -1.2, 0.8, 0.3])
    p = 1 / (1 + np.exp(-(X @ theta[:3] + theta[3])))
    assert problem.loss(theta) == pytest.approx(sk_log_loss(y, p) + 0.15 * theta[:3] @ theta[:3], rel=1e-12)
    # Huge logits: log(1 + e^z) − yz stays finite and exact where p rounds to 0 or 1.
    z = np.array([800.0, 0.0, 0.0, 0.0])
    losses = logistic_regression_sum(np.array([[1.0], [-1.0]]), np.array([0, 0]), 0.0).example_losses(z[[0, 3]], None)
    assert np.allclose(losses, [800.0, 0.0], atol=1e-12)


def test_logistic_regression_rejects_labels_other_than_0_and_1():
    with pytest.raises(ValueError, match="labels must be 0 or 1"):
        logistic_regression_sum(np.zeros((3, 1)), np.array([0, 1, 2]))


@pytest.mark.parametrize("make", [line_problem, logistic_problem])
def test_vectorised_shortcuts_equal_the_plain_definitions(make):
    *_, problem = make()
    rng = np.random.default_rng(2)
    thetas = rng.normal(size=(4, problem.n_params))
    rows = rng.integers(0, problem.n, size=(4, 6))
    loop = np.array([problem.gradient(t, r) for t, r in zip(thetas, rows)])
    assert np.allclose(problem.many_gradients(thetas, rows), loop, rtol=1e-12, atol=1e-12)
    assert np.allclose(problem.many_losses(thetas), [problem.loss(t) for t in thetas], rtol=1e-12)
    if problem.gradient_moments_fn is not None:
        A, c = problem.gradient_moments_fn(rows)
        assert np.allclose(np.einsum("rij,rj->ri", A, thetas) - c, loop, rtol=1e-12, atol=1e-12)


NETWORKS = [
    dict(hidden_layer_sizes=(), penalty="l2"),
    dict(hidden_layer_sizes=(4,), activation="tanh", penalty="l1"),
    dict(hidden_layer_sizes=(5, 3), activation="relu", loss="squared_error", penalty="l2"),
    dict(hidden_layer_sizes=(3,), activation="logistic", output="softmax"),
    dict(hidden_layer_sizes=(4, 2), activation=("leaky_relu", "identity"), loss="squared_error", output="softmax",
         penalty="l1"),
]


@pytest.mark.parametrize("params", NETWORKS)
@pytest.mark.parametrize("n_classes", [2, 3])
def test_network_per_example_gradients_are_backprop_per_example(params, n_classes):
    rng = np.random.default_rng(n_classes)
    X, y = rng.normal(size=(12, 3)), np.arange(12) % n_classes
    model = MLPClassifier(alpha=0.2, random_state=1, **params)
    model.initialize(3, np.unique(y))
    theta = model.theta_ + rng.normal(scale=0.1, size=model.theta_.shape)
    theta[np.abs(theta) < 1e-3] = 1e-2  # keep away from the kinks of ReLU and |w|
    Y = model.targets(y)
    per_example = model.per_example_gradients(theta, X, Y)
    assert per_example.shape == (12, len(theta))
    assert np.allclose(per_example.mean(axis=0), model.gradient(theta, X, Y), rtol=1e-12, atol=1e-14)
    for i in (0, 5, 11):
        # Example i's own objective: its loss plus the whole penalty.
        numeric = numerical_gradient(lambda t: model.objective(t, X[i:i + 1], Y[i:i + 1]), theta)
        assert np.allclose(per_example[i], numeric, rtol=1e-4, atol=1e-6)


def test_network_sum_means_are_the_models_objective_and_gradient():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(30, 2)), np.arange(30) % 3
    model = MLPClassifier((4,), "tanh", penalty="l2", alpha=0.1, random_state=0)
    model.initialize(2, np.unique(y))
    problem = network_sum(model, X, y)
    Y = model.targets(y)
    theta = model.theta_ + 0.3
    assert problem.loss(theta) == pytest.approx(model.objective(theta, X, Y), rel=1e-12)
    assert np.allclose(problem.gradient(theta), model.gradient(theta, X, Y), rtol=1e-12, atol=1e-14)
    rows = np.array([3, 3, 8])
    assert problem.loss(theta, rows) == pytest.approx(model.objective(theta, X[rows], Y[rows]), rel=1e-12)
    with pytest.raises(ValueError, match="Initialise the network"):
        network_sum(MLPClassifier(), X, y)


# -------------------------------------------------------------------------------------------- gradient noise


def test_gradient_noise_is_the_population_covariance_of_per_example_gradients():
    _, _, problem = line_problem()
    theta = np.array([0.5, 0.5])
    noise = gradient_noise(problem, theta)
    grads = problem.example_gradients(theta, None)
    assert np.allclose(noise.covariance, np.cov(grads.T, bias=True))
    assert np.allclose(noise.gradient, problem.gradient(theta))
    assert noise.trace == pytest.approx(np.trace(noise.covariance))
    assert noise.g2 == pytest.approx(noise.gradient @ noise.gradient)
    assert noise.b_simple == pytest.approx(noise.trace / noise.g2)


def test_the_noise_scale_is_infinite_at_the_minimum_and_finite_next_to_it():
    x, y, problem = line_problem()
    optimum = np.polyfit(x, y, 1)  # G there is rounding noise, about 1e-15
    assert gradient_noise(problem, optimum).b_simple == np.inf
    assert 1e6 < gradient_noise(problem, optimum + 1e-4).b_simple < np.inf


def test_noise_scale_along_a_path_is_gradient_noise_at_each_point():
    _, _, problem = line_problem()
    run = minibatch_sgd(problem, [-2.0, 3.0], 4, 0.1, 30, random_state=0)
    along = noise_scale_along(problem, run.params)
    assert along.shape == (31,)
    assert np.allclose(along, [gradient_noise(problem, theta).b_simple for theta in run.params], rtol=1e-9)
    # Gradient descent closing in on the minimum: G shrinks, Σ does not, the noise scale grows without bound.
    closing_in = noise_scale_along(problem, minibatch_sgd(problem, [-2.0, 3.0], 40, 0.2, 300).params)
    assert closing_in[-1] > 1e3 * closing_in[0] and closing_in[0] < 10
    assert np.isnan(noise_scale_along(problem, [[0.0, 0.0], [np.inf, 1.0]])[1])
    with pytest.raises(ValueError, match=r"params must be an \(S\+1, 2\) array"):
        noise_scale_along(problem, [0.0, 0.0])


def _check_batch_gradient_moments(samples, exact_mean, exact_cov):
    """Sample mean within 4 standard errors of G (per coordinate), sample trace within 4 of tr Cov."""
    n = len(samples)
    se_mean = np.sqrt(np.diag(exact_cov) / n)
    assert np.all(np.abs(samples.mean(axis=0) - exact_mean) <= 4 * se_mean + 1e-15)
    spread = np.sum((samples - exact_mean) ** 2, axis=1)  # E = tr Cov, whatever the distribution
    se_trace = spread.std() / np.sqrt(n)
    assert abs(spread.mean() - np.trace(exact_cov)) <= 4 * se_trace
    return spread.mean(), se_trace


@pytest.mark.parametrize("batch", [1, 5, 13])
def test_batches_drawn_with_replacement_have_covariance_sigma_over_b(batch):
    _, _, problem = line_problem(n=40)
    theta = np.array([0.5, 0.5])
    noise = gradient_noise(problem, theta)
    samples = batch_gradients(problem, theta, batch, 40_000, replacement=True, random_state=batch)
    cov = batch_gradient_covariance(noise, batch, problem.n, replacement=True)
    assert np.allclose(cov, noise.covariance / batch)
    _check_batch_gradient_moments(samples, noise.gradient, cov)


@pytest.mark.parametrize("batch", [5, 20, 35])
def test_batches_drawn_without_replacement_need_the_finite_population_correction(batch):
    _, _, problem = line_problem(n=40)
    theta = np.array([0.5, 0.5])
    noise = gradient_noise(problem, theta)
    samples = batch_gradients(problem, theta, batch, 40_000, replacement=False, random_state=batch)
    cov = batch_gradient_covariance(noise, batch, problem.n, replacement=False)
    assert np.allclose(cov, noise.covariance / batch * (40 - batch) / 39)
    trace, se = _check_batch_gradient_moments(samples, noise.gradient, cov)
    # Σ/B alone would be wrong: the uncorrected value is many standard errors away.
    assert abs(trace - noise.trace / batch) > 8 * se
    if batch == 20:
        assert trace < 0.6 * noise.trace / batch  # (N − B)/(N − 1) = 20/39


def test_a_batch_of_all_the_data_without_replacement_has_no_noise():
    _, _, problem = line_problem(n=40)
    noise = gradient_noise(problem, np.array([0.5, 0.5]))
    samples = batch_gradients(problem, np.array([0.5, 0.5]), 40, 50, replacement=False, random_state=0)
    assert np.allclose(samples, noise.gradient, rtol=1e-12, atol=1e-13)
    assert np.all(batch_gradient_covariance(noise, 40, 40, replacement=False) == 0)


def test_two_batch_estimates_are_unbiased_for_g2_and_trace():
    x, problem = mean_of_squares_model()
    theta = np.array([2.0, -0.5, 0.5])
    exact = gradient_noise(problem, theta)
    # The model's closed form: G = θ − x̄ and Σ = the population covariance of x.
    assert np.allclose(exact.gradient, theta - x.mean(axis=0))
    assert exact.trace == pytest.approx(np.trace(np.cov(x.T, bias=True)), rel=1e-12)
    # Independent repetitions (each averaging 50 pairs): their mean is within sampling error of the truth, and
    # that error (about 1% of tr Σ) is small enough to catch a wrong coefficient in either formula.
    reps = np.array([two_batch_estimate(problem, theta, 2, 32, n_pairs=50, random_state=r)[:2] for r in range(400)])
    se = reps.std(axis=0) / np.sqrt(len(reps))
    assert abs(reps[:, 0].mean() - exact.g2) < 4 * se[0] and se[0] < 0.01 * exact.g2
    assert abs(reps[:, 1].mean() - exact.trace) < 4 * se[1] and se[1] < 0.01 * exact.trace
    # Many pairs in one call: the ratio settles on B_simple (its spread over seeds is about 1.5% here).
    estimate = two_batch_estimate(problem, theta, 2, 32, n_pairs=3000, random_state=1)
    assert estimate.b_simple == pytest.approx(exact.b_simple, rel=0.06)
    assert exact.b_simple == pytest.approx(6.0 / 1.25, rel=0.1)  # tr S / |θ − μ|²


def test_two_batch_estimate_uses_the_vectorised_gradients_when_there_are_some():
    _, _, problem = line_problem(n=200)
    theta = np.array([0.5, 0.5])
    assert two_batch_estimate(problem, theta, 1, 10, n_pairs=50, random_state=3) == pytest.approx(
        two_batch_estimate(plain(problem), theta, 1, 10, n_pairs=50, random_state=3), rel=1e-10)
    with pytest.raises(ValueError, match="big batch must be larger"):
        two_batch_estimate(problem, theta, 8, 8)


# --------------------------------------------------------------------------------------------------- sampling


@pytest.mark.parametrize("n, batch", [(10, 3), (12, 4), (7, 7), (9, 20)])
def test_without_replacement_every_epoch_is_a_permutation(n, batch):
    rows = batch_indices(n, batch, 60, replacement=False, random_state=0)
    assert rows.shape == (60, min(batch, n))
    epochs = rows.reshape(-1)[: (rows.size // n) * n].reshape(-1, n)
    assert np.all(np.sort(epochs, axis=1) == np.arange(n))
    if batch < n:
        assert len({tuple(e) for e in epochs}) > 1  # reshuffled every epoch


def test_with_replacement_indices_are_uniform_and_batches_may_exceed_n():
    rows = batch_indices(7, 5, 6000, replacement=True, random_state=0)
    assert rows.shape == (6000, 5) and rows.min() == 0 and rows.max() == 6
    assert stats.chisquare(np.bincount(rows.ravel(), minlength=7)).pvalue > 1e-3
    assert batch_indices(7, 12, 3, replacement=True).shape == (3, 12)
    # Draws within a batch are independent: pairs of positions are uniform over the 49 combinations too.
    pairs = rows[:, 0] * 7 + rows[:, 1]
    assert stats.chisquare(np.bincount(pairs, minlength=49)).pvalue > 1e-3


def test_batch_indices_are_reproducible_and_checked():
    assert np.array_equal(batch_indices(50, 8, 30, random_state=4), batch_indices(50, 8, 30, random_state=4))
    assert not np.array_equal(batch_indices(50, 8, 30, random_state=4), batch_indices(50, 8, 30, random_state=5))
    with pytest.raises(ValueError, match="batch size must be at least 1"):
        batch_indices(10, 0, 5)
    with pytest.raises(ValueError, match="number of steps must be at most 100000"):
        batch_indices(10, 2, 100_001)


# ----------------------------------------------------------------------------------------------- recorded run


def test_full_batch_sgd_is_gradient_descent():
    x, y, problem = line_problem(n=50)
    reference = LinearRegressionGD(learning_rate=0.1, n_steps=60, w0=-2.0, b0=3.0).fit(x, y).trajectory_
    run = minibatch_sgd(problem, [-2.0, 3.0], 50, 0.1, 60)
    assert np.allclose(run.params, reference.params, rtol=1e-12, atol=1e-12)
    assert np.allclose(run.full_loss, reference.loss, rtol=1e-12)
    assert np.allclose(run.full_grad, reference.grad, rtol=1e-10, atol=1e-12)
    assert np.allclose(run.batch_grad, run.full_grad[:-1], rtol=1e-12, atol=1e-13)
    assert run.diverged_at is None and run.batch_size == 50


@pytest.mark.parametrize("replacement", [False, True])
def test_recorded_quantities_are_what_they_claim(replacement):
    _, _, problem = line_problem(n=40)
    run = minibatch_sgd(problem, [-2.0, 3.0], 6, 0.05, 80, replacement=replacement, random_state=7)
    rows = batch_indices(40, 6, 80, replacement=replacement, random_state=7)
    assert np.array_equal(run.batches, rows)
    assert run.params.shape == (81, 2) and run.batch_grad.shape == (80, 2) and run.lr.shape == (80,)
    for t in (1, 2, 40, 80):
        assert np.allclose(run.full_grad[t], problem.gradient(run.params[t]))
        assert run.full_loss[t] == pytest.approx(problem.loss(run.params[t]))
        assert np.allclose(run.batch_grad[t - 1], problem.gradient(run.params[t - 1], rows[t - 1]))
        assert run.batch_loss[t - 1] == pytest.approx(problem.loss(run.params[t - 1], rows[t - 1]))
        assert np.allclose(run.params[t], run.params[t - 1] - 0.05 * run.batch_grad[t - 1])
    assert np.array_equal(run.examples, 6 * np.arange(81))
    lean = minibatch_sgd(problem, [-2.0, 3.0], 6, 0.05, 80, replacement=replacement, random_state=7,
                         record_batches=False)  # the same run, without the batches' indices
    assert lean.batches is None
    assert np.array_equal(lean.params, run.params) and np.array_equal(lean.batch_loss, run.batch_loss)
    assert run.seconds[0] == 0 and np.all(np.diff(run.seconds) >= 0)


def test_any_optimizer_follows_the_recorded_batch_gradients():
    _, _, problem = logistic_problem()
    run = minibatch_sgd(problem, np.zeros(4), 8, 0.05, 30, optimizer="momentum", optimizer_params={"beta": 0.8},
                        warmup_steps=10)
    opt = make_optimizer("momentum", lr=0.05, beta=0.8)
    theta, state = np.zeros(4), opt.init_state(np.zeros(4))
    for t in range(1, 31):
        theta, state = opt.step(theta, run.batch_grad[t - 1], state, t, run.lr[t - 1])
        assert np.allclose(theta, run.params[t])


def test_warmup_ramps_the_learning_rate_linearly():
    _, _, problem = line_problem()
    run = minibatch_sgd(problem, [0.0, 0.0], 4, 0.2, 12, warmup_steps=5)
    assert np.allclose(run.lr, 0.2 * np.minimum(1, np.arange(1, 13) / 5))
    assert np.allclose(minibatch_sgd(problem, [0.0, 0.0], 4, 0.2, 12).lr, 0.2)


def test_divergence_is_detected_just_above_the_stability_limit():
    x, y, problem = line_problem(n=50)
    limit = max_stable_learning_rate(mse_hessian(x))
    blown = minibatch_sgd(problem, [-2.0, 3.0], 50, 1.05 * limit, 2000)
    assert blown.diverged_at is not None and blown.diverged_at < 2000
    assert len(blown.params) == len(blown.full_loss) == blown.diverged_at + 1 == blown.n_steps + 1
    assert not blown.full_loss[-1] <= 1e6 * (1 + blown.full_loss[0]) and np.all(np.isfinite(blown.full_loss[:-1]))
    assert minibatch_sgd(problem, [-2.0, 3.0], 50, 0.95 * limit, 2000).diverged_at is None


@pytest.mark.parametrize("kwargs, message", [
    (dict(batch_size=0), "batch size must be at least 1"),
    (dict(batch_size=2.5), "batch size must be a whole number"),
    (dict(lr=0.0), "learning rate must be greater than 0"),
    (dict(lr=float("nan")), "learning rate must be a finite number"),
    (dict(n_steps=0), "number of steps must be at least 1"),
    (dict(n_steps=100_001), "number of steps must be at most 100000"),
    (dict(theta0=[1.0, 2.0, 3.0]), r"theta0 must be 2 finite numbers .* got shape \(3,\)"),
    (dict(theta0=[1.0, np.inf]), "theta0 must be 2 finite numbers"),
    (dict(optimizer="lbfgs"), "optimizer must be one of"),
    (dict(warmup_steps=-1), "warm-up steps must be at least 0"),
])
def test_minibatch_sgd_rejects_bad_inputs_with_clear_messages(kwargs, message):
    _, _, problem = line_problem()
    args = dict(theta0=[0.0, 0.0], batch_size=4, lr=0.1, n_steps=10) | kwargs
    with pytest.raises(ValueError, match=message):
        minibatch_sgd(problem, **args)
    with pytest.raises(ValueError, match="problem must be a FiniteSum"):
        minibatch_sgd(lambda t: t, [0.0, 0.0], 4, 0.1, 10)


def test_network_training_by_minibatch_sgd_lowers_the_objective_and_has_gradient_noise():
    rng = np.random.default_rng(0)
    y = np.arange(80) % 2
    X = np.where(y[:, None] == 1, 1.0, -1.0) + rng.normal(scale=0.8, size=(80, 2))
    model = MLPClassifier((4,), "tanh", random_state=0)
    model.initialize(2, np.unique(y))
    problem = network_sum(model, X, y)
    run = minibatch_sgd(problem, model.theta_, 8, 0.3, 150, random_state=0)
    assert run.full_loss[-1] < 0.5 * run.full_loss[0]
    noise = gradient_noise(problem, model.theta_)
    assert noise.covariance.shape == (len(model.theta_),) * 2 and 0 < noise.b_simple < np.inf


# ----------------------------------------------------------------------------------------------------- sweeps


def test_lr_rules():
    assert lr_for_batch(0.1, 1, 8, "none") == 0.1
    assert lr_for_batch(0.1, 2, 8, "linear") == pytest.approx(0.4)
    assert lr_for_batch(0.1, 1, 16, "sqrt") == pytest.approx(0.4)
    with pytest.raises(ValueError, match="rule must be one of none, linear, sqrt"):
        lr_for_batch(0.1, 1, 8, "cubic")


def test_fit_recovers_the_steps_curve_from_exact_data():
    B = 2.0 ** np.arange(10)
    s_min, b_crit, e_min = fit_steps_curve(B, 20 * (1 + 32 / B))
    assert (s_min, b_crit, e_min) == pytest.approx((20, 32, 640), rel=1e-9)
    steps = 20 * (1 + 32 / B)
    steps[[0, 5]] = np.nan  # not reached: ignored
    assert fit_steps_curve(B, steps) == pytest.approx((20, 32, 640), rel=1e-9)
    assert fit_steps_curve(B, 100 / B)[1] == np.inf  # never levels off
    assert fit_steps_curve(B, np.full(10, 30.0)) == pytest.approx((30, 0, 0), abs=1e-9)  # no gain at all
    assert np.all(np.isnan(fit_steps_curve([1, 2, 4], [10, np.nan, np.nan])))


@pytest.mark.parametrize("problem_kind", ["vectorised", "plain"])
@pytest.mark.parametrize("replacement", [False, True])
def test_sweep_steps_are_the_first_passages_of_the_recorded_runs(problem_kind, replacement):
    x, y, problem = line_problem(n=64, noise=1.0)
    if problem_kind == "plain":
        problem = plain(problem)
    target = 0.5 * (problem.loss([-2.0, 3.0]) + problem.loss(np.polyfit(x, y, 1)))
    result = batch_size_sweep(problem, [-2.0, 3.0], [1, 8, 64], base_lr=0.02, rule="sqrt", target_loss=target,
                              max_steps=400, seeds=2, replacement=replacement, random_state=5)
    for i, batch in enumerate([1, 8, 64]):
        for s in range(2):
            run = minibatch_sgd(problem, [-2.0, 3.0], batch, result.lrs[i], 400, replacement=replacement,
                                random_state=5 + s)
            assert result.steps[i, s] == np.argmax(run.full_loss <= target)
    assert np.array_equal(result.examples, result.steps * np.array([[1], [8], [64]]))


def test_sweep_with_adam_warmup_and_patience_matches_the_recorded_run():
    _, _, problem = logistic_problem(alpha=0.01, n=100)
    theta0 = np.array([2.0, -2.0, 1.0, 1.0])
    target = problem.loss(theta0) * 0.6
    result = batch_size_sweep(problem, theta0, [4], base_lr=0.05, target_loss=target, seeds=1, optimizer="adam",
                              warmup_steps=20, patience=5, max_steps=600)
    run = minibatch_sgd(problem, theta0, 4, 0.05, 600, optimizer="adam", warmup_steps=20)
    below = run.full_loss <= target
    first = next(t for t in range(len(below)) if below[t:t + 5].all())
    assert result.steps[0, 0] == first > np.argmax(below) - 1


def test_linear_scaling_helps_until_the_critical_batch_size_then_stops():
    demo = demo_line_problem()
    result = batch_size_sweep(demo.problem, demo.theta0, target_loss=demo.target_loss, **DEMO_SWEEP)
    steps = result.median_steps
    assert not result.diverged.any() and np.all(np.isfinite(steps))
    assert 1.6 < steps[0] / steps[1] < 2.4  # B = 1 → 2 halves the steps
    assert 0.8 < steps[-1] / steps[6] < 1.2  # B = 64 → 512 gains nothing
    assert 1 < result.b_crit < 512 and result.s_min == pytest.approx(steps[-1], rel=0.2)
    assert result.e_min == pytest.approx(result.s_min * result.b_crit)
    assert np.array_equal(result.examples, result.steps * result.batch_sizes[:, None])
    # Without the cap the learning rate passes the stability limit and the large batches diverge.
    uncapped = batch_size_sweep(demo.problem, demo.theta0, target_loss=demo.target_loss,
                                **DEMO_SWEEP | {"max_lr": None})
    assert uncapped.diverged[-1].all() and np.isnan(uncapped.steps[-1]).all()


def test_sweep_flags_what_never_reaches_the_target():
    _, _, problem = line_problem()
    result = batch_size_sweep(problem, [-2.0, 3.0], [1, 4], base_lr=1e-4, target_loss=0.0, max_steps=50, seeds=2)
    assert np.isnan(result.steps).all() and not result.diverged.any() and np.isnan(result.b_crit)
    met = batch_size_sweep(problem, [-2.0, 3.0], [1, 4], base_lr=0.1, target_loss=1e9, seeds=2)
    assert np.all(met.steps == 0)
    with pytest.raises(ValueError, match="Give at least one batch size"):
        batch_size_sweep(problem, [0.0, 0.0], [], base_lr=0.1, target_loss=1.0)
