"""Optimizers that race on 2-D surfaces, learning-rate schedules, and a vectorised race runner.

Each optimizer is a small class whose :meth:`~Optimizer.step` is its published update rule, written the way
``torch.optim`` implements it (same hyperparameter names where PyTorch has them), so a trajectory here can be
held next to one from PyTorch. ``step`` is pure: it returns a new θ and a new state and never mutates its
inputs, so a UI can keep every intermediate state.

Notation in the docstrings: θ are the parameters, :math:`g_t = \\nabla L(\\theta_{t-1})` is the gradient used
by step ``t = 1, 2, …`` and :math:`\\eta_t` is the learning rate at that step (the base ``lr`` times the
schedule's factor). Squares, square roots and divisions of vectors are element-wise.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, fields
from typing import Callable, ClassVar

import numpy as np

from core.validation import MAX_ABS, check_array, check_float, check_int, check_mapping

State = dict[str, np.ndarray]

#: The longest race (and schedule) allowed.
MAX_STEPS = 100_000
#: Most racer-steps in one race (racers × steps): every one keeps a dozen numbers of history, so this bounds
#: a race's memory at about 100 MB.
MAX_RACER_STEPS = 1_000_000
#: A racer has diverged once its loss exceeds ``DIVERGENCE_FACTOR × (1 + |L(θ₀)|)``.
DIVERGENCE_FACTOR = 1e6
#: Default stall rule: every one of ``STALL_PATIENCE`` consecutive updates is shorter than ``STALL_TOL``.
STALL_TOL = 1e-6
STALL_PATIENCE = 10


def _check_beta(name: str, value) -> float:
    """A decay rate must be in [0, 1): at 1 the running average never forgets and never moves."""
    value = check_float(name, value, low=0.0)
    if value >= 1.0:
        raise ValueError(f"{name} must be in [0, 1), i.e. less than 1, got {value:g}.")
    return value


def _check_eps(value) -> float:
    return check_float("eps", value, low=0.0, low_inclusive=False)


# --------------------------------------------------------------------------------------------- optimizers


@dataclass(frozen=True)
class Optimizer:
    """Shared interface: hyperparameters are the dataclass fields, the state is a dict of arrays shaped like θ.

    Subclasses set ``name`` (registry key), ``label`` (for people), ``state_keys`` and implement ``step``.
    """

    lr: float
    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    state_keys: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self) -> None:
        check_float("lr", self.lr, low=0.0, low_inclusive=False)

    def init_state(self, theta) -> State:
        """The state before the first step: zeros shaped like θ for each key in ``state_keys``."""
        shape = check_array("theta", theta, finite=False).shape
        return {key: np.zeros(shape) for key in self.state_keys}

    def step(self, theta, grad, state: State, t: int, lr: float | None = None) -> tuple[np.ndarray, State]:
        """Return ``(θ_t, state_t)`` from ``θ_{t-1}``, ``g_t`` and ``state_{t-1}``; ``lr`` defaults to ``self.lr``."""
        raise NotImplementedError

    @property
    def hyperparameters(self) -> dict[str, float]:
        """The constructor arguments, e.g. ``{"lr": 0.1, "beta": 0.9}``."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def _inputs(self, theta, grad, lr) -> tuple[np.ndarray, np.ndarray, float]:
        # Fresh float arrays, so arithmetic below can never write into the caller's arrays. Values are not
        # checked: a runner steps on towards inf/NaN and reports the divergence itself.
        theta, grad = check_array("theta", theta, finite=False), check_array("grad", grad, finite=False)
        if grad.shape != theta.shape:
            raise ValueError(f"grad must have the shape of theta {theta.shape}, got {grad.shape}.")
        # A scheduled rate may underflow to 0 (exponential decay over a long run), so 0 is allowed here.
        return theta, grad, self.lr if lr is None else check_float("lr", lr, low=0.0)


@dataclass(frozen=True)
class SGD(Optimizer):
    """Plain gradient descent (``torch.optim.SGD`` with ``momentum=0``).

    Notes
    -----
    .. math:: \\theta_t = \\theta_{t-1} - \\eta_t\\, g_t
    """

    name: ClassVar[str] = "sgd"
    label: ClassVar[str] = "SGD"

    def step(self, theta, grad, state, t, lr=None):
        theta, g, lr = self._inputs(theta, grad, lr)
        return theta - lr * g, {}


@dataclass(frozen=True)
class Momentum(Optimizer):
    """Heavy-ball momentum (Polyak 1964) in PyTorch's form (``torch.optim.SGD(momentum=beta)``).

    Notes
    -----
    .. math::

        v_t &= \\beta\\, v_{t-1} + g_t, \\qquad v_0 = 0 \\\\
        \\theta_t &= \\theta_{t-1} - \\eta_t\\, v_t

    The velocity ``v`` is a sum of gradients, not of steps: there is no ``(1 − β)`` damping and the learning
    rate is applied outside. With a constant η this is the same trajectory as Polyak's
    ``u_t = β u_{t-1} − η g_t, θ_t = θ_{t-1} + u_t`` (``u = −η v``); with a schedule, changing η rescales the
    whole accumulated velocity at once, exactly as PyTorch does.
    """

    beta: float = 0.9
    name: ClassVar[str] = "momentum"
    label: ClassVar[str] = "Momentum"
    state_keys: ClassVar[tuple[str, ...]] = ("velocity",)

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_beta("beta", self.beta)

    def step(self, theta, grad, state, t, lr=None):
        theta, g, lr = self._inputs(theta, grad, lr)
        velocity = self.beta * state["velocity"] + g
        return theta - lr * velocity, {"velocity": velocity}


@dataclass(frozen=True)
class Nesterov(Momentum):
    """Nesterov momentum in PyTorch's form (``torch.optim.SGD(momentum=beta, nesterov=True)``).

    Notes
    -----
    .. math::

        v_t &= \\beta\\, v_{t-1} + g_t, \\qquad v_0 = 0 \\\\
        \\theta_t &= \\theta_{t-1} - \\eta_t\\, (g_t + \\beta\\, v_t)

    Nesterov's method takes the gradient at the look-ahead point ``θ − ηβv``; Sutskever et al. (2013) rewrote
    it so the gradient is taken at the stored parameters, which is this form: the step adds the momentum it
    is about to take (``βv_t``) to the current gradient.
    """

    name: ClassVar[str] = "nesterov"
    label: ClassVar[str] = "Nesterov"

    def step(self, theta, grad, state, t, lr=None):
        theta, g, lr = self._inputs(theta, grad, lr)
        velocity = self.beta * state["velocity"] + g
        return theta - lr * (g + self.beta * velocity), {"velocity": velocity}


@dataclass(frozen=True)
class AdaGrad(Optimizer):
    """AdaGrad (Duchi, Hazan & Singer 2011) as in ``torch.optim.Adagrad`` (no lr decay, zero initial sum).

    Notes
    -----
    .. math::

        G_t &= G_{t-1} + g_t^2, \\qquad G_0 = 0 \\\\
        \\theta_t &= \\theta_{t-1} - \\eta_t\\, \\frac{g_t}{\\sqrt{G_t} + \\epsilon}

    ``G`` (state key ``"sum_sq"``) only grows, so each coordinate's effective step shrinks for ever: AdaGrad
    slows down, and can stall, long before a minimum.
    """

    eps: float = 1e-8
    name: ClassVar[str] = "adagrad"
    label: ClassVar[str] = "AdaGrad"
    state_keys: ClassVar[tuple[str, ...]] = ("sum_sq",)

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_eps(self.eps)

    def step(self, theta, grad, state, t, lr=None):
        theta, g, lr = self._inputs(theta, grad, lr)
        sum_sq = state["sum_sq"] + g**2
        return theta - lr * g / (np.sqrt(sum_sq) + self.eps), {"sum_sq": sum_sq}


@dataclass(frozen=True)
class RMSProp(Optimizer):
    """RMSProp (Hinton, Coursera lecture 6e) as in ``torch.optim.RMSprop``, where ``rho`` is PyTorch's ``alpha``.

    Notes
    -----
    .. math::

        s_t &= \\rho\\, s_{t-1} + (1 - \\rho)\\, g_t^2, \\qquad s_0 = 0 \\\\
        \\theta_t &= \\theta_{t-1} - \\eta_t\\, \\frac{g_t}{\\sqrt{s_t} + \\epsilon}

    ``s`` (state key ``"sq_avg"``) is a leaky average, so unlike AdaGrad the effective step recovers once
    gradients shrink. The default ρ = 0.9 is Hinton's (and Keras's); PyTorch defaults to 0.99.
    """

    rho: float = 0.9
    eps: float = 1e-8
    name: ClassVar[str] = "rmsprop"
    label: ClassVar[str] = "RMSProp"
    state_keys: ClassVar[tuple[str, ...]] = ("sq_avg",)

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_beta("rho", self.rho)
        _check_eps(self.eps)

    def step(self, theta, grad, state, t, lr=None):
        theta, g, lr = self._inputs(theta, grad, lr)
        sq_avg = self.rho * state["sq_avg"] + (1 - self.rho) * g**2
        return theta - lr * g / (np.sqrt(sq_avg) + self.eps), {"sq_avg": sq_avg}


@dataclass(frozen=True)
class Adam(Optimizer):
    """Adam (Kingma & Ba 2015) as in ``torch.optim.Adam``.

    Notes
    -----
    .. math::

        m_t &= \\beta_1 m_{t-1} + (1 - \\beta_1)\\, g_t, \\qquad
        v_t = \\beta_2 v_{t-1} + (1 - \\beta_2)\\, g_t^2, \\qquad m_0 = v_0 = 0 \\\\
        \\hat m_t &= \\frac{m_t}{1 - \\beta_1^t}, \\qquad \\hat v_t = \\frac{v_t}{1 - \\beta_2^t} \\\\
        \\theta_t &= \\theta_{t-1} - \\eta_t\\, \\frac{\\hat m_t}{\\sqrt{\\hat v_t} + \\epsilon}

    The bias correction undoes the pull of ``m_0 = v_0 = 0`` towards zero; it is why the first step is
    ``η g/(|g| + ε) ≈ η·sign(g)`` per coordinate. The state also carries ``m_hat`` and ``v_hat`` (zeros before
    the first step) so a UI can show them; they are recomputed from ``m``, ``v`` and ``t`` at every step.
    """

    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    name: ClassVar[str] = "adam"
    label: ClassVar[str] = "Adam"
    state_keys: ClassVar[tuple[str, ...]] = ("m", "v", "m_hat", "v_hat")

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_beta("beta1", self.beta1)
        _check_beta("beta2", self.beta2)
        _check_eps(self.eps)

    def step(self, theta, grad, state, t, lr=None):
        theta, g, lr = self._inputs(theta, grad, lr)
        t = check_int("t", t, low=1)  # the bias correction divides by 1 − β^t, which is 0 at t = 0
        m = self.beta1 * state["m"] + (1 - self.beta1) * g
        v = self.beta2 * state["v"] + (1 - self.beta2) * g**2
        m_hat = m / (1 - self.beta1**t)
        v_hat = v / (1 - self.beta2**t)
        new_theta = theta - lr * m_hat / (np.sqrt(v_hat) + self.eps)
        return new_theta, {"m": m, "v": v, "m_hat": m_hat, "v_hat": v_hat}


@dataclass(frozen=True)
class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter 2019) as in ``torch.optim.AdamW``.

    Notes
    -----
    .. math::

        \\theta' &= \\theta_{t-1} - \\eta_t \\lambda\\, \\theta_{t-1} \\\\
        \\theta_t &= \\theta' - \\eta_t\\, \\frac{\\hat m_t}{\\sqrt{\\hat v_t} + \\epsilon}
        \\quad\\text{(}m_t, v_t, \\hat m_t, \\hat v_t \\text{ exactly as in Adam, from } g_t\\text{)}

    The decay ``λ`` (``weight_decay``) shrinks θ directly instead of being added to the gradient, so Adam's
    per-coordinate normalisation does not cancel it. As in PyTorch the decay is scaled by the scheduled η_t.
    """

    weight_decay: float = 0.01
    name: ClassVar[str] = "adamw"
    label: ClassVar[str] = "AdamW"

    def __post_init__(self) -> None:
        super().__post_init__()
        check_float("weight_decay", self.weight_decay, low=0.0)

    def step(self, theta, grad, state, t, lr=None):
        theta, g, lr = self._inputs(theta, grad, lr)
        decayed = theta - lr * self.weight_decay * theta
        return super().step(decayed, g, state, t, lr)


#: Every optimizer class by its ``name``.
OPTIMIZERS: dict[str, type[Optimizer]] = {
    cls.name: cls for cls in (SGD, Momentum, Nesterov, AdaGrad, RMSProp, Adam, AdamW)
}


def make_optimizer(name: str, **hyperparameters) -> Optimizer:
    """``OPTIMIZERS[name](**hyperparameters)``, with a ValueError for an unknown name or argument."""
    if not isinstance(name, str) or name not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {name!r}.")
    cls = OPTIMIZERS[name]
    allowed = [f.name for f in fields(cls)]
    unknown = sorted(set(hyperparameters) - set(allowed))
    if unknown:
        raise ValueError(f"{cls.label} takes {', '.join(allowed)}, got unexpected {', '.join(unknown)}.")
    if "lr" not in hyperparameters:
        raise ValueError(f"{cls.label} needs a learning rate lr.")
    return cls(**hyperparameters)


def optimizers_for(names, lrs, beta: float = 0.9, beta2: float = 0.999, weight_decay: float = 0.01) -> list:
    """One optimizer per name, racer ``i`` with learning rate ``lrs[i]`` (the optimizers page's race): momentum
    and Nesterov get ``beta``, Adam ``beta2``, AdamW ``beta2`` and ``weight_decay``."""
    if isinstance(names, str) or not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
        raise ValueError(f"names must be a list of optimizer names ({', '.join(OPTIMIZERS)}), got "
                         f"{type(names).__name__}.")
    if not isinstance(lrs, (list, tuple)) or len(lrs) != len(names):
        raise ValueError(f"lrs must hold one learning rate per optimizer ({len(names)} of them).")
    extra = {"momentum": {"beta": beta}, "nesterov": {"beta": beta}, "adam": {"beta2": beta2},
             "adamw": {"beta2": beta2, "weight_decay": weight_decay}}
    return [make_optimizer(name, lr=lr, **extra.get(name, {})) for name, lr in zip(names, lrs)]


# ------------------------------------------------------------------------------------ learning-rate schedules
# Each schedule maps the 1-based step t (an int or an array of them) and the run length to a factor that
# multiplies the base learning rate: η_t = lr × factor(t). Parameters are keyword-only, named as in
# torch.optim.lr_scheduler where it has the same schedule (PyTorch counts from 0, so its epoch e is t − 1).


def _steps(t, total_steps) -> np.ndarray:
    """The 1-based steps ``t`` (an int or an array of them) of a run of ``total_steps``, checked."""
    total_steps = check_int("total_steps", total_steps, low=1, high=MAX_STEPS)
    t = check_array("t", t)
    if np.any(t < 1) or np.any(t > total_steps) or np.any(t != np.round(t)):
        raise ValueError(f"t must hold whole steps 1 … total_steps = {total_steps}.")
    return t


def constant(t, total_steps: int):
    """factor(t) = 1."""
    return np.ones(np.shape(_steps(t, total_steps)))


def step_decay(t, total_steps: int, *, every: int, gamma: float = 0.1):
    """factor(t) = γ^⌊(t − 1) / every⌋: multiply by γ after every ``every`` steps (PyTorch's ``StepLR``)."""
    t = _steps(t, total_steps)
    every = check_int("every", every, low=1, high=MAX_STEPS)
    gamma = check_float("gamma", gamma, low=0.0, low_inclusive=False, high=1.0)
    return gamma ** ((t - 1) // every)


def exponential(t, total_steps: int, *, gamma: float):
    """factor(t) = γ^(t − 1): multiply by γ after every step (PyTorch's ``ExponentialLR``)."""
    t = _steps(t, total_steps)
    gamma = check_float("gamma", gamma, low=0.0, low_inclusive=False, high=1.0)
    return gamma ** (t - 1.0)


def cosine(t, total_steps: int, *, min_factor: float = 0.0):
    """factor(t) = m + (1 − m)·(1 + cos(π (t − 1) / T)) / 2 with T = ``total_steps``, m = ``min_factor``.

    Half a cosine from 1 at the first step down towards m (PyTorch's ``CosineAnnealingLR`` with
    ``T_max = total_steps``): the last step, t = T, is still a little above m, so m = 0 never wastes a step.
    """
    t = _steps(t, total_steps)
    min_factor = check_float("min_factor", min_factor, low=0.0, high=1.0)
    progress = (t - 1.0) / total_steps
    return min_factor + (1.0 - min_factor) * (1.0 + np.cos(np.pi * progress)) / 2.0


def linear_warmup(t, total_steps: int, *, warmup_steps: int):
    """factor(t) = min(1, t / warmup_steps): ramp up linearly over the first ``warmup_steps`` steps, then hold."""
    t = _steps(t, total_steps)
    warmup_steps = check_int("warmup_steps", warmup_steps, low=1, high=MAX_STEPS)
    return np.minimum(1.0, t / warmup_steps)


#: Every schedule by name; each is ``f(t, total_steps, **params) -> factor``.
SCHEDULES: dict[str, Callable] = {
    "constant": constant,
    "step_decay": step_decay,
    "exponential": exponential,
    "cosine": cosine,
    "linear_warmup": linear_warmup,
}
SCHEDULE_LABELS: dict[str, str] = {
    "constant": "Constant",
    "step_decay": "Step decay",
    "exponential": "Exponential decay",
    "cosine": "Cosine annealing",
    "linear_warmup": "Linear warm-up",
}


def _schedule(name: str, params: dict) -> Callable:
    """Look up a schedule and check ``params`` against its keyword arguments before anything is computed."""
    if not isinstance(name, str) or name not in SCHEDULES:
        raise ValueError(f"schedule must be one of {', '.join(SCHEDULES)}, got {name!r}.")
    params = check_mapping("schedule_params", params)
    fn = SCHEDULES[name]
    keywords = {p.name: p for p in inspect.signature(fn).parameters.values() if p.kind is p.KEYWORD_ONLY}
    unknown = sorted(set(params) - set(keywords))
    if unknown:
        takes = ", ".join(keywords) or "no parameters"
        raise ValueError(f"schedule {name!r} takes {takes}, got unexpected {', '.join(unknown)}.")
    missing = [k for k, p in keywords.items() if p.default is p.empty and k not in params]
    if missing:
        raise ValueError(f"schedule {name!r} needs {', '.join(missing)}.")
    return fn


def default_schedule_params(schedule: str, total_steps: int) -> dict:
    """The app's settings for each schedule over a run of ``total_steps``: halve every quarter of the run,
    decay 1 % per step, warm up over the first 10 %; cosine and constant need none."""
    total_steps = check_int("total_steps", total_steps, low=1, high=MAX_STEPS)
    if not isinstance(schedule, str) or schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {', '.join(SCHEDULES)}, got {schedule!r}.")
    return {"step_decay": {"every": max(total_steps // 4, 1), "gamma": 0.5}, "exponential": {"gamma": 0.99},
            "linear_warmup": {"warmup_steps": max(total_steps // 10, 1)}}.get(schedule, {})


def schedule_factors(schedule: str, total_steps: int, **params) -> np.ndarray:
    """The factor at every step ``t = 1 … total_steps``, shape ``(total_steps,)``."""
    total_steps = check_int("total_steps", total_steps, low=1, high=MAX_STEPS)
    fn = _schedule(schedule, params)
    return np.asarray(fn(np.arange(1, total_steps + 1), total_steps, **params), dtype=float)


def scheduled_lr(base_lr: float, schedule: str, t: int, total_steps: int, **params) -> float:
    """The learning rate ``base_lr × factor(t)`` at the 1-based step ``t`` of a ``total_steps``-step run."""
    base_lr = check_float("base_lr", base_lr, low=0.0, low_inclusive=False)
    total_steps = check_int("total_steps", total_steps, low=1, high=MAX_STEPS)
    t = check_int("t", t, low=1, high=total_steps)
    fn = _schedule(schedule, params)
    return base_lr * float(fn(t, total_steps, **params))


# ------------------------------------------------------------------------------------------------- the race


@dataclass(frozen=True)
class RaceResult:
    """Every racer's run, row ``k`` being step ``k`` (row 0 is the shared start). ``R`` racers, ``N`` steps.

    ``positions`` (R, N+1, 2) holds θ_k, ``loss`` (R, N+1) L(θ_k), ``grad`` (R, N+1, 2) ∇L(θ_k) and
    ``updates`` (R, N, 2) the step actually taken, θ_{k+1} − θ_k. ``lr`` (R, N) is the learning rate each
    racer used at step k+1 (its own base ``lr`` × ``lr_factor``, the schedule's (N,) factors).
    ``states[name][key]`` (N+1, 2) is the optimizer's state after step k (row 0: the initial state).

    A racer that diverged at step ``diverged_at[i]`` (for ``reasons[i]``) stopped there: its rows from that
    step on are NaN, and its last finite position is ``positions[i, diverged_at[i] - 1]``.
    ``stalled_at[i]`` is the first step k from which it barely moves: each of the ``patience`` updates
    k, k+1, … is shorter than ``stall_tol``. A racer that has converged stalls too: tell a minimum from a
    plateau by the gradient (or the loss) at that step.
    """

    names: list[str]
    labels: list[str]
    positions: np.ndarray
    loss: np.ndarray
    grad: np.ndarray
    updates: np.ndarray
    lr: np.ndarray
    lr_factor: np.ndarray
    states: dict[str, dict[str, np.ndarray]]
    diverged_at: list[int | None]
    reasons: list[str | None]
    stalled_at: list[int | None]

    @property
    def n_racers(self) -> int:
        return len(self.names)

    @property
    def n_steps(self) -> int:
        return self.updates.shape[1]

    @property
    def final_positions(self) -> np.ndarray:
        """(R, 2): where each racer ended, i.e. its last finite position."""
        last = [self.n_steps if d is None else d - 1 for d in self.diverged_at]
        return self.positions[np.arange(self.n_racers), last]


def race_summary(result: RaceResult, minima, tol: float = 1e-2) -> list[dict]:
    """One row per racer: final loss, distance from the end to the nearest of ``minima`` (k, 2), the first
    step within ``tol`` of a minimum, and the divergence and stall steps (``None`` where they do not apply)."""
    if not isinstance(result, RaceResult):
        raise ValueError(f"result must be a RaceResult (from race), got {type(result).__name__}.")
    minima = check_array("minima", minima, max_abs=MAX_ABS)
    if minima.size % 2:
        raise ValueError(f"minima must be (x, y) points, shape (k, 2), got shape {minima.shape}.")
    minima = minima.reshape(-1, 2)
    tol = check_float("tol", tol, low=0.0, low_inclusive=False)
    rows = []
    for i, label in enumerate(result.labels):
        finite = np.isfinite(result.loss[i])
        distance = (np.hypot(*np.moveaxis(result.positions[i][finite][:, None, :] - minima[None], -1, 0)).min(axis=1)
                    if len(minima) else np.array([]))  # hypot: no overflow on the way to a large distance
        reached = np.flatnonzero(distance < tol)
        rows.append({"optimizer": label,
                     "final loss": float(result.loss[i][finite][-1]),
                     "distance to nearest minimum": float(distance[-1]) if distance.size else None,
                     f"steps to within {tol:g} of a minimum": int(reached[0]) if reached.size else None,
                     "diverged at step": result.diverged_at[i],
                     "stalled from step": result.stalled_at[i]})
    return rows


def race(grad_fn, loss_fn, optimizers, start, n_steps: int, schedule: str = "constant",
         schedule_params: dict | None = None, *, stall_tol: float = STALL_TOL,
         patience: int = STALL_PATIENCE) -> RaceResult:
    """Run every optimizer from ``start`` for ``n_steps`` steps, side by side, and return a :class:`RaceResult`.

    ``grad_fn`` and ``loss_fn`` take an ``(..., 2)`` array of points. Each is called once for the start and
    then once per step, on all racers stacked as an ``(R, 2)`` array (so ``n_steps + 1`` calls, fewer only if
    every racer has diverged). They only ever see finite points: a diverged racer is held at its last finite
    position. Every optimizer uses the same ``schedule`` (a key of :data:`SCHEDULES`) applied to its own
    ``lr``. Racers are named by their optimizer's ``name``, with ``_2``, ``_3`` … added to repeats.

    A racer diverges at the first step where its position, loss or gradient is not finite, or its loss
    exceeds ``DIVERGENCE_FACTOR × (1 + |L(θ₀)|)``.
    """
    optimizers = _check_optimizers(optimizers)
    start = _check_start(start)
    n_steps = check_int("n_steps", n_steps, low=1, high=MAX_STEPS)
    stall_tol = check_float("stall_tol", stall_tol, low=0.0, low_inclusive=False)
    patience = check_int("patience", patience, low=1)
    if len(optimizers) * n_steps > MAX_RACER_STEPS:
        raise ValueError(f"{len(optimizers)} racers × {n_steps:,} steps is more than {MAX_RACER_STEPS:,} racer-steps; "
                         "race fewer optimizers or take fewer steps.")
    lr_factor = schedule_factors(schedule, n_steps, **check_mapping("schedule_params", schedule_params))
    lr = np.array([[opt.lr] for opt in optimizers]) * lr_factor

    n = len(optimizers)
    theta = np.tile(start, (n, 1))
    states = [opt.init_state(theta[i]) for i, opt in enumerate(optimizers)]
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # refused just below
        loss, grad = _evaluate(grad_fn, loss_fn, theta)
    if not (np.all(np.isfinite(loss)) and np.all(np.isfinite(grad))):
        raise ValueError(f"start must be a point where the loss and gradient are finite, got {start.tolist()}.")
    limit = DIVERGENCE_FACTOR * (1.0 + abs(loss[0]))

    record = _Record(n, n_steps, states)
    record.write(0, np.arange(n), theta, loss, grad, states)
    diverged_at: list[int | None] = [None] * n
    reasons: list[str | None] = [None] * n
    # Overflow on the way to divergence is expected and reported through diverged_at, not as warnings.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for k in range(1, n_steps + 1):
            active = [i for i in range(n) if diverged_at[i] is None]
            if not active:
                break
            proposed, new_states = theta.copy(), list(states)
            for i in active:
                proposed[i], new_states[i] = optimizers[i].step(theta[i], grad[i], states[i], k, lr[i, k - 1])
            finite = np.all(np.isfinite(proposed), axis=1)
            points = np.where(finite[:, None], proposed, theta)  # the user's functions only see finite points
            new_loss, new_grad = _evaluate(grad_fn, loss_fn, points)
            why = _divergence_reasons(finite, new_loss, new_grad, limit)
            moved = []
            for i in active:
                if reason := why[i]:
                    diverged_at[i], reasons[i] = k, reason
                    continue
                theta[i], states[i], loss[i], grad[i] = points[i], new_states[i], new_loss[i], new_grad[i]
                moved.append(i)
            record.write(k, moved, theta, loss, grad, states)
        updates = np.diff(record.positions, axis=1)  # NaN wherever either end is NaN: no step into divergence
        stalled_at = _stall_steps(updates, stall_tol, patience)

    names = _racer_names(optimizers)
    return RaceResult(
        names=names, labels=[opt.label for opt in optimizers],
        positions=record.positions, loss=record.loss, grad=record.grad, updates=updates,
        lr=lr, lr_factor=lr_factor, states=dict(zip(names, record.states)),
        diverged_at=diverged_at, reasons=reasons, stalled_at=stalled_at,
    )


class _Record:
    """NaN-filled history arrays; rows are written only for racers still in the race."""

    def __init__(self, n: int, n_steps: int, states: list[State]):
        self.positions = np.full((n, n_steps + 1, 2), np.nan)
        self.loss = np.full((n, n_steps + 1), np.nan)
        self.grad = np.full((n, n_steps + 1, 2), np.nan)
        self.states = [{key: np.full((n_steps + 1, 2), np.nan) for key in state} for state in states]

    def write(self, k, racers, theta, loss, grad, states) -> None:
        self.positions[racers, k], self.loss[racers, k] = theta[racers], loss[racers]
        self.grad[racers, k] = grad[racers]
        for i in racers:
            for key, value in states[i].items():
                self.states[i][key][k] = value


def _check_optimizers(optimizers) -> list[Optimizer]:
    if isinstance(optimizers, Optimizer):
        optimizers = [optimizers]
    try:
        optimizers = list(optimizers)
    except TypeError:
        raise ValueError(f"optimizers must be a list of optimizers such as [Adam(lr=0.1)], got {optimizers!r}."
                         ) from None
    if not optimizers:
        raise ValueError("optimizers must list at least one optimizer, got none.")
    for opt in optimizers:
        if not isinstance(opt, Optimizer):
            raise ValueError(f"optimizers must be Optimizer instances such as Adam(lr=0.1), got {opt!r}.")
    return optimizers


def _check_start(start) -> np.ndarray:
    point = check_array("start", start, finite=False)
    if point.shape != (2,) or not np.all(np.isfinite(point)):
        raise ValueError(f"start must be a finite point (x, y), got {start!r}.")
    return point


def _evaluate(grad_fn, loss_fn, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One call of each function on all racers; copies, so later writes never touch the callers' arrays."""
    loss = np.array(loss_fn(points), dtype=float)
    grad = np.array(grad_fn(points), dtype=float)
    if loss.shape != points.shape[:-1]:
        raise ValueError(f"loss_fn must return one value per point, shape {points.shape[:-1]}, got {loss.shape}.")
    if grad.shape != points.shape:
        raise ValueError(f"grad_fn must return an array shaped like its input {points.shape}, got {grad.shape}.")
    return loss, grad


def _divergence_reasons(finite_position, loss, grad, limit: float) -> list[str | None]:
    """Why each racer would diverge at this step (None: it does not). Vectorised, as it runs every step."""
    healthy = finite_position & np.isfinite(loss) & (loss <= limit) & np.all(np.isfinite(grad), axis=-1)
    if healthy.all():  # the usual case, kept cheap
        return [None] * len(loss)
    checks = [  # in order of priority: the first that fails is the reason given
        (~finite_position, "the position overflowed to inf/NaN"),
        (~np.isfinite(loss), "the loss became inf/NaN"),
        (loss > limit, f"the loss passed {DIVERGENCE_FACTOR:g} × (1 + |starting loss|) = {limit:.3g}"),
        (~np.all(np.isfinite(grad), axis=-1), "the gradient became inf/NaN"),
    ]
    reasons: list[str | None] = [None] * len(loss)
    for failed, reason in reversed(checks):  # later writes win, so go from the lowest priority up
        for i in np.flatnonzero(failed):
            reasons[i] = reason
    return reasons


def _racer_names(optimizers: list[Optimizer]) -> list[str]:
    """Optimizer names, made unique (``adam``, ``adam_2``) so two Adams with different lr can race."""
    names, seen = [], {}
    for opt in optimizers:
        seen[opt.name] = seen.get(opt.name, 0) + 1
        names.append(opt.name if seen[opt.name] == 1 else f"{opt.name}_{seen[opt.name]}")
    return names


def _stall_steps(updates: np.ndarray, tol: float, patience: int) -> list[int | None]:
    """First k with ‖update_j‖ < tol for every j in k … k+patience−1, per racer (None if there is none)."""
    still = np.linalg.norm(updates, axis=-1) < tol  # NaN (after divergence) compares False: not a stall
    counts = np.concatenate([np.zeros((len(still), 1)), np.cumsum(still, axis=1)], axis=1)
    full_windows = counts[:, patience:] - counts[:, :-patience] == patience
    return [int(row.argmax()) if row.any() else None for row in full_windows]
