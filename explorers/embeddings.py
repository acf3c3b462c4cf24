"""PCA vs t-SNE (pages/pca-vs-tsne.py): its controls, presets and computations, importable without running the page.

The page draws; this module declares what the page's link can say (``PARAMS``, ``PRESETS``, the stage's ``KEY`` and
``MORE`` controls) and computes what it shows: the data, PCA and t-SNE of it, and the figures. ``warm(values)`` calls
the same cached functions the page calls for a view, so the server can fill the caches before a class opens it.
Streamlit is imported for its cache decorators only: nothing here draws.
"""

from __future__ import annotations

import hashlib
import os
import re

import numpy as np
import streamlit as st

import claims.embeddings as checked
from claims import claim, said
from core.embedding_data import EMBEDDING_DATASETS, Embeddable, make_embeddable, subsample
from core.pca import top_loadings
from core.tsne import global_rank_correlation, layout_disparity
from explorers.jobs import embed_table, scaled, tsne_multiples
from server.workers import run_heavy, yield_on_progress
from ui.figures import draw
from ui.params import BoolParam, ChoiceParam, FloatParam, IntParam, Preset
from ui.progress_cache import ProgressCache
from viz.embedding import loadings, scree, side_by_side, small_multiples

PAGE = "pca-vs-tsne"
UPLOAD = "upload"
DATA = {**{k: d.label for k, d in EMBEDDING_DATASETS.items()}, UPLOAD: "Your own CSV…"}
LEARNING_RATES = {"auto": claim(checked.auto_lr, "auto (n / early exaggeration / 4, at least 50)"), "10": "10", "50": "50", "200": "200", "1000": "1000"}
PERPLEXITIES = (2, 5, 30, 50, 100)
#: The environment variable that lowers :data:`MAX_POINTS` on a server many people share (README: Deploy).
MAX_POINTS_ENV = "ML_EXPLORER_MAX_POINTS"
#: The most points the page can embed: t-SNE switches to the FFT-interpolated repulsion from 3,000 points
#: (core.tsne, ``method="auto"``).
POINTS_CEILING = 20_000


def max_points(text: str | None) -> int:
    """The n slider's top: ``text`` (the environment's setting), a whole number from 1,000 to
    :data:`POINTS_CEILING`, else the ceiling. One visitor's 20,000-point t-SNE takes ~17 s of both cores and
    ~510 MB of memory (plus 65 MB for its helper process); on a server a class shares, a lower top keeps everyone
    else's reruns quick (``make load``)."""
    try:
        value = int(str(text).strip().replace(",", "").replace("_", ""))
    except ValueError:
        return POINTS_CEILING
    return value if 1_000 <= value <= POINTS_CEILING else POINTS_CEILING


#: The most points the page embeds (built-in synthetic sets are made this size, larger tables subsampled to it).
#: The n slider stops here (the page says what it computed when a link asks for more). The tests lower it to
#: 2,000 (tests/conftest.py), so that no fuzzed link runs a 20,000-point t-SNE inside a test's process.
MAX_POINTS = max_points(os.environ.get(MAX_POINTS_ENV))
MULTIPLE_ROWS = 400  # small multiples run on at most this many points, for 500 iterations each
SEEDS = (0, 1, 2)

PARAMS = [
    ChoiceParam("data", "Data", "digits", options=DATA),
    IntParam("n", "Points (at most)", 1000, low=50, high=MAX_POINTS, step=50,
             help=said("Synthetic sets are made this size; larger real or uploaded tables are subsampled to it. "
                       "Above 2,000 points the quality numbers are measured on a random sample of 2,000.")),
    FloatParam("noise", "Noise", 0.0, low=0.0, high=2.0, step=0.1),
    BoolParam("standardize", "Standardise features", False,
              help=said("Divide every column by its standard deviation first, so no feature dominates by its "
                         "units.")),
    IntParam("seed", "Seed", 0, low=0, high=9999, kind="number"),
    IntParam("pc_x", "PCA: horizontal axis", 1, low=1, high=10, kind="number"),
    IntParam("pc_y", "PCA: vertical axis", 2, low=1, high=10, kind="number"),
    FloatParam("perplexity", "Perplexity", 30.0, low=2.0, high=100.0, step=1.0, fmt="%.0f",
               help="Roughly how many neighbours each point tries to keep close."),
    ChoiceParam("lr", "Learning rate", "auto", options=LEARNING_RATES),
    FloatParam("exaggeration", "Early exaggeration", 12.0, low=1.0, high=30.0, step=1.0, fmt="%.0f"),
    IntParam("iterations", "Iterations", 1000, low=250, high=2000, step=50),
    BoolParam("multiples", "Small multiples: several perplexities and seeds", False),
]
PRESETS = {
    "sizes": Preset("Cluster sizes mean nothing", {"data": "different_sizes", "n": 400, "perplexity": 30.0},
                    claim(checked.sizes,
                          "The two clusters have equal counts but one is ten times wider (PCA shows it). t-SNE draws "
                          "them about the same size: it adapts each point's neighbourhood to the local density, so a "
                          "cluster's area in t-SNE says nothing about its spread in the data.")),
    "distances": Preset("Distances between clusters may mean nothing",
                        {"data": "different_distances", "n": 450, "perplexity": 30.0},
                        claim(checked.distances,
                              "Two clusters are close and the third far away — PCA keeps that. At perplexity 30 "
                              "t-SNE places the three about equally apart; raise the perplexity towards 100 and some "
                              "of the global distance comes back.")),
    "noise": Preset("Random noise can look like clusters", {"data": "gaussian_cloud", "n": 500, "perplexity": 2.0},
                    claim(checked.noise,
                          "This is a single 50-D Gaussian: no structure at all. At perplexity 2 t-SNE still draws "
                          "little clumps — each point only looks at its two nearest neighbours. Turn the perplexity "
                          "up to 30 and the clumps dissolve into one round cloud.")),
    "global-local": Preset("PCA keeps global structure, t-SNE local", {"data": "swiss_roll", "n": 800,
                                                                      "perplexity": 30.0},
                           claim(checked.global_local,
                                 "PCA shows the roll from the side: the global shape, with distant turns "
                                 "overlapping. t-SNE keeps neighbours together — the colours run in order — but "
                                 "bends, tears and rearranges the sheet: compare the trustworthiness and kNN numbers "
                                 "of the two.")),
}

#: The Math & code panel's equations (the notebook export shows the same).
EQUATIONS = [
    r"C = \tfrac{1}{n-1} (X - \bar x)^\top (X - \bar x) = V \Lambda V^\top",
    r"Z = (X - \bar x)\, V_{:,\,1..k}",
    r"p_{j|i} = \frac{\exp(-\lVert x_i - x_j\rVert^2 / 2\sigma_i^2)}{\sum_{k \ne i}\exp(-\lVert x_i - x_k"
    r"\rVert^2 / 2\sigma_i^2)}",
    r"2^{H(P_i)} = \text{perplexity}\quad(\sigma_i \text{ by binary search})",
    r"p_{ij} = \frac{p_{j|i} + p_{i|j}}{2n}",
    r"q_{ij} = \frac{(1 + \lVert y_i - y_j\rVert^2)^{-1}}{\sum_{k \ne l}(1 + \lVert y_k - y_l\rVert^2)^{-1}}",
    r"C = \mathrm{KL}(P\,\Vert\,Q) = \sum_{i \ne j} p_{ij} \log \frac{p_{ij}}{q_{ij}}",
    r"\frac{\partial C}{\partial y_i} = 4 \sum_j (p_{ij} - q_{ij})(y_i - y_j)(1 + \lVert y_i - y_j"
    r"\rVert^2)^{-1}",
]

#: The stage: beside the figure, what changes it most; the rest one click away.
KEY = ("data", "n", "perplexity", "iterations")
MORE = ("noise", "standardize", "seed", "lr", "exaggeration", "pc_x", "pc_y")


# ------------------------------------------------------------------------------------------- data


def points_limit() -> int:
    """The most points a run may embed: :data:`MAX_POINTS` as it is when the page runs (see there)."""
    return MAX_POINTS


def points_note(name: str, asked: int, data: Embeddable, limit: int) -> str | None:
    """What the page says when it embeds fewer points than ``asked``: a real table has fewer rows, or the limit
    of :func:`points_limit` applies (None when it embeds what was asked, or the subsample's own note says so)."""
    if asked > limit:
        return said(f"Computed on {limit:,} points here: this server runs t-SNE on at most {limit:,}.")
    if name != UPLOAD and data.rows is None and data.n_samples < asked:
        return said(f"The {DATA[name].lower()} data has {data.n_samples:,} rows: all of them are shown.")
    return None


@st.cache_resource(max_entries=16, show_spinner=False)
def dataset(name: str, n: int, noise: float, seed: int) -> tuple[Embeddable, str | None]:
    data = make_embeddable(name, n, noise, seed)
    return subsample(data, n, seed) if data.n_samples > n else (data, None)


def digest(data: Embeddable) -> str:
    """A key for the caches: the table's bytes, not a sample of them (uploads differ in any cell)."""
    h = hashlib.sha256(np.ascontiguousarray(data.X).tobytes())
    for part in (data.labels, data.rows):  # rows: the row numbers a click reports
        if part is not None:
            h.update(np.ascontiguousarray(part).tobytes())
    return h.hexdigest()


def plain(text: str) -> str:
    """``text`` (an uploaded label, say) shown as it is in Markdown: its special characters escaped."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$])", r"\\\1", str(text))


# ------------------------------------------------------------------------------------------- computing


@st.cache_resource(show_spinner=False)  # (an empty cache: nothing to wait for; and warm() draws nothing)
def runs() -> ProgressCache:
    """One results cache for every session (a digits run with 100 frames is about 2 MB)."""
    return ProgressCache(max_entries=12)


def embed(key: str, data: Embeddable, standardize: bool, perplexity: float, lr: str, exaggeration: float,
          iterations: int, seed: int, show_progress: bool = True, preview=None) -> dict:
    """PCA and t-SNE of the same table, with the quality of each (cached on ``key``, which names the data).
    ``show_progress=False`` (a warm-up, outside any script run): the run's iterations move no progress bar.
    ``preview(done, total, map_so_far)`` (a ``jobs.MapSoFar``) draws the run while it computes."""
    return runs().get_or_run((key, standardize, perplexity, lr, exaggeration, iterations, seed),
                           lambda bar: run_heavy(embed_table, data.X, standardize, perplexity, lr, exaggeration,
                                                 iterations, seed, report=bar if show_progress else None),
                           "t-SNE iteration", preview)


@st.cache_resource(max_entries=12, show_spinner=False)
def embedding_figure(run_key: tuple, pc_x: int, pc_y: int, _data: Embeddable, _result: dict):
    """PCA beside the t-SNE replay (``run_key`` names the data and the run)."""
    ratio = _result["pca"].explained_variance_ratio_
    tsne = _result["tsne"]
    return draw(side_by_side, _result["scores"][:, [pc_x - 1, pc_y - 1]], tsne.frames_, tsne.frame_iters_,
                _data.labels, _data.label_names, pca_axes=(f"PC {pc_x} ({ratio[pc_x - 1]:.0%} of variance)",
                                                           f"PC {pc_y} ({ratio[pc_y - 1]:.0%} of variance)"),
                exaggeration_until=min(250, tsne.max_iter), rows=_data.rows)


@st.cache_resource(max_entries=12, show_spinner=False)
def pca_figures(run_key: tuple, pc_x: int, _ratio: np.ndarray, _names: list, _weights: np.ndarray):
    """The scree plot and the loadings of PC ``pc_x`` (cached: every rerun draws them, inside the expander)."""
    return draw(scree, _ratio), draw(loadings, _names, _weights, pc_x)


@st.cache_resource(max_entries=4, show_spinner="Running t-SNE at several perplexities and seeds…")
def multiples(key: str, _data: Embeddable, standardize: bool, perplexity: float, seed: int):
    small, _ = subsample(_data, MULTIPLE_ROWS, seed) if _data.n_samples > MULTIPLE_ROWS else (_data, None)
    X = scaled(small.X, standardize)
    perplexities = [p for p in PERPLEXITIES if p < len(X) / 3]
    by_perplexity, by_seed = run_heavy(tsne_multiples, X, perplexities, perplexity, SEEDS, seed,
                                       report=yield_on_progress)  # cancellable, and short jobs run inside it
    disparity = max(layout_disparity(by_seed[0], other, small.labels) for other in by_seed[1:])
    kept = [global_rank_correlation(X, Y) for Y in by_perplexity]
    return (draw(small_multiples, by_perplexity, [f"perplexity {p}" for p in perplexities], small.labels,
                 small.label_names, cols=len(perplexities)),
            draw(small_multiples, by_seed, [f"random start, seed {s}" for s in SEEDS], small.labels,
                 small.label_names, cols=3),
            len(X), perplexities, kept, disparity)


#: How many nearest neighbours in the data a clicked point brings up.
NEIGHBOURS = 10


def neighbours(X: np.ndarray, i: int, k: int = NEIGHBOURS) -> np.ndarray:
    """Positions of the ``k`` rows of ``X`` nearest to row ``i`` (Euclidean, in the data's own space; ``i``
    itself left out), nearest first, ties by position. One query is one pass over X (20,000 × 64 values: about a
    millisecond); a KD-tree would be built for it alone, and in 64 dimensions it prunes almost nothing."""
    diff = X - X[i]
    d = np.einsum("ij,ij->i", diff, diff)
    d[i] = np.inf
    k = min(k, len(X) - 1)
    nearest = np.argpartition(d, k - 1)[:k]
    return nearest[np.lexsort((nearest, d[nearest]))]


# ------------------------------------------------------------------------------------------- warming up


def warm(values: dict) -> None:
    """Compute what the page computes for the view ``values`` (every PARAMS name): the data, the run, the main
    figure and the PCA figures. An uploaded table has nothing to warm, and a view the page would explain as an
    error (a perplexity too high for the points) is skipped."""
    if values["data"] == UPLOAD:
        return
    try:
        data, _ = dataset(values["data"], min(values["n"], points_limit()), values["noise"], values["seed"])
        key = digest(data)
        settings = (values["standardize"], values["perplexity"], values["lr"], values["exaggeration"],
                    values["iterations"], values["seed"])
        run_key = (key, *settings)
        result = embed(key, data, *settings, show_progress=False)
    except ValueError:
        return
    pca = result["pca"]
    pc_x, pc_y = min(values["pc_x"], pca.n_components_), min(values["pc_y"], pca.n_components_)
    embedding_figure(run_key, pc_x, pc_y, data, result)
    names, weights = top_loadings(pca, data.feature_names, pc_x - 1, k=min(8, len(data.feature_names)))
    pca_figures(run_key, pc_x, pca.explained_variance_ratio_, names, weights)
