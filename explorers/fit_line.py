"""Fit a line with gradient descent: the page's declarations (controls, presets, key controls) and computations.

Importable without running the page (``pages/fit-a-line.py`` is the story drawn on top of them): the registry,
the warm-up, the fuzzing, the load test and the notebook export read the same declarations and call the same
cached functions. Nothing here draws: Streamlit is imported for the cache decorators only.
"""

from functools import partial

import numpy as np
from numpy.polynomial import Polynomial
import streamlit as st

import claims.fit_line as checked
from claims import claim
from core.datasets import make_line
from core.derivatives import central_difference, forward_difference
from core.linear_model import LinearRegressionGD, least_squares_line, mse_hessian, mse_loss
from ui.figures import draw
from ui.params import FloatParam, IntParam, LogFloatParam, Preset
from viz.line_fit import derivative_limit, fit_animation
from viz.prepared import prepare

PAGE = "fit-a-line"

PARAMS = [
    LogFloatParam("lr", "Learning rate η", 0.3, low=1e-4, high=10.0,
                  help=claim(checked.update_rule,
                             "Step size: each update moves (w, b) by η times the negative gradient.")),
    IntParam("steps", "Steps", 100, low=1, high=500),
    FloatParam("w0", "Start slope w₀", -1.0, low=-10.0, high=10.0, step=0.5, kind="number"),
    FloatParam("b0", "Start intercept b₀", 3.0, low=-10.0, high=10.0, step=0.5, kind="number"),
    IntParam("n", "Points n", 40, low=2, high=500),
    FloatParam("noise", "Noise σ", 0.5, low=0.0, high=3.0, step=0.1),
    FloatParam("w_true", "True slope", 2.0, low=-5.0, high=5.0, step=0.5),
    FloatParam("b_true", "True intercept", -1.0, low=-5.0, high=5.0, step=0.5),
    IntParam("seed", "Random seed", 0, low=0, high=9999, kind="number"),
    IntParam("k", "Inspect step k", 0, low=0, high=500,
             help="Which step's numbers to substitute into the equations below (capped at the run's last step)."),
    LogFloatParam("h", "Finite-difference step h", 0.5, low=1e-12, high=1.0, per_decade=(1.0, 2.0, 5.0)),
]
PRESETS = {
    "good": Preset(
        "A good learning rate", {"lr": 0.3, "steps": 100},
        claim(checked.good,
              "The path cuts across the narrow valley of the bowl, then slides along it to the least-squares star; "
              "the loss falls by orders of magnitude.")),
    "crawling": Preset(
        "Too small: crawling", {"lr": 0.01, "steps": 100},
        claim(checked.crawling,
              "Every step is tiny: after 100 steps the line has barely turned and the loss curve is still falling.")),
    "edge": Preset(
        "Just under the limit", {"lr": 0.4, "steps": 100},
        claim(checked.edge,
              "η is just below 2/λ_max: the path bounces from wall to wall of the valley, each bounce a little "
              "smaller, and still converges.")),
    "diverging": Preset(
        "Too large: diverging", {"lr": 0.5, "steps": 60},
        claim(checked.diverging,
              "Each step overshoots the valley by more than it corrects: the path bounces outward and the loss "
              "explodes. Read the message below for the largest stable learning rate.")),
}

#: The Math & code panel's equations (the notebook export shows the same): the loss, its gradient and the
#: update; the page adds the update with this view's numbers in, then the Hessian and the stable rates.
EQUATIONS = [
    r"L(w,b) = \frac{1}{n}\sum_{i=1}^{n} (w x_i + b - y_i)^2",
    r"\nabla L = \frac{2}{n}\sum_{i=1}^{n} (w x_i + b - y_i)\begin{pmatrix} x_i \\ 1 \end{pmatrix}",
    r"\begin{pmatrix} w_{k+1} \\ b_{k+1} \end{pmatrix} = \begin{pmatrix} w_k \\ b_k \end{pmatrix}"
    r" - \eta\, \nabla L(w_k, b_k)",
]
HESSIAN = r"H = \nabla^2 L = \frac{2}{n}\begin{pmatrix} \sum x_i^2 & \sum x_i \\ \sum x_i & n \end{pmatrix}"
STABLE_RATE = r"\eta < \frac{2}{\lambda_{\max}(H)}"

KEY = ("lr", "steps", "w0", "b0")
MORE = ("n", "noise", "w_true", "b_true", "seed")  # the data: under "More controls"

#: The main run's controls, in the order :func:`run` and the figures take them.
RUN_ARGS = ("n", "noise", "w_true", "b_true", "seed", "lr", "steps", "w0", "b0")


@st.cache_data(max_entries=64, show_spinner=False)
def run(n, noise, w_true, b_true, seed, lr, steps, w0, b0):
    x, y = make_line(n, w=w_true, b=b_true, noise=noise, random_state=seed)
    model = LinearRegressionGD(learning_rate=lr, n_steps=steps, w0=w0, b0=b0).fit(x, y)
    optimum = least_squares_line(x, y)
    return x, y, model.trajectory_, optimum, mse_hessian(x)


# Figures are cached as shared objects (cache_resource): copying a cached go.Figure re-validates it (~80 ms),
# which would dominate every rerun. Nothing mutates them after they are built.
@st.cache_resource(max_entries=16, show_spinner=False)
def run_figure(n, noise, w_true, b_true, seed, lr, steps, w0, b0):
    x, y, traj, optimum, _ = run(n, noise, w_true, b_true, seed, lr, steps, w0, b0)
    # The true line b + w·t as a Polynomial: drawn in a worker process, and a lambda does not pickle.
    return draw(fit_animation, x, y, traj, optimum=optimum, true_line=Polynomial([b_true, w_true]))


def inspected(traj, k: int) -> tuple[float, float, float]:
    """Step ``k``'s (w, b) and ∂L/∂w: what the derivative figure is drawn from."""
    (wk, bk), slope = traj.params[k], traj.grad[k, 0]
    return float(wk), float(bk), float(slope)


def loss_with_b_fixed(ws, *, b, x, y):
    """L(w, b) as a function of w alone (b held fixed), vectorised over ``ws``."""
    ws = np.asarray(ws, dtype=float)
    return mse_loss(np.stack([ws, np.full_like(ws, b)], axis=-1), x, y)


@st.cache_resource(max_entries=16, show_spinner=False)
def derivative_figure(n, noise, w_true, b_true, seed, wk, bk, slope, h):
    """The secants of L(·, bk) at ``wk`` closing in on ``slope`` as h shrinks to ``h``. Keyed by the step's point
    and slope, not by the whole run: every learning rate shares step 0, so a change of η alone finds the figure
    made (it cost ~40 ms of the script run, after the main chart)."""
    x, y = make_line(n, w=w_true, b=b_true, noise=noise, random_state=seed)
    f = partial(loss_with_b_fixed, b=bk, x=x, y=y)
    hs = np.geomspace(1e-12, 1.0, 61)
    with np.errstate(divide="ignore"):
        errors = (hs, np.maximum(np.abs(forward_difference(f, wk, hs) - slope), 1e-17),
                  np.maximum(np.abs(central_difference(f, wk, hs) - slope), 1e-17))
    return prepare(derivative_limit(f, wk, slope, h, errors=errors))


def warm(values: dict) -> None:
    """Compute what the page computes by default for ``values`` (every control's value): the run, its
    animation, and the derivative figure at the inspected step. A view whose settings cannot be computed is
    skipped (the page explains it to whoever opens it)."""
    args = tuple(values[name] for name in RUN_ARGS)
    try:
        traj = run(*args)[2]
        run_figure(*args)
        k = min(values["k"], traj.n_steps - 1) if traj.n_steps else 0  # as the page caps it
        derivative_figure(*args[:5], *inspected(traj, k), values["h"])
    except ValueError:
        pass
