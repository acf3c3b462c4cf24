"""Fit a line with gradient descent: the classic first lesson, step by step."""

from functools import partial

import numpy as np
import pandas as pd
import streamlit as st

import claims.fit_line as checked
from claims import claim, said
from core.datasets import make_line
from core.derivatives import central_difference, forward_difference
from core.gradient_descent import gradient_descent, max_stable_learning_rate
from core.linear_model import mse_gradient, mse_loss
from explorers import fit_line as explorer
from explorers.fit_line import derivative_figure, inspected, loss_with_b_fixed, run, run_figure
from ui.errors import attempt
from ui.export import export_buttons
from ui.math_panel import latex_vector, math_and_code
from ui.view import View
from ui.routing import enter_through_router

enter_through_router()  # on a fresh server a direct link runs this file without app.py: go through it

view = View.of(explorer)
view.header("📉 Fit a line with gradient descent",
            "Gradient descent fits `y = w·x + b` by walking (w, b) downhill on the mean squared error. "
            "**Notice how the learning rate alone decides between crawling, converging and exploding.**")

lr, steps, w0, b0 = view.row(["lr", "steps", "w0", "b0"], widths=[3, 2, 1, 1])
n, noise, w_true, b_true, seed = view.row(["n", "noise", "w_true", "b_true", "seed"])  # data: under "More controls"

args = (n, noise, w_true, b_true, seed, lr, steps, w0, b0)
result = attempt(run, *args, fix="Pick other data settings.")
if result is not None:
    x, y, traj, optimum, hessian = result
    eigenvalues = np.linalg.eigvalsh(hessian)
    lr_max = max_stable_learning_rate(hessian)
    stage = view.on_stage()
    stability = claim(checked.stable_limit,
                      f"The loss is a quadratic bowl whose Hessian has eigenvalues λ = {eigenvalues[0]:.3g} and "
                      f"{eigenvalues[1]:.3g}, so gradient descent converges only for η < 2/λ_max = **{lr_max:.3g}**.")
    if traj.diverged_at is not None:
        stage.error(said(f"**Diverged at step {traj.diverged_at}**: {traj.reason}. {stability} You chose η = "
                          f"{lr:g}, {lr / lr_max:.2f}× the limit. **What to change:** lower the learning rate "
                          f"below {lr_max:.3g}."),
                    icon="💥")
    elif lr >= lr_max:
        stage.warning(f"η = {lr:g} is above the stable limit. {stability} Give it more steps and it will diverge.",
                      icon="⚠️")
    else:
        st.caption(f"{stability} You are at η = {lr:g} ({lr / lr_max:.0%} of the limit).")

    final = traj.params[-1]
    with stage:
        view.chart(run_figure(*args), key="fit-animation", summary=said(
            f"Gradient descent fits a line to {n} noisy points (true line y = {w_true:g}·x {b_true:+g}). Starting "
            f"from w = {w0:g}, b = {b0:g} with learning rate η = {lr:g}, {traj.n_steps} steps end at "
            f"w = {final[0]:.4g}, b = {final[1]:.4g} with loss {traj.loss[-1]:.4g}; least squares is "
            f"w = {optimum[0]:.4g}, b = {optimum[1]:.4g}" + (f". The run diverged at step {traj.diverged_at}."
                                                             if traj.diverged_at is not None else ".")))
    export_buttons("fit-a-line", view.styled(run_figure(*args)), "Fit a line with gradient descent", {
        "Trajectory": lambda: pd.DataFrame({"step": range(len(traj.loss)), "w": traj.params[:, 0],
                                            "b": traj.params[:, 1], "loss": traj.loss,
                                            "dL/dw": traj.grad[:, 0], "dL/db": traj.grad[:, 1]})}, view=view)

    m1, m2, m3, m4 = st.columns(4)
    m1.metric("w after the run", f"{final[0]:.4g}", said(f"{final[0] - optimum[0]:+.3g} from least squares"),
              delta_color="off", delta_arrow="off")
    m2.metric("b after the run", f"{final[1]:.4g}", said(f"{final[1] - optimum[1]:+.3g} from least squares"),
              delta_color="off", delta_arrow="off")
    m3.metric("loss after the run", f"{traj.loss[-1]:.4g}",
              said(f"least squares: {mse_loss(optimum, x, y):.4g}"), delta_color="off", delta_arrow="off")
    m4.metric("steps taken", traj.n_steps, "stopped early: blew up" if traj.n_steps < steps else None,
              delta_color="off", delta_arrow="off")

    st.subheader("One update, with the numbers in")
    k = min(view.control("k"), traj.n_steps - 1) if traj.n_steps else 0
    (wk, bk), (gw, gb), nxt = traj.params[k], traj.grad[k], traj.params[min(k + 1, traj.n_steps)]
    math_and_code(
        equations=[
            *explorer.EQUATIONS,
            rf"\underset{{k={k}}}{{{latex_vector(nxt)}}} = {latex_vector((wk, bk))} - {lr:g} \cdot {latex_vector((gw, gb))}",
            explorer.HESSIAN,
            explorer.STABLE_RATE + rf" = \frac{{2}}{{{eigenvalues[1]:.4g}}} = {lr_max:.4g}",
        ],
        notes=[f"At step {k} the loss is **{traj.loss[k]:.5g}**; the update moves (w, b) by "
               f"({-lr * gw:+.4g}, {-lr * gb:+.4g})."],
        code=[mse_loss, mse_gradient, gradient_descent, max_stable_learning_rate, make_line],
    )

    st.subheader("The derivative as a limit")
    st.markdown(said(f"Hold b at step {k}'s value b = {bk:.4g} and look at the loss as a function of w alone. "
                      "Its slope is the limit of secant slopes $\\frac{L(w+h) - L(w)}{h}$ as $h \\to 0$. "
                      "Press ▶ to shrink h down to your choice."))
    h = view.control("h")

    loss_along_w = partial(loss_with_b_fixed, b=bk, x=x, y=y)
    fd = float(forward_difference(loss_along_w, wk, h))
    cd = float(central_difference(loss_along_w, wk, h))
    view.chart(derivative_figure(*args[:5], *inspected(traj, k), h), key="derivative", summary=(
        f"The loss as a function of w alone at step {k} (b = {bk:.4g}), with secant lines whose slope "
        f"approaches the tangent's, ∂L/∂w = {gw:.6g}, as h shrinks to {h:g}; at that h the forward difference "
        f"is off by {abs(fd - gw):.2e} and the central difference by {abs(cd - gw):.2e}. The second panel plots "
        "both errors against h on log scales: the forward one falls with h until round-off makes it grow again; "
        "the central one, exact for this quadratic, is round-off alone."))
    f1, f2, f3 = st.columns(3)
    f1.metric(f"forward difference, h = {h:g}", f"{fd:.10g}", f"error {abs(fd - gw):.2e}", delta_color="off", delta_arrow="off")
    f2.metric(f"central difference, h = {h:g}", f"{cd:.10g}", f"error {abs(cd - gw):.2e}", delta_color="off", delta_arrow="off")
    f3.metric("analytic ∂L/∂w", f"{gw:.10g}")
    st.caption(claim(checked.finite_difference,
                     "The forward difference's error falls like h (here exactly h·mean(x²): the loss is quadratic "
                     "in w) until floating-point round-off, about ε·|L|/h, takes over — which is why its error "
                     "curve is V-shaped and h = 1e-12 is worse than 1e-6. The central difference is exact for a "
                     "quadratic: its error is round-off alone, growing as h shrinks (on other functions it falls "
                     "like h²)."))

view.finish()
