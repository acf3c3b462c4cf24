"""Optimizers against their published update rules worked out by hand, schedules against their formulas, and
the race runner's bookkeeping (shapes, one gradient call per step, divergence, stalls)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.optimizers import (
    OPTIMIZERS, SCHEDULES, SGD, AdaGrad, Adam, AdamW, Momentum, Nesterov, RMSProp, make_optimizer, race,
    schedule_factors, scheduled_lr,
)

# f(x, y) = ½(x² + 4y²): anisotropic, so a rule that mixed up coordinates would show. ∇f = (x, 4y).
SCALE = np.array([1.0, 4.0])


def aniso_grad(p):
    return np.asarray(p, dtype=float) * SCALE


def aniso_loss(p):
    p = np.asarray(p, dtype=float)
    return 0.5 * np.sum(SCALE * p**2, axis=-1)


def run(opt, theta0, n):
    """n steps of opt on the anisotropic bowl, returning θ_1 … θ_n and the last state."""
    theta, state, path = np.array(theta0, dtype=float), opt.init_state(theta0), []
    for t in range(1, n + 1):
        theta, state = opt.step(theta, aniso_grad(theta), state, t, opt.lr)
        path.append(theta)
    return path, state


# ------------------------------------------------------------------------------ first steps, worked by hand
# Start at θ0 = (1, 1), so g1 = (1, 4).


def test_sgd_first_steps():
    (t1, t2), _ = run(SGD(lr=0.1), [1.0, 1.0], 2)
    # θ1 = (1 − 0.1·1, 1 − 0.1·4) = (0.9, 0.6); g2 = (0.9, 2.4); θ2 = (0.9 − 0.09, 0.6 − 0.24)
    np.testing.assert_allclose(t1, [0.9, 0.6])
    np.testing.assert_allclose(t2, [0.81, 0.36])


def test_momentum_first_steps():
    (t1, t2), state = run(Momentum(lr=0.1, beta=0.9), [1.0, 1.0], 2)
    # v1 = g1 = (1, 4); θ1 = (0.9, 0.6); g2 = (0.9, 2.4); v2 = 0.9·(1, 4) + (0.9, 2.4) = (1.8, 6.0)
    # θ2 = (0.9 − 0.18, 0.6 − 0.6)
    np.testing.assert_allclose(t1, [0.9, 0.6])
    np.testing.assert_allclose(state["velocity"], [1.8, 6.0])
    np.testing.assert_allclose(t2, [0.72, 0.0], atol=1e-15)


def test_nesterov_first_steps():
    (t1, t2), state = run(Nesterov(lr=0.1, beta=0.9), [1.0, 1.0], 2)
    # v1 = (1, 4); step direction g1 + 0.9·v1 = (1.9, 7.6); θ1 = (1 − 0.19, 1 − 0.76) = (0.81, 0.24)
    # g2 = (0.81, 0.96); v2 = 0.9·(1, 4) + g2 = (1.71, 4.56); direction = g2 + 0.9·v2 = (2.349, 5.064)
    np.testing.assert_allclose(t1, [0.81, 0.24])
    np.testing.assert_allclose(state["velocity"], [1.71, 4.56])
    np.testing.assert_allclose(t2, [0.81 - 0.2349, 0.24 - 0.5064])


def test_adagrad_first_steps():
    (t1, t2, t3), state = run(AdaGrad(lr=0.5), [1.0, 1.0], 3)
    # G1 = (1, 16); θ1 = θ0 − 0.5·(1/1, 4/4) = (0.5, 0.5)
    # g2 = (0.5, 2); G2 = (1.25, 20); θ2 = (0.5 − 0.5·0.5/√1.25, 0.5 − 0.5·2/√20)
    np.testing.assert_allclose(t1, [0.5, 0.5])
    x2, y2 = 0.5 - 0.25 / math.sqrt(1.25), 0.5 - 1.0 / math.sqrt(20.0)
    np.testing.assert_allclose(t2, [x2, y2])
    # g3 = (x2, 4·y2); G3 = G2 + g3²
    gx, gy = x2, 4 * y2
    np.testing.assert_allclose(state["sum_sq"], [1.25 + gx**2, 20 + gy**2])
    np.testing.assert_allclose(t3, [x2 - 0.5 * gx / math.sqrt(1.25 + gx**2),
                                    y2 - 0.5 * gy / math.sqrt(20 + gy**2)])


def test_rmsprop_first_steps():
    (t1, t2), state = run(RMSProp(lr=0.1, rho=0.9), [1.0, 1.0], 2)
    # s1 = 0.1·(1, 16) = (0.1, 1.6); θ1 = (1 − 0.1·1/√0.1, 1 − 0.1·4/√1.6), both 1 − 0.1·√10
    x1 = 1 - 0.1 * math.sqrt(10.0)
    np.testing.assert_allclose(t1, [x1, x1])
    # g2 = (x1, 4·x1); s2 = 0.9·s1 + 0.1·g2²
    sx, sy = 0.09 + 0.1 * x1**2, 1.44 + 0.1 * 16 * x1**2
    np.testing.assert_allclose(state["sq_avg"], [sx, sy])
    np.testing.assert_allclose(t2, [x1 - 0.1 * x1 / math.sqrt(sx), x1 - 0.1 * 4 * x1 / math.sqrt(sy)])


def test_adam_first_steps():
    (t1, t2), state = run(Adam(lr=0.1), [1.0, 1.0], 2)
    # step 1: m̂1 = g1, v̂1 = g1², so θ1 = θ0 − 0.1·g/|g| = (0.9, 0.9) (up to eps)
    np.testing.assert_allclose(t1, [0.9, 0.9], rtol=1e-7)
    # step 2: g2 = (0.9, 3.6)
    m = np.array([0.9 * 0.1 * 1 + 0.1 * 0.9, 0.9 * 0.1 * 4 + 0.1 * 3.6])            # = (0.18, 0.72)
    v = np.array([0.999 * 0.001 * 1 + 0.001 * 0.81, 0.999 * 0.001 * 16 + 0.001 * 12.96])
    m_hat, v_hat = m / (1 - 0.9**2), v / (1 - 0.999**2)
    np.testing.assert_allclose(state["m"], [0.18, 0.72])
    np.testing.assert_allclose(state["v"], [0.001809, 0.028944])
    np.testing.assert_allclose(state["m_hat"], m_hat)
    np.testing.assert_allclose(state["v_hat"], v_hat)
    np.testing.assert_allclose(t2, [0.9, 0.9] - 0.1 * m_hat / (np.sqrt(v_hat) + 1e-8), rtol=1e-7)
    # Spelled out for x: m̂ = 0.18/0.19, v̂ = 0.001809/0.001999
    assert t2[0] == pytest.approx(0.9 - 0.1 * (0.18 / 0.19) / math.sqrt(0.001809 / 0.001999), rel=1e-7)


def test_adamw_decays_then_takes_the_adam_step():
    (t1, t2), _ = run(AdamW(lr=0.1, weight_decay=0.5), [1.0, 1.0], 2)
    # θ' = θ0·(1 − 0.1·0.5) = (0.95, 0.95); then the Adam step −0.1·sign(g1): θ1 = (0.85, 0.85)
    np.testing.assert_allclose(t1, [0.85, 0.85], rtol=1e-7)
    # step 2 uses g2 = ∇f(θ1) = (0.85, 3.4) in Adam's averages, and decays θ1 first
    m = np.array([0.09 + 0.1 * 0.85, 0.36 + 0.1 * 3.4])
    v = np.array([0.000999 + 0.001 * 0.85**2, 0.015984 + 0.001 * 3.4**2])
    m_hat, v_hat = m / 0.19, v / (1 - 0.999**2)
    np.testing.assert_allclose(t2, 0.85 * 0.95 - 0.1 * m_hat / (np.sqrt(v_hat) + 1e-8), rtol=1e-7)


def test_adamw_decay_is_decoupled_from_the_gradient():
    # With zero gradient Adam does not move at all, while AdamW still shrinks θ by exactly (1 − ηλ).
    theta, zero = np.array([2.0, -3.0]), np.zeros(2)
    adam, adamw = Adam(lr=0.1), AdamW(lr=0.1, weight_decay=0.2)
    np.testing.assert_array_equal(adam.step(theta, zero, adam.init_state(theta), 1)[0], theta)
    np.testing.assert_allclose(adamw.step(theta, zero, adamw.init_state(theta), 1)[0], theta * 0.98)


def test_adamw_without_decay_is_adam():
    a, _ = run(Adam(lr=0.05), [1.0, -2.0], 5)
    b, _ = run(AdamW(lr=0.05, weight_decay=0.0), [1.0, -2.0], 5)
    np.testing.assert_array_equal(a, b)


def test_step_uses_the_lr_it_is_given():
    # The race passes the scheduled rate; it must override the optimizer's base lr.
    opt = SGD(lr=1.0)
    new, _ = opt.step(np.array([1.0, 1.0]), np.array([1.0, 2.0]), {}, 1, 0.25)
    np.testing.assert_allclose(new, [0.75, 0.5])


@given(g=st.lists(st.floats(1e-3, 1e3) | st.floats(-1e3, -1e-3), min_size=2, max_size=2),
       lr=st.floats(1e-4, 1.0))
@settings(max_examples=50, deadline=None)
def test_adam_first_step_moves_lr_per_coordinate(g, lr):
    theta = np.array([0.3, -0.7])
    opt = Adam(lr=lr)
    new, _ = opt.step(theta, np.array(g), opt.init_state(theta), 1, lr)
    np.testing.assert_allclose(np.abs(new - theta), [lr, lr], rtol=1e-4)
    np.testing.assert_array_equal(np.sign(theta - new), np.sign(g))  # downhill in every coordinate


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_step_is_pure_and_keeps_the_shape(name):
    opt = make_optimizer(name, lr=0.1)
    theta = np.array([[1.0, -2.0, 0.5]])  # any shape, not only (2,)
    grad = np.array([[0.3, 0.1, -4.0]])
    state = {k: v + 0.5 for k, v in opt.init_state(theta).items()}
    before = (theta.copy(), grad.copy(), {k: v.copy() for k, v in state.items()})
    new, new_state = opt.step(theta, grad, state, 3, 0.1)
    assert new.shape == theta.shape and not np.array_equal(new, theta)
    np.testing.assert_array_equal(theta, before[0])
    np.testing.assert_array_equal(grad, before[1])
    for key in state:
        np.testing.assert_array_equal(state[key], before[2][key])
        assert new_state[key].shape == theta.shape


def test_registry_names_and_labels():
    assert list(OPTIMIZERS) == ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"]
    assert all(cls.name == name and cls.label for name, cls in OPTIMIZERS.items())
    assert set(Adam(lr=0.1).init_state(np.zeros(2))) == {"m", "v", "m_hat", "v_hat"}
    assert AdamW(lr=0.1).hyperparameters == {"lr": 0.1, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8,
                                             "weight_decay": 0.01}


# ------------------------------------------------------------------------------------------ convergence rate


def rotated_quadratic(eigenvalues, angle=0.6):
    c, s = math.cos(angle), math.sin(angle)
    rotation = np.array([[c, -s], [s, c]])
    hessian = rotation @ np.diag(eigenvalues) @ rotation.T
    return hessian, (lambda p: p @ hessian), (lambda p: 0.5 * np.einsum("...i,ij,...j->...", p, hessian, p))


def test_gradient_descent_contracts_at_kappa_rate_with_the_optimal_lr():
    lam_min, lam_max = 1.0, 9.0
    kappa = lam_max / lam_min
    _, grad_fn, loss_fn = rotated_quadratic([lam_min, lam_max])
    best = 2 / (lam_min + lam_max)
    result = race(grad_fn, loss_fn, [SGD(lr=best), SGD(lr=0.9 * best)], [1.0, 0.3], 60)
    error = np.linalg.norm(result.positions, axis=-1)  # the minimum is the origin
    ratio = error[0, 41:61] / error[0, 40:60]
    np.testing.assert_allclose(ratio, (kappa - 1) / (kappa + 1), rtol=1e-6)  # 0.8 exactly, every step
    assert error[1, 60] > error[0, 60]  # any other lr is slower


# ----------------------------------------------------------------------------------------------- schedules


@pytest.mark.parametrize("schedule, params, t, expected", [
    ("constant", {}, 1, 1.0),
    ("constant", {}, 37, 1.0),
    ("step_decay", {"every": 3, "gamma": 0.5}, 1, 1.0),
    ("step_decay", {"every": 3, "gamma": 0.5}, 3, 1.0),
    ("step_decay", {"every": 3, "gamma": 0.5}, 4, 0.5),
    ("step_decay", {"every": 3, "gamma": 0.5}, 7, 0.25),
    ("exponential", {"gamma": 0.9}, 1, 1.0),
    ("exponential", {"gamma": 0.9}, 3, 0.81),
    ("exponential", {"gamma": 0.9}, 11, 0.9**10),
    ("cosine", {"min_factor": 0.1}, 1, 1.0),
    ("cosine", {"min_factor": 0.1}, 6, 0.55),  # halfway through T = 10: cos(π/2) = 0
    ("cosine", {"min_factor": 0.1}, 10, 0.1 + 0.9 * (1 + math.cos(0.9 * math.pi)) / 2),
    ("cosine", {}, 6, 0.5),
    ("linear_warmup", {"warmup_steps": 4}, 1, 0.25),
    ("linear_warmup", {"warmup_steps": 4}, 2, 0.5),
    ("linear_warmup", {"warmup_steps": 4}, 4, 1.0),
    ("linear_warmup", {"warmup_steps": 4}, 9, 1.0),
])
def test_schedules_match_their_formulas(schedule, params, t, expected):
    total = 10 if schedule == "cosine" else 50
    assert scheduled_lr(0.2, schedule, t, total, **params) == pytest.approx(0.2 * expected, rel=1e-12)
    assert schedule_factors(schedule, total, **params)[t - 1] == pytest.approx(expected, rel=1e-12)


def test_schedule_registry():
    assert set(SCHEDULES) == {"constant", "step_decay", "exponential", "cosine", "linear_warmup"}


@pytest.mark.parametrize("schedule, params, message", [
    ("warp", {}, "schedule must be one of"),
    ("step_decay", {}, "needs every"),
    ("step_decay", {"every": 0}, "every must be at least 1"),
    ("step_decay", {"every": 2, "gamma": 0.0}, "gamma must be greater than 0"),
    ("exponential", {"gamma": 1.5}, "gamma must be at most 1"),
    ("cosine", {"min_factor": -0.1}, "min_factor must be at least 0"),
    ("cosine", {"warmup": 3}, "unexpected warmup"),
    ("linear_warmup", {"warmup_steps": 2.5}, "warmup_steps must be a whole number"),
])
def test_bad_schedules_raise(schedule, params, message):
    with pytest.raises(ValueError, match=message):
        scheduled_lr(0.1, schedule, 1, 10, **params)


def test_scheduled_lr_checks_t():
    with pytest.raises(ValueError, match="t must be at least 1"):
        scheduled_lr(0.1, "constant", 0, 10)
    with pytest.raises(ValueError, match="t must be at most 10"):
        scheduled_lr(0.1, "constant", 11, 10)


# ------------------------------------------------------------------------------------------------- the race


class Counting:
    """Wraps a vectorised function, remembering every array it was called with."""

    def __init__(self, fn):
        self.fn, self.points = fn, []

    def __call__(self, p):
        self.points.append(np.array(p))
        return self.fn(p)

    @property
    def shapes(self):
        return [p.shape for p in self.points]


def test_race_shapes_and_one_evaluation_per_step():
    grad_fn, loss_fn = Counting(aniso_grad), Counting(aniso_loss)
    opts = [make_optimizer(name, lr=0.05) for name in OPTIMIZERS]
    result = race(grad_fn, loss_fn, opts, [1.0, 1.0], 25)
    r, n = len(opts), 25
    assert result.names == list(OPTIMIZERS)
    assert result.positions.shape == (r, n + 1, 2)
    assert result.loss.shape == (r, n + 1)
    assert result.grad.shape == (r, n + 1, 2)
    assert result.updates.shape == (r, n, 2)
    assert result.lr.shape == (r, n) and result.lr_factor.shape == (n,)
    assert result.states["adam"]["m_hat"].shape == (n + 1, 2)
    assert result.states["sgd"] == {}
    assert grad_fn.shapes == [(r, 2)] * (n + 1)  # the start, then once per step, all racers at once
    assert loss_fn.shapes == [(r, 2)] * (n + 1)
    assert result.diverged_at == [None] * r
    # rows agree with each other and with the single-optimizer step
    np.testing.assert_allclose(result.updates, np.diff(result.positions, axis=1))
    np.testing.assert_allclose(result.loss, aniso_loss(result.positions))
    np.testing.assert_allclose(result.grad, aniso_grad(result.positions))
    path, _ = run(Nesterov(lr=0.05), [1.0, 1.0], n)
    np.testing.assert_allclose(result.positions[2, 1:], path)


def test_race_records_optimizer_state_over_time():
    beta = 0.9  # on the slope f = x the gradient is always (1, 0), so v_k = 1 + β + … + β^(k−1)
    result = race(lambda p: np.broadcast_to([1.0, 0.0], p.shape), lambda p: p[..., 0], [Momentum(lr=0.01)],
                  [0.0, 0.0], 6)
    k = np.arange(7)
    np.testing.assert_allclose(result.states["momentum"]["velocity"][:, 0], (1 - beta**k) / (1 - beta))
    np.testing.assert_array_equal(result.states["momentum"]["velocity"][:, 1], 0.0)


def test_race_applies_the_schedule_to_each_racers_lr():
    slope = (lambda p: np.broadcast_to([1.0, 0.0], p.shape), lambda p: p[..., 0])
    result = race(*slope, [SGD(lr=0.4), SGD(lr=0.1)], [0.0, 0.0], 5, "step_decay", {"every": 2, "gamma": 0.5})
    np.testing.assert_allclose(result.lr_factor, [1, 1, 0.5, 0.5, 0.25])
    np.testing.assert_allclose(result.lr, [[0.4, 0.4, 0.2, 0.2, 0.1], [0.1, 0.1, 0.05, 0.05, 0.025]])
    np.testing.assert_allclose(result.updates[..., 0], -result.lr)  # the step taken used that step's rate
    assert result.names == ["sgd", "sgd_2"]


def test_too_large_lr_diverges_and_freezes():
    # f = ½‖θ‖², SGD with lr = 3 multiplies θ by −2 per step, so L_k = 4^k from L_0 = 1.
    # The limit is 1e6·(1 + 1) = 2e6: 4^10 ≈ 1.05e6 is under it, 4^11 ≈ 4.2e6 is over, so it diverges at 11.
    grad_fn = Counting(lambda p: np.asarray(p, dtype=float))
    loss_fn = lambda p: 0.5 * np.sum(np.asarray(p) ** 2, axis=-1)  # noqa: E731
    result = race(grad_fn, loss_fn, [SGD(lr=3.0), SGD(lr=0.1)], [1.0, 1.0], 30)
    assert result.diverged_at == [11, None]
    assert "loss passed" in result.reasons[0] and result.reasons[1] is None
    np.testing.assert_allclose(result.loss[0, :11], 4.0 ** np.arange(11))
    assert np.all(np.isnan(result.positions[0, 11:])) and np.all(np.isnan(result.loss[0, 11:]))
    assert np.all(np.isnan(result.updates[0, 10:])) and np.all(np.isfinite(result.updates[0, :10]))
    np.testing.assert_allclose(result.final_positions[0], (-2.0) ** 10 * np.ones(2))
    assert np.all(np.isfinite(result.positions[1]))
    assert len(grad_fn.shapes) == 31  # the other racer keeps going
    assert all(np.all(np.isfinite(p)) for p in grad_fn.points)  # the diverged racer is held where it was


@pytest.mark.parametrize("off_the_surface", [np.nan, -np.inf, np.inf])
def test_non_finite_loss_is_divergence_and_functions_never_see_nan(off_the_surface):
    seen = []

    def loss_fn(p):
        seen.append(np.array(p))
        r2 = np.sum(p**2, axis=-1)
        return np.where(r2 < 9.0, 0.5 * r2, off_the_surface)  # the surface ends at radius 3

    result = race(lambda p: p, loss_fn, [SGD(lr=2.5)], [1.0, 0.0], 10)  # θ_k = (−1.5)^k
    # |θ| = 1, 1.5, 2.25, 3.375: the third step leaves the surface
    assert result.diverged_at == [3] and "loss" in result.reasons[0]
    assert all(np.all(np.isfinite(p)) for p in seen)
    assert len(seen) == 4  # everyone has diverged: the race stops early


def test_overflowing_position_is_divergence():
    # θ1 = 1 − 1e200 is finite, but θ2 = θ1 − 1e200·θ1 ≈ 1e400 overflows (the loss is 0 everywhere).
    result = race(lambda p: p, lambda p: np.zeros(p.shape[:-1]), [SGD(lr=1e200)], [1.0, 1.0], 5)
    assert result.diverged_at == [2] and "position" in result.reasons[0]
    # a gradient that overflows at a finite point is divergence too
    grad_fn = lambda p: np.where(np.abs(p) < 1e10, p, np.inf)  # noqa: E731
    result = race(grad_fn, lambda p: np.zeros(p.shape[:-1]), [SGD(lr=1e11)], [1.0, 1.0], 5)
    assert result.diverged_at == [1] and "gradient" in result.reasons[0]


def test_stall_rule():
    # SGD with lr 0.5 on ½‖θ‖² halves θ: update k has length 0.5^(k+1), first below 1e-6 at k = 19.
    halving = race(lambda p: p, lambda p: 0.5 * np.sum(p**2, axis=-1), [SGD(lr=0.5)], [1.0, 0.0], 40,
                   stall_tol=1e-6, patience=10)
    assert halving.stalled_at == [19]
    # A flat surface stalls at once; a constant slope never does.
    flat = race(lambda p: np.zeros_like(p), lambda p: np.zeros(p.shape[:-1]), [Adam(lr=0.1)], [0.0, 0.0], 12)
    assert flat.stalled_at == [0]
    slope = race(lambda p: np.broadcast_to([1.0, 0.0], p.shape), lambda p: p[..., 0], [SGD(lr=0.1)],
                 [0.0, 0.0], 30)
    assert slope.stalled_at == [None]


# -------------------------------------------------------------------------------------------- bad arguments


@pytest.mark.parametrize("make, message", [
    (lambda: SGD(lr=0), "lr must be greater than 0"),
    (lambda: SGD(lr=-0.1), "lr must be greater than 0"),
    (lambda: SGD(lr=float("nan")), "lr must be a finite number"),
    (lambda: Adam(lr=float("inf")), "lr must be a finite number"),
    (lambda: Momentum(lr=0.1, beta=1.0), "beta must be in \\[0, 1\\)"),
    (lambda: Nesterov(lr=0.1, beta=-0.1), "beta must be at least 0"),
    (lambda: RMSProp(lr=0.1, rho=1.2), "rho must be in \\[0, 1\\)"),
    (lambda: Adam(lr=0.1, beta1=1.0), "beta1 must be in \\[0, 1\\)"),
    (lambda: AdamW(lr=0.1, beta2=1.0), "beta2 must be in \\[0, 1\\)"),
    (lambda: AdaGrad(lr=0.1, eps=0.0), "eps must be greater than 0"),
    (lambda: Adam(lr=0.1, eps=-1e-8), "eps must be greater than 0"),
    (lambda: AdamW(lr=0.1, weight_decay=-0.01), "weight_decay must be at least 0"),
    (lambda: make_optimizer("lion", lr=0.1), "optimizer must be one of"),
    (lambda: make_optimizer("adam", lr=0.1, momentum=0.9), "unexpected momentum"),
    (lambda: Adam(lr=0.1).step(np.zeros(2), np.ones(2), Adam(lr=0.1).init_state(np.zeros(2)), 0), "t must"),
])
def test_bad_hyperparameters_raise(make, message):
    with pytest.raises(ValueError, match=message):
        make()


BOWL = (aniso_grad, aniso_loss)


@pytest.mark.parametrize("kwargs, message", [
    ({"n_steps": 0}, "n_steps must be at least 1"),
    ({"n_steps": 100_001}, "n_steps must be at most 100000"),
    ({"n_steps": 2.5}, "n_steps must be a whole number"),
    ({"start": [1.0, 2.0, 3.0]}, "start must be a finite point"),
    ({"start": [np.nan, 0.0]}, "start must be a finite point"),
    ({"optimizers": []}, "at least one optimizer"),
    ({"optimizers": ["adam"]}, "Optimizer instances"),
    ({"schedule": "cosine", "schedule_params": {"min_factor": 2.0}}, "min_factor must be at most 1"),
    ({"patience": 0}, "patience must be at least 1"),
])
def test_bad_race_arguments_raise(kwargs, message):
    args = {"optimizers": [SGD(lr=0.1)], "start": [1.0, 1.0], "n_steps": 5, **kwargs}
    with pytest.raises(ValueError, match=message):
        race(*BOWL, **args)


def test_race_rejects_a_grad_fn_that_is_not_vectorised():
    with pytest.raises(ValueError, match="grad_fn must return an array shaped like its input"):
        race(lambda p: np.array([1.0, 1.0]), aniso_loss, [SGD(lr=0.1), Adam(lr=0.1)], [1.0, 1.0], 3)


def test_race_rejects_a_start_off_the_surface():
    with pytest.raises(ValueError, match="loss and gradient are finite"):
        race(aniso_grad, lambda p: np.full(p.shape[:-1], np.inf), [SGD(lr=0.1)], [1.0, 1.0], 3)


def test_race_summary_rows_follow_the_trajectory():
    from core.objectives import quadratic_bowl
    from core.optimizers import race_summary

    bowl = quadratic_bowl(condition=4.0)
    result = race(bowl.gradient, bowl.value, [SGD(lr=0.1), SGD(lr=0.6)], [2.0, 1.0], 80)
    rows = race_summary(result, bowl.minima)
    distance = np.linalg.norm(result.positions[0], axis=1)  # the only minimum is the origin
    assert rows[0]["distance to nearest minimum"] == pytest.approx(distance[-1])
    assert rows[0]["steps to within 0.01 of a minimum"] == int(np.argmax(distance < 0.01))
    assert rows[0]["final loss"] == pytest.approx(float(bowl.value(result.positions[0, -1])))
    assert rows[1]["diverged at step"] is not None  # 0.6 > 2/4
    assert rows[1]["final loss"] == result.loss[1][np.isfinite(result.loss[1])][-1]
    assert race_summary(result, np.empty((0, 2)))[0]["distance to nearest minimum"] is None


def test_optimizers_for_gives_each_racer_its_rate_and_the_hyperparameters_it_takes():
    from core.optimizers import optimizers_for

    racers = optimizers_for(("sgd", "momentum", "adam", "adamw"), (0.1, 0.2, 0.3, 0.4), beta=0.8, beta2=0.95,
                            weight_decay=0.05)
    assert [type(r).__name__ for r in racers] == ["SGD", "Momentum", "Adam", "AdamW"]
    assert [r.lr for r in racers] == [0.1, 0.2, 0.3, 0.4]
    assert racers[1].beta == 0.8 and racers[2].beta2 == 0.95 and racers[3].weight_decay == 0.05
    with pytest.raises(ValueError, match="one learning rate per optimizer"):
        optimizers_for(("sgd", "adam"), (0.1,))
    with pytest.raises(ValueError, match="list of optimizer names"):
        optimizers_for("sgd", (0.1,))
