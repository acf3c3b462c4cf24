"""core.tsne against scikit-learn's reference t-SNE (sklearn.manifold._t_sne) and brute-force definitions."""

import math

import numpy as np
import pytest
from scipy.spatial.distance import squareform
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE as SkTSNE
from sklearn.manifold import _t_sne as sk_t_sne
from sklearn.manifold import trustworthiness as sk_trustworthiness
from sklearn.metrics import pairwise_distances
from sklearn.neighbors import NearestNeighbors
from threadpoolctl import threadpool_limits

from core import tsne
from core.tsne import (TSNE, conditional_probabilities, joint_probabilities, joint_probabilities_nn, kl_divergence,
                       kl_gradient, knn_preservation, trustworthiness)


@pytest.fixture(scope="module")
def digits():
    return load_digits().data


def blobs(n=120, d=8, seed=0):
    """Continuous data in a few clusters: no tied distances."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 4.0, (4, d))
    return centres[rng.integers(0, 4, n)] + rng.normal(0.0, 1.0, (n, d))


def entropy(rows):
    safe = np.where(rows > 0, rows, 1.0)
    return -np.sum(rows * np.log(safe), axis=1)


# ------------------------------------------------------------------------------------------------ P


def assert_same_probabilities(ours, theirs):
    """Both searches stop within 1e-5 nats of log(perplexity), at slightly different β: entries agree to
    1e-4 of the largest, and those above a thousandth of it to 1e-3 relative (measured: 4e-4)."""
    assert np.max(np.abs(ours - theirs)) < 1e-6
    assert np.max(np.abs(ours - theirs)) < 1e-4 * theirs.max()
    big = theirs > 1e-3 * theirs.max()
    np.testing.assert_allclose(ours[big], theirs[big], rtol=1e-3)


@pytest.mark.parametrize("perplexity", [5.0, 30.0])
def test_joint_probabilities_equal_sklearns(perplexity):
    X = blobs(150)
    ours = joint_probabilities(X, perplexity)
    distances = pairwise_distances(X, squared=True)
    theirs = squareform(sk_t_sne._joint_probabilities(distances, perplexity, verbose=0))
    assert ours.shape == (150, 150)
    assert_same_probabilities(ours, theirs)
    assert np.allclose(ours, ours.T) and np.all(np.diag(ours) == 0)
    assert abs(ours.sum() - 1.0) < 1e-9


def test_joint_probabilities_on_digits_equal_sklearns(digits):
    X = digits[:400]  # integer pixels: many tied distances, many far-apart points
    ours = joint_probabilities(X, 30.0)
    theirs = squareform(sk_t_sne._joint_probabilities(pairwise_distances(X, squared=True), 30.0, verbose=0))
    assert_same_probabilities(ours, theirs)


def test_conditional_rows_sum_to_one_with_entropy_log_perplexity():
    X = blobs(200)
    D = pairwise_distances(X, squared=True)
    for perplexity in (2.0, 10.0, 50.0):
        P, betas = conditional_probabilities(D, perplexity)
        assert np.all(np.diag(P) == 0)  # a point is not its own neighbour
        np.testing.assert_allclose(P.sum(axis=1), 1.0, atol=1e-12)
        np.testing.assert_allclose(entropy(P), math.log(perplexity), atol=1.1e-5)
        assert np.all(betas > 0)
    # rectangular input: distances to k neighbours, every entry counts
    idx = np.argsort(D, axis=1)[:, 1:31]
    Dk = np.take_along_axis(D, idx, axis=1)
    P, _ = conditional_probabilities(Dk, 10.0)
    assert P.shape == (200, 30) and np.all(P > 0)
    np.testing.assert_allclose(entropy(P), math.log(10.0), atol=1.1e-5)


def test_conditional_probabilities_survive_far_points_and_duplicates():
    X = np.vstack([blobs(60), blobs(60) + 1e4, np.zeros((3, 8))])  # far apart groups, three equal points
    P, _ = conditional_probabilities(pairwise_distances(X, squared=True), 5.0)
    assert np.all(np.isfinite(P))
    np.testing.assert_allclose(entropy(P), math.log(5.0), atol=1.1e-5)


def test_neighbour_joint_probabilities_equal_sklearns():
    X = blobs(150)
    perplexity = 10.0
    k = min(149, int(3 * perplexity + 1))
    ours = joint_probabilities_nn(X, perplexity)
    graph = NearestNeighbors(n_neighbors=k).fit(X).kneighbors_graph(mode="distance")
    graph.data **= 2
    theirs = sk_t_sne._joint_probabilities_nn(graph, perplexity, verbose=0)
    assert_same_probabilities(ours.toarray(), theirs.toarray())
    assert abs(ours.sum() - 1.0) < 1e-9


# ----------------------------------------------------------------------------------- objective


def test_kl_and_gradient_equal_sklearns_exact_objective():
    X = blobs(60)
    P = joint_probabilities(X, 10.0)
    Y = np.random.default_rng(1).normal(0.0, 3.0, (60, 2))
    kl_sk, grad_sk = sk_t_sne._kl_divergence(Y.ravel(), squareform(P, checks=False), 1, 60, 2)
    assert kl_divergence(P, Y) == pytest.approx(kl_sk, rel=1e-10)
    np.testing.assert_allclose(kl_gradient(P, Y), grad_sk.reshape(60, 2), rtol=1e-9, atol=1e-12)


def test_gradient_equals_finite_differences():
    X = blobs(40)
    P = joint_probabilities(X, 8.0)
    Y = np.random.default_rng(2).normal(0.0, 2.0, (40, 2))
    grad = kl_gradient(P, Y)
    h = 1e-6
    for i, d in [(0, 0), (7, 1), (23, 0), (39, 1)]:
        up, down = Y.copy(), Y.copy()
        up[i, d] += h
        down[i, d] -= h
        numeric = (kl_divergence(P, up) - kl_divergence(P, down)) / (2 * h)
        assert grad[i, d] == pytest.approx(numeric, rel=1e-5, abs=1e-8)


@pytest.mark.parametrize("kind", ["dense", "sparse"])
@pytest.mark.parametrize("threads", [1, 2])
def test_fast_gradient_equals_reference(kind, threads):
    X = blobs(300, seed=3)
    P = joint_probabilities(X, 20.0) if kind == "dense" else joint_probabilities_nn(X, 20.0)
    Y = np.random.default_rng(4).normal(0.0, 15.0, (300, 2)).astype(np.float32)
    # small tiles: many strips, so the mirrored (column) sums and the leading blocks are all exercised
    fast = tsne._Gradient(P.astype(np.float32) if kind == "dense" else P, 2, threads, tile_elements=4096)
    try:
        assert len(fast.groups) == threads and sum(len(g["items"]) for g in fast.groups) > 5
        for exaggeration in (1.0, 12.0):
            grad, error = fast(Y, exaggeration, compute_error=True)
            # kl_gradient of αP: the attraction scales with α, the repulsion does not
            ref = exaggeration * kl_gradient(P, Y) + (exaggeration - 1.0) * _repulsion(Y)
            assert grad.dtype == np.float32
            assert np.max(np.abs(grad - ref)) < 1e-4 * np.max(np.abs(ref))
            assert error == pytest.approx(kl_divergence(P * exaggeration, Y), rel=1e-5)
    finally:
        fast.close()


def _repulsion(Y):
    """4 Σ_j q_ij num_ij (y_i - y_j): the part of the gradient that exaggeration leaves alone."""
    Y = Y.astype(np.float64)
    num = 1.0 / (1.0 + pairwise_distances(Y, squared=True))
    np.fill_diagonal(num, 0.0)
    W = num * num / num.sum()
    return 4.0 * (W.sum(axis=1)[:, None] * Y - W @ Y)


def test_fast_gradient_in_three_dimensions():
    X = blobs(100)
    P = joint_probabilities(X, 10.0)
    Y = np.random.default_rng(5).normal(0.0, 5.0, (100, 3)).astype(np.float32)
    fast = tsne._Gradient(P.astype(np.float32), 3, 1, tile_elements=2048)
    grad, _ = fast(Y)
    ref = kl_gradient(P, Y)
    assert np.max(np.abs(grad - ref)) < 1e-4 * np.max(np.abs(ref))


# ------------------------------------------------------------------------------------ optimiser


class Quadratic:
    """A stand-in objective ``α/2 Σ w (y - t)²`` with the fast gradient's signature: the optimiser's rules can
    be compared with scikit-learn's over 1,000 steps without t-SNE's chaos amplifying float rounding."""

    def __init__(self, n, kind):
        rng = np.random.default_rng(8)
        self.target = rng.normal(0.0, 5.0, (n, 2))
        # slow: still moving after 1,000 steps; fast: converges, so the gradient-norm rule ends each phase
        low, high = (1e-6, 1e-4) if kind == "fast" else (1e-7, 3e-6)
        self.weights = rng.uniform(low, high, (n, 2))
        self.kind, self.calls = kind, 0

    def __call__(self, Y, exaggeration=1.0, compute_error=False):
        diff = Y.astype(np.float64) - self.target
        grad = (exaggeration * self.weights * diff).astype(np.float32)
        if self.kind == "alternating":  # every step reverses the last: gains shrink to their floor, 0.01
            grad = (exaggeration * self.weights * 1e4 * (-1) ** self.calls).astype(np.float32)
        self.calls += 1
        error = None
        if compute_error:  # rising: the error only grows, so the patience rule must stop the run
            error = {"rising": self.calls, "alternating": 1.0}.get(
                self.kind, 0.5 * exaggeration * np.sum(self.weights * diff ** 2))
        return grad, error


def sklearn_descent(objective, Y0, max_iter, lr, patience=300, min_grad_norm=1e-7):
    """``TSNE._tsne``'s schedule on scikit-learn's own ``_gradient_descent``."""
    n = Y0.shape[0]
    alpha = [12.0]
    path = []

    def obj(p, compute_error=True):
        path.append(p.reshape(n, 2).copy())
        grad, error = objective(p.reshape(n, 2), alpha[0], compute_error)
        return (error if compute_error else np.nan), grad.ravel()

    common = dict(n_iter_check=50, learning_rate=lr, min_gain=0.01, min_grad_norm=min_grad_norm)
    p, _, it = sk_t_sne._gradient_descent(obj, Y0.ravel().copy(), 0, 250, n_iter_without_progress=250,
                                          momentum=0.5, **common)
    alpha[0] = 1.0
    p, _, it = sk_t_sne._gradient_descent(obj, p, it + 1, max_iter, n_iter_without_progress=patience,
                                          momentum=0.8, **common)
    return np.array(path + [p.reshape(n, 2)]), it + 1


@pytest.mark.parametrize("kind, min_grad_norm, steps", [
    ("slow", 1e-7, 1000),
    ("fast", 1e-7, 300),  # converged: the gradient-norm rule ends phase 2 at its first check
    ("fast", 1e-3, 150),  # ... and phase 1 at step 100, phase 2 starting there at once (not at 250)
    ("rising", 1e-7, 650),  # no progress for more than 300 iterations
    ("alternating", 1e-7, 650),
])
def test_optimiser_steps_as_sklearns_gradient_descent(kind, min_grad_norm, steps):
    n = 200
    Y0 = np.random.default_rng(9).normal(0.0, 1e-4, (n, 2)).astype(np.float32)
    options = dict(max_iter=1000, lr=50.0, every=1, exaggeration=12.0, patience=300, min_grad_norm=min_grad_norm)
    Y, n_iter, frames, frame_iters, history = tsne._optimize(Quadratic(n, kind), Y0, options, None)
    their_path, their_steps = sklearn_descent(Quadratic(n, kind), Y0, 1000, 50.0, min_grad_norm=min_grad_norm)
    assert n_iter == their_steps == steps
    np.testing.assert_allclose(frames, their_path, rtol=1e-5, atol=1e-6)  # every step of the way
    assert frame_iters[-1] == n_iter and np.array_equal(frames[-1], Y)
    if kind == "slow":
        assert not np.allclose(Y, Quadratic(n, kind).target, atol=1e-3)  # still on its way: every step counts


# ------------------------------------------------------------------------------------ fitting


@pytest.fixture(scope="module")
def digits_600(digits):
    return digits[:600]


@pytest.fixture(scope="module")
def sklearn_600(digits_600):
    # One OpenMP thread: on a busy machine (tests run in parallel) two threads made this take 10x longer.
    with threadpool_limits(limits=1):
        return SkTSNE(perplexity=30.0, max_iter=1000, random_state=0).fit(digits_600)


@pytest.mark.parametrize("method", ["exact", "neighbors"])
def test_digits_kl_no_worse_and_trustworthiness_as_sklearns(digits_600, sklearn_600, method):
    ours = TSNE(perplexity=30.0, max_iter=1000, random_state=0, method=method).fit(digits_600)
    P = joint_probabilities(digits_600, 30.0)
    kl_ours = kl_divergence(P, ours.embedding_)
    kl_sklearn = kl_divergence(P, sklearn_600.embedding_)  # the exact KL, not Barnes-Hut's estimate
    assert kl_ours <= kl_sklearn
    t_ours = sk_trustworthiness(digits_600, ours.embedding_, n_neighbors=5)
    t_sklearn = sk_trustworthiness(digits_600, sklearn_600.embedding_, n_neighbors=5)
    assert abs(t_ours - t_sklearn) <= 0.005
    assert ours.n_iter_ == 1000 and ours.embedding_.dtype == np.float32
    if method == "exact":  # kl_divergence_ is the exact KL of the final embedding against the P optimised
        assert ours.kl_divergence_ == pytest.approx(kl_ours, rel=1e-9)


def test_full_digits_with_every_frame_kl_no_worse_and_trustworthiness_as_sklearns(digits):
    # ~4 s for ours and ~8 s for scikit-learn's on one thread: the one test on all 1,797 digits
    ours = TSNE(perplexity=30.0, max_iter=1000, random_state=0, snapshot_every=1).fit(digits)
    with threadpool_limits(limits=1):
        theirs = SkTSNE(perplexity=30.0, max_iter=1000, random_state=0).fit(digits)
    assert ours.method_ == "exact"
    assert ours.frames_.shape == (1001, 1797, 2) and ours.frames_.dtype == np.float32
    P = joint_probabilities(digits, 30.0)
    assert ours.kl_divergence_ <= kl_divergence(P, theirs.embedding_)  # measured 0.680 against 0.710
    t_ours = sk_trustworthiness(digits, ours.embedding_, n_neighbors=5)
    t_sklearn = sk_trustworthiness(digits, theirs.embedding_, n_neighbors=5)
    assert abs(t_ours - t_sklearn) <= 0.005


def test_frames_record_every_iteration(digits_600):
    init = PCA(n_components=2).fit_transform(digits_600).astype(np.float32)
    init = init / np.std(init[:, 0]) * 1e-4  # scikit-learn's rule for init="pca"
    model = TSNE(max_iter=300, random_state=0, snapshot_every=1).fit(digits_600)
    assert model.frames_.shape == (301, 600, 2) and model.frames_.dtype == np.float32
    np.testing.assert_array_equal(model.frame_iters_, np.arange(301))
    # Two eigensolvers agree to ~1e-5 of the embedding's scale (std 1e-4), also on coordinates near 0: one at
    # -5.72e-6 differed by 1.6e-9 in one CI run (relative 3e-4), so the tolerance is relative to the scale.
    np.testing.assert_allclose(model.frames_[0], init, rtol=1e-4, atol=1e-4 * np.std(init[:, 0]))
    np.testing.assert_array_equal(model.frames_[-1], model.embedding_)
    assert np.all(np.abs(model.frames_[1] - model.frames_[0]) > 0)  # each frame is a new step


def test_frames_every_kth_and_the_last():
    X = blobs(80)
    model = TSNE(perplexity=10.0, max_iter=300, init="random", random_state=0, snapshot_every=7).fit(X)
    expected = list(range(0, 300, 7)) + [300]
    np.testing.assert_array_equal(model.frame_iters_, expected)
    assert model.frames_.shape == (len(expected), 80, 2)
    np.testing.assert_array_equal(model.frames_[-1], model.embedding_)
    assert TSNE(perplexity=10.0, max_iter=260).fit(X).frames_ is None


def test_early_stop_keeps_frames_to_the_end():
    X = blobs(80)
    model = TSNE(perplexity=10.0, max_iter=1000, min_grad_norm=1e6, random_state=0, snapshot_every=1).fit(X)
    # each phase stops at its first check (as scikit-learn: the second starts when the first stops)
    assert model.n_iter_ == 100
    np.testing.assert_array_equal(model.kl_history_[:, 0], [49, 99])
    assert model.frame_iters_[-1] == 100 and model.frames_.shape[0] == 101
    np.testing.assert_array_equal(model.frames_[-1], model.embedding_)


def test_same_seed_reproduces_other_seed_differs():
    X = blobs(150)
    fit = lambda seed: TSNE(perplexity=10.0, max_iter=300, init="random", random_state=seed).fit_transform(X)
    a, b, c = fit(0), fit(0), fit(1)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_random_init_is_sklearns():
    X = blobs(50)
    model = TSNE(perplexity=5.0, max_iter=1, init="random", random_state=3, snapshot_every=1).fit(X)
    expected = 1e-4 * np.random.RandomState(3).standard_normal(size=(50, 2)).astype(np.float32)
    np.testing.assert_array_equal(model.frames_[0], expected)


def test_learning_rate_auto_and_history():
    X = blobs(400)
    model = TSNE(perplexity=10.0, max_iter=300, early_exaggeration=1.0, snapshot_every=1).fit(X)
    assert model.learning_rate_ == pytest.approx(100.0)  # max(400 / 1 / 4, 50)
    assert TSNE(perplexity=10.0, max_iter=1).fit(X).learning_rate_ == 50.0  # max(400 / 12 / 4, 50)
    assert TSNE(perplexity=10.0, max_iter=1, learning_rate=300).fit(X).learning_rate_ == 300.0
    # checked every 50 iterations, on the embedding the step starts from (as scikit-learn): frames 49, 99, ...
    np.testing.assert_array_equal(model.kl_history_[:, 0], [49, 99, 149, 199, 249, 299])
    P = joint_probabilities(X, 10.0)
    for i, kl in model.kl_history_:
        assert kl == pytest.approx(kl_divergence(P, model.frames_[int(i)]), rel=1e-5)


def test_callback_reports_progress():
    calls = []
    TSNE(perplexity=5.0, max_iter=35).fit(blobs(40), callback=lambda i, total: calls.append((i, total)))
    assert calls == [(10, 35), (20, 35), (30, 35), (35, 35)]


def test_map_callback_sees_the_map_of_each_reported_iteration_as_a_copy():
    """What the page draws while t-SNE runs: at each report, the map the recorded frame of that iteration holds
    (a copy the caller may keep: later steps do not move it)."""
    maps, counts = [], []
    model = TSNE(perplexity=5.0, max_iter=35, snapshot_every=5, random_state=0).fit(
        blobs(40), callback=lambda i, total: counts.append(i),
        map_callback=lambda i, total, Y: maps.append((i, total, Y)))
    assert [(i, total) for i, total, _ in maps] == [(10, 35), (20, 35), (30, 35), (35, 35)]
    assert counts == [10, 20, 30, 35]
    for i, _, Y in maps:
        np.testing.assert_array_equal(Y, model.frames_[list(model.frame_iters_).index(i)])
    assert not np.shares_memory(maps[0][2], maps[1][2])


@pytest.mark.parametrize("n_components", [1, 3])
def test_other_dimensions(n_components):
    X = blobs(60)
    Y = TSNE(n_components=n_components, perplexity=10.0, max_iter=300, random_state=0).fit_transform(X)
    assert Y.shape == (60, n_components) and np.all(np.isfinite(Y))


@pytest.mark.parametrize("kwargs, X, message", [
    (dict(perplexity=30.0), blobs(20), "perplexity must be less than n_samples"),
    (dict(perplexity=2.0), blobs(3), "at least 4 samples"),
    (dict(perplexity=0.0), blobs(20), "perplexity must be greater than 0"),
    (dict(perplexity=5.0), np.full((20, 3), np.nan), "NaN or infinite"),
    (dict(perplexity=5.0, method="barnes_hut"), blobs(20), "method must be"),
    (dict(perplexity=5.0, learning_rate="fast"), blobs(20), "learning_rate must be"),
    (dict(perplexity=5.0, init=np.zeros((3, 2))), blobs(20), "shape (20, 2)"),
    (dict(perplexity=5.0, snapshot_every=0), blobs(20), "snapshot_every must be at least 1"),
    (dict(perplexity=5.0, max_iter=0), blobs(20), "max_iter must be at least 1"),
    (dict(perplexity=5.0, n_components=4), blobs(20), "n_components must be at most 3"),
    (dict(perplexity=5.0, metric="cosine"), blobs(20), "metric must be 'euclidean'"),
])
def test_invalid_input_says_what_to_change(kwargs, X, message):
    with pytest.raises(ValueError, match=__import__("re").escape(message)):
        TSNE(**kwargs).fit(X)


# ------------------------------------------------------------------------------ quality measures


def test_trustworthiness_equals_sklearns():
    X = blobs(200, d=10)
    rng = np.random.default_rng(6)
    for Y in (X[:, :2], rng.normal(size=(200, 2)), X[:, :3] + rng.normal(0, 0.5, (200, 3))):
        for k in (1, 5, 12):
            assert trustworthiness(X, Y, n_neighbors=k) == pytest.approx(sk_trustworthiness(X, Y, n_neighbors=k),
                                                                         abs=1e-12)
    with pytest.raises(ValueError, match="less than n_samples / 2"):
        trustworthiness(X, X[:, :2], n_neighbors=100)


def test_trustworthiness_on_tied_digits_is_close_to_sklearns(digits, sklearn_600):
    X = digits[:600]
    ours = trustworthiness(X, sklearn_600.embedding_, n_neighbors=5)
    theirs = sk_trustworthiness(X, sklearn_600.embedding_, n_neighbors=5)
    assert abs(ours - theirs) < 2e-3 and ours >= theirs  # ties share the best rank here


def test_knn_preservation_equals_brute_force():
    X = blobs(150, d=6)
    Y = X[:, :2] + np.random.default_rng(7).normal(0, 1.0, (150, 2))
    k = 10
    DX, DY = pairwise_distances(X), pairwise_distances(Y)
    shared = 0
    for i in range(150):
        near_x = [j for j in np.argsort(DX[i]) if j != i][:k]
        near_y = [j for j in np.argsort(DY[i]) if j != i][:k]
        shared += len(set(near_x) & set(near_y))
    assert knn_preservation(X, Y, k=k) == pytest.approx(shared / (150 * k))
    assert knn_preservation(X, X, k=k) == 1.0


def test_the_student_t_has_one_degree_of_freedom_in_3d_where_scikit_learn_uses_two():
    """What TSNE's docstring says: the kernel is (1 + d²)⁻¹ whatever n_components; scikit-learn's is
    (1 + d²/ν)^(−(ν+1)/2) with ν = max(n_components − 1, 1), so it agrees in 2-D and differs in 3-D."""
    import inspect

    from scipy.optimize import check_grad
    from sklearn.manifold import TSNE as SkTSNE

    from core.tsne import joint_probabilities, kl_divergence, kl_gradient

    assert "degrees_of_freedom = max(self.n_components - 1, 1)" in inspect.getsource(SkTSNE._fit)
    rng = np.random.default_rng(0)
    P = joint_probabilities(rng.normal(size=(30, 5)), perplexity=5.0)
    P = P.toarray() if hasattr(P, "toarray") else P
    for dims in (2, 3):
        Y = rng.normal(size=(30, dims))
        d2 = ((Y[:, None] - Y[None]) ** 2).sum(-1)
        q = 1 / (1 + d2)  # one degree of freedom
        np.fill_diagonal(q, 0)
        q /= q.sum()
        mask = P > 0
        assert kl_divergence(P, Y) == pytest.approx(np.sum(P[mask] * np.log(P[mask] / q[mask])), rel=1e-6)
        err = check_grad(lambda y: kl_divergence(P, y.reshape(30, dims)),
                         lambda y: kl_gradient(P, y.reshape(30, dims)).ravel(), Y.ravel())
        assert err < 1e-4
