"""Jupyter notebooks that reproduce an explorer's current view with plain ``core`` calls, and run anywhere.

``notebook_for(page, values, link)`` writes an ``.ipynb`` (nbformat v4) whose cells are: what the view shows and
the link to it; the page's parameters, one line each; the key equations; the app's own code that the notebook
calls, copied in module by module (``ui.notebook_source``), so the notebook needs only numpy, scipy,
scikit-learn, pandas and plotly and no clone of the app; the page's computation as commented ``core`` calls
(small helpers copied in); the numbers the
page shows; and the page's own figure, built by the same ``viz`` function. Each recipe mirrors what the page's
cached functions do for its main view, so running the notebook draws the figure the page drew
(``tests/test_notebooks.py`` runs every one outside the repository and compares).

No Streamlit drawing here: the notebook is built from the values the page passes in (labelled as the explorer
declares them), and this module is tested alone.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Callable

from ui.notebook_source import Carried, app_imports_of, bindings_of, carry
from ui.registry import explorer

#: Shown when a page's data is an uploaded table: the notebook could not recreate it from parameters.
UPLOAD_REFUSAL = ("Notebooks reproduce the built-in data only: an uploaded table is not part of the link or the "
                  "parameters, so the notebook could not recreate it. Choose a built-in data set to export one.")

SHOW_NUMBERS = '''
for name, value in numbers.items():
    print(f"{name:<34} {value:.6g}" if isinstance(value, float) else f"{name:<34} {value}")'''


@dataclass(frozen=True)
class Recipe:
    """How one page becomes a notebook.

    ``params(values)`` lists the name of every parameter the code reads, in the order of the cell (each is
    labelled as the page labels it, from the explorer's declarations);
    ``steps(values)`` are the computation as ``(markdown, code)`` pairs; ``numbers`` is the code that fills the
    dict ``numbers`` with what the page shows in its metrics; ``figure`` builds ``fig``; ``uploaded(values)``
    says whether the view's data is an uploaded table (which no notebook can reproduce).
    """

    intro: str
    equations: Callable[[dict], list[str]]
    params: Callable[[dict], list[tuple[str, str]]]
    steps: Callable[[dict], list[tuple[str, str]]]
    numbers: str
    figure: str
    uploaded: Callable[[dict], bool] = lambda values: False


def _declared(page: str):
    """The explorer's declarations module (its equations are the page's Math & code panel's)."""
    return explorer(page).declarations()


def _code(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


# ------------------------------------------------------------------------------------------- fit a line

FIT_LINE = Recipe(
    intro="Gradient descent fits `y = w·x + b` to noisy points by walking (w, b) downhill on the mean squared "
          "error. The learning rate alone decides between crawling, converging and exploding.",
    equations=lambda v: [*_declared("fit-a-line").EQUATIONS, _declared("fit-a-line").HESSIAN,
                         _declared("fit-a-line").STABLE_RATE],
    params=lambda v: ["lr", "steps", "w0", "b0", "n", "noise", "w_true", "b_true", "seed"],
    steps=lambda v: [("## The data and the run", _code('''
        from core.datasets import make_line
        from core.gradient_descent import max_stable_learning_rate
        from core.linear_model import LinearRegressionGD, least_squares_line, mse_hessian, mse_loss
        from viz.line_fit import fit_animation

        # n points scattered with noise σ around the true line y = w_true·x + b_true
        x, y = make_line(n, w=w_true, b=b_true, noise=noise, random_state=seed)

        # Gradient descent from (w0, b0): each of the `steps` updates moves (w, b) by −η∇L.
        # The trajectory holds every step's (w, b), loss and gradient; it stops early if the run blows up.
        model = LinearRegressionGD(learning_rate=lr, n_steps=steps, w0=w0, b0=b0).fit(x, y)
        traj = model.trajectory_

        # Where gradient descent should end: the least-squares line, in closed form
        optimum = least_squares_line(x, y)

        # The loss is a quadratic bowl with Hessian H: gradient descent converges only for η < 2/λ_max(H)
        lr_max = max_stable_learning_rate(mse_hessian(x))'''))],
    numbers=_code('''
        final = traj.params[-1]
        numbers = {
            "w after the run": float(final[0]),
            "b after the run": float(final[1]),
            "loss after the run": float(traj.loss[-1]),
            "steps taken": int(traj.n_steps),
            "diverged at step": traj.diverged_at,
            "least-squares w": float(optimum[0]),
            "least-squares b": float(optimum[1]),
            "least-squares loss": float(mse_loss(optimum, x, y)),
            "largest stable η, 2/λ_max": float(lr_max),
        }''') + SHOW_NUMBERS,
    figure=_code('''
        # The page's animation: the line fitting the points, and (w, b) walking over the loss contours (press ▶)
        fig = fit_animation(x, y, traj, optimum=optimum, true_line=lambda t: w_true * t + b_true)
        fig.show()'''),
)


# ------------------------------------------------------------------------------------------- optimizers

def _racers(v: dict) -> tuple:
    return tuple(v["opts"]) or ("sgd",)


def _optimizer_params(v: dict) -> list[str]:
    params = ["surface", "expr", "condition", "angle", "opts", "lr"]
    if v["per_lr"]:
        params += [f"lr_{name}" for name in v["opts"]]
    return params + ["steps", "beta", "beta2", "wd", "schedule", "x0", "y0"]


def _learning_rates(v: dict) -> str:
    if not v["per_lr"]:
        return "lrs = (lr,) * len(opts)  # one learning rate for every racer"
    own = ", ".join(f"lr_{name}" for name in v["opts"])
    return f"lrs = ({own}{',' if len(v['opts']) == 1 else ''})  # each racer's own learning rate"


OPTIMIZERS_RACE = Recipe(
    intro="Every racer starts at the same point and sees the same gradients; only the update rule differs. "
          "Notice where plain gradient descent zig-zags or stalls, and what momentum and adaptive steps change.",
    equations=lambda v: [r"g_k = \nabla f(\theta_k)",
                         *[rule for name in _racers(v) for rule in _declared("optimizers").UPDATE_RULES[name]]],
    params=_optimizer_params,
    steps=lambda v: [("## The surface and the race", _code('''
        from core.optimizers import race_summary
        from explorers.jobs import race_on
        from viz.race import race_animation

        LEARNING_RATES
        if not opts:  # with no optimizer picked, the page races plain gradient descent
            opts, lrs = ("sgd",), (lr,)

        # The page's own race, `race_on` (its code is in the app's code above): the surface, then every racer
        # from (x0, y0) on the same gradients, the schedule scaling η step by step ("constant" leaves it alone)
        objective, result = race_on(surface, expr, condition, angle, opts, lrs, beta, beta2, wd, schedule, steps,
                                    (x0, y0))
        if result is None:
            raise ValueError("f or its gradient is not finite at the start (x0, y0): pick another start.")''').replace(
        "LEARNING_RATES", _learning_rates(v)))],
    numbers=_code('''
        # One row per racer, as in the page's table
        rows = race_summary(result, objective.minima)
        numbers = {row["optimizer"]: {"final loss": row["final loss"],
                                      "distance to nearest minimum": row["distance to nearest minimum"],
                                      "diverged at step": row["diverged at step"]} for row in rows}
        for name, row in numbers.items():
            print(f"{name:<24}", ", ".join(f"{key} {value:.4g}" if isinstance(value, float) else f"{key} {value}"
                                         for key, value in row.items()))'''),
    figure=_code('''
        # The page's race: every racer's path over the contours, with its next step, gradient and velocity (press ▶)
        fig = race_animation(objective, result)
        fig.show()'''),
)


# ------------------------------------------------------------------------------------------- decision boundary


def _boundary_params(v: dict) -> list[str]:
    layers = range(1, v["layers"] + 1)
    return ["data", "classes", "n", "noise", "test",
            "seed", "features", "layers",
            *[f"units{i}" for i in layers],
            *[f"act{i}" for i in layers],
            "output", "loss", "lr", "optimizer",
            "schedule", "batch", "epochs", "penalty",
            "alpha", "show_test"]


def _boundary_steps(v: dict) -> list[tuple[str, str]]:
    # one entry per "name": name, never split between the two (\x00 holds the space until the lines are made)
    entries = textwrap.wrap(", ".join(f'"{name}":\x00{name}' for name in _boundary_params(v)), width=100,
                            break_long_words=False, break_on_hyphens=False)
    settings = "{\n" + "\n".join("    " + line.replace("\x00", " ") for line in entries) + "\n}"
    return [
        ("## The data", _code('''
            from core.training import record_training
            from explorers.boundary import MAX_UPDATES, epochs_for, inputs_from, make_split, network
            from viz.boundary import boundary_animation

            # The page's controls in one dict, as the page's own functions (copied above) read them
            s = SETTINGS
            s["features"] = s["features"] or ("x1", "x2")  # with no feature picked, the page uses x₁ and x₂

            # The points, split into a training and a test set (the test points are never trained on)
            points = make_split(data, n, noise, test, seed, classes)

            # Longer runs are cut to the epochs that fit in MAX_UPDATES mini-batch updates, as on the page
            s["epochs"] = epochs_for(len(points[0]), s)
            if s["epochs"] < epochs:
                print(f"{epochs} epochs at batch size {batch} is more than {MAX_UPDATES:,} updates: "
                      f"training the first {s['epochs']}.")''').replace("SETTINGS", settings)),
        ("## The features the network sees, over the points and the plane", _code('''
            # The decision map's grid, each hidden unit's tile grid, and the features of the points and grids
            drawn, (F_train, F_test, F_grid, F_tiles) = inputs_from(points, s)''')),
        ("## The network, trained epoch by epoch", _code('''
            model = network(s)
            # Trains and records snapshots: the class probabilities over the grid, every unit's output, the weights,
            # the losses and accuracies after each epoch
            run = record_training(model, F_train, drawn.y_train, F_test, drawn.y_test, F_grid, F_tiles,
                                  epochs=s["epochs"])''')),
    ]


BOUNDARY = Recipe(
    intro="A small neural network, written in NumPy, trains on points in the plane: the boundary forms, each hidden "
          "unit finds its feature, and the weights grow. Notice which problems need hidden layers, which need only "
          "better features, and when the test loss turns back up.",
    equations=lambda v: [
        r"z^{(l)} = a^{(l-1)} W^{(l)} + b^{(l)},\qquad a^{(l)} = \phi_l\big(z^{(l)}\big)",
        r"p = \sigma(z^{(L)})\ \text{(2 classes)}\quad\text{or}\quad p_k = \frac{e^{z_k}}{\sum_j e^{z_j}}",
        r"J(\theta) = \frac1n \sum_i \ell(p_i, y_i) + \text{penalty},\qquad \ell = -\sum_k y_k \log p_k",
        r"\delta^{(l-1)} = \big(\delta^{(l)} W^{(l)\top}\big) \odot \phi_{l-1}'\big(z^{(l-1)}\big),\qquad "
        r"\frac{\partial J}{\partial W^{(l)}} = a^{(l-1)\top} \delta^{(l)}",
    ],
    params=_boundary_params,
    steps=_boundary_steps,
    numbers=_code('''
        numbers = {
            "epochs trained": len(run.train_loss) - 1,
            "diverged at epoch": run.diverged_at,
            "training loss": float(run.train_loss[-1]),
            "train accuracy": float(run.train_accuracy[-1]),
            "test loss": float(run.test_loss[-1]),  # NaN without a test set
            "test accuracy": float(run.test_accuracy[-1]),
            "parameters": int(run.model.theta_.size),
        }''') + SHOW_NUMBERS,
    figure=_code('''
        # The page's animation: decision map, the network with every unit's tile, loss and accuracy curves, and the
        # confusion matrix, epoch by epoch (press ▶)
        fig = boundary_animation(run, drawn)
        fig.show()'''),
    uploaded=lambda v: str(v["data"]).startswith("upload"),
)


# ------------------------------------------------------------------------------------------- batch size

BATCH_SIZE = Recipe(
    intro="Mini-batch SGD estimates the gradient from B examples. Batch sizes race on one line-fit loss surface: a "
          "small batch is a noisy but cheap step, a large batch an accurate but expensive one.",
    equations=lambda v: _declared("batch-size").EQUATIONS,
    params=lambda v: ["n", "noise", "seed", "sizes", "lr", "scale_lr", "steps", "sampling", "optimizer", "x_axis"],
    steps=lambda v: [("## The race", _code('''
        from core.datasets import make_line
        from core.linear_model import least_squares_line
        from explorers.batch_size import THETA0, chosen_sizes, sizes_of, surface
        from explorers.jobs import batch_race
        from viz.batch_lab import batch_label, paths_animation

        # The data: n noisy points on a line; the loss is the mean over the points of each one's squared error
        x, y = make_line(n, noise=noise, random_state=seed)

        # The batch sizes racing ("full" = all n points), smallest first; with none picked, as on the page
        batch_sizes = sizes_of(chosen_sizes(sizes), n)

        # The page's own race, `batch_race` (its code is in the app's code above): every racer takes the same
        # number of steps from THETA0, each from its own mini-batches (with the linear rule a racer's η is
        # scaled by B / the smallest B racing), and the gradient noise scale B_simple along each path
        runs, noise_along = batch_race(x, y, THETA0, batch_sizes, lr, scale_lr, steps, sampling == "replace",
                                       optimizer, seed)
        optimum = least_squares_line(x, y)
        labels = [batch_label(B, n) for B in batch_sizes]'''))],
    numbers=_code('''
        # One row per racer, as in the page's table (run.seconds is wall-clock time, so it is left out)
        numbers = {label: {"η": float(run.lr[0]) if len(run.lr) else lr, "final loss": float(run.full_loss[-1]),
                           "examples seen": int(run.examples[-1]), "diverged at step": run.diverged_at}
                   for run, label in zip(runs, labels)}
        for label, row in numbers.items():
            print(f"{label:<18}", ", ".join(f"{key} {value:.4g}" if isinstance(value, float) else f"{key} {value}"
                                           for key, value in row.items()))'''),
    figure=_code('''
        # The page's race: the paths over the loss contours, and the loss per step, per example seen (or second of
        # compute) and the noise scale along each path (press ▶)
        fig = paths_animation(runs, labels, surface(x, y, runs, optimum), noise_along, x_axis, optimum)
        fig.show()'''),
)


# ------------------------------------------------------------------------------------------- PCA vs t-SNE

EMBEDDINGS = Recipe(
    intro="The same points through PCA's projection and t-SNE's optimisation, replayed iteration by iteration — "
          "and numbers that measure how well each view keeps every point's neighbours.",
    equations=lambda v: _declared("pca-vs-tsne").EQUATIONS,
    params=lambda v: ["data", "n", "noise", "standardize", "seed", "perplexity", "lr", "exaggeration", "iterations",
                      "pc_x", "pc_y"],
    steps=lambda v: [
        ("## The data", _code('''
            from core.embedding_data import make_embeddable, subsample
            from explorers.jobs import embed_table
            from viz.embedding import side_by_side

            # The table: synthetic sets are made n points large; larger real tables are subsampled to n points
            points = make_embeddable(data, n, noise, seed)
            if points.n_samples > n:
                points, note = subsample(points, n, seed)
                print(note)''')),
        ("## PCA, then t-SNE", _code('''
            # The page's own computation, `embed_table` (its code is in the app's code above): the table
            # standardised when asked, PCA and every point's scores, t-SNE with the snapshots the animation replays,
            # and how well each 2-D view keeps neighbours (trustworthiness, and the share of each point's k nearest
            # neighbours that stay its nearest on the page)
            result = embed_table(points.X, standardize, perplexity, lr, exaggeration, iterations, seed)
            pca, scores, tsne, quality = result["pca"], result["scores"], result["tsne"], result["quality"]
            k = min(10, result["quality_rows"] - 2)
            if result["quality_rows"] < points.n_samples:
                print(f"Trustworthiness and neighbours kept are measured on a random sample of "
                      f"{result['quality_rows']:,} of the {points.n_samples:,} points, as on the page.")''')),
    ],
    numbers=_code('''
        numbers = {
            "trustworthiness: PCA": float(quality["pca"][0]),
            "trustworthiness: t-SNE": float(quality["tsne"][0]),
            f"{k}-NN kept: PCA": float(quality["pca"][1]),
            f"{k}-NN kept: t-SNE": float(quality["tsne"][1]),
            "t-SNE KL(P ‖ Q)": float(tsne.kl_divergence_),
            "PCA variance shown": float(pca.explained_variance_ratio_[min(pc_x, pca.n_components_) - 1]
                                        + (pca.explained_variance_ratio_[min(pc_y, pca.n_components_) - 1]
                                           if pc_y != pc_x else 0.0)),
        }''') + SHOW_NUMBERS,
    figure=_code('''
        # The page's figure: PCA on the chosen components (left) beside the t-SNE replay (right, press ▶)
        pc_x, pc_y = min(pc_x, pca.n_components_), min(pc_y, pca.n_components_)
        ratio = pca.explained_variance_ratio_
        # every point carries its row in the data set (points.rows): hovering shows it with the label
        fig = side_by_side(scores[:, [pc_x - 1, pc_y - 1]], tsne.frames_, tsne.frame_iters_, points.labels,
                           points.label_names, rows=points.rows,
                           pca_axes=(f"PC {pc_x} ({ratio[pc_x - 1]:.0%} of variance)",
                                     f"PC {pc_y} ({ratio[pc_y - 1]:.0%} of variance)"),
                           exaggeration_until=min(250, tsne.max_iter))
        fig.show()'''),
    uploaded=lambda v: v["data"] == "upload",
)


# ------------------------------------------------------------------------------------------- calibration

CALIBRATION = Recipe(
    intro="A classifier's score is a promise, and a threshold turns it into a decision. At a low prevalence a model "
          "keeps its place on the ROC curve, yet its accuracy climbs while its precision falls: the accuracy "
          "paradox.",
    # the page's equations, and the two the paradox's animation plots against the prevalence π
    equations=lambda v: [
        *_declared("calibration").EQUATIONS,
        r"\text{precision}(\pi) = \frac{\pi\,\text{TPR}}{\pi\,\text{TPR} + (1 - \pi)\,\text{FPR}}",
        r"\text{accuracy}(\pi) = \pi\,\text{TPR} + (1 - \pi)(1 - \text{FPR})",
    ],
    params=lambda v: ["prevalence", "separation", "copies", "n", "seed", "model", "cal_share", "use", "t", "deploy"],
    steps=lambda v: [
        ("## The data, the model and the calibrators", _code('''
            import numpy as np

            from baselines.scorers import fit_scores
            from core.calibration import CALIBRATORS
            from core.datasets_2d import train_test_split
            from core.imbalanced_data import make_imbalanced, with_copies
            from core.thresholds import at_threshold, average_precision_score, roc_auc_score, threshold_table
            from viz.calibration import paradox_animation, score_histogram, threshold_explorer

            TEST_SHARE = 0.3  # rows kept aside to judge the model and the calibrators

            # Two Gaussian classes, one positive in every `prevalence` rows, plus `copies` noisy copies of the features
            X, y = make_imbalanced(n, 1 / int(prevalence), separation, 2, seed)
            X = with_copies(X, copies, random_state=seed)

            # Train / calibration / test split: the calibrators are fitted on rows the model never saw
            X_rest, X_test, y_rest, y_test = train_test_split(X, y, TEST_SHARE, seed)
            X_train, X_cal, y_train, y_cal = train_test_split(X_rest, y_rest, cal_share / (1 - TEST_SHARE), seed)
            scores = fit_scores(model, X_train, y_train, np.vstack([X_cal, X_test]), seed)
            s_cal, s_test = scores[:len(X_cal)], scores[len(X_cal):]

            # Each calibrator fitted on the calibration split, applied to the test scores
            calibrated = {name: cls().fit(s_cal, y_cal).predict(s_test) for name, (_, cls) in CALIBRATORS.items()}''')),
        ("## Every threshold at once, then the one you chose", _code('''
            p_test = calibrated[use]  # the scores used for decisions
            table = threshold_table(y_test, p_test, probabilities=True)  # counts and rates at every threshold
            roc_auc, ap = roc_auc_score(y_test, p_test), average_precision_score(y_test, p_test)
            row = at_threshold(table, t)  # the confusion matrix and its rates at your threshold''')),
    ],
    numbers=_code('''
        numbers = {
            "caught (TP)": int(row.tp), "missed (FN)": int(row.fn),
            "wrongly flagged (FP)": int(row.fp), "correctly passed (TN)": int(row.tn),
            "precision": float(row.precision), "recall (TPR)": float(row.recall), "FPR": float(row.fpr),
            "accuracy": float(row.accuracy), "balanced accuracy": float(row.balanced_accuracy), "MCC": float(row.mcc),
            "ROC AUC": float(roc_auc), "average precision": float(ap),
        }''') + SHOW_NUMBERS,
    figure=_code('''
        # The page's threshold explorer: score histograms per class, ROC and precision–recall curves with your
        # threshold's point, and the confusion matrix
        threshold_fig = threshold_explorer(table, score_histogram(p_test, y_test), t)
        threshold_fig.show()

        # The page's accuracy-paradox animation: the same recall and false-positive rate as positives get rarer,
        # starting at the prevalence where the model is used (press ▶). Like the page, it takes the rates to 6
        # significant digits.
        fig = paradox_animation(float(f"{row.recall:.6g}"), float(f"{row.fpr:.6g}"), int(deploy))
        fig.show()'''),
    uploaded=lambda v: v["source"] == "upload",
)


RECIPES: dict[str, Recipe] = {
    "fit-a-line": FIT_LINE,
    "optimizers": OPTIMIZERS_RACE,
    "decision-boundary": BOUNDARY,
    "batch-size": BATCH_SIZE,
    "pca-vs-tsne": EMBEDDINGS,
    "calibration": CALIBRATION,
}
#: The pages that can export a notebook (by URL path).
NOTEBOOK_PAGES = tuple(RECIPES)


def notebook_file_name(page: str) -> str:
    """The download's file name, e.g. ``fit-a-line.ipynb``."""
    _recipe(page)
    return f"{page}.ipynb"


def _recipe(page: str) -> Recipe:
    if page not in RECIPES:
        raise ValueError(f"No notebook for page {page!r}; pages with notebooks: {', '.join(NOTEBOOK_PAGES)}.")
    return RECIPES[page]


def _plain(value):
    """A control's value as plain Python (a multiselect may hold a list, a number may be a NumPy scalar)."""
    if isinstance(value, list):
        return tuple(value)
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return value.item()
    return value


def _lacking(page: str, names) -> ValueError:
    return ValueError(f"The values for {page!r} lack {', '.join(names)}: pass the page's View.values().")


def parameter_lines(page: str, values: dict) -> list[str]:
    """``name = <repr(value)>  # <label>``, one line per parameter the page's recipe reads."""
    try:
        params = _recipe(page).params(values)
    except KeyError as error:  # a value that decides which parameters there are (layers, per_lr) is missing
        raise _lacking(page, error.args) from None
    missing = [name for name in params if name not in values]
    if missing:
        raise _lacking(page, missing)
    labels = {param.name: param.label for param in explorer(page).declarations().PARAMS}  # the page's own
    return [f"{name} = {_plain(values[name])!r}  # {labels[name]}" for name in params]


def notebook_refusal(page: str, values: dict) -> str | None:
    """Why ``page``'s view at ``values`` cannot become a notebook (its data is an uploaded table), or None.

    Cheap, for deciding on every rerun whether to offer the download; :func:`notebook_for` raises the same reason.
    """
    try:
        uploaded = _recipe(page).uploaded(values)
    except KeyError as error:
        raise _lacking(page, error.args) from None
    return UPLOAD_REFUSAL if uploaded else None


def notebook_for(page: str, values: dict, link: str) -> str:
    """The ``.ipynb`` text of a notebook that reproduces ``page``'s view at ``values`` with ``core`` calls.

    Parameters
    ----------
    page : the explorer's URL path, one of :data:`NOTEBOOK_PAGES`.
    values : the page's control values (``View.values()``: parameter name → value).
    link : the shareable link to the view, quoted in the notebook's first cell.

    Raises ``ValueError`` for an unknown page, missing values, or a view of uploaded data (which no
    notebook can recreate from parameters).
    """
    import nbformat  # with its JSON-schema stack: ~0.2 s and ~100 modules, paid only when someone exports
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    recipe = _recipe(page)
    values = {name: _plain(value) for name, value in values.items()}
    refusal = notebook_refusal(page, values)
    if refusal:
        raise ValueError(refusal)
    lines = parameter_lines(page, values)
    info = explorer(page)
    steps, entries = [], []
    for heading, code in recipe.steps(values):
        code, used = _without_app_imports(code)
        steps.append((heading, code))
        entries += used
    own = "\n\n".join(["\n".join(lines), *(code for _, code in steps), recipe.numbers, recipe.figure])
    carried = carry(entries, bindings_of(own))
    intro = "\n\n".join([
        f"# {info.icon} {info.title}",
        recipe.intro,
        "This notebook reproduces **the view you exported** with the same `core` calls the page makes: the page's "
        "controls are in the *Parameters* cell, the app's own code follows, then the computation step by step, "
        "and the last cell draws the page's own figure. Change a parameter and run all cells to explore further.",
        f"**The view:** <{link}>",
        "**To run it:** anywhere, with Python and `pip install numpy scipy scikit-learn pandas plotly` — plus "
        "Jupyter itself if you don't have it (`pip install notebook`), or open it in VS Code. No copy of ML Math "
        "Explorer is needed: the code of the app it uses is in the notebook.",
    ])
    cells = [
        new_markdown_cell(intro),
        new_markdown_cell("## Parameters\n\nThe page's controls when you exported it."),
        new_code_cell("\n".join(lines), metadata={"tags": ["parameters"]}),
        new_markdown_cell("## The math\n\n" + "\n\n".join(f"$$\n{eq}\n$$" for eq in recipe.equations(values))),
        new_markdown_cell(_CARRIED_INTRO),
    ]
    for module in carried:
        cells += [new_markdown_cell(_carried_note(module)),
                  new_code_cell(module.code, metadata={"tags": ["app-code"], "jupyter": {"source_hidden": True}})]
    for heading, code in steps:
        cells += [new_markdown_cell(heading), new_code_cell(code)]
    cells += [new_markdown_cell("## The numbers the page shows"), new_code_cell(recipe.numbers),
              new_markdown_cell("## The figure"), new_code_cell(recipe.figure)]
    for i, cell in enumerate(cells):
        cell.id = f"{page}-{i}"  # stable ids: the same view always gives the same file
    nb = new_notebook(cells=cells, metadata={
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
        "title": info.title,
    })
    nbformat.validate(nb)
    return nbformat.writes(nb)


_CARRIED_INTRO = (
    "## The app's code\n\n"
    "The cells of this section are ML Math Explorer's own code — the functions and classes the steps below call, "
    "and what they need in turn — as the page's *Math & code* panel shows it. Run them as they are; their code is "
    "folded (click the bar left of a cell to unfold it).")


def _carried_note(module: Carried) -> str:
    names = ", ".join(f"`{name}`" for name in module.wanted)
    note = (f"### `{module.path}`\n\nThe code below is the app's own `{module.path}`, copied so this notebook runs "
            "anywhere: " + (f"{names} and what {'it needs' if len(module.wanted) == 1 else 'they need'}."
                            if names else "the parts of it that the other copied code needs."))
    for _, why in module.replaced:
        note += f" One definition differs from the app's: {why}"
    if module.renamed:
        note += (" Renamed so that it can share the notebook with the other copies, which use the same name: "
                 + ", ".join(f"`{old}` is `{new}` here" for old, new in module.renamed) + ".")
    return note


def _without_app_imports(code: str) -> tuple[str, list[tuple[str, str]]]:
    """``code`` with its ``from core… import`` lines replaced by one comment, and the ``(module, name)`` they import:
    those names are the app's code, carried into the notebook above."""
    entries, spans = app_imports_of(code)
    if not spans:
        return code, []
    lines = code.splitlines()
    names = ", ".join(dict.fromkeys(name for _, name in entries))
    comment = textwrap.fill(names, width=110, initial_indent="# From the app's code above: ",
                            subsequent_indent="#     ")
    for start, end in reversed(spans):
        lines[start - 1:end] = [comment] if start == spans[0][0] else []
    return "\n".join(lines), entries
