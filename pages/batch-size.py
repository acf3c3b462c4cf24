"""The batch-size lab: what mini-batch size does to gradient noise, speed and the solution found.

The controls, presets and computations are in ``explorers/batch_size.py``; this file is the page drawn on them."""

import numpy as np
import pandas as pd
import streamlit as st

import claims.batch_size as checked
from claims import claim, said
from core.minibatch import (DEMO_SWEEP, batch_size_sweep, gradient_noise, lr_for_batch, minibatch_sgd,
                            two_batch_estimate)
from core.sharpness import top_hessian_eigenvalue
from explorers import batch_size as explorer
from explorers.batch_size import (CLOUD_SAMPLES, CLOUD_SIZES, SHARP_NETWORK, THETA0, TWO_BATCH, chosen_sizes, cloud,
                                  cloud_theta, noise_scale_text, noise_table, race, race_figure, sharpness,
                                  sizes_of, sweep)
from ui.errors import attempt
from ui.export import export_buttons
from ui.math_panel import math_and_code
from ui.view import View
from ui.routing import enter_through_router

enter_through_router()  # on a fresh server a direct link runs this file without app.py: go through it

view = View.of(explorer)
view.header("🎲 Batch size: noise, speed and the solution found",
            claim(checked.trade,
                  "Mini-batch SGD estimates the gradient from B examples. **Notice the trade: a small batch is a "
                  "noisy but cheap step, a large batch an accurate but expensive one — and past a critical batch "
                  "size, bigger batches stop buying fewer steps.**"))

st.subheader("1 · Batch sizes racing on a line fit", divider="gray")
st.caption(claim(checked.same_start,
                 "Fit y = w·x + b to noisy points by minimising the mean squared error; every racer starts at "
                 f"(w, b) = {THETA0} and takes the same number of update steps, each from its own mini-batches."))
n, noise, seed = view.row(["n", "noise", "seed"], widths=[2, 2, 1])
sizes_names = view.control("sizes")
lr, scale_lr, steps = view.row(["lr", "scale_lr", "steps"], widths=[3, 2, 2])
sampling, optimizer, x_axis = view.row(["sampling", "optimizer", "x_axis"], widths=[2, 1, 2])
if not sizes_names:
    st.warning(said("Pick at least one batch size to race; showing batch 1 and the full batch."), icon="🎲")
sizes = sizes_of(chosen_sizes(sizes_names), n)
raced = attempt(race_figure, n, noise, seed, tuple(sizes), lr, scale_lr, steps, sampling, optimizer, x_axis,
                fix=said("Lower the learning rate or choose fewer steps."))
if raced is not None:
    fig = raced
    runs, labels, noise_along, _, _ = race(n, noise, seed, tuple(sizes), lr, scale_lr, steps, sampling, optimizer)
    stage = view.on_stage()
    for run, label in zip(runs, labels):
        if run.diverged_at is not None:
            stage.error(said(f"**{label} diverged at step {run.diverged_at}**: the step overshoots the valley. **What "
                              "to change:** lower η (with linear scaling, the largest batch gets the largest "
                              "step)."), icon="💥")
    if any(np.isinf(n).any() for n in noise_along):
        st.caption(said("B_simple = tr Σ/|G|² is infinite where a racer sits exactly at the minimum (G = 0); "
                         "those points are left out of the noise-scale panel."))
    with stage:
        view.chart(fig, key="race", summary=(
            f"Mini-batch SGD with batch sizes {', '.join(labels)} racing from one start on the line-fit loss surface "
            f"({n} points, {steps} steps), with the loss per step and per {x_axis} beside it. " + " ".join(
                f"Batch {label}: final loss {run.full_loss[-1]:.4g} after {int(run.examples[-1]):,} examples"
                + (f", diverged at step {run.diverged_at}" if run.diverged_at is not None else "") + "."
                for run, label in zip(runs, labels))))
    export_buttons("batch-size", view.styled(fig), "Batch sizes racing", {"Runs": lambda: pd.concat([pd.DataFrame({
        "batch": label, "step": range(len(run.full_loss)), "w": run.params[:, 0], "b": run.params[:, 1],
        "full loss": run.full_loss, "examples seen": run.examples}) for run, label in zip(runs, labels)],
        ignore_index=True)}, view=view)
    st.dataframe(pd.DataFrame([{
        "batch": label, "η": run.lr[0] if len(run.lr) else lr, "final loss": run.full_loss[-1],
        "examples seen": int(run.examples[-1]), "compute (ms)": 1000 * run.seconds[-1],
        "µs per step": 1e6 * run.seconds[-1] / max(len(run.lr), 1)} for run, label in zip(runs, labels)]),
        hide_index=True, width="stretch", column_config={
            "η": st.column_config.NumberColumn(format="%.3g"), "final loss": st.column_config.NumberColumn(format="%.4g"),
            "compute (ms)": st.column_config.NumberColumn(format="%.1f"),
            "µs per step": st.column_config.NumberColumn(format="%.0f")})

st.subheader("2 · The gradient cloud: what a mini-batch gradient is", divider="gray")
cloud_at = view.control("cloud_at")
if raced is not None:
    result = attempt(cloud, n, noise, seed, cloud_theta(runs, cloud_at), sampling)
    if result is not None:
        exact, estimate, cloud_fig = result
        left, right = st.columns([3, 2])
        with left:
            view.chart(cloud_fig, key="cloud", summary=said(
                f"The {n} per-example gradients at the {cloud_at} of the full-batch run, their mean G, "
                f"{CLOUD_SAMPLES} sampled mini-batch gradients and the 2σ ellipse of their covariance Σ/B; the "
                f"slider steps B from {CLOUD_SIZES[0]} to {max(B for B in CLOUD_SIZES if B <= n)} and the "
                f"ellipse shrinks. Noise scale B_simple = {noise_scale_text(exact.b_simple)}."))
        with right:
            st.markdown("Each grey dot is **one example's gradient**; their mean is the full gradient **G**. A "
                        "mini-batch gradient averages B of them, so its covariance is **Σ/B** — the ellipse "
                        "shrinks as B grows (slide B under the chart)." +
                        (" " + claim(checked.without_replacement,
                                     "Without replacement it shrinks faster still, by (N − B)/(N − 1): at B = N it "
                                     "is exactly G.")
                         if sampling == "shuffle" else ""))
            st.metric("Noise scale B_simple = tr Σ / |G|²", noise_scale_text(exact.b_simple),
                      help=claim(checked.trade,
                                 "Batches much smaller than this are mostly noise; much larger ones mostly waste "
                                 "examples (McCandlish et al. 2018)."))
            st.dataframe(noise_table(exact, estimate, n), hide_index=True, width="stretch",
                         column_config={c: st.column_config.NumberColumn(format="%.4g")
                                        for c in ("exact", "two-batch estimate")})
            st.caption(said(f"Exact: from all N per-example gradients. The two-batch estimate "
                             f"({TWO_BATCH['n_pairs']} pairs of batches of {TWO_BATCH['small']} and {TWO_BATCH['big']}) "
                             "needs only the gradient norms of a small and a large batch — which is how the noise "
                       "scale is measured on real networks (McCandlish et al. 2018, appendix A)."))

st.subheader("3 · Sweep: steps and examples to a target loss, and the critical batch size", divider="gray")
rule, base_lr, cap = view.row(["rule", "base_lr", "cap"], widths=[2, 3, 2])
warmup, target = view.row(["warmup", "target"])
swept = attempt(sweep, n, noise, seed, rule, base_lr, cap, warmup, target, sampling,
                fix=said("Lower η at batch size 1, or aim for a looser target."))
if swept is not None:
    result, sweep_fig = swept
    reached = np.isfinite(result.steps).any(axis=1)
    diverged = result.diverged.any(axis=1)
    view.chart(sweep_fig, key="sweep", summary=said(
        f"Steps and examples needed to reach loss {result.target_loss:.4g} at each batch size from "
        f"{int(result.batch_sizes[0])} to {int(result.batch_sizes[-1])} ({rule} learning-rate rule), one dot per "
        "seed, with the fitted curve S = S_min(1 + B_crit/B)"
        + (f": B_crit ≈ {result.b_crit:.3g}." if np.isfinite(result.b_crit) and result.b_crit > 0 else ".")))
    notes = [f"Target: full-data loss ≤ {result.target_loss:.4g}, held for {DEMO_SWEEP['patience']} steps in a row "
             f"(so a lucky dip of a noisy run does not count). {result.seconds:.2f} s for the whole sweep of "
             f"{len(result.batch_sizes)} batch sizes × {result.steps.shape[1]} seeds."]
    if np.isfinite(result.b_crit) and result.b_crit > 0:
        notes.append(f"Fitted critical batch size **B_crit ≈ {result.b_crit:.3g}** (S_min ≈ {result.s_min:.3g} steps, "
                     f"E_min ≈ {result.e_min:.3g} examples).")
    if diverged.any():
        notes.append("Diverged at B = " + ", ".join(str(int(b)) for b in result.batch_sizes[diverged]) +
                     ": the scaled η is past the stability limit there.")
    if not reached.all():
        notes.append(said("Never reached the target at B = ") + ", ".join(
            str(int(b)) for b in result.batch_sizes[~reached & ~diverged]) + " within the step limit.")
    partly = reached & ~np.isfinite(result.steps).all(axis=1)
    if partly.any():
        notes.append("At B = " + ", ".join(str(int(b)) for b in result.batch_sizes[partly]) + said(
            " some seeds never reached the target: their dots are missing and the median is over the seeds that "
            "did."))
    st.caption(" ".join(notes))

st.subheader("4 · Small batches, flat minima? (Keskar et al. 2017)", divider="gray")
sharp, sharp_lr, sharp_updates = view.row(["sharp", "sharp_lr", "sharp_updates"], widths=[3, 2, 2])
if sharp:
    found = attempt(sharpness, seed, sharp_lr, sharp_updates, fix=said("Lower the network's η."))
    if found is not None:
        result, sharp_fig = found
        view.chart(sharp_fig, key="sharpness", summary=(
            "Sharpness λ_max and accuracy of the network trained at each batch size, and the loss along the line "
            "between the smallest- and largest-batch solutions. " + " ".join(
                f"B = {int(b)}: λ_max {lam:.3g}, test accuracy {acc:.2f}." for b, lam, acc in
                zip(result.batch_sizes, result.sharpness, result.test_accuracy))))
        st.caption(SHARP_NETWORK + " on the two-moons data, "
                   f"trained for the whole number of epochs nearest to {sharp_updates:,} updates: " + ", ".join(
                       f"B = {int(b)}: {int(u):,} updates ({int(e)} epochs)" for b, u, e in
                       zip(result.batch_sizes, result.updates, result.epochs))
                   + " — so the large batches see far more examples. λ_max is the top eigenvalue of the training "
                   "loss's Hessian, by power iteration on Hessian-vector products.")
else:
    st.caption("Switch on to train a small network once per batch size and measure how sharp each solution is.")

math_and_code(
    equations=explorer.EQUATIONS,
    code=[minibatch_sgd, gradient_noise, two_batch_estimate, batch_size_sweep, lr_for_batch, top_hessian_eigenvalue],
    notes=[said("McCandlish, Kaplan, Amodei et al. (2018), *An Empirical Model of Large-Batch Training*; Goyal et al. "
           "(2017), *Accurate, Large Minibatch SGD*; Keskar et al. (2017), *On Large-Batch Training … Sharp Minima*.")],
)
view.finish()
