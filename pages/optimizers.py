"""Optimizers racing on loss surfaces: the same start, different update rules."""

from functools import partial

import numpy as np
import pandas as pd
import streamlit as st

import claims.optimizers as checked
from claims import claim, said
from core.expressions import objective_for
from core.optimizers import OPTIMIZERS, SCHEDULE_LABELS, default_schedule_params, race, race_summary, schedule_factors
from explorers.jobs import race_and_draw
from explorers.optimizer_surfaces import SurfaceParam
from ui.errors import attempt
from ui.export import export_buttons
from ui.math_panel import latex_vector, math_and_code
from ui.params import (BoolParam, ChoiceParam, FloatParam, IntParam, LogFloatParam, MultiChoiceParam, Preset, TextParam,
                       defaults)
from ui.view import View
from ui.workers import offload
from viz.race import CLICK_TRACE
from viz.theme import default_template
from ui.routing import enter_through_router

enter_through_router()  # on a fresh server a direct link runs this file without app.py: go through it

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


#: The surface, once per setting (a typed formula is parsed and checked once).
objective_for = st.cache_resource(max_entries=16, show_spinner=False)(objective_for)


@st.cache_resource(max_entries=16, show_spinner=False)
def run(surface, expr, condition, angle, opts, lrs, beta, beta2, wd, schedule, steps, x0, y0):
    objective = objective_for(surface, expr, condition, angle)  # checked here: a bad formula says so at once
    result, race_fig, surface_fig = offload(race_and_draw, surface, expr, condition, angle, opts, lrs, beta, beta2,
                                            wd, schedule, steps, (x0, y0), default_template())
    return objective, result, race_fig, surface_fig


def start_problem(objective, x0: float, y0: float) -> str:
    """Why no race can start at (x0, y0) — f or its gradient is not finite there — with the numbers, and what to
    change."""
    with np.errstate(all="ignore"):
        f, g = float(objective.value([x0, y0])), objective.gradient([x0, y0])
    at = f"({x0:g}, {y0:g})"
    bad = (f"f{at} = {f:g}" if not np.isfinite(f)
           else f"f{at} = {f:.4g}, but its gradient ∇f = ({g[0]:g}, {g[1]:g})")
    return said(f"**The race did not start**: {bad} is not finite, and every racer needs a finite loss and gradient "
            "to take its first step. **What to change:** pick a start where f and its gradient are finite — click "
            "the coloured part of the map below to start there, or type x₀ and y₀.")


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


def race_table(result) -> pd.DataFrame:
    """Every racer's position, loss and gradient at every step, one row per racer and step."""
    frames = []
    for i, label in enumerate(result.labels):
        steps = result.positions.shape[1]
        frames.append(pd.DataFrame({"optimizer": label, "step": range(steps), "x": result.positions[i, :, 0],
                                    "y": result.positions[i, :, 1], "loss": result.loss[i][:steps]}))
    return pd.concat(frames, ignore_index=True)


def step_story(result, name: str, k: int) -> list[str]:
    """The chosen racer's update at step k, with its numbers substituted."""
    i = result.names.index(name)
    g, theta, nxt, lr = result.grad[i, k], result.positions[i, k], result.positions[i, k + 1], result.lr[i, k]
    lines = [rf"k = {k}:\quad \theta_k = {latex_vector(theta)},\quad \eta_k = {lr:.4g}",
             rf"g_k = \nabla f(\theta_k) = {latex_vector(g)}"]
    for key, array in result.states[name].items():
        lines.append(rf"\text{{{key.replace('_', ' ')}}}: {latex_vector(array[k])} \to {latex_vector(array[k + 1])}")
    lines.append(rf"\theta_{{k+1}} = {latex_vector(nxt)}")
    lines.append(rf"\text{{step taken}}\ \theta_{{k+1}} - \theta_k = {latex_vector(nxt - theta)}")
    return lines


view = View("optimizers", PARAMS, PRESETS, key=("surface", "expr", "opts", "lr", "steps"),
            more=("condition", "angle", "schedule", "x0", "y0", "per_lr", *(f"lr_{name}" for name in OPTIMIZERS),
                  "beta", "beta2", "wd"))
view.header("🏁 Optimizers racing on loss surfaces",
            claim(checked.same_start,
                  "Every racer starts at the same point and sees the same gradients; only the update rule differs.")
            + " **Notice where plain gradient descent zig-zags or stalls, and what momentum and adaptive steps "
            "change.**")

surface, opts = view.row(["surface", "opts"], widths=[1, 2])
expr, condition, angle = view.values()["expr"], view.values()["condition"], view.values()["angle"]
if surface == "custom":
    expr = view.control("expr")
elif surface == "bowl":
    condition, angle = view.row(["condition", "angle"])
lr, steps, schedule, x0, y0 = view.row(["lr", "steps", "schedule", "x0", "y0"], widths=[3, 2, 2, 1, 1])
lrs = (lr,) * len(opts)
if view.control("per_lr"):  # each racer's own η (the shared one is then ignored), under "More controls"
    lrs = tuple(view.row([f"lr_{name}" for name in opts])) if opts else ()
beta, beta2, wd = view.row(["beta", "beta2", "wd"])

if not opts:
    st.warning(said("Pick at least one optimizer to race."), icon="🏁")
    opts = ("sgd",)
    lrs = (lr,)
# A setting this race does not use is passed at its default (the formula of a built-in surface, β with no
# momentum racer…), so moving it reuses the cached race instead of running the same one again.
DEFAULTS = defaults(PARAMS)
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
result = attempt(run, surface, expr, condition, angle, tuple(opts), lrs, beta, beta2, wd, schedule, steps, x0, y0,
                 fix="Check the formula, or pick another surface or setting.")
# a click on the surface (a point of the invisible click grid) becomes the new start
on_click = partial(view.start_from_click, "race", CLICK_TRACE, "x0", "y0")
if result is not None and result[1] is None:  # f or ∇f is not finite at the start: the map alone, to click on
    objective, _, start_fig, _ = result
    with view.on_stage():
        st.warning(start_problem(objective, x0, y0), icon="📍")
        view.chart(start_fig, key="race", on_select=on_click, selection_mode="points", summary=(
            f"The {objective.label} surface drawn as a contour map, coloured where f is finite. No race is drawn: "
            f"f or its gradient is not finite at the start ({x0:g}, {y0:g}). Click the map to start there."))
elif result is not None:
    objective, race_result, race_fig, fig3d = result
    stage = view.on_stage()
    for label, at, why in zip(race_result.labels, race_result.diverged_at, race_result.reasons):
        if at is not None:
            stage.error(said(f"**{label} diverged at step {at}**: {why}. **What to change:** lower the learning rate."),
                        icon="💥")
    rows = race_summary(race_result, objective.minima)
    with stage:
        view.chart(race_fig, key="race", on_select=on_click, selection_mode="points", summary=(
            f"{len(rows)} optimizers race for {race_result.n_steps} steps from ({x0:g}, {y0:g}) on the "
            f"{objective.label} surface, drawn as a contour map with "
            "each racer's path. " + " ".join(
                f"{r['optimizer']} ends at loss {r['final loss']:.4g}"
                + (f", diverged at step {r['diverged at step']}" if r["diverged at step"] is not None else "")
                + (f", {r['distance to nearest minimum']:.3g} from the nearest minimum"
                   if r["distance to nearest minimum"] is not None else "") + "." for r in rows)))
    st.caption(said("Click anywhere on the surface to start the race there. At each racer's dot: the dotted arrow is the step it actually takes next, the white arrow the "
               "plain gradient step −η∇f, and the dashed arrow its velocity −ηv (momentum, Nesterov) or −η·m̂ "
               "(Adam, AdamW). Where they differ is exactly what the optimizer adds."))
    st.dataframe(results_table(objective, race_result), hide_index=True, width="stretch")
    export_buttons("optimizers", view.styled(race_fig), "Optimizers racing", {"Paths": lambda: race_table(race_result)}, view=view)
    if view.control("show3d"):  # drawn only on request: see the control's help
        view.chart(fig3d, key="race3d", summary=said(
            "The same paths drawn on the loss surface in 3-D, height = loss; drag to turn it. It shows the "
            "same numbers as the contour map above."))

    st.subheader("One update, step by step")
    a, b = st.columns([1, 2])
    with a:
        inspect = view.control("inspect")
    with b:
        k = min(view.control("k"), race_result.n_steps - 1)
    diverged = (race_result.diverged_at[race_result.names.index(inspect)]
                if inspect in race_result.names else None)
    if diverged is not None and k > diverged - 2:  # past the last finite update: its numbers are not numbers
        k = max(diverged - 2, 0)
        st.caption(f"{OPTIMIZERS[inspect].label} diverged at step {diverged}: showing step {k}, its last update "
                   "with finite numbers.")
    if inspect not in race_result.names:
        st.info(f"{OPTIMIZERS[inspect].label} is not in this race: add it above to see its numbers.")
    elif diverged is not None and diverged < 2:
        st.info(said(f"{OPTIMIZERS[inspect].label} diverged at its first step, so there is no finite update to show. "
                "**What to change:** lower the learning rate."))
    else:
        math_and_code(
            equations=[objective.latex, *UPDATE_RULES[inspect], *step_story(race_result, inspect, k)],
            notes=[f"Learning-rate schedule: **{SCHEDULE_LABELS[schedule]}**; the rate at step {k} is "
                   f"{schedule_factors(schedule, steps, **default_schedule_params(schedule, steps))[k]:.3g} × η."],
            code=[OPTIMIZERS[inspect], race, objective.gradient_fn],
        )
view.finish()
