"""core.tsne_fft (FFT-accelerated interpolation for t-SNE's repulsion) against the exact sums and, on 3,000
points, core.tsne's fit with it against scikit-learn's Barnes-Hut."""

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.manifold import TSNE as SkTSNE
from sklearn.manifold import trustworthiness
from sklearn.metrics import pairwise_distances
from threadpoolctl import threadpool_limits

from core import tsne_fft
from core.tsne import TSNE, _auto_method, joint_probabilities_nn, kl_divergence, kl_gradient
from core.tsne_fft import FFTGradient, lagrange_weights, repulsion

#: The bound stated in core.tsne_fft: at the default grid the repulsive force is within 1 % of the exact one in
#: relative norm on a finished map (measured 0.4-0.9 %), and Z within 1e-4 (measured 1e-5 to 9e-5).
FORCE_BOUND, Z_BOUND = 1e-2, 1e-4


def exact_repulsion(Y):
    num = 1.0 / (1.0 + pairwise_distances(Y, squared=True))
    np.fill_diagonal(num, 0.0)
    W = num * num
    return W.sum(axis=1)[:, None] * Y - W @ Y, num.sum()


def clusters(n, scale, seed=0, d=2):
    """A map like a finished t-SNE: tight clusters spread over ``scale``."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-scale, scale, (10, d))
    return centres[rng.integers(0, 10, n)] + rng.normal(0.0, scale / 15, (n, d))


def rel(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


@pytest.mark.parametrize("p", [3, 4, 5, 6])
def test_lagrange_weights_and_derivatives_reproduce_polynomials(p):
    """Against the polynomials themselves: the weights of the stencil's nodes interpolate any polynomial of
    degree < p exactly, and the derivative weights give its derivative."""
    t = np.linspace(-0.5, 1.0, 13)
    nodes = tsne_fft.stencil_nodes(p).astype(float)
    W, dW = lagrange_weights(t, p), lagrange_weights(t, p, derivative=True)
    np.testing.assert_allclose(W.sum(axis=0), 1.0, atol=1e-12)
    np.testing.assert_allclose(dW.sum(axis=0), 0.0, atol=1e-12)
    poly = np.polynomial.Polynomial(np.random.default_rng(p).normal(size=p))  # degree p - 1
    np.testing.assert_allclose(poly(nodes) @ W, poly(t), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(poly(nodes) @ dW, poly.deriv()(t), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(lagrange_weights(np.array([0.0, 1.0]), p), np.stack([nodes == 0, nodes == 1], 1), atol=1e-12)


@pytest.mark.parametrize("scale", [1e-3, 3.0, 30.0, 60.0])
def test_repulsion_within_the_stated_bound_of_the_exact_sums(scale):
    Y = clusters(1500, scale)
    phi, Z = repulsion(Y)
    ref, Z_ref = exact_repulsion(Y)
    assert rel(phi, ref) < FORCE_BOUND
    assert abs(Z - Z_ref) < Z_BOUND * Z_ref


def test_repulsion_in_one_dimension():
    Y = clusters(800, 40.0, d=1)
    phi, Z = repulsion(Y)
    ref, Z_ref = exact_repulsion(Y)
    assert rel(phi, ref) < FORCE_BOUND and abs(Z - Z_ref) < Z_BOUND * Z_ref


def test_a_finer_grid_is_more_accurate():
    Y = clusters(1000, 40.0, seed=3)
    ref, _ = exact_repulsion(Y)
    errors = [rel(repulsion(Y, spacing=h)[0], ref) for h in (0.5, 0.3, 0.15)]
    assert errors[0] > errors[1] > errors[2]


@pytest.fixture(scope="module")
def digits():
    return load_digits().data


def test_gradient_equals_the_exact_one_within_the_bound(digits):
    X = digits[:1200]
    P = joint_probabilities_nn(X, 30.0)
    Y = clusters(1200, 40.0, seed=1).astype(np.float32)
    fast = FFTGradient(P, 2)
    for exaggeration in (1.0, 12.0):
        grad, error = fast(Y, exaggeration, compute_error=True)
        ref_rep, Z = exact_repulsion(Y.astype(np.float64) - Y.mean(axis=0))
        ref = exaggeration * kl_gradient(P, Y) + (exaggeration - 1.0) * 4.0 * ref_rep / Z
        assert grad.dtype == np.float32
        # the attraction is exact; the error is the repulsion's, bounded relative to the repulsion itself
        assert np.linalg.norm(grad - ref) < FORCE_BOUND * np.linalg.norm(4.0 * ref_rep / Z)
        assert error == pytest.approx(kl_divergence(P * exaggeration, Y), rel=1e-4)


def test_early_tiny_map_is_exact_to_rounding(digits):
    P = joint_probabilities_nn(digits[:500], 30.0)
    Y = np.random.default_rng(0).normal(0.0, 1e-4, (500, 2)).astype(np.float32)
    grad, _ = FFTGradient(P, 2)(Y, 12.0)
    ref = 12.0 * kl_gradient(P, Y) + 11.0 * 4.0 * np.divide(*exact_repulsion(Y.astype(np.float64)))
    assert rel(grad, ref) < 1e-4


def test_auto_switches_at_the_stated_sizes():
    assert _auto_method(2500, 2) == "exact"
    assert _auto_method(2501, 2) == "neighbors" and _auto_method(2999, 2) == "neighbors"
    assert _auto_method(3000, 2) == "fft" and _auto_method(3000, 1) == "fft"
    assert _auto_method(20_000, 3) == "neighbors"  # no 3-D grid
    with pytest.raises(ValueError, match="1-D or 2-D"):
        TSNE(n_components=3, method="fft").fit(np.random.default_rng(0).normal(size=(50, 4)))


def test_fft_fit_keeps_the_frames_and_callback_api():
    X = np.random.default_rng(0).normal(size=(300, 5))
    calls = []
    model = TSNE(perplexity=10.0, max_iter=120, method="fft", random_state=0, snapshot_every=10).fit(
        X, callback=lambda i, total: calls.append(i))
    assert model.method_ == "fft" and model.frames_.shape == (13, 300, 2)
    np.testing.assert_array_equal(model.frame_iters_, np.arange(0, 121, 10))
    assert calls == list(range(10, 121, 10))
    assert np.isfinite(model.kl_divergence_)


def test_2500_digits_kl_and_trustworthiness_as_sklearns(digits):
    """2,500 points (digits and noisy copies): KL within 2 % of scikit-learn's Barnes-Hut on the same P (both
    measured exactly) and trustworthiness (k = 10) within 0.01. ~10 s for both on one thread."""
    rng = np.random.default_rng(0)
    X = np.concatenate([digits, digits[:703] + rng.normal(0.0, 1.0, (703, 64))])
    ours = TSNE(perplexity=30.0, max_iter=500, method="fft", random_state=0).fit(X)
    with threadpool_limits(limits=1):
        theirs = SkTSNE(perplexity=30.0, max_iter=500, random_state=0).fit(X)
    P = joint_probabilities_nn(X, 30.0)
    assert kl_divergence(P, ours.embedding_) <= 1.02 * kl_divergence(P, theirs.embedding_)
    t_ours = trustworthiness(X, ours.embedding_, n_neighbors=10)
    t_theirs = trustworthiness(X, theirs.embedding_, n_neighbors=10)
    assert t_ours >= t_theirs - 0.01


def test_the_kernels_spectrum_is_kept_while_the_grid_stays():
    """The cached convolution is reused while the grid keeps its length and spacing, remade when they change;
    either way it gives the potential of a fresh one."""
    Y = clusters(200, 30.0)
    cache = {}
    first = repulsion(Y, cache=cache)
    kept = cache["convolution"]
    again = repulsion(Y + 0.01, cache=cache)
    assert cache["convolution"] is kept
    np.testing.assert_allclose(again[0], repulsion(Y + 0.01)[0], rtol=1e-6)
    repulsion(Y * 2.0, cache=cache)
    assert cache["convolution"] is not kept and cache["convolution"].key[0] > kept.key[0]
    assert first[1] == pytest.approx(repulsion(Y)[1], rel=1e-9)


def test_a_growing_map_changes_its_grid_in_steps():
    """A run's map grows from ~1e-4 across to hundreds: the grid's spacing and FFT length move on ladders, so the
    kernel spectra (which depend on both) are recomputed at a few dozen steps, not at each of 600 sizes; every
    grid still has room for the points and their stencils."""
    base = clusters(300, 1.0, seed=4)
    keys = []
    for scale in np.geomspace(1e-4, 100.0, 600):
        grid = tsne_fft.Grid(base * scale)
        extent = np.ptp(base * scale, axis=0).max()
        assert grid.h <= tsne_fft.NODE_SPACING and extent / grid.h >= tsne_fft.MIN_NODES - 1e-6
        assert grid.m * grid.h >= extent + grid.p * grid.h and 2 * grid.m - 1 <= grid.fft_len
        assert grid.flat.max() < grid.m ** 2
        keys.append((grid.fft_len, grid.h))
    changes = sum(a != b for a, b in zip(keys, keys[1:]))
    assert 10 <= changes <= 60, changes  # 599 when the spacing followed the extent itself
