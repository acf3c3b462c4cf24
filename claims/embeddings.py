"""Checks of the PCA vs t-SNE page's sentences, on the page's own maps (its PCA and t-SNE, whose agreement with
scikit-learn tests/test_pca.py and tests/test_tsne.py prove), measured with SciPy and independent statistics."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.spatial.distance import pdist
from scipy.stats import spearmanr
from sklearn.decomposition import PCA as SkPCA

from claims import checks
from core.embedding_data import make_embeddable
from core.tsne import TSNE, trustworthiness

PAGE = "pca-vs-tsne"


@lru_cache(maxsize=8)
def _maps(data: str, n: int, noise: float, seed: int, perplexity: float, iterations: int, init: str = "pca"):
    d = make_embeddable(data, n, noise, seed)
    pca = SkPCA(2).fit_transform(d.X)
    tsne = TSNE(perplexity=perplexity, max_iter=iterations, init=init, random_state=seed).fit_transform(d.X)
    return d, pca, tsne


def maps(v: dict, **override):
    v = v | override
    return _maps(v["data"], v["n"], v["noise"], v["seed"], float(v["perplexity"]), v["iterations"])


def spread(points, labels, k) -> float:
    return float(np.sqrt(np.mean(np.sum((points[labels == k] - points[labels == k].mean(axis=0)) ** 2, axis=1))))


def hopkins(points, m: int = 50, seed: int = 0) -> float:
    """Hopkins statistic: ≈ 0.5 for points spread like uniform ones, towards 1 for clumps."""
    rng = np.random.default_rng(seed)
    low, high = points.min(axis=0), points.max(axis=0)
    sample = points[rng.choice(len(points), m, replace=False)]
    uniform = rng.uniform(low, high, size=(m, points.shape[1]))
    u = np.linalg.norm(uniform[:, None] - points[None], axis=2).min(axis=1)
    w = np.linalg.norm(sample[:, None] - points[None], axis=2)
    w[w == 0] = np.inf
    w = w.min(axis=1)
    return float(u.sum() / (u.sum() + w.sum()))


def near_over_far(points, labels) -> float:
    centres = np.array([points[labels == k].mean(axis=0) for k in range(3)])
    gaps = sorted(pdist(centres))
    return gaps[0] / gaps[-1]


@checks(PAGE)
def sizes(v):
    d, pca, tsne = maps(v)
    counts = np.bincount(d.labels)
    assert len(counts) == 2 and counts[0] == counts[1], "the two clusters do not have equal counts"
    wide, narrow = np.argsort([spread(d.X, d.labels, k) for k in (0, 1)])[::-1]
    assert 8 < spread(d.X, d.labels, wide) / spread(d.X, d.labels, narrow) < 12, "not ten times wider"
    assert spread(pca, d.labels, wide) / spread(pca, d.labels, narrow) > 5, "PCA does not show it"
    assert spread(tsne, d.labels, wide) / spread(tsne, d.labels, narrow) < 2, "t-SNE sizes are not about equal"


@checks(PAGE)
def distances(v):
    d, pca, tsne = maps(v)
    assert near_over_far(d.X, d.labels) < 0.35, "the data has no two close clusters and one far"
    assert near_over_far(pca, d.labels) < 0.35, "PCA does not keep it"
    assert near_over_far(tsne, d.labels) > 0.6, "t-SNE does not place the three about equally apart"
    _, _, high = maps(v, perplexity=100.0)
    assert near_over_far(high, d.labels) < near_over_far(tsne, d.labels), "perplexity 100 brings nothing back"


@checks(PAGE)
def noise(v):
    d, _, low = maps(v)
    assert d.X.shape[1] == 50, "the data is not 50-D"
    _, _, high = maps(v, perplexity=30.0)
    assert v["perplexity"] == 2.0
    assert hopkins(low) > hopkins(high) + 0.05, "perplexity 2 is not clumpier than 30"
    centred = high - high.mean(axis=0)
    axes = np.linalg.eigvalsh(np.cov(centred.T))
    assert axes[0] / axes[1] > 0.5, "at perplexity 30 the cloud is not round"


@checks(PAGE)
def global_local(v):
    d, pca, tsne = maps(v)
    assert trustworthiness(d.X, tsne, n_neighbors=5) > trustworthiness(d.X, pca, n_neighbors=5)
    far = pdist(d.X)
    assert spearmanr(far, pdist(pca)).statistic > spearmanr(far, pdist(tsne)).statistic  # global distances


@checks(PAGE)
def auto_lr(v):
    """"auto (n / early exaggeration / 4, at least 50)": scikit-learn's documented rule, against core's TSNE."""
    from core.tsne import TSNE
    X = np.random.default_rng(0).normal(size=(60, 3))
    for ee in (4.0, 12.0):
        model = TSNE(perplexity=5, max_iter=250, early_exaggeration=ee, random_state=0).fit(X)
        assert np.isclose(model.learning_rate_, max(60 / ee / 4, 50)), model.learning_rate_


@checks(PAGE)
def pca_start(v):
    """The animation starts from the PCA projection scaled to a spread of 1e-4 (scikit-learn's init='pca')."""
    from core.tsne import TSNE
    X = np.random.default_rng(0).normal(size=(80, 5))
    model = TSNE(perplexity=10, max_iter=250, random_state=0, snapshot_every=50).fit(X)
    start = np.asarray(model.frames_[0], float)
    assert np.isclose(np.std(start[:, 0]), 1e-4, rtol=1e-3), np.std(start[:, 0])


@checks(PAGE)
def digits_range(v):
    """The digits' pixel intensities run from 0 to 16 (scikit-learn's load_digits)."""
    from sklearn.datasets import load_digits
    images = load_digits().images
    assert images.min() == 0 and images.max() == 16
