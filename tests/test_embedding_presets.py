"""Each PCA vs t-SNE preset promises something in its sentence; check the promise with `core` directly."""

import numpy as np
from scipy.spatial.distance import pdist
from scipy.stats import spearmanr

from core.embedding_data import make_embeddable
from core.pca import PCA
from core.tsne import TSNE, trustworthiness
from tests.test_app_pages import declared

PAGE = "explorers/embeddings.py"


def embed(slug, **override):
    params, presets = declared(PAGE)
    v = {p.name: p.default for p in params} | presets[slug].values | override
    data = make_embeddable(v["data"], v["n"], v["noise"], v["seed"])
    pca = PCA(2).fit_transform(data.X)
    tsne = TSNE(perplexity=v["perplexity"], max_iter=v["iterations"], random_state=v["seed"]).fit_transform(data.X)
    return data, pca, tsne


def spread(points, labels, k):
    return np.sqrt(np.mean(np.sum((points[labels == k] - points[labels == k].mean(axis=0)) ** 2, axis=1)))


def test_cluster_sizes_mean_nothing_in_tsne():
    data, pca, tsne = embed("sizes")
    wide, narrow = np.argsort([data.X[data.labels == k].std(axis=0).mean() for k in (0, 1)])[::-1]
    assert spread(pca, data.labels, wide) / spread(pca, data.labels, narrow) > 5
    assert spread(tsne, data.labels, wide) / spread(tsne, data.labels, narrow) < 2.5


def test_distances_between_clusters_may_mean_nothing():
    data, pca, tsne = embed("distances")

    def near_over_far(points):
        centres = np.array([points[data.labels == k].mean(axis=0) for k in range(3)])
        gaps = sorted(np.linalg.norm(centres[i] - centres[j]) for i, j in ((0, 1), (0, 2), (1, 2)))
        return gaps[0] / gaps[-1]

    assert near_over_far(pca) < 0.35 < near_over_far(tsne)  # PCA keeps "two close, one far"; t-SNE evens it out


def hopkins(points, rng, m=50):
    """Hopkins statistic: ≈ 0.5 for points spread like random ones, → 1 for clumps."""
    low, high = points.min(axis=0), points.max(axis=0)
    sample = points[rng.choice(len(points), m, replace=False)]
    uniform = rng.uniform(low, high, size=(m, points.shape[1]))

    def nearest(queries, exclude_self):
        d = np.linalg.norm(queries[:, None] - points[None], axis=2)
        if exclude_self:
            d[d == 0] = np.inf
        return d.min(axis=1)

    u, w = nearest(uniform, False), nearest(sample, True)
    return u.sum() / (u.sum() + w.sum())


def test_noise_looks_clumpy_at_perplexity_2_and_not_at_30():
    rng = np.random.default_rng(0)
    _, _, low = embed("noise")
    _, _, high = embed("noise", perplexity=30.0)
    assert hopkins(low, rng) > hopkins(high, rng) + 0.05


def test_pca_keeps_global_structure_tsne_local():
    data, pca, tsne = embed("global-local")
    assert trustworthiness(data.X, tsne, n_neighbors=5) > trustworthiness(data.X, pca, n_neighbors=5)
    far = pdist(data.X)
    assert spearmanr(far, pdist(pca)).statistic > spearmanr(far, pdist(tsne)).statistic  # global distances
