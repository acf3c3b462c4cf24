"""core.tsne_attraction (t-SNE's attraction over a sparse P, in this process or on a helper process) against a
float64 reference computed pair by pair, and TSNE(method="fft", n_jobs=2) with the helper against one thread."""

import time

import numpy as np
import pytest
from scipy import sparse
from sklearn.datasets import load_digits
from threadpoolctl import threadpool_info

from core import tsne_attraction, tsne_fft
from core.tsne import TSNE, joint_probabilities_nn, kl_divergence, nearest_neighbors, _k_smallest
from core.tsne_attraction import AttractionProcess, attract, row_blocks


def reference(P, Y):
    """``Σ_j p_ij (1 + |y_i − y_j|²)⁻¹ (y_i − y_j)`` and ``Σ p_ij log(1 + |y_i − y_j|²)``, pair by pair."""
    C = sparse.coo_array(P)
    diff = Y[C.row].astype(np.float64) - Y[C.col]
    D = 1.0 + np.sum(diff ** 2, axis=1)
    F = np.zeros(Y.shape)
    np.add.at(F, C.row, (C.data / D)[:, None] * diff)
    return F, float(np.dot(C.data, np.log(D)))


@pytest.fixture(scope="module")
def digits_P():
    X = load_digits().data[:600]
    return X, joint_probabilities_nn(X, 30.0)


def _parts(P):
    P = sparse.csr_array(P)
    return P.indices.astype(np.intp), P.data.astype(np.float32), P.indptr.astype(np.intp)


def test_attraction_equals_the_pairwise_sum(digits_P):
    _, P = digits_P
    Y = np.random.default_rng(0).normal(0.0, 20.0, (P.shape[0], 2))
    cols, p, indptr = _parts(P)
    F, log_d = attract(np.ascontiguousarray(Y.T, dtype=np.float32), cols, p, row_blocks(indptr, 1000), True)
    F_ref, log_d_ref = reference(P, Y.astype(np.float32))
    assert np.abs(F.T - F_ref).max() < 1e-5 * np.abs(F_ref).max()
    assert log_d == pytest.approx(log_d_ref, rel=1e-6)
    assert attract(np.ascontiguousarray(Y.T, dtype=np.float32), cols, p, row_blocks(indptr))[1] is None


def test_blocks_cover_every_pair_once_and_skip_empty_rows():
    """Rows 0, 3 and 7 have no pairs (np.add.reduceat would give them a neighbour's value)."""
    rng = np.random.default_rng(1)
    dense = rng.random((10, 10)) * (rng.random((10, 10)) < 0.5)
    dense[[0, 3, 7]] = 0.0
    P = sparse.csr_array(dense)
    blocks = row_blocks(P.indptr.astype(np.intp), size=4)
    pairs = np.concatenate([np.arange(b[1].start, b[1].stop) for b in blocks])
    np.testing.assert_array_equal(pairs, np.arange(P.nnz))
    assert len(blocks) > 2 and not {0, 3, 7} & set(np.concatenate([b[4] for b in blocks]))
    Y = rng.normal(size=(10, 2)).astype(np.float32)
    F, _ = attract(np.ascontiguousarray(Y.T), P.indices.astype(np.intp), P.data.astype(np.float32), blocks)
    np.testing.assert_allclose(F.T, reference(P, Y)[0], rtol=1e-5, atol=1e-6)
    assert not F[:, [0, 3, 7]].any()


def test_the_helper_process_answers_as_this_one_and_ends_on_close(digits_P):
    _, P = digits_P
    cols, p, indptr = _parts(P)
    helper = AttractionProcess(P.shape[0], cols, p, indptr, 2)
    try:
        for seed, with_log_d in ((0, False), (1, True)):
            axes = np.random.default_rng(seed).normal(0.0, 5.0, (2, P.shape[0])).astype(np.float32)
            helper.send(axes, with_log_d)
            F, log_d = helper.receive()
            F_here, log_d_here = attract(axes, cols, p, row_blocks(indptr), with_log_d)
            np.testing.assert_array_equal(F, F_here)
            assert log_d == log_d_here
    finally:
        helper.close()
    assert helper.process.poll() is not None


def test_fft_gradient_on_two_processes_equals_one(digits_P, monkeypatch):
    monkeypatch.setattr(tsne_fft, "HELPER_MIN_POINTS", 100)
    _, P = digits_P
    Y = np.random.default_rng(2).normal(0.0, 10.0, (P.shape[0], 2)).astype(np.float32)
    one, two = tsne_fft.FFTGradient(P, 2, 1), tsne_fft.FFTGradient(P, 2, 2)
    try:
        assert one._helper is None and two._helper is not None
        for exaggeration in (12.0, 1.0):
            g1, e1 = one(Y, exaggeration, True)
            g2, e2 = two(Y, exaggeration, True)
            np.testing.assert_array_equal(g1, g2)
            assert e1 == e2
    finally:
        helper = two._helper
        two.close()
    assert helper.process.poll() is not None and two._helper is None


def test_a_helper_that_dies_leaves_the_gradient_to_this_process(digits_P, monkeypatch):
    monkeypatch.setattr(tsne_fft, "HELPER_MIN_POINTS", 100)
    _, P = digits_P
    Y = np.random.default_rng(3).normal(0.0, 10.0, (P.shape[0], 2)).astype(np.float32)
    expected = tsne_fft.FFTGradient(P, 2, 1)(Y)[0]
    gradient = tsne_fft.FFTGradient(P, 2, 2)
    gradient._helper.process.kill()
    gradient._helper.process.wait()
    np.testing.assert_array_equal(gradient(Y)[0], expected)
    assert gradient._helper is None
    np.testing.assert_array_equal(gradient(Y)[0], expected)


def test_no_helper_where_none_can_start(digits_P, monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("no processes here")
    monkeypatch.setattr(tsne_fft, "HELPER_MIN_POINTS", 100)
    monkeypatch.setattr(tsne_fft, "AttractionProcess", refuse)
    _, P = digits_P
    gradient = tsne_fft.FFTGradient(P, 2, 2)
    assert gradient._helper is None
    Y = np.random.default_rng(4).normal(size=(P.shape[0], 2)).astype(np.float32)
    np.testing.assert_array_equal(gradient(Y)[0], tsne_fft.FFTGradient(P, 2, 1)(Y)[0])


def test_fit_with_two_jobs_equals_one_job_and_ends_its_helper(digits_P, monkeypatch):
    """The same map either way, BLAS on one thread while the iterations run (its idle threads spin on the
    second core, which the helper needs), and no helper left behind."""
    monkeypatch.setattr(tsne_fft, "HELPER_MIN_POINTS", 100)
    X, _ = digits_P
    helpers, blas_threads = [], []
    start = tsne_attraction.AttractionProcess.__init__

    def remember(self, *args):
        start(self, *args)
        helpers.append(self)
    monkeypatch.setattr(tsne_attraction.AttractionProcess, "__init__", remember)

    def look(i, total):
        blas_threads.extend(lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas")
    kw = dict(perplexity=30.0, max_iter=300, method="fft", random_state=0)
    alone = TSNE(**kw).fit(X)
    both = TSNE(n_jobs=2, **kw).fit(X, callback=look)
    np.testing.assert_array_equal(alone.embedding_, both.embedding_)
    assert len(helpers) == 1 and helpers[0].process.poll() is not None
    assert blas_threads and set(blas_threads) == {1}


def test_fft_fit_reports_the_kl_divergence_within_1e4_of_the_exact_one(digits_P):
    X, P = digits_P
    model = TSNE(perplexity=30.0, max_iter=400, method="fft", random_state=0).fit(X)
    assert model.kl_divergence_ == pytest.approx(kl_divergence(P, model.embedding_), abs=1e-4)


def test_k_smallest_by_a_bound_equals_a_full_selection():
    """Wide rows take the bounded path; with ties (repeated values) the k smallest values still agree."""
    rng = np.random.default_rng(5)
    D = np.round(rng.random((40, 3000)) * 50.0)  # many ties
    D[np.arange(40), np.arange(40)] = np.inf
    idx, val = _k_smallest(D.copy(), 25)
    np.testing.assert_array_equal(val, np.sort(D, axis=1)[:, :25])
    np.testing.assert_array_equal(np.take_along_axis(D, idx, axis=1), val)
    assert all(len(set(row)) == 25 for row in idx)


def test_nearest_neighbours_on_threads_equal_one_thread():
    X = np.random.default_rng(6).normal(size=(3000, 20))
    one = nearest_neighbors(X, 40)
    two = nearest_neighbors(X, 40, n_jobs=2)
    np.testing.assert_array_equal(one[0], two[0])
    np.testing.assert_array_equal(one[1], two[1])


def test_k_smallest_of_repeated_values_selects_on_whole_rows_without_copies():
    """Rows of one repeated value (duplicated data) tie at the bound everywhere: the bounded path would copy
    every entry twice over (measured: 7× the block); it selects on the rows themselves instead."""
    import tracemalloc

    D = np.zeros((100, 4000))
    D[np.arange(100), np.arange(100)] = np.inf
    tracemalloc.start()
    idx, val = _k_smallest(D, 20)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert not val.any() and all(i not in row for i, row in enumerate(idx))
    assert peak < 2.5 * D.nbytes, peak / D.nbytes


def test_a_diverged_map_is_refused_with_the_fits_message(digits_P):
    """Not math.ceil's "cannot convert float infinity to integer" from deep inside the grid."""
    _, P = digits_P
    Y = np.random.default_rng(7).normal(size=(P.shape[0], 2)).astype(np.float32)
    Y[3, 0] = np.inf
    with pytest.raises(ValueError, match="t-SNE diverged"):
        tsne_fft.FFTGradient(P, 2)(Y)
