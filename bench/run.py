"""``make bench``: speed and size of the app, as a markdown table, each against a reference measured in the
same run (so the ratios mean something on any machine). Nothing here is asserted: budgets live in the
"goal" column and the tests only check hard limits such as the 3 MB payload budget.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core import LinearRegressionGD, least_squares_line, make_line  # noqa: E402
from core.objectives import OBJECTIVES  # noqa: E402
from core.optimizers import make_optimizer, race  # noqa: E402
from core.minibatch import batch_size_sweep  # noqa: E402
from core.datasets_2d import make_dataset, make_grid, grid_extent, train_test_split  # noqa: E402
from core.neural_net import MLPClassifier  # noqa: E402
from core.training import record_training  # noqa: E402
from ui.registry import EXPLORERS  # noqa: E402
from viz.boundary import BoundaryData, boundary_animation  # noqa: E402
from viz.network import tile_size  # noqa: E402
from viz.animation import PAYLOAD_BUDGET_BYTES, payload_bytes  # noqa: E402
from viz.describe import frame_count  # noqa: E402
from viz.line_fit import fit_animation  # noqa: E402
from viz.race import race_animation  # noqa: E402


def cold_import_seconds(module: str, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", f"import time; t = time.perf_counter(); import {module}; "
                              "print(time.perf_counter() - t)"], cwd=ROOT, capture_output=True, text=True,
                             check=True)
        times.append(float(out.stdout))
    return statistics.median(times)


def timed_runs(at: AppTest, repeats: int = 5) -> tuple[float, float]:
    """(first run, median of ``repeats`` reruns) of an AppTest."""
    t = time.perf_counter()
    at.run()
    first = time.perf_counter() - t
    reruns = []
    for _ in range(repeats):
        t = time.perf_counter()
        at.run()
        reruns.append(time.perf_counter() - t)
    return first, statistics.median(reruns)


def apptest_latency(path: str | None) -> tuple[float, float]:
    """(first run, median rerun) of the app opened on ``path`` (``None`` = home)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    if path:
        at.run().switch_page(path)  # custom url_paths are known after st.navigation has run once
    return timed_runs(at)


def reference_latency() -> tuple[float, float]:
    """The same for a one-line Streamlit script: the floor of what any page can cost."""
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write("import streamlit as st\nst.title('reference')\nst.slider('x', 0, 10)\n")
    return timed_runs(AppTest.from_file(f.name, default_timeout=60))


def fit_figure(n: int, steps: int, lr: float):
    x, y = make_line(n, random_state=0)
    t = time.perf_counter()
    traj = LinearRegressionGD(learning_rate=lr, n_steps=steps).fit(x, y).trajectory_
    optimum = least_squares_line(x, y)
    fig = fit_animation(x, y, traj, optimum=optimum, true_line=lambda v: 2 * v - 1)
    return fig, time.perf_counter() - t


def race_vs_loop(n_steps: int = 500):
    """A 6-optimizer race on Rosenbrock: ``core.optimizers.race`` (one gradient call per step for all
    racers) against the plain reference, one Python loop per optimizer; then the figure and its payload."""
    objective = OBJECTIVES["rosenbrock"]()
    names = ["sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw"]
    optimizers = [make_optimizer(n, lr=0.001) for n in names]
    result = race(objective.gradient, objective.value, optimizers, [-1.5, 2.0], n_steps)

    def loop():  # the reference: each optimizer on its own
        for opt in optimizers:
            theta, state = np.array([-1.5, 2.0]), opt.init_state(np.zeros(2))
            for k in range(1, n_steps + 1):
                theta, state = opt.step(theta, objective.gradient(theta), state, k)
                objective.value(theta)

    # Best of several, both sides: a single timing of ~0.1 s moved the ratio from 0.72x to 1.09x on a busy host.
    race_s = best_of(lambda: race(objective.gradient, objective.value, optimizers, [-1.5, 2.0], n_steps), 5)
    loop_s = best_of(loop, 5)
    t = time.perf_counter()
    fig = race_animation(objective, result)
    return race_s, loop_s, time.perf_counter() - t, payload_bytes(fig)


def best_of(fn, repeats: int = 7) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def network_vs_sklearn(steps: int = 500) -> dict:
    """The page's default network (2-4-2-1, tanh, SGD, batches of 10) on circle data: one update and one
    60×60 grid evaluation, ours against scikit-learn's ``MLPClassifier`` (``partial_fit`` on one batch is one
    update) on the same data in the same run."""
    from sklearn.neural_network import MLPClassifier as SkMLP

    X, y = make_dataset("circle", 300, 0.0, 0)
    _, _, grid = make_grid(grid_extent(X), 60)
    ours = MLPClassifier((4, 2), "tanh", batch_size=10, learning_rate_init=0.03).fit(X, y)
    Y = ours.targets(y)
    batches = [np.arange(i, i + 10) % len(X) for i in range(0, 10 * steps, 10)]

    def our_steps():
        theta, state = ours.theta_, ours.state_
        for k, rows in enumerate(batches, start=1):
            theta, state = ours.optimizer_.step(theta, ours.gradient(theta, X[rows], Y[rows]), state, k)

    theirs = SkMLP((4, 2), activation="tanh", solver="sgd", momentum=0.0, learning_rate_init=0.03, batch_size=10,
                   random_state=0)
    theirs.partial_fit(X[:10], y[:10], classes=[0, 1])

    def their_steps():
        for rows in batches:
            theirs.partial_fit(X[rows], y[rows])

    return {"ours_step": best_of(our_steps, 3) / steps, "their_step": best_of(their_steps, 3) / steps,
            "ours_grid": best_of(lambda: ours.predict_proba(grid)),
            "their_grid": best_of(lambda: theirs.predict_proba(grid))}


def boundary_figure(layers, features, epochs=200):
    """Train and build the decision-boundary animation (100 frames) as the page does; (seconds, bytes)."""
    from core.features import FEATURES, feature_map

    X, y = make_dataset("spiral", 500, 0.1, 0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, 0.5, 0)
    extent = grid_extent(X)
    xs, ys, grid = make_grid(extent, 60)
    tile = tile_size(sum(layers), 100)
    _, _, tiles = make_grid(extent, tile)
    f = list(features)
    t = time.perf_counter()
    run = record_training(MLPClassifier(layers, "tanh", solver="adam", learning_rate_init=0.01),
                          feature_map(X_train, f), y_train, feature_map(X_test, f), y_test, feature_map(grid, f),
                          feature_map(tiles, f), epochs=epochs)
    train_s = time.perf_counter() - t
    data = BoundaryData(X_train, y_train, X_test, y_test, xs, ys, feature_map(tiles, f),
                        [FEATURES[n].label for n in f], [str(u) for u in layers], 2, tile)
    t = time.perf_counter()
    fig = boundary_animation(run, data)
    return train_s, time.perf_counter() - t, payload_bytes(fig), frame_count(fig)


def _times(ours: float, reference: float) -> str:
    return f"{reference / ours:.1f}× faster" if ours < reference else f"{ours / reference:.1f}× slower"


def epochs_vs_sgdclassifier(batch_sizes=(1, 8, 32, 128, 1000)) -> tuple[dict, float, float]:
    """One epoch of mini-batch SGD on logistic regression (1,000 points, 2 features) per batch size, ours
    against scikit-learn's ``SGDClassifier(loss="log_loss")`` (one pass of batch-1 SGD, compiled) on the same
    data; and the batch-size page's full default sweep."""
    from sklearn.linear_model import SGDClassifier

    from core.minibatch import (DEMO_SWEEP, DEMO_TARGET_FRACTION, DEMO_THETA0, demo_line_problem,
                                logistic_regression_sum, minibatch_sgd, relative_target)

    X, y = make_dataset("gaussians", 1000, 0.3, 0)
    problem = logistic_regression_sum(X, y)
    ours = {B: best_of(lambda B=B: minibatch_sgd(problem, np.zeros(3), B, 0.1, -(-1000 // B)), 3)
            for B in batch_sizes}
    theirs = SGDClassifier(loss="log_loss", learning_rate="constant", eta0=0.1, random_state=0)
    theirs.partial_fit(X, y, classes=[0, 1])
    their_epoch = best_of(lambda: theirs.partial_fit(X, y))
    demo = demo_line_problem()
    target = relative_target(demo.problem, np.array(DEMO_THETA0), demo.optimum, DEMO_TARGET_FRACTION)
    sweep_s = best_of(lambda: batch_size_sweep(demo.problem, np.array(DEMO_THETA0), target_loss=target,
                                               **DEMO_SWEEP), 3)
    return ours, their_epoch, sweep_s


def thresholds_vs_sklearn(n: int = 1_000_000) -> dict:
    """Every metric at every threshold in one pass over 1,000,000 sorted scores, against scikit-learn computing
    the confusion matrix, precision, recall, F1 and MCC at 100 thresholds; and the calibration page's
    threshold-slider rerun work at 100,000 rows (look the threshold up, build the figure)."""
    from sklearn import metrics as skm

    from core.thresholds import at_threshold, threshold_table
    from viz.calibration import score_histogram, threshold_explorer

    rng = np.random.default_rng(0)
    y = (rng.random(n) < 0.1).astype(int)
    scores = 1 / (1 + np.exp(-(rng.normal(size=n) + 2 * y - 1)))
    ours = best_of(lambda: threshold_table(y, scores).mcc, 3)

    def sklearn_10():  # 10 of the 100 thresholds, timed and scaled ×10 (the full 100 take over a minute)
        for t in np.linspace(0, 1, 10):
            pred = scores >= t
            skm.confusion_matrix(y, pred)
            skm.precision_score(y, pred, zero_division=1), skm.recall_score(y, pred), skm.f1_score(y, pred)
            skm.matthews_corrcoef(y, pred)

    theirs = 10 * best_of(sklearn_10, 1)
    y_100k, s_100k = y[:100_000], scores[:100_000]
    table, hist = threshold_table(y_100k, s_100k), score_histogram(s_100k, y_100k)
    rerun = best_of(lambda: threshold_explorer(table, hist, 0.37).to_json())
    lookup = best_of(lambda: at_threshold(table, 0.37))
    return {"ours": ours, "theirs": theirs, "rerun": rerun, "lookup": lookup}


def tsne_rows() -> list[tuple]:
    """Our t-SNE (a frame kept every 10th iteration) against scikit-learn's Barnes-Hut on digits, and the payload of
    the page's 100-frame animation."""
    from bench.tsne_bench import compare
    from core.embedding_data import make_embeddable
    from core.pca import PCA
    from core.tsne import TSNE
    from viz.embedding import side_by_side

    rows = []
    for r in compare((500, 1000, 1797, 5000, 10_000, 20_000)):  # issue 25's goals from 10,000 points on
        large = r["n"] >= 10_000
        rows.append((f"t-SNE on {r['n']:,} points ({r['method']}), 1,000 iterations, a frame every 10th kept",
                     f"{r['ours_s']:.2f} s · KL {r['kl_ours']:.4f} · trust {r['trust_ours']:.4f}",
                     f"scikit-learn Barnes-Hut: {r['sklearn_s']:.2f} s · KL {r['kl_sklearn']:.4f} · trust "
                     f"{r['trust_sklearn']:.4f}", _times(r["ours_s"], r["sklearn_s"]),
                     "≤ 0.4× scikit-learn's time, KL within 2 %, trust within 0.005" if large
                     else "≤ 1.0× scikit-learn's time, KL no worse"))
    data = make_embeddable("digits", 1797, 0.0, 0)
    tsne = TSNE(random_state=0, snapshot_every=10).fit(data.X)
    fig = side_by_side(PCA(2).fit_transform(data.X), tsne.frames_, tsne.frame_iters_, data.labels, data.label_names,
                       rows=data.rows)
    size = payload_bytes(fig)
    rows.append((f"figure JSON: PCA vs t-SNE, digits ({frame_count(fig)} frames, row hovers)",
                 f"{size / 1e6:.2f} MB", f"budget {PAYLOAD_BUDGET_BYTES / 1e6:.0f} MB",
                 f"{size / PAYLOAD_BUDGET_BYTES:.2f}×", "< 1× budget"))
    return rows


def browser_rows() -> list[tuple]:
    """Change-to-picture time in headless Chromium, per page (bench/browser.py; its own table with every column:
    ``python -m bench.browser``)."""
    from bench import browser

    try:
        results = browser.run()
    except RuntimeError as exc:  # no Chromium here: the rest of the table still stands
        return [("browser: control change → new picture drawn", f"not measured: {exc}", "—", "—", "—")]
    return browser.bench_rows([browser.summarise(r) for r in results])


def main() -> None:
    rows = []
    core_s, numpy_s = cold_import_seconds("core"), cold_import_seconds("numpy")
    rows.append(("cold import of `core`", f"{core_s * 1e3:.0f} ms", f"`import numpy`: {numpy_s * 1e3:.0f} ms",
                 f"{core_s / numpy_s:.2f}×", "≤ 1.5× numpy"))
    ref_first, ref_rerun = reference_latency()
    for label, path in [("home", None)] + [(e.url_path, e.path) for e in EXPLORERS]:
        first, rerun = apptest_latency(path)
        rows.append((f"AppTest first run: {label}", f"{first * 1e3:.0f} ms",
                     f"one-line script: {ref_first * 1e3:.0f} ms", f"{first / ref_first:.1f}×", "—"))
        rows.append((f"AppTest rerun: {label}", f"{rerun * 1e3:.0f} ms",
                     f"one-line script: {ref_rerun * 1e3:.1f} ms", f"{rerun / ref_rerun:.1f}×",
                     "rerun ≤ 100 ms (30 reruns/s/core serves a classroom)"))
    for label, n, steps, lr in [("fit-a-line defaults", 40, 100, 0.3), ("fit-a-line largest (n=500, 500 steps)",
                                                                         500, 500, 0.3)]:
        fig, seconds = fit_figure(n, steps, lr)
        size = payload_bytes(fig)
        rows.append((f"figure JSON: {label}", f"{size / 1e6:.2f} MB", f"budget {PAYLOAD_BUDGET_BYTES / 1e6:.0f} MB",
                     f"{size / PAYLOAD_BUDGET_BYTES:.2f}×", "< 1× budget"))
        rows.append((f"compute + build: {label}", f"{seconds * 1e3:.0f} ms", "—", "—", "< 500 ms"))
    race_s, loop_s, fig_s, size = race_vs_loop()
    rows.append(("6-optimizer 500-step race (compute, best of 5)", f"{race_s * 1e3:.0f} ms",
                 f"per-optimizer Python loop (best of 5): {loop_s * 1e3:.0f} ms", f"{race_s / loop_s:.2f}×", "≤ 1×"))
    rows.append(("6-optimizer 500-step race: build figure", f"{fig_s * 1e3:.0f} ms", "—", "—", "< 1 s"))
    rows.append(("figure JSON: 6-optimizer 500-step race", f"{size / 1e6:.2f} MB",
                 f"budget {PAYLOAD_BUDGET_BYTES / 1e6:.0f} MB", f"{size / PAYLOAD_BUDGET_BYTES:.2f}×", "< 1× budget"))
    net = network_vs_sklearn()
    rows.append(("one training step, network 2-4-2-1, batch 10", f"{net['ours_step'] * 1e6:.0f} µs",
                 f"scikit-learn `MLPClassifier.partial_fit`: {net['their_step'] * 1e6:.0f} µs",
                 f"{net['their_step'] / net['ours_step']:.0f}× faster", "≥ 10× faster"))
    rows.append(("decision function on a 60×60 grid", f"{net['ours_grid'] * 1e3:.2f} ms",
                 f"scikit-learn `predict_proba`: {net['their_grid'] * 1e3:.2f} ms",
                 f"{net['their_grid'] / net['ours_grid']:.1f}× faster", "≥ 1×"))
    for label, layers, features in [("default network 4-2", (4, 2), ("x1", "x2")),
                                     ("largest: 6 layers of 16, 7 features", (16,) * 6,
                                      ("x1", "x2", "x1_sq", "x2_sq", "x1x2", "sin_x1", "sin_x2"))]:
        train_s, build_s, size, frames = boundary_figure(layers, features, epochs=200 if layers == (4, 2) else 50)
        rows.append((f"decision boundary, {label}: train + record", f"{train_s * 1e3:.0f} ms", "—", "—", "< 2 s"))
        rows.append((f"decision boundary, {label}: build figure ({frames} frames)", f"{build_s * 1e3:.0f} ms", "—",
                     "—", "< 1 s"))
        rows.append((f"figure JSON: decision boundary, {label}", f"{size / 1e6:.2f} MB",
                     f"budget {PAYLOAD_BUDGET_BYTES / 1e6:.0f} MB", f"{size / PAYLOAD_BUDGET_BYTES:.2f}×",
                     "< 1× budget"))
    ours, their_epoch, sweep_s = epochs_vs_sgdclassifier()
    for B, seconds in ours.items():
        rows.append((f"one epoch of mini-batch SGD, logistic regression on 1,000 points, B = {B}",
                     f"{seconds * 1e3:.1f} ms", f"scikit-learn `SGDClassifier` epoch (B = 1, compiled): "
                     f"{their_epoch * 1e3:.2f} ms", _times(seconds, their_epoch), "— (ours records every step's "
                     "θ, batch and full loss and gradient)"))
    rows.append(("batch-size page: full default sweep (10 sizes × 3 seeds)", f"{sweep_s * 1e3:.0f} ms", "—", "—",
                 "< 2 s"))
    th = thresholds_vs_sklearn()
    rows.append(("every metric at every threshold, 1,000,000 scores (one pass)", f"{th['ours'] * 1e3:.0f} ms",
                 f"scikit-learn, 5 metrics at 100 thresholds (10 timed ×10): {th['theirs']:.1f} s",
                 _times(th["ours"], th["theirs"]), "faster than 100 thresholds"))
    rows.append(("calibration page: threshold look-up in a 100,000-row table", f"{th['lookup'] * 1e6:.1f} µs", "—",
                 "—", "—"))
    rows.append(("calibration page: threshold figure built and serialised, 100,000 rows", f"{th['rerun'] * 1e3:.0f} ms",
                 "—", "—", "slider rerun < 100 ms"))
    rows += tsne_rows()
    rows += browser_rows()
    print("| measure | value | reference (same run) | ratio | goal |")
    print("|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
