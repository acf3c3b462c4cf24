"""Optimizers racing on loss surfaces: the same start, different update rules."""

from functools import partial

import numpy as np
import streamlit as st

import claims.optimizers as checked
from claims import claim, said
from core.optimizers import OPTIMIZERS, SCHEDULE_LABELS, default_schedule_params, race, race_summary, schedule_factors
from explorers import optimizers as explorer
from explorers.optimizers import (UPDATE_RULES, race_arguments, race_in_3d, race_table, racers, results_table,
                                  run)
from ui.errors import attempt
from ui.export import export_buttons
from ui.math_panel import latex_vector, math_and_code, math_panel
from ui.view import View
from viz.race import CLICK_TRACE
from ui.routing import enter_through_router

enter_through_router()  # on a fresh server a direct link runs this file without app.py: go through it


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


view = View.of(explorer)
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
if view.control("per_lr") and opts:  # each racer's own η (the shared one is then ignored), under "More controls"
    view.row([f"lr_{name}" for name in opts])
beta, beta2, wd = view.row(["beta", "beta2", "wd"])

if not opts:
    st.warning(said("Pick at least one optimizer to race."), icon="🏁")
opts, lrs = racers(view.values())
arguments = race_arguments(surface, expr, condition, angle, opts, lrs, beta, beta2, wd, schedule, steps, x0, y0)
result = attempt(run, *arguments, fix="Check the formula, or pick another surface or setting.")
# a click on the surface (a point of the invisible click grid) becomes the new start
on_click = partial(view.start_from_click, "race", CLICK_TRACE, "x0", "y0")
if result is not None and result[1] is None:  # f or ∇f is not finite at the start: the map alone, to click on
    objective, _, start_fig = result
    with view.on_stage():
        st.warning(start_problem(objective, x0, y0), icon="📍")
        view.chart(start_fig, key="race", on_select=on_click, selection_mode="points", summary=(
            f"The {objective.label} surface drawn as a contour map, coloured where f is finite. No race is drawn: "
            f"f or its gradient is not finite at the start ({x0:g}, {y0:g}). Click the map to start there."))
elif result is not None:
    objective, race_result, race_fig = result
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
        view.chart(race_in_3d(*arguments), key="race3d", summary=said(
            "The same paths drawn on the loss surface in 3-D, height = loss; drag to turn it. It shows the "
            "same numbers as the contour map above."))

    panel = math_panel()  # the update with this race's numbers, and the code: drawn only when open
    if panel is not None:
        with panel:
            st.markdown("**One update, step by step**")
            a, b = st.columns([1, 2])
            with a:
                inspect = view.control("inspect")
            with b:
                k = min(view.control("k"), race_result.n_steps - 1)
            diverged = (race_result.diverged_at[race_result.names.index(inspect)]
                        if inspect in race_result.names else None)
            if diverged is not None and k > diverged - 2:  # past the last finite update: no numbers to show
                k = max(diverged - 2, 0)
                st.caption(f"{OPTIMIZERS[inspect].label} diverged at step {diverged}: showing step {k}, its last "
                           "update with finite numbers.")
            if inspect not in race_result.names:
                st.info(f"{OPTIMIZERS[inspect].label} is not in this race: add it above to see its numbers.")
            elif diverged is not None and diverged < 2:
                st.info(said(f"{OPTIMIZERS[inspect].label} diverged at its first step, so there is no finite update "
                             "to show. **What to change:** lower the learning rate."))
            else:
                factor = schedule_factors(schedule, steps, **default_schedule_params(schedule, steps))[k]
                math_and_code(
                    equations=[objective.latex, *UPDATE_RULES[inspect], *step_story(race_result, inspect, k)],
                    notes=[f"Learning-rate schedule: **{SCHEDULE_LABELS[schedule]}**; the rate at step {k} is "
                           f"{factor:.3g} × η."],
                    code=[OPTIMIZERS[inspect], race, objective.gradient_fn], panel=panel)
view.finish()
