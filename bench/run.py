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
from ui.registry import EXPLORERS  # noqa: E402
from viz.animation import PAYLOAD_BUDGET_BYTES, payload_bytes  # noqa: E402
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
    t = time.perf_counter()
    result = race(objective.gradient, objective.value, optimizers, [-1.5, 2.0], n_steps)
    race_s = time.perf_counter() - t
    t = time.perf_counter()
    for opt in optimizers:  # the reference: each optimizer on its own
        theta, state = np.array([-1.5, 2.0]), opt.init_state(np.zeros(2))
        for k in range(1, n_steps + 1):
            theta, state = opt.step(theta, objective.gradient(theta), state, k)
            objective.value(theta)
    loop_s = time.perf_counter() - t
    t = time.perf_counter()
    fig = race_animation(objective, result)
    return race_s, loop_s, time.perf_counter() - t, payload_bytes(fig)


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
    rows.append(("6-optimizer 500-step race (compute)", f"{race_s * 1e3:.0f} ms",
                 f"per-optimizer Python loop: {loop_s * 1e3:.0f} ms", f"{race_s / loop_s:.2f}×", "≤ 1×"))
    rows.append(("6-optimizer 500-step race: build figure", f"{fig_s * 1e3:.0f} ms", "—", "—", "< 1 s"))
    rows.append(("figure JSON: 6-optimizer 500-step race", f"{size / 1e6:.2f} MB",
                 f"budget {PAYLOAD_BUDGET_BYTES / 1e6:.0f} MB", f"{size / PAYLOAD_BUDGET_BYTES:.2f}×", "< 1× budget"))
    print("| measure | value | reference (same run) | ratio | goal |")
    print("|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
