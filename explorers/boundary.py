"""Decision boundaries: the page's declarations (controls, presets, key controls) and computations.

Importable without running the page (``pages/decision-boundary.py`` is the story drawn on top of them): the
registry, the warm-up, the fuzzing, the load test and the notebook export read the same declarations and call the
same cached functions. Nothing here draws: Streamlit is imported for the cache decorators only (the uploader, the
live-training fragment and the run's facts stay in the page).
"""

import copy
import math
from dataclasses import replace

import pandas as pd
import streamlit as st

import claims.boundary as checked
from claims import claim
from core.datasets_2d import DATASETS, grid_extent, make_dataset, make_grid, subsample, train_test_split
from core.features import FEATURES, feature_map
from core.neural_net import ACTIVATIONS, LOSSES, MAX_LAYERS, PENALTIES, MLPClassifier
from core.optimizers import OPTIMIZERS, SCHEDULE_LABELS, default_schedule_params
from explorers.jobs import baseline_results, train_and_draw
from server.workers import run_heavy, yield_on_progress
from ui.figures import draw
from ui.params import (BoolParam, ChoiceParam, FloatParam, IntParam, LogFloatParam, MultiChoiceParam, Preset,
                       defaults)
from viz.baseline_grid import baseline_grid
from viz.boundary import BoundaryData
from viz.network import tile_size
from viz.theme import default_template

PAGE = "decision-boundary"

GRID = 60  # decision-map cells per side
UPLOAD = "upload"
#: Longest run computed for the animation (updates = epochs × mini-batches per epoch, ~45 µs each).
MAX_UPDATES = 60_000
#: Keep-training mode: seconds of training per refresh, refreshes per second, and where it stops.
LIVE_SECONDS, LIVE_EVERY, LIVE_MAX_EPOCHS = 0.15, 0.4, 20_000
DEFAULT_UNITS = (4, 2, 2, 2, 2, 2)
ACTIVATION_LABELS = {name: a.label for name, a in ACTIVATIONS.items()}

PARAMS = [
    ChoiceParam("data", "Data set", "circle", options={**{k: d.label for k, d in DATASETS.items()},
                                                       UPLOAD: "Your own CSV…"}),
    IntParam("classes", "Classes", 3, low=3, high=5),
    IntParam("n", "Points", 300, low=4, high=1000, step=4),
    FloatParam("noise", "Noise", 0.0, low=0.0, high=0.5, step=0.05),
    FloatParam("test", "Test share", 0.5, low=0.0, high=0.9, step=0.1, fmt="%.1f",
               help=claim(checked.held_out, "The share of points held out to test on; they are never trained on.")),
    IntParam("seed", "Seed", 0, low=0, high=9999, kind="number",
             help="Seeds the data, the split, the initial weights and the batch order."),
    MultiChoiceParam("features", "Features the network sees", ("x1", "x2"),
                     options={k: f.label for k, f in FEATURES.items()}, kind="pills"),
    IntParam("layers", "Hidden layers", 2, low=0, high=MAX_LAYERS),
    *[IntParam(f"units{i}", f"Layer {i}: units", DEFAULT_UNITS[i - 1], low=1, high=16, kind="number")
      for i in range(1, MAX_LAYERS + 1)],
    *[ChoiceParam(f"act{i}", f"Layer {i}: activation", "tanh", options=ACTIVATION_LABELS)
      for i in range(1, MAX_LAYERS + 1)],
    ChoiceParam("output", "Output", "auto", options={"auto": "Sigmoid (2 classes) / softmax", "softmax": "Softmax"}),
    ChoiceParam("loss", "Loss", "log_loss", options=LOSSES),
    LogFloatParam("lr", "Learning rate η", 0.03, low=1e-4, high=10.0),
    ChoiceParam("optimizer", "Optimizer", "sgd", options={k: c.label for k, c in OPTIMIZERS.items()}),
    ChoiceParam("schedule", "Schedule", "constant", options=SCHEDULE_LABELS,
                help="How η changes over the epochs."),
    IntParam("batch", "Batch size", 10, low=1, high=500),
    IntParam("epochs", "Epochs", 200, low=10, high=2000, step=10),
    ChoiceParam("penalty", "Regularisation", "none", options=PENALTIES),
    LogFloatParam("alpha", "Regularisation rate α", 0.001, low=1e-4, high=10.0,
                  help=claim(checked.alpha_convention,
                             "α multiplies the penalty added to the mean loss (TensorFlow Playground's convention). "
                             "scikit-learn divides its α by the batch size, so the same α is that many times weaker "
                             "there.")),
    BoolParam("show_test", "Show test points", True),
    BoolParam("compare", "Compare with scikit-learn models", False),
]


def _preset(label: str, notice: str, **values) -> Preset:
    return Preset(label, values, notice)


GATE = {"n": 4, "noise": 0.0, "test": 0.0, "layers": 0, "features": ("x1", "x2"), "lr": 1.0, "batch": 4,
        "epochs": 300}
PRESETS = {
    "xor-line": _preset(
        "XOR: one neuron is not enough", claim(
            checked.xor_line, "With no hidden layer the network is a single neuron, and a neuron draws one straight "
            "line. XOR's classes sit in opposite corners, so no line separates them: the best one still gets about a "
            "quarter of these points wrong. The trained neuron does worse — cross-entropy on XOR's symmetric corners "
            "pulls its weights towards zero, and its accuracy stays near 50 %. Add a hidden layer of 4 units — or "
            "the x₁x₂ feature — and it learns."),
        data="xor", layers=0, features=("x1", "x2")),
    "xor-product": _preset(
        "XOR: the x₁x₂ feature does it", claim(checked.xor_product,
                                               "Give the same single neuron the product x₁x₂ and XOR becomes a "
                                               "straight cut: x₁x₂ > 0 is one class. Good features can replace "
                                               "hidden layers."),
        data="xor", layers=0, features=("x1", "x2", "x1x2")),
    "circle-squares": _preset(
        "Circle: x₁² + x₂² with no hidden layer", claim(checked.circle_squares,
                                                        "The circle's boundary is x₁² + x₂² = r². With the squared "
                                                        "features a single neuron learns exactly that — one line in "
                                                        "(x₁², x₂²), a circle in the plane."),
        data="circle", layers=0, features=("x1_sq", "x2_sq")),
    "spiral-depth": _preset(
        "Spiral: depth helps", claim(checked.spiral_depth,
                                     "One hidden layer of 8 units manages about 75 % on the spirals; four layers of "
                                     "8 wind the boundary around both arms (≈ 96 % on test). Set hidden layers to 1 "
                                     "to compare."),
        data="spiral", n=500, layers=4, units1=8, units2=8, units3=8, units4=8, optimizer="adam", lr=0.01,
        epochs=300),
    "overfit": _preset(
        "Overfitting: few noisy points, no regularisation", claim(checked.overfit,
                                                                  "60 noisy points and 3 layers of 8: training loss "
                                                                  "goes to zero while test loss climbs back up from "
                                                                  "about 0.3 to over 2 — the boundary bends around "
                                                                  "single points. Choose L2 with α = 0.03 and the "
                                                                  "test loss stays near its best."),
        data="gaussians", n=60, noise=0.5, layers=3, units1=8, units2=8, units3=8, optimizer="adam", lr=0.01,
        epochs=1000),
    "dead-relu": _preset(
        "Dead ReLU units at a large learning rate", claim(checked.dead_relu,
                                                          "At η = 3 the first big steps push most ReLU units below "
                                                          "zero for every point: about 9 of the 16 go dead (blank "
                                                          "tiles) and pass no gradient back (grad[z ≤ 0] = 0), so "
                                                          "accuracy sticks at 50 %. Switch the activations to leaky "
                                                          "ReLU and the same run learns the circle."),
        data="circle", layers=2, units1=8, units2=8, act1="relu", act2="relu", lr=3.0),
    "blobs": _preset(
        "Four classes with softmax", claim(checked.blobs,
                                           "Softmax gives each class its own output unit; the map shows the most "
                                           "probable class, paler where the network is unsure — along the borders "
                                           "between blobs."),
        data="blobs", classes=4, noise=0.3, layers=1, units1=6, optimizer="adam", lr=0.01),
    **{f"gate-{gate}": _preset(f"{name} gate with a single neuron", notice,
                               data=gate if gate != "xor" else "xor_gate", **GATE)
       for gate, name, notice in [
           ("and", "AND", claim(checked.linear_gate,
                                "AND is 1 only at (1, 1): one line cuts that corner off, so one neuron learns it.")),
           ("or", "OR", claim(checked.linear_gate,
                              "OR is 0 only at (0, 0): one line cuts that corner off, so one neuron learns it.")),
           ("nand", "NAND", claim(checked.linear_gate,
                                  "NAND is AND with the classes swapped: the same line, the other way round.")),
           ("nor", "NOR", claim(checked.linear_gate, "NOR is OR with the classes swapped: one neuron learns it.")),
           ("xor", "XOR", claim(checked.gate_xor,
                                "XOR is 1 at (0, 1) and (1, 0): no single line separates those from the other two "
                                "corners, so a single neuron gets at most 3 of 4 right. Add one hidden layer.")),
       ]},
    "gate-xor-hidden": _preset(
        "XOR gate with a hidden layer", claim(checked.gate_xor_hidden,
                                              "Two hidden units each draw a line; the output combines them, and XOR "
                                              "is learnt: all four rows right."),
        data="xor_gate", **{**GATE, "layers": 1, "units1": 4, "optimizer": "adam", "lr": 0.1}),
}


KEY = ("data", "layers", "lr", "epochs")
MORE = ("classes", "n", "noise", "test", "seed", "features", *(f"{name}{i}" for i in range(1, MAX_LAYERS + 1)
                                                           for name in ("units", "act")),
        "output", "loss", "optimizer", "schedule", "batch", "penalty", "alpha", "show_test", "compare")


# ------------------------------------------------------------------------------------------- computing


@st.cache_data(max_entries=32, show_spinner=False)
def split_data(data: str, n: int, noise: float, test: float, seed: int, classes: int):
    """The points, split; ``data`` names a data set, or ``upload:<digest>`` a table the user uploaded."""
    if data.startswith(f"{UPLOAD}:"):
        X, y = subsample(*uploaded_tables()[data], n, seed)  # big files: a stratified share, said on the page
        return split(X, y, test, seed)
    return make_split(data, n, noise, test, seed, classes)


def make_split(data: str, n: int, noise: float, test: float, seed: int, classes: int):
    """A built-in data set's points, split into training and test points, and the extent of the plane drawn."""
    return split(*make_dataset(data, n, noise, seed, n_classes=classes), test, seed)


def split(X, y, test: float, seed: int):
    X_train, X_test, y_train, y_test = train_test_split(X, y, test, seed)
    return X_train, X_test, y_train, y_test, grid_extent(X)


@st.cache_resource
def uploaded_tables() -> dict:
    """Uploaded point sets by ``upload:<digest>``, shared like the other caches (the newest 8 kept)."""
    return {}


def training_params(s: dict) -> dict:
    """The settings that say how the network trains (not what it is): ``MLPClassifier.set_params`` can give them
    to a network that is already training."""
    return {"penalty": s["penalty"], "alpha": s["alpha"] if s["penalty"] != "none" else 0.0,
            "solver": s["optimizer"], "learning_rate_init": s["lr"], "schedule": s["schedule"],
            "schedule_params": default_schedule_params(s["schedule"], s["epochs"]), "batch_size": s["batch"],
            "max_iter": s["epochs"]}


def network(s: dict) -> MLPClassifier:
    layers = tuple(s[f"units{i}"] for i in range(1, s["layers"] + 1))
    acts = tuple(s[f"act{i}"] for i in range(1, s["layers"] + 1))
    return MLPClassifier(layers, acts, output=s["output"], loss=s["loss"], random_state=s["seed"],
                         **training_params(s))


def inputs(s: dict):
    """The data, the grids and their features: what the network trains on and is drawn over."""
    return inputs_from(split_data(s["data"], s["n"], s["noise"], s["test"], s["seed"], s["classes"]), s)


def inputs_from(points: tuple, s: dict):
    """:func:`inputs` for the points of :func:`split_data` (or :func:`make_split`)."""
    X_train, X_test, y_train, y_test, extent = points
    xs, ys, grid = make_grid(extent, GRID)
    units = sum(s[f"units{i}"] for i in range(1, s["layers"] + 1))
    tile = tile_size(units, 100)
    _, _, tile_grid = make_grid(extent, tile)
    f = list(s["features"])
    labels = [f"{s[f'units{i}']} · {ACTIVATIONS[s[f'act{i}']].label}" for i in range(1, s["layers"] + 1)]
    data = BoundaryData(X_train, y_train, X_test, y_test, xs, ys, feature_map(tile_grid, f),
                        [FEATURES[name].label for name in f], labels,
                        n_classes=int(max(y_train.max(), y_test.max(initial=0)) + 1), tile=tile,
                        show_test=s.get("show_test", True))
    mapped = (feature_map(X_train, f), feature_map(X_test, f) if len(X_test) else X_test[:, :0].reshape(0, len(f)),
              feature_map(grid, f), feature_map(tile_grid, f))
    return data, mapped


#: Settings that change the page or the picture but not the training: left out of the training's cache key.
NOT_TRAINING = ("compare", "show_test")


DEFAULTS = defaults(PARAMS)


def settings_key(s: dict) -> tuple:
    """The training settings as a cache key. A setting the run does not use (a fifth layer's units in a
    two-layer network, α with no penalty, the class count of a data set that has its own) is keyed at its
    default, so moving it reuses the run instead of training the same network again. A widget may hold a
    list where the URL gave a tuple: same key."""
    unused = {f"{name}{i}" for name in ("units", "act") for i in range(s["layers"] + 1, MAX_LAYERS + 1)}
    unused |= {"alpha"} if s["penalty"] == "none" else set()
    unused |= {"classes"} if s["data"] != "blobs" else set()
    return tuple(sorted((k, DEFAULTS[k] if k in unused else tuple(v) if isinstance(v, list) else v)
                        for k, v in s.items() if k not in NOT_TRAINING))


@st.cache_resource(max_entries=24, show_spinner="Training the network…")
def trained(key: tuple, show_test: bool):
    """The run as the page reads it (curves, model, last snapshot), with its animation already drawn.

    Both come from one job in the worker process (``explorers.jobs.train_and_draw``): the run's every snapshot
    (1–8 MB) stays there, and drawing the animation (0.2–0.3 s) does not hold the server's interpreter. Showing
    the test points or not is another figure, so another job: the same seeded training again (0.1–1 s)."""
    s = dict(key)
    data, (F_train, F_test, F_grid, F_tiles) = inputs(s)
    data = replace(data, show_test=show_test)
    last, fig = run_heavy(train_and_draw, network(s), F_train, data.y_train, F_test, data.y_test, F_grid, F_tiles,
                          s["epochs"], data, default_template(), report=yield_on_progress)
    return last, data, (F_train, F_test, F_grid, F_tiles), fig


@st.cache_resource(max_entries=8, show_spinner="Fitting the scikit-learn models…")
def baseline_figure(data_key: tuple):
    s = dict(data_key)
    X_train, X_test, y_train, y_test, extent = split_data(*data_key_values(s))
    xs, ys, grid = make_grid(extent, GRID)
    n_classes = int(y_train.max()) + 1
    # the fits, and scikit-learn itself, stay in the worker process
    results = run_heavy(baseline_results, X_train, y_train, X_test, y_test, grid, n_classes, s["seed"])
    return results, draw(baseline_grid, results, X_train, y_train, X_test, y_test, xs, ys, n_classes)


def data_key_values(s: dict) -> tuple:
    return s["data"], s["n"], s["noise"], s["test"], s["seed"], s["classes"]


def updates_per_epoch(n_train: int, batch: int) -> int:
    """Mini-batch updates in one epoch: the last batch may be short, so ceil(n / B) (B at most n)."""
    return math.ceil(n_train / min(batch, n_train))


def epochs_within_budget(s: dict) -> int:
    """Epochs that fit in MAX_UPDATES updates for this data and batch size."""
    return epochs_for(len(split_data(*data_key_values(s))[0]), s)


def epochs_for(n_train: int, s: dict) -> int:
    """:func:`epochs_within_budget` for ``n_train`` training points."""
    return max(1, min(s["epochs"], MAX_UPDATES // updates_per_epoch(n_train, s["batch"])))


#: Training settings: while training live, a change to one of these is applied to the running network (see
#: :func:`retune`); a change to anything else in the training's key (the data, the features, the layers, the
#: output, the loss) starts live training again from the animation's last epoch.
TRAINING = ("lr", "optimizer", "schedule", "batch", "epochs", "penalty", "alpha")


def live_key(s: dict) -> tuple:
    """What defines the live network and its data: the training's key without the training settings."""
    return tuple((k, v) for k, v in settings_key(s) if k not in TRAINING)


def training_settings(s: dict) -> dict:
    """The training settings as the page compares them; one that does nothing now (α with no penalty, the
    run's length with a constant schedule) is None, so moving it is not news."""
    now = {k: s[k] for k in TRAINING}
    now["alpha"] = now["alpha"] if s["penalty"] != "none" else None
    now["epochs"] = now["epochs"] if s["schedule"] != "constant" else None
    return now


def start_live(s: dict, run, data, mapped, news: list[str]) -> dict:
    """A session's own live run, from the animation's last epoch (the cached run is shared by every session)."""
    return {"key": live_key(s), "training": training_settings(s), "run": replace(run, model=copy.deepcopy(run.model)),
            "data": data, "mapped": mapped, "news": news}


def current_lr(model: MLPClassifier) -> float:
    """The learning rate the network's next epoch uses: η times the schedule's factor (past the end of the
    schedule, its last factor)."""
    return model.learning_rate_init * float(model.lr_factors_[min(model.n_iter_, model.max_iter - 1)])


def retune(live: dict, s: dict) -> str | None:
    """Give the live network the changed training settings of ``s``; returns what changed, in words (None when
    nothing did). Training goes on from the current weights; a new optimizer starts from a fresh state."""
    old, new = live["training"], training_settings(s)
    if old == new:
        return None
    run = live["run"]
    run.model.set_params(**training_params(s))
    live["training"] = new
    live["run"] = replace(run, diverged_at=None, reason=None)  # with the new settings it may go on
    labels = {"optimizer": {k: c.label for k, c in OPTIMIZERS.items()}, "schedule": SCHEDULE_LABELS,
              "penalty": PENALTIES}
    words = {"lr": "η", "optimizer": "the optimizer", "schedule": "the schedule", "batch": "the batch size",
             "epochs": "the schedule's length (epochs)", "penalty": "the regularisation", "alpha": "α"}
    changes = []
    for name in TRAINING:
        if old[name] != new[name] and new[name] is not None:
            value = labels.get(name, {}).get(new[name], new[name])
            changes.append(f"{words[name]} changed to {value:g}" if isinstance(value, float) else
                           f"{words[name]} changed to {value}")
    if not changes:
        return None
    epoch = len(run.train_loss) - 1
    text = f"{'; '.join(changes)} at epoch {epoch}: training continues from the current weights"
    if old["optimizer"] != new["optimizer"]:
        text += f", with a fresh {OPTIMIZERS[new['optimizer']].label} state (its step count and averages start again)"
    if s["schedule"] != "constant":
        text += f". The next epoch's η is {current_lr(run.model):.3g} (the schedule's factor applied)"
    return text + "."


def results_table(run, results, has_test: bool) -> pd.DataFrame:
    rows = [{"model": "this network (NumPy)", "train accuracy": run.train_accuracy[-1],
             "test accuracy": run.test_accuracy[-1] if has_test else None, "fit time (ms)": 1000 * run.seconds}]
    rows += [{"model": r.label, "train accuracy": r.train_accuracy, "test accuracy": r.test_accuracy,
              "fit time (ms)": 1000 * r.fit_seconds} for r in results]
    return pd.DataFrame(rows)



def data_settings(s: dict) -> tuple:
    """The data settings as :func:`baseline_figure`'s cache key."""
    return tuple(sorted((k, s[k]) for k in ("data", "n", "noise", "test", "seed", "classes")))


def warm(values: dict) -> None:
    """Compute what the page computes for ``values`` (every control's value): the training run and its
    animation, and the scikit-learn comparison when ``compare`` is on. A view with the visitor's own table
    (nothing to compute before an upload) or whose settings cannot be computed is skipped (the page explains it
    to whoever opens it)."""
    if values["data"] == UPLOAD:
        return
    s = dict(values)
    s["features"] = s["features"] or ("x1", "x2")  # as the page falls back
    try:
        s["epochs"] = epochs_within_budget(s)  # the page trains at most this many (and says so)
        trained(settings_key(s), s["show_test"] or not s["test"])
        if s["compare"]:
            baseline_figure(data_settings(s))
    except ValueError:
        pass
