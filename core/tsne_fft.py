"""t-SNE's repulsion in O(n + m log m) by FFT-accelerated interpolation (Linderman et al., "Fast
interpolation-based t-SNE for improved visualization of single-cell RNA-seq data", Nature Methods 2019: FIt-SNE).

The gradient's repulsive part needs, for every point i, the sums over all other points j

.. math:: \\phi_i = \\sum_j K_2(y_i - y_j)\\,(y_i - y_j),\\qquad Z = \\sum_{i \\ne j} K_1(y_i - y_j),
          \\qquad K_1(r) = (1 + \\lVert r \\rVert^2)^{-1},\\quad K_2 = K_1^2,

which cost n² done pair by pair. Since :math:`\\nabla_r K_1 = -2 r K_2`, both come from one potential,
:math:`\\Psi(y) = \\sum_j K_1(y - y_j)`: :math:`\\phi_i = -\\tfrac12 \\nabla\\Psi(y_i)` and
:math:`Z = \\sum_i \\Psi(y_i) - n`. Ψ is a convolution of a smooth kernel with unit "charges" at the points, so:

1. lay a regular grid of nodes, spacing h, over the embedding's bounding square;
2. *spread*: each point hands its charge to the p nodes per axis (p^d in all) nearest to it, weighted by the
   Lagrange polynomials of those nodes at the point (the weights that interpolate polynomials of degree < p
   exactly);
3. *convolve*: the kernel between two nodes depends only on their offset, so Ψ at every node is a discrete
   convolution, done with real FFTs on a grid zero-padded to at least 2m − 1 per axis (m nodes per axis);
4. *interpolate back*: Ψ's gradient at a point is the same stencil's nodal values weighted by the Lagrange
   polynomials' derivatives.

Spreading and interpolating cost O(n p^d), the FFTs O(m^d log m) with m ≈ extent / h nodes per axis —
independent of n, so for large n this is linear in n; but the grid grows with the map's area, which also
grows with n (about 2.2·√n across at the end of a run on digits).

Differences from FIt-SNE, each measured on digits maps: (1) each point uses the p nodes *centred* on it rather
than those of a fixed interval (a smaller interpolation error for the same grid); (2) one convolution, of K1,
instead of four of K2 (charges 1, y_j, |y_j|²): the force is the derivative of the interpolated potential
(of K1 − 1, in fact, which has the same gradient and keeps float32 precise on small maps: ``cauchy_less_one``); (3)
what each point contributes to its own stencil through the grid is taken off exactly (K1(0) = 1 and a zero
self-force, which the grid only approximates). The error is set by the node spacing h against the kernel's
width (1): at the defaults (h = 0.3, p = 5) the repulsive force is within ~0.9 % of the exact one in relative
norm on a finished 10,000-point map and Z within ~1e-4 (``tests/test_tsne_fft.py`` checks 1 % and 1e-4).
More nodes per point do not help at a coarser spacing: K1 has poles at distance 1 from every point, so
polynomials across a stencil wider than ~1 converge no faster (h = 0.4: 2.2 % with p = 5, 1.8 % with p = 6)."""

from __future__ import annotations

import functools
import math
import os

import numpy as np
from scipy import fft as sfft
from scipy import sparse
from threadpoolctl import threadpool_limits

from core.tsne_attraction import AttractionProcess, attract, row_blocks

MACHINE_EPSILON = np.finfo(np.double).eps
#: Largest distance between grid nodes, in embedding units (the kernel's width is 1); in 1-D maps, where a
#: line of nodes costs next to nothing, a third of it (the force's error on 800 points: 1.1 % → 0.02 %).
NODE_SPACING, NODE_SPACING_1D = 0.3, 0.1
#: Nodes per axis a point's charge is spread over (Lagrange interpolation of degree STENCIL − 1).
STENCIL = 5
#: At least this many nodes across the map, however small it is.
MIN_NODES = 150


#: The grid changes in steps, so that the kernel's spectrum, which depends on its spacing and FFT length, is
#: recomputed a few dozen times in a run rather than at almost every iteration while the map grows (382 times
#: in 1,000 iterations at 10,000 points; 44 times now): a small map's spacing in steps of SPACING_STEP (150 to
#: 225 nodes across, on a grid of 225), a large map's FFT length in steps of GRID_STEP (the FFTs run larger by
#: 4 % on average).
SPACING_STEP, GRID_STEP = 1.5, 1.08


def _on_ladder_below(spacing: float, wanted: float) -> float:
    """``spacing`` or, when ``wanted`` is smaller, the largest ``spacing / SPACING_STEP**k`` not above it."""
    if wanted >= spacing:
        return spacing
    return spacing / SPACING_STEP ** math.ceil(math.log(spacing / wanted, SPACING_STEP) - 1e-9)


def _length_on_ladder(wanted: int) -> int:
    """An FFT length ≥ ``wanted`` from a fixed ladder (``next_fast_len(64 · GRID_STEP**k)``)."""
    k = max(0, math.ceil(math.log(max(wanted, 1) / 64, GRID_STEP) - 1e-9))
    while (length := sfft.next_fast_len(math.ceil(64 * GRID_STEP ** k), real=True)) < wanted:
        k += 1
    return length


def stencil_nodes(p: int) -> np.ndarray:
    """The p nodes of a stencil, in node spacings from the node nearest the point (odd p: −(p−1)/2 … (p−1)/2;
    even p: the point lies between nodes 0 and 1)."""
    return np.arange(p) - (p - 1) // 2


@functools.lru_cache(maxsize=8)
def lagrange_coefficients(p: int) -> np.ndarray:
    """``C`` (p × p) with ``L_k(t) = Σ_e C[e, k] t^e``: the Lagrange basis polynomials of :func:`stencil_nodes`
    (``L_k`` is 1 at node k and 0 at the others). Read-only: made once per p, not at every iteration."""
    C = np.linalg.inv(np.vander(stencil_nodes(p), p, increasing=True))
    C.flags.writeable = False
    return C


def lagrange_weights(t: np.ndarray, p: int, derivative: bool = False) -> np.ndarray:
    """``(p, len(t))``: the weights ``L_k(t)`` of the p :func:`stencil_nodes` at positions t (in node spacings),
    or with ``derivative`` their derivatives ``L_k'(t)``. Each column of weights sums to 1; together they
    reproduce any polynomial of degree < p exactly (and its derivative)."""
    t = np.asarray(t)
    C = lagrange_coefficients(p).astype(t.dtype)
    powers = np.empty((p, t.shape[0]), t.dtype)  # t^e by products: ``t ** e`` on arrays was 10× slower
    powers[0] = 1.0
    for e in range(1, p):
        np.multiply(powers[e - 1], t, out=powers[e])
    if not derivative:
        return C.T @ powers
    return (np.arange(1, p, dtype=t.dtype)[:, None] * C[1:]).T @ powers[:-1]


def _contract(values: np.ndarray, factors: list) -> np.ndarray:
    """``Σ_{a_1…a_d} values[a_1, …, a_d, i] Π_k factors[k][a_k, i]`` for each point i, one axis at a time."""
    for f in reversed(factors):
        values = np.einsum("...bn,bn->...n", values, f)
    return values


class Grid:
    """The interpolation grid for one embedding: nodes every ``h`` along each axis, and for each point its
    ``p`` nearest nodes per axis (``p^d`` in all) with their Lagrange weights and the weights' derivatives.

    The spacing is ``spacing`` (default NODE_SPACING, NODE_SPACING_1D in 1-D) or, while the map is small (early on it is ~1e-4 wide), its extent divided by
    ``min_nodes``. Each axis holds ``m`` nodes; the FFT runs on ``fft_len ≥ 2m − 1`` (a length the FFT is fast
    at) so that the circular convolution equals the linear one.

    Attributes: ``flat`` ``(p^d, n)``, the index of each of a point's nodes in the flattened ``m^d`` grid;
    ``weights`` ``(p^d, n)``; per axis ``axis_weights[a]`` and ``axis_derivatives[a]`` ``(p, n)`` (the
    derivatives per embedding unit), whose products over the axes are the weights and their gradient.
    """

    def __init__(self, Y: np.ndarray, spacing=None, p=None, min_nodes=None):
        n, d = Y.shape
        spacing = (NODE_SPACING if d > 1 else NODE_SPACING_1D) if spacing is None else spacing
        p = STENCIL if p is None else p
        min_nodes = MIN_NODES if min_nodes is None else min_nodes
        Yt = np.ascontiguousarray(Y.T, dtype=np.float64)  # reductions along rows: Y.min(axis=0) was 10× slower
        lo, hi = Yt.min(axis=1), Yt.max(axis=1)
        extent = max(float(np.max(hi - lo)), 1e-12)
        self.h = h = _on_ladder_below(spacing, extent / min_nodes)
        self.p, self.d, self.n = p, d, n
        # nodes at lo + (k - pad) h, k = 0..m-1: p//2 + 1 spare nodes beyond the points on each side
        pad = p // 2 + 1
        s = (Yt - lo[:, None]) * (1.0 / h) + pad
        base = np.floor(s + 0.5) if p % 2 else np.floor(s)
        t = (s - base).reshape(-1).astype(np.float32)  # the point from its base node, in spacings
        first = base.astype(np.intp) - (p - 1) // 2   # (d, n): each stencil's first node along each axis
        # a small map (h below the spacing) gets the grid its h step may need at most, so that only h moves
        across = min_nodes * SPACING_STEP if h < spacing else float(np.max(hi - lo)) / h
        needed = math.ceil(across) + 2 * pad + 1
        self.fft_len = _length_on_ladder(2 * needed - 1)
        self.m = m = (self.fft_len + 1) // 2  # the nodes the FFT has room for (those past the points hold nothing)
        W = lagrange_weights(t, p).reshape(p, d, n)
        Wd = (lagrange_weights(t, p, derivative=True) * np.float32(1.0 / h)).reshape(p, d, n)
        self.axis_weights = [W[:, a] for a in range(d)]
        self.axis_derivatives = [Wd[:, a] for a in range(d)]
        flat, w = first[0][None, :] + np.arange(p)[:, None], self.axis_weights[0]
        for a in range(1, d):
            flat = (flat[:, None, :] * m + (first[a][None, :] + np.arange(p)[:, None])[None]).reshape(-1, n)
            w = (w[:, None, :] * self.axis_weights[a][None]).reshape(-1, n)
        self.flat, self.weights = flat, w

    def spread(self) -> np.ndarray:
        """Unit charges at the points, onto the nodes: ``(m,) * d`` float32."""
        q = np.bincount(self.flat.ravel(), weights=self.weights.ravel(), minlength=self.m ** self.d)
        return q.astype(np.float32).reshape((self.m,) * self.d)

    def at_stencils(self, grid_values: np.ndarray) -> np.ndarray:
        """Nodal values ``(m,) * d`` at each point's stencil: ``(p^d, n)``."""
        return np.take(np.ascontiguousarray(grid_values).reshape(-1), self.flat)

    def gradient(self, values: np.ndarray) -> np.ndarray:
        """``(d, n)``: the gradient at each point of the interpolant of its stencil's ``values`` ``(p^d, n)``."""
        v = values.reshape((self.p,) * self.d + (self.n,))
        return np.stack([_contract(v, [self.axis_derivatives[k] if k == a else self.axis_weights[k]
                                       for k in range(self.d)]) for a in range(self.d)])



def cauchy_less_one(offsets):
    """``K1(r) − 1 = −|r|² / (1 + |r|²)``, the kernel the grid convolves. The same gradient as K1's; but its
    values are small where K1's differ from 1 by little, so a small map's potential is not the difference of
    numbers near n (in float32 that left nothing of a 1e-3-wide map's forces)."""
    r2 = sum(o * o for o in offsets)
    return -r2 / (1.0 + r2)


class Convolution:
    """Convolution with K1 − 1 (:func:`cauchy_less_one`) on grids of one FFT length, node spacing and dimension:
    the kernel's spectrum (real: the kernel is even) and the buffer the FFTs work in, made once and reused while the grid keeps its
    length and spacing (late in a run, every iteration)."""

    def __init__(self, fft_len: int, h: float, d: int):
        self.key = (fft_len, h, d)
        L = fft_len
        off = np.arange(L)
        off = np.where(off <= L // 2, off, off - L) * h  # offsets 0..L/2 then the negative ones, wrapped
        kernel = cauchy_less_one(np.meshgrid(*([off] * d), indexing="ij", sparse=True)).astype(np.float32)
        self.spectrum = sfft.rfftn(kernel).real.astype(np.float32)
        self.buffer = np.zeros(self.spectrum.shape, np.complex64)

    def __call__(self, charges: np.ndarray) -> np.ndarray:
        """``K1 ∗ charges`` at the m nodes of each axis (``charges``: ``(m,) * d`` float32). On one thread: two
        (``workers=2``) made a whole 10,000-point run 3 % faster, and the second core does more for the
        attraction (:class:`FFTGradient`)."""
        L, d, m = self.key[0], self.key[2], charges.shape[0]
        if d == 1:
            return sfft.irfft(sfft.rfft(charges, n=L) * self.spectrum, n=L)[:m]
        # In place on the reused buffer: out-of-place FFTs along the first axis were ~2× slower (copies and
        # fresh pages for a new 10-MB array every call), and the padding rows are zero before the first pass.
        S = self.buffer
        S[:m] = sfft.rfft(charges, n=L, axis=1)
        S[m:] = 0.0
        S = sfft.fft(S, axis=0, overwrite_x=True)
        S *= self.spectrum
        S = sfft.ifft(S, axis=0, overwrite_x=True)
        return sfft.irfft(S[:m], n=L, axis=1)[:, :m]


@functools.lru_cache(maxsize=16)
def _stencil_kernel(p: int, d: int, h: float) -> np.ndarray:
    """``(p^d, p^d)``: the grid's kernel (:func:`cauchy_less_one`) between every two nodes of a stencil, the
    same for every point (read-only)."""
    nodes = np.stack(np.meshgrid(*([np.arange(p)] * d), indexing="ij"), -1).reshape(-1, d)
    K = cauchy_less_one([(nodes[:, a, None] - nodes[None, :, a]) * h for a in range(d)]).astype(np.float32)
    K.flags.writeable = False
    return K


def _convolution(grid: Grid, cache: dict) -> Convolution:
    """The :class:`Convolution` for ``grid``, kept in ``cache`` while the grid's length and spacing stay."""
    convolution = cache.get("convolution")
    if convolution is None or convolution.key != (grid.fft_len, grid.h, grid.d):
        convolution = cache["convolution"] = Convolution(grid.fft_len, grid.h, grid.d)
    return convolution


def _forces(grid: Grid, potential: np.ndarray) -> tuple[np.ndarray, float]:
    """``(φ, Z)`` from the potential Ψ at the nodes: at each point's stencil its own share (``Σ_b K1(x_a − x_b)
    w_b``, the same small matrix for every point) is taken off; φ is then −½ the gradient of the interpolant and
    Z the sum of the interpolated values."""
    values = grid.at_stencils(potential)
    values -= _stencil_kernel(grid.p, grid.d, grid.h) @ grid.weights
    phi = -0.5 * grid.gradient(values).T.astype(np.float64)
    n = grid.n  # Σ_i Σ_{j≠i} (K1 − 1) = Z − n (n − 1)
    Z = float(np.einsum("an,an->n", grid.weights, values).sum(dtype=np.float64)) + n * (n - 1.0)
    return phi, Z


def repulsion(Y: np.ndarray, cache: dict | None = None, **grid_options) -> tuple[np.ndarray, float]:
    """``(φ, Z)``: ``φ_i = Σ_j (1 + |y_i − y_j|²)⁻² (y_i − y_j)`` for every i (float64, ``(n, d)``) and
    ``Z = Σ_{i≠j} (1 + |y_i − y_j|²)⁻¹``, by FFT-accelerated interpolation (d = 1 or 2): the unit charges
    spread on the grid, one forward and one inverse FFT for the potential at the nodes, then :func:`_forces`.
    ``cache``: a dict that keeps the :class:`Convolution` (the kernel's spectrum and the FFTs' buffer) between
    calls."""
    grid = Grid(np.asarray(Y, dtype=np.float64), **grid_options)
    convolution = _convolution(grid, {} if cache is None else cache)
    return _forces(grid, convolution(grid.spread()))


#: From this many points a gradient with 2 or more threads computes the attraction on a helper process (it
#: starts in ~0.1 s; at 3,000 points a whole run took 3.4 s with it against 4.9 s without).
HELPER_MIN_POINTS = 2000


class FFTGradient:
    """The t-SNE gradient with a sparse (nearest-neighbour) P: the attraction exactly over P's nonzeros
    (:func:`core.tsne_attraction.attract`), the repulsion by :func:`repulsion`. Same call as
    ``core.tsne._Gradient``: ``grad, error = g(Y, α, with_error)``. The error at a check is the KL divergence
    of ``α P`` with Z from the interpolation, as scikit-learn's Barnes-Hut reports its own estimate.

    ``n_threads`` ≥ 2: from :data:`HELPER_MIN_POINTS` points, on Linux and macOS, the attraction runs on a
    helper process (:class:`core.tsne_attraction.AttractionProcess`) while this one computes the repulsion
    (elsewhere, or if the helper cannot start, this process does both). Call :meth:`close` at the end.
    """

    def __init__(self, P, n_components, n_threads=1, **grid_options):
        if n_components not in (1, 2):
            raise ValueError("The FFT repulsion works in 1 or 2 dimensions; use method='neighbors' for 3.")
        P = sparse.csr_array(P, dtype=np.float64)
        P.sum_duplicates()
        P.sort_indices()
        self.n, self.c = P.shape[0], n_components
        indptr = P.indptr.astype(np.intp)
        self.cols = P.indices.astype(np.intp)
        p = np.asarray(P.data, dtype=np.float64)
        self._p32 = p.astype(np.float32)
        self.p_sum = float(p.sum())
        self.p_log_p = float(np.dot(p, np.log(np.maximum(p, MACHINE_EPSILON))))
        self._blocks = row_blocks(indptr)
        self.grid_options = grid_options
        self.n_threads = max(1, int(n_threads))
        self._helper = None
        self._blas = None
        if self.n_threads > 1 and self.n >= HELPER_MIN_POINTS and os.name == "posix":  # pipes passed by fd
            try:
                self._helper = AttractionProcess(self.n, self.cols, self._p32, indptr, n_components)
            except (OSError, ValueError, RuntimeError, EOFError):  # no second process here: one does it all
                self._helper = None
        if self._helper is not None:
            # BLAS on the calling thread while the helper runs: OpenBLAS's idle threads spin for a while after
            # each threaded product, and one product an iteration (the stencils' self-interaction) kept them
            # spinning on the second core, the helper's (10,000 points, 2 cores: 13.4 s a run → 9.1 s). The
            # limit is the process's until close(); the app runs one such job at a time.
            self._blas = threadpool_limits(limits=1, user_api="blas")
        self._cache: dict = {}

    def close(self):
        """Ends the helper process, if any, and gives BLAS its threads back."""
        if self._helper is not None:
            self._helper.close()
            self._helper = None
        if self._blas is not None:
            self._blas.restore_original_limits()
            self._blas = None

    def _both_halves(self, Yc, compute_error):
        """The attraction (on the helper, if any, while this process computes the repulsion) and the
        repulsion. A helper that fails (it was killed, say) is dropped, and this process goes on alone."""
        if self._helper is not None:
            try:
                self._helper.send(np.ascontiguousarray(Yc.T, dtype=np.float32), compute_error)
                phi, Z = repulsion(Yc, self._cache, **self.grid_options)
                F, log_d = self._helper.receive()
                return F.T, log_d, phi, Z
            except (OSError, EOFError, RuntimeError):
                self.close()
        attract_, log_d = self.attraction(Yc, compute_error)
        return (attract_, log_d) + repulsion(Yc, self._cache, **self.grid_options)

    def attraction(self, Y, with_log_d=False):
        """``(Σ_j p_ij (1 + |y_i − y_j|²)⁻¹ (y_i − y_j), Σ_ij p_ij log(1 + |y_i − y_j|²))`` over P's nonzeros:
        float32 ``(n, d)`` and, with ``with_log_d`` (for the error), a float (else None); in this process."""
        F, log_d = attract(np.ascontiguousarray(Y.T, dtype=np.float32), self.cols, self._p32, self._blocks,
                           with_log_d)
        return F.T, log_d

    def __call__(self, Y, exaggeration=1.0, compute_error=False):
        Yc = np.asarray(Y, dtype=np.float64)
        if not np.all(np.isfinite(Yc)):  # no grid spans an infinite map
            raise ValueError("t-SNE diverged: the embedding overflowed to infinity or NaN. Lower the learning_rate "
                             "or the early_exaggeration.")
        Yc = Yc - Yc.mean(axis=0)
        attract_, log_d, phi, Z = self._both_halves(Yc, compute_error)
        grad = 4.0 * (exaggeration * attract_ - phi / Z)
        error = None
        if compute_error:
            a = exaggeration
            error = a * (self.p_log_p + self.p_sum * math.log(a)) + a * (log_d + self.p_sum * math.log(Z))
        return grad.astype(np.float32), error
