"""t-SNE in NumPy, written for speed, with a frame of the embedding at every iteration if asked.

t-SNE places points :math:`y_i` in the plane so that their Student-t similarities

.. math:: q_{ij} = \\frac{(1 + \\lVert y_i - y_j \\rVert^2)^{-1}}{Z},\\qquad
          Z = \\sum_{k \\ne l} (1 + \\lVert y_k - y_l \\rVert^2)^{-1}

match Gaussian similarities :math:`p_{ij}` of the data, by gradient descent on
:math:`C = \\mathrm{KL}(P \\,\\|\\, Q) = \\sum_{i \\ne j} p_{ij} \\log (p_{ij} / q_{ij})`, whose gradient is

.. math:: \\frac{\\partial C}{\\partial y_i} = 4 \\sum_j (p_{ij} - q_{ij})\\,
          (1 + \\lVert y_i - y_j \\rVert^2)^{-1} (y_i - y_j).

The input similarities are :math:`p_{ij} = (p_{j|i} + p_{i|j}) / 2n`, with :math:`p_{j|i} \\propto
\\exp(-\\beta_i \\lVert x_i - x_j \\rVert^2)` and each :math:`\\beta_i` found by a search that makes the
entropy of row *i* equal to :math:`\\log(\\text{perplexity})` (in nats).

Everything follows scikit-learn's ``sklearn.manifold.TSNE`` (the names, the defaults, the two-phase
optimiser with early exaggeration, momentum 0.5 then 0.8 and per-coordinate gains, ``learning_rate="auto"``,
the PCA initialisation scaled to a standard deviation of 1e-4), so the two can be held side by side. What
differs is how the gradient is computed: scikit-learn's default approximates the repulsion with a
Barnes-Hut tree; here it is exact, computed over all pairs in row strips of the upper triangle, each strip a
few BLAS products and element-wise passes on float32 data that stays in cache (see ``_Gradient``). On
scikit-learn's digits (1,797 points) an iteration takes ~3 ms, which beats the Barnes-Hut tree on two threads
while keeping every frame; the cost grows as n², so near 5,000 points the two are level.
``method="exact"`` uses the full P (as scikit-learn's ``method="exact"``); ``method="neighbors"`` uses P on
the ``3·perplexity`` nearest neighbours only (as scikit-learn's Barnes-Hut does), which keeps memory
linear in *n* for P while the repulsion stays exact. ``method="fft"`` (1-D and 2-D maps) keeps that sparse P
for the attraction and computes the repulsion by FFT-accelerated interpolation on a grid
(``core.tsne_fft``, after Linderman et al.'s FIt-SNE), whose cost grows with n and the map's area instead of
n²; ``method="auto"`` takes it from 3,000 points. Nothing n × n is stored on the nearest-neighbour paths.
"""

from __future__ import annotations

import math
import os
import time
from concurrent.futures import ThreadPoolExecutor
from numbers import Integral
from typing import Callable

import numpy as np
from scipy import sparse
from threadpoolctl import threadpool_limits

from core.tsne_fft import FFTGradient
from core.validation import MAX_ABS, check_array, check_float, check_int

MACHINE_EPSILON = np.finfo(np.double).eps
#: Iterations with early exaggeration and momentum 0.5 (scikit-learn's ``_EXPLORATION_MAX_ITER``).
EXPLORATION_ITERS = 250
#: The error is checked for progress every this many iterations (scikit-learn's ``_N_ITER_CHECK``).
N_ITER_CHECK = 50
#: The binary search stops when the entropy is this close to log(perplexity) (as scikit-learn).
PERPLEXITY_TOLERANCE = 1e-5
#: ``method="auto"`` uses the full P up to this many points and the nearest-neighbour P beyond.
AUTO_EXACT_MAX_SAMPLES = 2500
#: ... and from this many points on (in 1-D and 2-D maps) the FFT-interpolated repulsion instead of the exact one,
#: past the crossover where 1,000 iterations take as long either way (~2,800 points: at 2,600 a whole run took
#: 4.4 s exact against 4.7 s FFT, at 3,000 5.9 s against 5.0 s; one thread each).
AUTO_FFT_MIN_SAMPLES = 3000
METHODS = ("auto", "exact", "neighbors", "fft")
#: How often (in iterations) ``fit`` calls its progress callback.
CALLBACK_EVERY = 10
_MIN_SAMPLES = 4
#: Bounds that keep a run's memory and time in reach of a ~1 GB app: ``method="exact"`` stores the n × n P twice
#: (12 bytes a pair: 300 MB at 5,000 points), frames take 4·n·n_components bytes each, and ``max_iter`` caps time.
EXACT_MAX_SAMPLES = 5000
MAX_FRAME_VALUES = 50_000_000
MAX_ITER = 10_000
#: Largest learning rate, early exaggeration and initial coordinate accepted: the float32 embedding must not overflow.
_MAX_LEARNING_RATE, _MAX_EXAGGERATION, _MAX_INIT = 1e6, 1000.0, 1e6
_TILE_ELEMENTS = 1 << 16  # elements of one strip buffer (256 KB of float32): cache-sized, and small
# enough that OpenBLAS runs each product on the calling thread (it splits a product M·N·K ≥ 2·2^18 over threads)
_ROW_BLOCK = 1 << 22  # elements per block in the float64 reference computations


# ------------------------------------------------------------------------------------ input similarities


def _squared_distances(A, B=None, sq_a=None, sq_b=None):
    """Squared euclidean distances between the rows of A and B, as ``|a|² + |b|² - 2 a·b``, clipped at 0."""
    B = A if B is None else B
    sq_a = np.einsum("ij,ij->i", A, A) if sq_a is None else sq_a
    sq_b = np.einsum("ij,ij->i", B, B) if sq_b is None else sq_b
    d = A @ B.T
    d *= -2.0
    d += sq_a[:, None]
    d += sq_b[None, :]
    np.maximum(d, 0.0, out=d)
    return d


def _row_blocks(n_rows: int, n_cols: int):
    step = max(1, _ROW_BLOCK // max(n_cols, 1))
    for start in range(0, n_rows, step):
        yield start, min(n_rows, start + step)


def _search_betas(D, desired_entropy, diagonal=None, beta0=None, tol=PERPLEXITY_TOLERANCE, max_steps=100,
                  copy=True):
    """Conditional probabilities of a block of rows of squared distances, and their precisions β.

    Row *i* gets ``P[i, j] ∝ exp(-β_i D[i, j])`` with β_i chosen so that its entropy (in nats) is within
    ``tol`` of ``desired_entropy``; ``diagonal[i]`` (if given) is the column of row i's own point, which
    takes no part.

    scikit-learn halves, doubles and bisects β from 1; this takes Newton steps on log β (the entropy's
    slope is ``-β² Var_P(D)``), falling back to bisection inside the bracket found so far, and can start
    from a good guess ``beta0``, so it needs a few passes instead of dozens. Distances are shifted by the
    row minimum first (which changes nothing after normalisation) so that no row underflows to all zeros.
    A row that has not converged after ``max_steps`` keeps the probabilities of its last β (as scikit-learn).
    """
    D = np.array(D, dtype=np.float64) if copy else np.asarray(D, dtype=np.float64)
    m, k = D.shape
    rows = np.arange(m)
    if diagonal is not None:
        D[rows, diagonal] = np.inf
    dmin = D.min(axis=1)
    dmin[~np.isfinite(dmin)] = 0.0
    D -= dmin[:, None]
    if diagonal is not None:
        D[rows, diagonal] = 0.0  # excluded below; 0 keeps exp() finite
    if beta0 is None:
        spread = D.sum(axis=1) / max(k - (diagonal is not None), 1)
        beta0 = 1.0 / np.maximum(spread, 1e-12)
    beta = np.array(beta0, dtype=np.float64)
    lo = np.zeros(m)
    hi = np.full(m, np.inf)
    P = np.empty((m, k))  # the output; also the scratch for exp(-βD) during the search
    sub = None  # rows still searching, gathered, once they are few enough to be worth the copy
    active = rows
    for _ in range(max_steps):
        na = active.size
        if na == m:
            Da = D
        else:
            if sub is None or sub.shape[0] < na:
                sub = np.empty((na, k))
            Da = np.take(D, active, axis=0, out=sub[:na])
        b = beta[active]
        E = np.multiply(Da, -b[:, None], out=P[:na])
        np.exp(E, out=E)
        if diagonal is not None:
            E[np.arange(na), diagonal[active]] = 0.0
        s = E.sum(axis=1)
        s[s == 0.0] = 1e-8  # scikit-learn's EPSILON_DBL
        mean = np.einsum("ij,ij->i", E, Da) / s
        diff = np.log(s) + b * mean - desired_entropy
        keep = np.abs(diff) > tol
        if not keep.any():
            break
        var = np.einsum("ij,ij,ij->i", E, Da, Da) / s - mean ** 2
        b, diff, idx, var = b[keep], diff[keep], active[keep], var[keep]
        up = diff > 0.0  # entropy too high: β must grow
        lo[idx[up]] = b[up]
        hi[idx[~up]] = b[~up]
        slope = b * b * np.maximum(var, 0.0)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            newton = b * np.exp(np.clip(diff / slope, -2.0, 2.0))
        lo_i, hi_i = lo[idx], hi[idx]
        bisect = np.where(np.isinf(hi_i), b * 2.0, np.where(lo_i == 0.0, b / 2.0, 0.5 * (lo_i + hi_i)))
        ok = np.isfinite(newton) & (newton > lo_i) & (newton < hi_i) & (slope > 0.0)
        if _ == max_steps - 1:
            break  # out of steps: keep the last β evaluated (as scikit-learn)
        beta[idx] = np.where(ok, newton, bisect)
        active = idx
    # the probabilities at the β found, every row in one pass
    np.multiply(D, -beta[:, None], out=P)
    np.exp(P, out=P)
    if diagonal is not None:
        P[rows, diagonal] = 0.0
    s = P.sum(axis=1)
    s[s == 0.0] = 1e-8
    P /= s[:, None]
    return P, beta


def _search_rows(D, desired_entropy, perplexity, diagonal=None, copy=True):
    """``_search_betas`` on whole rows, started from the β found on each row's nearest max(3·perplexity + 1,
    300) entries (cheap), a few Newton steps from the answer. ``copy=False`` lets it overwrite D."""
    m, k = D.shape
    D = np.array(D, dtype=np.float64) if copy else np.asarray(D, dtype=np.float64)
    k0 = min(k - 1 - (diagonal is not None), max(int(3.0 * perplexity + 1), 300))
    beta0 = None
    if k0 >= 1 and 3 * k0 < k:
        if diagonal is not None:
            D[np.arange(m), diagonal] = np.inf
        near = np.partition(D, k0 - 1, axis=1)[:, :k0]
        beta0 = _search_betas(near, desired_entropy, copy=False)[1]
    return _search_betas(D, desired_entropy, diagonal, beta0, copy=False)


def conditional_probabilities(distances_squared, perplexity):
    """The conditional probabilities ``P[i, j] = p_{j|i}`` and the precisions β_i for one perplexity.

    ``distances_squared`` is either the full ``(n, n)`` matrix (a point is left out of its own row) or
    ``(n, k)`` distances to each point's k nearest neighbours (every entry counts), exactly as
    scikit-learn's ``_binary_search_perplexity`` reads it. Each row sums to 1 and has entropy
    ``log(perplexity)`` nats (to within 1e-5).
    """
    D = check_array("distances_squared", distances_squared, finite=False)
    if D.ndim != 2 or D.shape[1] < 1 + (D.shape[0] == D.shape[1]):
        raise ValueError(f"distances_squared must be a 2-D array with a neighbour in every row, got shape {D.shape}.")
    if not np.all(np.isfinite(D)) or np.any(D < 0) or np.any(D > MAX_ABS):
        raise ValueError(f"distances_squared must be finite, non-negative and at most {MAX_ABS:g}.")
    n, k = D.shape
    # Each row spreads over its k neighbours (k − 1 others in the full matrix): the perplexity, an effective
    # number of neighbours, cannot exceed that.
    others = k - (n == k)
    perplexity = check_float("perplexity", perplexity, low=0.0, low_inclusive=False, high=others)
    target = math.log(perplexity)
    P = np.empty((n, k))
    betas = np.empty(n)
    for start, stop in _row_blocks(n, k):
        diagonal = np.arange(start, stop) if n == k else None
        P[start:stop], betas[start:stop] = _search_rows(D[start:stop], target, perplexity, diagonal)
    return P, betas


def _as_data(X, name="X"):
    X = check_array(name, X, finite=False)
    if X.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (samples × features), got shape {X.shape}.")
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{name} contains NaN or infinite values; remove or impute them first.")
    # Squared distances, and their squares in the perplexity search, must stay finite.
    return check_array(name, X, max_abs=MAX_ABS)


def joint_probabilities(X, perplexity):
    """The dense symmetric joint probabilities ``P = (P_cond + P_condᵀ) / sum`` of data X (rows = points).

    Matches scikit-learn's ``_joint_probabilities`` on squared euclidean distances: the diagonal is 0, every
    other entry is at least machine epsilon, and the matrix sums to 1 (up to those floors).
    """
    X = _as_data(X)
    n = X.shape[0]
    _check_perplexity(perplexity, n)
    sq = np.einsum("ij,ij->i", X, X)
    target = math.log(perplexity)
    P = np.empty((n, n))
    for start, stop in _row_blocks(n, n):
        D = _squared_distances(X[start:stop], X, sq[start:stop], sq)
        P[start:stop] = _search_rows(D, target, perplexity, np.arange(start, stop), copy=False)[0]
    P += P.T
    P /= max(P.sum(), MACHINE_EPSILON)
    np.maximum(P, MACHINE_EPSILON, out=P)
    np.fill_diagonal(P, 0.0)
    return P


def nearest_neighbors(X, n_neighbors, n_jobs=None):
    """Indices and squared distances of each row's ``n_neighbors`` nearest other rows, nearest first.

    Exact, by blocks of the distance matrix (no tree: t-SNE's inputs usually have many features). ``n_jobs``
    threads share the blocks (None: 1, -1: every CPU), as scikit-learn's ``NearestNeighbors``: the selection
    (``np.argpartition``, ~3/4 of the time at 20,000 points) releases Python's lock.
    """
    X = _as_data(X)
    n = X.shape[0]
    k = check_int("n_neighbors", n_neighbors, low=1, high=n - 1)
    threads = _threads(n_jobs)
    sq = np.einsum("ij,ij->i", X, X)
    idx = np.empty((n, k), dtype=np.intp)
    dist = np.empty((n, k))

    def block(rows):
        start, stop = rows
        D = _squared_distances(X[start:stop], X, sq[start:stop], sq)
        D[np.arange(stop - start), np.arange(start, stop)] = np.inf
        idx[start:stop], dist[start:stop] = _k_smallest(D, k)

    blocks = list(_row_blocks(n, n))
    if threads == 1 or len(blocks) == 1:
        for rows in blocks:
            block(rows)
    else:  # BLAS on each calling thread: its own threads beside ours made 20,000 points 2.6 s, not 1.9 s
        with ThreadPoolExecutor(min(threads, len(blocks))) as pool, threadpool_limits(limits=1, user_api="blas"):
            list(pool.map(block, blocks))
    return idx, dist


def _k_smallest(D, k):
    """``(indices, values)`` of each row's k smallest entries, smallest first (exact; ties in any order).

    For a wide D, the k-th smallest over every 8th column is an upper bound on each row's k-th smallest, so the
    selection runs only on the entries at or below it (~8k a row for spread-out rows): at 20,000 columns that
    took 25 ms a block against 45 ms for ``np.argpartition`` over whole rows."""
    b, n = D.shape
    index = None
    if 16 * k < n:
        bound = np.partition(D[:, ::8], k - 1, axis=1)[:, k - 1]
        keep = D <= bound[:, None]
        counts = np.count_nonzero(keep, axis=1)
        # Ties at the bound all count: a row of repeated values can keep most of its entries (then select on all).
        if counts.max() <= n // 4:
            flat = np.flatnonzero(keep)  # row-major: each row's candidates in a run
            rows = flat // n
            slot = np.arange(len(flat)) - np.repeat(np.cumsum(counts) - counts, counts)
            C = np.full((b, counts.max()), np.inf)
            index = np.zeros(C.shape, np.intp)
            C[rows, slot] = D.ravel()[flat]
            index[rows, slot] = flat - rows * n
            D = C
    part = np.argpartition(D, k - 1, axis=1)[:, :k] if k < D.shape[1] else np.argsort(D, axis=1)[:, :k]
    values = np.take_along_axis(D, part, axis=1)
    order = np.argsort(values, axis=1, kind="stable")
    part = np.take_along_axis(part, order, axis=1)
    return (part if index is None else np.take_along_axis(index, part, axis=1)), np.take_along_axis(values, order, axis=1)


def joint_probabilities_nn(X, perplexity, n_neighbors=None, n_jobs=None):
    """The sparse symmetric joint probabilities on nearest neighbours, as scikit-learn's Barnes-Hut uses.

    Each point's conditional distribution lives on its ``k = min(n - 1, int(3·perplexity + 1))`` nearest
    neighbours; ``P = (P_cond + P_condᵀ) / sum`` as a ``scipy.sparse.csr_array`` that sums to 1. ``n_jobs``:
    threads for the neighbour search (:func:`nearest_neighbors`).
    """
    X = _as_data(X)
    n = X.shape[0]
    _check_perplexity(perplexity, n)
    k = min(n - 1, int(3.0 * perplexity + 1)) if n_neighbors is None else n_neighbors
    idx, dist = nearest_neighbors(X, k, n_jobs)
    P_cond, _ = conditional_probabilities(dist, perplexity)
    indptr = np.arange(0, n * k + 1, k)
    P = sparse.csr_array((P_cond.ravel(), idx.ravel(), indptr), shape=(n, n))
    P = (P + P.T).tocsr()
    P.sum_duplicates()
    P.sort_indices()
    P.data /= max(P.data.sum(), MACHINE_EPSILON)
    return P


def _check_perplexity(perplexity, n_samples):
    perplexity = check_float("perplexity", perplexity, low=0.0, low_inclusive=False)
    if perplexity >= n_samples:
        raise ValueError(f"perplexity must be less than n_samples: got perplexity {perplexity:g} with "
                         f"{n_samples} samples; lower the perplexity below {n_samples} or add samples.")
    return perplexity


# ------------------------------------------------------------------------- exact objective (reference)


def _as_embedding(Y, n):
    Y = _as_data(Y, "Y")
    if Y.shape[0] != n:
        raise ValueError(f"Y must be a 2-D array with one row per point ({n}), got shape {Y.shape}.")
    return Y


def _as_probabilities(P):
    """P as given (dense or scipy sparse), checked: square, finite, non-negative."""
    if sparse.issparse(P):
        values, shape = np.asarray(P.data, dtype=np.float64), P.shape
    else:
        P = values = check_array("P", P, finite=False)
        shape = P.shape
    if len(shape) != 2 or shape[0] != shape[1] or shape[0] < 2:
        raise ValueError(f"P must be a square (n, n) matrix of joint probabilities, n ≥ 2, got shape {shape}.")
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise ValueError("P must hold finite, non-negative probabilities.")
    return P


def _kernel_rows(Y, sq, start, stop):
    """``(1 + |y_i - y_j|²)⁻¹`` for rows start..stop against all points, 0 on the diagonal."""
    num = _squared_distances(Y[start:stop], Y, sq[start:stop], sq)
    num += 1.0
    np.reciprocal(num, out=num)
    num[np.arange(stop - start), np.arange(start, stop)] = 0.0
    return num


def _normaliser(Y, sq):
    n = Y.shape[0]
    return sum(float(_kernel_rows(Y, sq, a, b).sum()) for a, b in _row_blocks(n, n))


def kl_divergence(P, Y):
    """The exact ``KL(P ‖ Q) = Σ_{i≠j} p_ij log(p_ij / q_ij)`` of embedding Y, in float64 over all pairs.

    P is dense ``(n, n)`` or a scipy sparse matrix (its stored entries are the nonzeros); its diagonal is
    ignored. As scikit-learn's ``_kl_divergence``, p is floored at machine epsilon inside the logarithm.
    Computed as ``Σ p log p + Σ p log(1 + |y_i - y_j|²) + Σp · log Z`` in one pass over blocks of rows.
    """
    P = _as_probabilities(P)
    n = P.shape[0]
    Y = _as_embedding(Y, n)
    sq = np.einsum("ij,ij->i", Y, Y)
    if sparse.issparse(P):
        C = sparse.coo_array(P)
        keep = C.row != C.col
        r, c, p = C.row[keep], C.col[keep], np.asarray(C.data[keep], dtype=np.float64)
        log_d = np.log1p(np.sum((Y[r] - Y[c]) ** 2, axis=1))
        Z = _normaliser(Y, sq)
        return float(np.dot(p, np.log(np.maximum(p, MACHINE_EPSILON))) + np.dot(p, log_d) + p.sum() * math.log(Z))
    P = np.asarray(P, dtype=np.float64)
    Z = p_log_p = p_log_d = p_sum = 0.0
    for a, b in _row_blocks(n, n):
        rows, cols = np.arange(b - a), np.arange(a, b)
        D = _squared_distances(Y[a:b], Y, sq[a:b], sq)
        D += 1.0
        D[rows, cols] = 1.0  # a point and itself: log 1 = 0 below, and 1 taken off Z
        p = P[a:b]
        p_diag = p[rows, cols]
        L = np.log(D)
        p_log_d += float(np.vdot(p, L))
        np.maximum(p, MACHINE_EPSILON, out=L)
        np.log(L, out=L)
        L *= p
        p_log_p += float(L.sum()) - float(np.sum(p_diag * np.log(np.maximum(p_diag, MACHINE_EPSILON))))
        p_sum += float(p.sum()) - float(p_diag.sum())
        np.divide(1.0, D, out=D)
        Z += float(D.sum()) - (b - a)
    return p_log_p + p_log_d + p_sum * math.log(Z)


def kl_gradient(P, Y):
    """The exact gradient ``4 Σ_j (p_ij - q_ij)(1 + |y_i - y_j|²)⁻¹ (y_i - y_j)``, float64 (reference)."""
    P = _as_probabilities(P)
    n = P.shape[0]
    Y = _as_embedding(Y, n)
    P = P.toarray() if sparse.issparse(P) else np.asarray(P, dtype=np.float64)
    sq = np.einsum("ij,ij->i", Y, Y)
    Z = _normaliser(Y, sq)
    grad = np.empty_like(Y)
    for a, b in _row_blocks(n, n):
        num = _kernel_rows(Y, sq, a, b)
        W = (P[a:b] - num / Z) * num
        W[np.arange(b - a), np.arange(a, b)] = 0.0
        grad[a:b] = 4.0 * (W.sum(axis=1)[:, None] * Y[a:b] - W @ Y)
    return grad


# ------------------------------------------------------------------------------- quality of embeddings


def _check_pair(X, Y):
    X = _as_data(X)
    Y = _as_data(Y, "Y")
    if X.shape[0] != Y.shape[0]:
        raise ValueError(f"X and Y must have the same number of rows, got {X.shape[0]} and {Y.shape[0]}.")
    return X, Y


def _blocked_neighbour_distances(A, start, stop, sq):
    D = _squared_distances(A[start:stop], A, sq[start:stop], sq)
    D[np.arange(stop - start), np.arange(start, stop)] = np.inf
    return D


def trustworthiness(X, Y, n_neighbors=5):
    """How far the embedding's neighbours are from being true neighbours (1 = all are), as scikit-learn.

    ``T(k) = 1 - 2 / (n k (2n - 3k - 1)) Σ_i Σ_{j ∈ N_k^Y(i)} max(0, r(i, j) - k)`` where ``N_k^Y(i)`` are
    i's k nearest neighbours in Y and ``r(i, j)`` is j's rank among i's neighbours in X (1 = nearest).
    Tied distances in X share the best rank (scikit-learn breaks ties by sort order instead).
    """
    X, Y = _check_pair(X, Y)
    n = X.shape[0]
    k = check_int("n_neighbors", n_neighbors, low=1)
    if k >= n / 2:
        raise ValueError(f"n_neighbors ({k}) must be less than n_samples / 2 ({n / 2:g}); use fewer neighbours.")
    sqX, sqY = np.einsum("ij,ij->i", X, X), np.einsum("ij,ij->i", Y, Y)
    penalty = 0
    step = max(1, (1 << 21) // (n * k))
    for a in range(0, n, step):
        b = min(n, a + step)
        DX = _blocked_neighbour_distances(X, a, b, sqX)
        DY = _blocked_neighbour_distances(Y, a, b, sqY)
        nn = np.argpartition(DY, k - 1, axis=1)[:, :k]
        d = np.take_along_axis(DX, nn, axis=1)
        rank = 1 + np.count_nonzero(DX[:, None, :] < d[:, :, None], axis=2)
        penalty += int(np.maximum(rank - k, 0).sum())
    return 1.0 - penalty * (2.0 / (n * k * (2.0 * n - 3.0 * k - 1.0)))


def knn_preservation(X, Y, k=10):
    """Mean fraction of each point's k nearest neighbours in X that are also among its k nearest in Y."""
    X, Y = _check_pair(X, Y)
    n = X.shape[0]
    k = check_int("k", k, low=1, high=n - 1)
    sqX, sqY = np.einsum("ij,ij->i", X, X), np.einsum("ij,ij->i", Y, Y)
    shared = 0
    for a, b in _row_blocks(n, n):
        nx = np.argpartition(_blocked_neighbour_distances(X, a, b, sqX), k - 1, axis=1)[:, :k]
        ny = np.argpartition(_blocked_neighbour_distances(Y, a, b, sqY), k - 1, axis=1)[:, :k]
        shared += int(np.count_nonzero(nx[:, :, None] == ny[:, None, :]))
    return shared / (n * k)


# --------------------------------------------------------------------------------- the fast gradient


def layout_disparity(X, Y, labels=None) -> float:
    """How differently two maps of the same points are laid out, once the best rotation, reflection, uniform
    scaling and shift has been undone: SciPy's Procrustes disparity (0: the same layout, 1: unrelated). With
    ``labels``, of the classes' centres (where the clusters sit), else of the points themselves."""
    from scipy.spatial import procrustes

    X, Y = _check_pair(X, Y)
    if X.shape[1] != Y.shape[1]:
        raise ValueError(f"Both maps need the same number of dimensions, got {X.shape[1]} and {Y.shape[1]}.")
    if labels is not None:
        labels = np.asarray(labels)
        if labels.shape != (X.shape[0],):
            raise ValueError(f"labels must hold one label per row ({X.shape[0]}), got shape {labels.shape}.")
        classes = np.unique(labels)
        if len(classes) >= 3:  # two centres always line up: compare points instead
            X = np.array([X[labels == k].mean(axis=0) for k in classes])
            Y = np.array([Y[labels == k].mean(axis=0) for k in classes])
    if X.shape[0] < 2 or not (np.ptp(X, axis=0).any() and np.ptp(Y, axis=0).any()):
        raise ValueError("Procrustes needs two maps of at least two distinct points each.")
    return float(procrustes(X, Y)[2])


def global_rank_correlation(X, Y) -> float:
    """How much of the global layout a map keeps: Spearman's rank correlation between all pairwise distances
    in the data and in the map (1: every pair keeps its order by distance)."""
    from scipy.spatial.distance import pdist
    from scipy.stats import spearmanr

    X, Y = _check_pair(X, Y)
    if X.shape[0] < 3:
        raise ValueError(f"A rank correlation of distances needs at least 3 points, got {X.shape[0]}.")
    dx, dy = pdist(X), pdist(Y)
    if np.ptp(dx) == 0 or np.ptp(dy) == 0 or not (np.isfinite(dx).all() and np.isfinite(dy).all()):
        raise ValueError("Every pairwise distance is the same (or too large to compute): no order to compare.")
    return float(spearmanr(dx, dy).statistic)


def _threads(n_jobs) -> int:
    """Threads for ``n_jobs``: None → 1, -1 → every CPU this process may use, else that many."""
    if n_jobs is None:
        return 1
    threads = check_int("n_jobs", n_jobs, low=-1)
    if threads == 0:
        raise ValueError("n_jobs must be a positive number of threads, -1 for every CPU or None for one; got 0.")
    return _default_threads() if threads == -1 else threads


def _default_threads():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class _Gradient:
    """The exact t-SNE gradient of float32 embeddings, over all pairs, in strips of the upper triangle.

    Strip ``[s, e)`` holds rows s..e-1 against columns s..n-1 (its leading block is square and holds both
    orders of each pair inside it). Per strip, with ``D = 1 + |y_i - y_j|²`` from one BLAS product of
    ``[1 + |y_i|², 1, -2 y_i]`` and ``[1, |y_j|², y_j]``, ``num = 1/D``, ``A = P ∘ num`` and ``B = num²``,
    BLAS products with ``V = [y, 1, |y|²]`` give

    * for the strip's rows, ``Vᵀ A ᵀ`` and ``Vᵀ Bᵀ`` (sums over the strip's columns),
    * for the columns right of the leading block, ``V_Iᵀ A`` and ``V_Iᵀ B`` (the mirrored pairs),

    hence ``Σ_j a_ij (y_i - y_j)`` and ``Σ_j b_ij (y_i - y_j)`` for every i and, without another pass,
    ``Z = Σ_ij num_ij = Σ_ij b_ij D_ij`` expanded through the same sums. The gradient is
    ``4 (α Σ_j a_ij (y_i - y_j) - Σ_j b_ij (y_i - y_j) / Z)`` with α the exaggeration.

    A sparse P (nearest neighbours) is scattered into A at its nonzeros instead of multiplied in.

    Precision: float32 throughout, and both ``|y_i|² + |y_j|² - 2 y_i·y_j`` and ``y_i Σ_j a_ij - Σ_j a_ij y_j``
    cancel large terms. Early on, and at any moderate scale (|y| ≈ 15), the gradient agrees with the float64
    reference to 1e-4; near convergence on digits (|y| up to 75, attraction and repulsion cancelling to
    about 1%) the net gradient is off by a few percent, like float32 rounding noise. It does not show in
    the result: the same run with the float64 reference gradient ended at KL 0.681, this one at 0.680.

    Strips are about 64k elements: their buffers stay in cache, and every BLAS product (4·h·w multiply-adds)
    is small enough that OpenBLAS runs it on the calling thread: from 2^19 it splits products over its
    thread pool, which made them 6x slower per call here and, on a busy machine, whole iterations 10x
    slower. Groups of strips can run on threads (NumPy and BLAS release the GIL), but with calls this
    short the GIL hand-offs cost more than a second core gains, so one thread is the default.
    """

    def __init__(self, P, n_components, n_threads=1, tile_elements=_TILE_ELEMENTS):
        n = P.shape[0]
        self.n, self.c = n, n_components
        k = self.k = n_components + 2
        self.sparse = sparse.issparse(P)
        strips = []
        s = 0
        while s < n:
            w = n - s
            h = max(1, min(w, tile_elements // w))
            strips.append((s, min(n, s + h)))
            s = strips[-1][1]
        n_threads = max(1, min(int(n_threads), len(strips)))
        groups = [[] for _ in range(n_threads)]
        load = [0] * n_threads
        for s, e in sorted(strips, key=lambda t: -(t[1] - t[0]) * (n - t[0])):
            g = load.index(min(load))
            groups[g].append((s, e))
            load[g] += (e - s) * (n - s)
        if self.sparse:
            P = sparse.csr_array(P, dtype=np.float64)
            P.sort_indices()
            Pd = P.data
        else:
            Pd = np.asarray(P, dtype=np.float64)
        self.p_sum = float(Pd.sum())
        self.p_log_p = float(np.sum(Pd * np.log(np.maximum(Pd, MACHINE_EPSILON))))
        # Embedding-derived operands, rewritten in place every call so the strip views stay valid.
        self.L = np.empty((n, k), np.float32)  # [1 + |y|², 1, -2y]
        self.RT = np.empty((k, n), np.float32)  # [1, |y|², y]ᵀ
        self.VT = np.empty((k, n), np.float32)  # [y, 1, |y|²]ᵀ
        self.groups = []
        for strips_g in groups:
            size = max(((e - s) * (n - s) for s, e in strips_g), default=1)
            Dbuf, Abuf, Bbuf = (np.empty(size, np.float32) for _ in range(3))
            acc = np.zeros((4, k, n), np.float32)  # row sums of A, of B; column sums of A, of B
            items = []
            for s, e in sorted(strips_g):
                h, w = e - s, n - s
                hw = h * w
                D, A, B = (buf[:hw].reshape(h, w) for buf in (Dbuf, Abuf, Bbuf))
                if self.sparse:
                    sub = sparse.coo_array(P[s:e, s:])
                    flat = sub.row.astype(np.intp) * w + sub.col.astype(np.intp)
                    pdat = (flat, sub.data.astype(np.float32), np.where(sub.col >= h, 2.0, 1.0) * sub.data)
                else:
                    pdat = np.ascontiguousarray(P[s:e, s:], dtype=np.float32)
                tail = e < n
                items.append((
                    pdat, Dbuf[:hw], Abuf[:hw], D, A, B, Dbuf[: h * (w + 1): w + 1], h,
                    self.L[s:e], self.RT[:, s:], self.VT[:, s:], A.T, B.T, acc[0, :, s:e], acc[1, :, s:e],
                    self.VT[:, s:e] if tail else None, A[:, h:] if tail else None, B[:, h:] if tail else None,
                    acc[2, :, e:] if tail else None, acc[3, :, e:] if tail else None,
                ))
            self.groups.append(dict(items=items, acc=acc, err=0.0))
        self._pool = ThreadPoolExecutor(len(self.groups) - 1) if len(self.groups) > 1 else None

    def close(self):
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def _run(self, group, compute_error):
        matmul, divide, multiply, square, log = np.matmul, np.divide, np.multiply, np.square, np.log
        acc = group["acc"]
        acc[2:].fill(0.0)  # the mirrored sums accumulate; the row sums are written whole
        err = 0.0
        dense = not self.sparse
        for (pdat, Dflat, Aflat, D, A, B, diag, h, L, RT, VT, AT, BT, rowA, rowB,
             VT_I, A_tail, B_tail, colA, colB) in group["items"]:
            matmul(L, RT, out=D)  # 1 + |y_i - y_j|²
            if compute_error:  # Σ p log D over the strip: mirrored pairs count twice, the leading block once
                if dense:
                    log(D, out=B)
                    err += 2.0 * float(np.vdot(pdat, B)) - float(np.sum(pdat[:, :h] * B[:, :h]))
                else:
                    err += float(np.dot(pdat[2], np.log(Dflat[pdat[0]])))
            divide(1.0, D, out=D)  # (20% faster than np.reciprocal for float32)
            diag[...] = 0.0  # a point and itself
            if dense:
                multiply(D, pdat, out=A)
            else:
                A.fill(0.0)
                Aflat[pdat[0]] = Dflat[pdat[0]] * pdat[1]
            square(D, out=B)
            matmul(VT, AT, out=rowA)
            matmul(VT, BT, out=rowB)
            if VT_I is not None:
                colA += VT_I @ A_tail
                colB += VT_I @ B_tail
        group["err"] = err

    def __call__(self, Y, exaggeration=1.0, compute_error=False):
        """The gradient at Y (float32, (n, c)) and, if asked, the KL divergence of ``exaggeration · P``."""
        c = self.c
        Yc = Y - Y.mean(axis=0, dtype=np.float64).astype(np.float32)
        sq = np.einsum("ij,ij->i", Yc, Yc)
        L, RT, VT = self.L, self.RT, self.VT
        np.add(sq, 1.0, out=L[:, 0])
        L[:, 1] = 1.0
        np.multiply(Yc, -2.0, out=L[:, 2:])
        RT[0] = 1.0
        RT[1] = sq
        RT[2:] = Yc.T
        VT[:c] = Yc.T
        VT[c] = 1.0
        VT[c + 1] = sq
        futures = [self._pool.submit(self._run, g, compute_error) for g in self.groups[1:]] if self._pool else []
        self._run(self.groups[0], compute_error)
        for f in futures:
            f.result()
        acc = self.groups[0]["acc"]
        SA = acc[0] + acc[2]
        SB = acc[1] + acc[3]
        for g in self.groups[1:]:
            SA += g["acc"][0] + g["acc"][2]
            SB += g["acc"][1] + g["acc"][3]
        # Z = Σ_i (1 + |y_i|²) Σ_j b_ij + Σ_j b_ij |y_j|² - 2 y_i · Σ_j b_ij y_j
        Z = (np.dot(SB[c].astype(np.float64), 1.0 + sq) + SB[c + 1].sum(dtype=np.float64)
             - 2.0 * float(np.vdot(SB[:c].astype(np.float64), Yc.T.astype(np.float64))))
        rep = np.float32(1.0 / Z)
        grad = SA[c] * Yc.T
        grad -= SA[:c]
        grad *= np.float32(4.0 * exaggeration)
        repulsion = SB[c] * Yc.T
        repulsion -= SB[:c]
        repulsion *= np.float32(4.0) * rep
        grad -= repulsion
        error = None
        if compute_error:
            a = exaggeration
            p_log_d = sum(g["err"] for g in self.groups)
            error = a * (self.p_log_p + self.p_sum * math.log(a)) + a * (p_log_d + self.p_sum * math.log(Z))
        return np.ascontiguousarray(grad.T), error


# ------------------------------------------------------------------------------------------ estimator


def _pca_init(X, n_components):
    """scikit-learn's PCA initialisation: the first components, signs fixed so each component's largest
    loading is positive, scaled so the first coordinate has standard deviation 1e-4."""
    Xc = X - X.mean(axis=0)
    n, d = Xc.shape
    if d <= n:
        vals, vecs = np.linalg.eigh(Xc.T @ Xc)
        V = vecs[:, ::-1][:, :n_components].T
    else:
        vals, U = np.linalg.eigh(Xc @ Xc.T)
        U = U[:, ::-1][:, :n_components]
        V = (U.T @ Xc) / np.sqrt(np.maximum(vals[::-1][:n_components], MACHINE_EPSILON))[:, None]
    signs = np.sign(V[np.arange(V.shape[0]), np.argmax(np.abs(V), axis=1)])
    signs[signs == 0] = 1.0
    V *= signs[:, None]
    emb = (Xc @ V.T).astype(np.float32)
    std = np.std(emb[:, 0])
    if not std > 0:
        raise ValueError("init='pca' needs data that varies; all points are the same. Use init='random'.")
    return emb / std * np.float32(1e-4)


def _random_state(random_state):
    if isinstance(random_state, np.random.RandomState):
        return random_state
    if random_state is None:
        return np.random.RandomState()
    if isinstance(random_state, Integral) and not isinstance(random_state, bool):
        return np.random.RandomState(check_int("random_state", random_state, low=0, high=2**32 - 1))
    if isinstance(random_state, np.random.Generator):
        return random_state
    raise ValueError(f"random_state must be None, an int or a NumPy random generator, got {random_state!r}.")


class TSNE:
    """t-distributed Stochastic Neighbor Embedding, with scikit-learn's parameters and attributes.

    Attributes after ``fit``: ``embedding_`` (float32, ``(n, n_components)``), ``kl_divergence_`` (the exact
    KL divergence of the final embedding against the P that was optimised, over all pairs; with
    ``method="fft"`` its Z is the grid's, within ~1e-4 of the exact value), ``n_iter_``
    (gradient steps taken; scikit-learn reports one less), ``learning_rate_``, ``frames_`` (float32
    ``(n_frames, n, n_components)``: the initial embedding, every ``snapshot_every``-th iteration and the
    last; None without ``snapshot_every``), ``frame_iters_`` (the iteration of each frame),
    ``kl_history_`` (``(m, 2)``: at each progress check, every 50 iterations, the frame index i and the KL
    divergence of the embedding after i steps, with exaggerated P in the first 250 iterations as
    scikit-learn reports it; with ``method="fft"`` Z in it is the grid's estimate), ``method_`` (``"exact"``,
    ``"neighbors"`` or ``"fft"``), ``timings_`` (seconds spent on P and set-up, on the iterations, and on the
    final KL).

    ``method``: ``"exact"`` (full P, exact repulsion), ``"neighbors"`` (nearest-neighbour P, exact repulsion),
    ``"fft"`` (nearest-neighbour P, repulsion by FFT-accelerated interpolation; 1-D and 2-D maps only) or
    ``"auto"``: the full P up to 2,500 points, the nearest-neighbour P beyond, with the FFT repulsion from
    3,000 points in 1-D and 2-D (see :data:`AUTO_FFT_MIN_SAMPLES`). ``angle`` is accepted for
    scikit-learn's signature and not used (no Barnes-Hut tree here). The Student-t always has one
    degree of freedom, as in the original t-SNE; scikit-learn uses ``max(n_components - 1, 1)``, the same for 1-
    and 2-D maps, but 2 for a 3-D map, which therefore optimises a different objective here than there.
    ``n_jobs`` (None: 1, -1: every CPU): threads for the nearest-neighbour search, as scikit-learn's; with
    ``method="fft"`` from 2,000 points, 2 or more put the attraction on a helper process beside the repulsion
    (``core.tsne_attraction``: 10,000 points on 2 cores, 13 s → 9 s); on the exact paths, threads for the
    gradient, which were slower on 2 cores (each NumPy call is short, and handing Python's lock between threads
    cost more than the second core gave).

    Bounds, so that a run fits a ~1 GB app: ``max_iter`` ≤ 10,000, ``method="exact"`` ≤ 5,000 points, frames
    ≤ 50 million coordinates, ``learning_rate`` ≤ 1e6, ``early_exaggeration`` ≤ 1000, data within ±1e50. A run
    whose embedding overflows raises ``ValueError`` instead of returning NaN.
    """

    def __init__(self, n_components=2, *, perplexity=30.0, early_exaggeration=12.0, learning_rate="auto",
                 max_iter=1000, n_iter_without_progress=300, min_grad_norm=1e-7, metric="euclidean",
                 init="pca", random_state=None, method="auto", angle=None, n_jobs=None, snapshot_every=None):
        self.n_components = n_components
        self.perplexity = perplexity
        self.early_exaggeration = early_exaggeration
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.n_iter_without_progress = n_iter_without_progress
        self.min_grad_norm = min_grad_norm
        self.metric = metric
        self.init = init
        self.random_state = random_state
        self.method = method
        self.angle = angle
        self.n_jobs = n_jobs
        self.snapshot_every = snapshot_every

    # ---------------------------------------------------------------------------------- validation
    def _validate(self, X):
        X = _as_data(X)
        n = X.shape[0]
        if n < _MIN_SAMPLES:
            raise ValueError(f"t-SNE needs at least {_MIN_SAMPLES} samples, got {n}.")
        c = check_int("n_components", self.n_components, low=1, high=3)
        perplexity = _check_perplexity(self.perplexity, n)
        exaggeration = check_float("early_exaggeration", self.early_exaggeration, low=1.0, high=_MAX_EXAGGERATION)
        if isinstance(self.learning_rate, str):
            if self.learning_rate != "auto":
                raise ValueError(f"learning_rate must be 'auto' or a positive number, got {self.learning_rate!r}.")
            lr = max(n / exaggeration / 4.0, 50.0)
        else:
            lr = check_float("learning_rate", self.learning_rate, low=0.0, low_inclusive=False,
                             high=_MAX_LEARNING_RATE)
        max_iter = check_int("max_iter", self.max_iter, low=1, high=MAX_ITER)
        patience = check_int("n_iter_without_progress", self.n_iter_without_progress, low=-1)
        min_grad_norm = check_float("min_grad_norm", self.min_grad_norm, low=0.0)
        if self.metric != "euclidean":
            raise ValueError(f"metric must be 'euclidean' (squared distances, as scikit-learn), got {self.metric!r}.")
        if self.angle is not None:
            check_float("angle", self.angle, low=0.0, high=1.0)
        if not isinstance(self.method, str) or self.method not in METHODS:
            raise ValueError(f"method must be 'auto', 'exact', 'neighbors' or 'fft', got {self.method!r}.")
        method = self.method
        if method == "auto":
            method = _auto_method(n, c)
        if method == "fft" and c > 2:
            raise ValueError(f"method='fft' interpolates on a 1-D or 2-D grid; for a {c}-D map use method='neighbors'.")
        if method == "exact" and n > EXACT_MAX_SAMPLES:
            raise ValueError(f"method='exact' keeps all n² joint probabilities, too many for {n:,} points; use "
                             f"method='neighbors' (or 'auto') above {EXACT_MAX_SAMPLES:,} points.")
        every = None
        if self.snapshot_every is not None:
            every = check_int("snapshot_every", self.snapshot_every, low=1)
            n_frames = max_iter // every + 2
            if n_frames * n * c > MAX_FRAME_VALUES:
                raise ValueError(f"Keeping {n_frames:,} frames of {n:,} points is more than {MAX_FRAME_VALUES:,} "
                                 "coordinates; take a snapshot less often (a larger snapshot_every).")
        threads = _threads(self.n_jobs)
        if isinstance(self.init, str) or self.init is None:
            if self.init not in ("pca", "random"):
                raise ValueError(f"init must be 'pca', 'random' or an array, got {self.init!r}.")
            if self.init == "pca" and X.shape[1] < c:
                raise ValueError(f"init='pca' needs at least n_components ({c}) features, X has {X.shape[1]}; "
                                 "use init='random'.")
        else:
            init = check_array("init", self.init, finite=False)
            if init.shape != (n, c) or not np.all(np.isfinite(init)) or np.any(np.abs(init) > _MAX_INIT):
                raise ValueError(f"init as an array must be finite, within ±{_MAX_INIT:g}, with shape ({n}, {c}), "
                                 f"got {init.shape}.")
        return X, dict(c=c, perplexity=perplexity, exaggeration=exaggeration, lr=lr, max_iter=max_iter,
                       patience=patience, min_grad_norm=min_grad_norm, method=method, every=every,
                       threads=threads)

    def _initial_embedding(self, X, c):
        if not isinstance(self.init, str):
            return np.array(self.init, dtype=np.float32)
        if self.init == "pca":
            return _pca_init(X, c)
        rng = _random_state(self.random_state)
        return 1e-4 * rng.standard_normal(size=(X.shape[0], c)).astype(np.float32)  # as scikit-learn

    # ------------------------------------------------------------------------------------- fitting
    def fit(self, X, y=None, callback: Callable[[int, int], object] | None = None,
            map_callback: Callable[[int, int, np.ndarray], object] | None = None):
        """Fit X (rows = points). ``callback(iteration, max_iter)`` is called every 10 iterations and at the end;
        ``map_callback(iteration, max_iter, embedding)`` at the same moments, with a copy of the map so far (for
        drawing the run while it goes)."""
        X, o = self._validate(X)
        n, c = X.shape[0], o["c"]
        clock = time.perf_counter()
        self.learning_rate_ = float(o["lr"])
        self.method_ = o["method"]
        self.n_features_in_ = X.shape[1]
        if o["method"] == "exact":
            P = joint_probabilities(X, o["perplexity"])
            P_fast = P.astype(np.float32)
        else:
            P = P_fast = joint_probabilities_nn(X, o["perplexity"], n_jobs=o["threads"])
        Y = self._initial_embedding(X, c)
        threads = o["threads"] if n >= 256 else 1
        gradient = FFTGradient(P, c, o["threads"]) if o["method"] == "fft" else _Gradient(P_fast, c, threads)
        del P_fast
        timings = {"probabilities": time.perf_counter() - clock}
        try:
            clock = time.perf_counter()
            with np.errstate(over="ignore", invalid="ignore"):  # a run that blows up is refused just below
                Y, n_iter, frames, frame_iters, history = _optimize(gradient, Y, o, _both(callback, map_callback))
            if not np.all(np.isfinite(Y)):
                raise ValueError("t-SNE diverged: the embedding overflowed to infinity or NaN. Lower the "
                                 "learning_rate or the early_exaggeration.")
            timings["optimize"] = time.perf_counter() - clock
            clock = time.perf_counter()
            # Exact over all pairs, but with the FFT's Z where the n² pairs cost more than the grid (at 20,000
            # points, 2 s against 20 ms): within ~1e-4 of the exact value (tests/test_tsne_fft.py).
            self.kl_divergence_ = (gradient(Y, 1.0, True)[1] if o["method"] == "fft" else kl_divergence(P, Y))
            timings["kl_divergence"] = time.perf_counter() - clock
        finally:
            gradient.close()
        self.timings_ = timings
        self.embedding_ = Y
        self.n_iter_ = n_iter
        self.frames_ = frames
        self.frame_iters_ = frame_iters
        self.kl_history_ = history
        return self

    def fit_transform(self, X, y=None, callback=None):
        """Fit X and return the embedding (float32, ``(n, n_components)``)."""
        return self.fit(X, callback=callback).embedding_


def _auto_method(n_samples, n_components):
    """What ``method="auto"`` runs: the full P up to 2,500 points, the nearest-neighbour P beyond, with the
    FFT-interpolated repulsion from 3,000 points in 1-D and 2-D maps (where a whole run becomes faster with it)."""
    if n_samples <= AUTO_EXACT_MAX_SAMPLES:
        return "exact"
    if n_samples >= AUTO_FFT_MIN_SAMPLES and n_components <= 2:
        return "fft"
    return "neighbors"


def _both(callback, map_callback):
    """One ``callback(iteration, max_iter, Y)`` for :func:`_optimize` that calls whichever of the two was given
    (None for neither: the loop then makes no calls at all)."""
    if callback is None and map_callback is None:
        return None

    def both(it, max_iter, Y):
        if callback is not None:
            callback(it, max_iter)
        if map_callback is not None:
            map_callback(it, max_iter, Y.copy())
    return both


def _optimize(gradient, Y, o, callback):
    """scikit-learn's ``_gradient_descent`` run twice: 250 iterations with exaggeration and momentum 0.5,
    then the rest with momentum 0.8, each starting with zero velocity and unit gains. The error is checked
    every 50 iterations: a phase stops if the error has not improved for ``n_iter_without_progress``
    iterations (the first phase uses 250) or if the gradient norm falls to ``min_grad_norm``; the second
    phase then starts at once, the end of the second ends the run. Frames are kept to the last step."""
    max_iter, lr, every = o["max_iter"], np.float32(o["lr"]), o["every"]
    n, c = Y.shape
    Y = Y.astype(np.float32, copy=True)
    frames = frame_iters = None
    if every is not None:
        planned = sorted(set(range(0, max_iter + 1, every)) | {max_iter})
        frames = np.empty((len(planned), n, c), np.float32)
        frame_iters = np.empty(len(planned), dtype=np.int64)
        frames[0] = Y
        frame_iters[0] = 0
    n_frames = 1
    history = []
    min_gain = np.float32(0.01)
    it = 0
    last = -1  # the last iteration run
    phases = [(min(EXPLORATION_ITERS, max_iter), np.float32(0.5), o["exaggeration"], EXPLORATION_ITERS),
              (max_iter, np.float32(0.8), 1.0, o["patience"])]
    for stop, momentum, exaggeration, patience in phases:
        # As scikit-learn, a phase that stops early hands over to the next one at once.
        start = last + 1
        update = np.zeros_like(Y)
        gains = np.ones_like(Y)
        best_error, best_iter = np.finfo(float).max, start
        for i in range(start, stop):
            check = (i + 1) % N_ITER_CHECK == 0
            grad, error = gradient(Y, exaggeration, check)
            inc = update * grad < 0.0
            gains = np.where(inc, gains + np.float32(0.2), gains * np.float32(0.8))
            np.maximum(gains, min_gain, out=gains)
            grad *= gains
            update *= momentum
            update -= lr * grad
            Y += update
            last = i
            it = i + 1
            if every is not None and (it % every == 0 or it == max_iter):
                frames[n_frames] = Y
                frame_iters[n_frames] = it
                n_frames += 1
            if callback is not None and (it % CALLBACK_EVERY == 0 or it == max_iter):
                callback(it, max_iter, Y)
            if check:
                history.append((i, error))  # the error of the embedding before this step: frame i
                grad_norm = float(np.linalg.norm(grad))
                if error < best_error:
                    best_error, best_iter = error, i
                elif i - best_iter > patience:
                    break
                if grad_norm <= o["min_grad_norm"]:
                    break
    if every is not None:
        if frame_iters[n_frames - 1] != it:
            frames[n_frames] = Y
            frame_iters[n_frames] = it
            n_frames += 1
        frames, frame_iters = frames[:n_frames].copy() if n_frames < len(frames) else frames, frame_iters[:n_frames]
    if callback is not None and it % CALLBACK_EVERY != 0 and it != max_iter:
        callback(it, max_iter, Y)
    return Y, it, frames, frame_iters, np.array(history, dtype=np.float64).reshape(-1, 2)
