"""Decision boundaries: a NumPy network trains on 2-D data and the boundary forms, TensorFlow Playground style.

The controls, presets and computations are in ``explorers/boundary.py``; this file is the page drawn on them."""

import hashlib
from dataclasses import replace

import numpy as np
import pandas as pd
import streamlit as st

from claims import said
from core.datasets_2d import DATASETS
from core.features import FEATURES
from core.neural_net import ACTIVATIONS, MLPClassifier, output_delta
from core.optimizers import OPTIMIZERS
from core.training import continued, record_training
from explorers import boundary as explorer
from explorers.boundary import (LIVE_EVERY, LIVE_MAX_EPOCHS, LIVE_SECONDS, MAX_UPDATES, UPLOAD, baseline_figure,
                                current_lr, data_settings, epochs_within_budget, live_key, results_table,
                                retune, settings_key, start_live, trained, updates_per_epoch, uploaded_tables)
from ui.errors import attempt
from ui.export import export_buttons
from ui.math_panel import math_and_code
from ui.uploads import numeric_table, upload_widget
from ui.view import View
from viz.boundary import boundary_still, confusion_figure
from ui.routing import enter_through_router

enter_through_router()  # on a fresh server a direct link runs this file without app.py: go through it

view = View.of(explorer)
view.header("🧠 Decision boundaries: a network learning live",
            said("A NumPy network learns to split points in the plane; press **▶ Play**. **Notice which problems need "
            "hidden layers, which only better features, and when the test loss turns back up.**"))


def own_points(max_points: int) -> str | None:
    """The uploader for the user's points: two numeric columns and a label; returns the data key or None."""
    df = upload_widget("decision-boundary.upload", help="A table with two numeric columns (the point) and a column "
                       "with each point's class.")
    if df is None:
        st.info("Upload a CSV with two numeric columns and a label column.", icon="📄")
        return None
    columns = list(df.columns)
    x1 = st.selectbox("x₁ column", columns, key="decision-boundary.x1")
    x2 = st.selectbox("x₂ column", columns, key="decision-boundary.x2", index=min(1, len(columns) - 1))
    label = st.selectbox("Class column", columns, key="decision-boundary.label", index=len(columns) - 1)
    if len({x1, x2, label}) < 3:
        st.error("Choose three different columns: x₁, x₂ and the class. **What to change:** pick other columns.",
                 icon="✋")
        return None
    table = attempt(numeric_table, df, [x1, x2], label, max_labels=5, fix="Pick two numeric columns.")
    if table is None:
        return None
    X, y, names, _, notices = table
    for notice in notices:
        st.info(notice, icon="ℹ️")
    if len(names) < 2:
        st.error(said("The class column has one value: a classifier needs at least two classes."), icon="✋")
        return None
    key = f"{UPLOAD}:{hashlib.sha256(X.tobytes() + y.tobytes()).hexdigest()[:16]}"
    tables = uploaded_tables()
    tables[key] = (X, y)
    while len(tables) > 8:
        tables.pop(next(iter(tables)))
    st.caption(f"{len(X):,} points, classes: " + ", ".join(f"{k} = {name}" for k, name in enumerate(names)) + ".")
    if len(X) > max_points:
        st.info(f"Training on {max_points:,} of the {len(X):,} points, chosen at random with each class keeping its "
                "share; raise *Points* for more.", icon="✂️")
    return key


def live_training(s: dict, cached: tuple | None) -> dict | None:
    """The session's live run for the settings ``s``: the running one, given any changed training settings,
    or a new one from ``cached`` (the animation's run, data and features) when the network or the data changed.
    None when there is no cached run to start from."""
    live = st.session_state.get("_live")
    if live is not None and live["key"] == live_key(s):
        news = retune(live, s)
        if news:
            live["news"].append(news)
        return live
    if cached is None:
        return None
    run, data, mapped = cached
    news = [] if live is None else [f"The data or the network changed: training started again from the "
                                    f"animation's last epoch ({len(run.train_loss) - 1})."]
    live = st.session_state["_live"] = start_live(s, run, data, mapped, news)
    return live


def keep_training(live: dict, show_test: bool) -> None:
    """Go on training the session's live network, redrawing a still figure a few times a second."""
    F_train, F_test, F_grid, F_tiles = live["mapped"]
    first = live["run"]
    per_epoch = max(first.seconds / max(len(first.train_loss) - 1, 1), 1e-4)
    epochs_per_tick = int(min(max(LIVE_SECONDS / per_epoch, 1), 500))

    @st.fragment(run_every=LIVE_EVERY)
    def tick() -> None:
        run, data = live["run"], replace(live["data"], show_test=show_test)
        epoch = len(run.train_loss) - 1
        if run.diverged_at is None and epoch < LIVE_MAX_EPOCHS:
            more = record_training(run.model, F_train, data.y_train, F_test, data.y_test, F_grid, F_tiles,
                                   epochs=epochs_per_tick, n_frames=2, warm_start=True)
            run = live["run"] = continued(run, more)
            epoch = len(run.train_loss) - 1
        st.caption("🔁 " + (live["news"][-1] if live["news"] else
                           "Live: change η, the optimizer or the regularisation and it goes on from these "
                           "weights."))
        if run.diverged_at is not None or epoch >= LIVE_MAX_EPOCHS:
            st.info(f"Stopped at epoch {epoch}" + (said(f": the run diverged ({run.reason}). Lower η to go on.")
                                                   if run.diverged_at is not None else "."))
        view.chart(boundary_still(run, data), key="boundary-live", summary=said(
            f"Training continues live: epoch {epoch}, training loss {run.train_loss[-1]:.4g}, train accuracy "
            f"{run.train_accuracy[-1]:.0%}, η {current_lr(run.model):.3g}. The decision map, network and curves "
            f"update every {LIVE_EVERY:g} s."))
        run_facts(run, data, live["mapped"])

    tick()


def run_facts(run, data, mapped) -> None:
    """The run's numbers in one line, and a warning about dead ReLU units."""
    facts = [f"{len(run.train_loss) - 1} epochs", f"{run.model.t_:,} updates", f"{run.seconds:.2f} s on the server",
             f"train accuracy {run.train_accuracy[-1]:.0%}"]
    if len(data.y_test):
        facts.append(f"test accuracy {run.test_accuracy[-1]:.0%}")
    st.caption(" · ".join(facts) + said(". Tiles show what each unit outputs over the plane (blue > 0, orange < 0, "
               "white ≈ 0, each tile scaled to its own range); lines are weights (width = size, blue = positive, "
               "orange = negative)."))
    dead = run.model.dead_units(mapped[0])
    n_dead = sum(int(d.sum()) for d in dead)
    n_relu = sum(len(d) for d, name in zip(dead, run.model.activations) if name == "relu")
    if n_dead:
        st.warning(said(f"**{n_dead} of {n_relu} ReLU units are dead**: they output 0 for every training point, "
                         "so the loss sends no gradient to their weights: only a penalty (L1, L2) can still move "
                         "them. **What to change:** a smaller learning rate, or leaky ReLU."), icon="🪦")


def heading(text: str) -> None:
    if view.stage_more() is not None:  # presenter mode shows only the key controls
        with view.stage_more():
            st.markdown(f"**{text}**")


def equations(s: dict, model: MLPClassifier) -> list[str]:
    """The network's forward pass, loss and backward pass, with this network's sizes and activations."""
    units = model.layer_units_
    shapes = r",\quad ".join(rf"W^{{({l})}} \in \mathbb R^{{{a}\times {b}}}"
                               for l, (a, b) in enumerate(zip(units[:-1], units[1:]), start=1))
    acts = r",\ ".join(rf"\phi_{l}(z) = {ACTIVATIONS[name].latex}" for l, name in enumerate(model.activations, 1))
    out = (r"p = \sigma(z^{(L)}) = \frac{1}{1 + e^{-z^{(L)}}}" if model.n_outputs_ == 1
           else r"p_k = \operatorname{softmax}(z^{(L)})_k = \frac{e^{z_k}}{\sum_j e^{z_j}}")
    if s["loss"] != "log_loss":
        loss = r"\ell = \tfrac12 \lVert p - y\rVert^2"
    elif model.n_outputs_ == 1:  # one sigmoid output: the binary form, both terms
        loss = r"\ell = -\big(y \log p + (1 - y) \log(1 - p)\big)"
    else:
        loss = r"\ell = -\sum_k y_k \log p_k"
    penalty = {"none": "", "l2": r" + \frac{\alpha}{2} \sum w^2", "l1": r" + \alpha \sum |w|"}[s["penalty"]]
    delta = (r"\delta^{(L)} = \frac{p - y}{n}" if s["loss"] == "log_loss"
             else r"\delta^{(L)} = \frac{1}{n}\,\frac{\partial p}{\partial z}^{\!\top} (p - y)")
    return [
        r"a^{(0)} = \big(" + ", ".join(FEATURES[f].latex for f in s["features"]) + r"\big)",
        r"z^{(l)} = a^{(l-1)} W^{(l)} + b^{(l)},\qquad a^{(l)} = \phi_l\big(z^{(l)}\big)",
        shapes, *([acts] if acts else []), out,
        r"J(\theta) = \frac1n \sum_i \ell(p_i, y_i)" + penalty + r",\qquad " + loss,
        delta + r",\qquad \frac{\partial J}{\partial W^{(l)}} = a^{(l-1)\top} \delta^{(l)}"
        + {"none": "", "l2": r" + \alpha W^{(l)}", "l1": r" + \alpha \operatorname{sign} W^{(l)}"}[s["penalty"]],
        r"\delta^{(l-1)} = \big(\delta^{(l)} W^{(l)\top}\big) \odot \phi_{l-1}'\big(z^{(l-1)}\big)",
        r"\text{ReLU: } \phi'(z) = 0 \text{ where } z \le 0",
    ]


data_name = view.control("data")
n_layers = view.control("layers")
view.control("lr")
view.control("epochs")
with view.stage_keys():
    live_on = st.toggle("🔁 Keep training live", key="decision-boundary.live",
                        help="TensorFlow Playground's live mode: the network goes on learning past the last epoch "
                             "until you switch this off. Change η, the optimizer or the regularisation while it "
                             "runs and it continues from the current weights; other changes start it again.")
    if not live_on:
        st.caption("Trains on past the last epoch.")
heading("Data")
if data_name == "blobs":
    view.control("classes")
for name in ("n", "noise", "test", "seed"):
    view.control(name)
if view.stage_more() is not None:
    with view.stage_more():
        st.button("🎲 New data", on_click=view.next_seed, help="New data: the next seed.", key="regen")
heading("Network")
view.control("features")
for i in range(1, n_layers + 1):
    view.row([f"units{i}", f"act{i}"])
view.control("output")
view.control("loss")
heading("Training")
for name in ("optimizer", "schedule", "batch"):
    view.control(name)
if view.control("penalty") != "none":
    view.control("alpha")
heading("Display")
view.control("show_test")
view.control("compare")

stage = view.on_stage()
if data_name == UPLOAD:
    with stage:  # where the figure will be: the uploader and its columns
        data_key = own_points(view.values()["n"])
else:
    data_key = data_name

s = view.values()
s["data"] = data_key or "circle"
if not s["features"]:
    stage.warning(said("Choose at least one feature for the network to see; using x₁ and x₂."), icon="🧩")
    s["features"] = ("x1", "x2")
budget = attempt(epochs_within_budget, s, fix=said("Lower the test share or use more points.")) if data_key else None
result = live = None
if budget is not None:
    if budget < s["epochs"]:
        stage.warning(said(f"{s['epochs']} epochs at batch size {s['batch']} is more than {MAX_UPDATES:,} updates; "
                      f"training the first {budget}. **What to change:** raise the batch size, or use fewer points, "
                      "for longer runs."), icon="⏱️")
        s["epochs"] = budget
    if live_on:  # the running network, if it is still this one: no new animation needed
        live = attempt(live_training, s, None, fix="Change the highlighted setting.")
    if live is None:
        # with no test split there are no test points to show or hide: one figure serves both
        result = attempt(trained, settings_key(s), s["show_test"] or not s["test"],
                         fix="Change the highlighted setting and train again.")
    if result is not None and live_on:
        live = attempt(live_training, s, result[:3], fix="Change the highlighted setting.")

if live is not None:
    run, data, mapped = live["run"], live["data"], live["mapped"]
    with stage:
        keep_training(live, s["show_test"])
elif result is not None:
    run, data, mapped, fig = result
    if run.diverged_at is not None:
        stage.error(said(f"**Training diverged at epoch {run.diverged_at}**: {run.reason}. The animation stops at "
                          "the last good epoch. **What to change:** lower the learning rate or add "
                          "regularisation."), icon="💥")
    shape = " → ".join([str(len(s["features"])), *(str(s[f"units{i}"]) for i in range(1, s["layers"] + 1)),
                        "output"])
    with stage:
        view.chart(fig, key="boundary", summary=said(
            f"A network ({shape} units; features {', '.join(FEATURES[f].label for f in s['features'])}) learns "
            f"to separate the {s['data']} data ({len(data.y_train)} training points"
            + (f", {len(data.y_test)} test points" if len(data.y_test) else "") + "). The animation shows, epoch "
            "by epoch, the decision map (colour = predicted class, paler = less sure, classes also differ by "
            "marker shape), every unit's output as a tile, and the loss and accuracy curves. After "
            f"{len(run.train_loss) - 1} epochs: training loss {run.train_loss[-1]:.4g}, train "
            f"accuracy {run.train_accuracy[-1]:.0%}"
            + (f", test accuracy {run.test_accuracy[-1]:.0%}." if len(data.y_test) else ".")))
    export_buttons("decision-boundary", view.styled(fig), "Decision boundary", {"Curves": lambda: pd.DataFrame({
        "epoch": range(len(run.train_loss)), "train loss": run.train_loss, "test loss": run.test_loss,
        "train accuracy": run.train_accuracy, "test accuracy": run.test_accuracy})}, view=view)
    facts_col, cm_col = st.columns([2, 1])
    with facts_col:
        if data_name != UPLOAD:
            st.markdown(f"**{DATASETS[data_name].label}.** " + DATASETS[data_name].description +
                        (" Four points are the truth table; more repeat it, with noise as jitter."
                         if DATASETS[data_name].kind == "gate" else ""))
        run_facts(run, data, mapped)
    with cm_col:
        counts = run.confusion[-1]
        on = "test" if len(data.y_test) else "training"
        view.chart(confusion_figure(run, data), key="confusion", summary=(
            f"The confusion matrix after epoch {int(run.epochs[-1])} on the {on} points: {int(np.trace(counts))} "
            f"of {int(counts.sum())} on the diagonal (predicted class = true class)."))

if live is not None or result is not None:
    n_train = len(data.y_train)
    if s["compare"]:
        st.subheader("The same data under scikit-learn models", divider="gray")
        zoo = attempt(baseline_figure, data_settings(s), fix="Change the data settings.")
        if zoo is not None:
            results, zoo_fig = zoo
            st.dataframe(results_table(run, results, len(data.y_test) > 0), hide_index=True, width="stretch",
                         column_config={"train accuracy": st.column_config.NumberColumn(format="percent"),
                                        "test accuracy": st.column_config.NumberColumn(format="percent"),
                                        "fit time (ms)": st.column_config.NumberColumn(format="%.1f")})
            view.chart(zoo_fig, key="zoo", summary=said(
                "Decision maps of scikit-learn models on the same data. " + " ".join(
                    f"{r.label}: train {r.train_accuracy:.0%}"
                    + (f", test {r.test_accuracy:.0%}." if len(data.y_test) else ".") for r in results)))
            st.caption(said("Each model sees the raw (x₁, x₂), not the features chosen above. The network's time "
                             "includes recording every frame of the animation; the others are one fit each."))

    used = sorted({ACTIVATIONS[name].backward for name in run.model.activations}, key=lambda f: f.__name__)
    math_and_code(equations(s, run.model),
                  code=[MLPClassifier.forward, MLPClassifier.gradient, output_delta, *used, MLPClassifier.epoch],
                  notes=[f"This network has **{run.model.theta_.size} parameters** (weights and biases). "
                         f"One epoch is {updates_per_epoch(n_train, s['batch'])} mini-batch updates of "
                         f"{OPTIMIZERS[s['optimizer']].label} over {n_train} training points."])
view.finish()
