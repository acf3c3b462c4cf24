"""The explorers' long computations as module-level functions of plain values and arrays.

:func:`server.workers.run_heavy` sends these to a worker process by pickle, and the worker imports this module, so
it imports ``core`` and NumPy only (no Streamlit; Plotly only for a job that draws, imported when it runs). A job
that is already a ``core`` function of plain values (``fit_scores``) is sent as it is; the ones here build what
does not pickle (a model factory, a t-SNE with a progress callback) on the worker's side, or draw there.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass

import numpy as np

from core.neural_net import MLPClassifier
from core.pca import PCA
from core.sharpness import sharpness_by_batch_size
from core.training import record_training
from core.tsne import AUTO_FFT_MIN_SAMPLES, TSNE, knn_preservation, trustworthiness


def scaled(X, standardize: bool) -> np.ndarray:
    """Columns standardised (a constant column stays 0), or X as it is."""
    if not standardize:
        return X
    scale = X.std(axis=0)
    return (X - X.mean(axis=0)) / np.where(scale > 0, scale, 1.0)


#: The quality numbers (trustworthiness, kNN kept) are O(n²): above this many points they are measured on a seeded
#: random sample of this size (at 20,000 points in 50-D the full measures took ~165 s, the sample well under 1 s).
QUALITY_ROWS = 2000


def quality_sample(n: int, seed: int, rows: int = QUALITY_ROWS) -> np.ndarray | None:
    """The rows (sorted) the quality numbers are measured on, or None when all ``n`` are (n ≤ ``rows``)."""
    if n <= rows:
        return None
    return np.sort(np.random.default_rng(seed).choice(n, size=rows, replace=False))


def embedding_quality(X, maps: dict, seed: int) -> tuple[dict, int]:
    """(trustworthiness at k = 5, share of the k = 10 nearest neighbours kept) of each 2-D map in ``maps``, and
    the number of points they were measured on: all of them, or :data:`QUALITY_ROWS` chosen with ``seed``."""
    sample = quality_sample(len(X), seed)
    pick = (lambda A: A) if sample is None else (lambda A: A[sample])
    Xs = pick(X)
    k = min(10, len(Xs) - 2)
    return ({name: (trustworthiness(Xs, pick(Y), n_neighbors=5), knn_preservation(Xs, pick(Y), k=k))
             for name, Y in maps.items()}, len(Xs))


#: While t-SNE runs, its map so far goes with a progress report about this often (seconds) at up to
#: :data:`PREVIEW_POINTS` points, and proportionally less often above (a larger map takes longer to send and draw).
PREVIEW_EVERY_S = 0.4
PREVIEW_POINTS = 2000


@dataclass(frozen=True)
class MapSoFar:
    """A running t-SNE's map (``embedding``, float32), carried by a progress report so the page can draw the run
    as it goes; the first one also carries PCA's ``scores`` and ``explained_variance_ratio`` (the left panel),
    later ones None."""

    embedding: np.ndarray
    scores: np.ndarray | None = None
    explained_variance_ratio: np.ndarray | None = None


class _MapReports:
    """t-SNE's ``map_callback`` for :func:`embed_table`: each call is a ``report(done, total)``; the first, and then
    one about every ``every`` seconds, also carries a :class:`MapSoFar` (if the map is finite)."""

    def __init__(self, report, pca: PCA, scores: np.ndarray, every: float):
        self.report, self.every = report, every
        self.pca = (scores.astype(np.float32), pca.explained_variance_ratio_)
        self.sent = -np.inf

    def __call__(self, done: int, total: int, embedding: np.ndarray) -> None:
        now = time.perf_counter()
        if now - self.sent < self.every or not np.isfinite(embedding).all():  # (diverging: nothing to draw; t-SNE
            self.report(done, total)                                         # refuses the run when it ends)
            return
        self.sent = now
        self.report(done, total, MapSoFar(embedding, *(self.pca or ())))
        self.pca = None


def embed_table(X, standardize: bool, perplexity: float, lr: str, exaggeration: float, iterations: int, seed: int,
                report=None) -> dict:
    """PCA and t-SNE of the same table, each timed, with the quality of each (trustworthiness, kNN kept; on a
    sample of :data:`QUALITY_ROWS` points for larger tables, ``quality_rows`` says how many). t-SNE chooses its
    method by size (``method="auto"``: the FFT-interpolated repulsion from 3,000 points, which then uses every
    core: the attraction on a helper process, the neighbour search on threads). ``report(done, total)``
    follows its iterations; some reports add a third argument, the map so far (:class:`MapSoFar`)."""
    X = scaled(X, standardize)
    t = time.perf_counter()
    pca = PCA(min(10, *X.shape)).fit(X)
    scores = pca.transform(X)
    pca_seconds = time.perf_counter() - t
    tsne = TSNE(perplexity=perplexity, learning_rate=lr if lr == "auto" else float(lr),
                early_exaggeration=exaggeration, max_iter=iterations, random_state=seed, method="auto",
                snapshot_every=max(1, iterations // 100), n_jobs=-1 if len(X) >= AUTO_FFT_MIN_SAMPLES else None)
    every = PREVIEW_EVERY_S * max(1.0, len(X) / PREVIEW_POINTS)
    t = time.perf_counter()
    tsne.fit(X, map_callback=None if report is None else _MapReports(report, pca, scores, every))
    tsne_seconds = time.perf_counter() - t
    quality, rows = embedding_quality(X, {"pca": scores[:, :2], "tsne": tsne.embedding_}, seed)
    return {"pca": pca, "scores": scores, "tsne": tsne, "pca_seconds": pca_seconds, "tsne_seconds": tsne_seconds,
            "quality": quality, "quality_rows": rows}


def tsne_multiples(X, perplexities, perplexity: float, seeds, seed: int, report=None) -> tuple[list, list]:
    """500-iteration t-SNE maps of X at each of ``perplexities`` (seed ``seed``, PCA start) and from a random
    start with each of ``seeds`` (perplexity ``perplexity``); ``report(done, total)`` counts iterations over all
    the maps. The seed row starts at random: from the (deterministic) PCA start every seed gives the same map."""
    settings = [(p, seed, "pca") for p in perplexities] + [(perplexity, s, "random") for s in seeds]
    total = 500 * len(settings)
    maps = []
    for i, (p, s, init) in enumerate(settings):
        progress = None if report is None else functools.partial(_report_part, report, 500 * i, total)
        maps.append(TSNE(perplexity=p, max_iter=500, init=init, random_state=s).fit(X, callback=progress).embedding_)
    return maps[:len(perplexities)], maps[len(perplexities):]


def _report_part(report, offset: int, total: int, done: int, _of: int) -> None:
    report(offset + done, total)


def _sharpness_model(batch_size: int, lr: float, seed: int) -> MLPClassifier:
    return MLPClassifier((16, 16), "tanh", learning_rate_init=lr, batch_size=batch_size, random_state=seed)


def sharpness_runs(X_train, y_train, X_test, y_test, sizes, lr: float, updates: int, seed: int, report=None):
    """:func:`core.sharpness.sharpness_by_batch_size` for a 16-16 tanh network per batch size."""
    make_model = functools.partial(_sharpness_model, lr=lr, seed=seed)
    return sharpness_by_batch_size(make_model, X_train, y_train, X_test, y_test, sizes, n_updates=updates,
                                   callback=report)


def train_and_draw(model, F_train, y_train, F_test, y_test, F_grid, F_tiles, epochs: int, data, template,
                   report=None):
    """Train ``model`` recording every snapshot (``core.training.record_training``, which calls ``report`` every
    few epochs) and draw the run's animation (``viz.boundary.boundary_animation`` with ``data``, in Plotly's
    ``template``: ``viz.theme``).

    Returns the run's last snapshot (``TrainingRun.last``) and the prepared figure. Drawing here as well keeps
    the whole recording (1–8 MB) in this process: it is never sent back, and the server, which draws every
    page for every session, is spared 0.2–0.3 s of drawing per new view.
    """
    from viz.boundary import boundary_animation
    from viz.prepared import prepare
    from viz.theme import use_template

    use_template(*template)
    run = record_training(model, F_train, y_train, F_test, y_test, F_grid, F_tiles, epochs=epochs, callback=report)
    return run.last(), prepare(boundary_animation(run, data))


def baseline_results(X_train, y_train, X_test, y_test, grid, n_classes: int, random_state: int):
    """scikit-learn's reference models fitted on the page's data (``baselines.compare``), imported here so that
    only the worker ever loads scikit-learn (~70 MB) and spends its time on the fits."""
    from baselines import compare

    return compare(X_train, y_train, X_test, y_test, grid, n_classes, random_state=random_state)


def batch_race(x, y, theta0, sizes, lr: float, scale_lr: bool, steps: int, replacement: bool, optimizer: str,
               seed: int):
    """Mini-batch SGD at each batch size from ``theta0`` on the line-fit loss (the learning rate scaled by
    B / sizes[0] when ``scale_lr``), and the gradient noise scale along each path."""
    from core.minibatch import linear_regression_sum, minibatch_sgd, noise_scale_along

    problem = linear_regression_sum(x, y)
    runs = [minibatch_sgd(problem, np.array(theta0), B, lr * (B / sizes[0] if scale_lr else 1.0), steps,
                          replacement=replacement, random_state=seed, optimizer=optimizer, record_batches=False)
            for B in sizes]  # the page draws the paths, not which examples each batch held
    return runs, [noise_scale_along(problem, run.params) for run in runs]


def race_on(surface: str, expr: str, condition: float, angle: float, opts, lrs, beta: float, beta2: float,
            wd: float, schedule: str, steps: int, start):
    """The optimizer race on a surface: ``(objective, result)``. The surface is rebuilt from its recipe
    (``core.expressions.objective_for``'s arguments: it holds closures, which do not pickle). Where f or its
    gradient is not finite at ``start`` (a typed ``log(x)`` started at x < 0) no race can run: the result is
    then ``None``."""
    from core.expressions import objective_for
    from core.optimizers import default_schedule_params, optimizers_for, race
    from viz.race import finite_points

    objective = objective_for(surface, expr, condition, angle)
    if not finite_points(objective, np.array([start], dtype=float))[0]:
        return objective, None
    return objective, race(objective.gradient, objective.value, optimizers_for(opts, lrs, beta, beta2, wd),
                           list(start), steps, schedule, default_schedule_params(schedule, steps))


def race_in_3d_drawn(surface: str, expr: str, condition: float, angle: float, result, template):
    """The race ``result`` on its surface in 3-D (``viz.race.surface_3d``), the surface rebuilt from its recipe
    like :func:`race_on`'s (its closures do not pickle, so the objective itself cannot travel to a worker)."""
    from core.expressions import objective_for
    from viz.prepared import drawn
    from viz.race import surface_3d

    return drawn(surface_3d, (objective_for(surface, expr, condition, angle), result), template=template)


def race_and_draw(surface: str, expr: str, condition: float, angle: float, opts, lrs, beta: float, beta2: float,
                  wd: float, schedule: str, steps: int, start, template):
    """:func:`race_on` and its figure, drawn in Plotly's ``template`` (``viz.theme.default_template``). Where no
    race can run, the result is ``None`` and the figure is the surface alone (``viz.race.start_map``), so that a
    click on it can still pick a start. (The race in 3-D is drawn only when asked for: ``explorers.optimizers``.)"""
    from viz.prepared import drawn
    from viz.race import race_animation, start_map

    objective, result = race_on(surface, expr, condition, angle, opts, lrs, beta, beta2, wd, schedule, steps, start)
    if result is None:
        return None, drawn(start_map, (objective, list(start)), template=template)
    return result, drawn(race_animation, (objective, result), template=template)
