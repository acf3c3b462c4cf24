"""The batch-size lab: what mini-batch size does to gradient noise, speed and the solution found."""

import numpy as np
import pandas as pd
import streamlit as st

import claims.batch_size as checked
from claims import claim, said
from core.datasets import make_line
from core.datasets_2d import make_dataset, train_test_split
from core.linear_model import least_squares_line, mse_hessian, mse_loss
from core.minibatch import (DEMO_LINE, DEMO_SWEEP, DEMO_TARGET_FRACTION, DEMO_THETA0, LR_RULE_LABELS,
                            batch_gradient_covariance, batch_gradients, batch_size_sweep, gradient_noise,
                            linear_regression_sum, lr_for_batch, minibatch_sgd, relative_target,
                            two_batch_estimate)
from core.optimizers import OPTIMIZERS
from core.sharpness import top_hessian_eigenvalue
from explorers.jobs import batch_race, sharpness_runs
from ui.errors import attempt
from ui.export import export_buttons
from ui.housekeeping import one_heavy_at_a_time
from ui.math_panel import math_and_code
from ui.params import BoolParam, ChoiceParam, FloatParam, IntParam, LogFloatParam, MultiChoiceParam, Preset
from ui.view import View
from ui.workers import draw, run_heavy
from viz.batch_lab import batch_label, gradient_cloud, paths_animation, sharpness_figure, sweep_figure
from ui.routing import enter_through_router

enter_through_router()  # on a fresh server a direct link runs this file without app.py: go through it

THETA0 = DEMO_THETA0  # where every run starts on the (w, b) plane
SIZES = {"1": "1", "8": "8", "32": "32", "128": "128", "full": "full batch"}
SWEEP_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
CLOUD_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256)
CLOUD_SAMPLES = 150  # mini-batch gradients drawn per batch size in the cloud
TWO_BATCH = {"small": 1, "big": 64, "n_pairs": 200}  # the two-batch estimate of the noise scale
SHARP_SIZES = (4, 16, 64, 200)
#: Made when the page runs (its check then runs on the defaults), shown when the experiment is switched on.
SHARP_NETWORK = claim(checked.sharp_network, "A 2-16-16-1 tanh network")

PARAMS = [
    IntParam("n", "Points", DEMO_LINE["n_samples"], low=64, high=2048, step=64),
    FloatParam("noise", "Noise σ", DEMO_LINE["noise"], low=0.0, high=2.0, step=0.1),
    IntParam("seed", "Seed", 0, low=0, high=9999, kind="number"),
    MultiChoiceParam("sizes", "Batch sizes racing", ("1", "8", "32", "128", "full"), options=SIZES, kind="pills"),
    LogFloatParam("lr", "Learning rate η", 0.05, low=1e-3, high=1.0),
    BoolParam("scale_lr", "Scale η with the batch (linear rule)", False,
              help=claim(checked.linear_rule,
                         "Each racer uses η × B / (smallest B racing): double the batch, double the step.")),
    IntParam("steps", "Update steps", 200, low=20, high=1000, step=20),
    ChoiceParam("sampling", "Sampling", "shuffle",
                options={"shuffle": "Shuffled epochs (without replacement)", "replace": "With replacement"}),
    ChoiceParam("optimizer", "Optimizer", "sgd", options={k: OPTIMIZERS[k].label for k in ("sgd", "momentum", "adam")}),
    ChoiceParam("x_axis", "Second loss chart against", "examples",
                options={"examples": "examples seen", "seconds": "measured compute time"}, kind="radio"),
    ChoiceParam("cloud_at", "Gradient cloud at", "start",
                options={"start": "the start θ₀", "middle": "halfway along the full-batch path",
                         "end": "the end of the full-batch path"}, kind="radio"),
    ChoiceParam("rule", "Learning rate as the batch grows", DEMO_SWEEP["rule"], options=LR_RULE_LABELS),
    LogFloatParam("base_lr", "η at batch size 1", DEMO_SWEEP["base_lr"], low=1e-4, high=1.0),
    BoolParam("cap", "Cap η at 1/λ_max", True,
              help=claim(checked.cap_rule,
                         "The steepest curvature λ_max limits any step: past 2/λ_max gradient descent diverges. The "
                         "cap holds η at 1/λ_max, the best step for the steepest direction.")),
    IntParam("warmup", "Warm-up steps", 0, low=0, high=200, step=10,
             help=claim(checked.warmup, "Ramp η up linearly over the first steps (Goyal et al. 2017).")),
    FloatParam("target", "Target: share of the initial excess loss left", DEMO_TARGET_FRACTION, low=0.01, high=0.5,
               step=0.01),
    BoolParam("sharp", "Run the sharpness experiment (a network, ~3 s)", False),
    LogFloatParam("sharp_lr", "Network η", 0.1, low=1e-3, high=1.0),
    IntParam("sharp_updates", "Updates per batch size", 4000, low=500, high=8000, step=500),
]
PRESETS = {
    "noisy-but-cheap": Preset(claim(checked.noisy_but_cheap, "Batch 1 is noisy but cheap per step"),
                              {"sizes": ("1", "full"), "steps": 200},
                              claim(checked.noisy_but_cheap,
                                    "Per update step the full batch glides straight down the valley while batch 1 "
                                    "staggers. Now look at the loss per example seen: batch 1 is far ahead, because "
                                    "each of its steps cost one example and each full-batch step cost all 512.")),
    "full-batch-cost": Preset("Full batch is smooth but each step costs the whole dataset",
                              {"sizes": ("1", "32", "full"), "x_axis": "seconds"},
                              claim(checked.full_batch_cost,
                                    "Against measured compute time the full batch's smooth steps are the slowest to "
                                    "get anywhere; a batch of 32 is nearly as smooth and far cheaper.")),
    "double-double": Preset(claim(checked.double_double, "Double the batch, double the learning rate"),
                            {"sizes": ("8", "32", "128"), "scale_lr": True, "lr": 0.01, "steps": 400},
                            claim(checked.double_double,
                                  "With η ∝ B each racer takes steps whose average is the same per example seen: the "
                                  "loss-per-example curves of 8, 32 and 128 nearly lie on top of each other (Goyal "
                                  "et al. 2017), until η becomes too large for the surface.")),
    "critical-batch": Preset(claim(checked.critical_batch,
                                   "Past the critical batch size bigger batches stop helping"),
                             {"rule": "linear", "base_lr": 0.03, "cap": True, "cloud_at": "start"},
                             claim(checked.critical_batch,
                                   "In the sweep, doubling B halves the steps to the target while B is small; past "
                                   "the critical batch size (≈ 6 here) the steps level off near 24 and the examples "
                                   "double instead. η at batch 1 is 0.03, near McCandlish et al.'s best step there, "
                                   "ε_max / (1 + B_noise) ≈ 0.033; B_crit then lands near the noise scale B_simple ≈ "
                                   "6 measured at the start.")),
    "flat-minima": Preset("Small batches find flatter minima", {"sharp": True},
                          claim(checked.flat_minima,
                                "With about the same number of updates (whole epochs: the caption below gives each), "
                                "the batch-4 network ends where the loss is far flatter (small λ_max) than the "
                                "full-batch one, at about the same training loss. The line between them shows the "
                                "narrow valley of the large batch. The test accuracy differs much less: sharpness "
                                "and generalisation are linked less simply than once thought.")),
}


# ------------------------------------------------------------------------------------------- computing


@st.cache_data(max_entries=16, show_spinner=False)
def line_data(n: int, noise: float, seed: int):
    return make_line(n, noise=noise, random_state=seed)


def sizes_of(names, n: int) -> list[int]:
    return sorted({n if s == "full" else min(int(s), n) for s in names})


@st.cache_resource(max_entries=16, show_spinner="Racing the batch sizes…")
def race(n, noise, seed, sizes, lr, scale_lr, steps, sampling, optimizer):
    x, y = line_data(n, noise, seed)
    runs, noise_along = run_heavy(batch_race, x, y, THETA0, sizes, lr, scale_lr, steps, sampling == "replace",
                                  optimizer, seed)
    optimum = least_squares_line(x, y)
    return runs, [batch_label(B, n) for B in sizes], noise_along, surface(x, y, runs, optimum), optimum


@st.cache_resource(max_entries=16, show_spinner=False)
def race_figure(n, noise, seed, sizes, lr, scale_lr, steps, sampling, optimizer, x_axis):
    """The race drawn against ``x_axis`` (changing the axis redraws; it does not rerun the racers)."""
    runs, labels, noise_along, loss_surface, optimum = race(n, noise, seed, sizes, lr, scale_lr, steps, sampling,
                                                            optimizer)
    return draw(paths_animation, runs, labels, loss_surface, noise_along, x_axis, optimum)


def surface(x, y, runs, optimum, size: int = 80):
    """The loss over a box holding every path and the minimum."""
    points = np.vstack([np.vstack([r.params[np.all(np.isfinite(r.params), axis=1)] for r in runs]), optimum])
    low, high = points.min(axis=0), points.max(axis=0)
    pad = 0.15 * (high - low) + 0.2
    ws, bs = np.linspace(low[0] - pad[0], high[0] + pad[0], size), np.linspace(low[1] - pad[1], high[1] + pad[1], size)
    W, B = np.meshgrid(ws, bs)
    return ws, bs, mse_loss(np.stack([W, B], axis=-1), x, y)


@st.cache_resource(max_entries=12, show_spinner=False)
def cloud(n, noise, seed, theta: tuple, sampling):
    x, y = line_data(n, noise, seed)
    problem = linear_regression_sum(x, y)
    theta = np.array(theta)
    exact = gradient_noise(problem, theta)
    sizes = [B for B in CLOUD_SIZES if B <= n]
    samples = {B: batch_gradients(problem, theta, B, CLOUD_SAMPLES, replacement=sampling == "replace",
                                  random_state=seed)
               for B in sizes}
    covariances = {B: batch_gradient_covariance(exact, B, n, replacement=sampling == "replace") for B in sizes}
    estimate = two_batch_estimate(problem, theta, TWO_BATCH["small"], TWO_BATCH["big"], n_pairs=TWO_BATCH["n_pairs"],
                                  random_state=seed)
    figure = draw(gradient_cloud, problem.example_gradients(theta, None), exact.gradient, samples, covariances)
    return exact, estimate, figure


@st.cache_resource(max_entries=12, show_spinner="Sweeping batch sizes…")
def sweep(n, noise, seed, rule, base_lr, cap, warmup, target, sampling):
    x, y = line_data(n, noise, seed)
    problem = linear_regression_sum(x, y)
    goal = relative_target(problem, np.array(THETA0), least_squares_line(x, y), target)
    max_lr = 1.0 / np.linalg.eigvalsh(mse_hessian(x))[-1] if cap else None
    with one_heavy_at_a_time():
        result = batch_size_sweep(problem, np.array(THETA0), [B for B in SWEEP_SIZES if B <= n], base_lr=base_lr,
                                  rule=rule, target_loss=goal, warmup_steps=warmup,
                                  replacement=sampling == "replace", seeds=DEMO_SWEEP["seeds"],
                                  patience=DEMO_SWEEP["patience"], max_lr=max_lr, random_state=seed)
    return result, draw(sweep_figure, result)


@st.cache_resource(max_entries=6, show_spinner="Training a network per batch size…")
def sharpness(seed, lr, updates):
    X, y = make_dataset("moons", 400, 0.3, seed)
    X_train, X_test, y_train, y_test = train_test_split(X, y, 0.5, seed)
    # No report (sharpness_runs takes one): both make-load runs that passed one had a view time out in the cold
    # start, which the runs without it have not had. Cold-start tails of 20-30 s occur either way: unproven.
    result = run_heavy(sharpness_runs, X_train, y_train, X_test, y_test, SHARP_SIZES, lr, updates, seed)
    return result, draw(sharpness_figure, result)


def noise_scale_text(b_simple: float) -> str:
    """B_simple for reading; it is infinite where the run sits exactly at the minimum (G = 0)."""
    return f"{b_simple:,.1f}" if np.isfinite(b_simple) else said("∞ (G = 0: at the minimum)")


def noise_table(exact, estimate, n) -> pd.DataFrame:
    g2, trace, b_simple = estimate
    return pd.DataFrame([
        {"": "|G|²", "exact": exact.g2, "two-batch estimate": g2},
        {"": "tr Σ", "exact": exact.trace, "two-batch estimate": trace},
        {"": "B_simple", "exact": exact.b_simple, "two-batch estimate": b_simple},
    ])


# ------------------------------------------------------------------------------------------- the page

view = View("batch-size", PARAMS, PRESETS, key=("sizes", "lr", "scale_lr", "steps"),
            more=("n", "noise", "seed", "sampling", "optimizer", "x_axis"))
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
    sizes_names = ("1", "full")
sizes = sizes_of(sizes_names, n)
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
    full = runs[-1].params
    theta = {"start": full[0], "middle": full[len(full) // 2], "end": full[-1]}[cloud_at]
    result = attempt(cloud, n, noise, seed, tuple(float(v) for v in theta), sampling)
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
    equations=[
        r"g_B(\theta) = \frac1B \sum_{i \in \mathcal B} \nabla \ell_i(\theta)",
        r"\mathbb E[g_B] = G = \nabla L(\theta)",
        r"\Sigma = \frac1N \sum_i (\nabla\ell_i - G)(\nabla\ell_i - G)^\top",
        r"\operatorname{Cov}[g_B] = \frac{\Sigma}{B}\ \text{with replacement}",
        r"\operatorname{Cov}[g_B] = \frac{\Sigma}{B}\cdot\frac{N - B}{N - 1}\ \text{without}",
        r"\mathcal B_{\text{simple}} = \frac{\operatorname{tr}\Sigma}{|G|^2}",
        r"|G|^2 \approx \frac{B_\text{big}|G_\text{big}|^2 - B_\text{small}|G_\text{small}|^2}"
        r"{B_\text{big} - B_\text{small}}",
        r"\operatorname{tr}\Sigma \approx \frac{|G_\text{small}|^2 - |G_\text{big}|^2}"
        r"{1/B_\text{small} - 1/B_\text{big}}",
        r"S(B) = S_\text{min}\Big(1 + \frac{B_\text{crit}}{B}\Big)",
        r"E(B) = E_\text{min}\Big(1 + \frac{B}{B_\text{crit}}\Big)",
    ],
    code=[minibatch_sgd, gradient_noise, two_batch_estimate, batch_size_sweep, lr_for_batch, top_hessian_eigenvalue],
    notes=[said("McCandlish, Kaplan, Amodei et al. (2018), *An Empirical Model of Large-Batch Training*; Goyal et al. "
           "(2017), *Accurate, Large Minibatch SGD*; Keskar et al. (2017), *On Large-Batch Training … Sharp Minima*.")],
)
view.finish()
