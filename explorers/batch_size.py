"""The batch-size lab: the page's declarations (controls, presets, key controls) and computations.

Importable without running the page (``pages/batch-size.py`` is the story drawn on top of them): the registry,
the warm-up, the fuzzing, the load test and the notebook export read the same declarations and call the same
cached functions. Nothing here draws: Streamlit is imported for the cache decorators only.
"""

from contextlib import suppress

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
                            linear_regression_sum, relative_target, two_batch_estimate)
from core.optimizers import OPTIMIZERS
from explorers.jobs import batch_race, sharpness_runs
from server.housekeeping import one_heavy_at_a_time
from server.workers import run_heavy
from ui.figures import draw
from ui.params import BoolParam, ChoiceParam, FloatParam, IntParam, LogFloatParam, MultiChoiceParam, Preset
from viz.batch_lab import batch_label, gradient_cloud, paths_animation, sharpness_figure, sweep_figure

PAGE = "batch-size"

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

#: The Math & code panel's equations (the notebook export shows the same).
EQUATIONS = [
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
]

KEY = ("sizes", "lr", "scale_lr", "steps")
MORE = ("n", "noise", "seed", "sampling", "optimizer", "x_axis")


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


def chosen_sizes(names) -> tuple:
    """The batch sizes picked to race; with none picked, the page races batch 1 and the full batch (and says so)."""
    return tuple(names) or ("1", "full")


def cloud_theta(runs, cloud_at: str) -> tuple:
    """Where the gradient cloud is drawn: the start, middle or end of the full-batch racer's path (the last)."""
    full = runs[-1].params
    theta = {"start": full[0], "middle": full[len(full) // 2], "end": full[-1]}[cloud_at]
    return tuple(float(v) for v in theta)


def warm(values: dict) -> None:
    """Compute what the page computes for ``values`` (every control's value): the race and its figure, the
    gradient cloud, the sweep, and the sharpness experiment when it is switched on. A part whose settings cannot
    be computed is skipped (the page explains it to whoever opens it); the others are still computed, as the
    page does."""
    v = values
    sizes = tuple(sizes_of(chosen_sizes(v["sizes"]), v["n"]))
    race_args = (v["n"], v["noise"], v["seed"], sizes, v["lr"], v["scale_lr"], v["steps"], v["sampling"],
                 v["optimizer"])
    with suppress(ValueError):  # no race, no cloud: the cloud is drawn on the full-batch racer's path
        race_figure(*race_args, v["x_axis"])
        theta = cloud_theta(race(*race_args)[0], v["cloud_at"])
        cloud(v["n"], v["noise"], v["seed"], theta, v["sampling"])
    with suppress(ValueError):
        sweep(v["n"], v["noise"], v["seed"], v["rule"], v["base_lr"], v["cap"], v["warmup"], v["target"],
              v["sampling"])
    if v["sharp"]:
        with suppress(ValueError):
            sharpness(v["seed"], v["sharp_lr"], v["sharp_updates"])
