"""Optimizers racing on loss surfaces: the page's declarations (controls, presets, key controls) and computations.

Importable without running the page (``pages/optimizers.py`` is the story drawn on top of them): the registry,
the warm-up, the fuzzing, the load test and the notebook export read the same declarations and call the same
cached race. Nothing here draws: Streamlit is imported for the cache decorators only.
"""

import pandas as pd
import streamlit as st

import claims.optimizers as checked
from claims import claim, said
from core.expressions import objective_for
from core.optimizers import OPTIMIZERS, SCHEDULE_LABELS, race_summary
from explorers.jobs import race_and_draw, race_in_3d_drawn
from explorers.optimizer_surfaces import SurfaceParam
from server.workers import offload
from ui.params import (BoolParam, ChoiceParam, FloatParam, IntParam, LogFloatParam, MultiChoiceParam, Preset, TextParam,
                       defaults)
from viz.theme import default_template

PAGE = "optimizers"

SURFACES = {"bowl": "Quadratic bowl", "rosenbrock": "Rosenbrock valley", "beale": "Beale", "himmelblau":
            "Himmelblau (four minima)", "rastrigin": "Rastrigin (many minima)", "saddle": "Saddle point",
            "plateau": "Plateau and cliff", "custom": "Type your own…"}
PARAMS = [
    SurfaceParam("surface", "Surface", "bowl", options=SURFACES,
                 help="Picking a surface also sets its own learning rate η and start."),
    TextParam("expr", "f(x, y) =", said("x**2 + 3*sin(y) + 0.1*y**2"),
              help="Use x, y, numbers, + - * / ** and sin, cos, tan, exp, log, sqrt, abs, tanh, sinh, cosh, "
                   "minimum(a, b), maximum(a, b)."),
    FloatParam("condition", "Condition number κ", 10.0, low=1.0, high=100.0, step=1.0, fmt="%.0f"),
    FloatParam("angle", "Rotation (degrees)", 0.0, low=-90.0, high=90.0, step=5.0, fmt="%.0f"),
    MultiChoiceParam("opts", "Optimizers racing", ("sgd", "momentum", "adam"),
                     options={name: cls.label for name, cls in OPTIMIZERS.items()}),
    LogFloatParam("lr", "Learning rate η (all racers)", 0.05, low=1e-4, high=2.0),
    BoolParam("per_lr", "A learning rate per optimizer", False),
    *[LogFloatParam(f"lr_{name}", f"η for {cls.label}", 0.05, low=1e-4, high=2.0) for name, cls in OPTIMIZERS.items()],
    IntParam("steps", "Steps", 150, low=10, high=500, step=10),
    FloatParam("beta", "Momentum β", 0.9, low=0.0, high=0.99, step=0.01),
    FloatParam("beta2", "Adam β₂", 0.999, low=0.9, high=0.9999, step=0.0001, fmt="%.4f"),
    FloatParam("wd", "AdamW weight decay λ", 0.01, low=0.0, high=0.5, step=0.01),
    ChoiceParam("schedule", "Learning-rate schedule", "constant", options=SCHEDULE_LABELS),
    FloatParam("x0", "Start x₀", -2.5, low=-10.0, high=10.0, step=0.25, kind="number"),
    FloatParam("y0", "Start y₀", 2.0, low=-10.0, high=10.0, step=0.25, kind="number"),
    ChoiceParam("inspect", "Explain the update of", "sgd", options={n: c.label for n, c in OPTIMIZERS.items()}),
    IntParam("k", "at step k", 0, low=0, high=499),
    BoolParam("show3d", "🧊 The same race on the 3-D surface", False,
              help=said("Off by default: a 3-D chart keeps a WebGL canvas that slows every change on a modest "
                         "laptop.")),
]
PRESETS = {
    "zigzag": Preset("Ill-conditioned bowl", {"surface": "bowl", "condition": 30.0, "angle": 30.0, "lr": 0.06,
                                             "beta": 0.5, "opts": ("sgd", "momentum"), "steps": 100},
                     claim(checked.zigzag,
                           "Near its largest stable step, gradient descent zig-zags across the narrow valley and "
                           "creeps along it; momentum (β = 0.5) averages the zig-zag away and ends far closer to the "
                           "minimum.")),
    "rosenbrock": Preset("Rosenbrock valley", {"surface": "rosenbrock", "lr": 0.0015,
                                               "opts": ("sgd", "momentum", "adam"), "steps": 500, "x0": -1.5,
                                               "y0": 2.0},
                         claim(checked.rosenbrock,
                               "With one small η, gradient descent crawls along the flat valley floor and momentum "
                               "reaches (1, 1). Adam moves about η per coordinate whatever the gradient, so it "
                               "barely moves here — raise η to 0.1: Adam gets close to (1, 1) while gradient descent "
                               "blows up at once.")),
    "saddle": Preset("Saddle point", {"surface": "saddle", "lr": 0.05, "opts": ("sgd", "momentum", "adam"),
                                      "steps": 200, "x0": -1.8, "y0": 0.00001},
                     claim(checked.saddle,
                           "Starting 0.00001 off the ridge, gradient descent slides into the saddle and lingers "
                           "there: it is clear of the ridge (|y| > 0.5) only after about 115 steps, momentum after "
                           "about 40. Adam steps off at once: its first step is about η in every coordinate, however "
                           "small the gradient, and it is clear by step 11.")),
    "rastrigin": Preset("Rastrigin: local minima", {"surface": "rastrigin", "lr": 0.002,
                                                    "opts": ("sgd", "momentum", "adam"), "steps": 200,
                                                    "x0": 2.3, "y0": -1.7},
                        claim(checked.rastrigin,
                              "Every racer drops into the nearest dimple, near (2, −2), and stays: gradients only "
                              "see the local slope, so none finds the global minimum at (0, 0).")),
    "too-large": Preset("Learning rate too large", {"surface": "bowl", "condition": 10.0, "angle": 0.0,
                                                    "lr": 0.3, "opts": ("sgd", "adam"), "steps": 60},
                        claim(checked.too_large,
                              "The bowl's steepest curvature is κ = 10, so gradient descent is stable only for η < "
                              "2/10 = 0.2: at 0.3 each step multiplies the distance along the steep axis by 1 − "
                              "0.3·10 = −2, a thousandfold in 10 steps, while Adam's normalised steps stay bounded.")),
    "overshoot": Preset("Momentum overshoot", {"surface": "bowl", "condition": 5.0, "angle": 0.0, "lr": 0.1,
                                               "beta": 0.95, "opts": ("sgd", "momentum", "nesterov"),
                                               "steps": 150},
                        claim(checked.overshoot,
                              "With β = 0.95 the heavy ball overshoots the minimum and spirals in slowly; Nesterov's "
                              "look-ahead damps the spiral and converges.")),
}

#: Each optimizer's update rule, as the Math & code panel and the notebook export write it.
UPDATE_RULES = {
    "sgd": [r"\theta_{k+1} = \theta_k - \eta\, g_k"],
    "momentum": [r"v_{k+1} = \beta v_k + g_k", r"\theta_{k+1} = \theta_k - \eta\, v_{k+1}"],
    "nesterov": [r"v_{k+1} = \beta v_k + g_k", r"\theta_{k+1} = \theta_k - \eta\,(g_k + \beta v_{k+1})"],
    "adagrad": [r"s_{k+1} = s_k + g_k^2", r"\theta_{k+1} = \theta_k - \eta\, \frac{g_k}{\sqrt{s_{k+1}} + \epsilon}"],
    "rmsprop": [r"s_{k+1} = \rho s_k + (1-\rho) g_k^2",
                r"\theta_{k+1} = \theta_k - \eta\, \frac{g_k}{\sqrt{s_{k+1}} + \epsilon}"],
    "adam": [r"m_{k+1} = \beta_1 m_k + (1-\beta_1) g_k", r"v_{k+1} = \beta_2 v_k + (1-\beta_2) g_k^2",
             r"\hat m = \frac{m_{k+1}}{1-\beta_1^{k+1}},\quad \hat v = \frac{v_{k+1}}{1-\beta_2^{k+1}}",
             r"\theta_{k+1} = \theta_k - \eta\, \frac{\hat m}{\sqrt{\hat v} + \epsilon}"],
    "adamw": [r"\theta' = (1 - \eta\lambda)\,\theta_k \quad\text{(decoupled weight decay)}",
              r"\theta_{k+1} = \theta' - \eta\, \frac{\hat m}{\sqrt{\hat v} + \epsilon}\quad\text{(Adam step)}"],
}

KEY = ("surface", "expr", "opts", "lr", "steps")
MORE = ("condition", "angle", "schedule", "x0", "y0", "per_lr", *(f"lr_{name}" for name in OPTIMIZERS),
        "beta", "beta2", "wd")
DEFAULTS = defaults(PARAMS)


#: The surface, once per setting (a typed formula is parsed and checked once).
objective_for = st.cache_resource(max_entries=16, show_spinner=False)(objective_for)


@st.cache_resource(max_entries=16, show_spinner=False)
def run(surface, expr, condition, angle, opts, lrs, beta, beta2, wd, schedule, steps, x0, y0):
    objective = objective_for(surface, expr, condition, angle)  # checked here: a bad formula says so at once
    result, race_fig = offload(race_and_draw, surface, expr, condition, angle, opts, lrs, beta, beta2, wd, schedule,
                               steps, (x0, y0), default_template())
    return objective, result, race_fig


@st.cache_resource(max_entries=8, show_spinner=False)
def race_in_3d(*race_arguments):
    """The race of ``run(*race_arguments)`` on the 3-D surface: drawn only for a viewer who asks for it (it was
    12 ms of every new race, shown to few)."""
    _, result, _ = run(*race_arguments)
    surface, expr, condition, angle = race_arguments[:4]  # as run() takes them
    return offload(race_in_3d_drawn, surface, expr, condition, angle, result, default_template())


def results_table(objective, result) -> pd.DataFrame:
    """The race's summary as shown: where a racer never diverged, stalled or came near a minimum, the table says
    so in words instead of a bare "None" (a column with such a cell is text, its numbers written out)."""
    table = pd.DataFrame(race_summary(result, objective.minima))
    for column in table.columns[1:]:
        missing = table[column].isna()
        if missing.any():
            steps = column.startswith("steps to") or column.endswith("step")
            word = "not reached" if column.startswith("steps to") else "never" if steps else "—"
            table[column] = [word if gone else str(int(value)) if steps else f"{value:.4g}"
                             for gone, value in zip(missing, table[column])]
    return table


def race_table(result) -> pd.DataFrame:
    """Every racer's position, loss and gradient at every step, one row per racer and step."""
    frames = []
    for i, label in enumerate(result.labels):
        steps = result.positions.shape[1]
        frames.append(pd.DataFrame({"optimizer": label, "step": range(steps), "x": result.positions[i, :, 0],
                                    "y": result.positions[i, :, 1], "loss": result.loss[i][:steps]}))
    return pd.concat(frames, ignore_index=True)


def race_arguments(surface, expr, condition, angle, opts, lrs, beta, beta2, wd, schedule, steps, x0, y0) -> tuple:
    """:func:`run`'s arguments for these settings. A setting this race does not use is passed at its default (the
    formula of a built-in surface, β with no momentum racer…), so moving it reuses the cached race instead of
    running the same one again."""
    if surface != "custom":
        expr = DEFAULTS["expr"]
    if surface != "bowl":
        condition, angle = DEFAULTS["condition"], DEFAULTS["angle"]
    if not {"momentum", "nesterov"} & set(opts):
        beta = DEFAULTS["beta"]
    if not {"adam", "adamw"} & set(opts):
        beta2 = DEFAULTS["beta2"]
    if "adamw" not in opts:
        wd = DEFAULTS["wd"]
    return surface, expr, condition, angle, tuple(opts), lrs, beta, beta2, wd, schedule, steps, x0, y0


def racers(values: dict) -> tuple[tuple, tuple]:
    """The racers and their learning rates as the page reads them from its controls: the shared η, or each
    racer's own with "A learning rate per optimizer"; no racer chosen races gradient descent alone (the page
    says so)."""
    opts, lr = tuple(values["opts"]), values["lr"]
    lrs = tuple(values[f"lr_{name}"] for name in opts) if values["per_lr"] else (lr,) * len(opts)
    return (opts, lrs) if opts else (("sgd",), (lr,))


def warm(values: dict) -> None:
    """Compute what the page computes by default for ``values`` (every control's value): the race and its
    figure, and the race in 3-D where the view shows it. A formula that cannot be raced is skipped (the page
    explains it to whoever opens it)."""
    opts, lrs = racers(values)
    settings = {name: values[name] for name in ("surface", "expr", "condition", "angle", "beta", "beta2", "wd",
                                                "schedule", "steps", "x0", "y0")}
    arguments = race_arguments(opts=opts, lrs=lrs, **settings)
    try:
        _, result, _ = run(*arguments)
        if values.get("show3d") and result is not None:
            race_in_3d(*arguments)
    except ValueError:
        pass
