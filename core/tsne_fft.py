"""t-SNE's repulsion in O(n + m log m) by FFT-accelerated interpolation (Linderman et al., "Fast
interpolation-based t-SNE for improved visualization of single-cell RNA-seq data", Nature Methods 2019: FIt-SNE).

The gradient's repulsive part needs, for every point i, the sums over all other points j

.. math:: \\phi_i = \\sum_j K_2(y_i - y_j)\\,(y_i - y_j),\\qquad Z = \\sum_{i \\ne j} K_1(y_i - y_j),
          \\qquad K_1(r) = (1 + \\lVert r \\rVert^2)^{-1},\\quad K_2 = K_1^2,

which cost n² done pair by pair. Both are convolutions of a smooth kernel with "charges" sitting at the points
(:math:`\\phi_i = y_i \\sum_j K_2(y_i - y_j) - \\sum_j K_2(y_i - y_j)\\, y_j`: charges 1 and :math:`y_j`). So:

1. cover the embedding's bounding square with ``n_boxes`` equal intervals per axis, each holding ``p``
   equispaced interpolation nodes (a regular grid of ``m = n_boxes · p`` nodes per axis, spacing h);
2. *spread*: each point hands its charge to the p nodes (p² in 2-D) of its own interval, weighted by the
   Lagrange polynomials of those nodes at the point (the weights that interpolate any quadratic exactly);
3. *convolve*: the kernel between two nodes depends only on their offset, so the node-to-node sums are a
   discrete convolution, done with real FFTs on a grid zero-padded to at least 2m − 1 per axis;
4. *interpolate back*: each point's potential is the same Lagrange combination of its nodes' potentials.

Spreading and interpolating cost O(n p^d), the FFTs O(m^d log m) with m ≈ extent / h nodes per axis —
independent of n, so for large n this is linear in n; but the grid grows with the map's area, which also
grows with n (about 2.2·√n across at the end of a run on digits).

Differences from FIt-SNE, each measured on digits maps: (1) each point uses the p nodes *centred* on it
rather than those of a fixed interval (a smaller interpolation error for the same grid); (2) the force is one
convolution with the odd kernel ``r (1 + |r|²)⁻²`` per axis instead of ``y_i Σ K2 − Σ K2 y_j``, which cancels
two large numbers and needs more FFTs; (3) Z comes from the spectrum by Parseval, with no inverse FFT, less the
exact self-interaction each point has through the grid. The error is set by the node spacing h against the
kernel's width (1): at the defaults (h = 0.3, p = 5) the repulsive force is within ~0.5 % of the exact one in
relative norm on a finished map and Z within ~1e-5 (``tests/test_tsne_fft.py`` checks 1 % and 1e-4). That is
what the final KL needs: on 2,000 digits FIt-SNE's own spacing (h = 1/3, p = 3) ended 5 % above the exact
repulsion's KL, h = 0.3 with p = 5 at +1 % (scikit-learn's Barnes-Hut: +2.4 %)."""

from __future__ import annotations

import math

import numpy as np
from scipy import fft as sfft
from scipy import sparse

MACHINE_EPSILON = np.finfo(np.double).eps
#: Largest distance between grid nodes, in embedding units (the kernel's width is 1).
NODE_SPACING = 0.3
#: Nodes per axis a point's charge is spread over (Lagrange interpolation of degree STENCIL − 1).
STENCIL = 5
#: At least this many nodes across the map, however small it is.
MIN_NODES = 150


#: The grid changes in steps, so that the kernels' spectra, which depend on its spacing and FFT length, are
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


def lagrange_weights(u: np.ndarray, p: int) -> np.ndarray:
    """``(len(u), p)`` weights of p nodes at 0, 1, …, p − 1 for positions u (in node spacings): the Lagrange
    basis polynomials ``L_k(u) = Π_{l≠k} (u − l) / (k − l)``. Each row sums to 1; they reproduce any polynomial
    of degree < p exactly."""
    W = np.ones((u.shape[0], p), dtype=u.dtype)
    for k in range(p):
        for l in range(p):
            if l != k:
                W[:, k] *= (u - l) / (k - l)
    return W


class Grid:
    """The interpolation grid for one embedding: nodes every ``h`` along each axis, and for each point its
    ``p`` nearest nodes per axis (``p^d`` in all) with their Lagrange weights.

    The spacing is ``spacing`` or, while the map is small (early on it is ~1e-4 wide), its extent divided by
    ``min_nodes``. Each axis holds ``m`` nodes; the FFT runs on ``fft_len ≥ 2m − 1`` (a length the FFT is fast
    at) so that the circular convolution equals the linear one.
    """

    def __init__(self, Y: np.ndarray, spacing=None, p=None, min_nodes=None):
        spacing = NODE_SPACING if spacing is None else spacing
        p = STENCIL if p is None else p
        min_nodes = MIN_NODES if min_nodes is None else min_nodes
        n, d = Y.shape
        lo, hi = Y.min(axis=0), Y.max(axis=0)
        extent = max(float(np.max(hi - lo)), 1e-12)
        self.h = h = _on_ladder_below(spacing, extent / min_nodes)
        self.p, self.d = p, d
        # nodes at lo + (k - pad) h, k = 0..m-1: p//2 spare nodes beyond the points on each side
        pad = p // 2 + 1
        s = (Y.astype(np.float64) - lo) / h + pad
        first = np.floor(s) - (p - 1) // 2  # the stencil's first node: the point sits in its middle interval
        # a small map (h below the spacing) gets the grid its h step may need at most, so that only h moves
        across = min_nodes * SPACING_STEP if h < spacing else np.max((hi - lo) / h)
        needed = math.ceil(across) + 2 * pad + 1
        self.fft_len = _length_on_ladder(2 * needed - 1)
        self.m = (self.fft_len + 1) // 2  # the nodes the FFT has room for (those past the points hold nothing)
        weights = lagrange_weights((s - first).reshape(-1), p).reshape(n, d, p)
        node = first.astype(np.intp)[:, :, None] + np.arange(p)  # (n, d, p): node index along each axis
        # Flat index (into the m^d node grid) and weight of each of a point's p^d nodes: (n, p^d).
        flat, w = node[:, 0], weights[:, 0]
        for axis in range(1, d):
            flat = (flat[:, :, None] * self.m + node[:, axis, None, :]).reshape(n, -1)
            w = (w[:, :, None] * weights[:, axis, None, :]).reshape(n, -1)
        self.flat, self.w = flat, w

    def spread(self, charges: np.ndarray) -> np.ndarray:
        """Charges ``(n, q)`` onto the nodes: ``(q, m, …)`` float32."""
        size = self.m ** self.d
        flat = self.flat.ravel()
        out = np.empty((charges.shape[1], size), np.float32)
        for c in range(charges.shape[1]):
            out[c] = np.bincount(flat, weights=(self.w * charges[:, c, None]).ravel(), minlength=size)
        return out.reshape((charges.shape[1],) + (self.m,) * self.d)

    def gather(self, potentials: np.ndarray) -> np.ndarray:
        """Node potentials ``(q, m, …)`` back at the points: ``(n, q)``."""
        pot = potentials.reshape(potentials.shape[0], -1)
        return np.stack([np.sum(self.w * np.take(pot[c], self.flat), axis=1) for c in range(pot.shape[0])], axis=1)

    def kernel_spectra(self, kernels) -> np.ndarray:
        """The FFTs of kernels of the node offset ``(Δ_1, …, Δ_d)`` (a function of the offsets' list), wrapped
        circularly: offsets 0..m−1 at the start of each axis and −(m−1)..−1 at its end (2m − 1 ≤ fft_len, so
        they never meet). Kept for the next call with the same length and spacing (late in a run, every call)."""
        key = (self.fft_len, self.h, self.d, kernels)
        if _SPECTRA.get("key") != key:
            L = self.fft_len
            off = np.arange(L)
            off = np.where(off <= L // 2, off, off - L) * self.h
            axes = np.meshgrid(*([off] * self.d), indexing="ij", sparse=True)
            grids = np.stack([k(axes) for k in kernels]).astype(np.float32)
            _SPECTRA.update(key=key, value=self.forward(grids, padded=False))
        return _SPECTRA["value"]

    def self_terms(self, kernels) -> np.ndarray:
        """``(n, len(kernels))``: what each point contributes to its own potential through the grid,
        ``Σ_ab w_ia K(x_a − x_b) w_ib`` over its stencil's nodes a, b — to take off instead of K(0), which
        the grid only approximates. (Zero for the odd force kernels: K(x_a − x_b) is then antisymmetric in
        a, b; it matters for Z.)"""
        stencil = np.stack(np.meshgrid(*([np.arange(self.p)] * self.d), indexing="ij"), -1).reshape(-1, self.d)
        offsets = [(stencil[:, a, None] - stencil[None, :, a]) * self.h for a in range(self.d)]
        return np.stack([np.sum((self.w @ k(offsets)) * self.w, axis=1) for k in kernels], axis=1)

    def forward(self, grids: np.ndarray, padded=True) -> np.ndarray:
        """The FFT of node grids zero-padded to fft_len, one axis at a time (the padding rows cost nothing on
        the first axis transformed)."""
        L, d = self.fft_len, self.d
        n = L if padded else None
        out = sfft.rfft(grids, n=n, axis=-1)
        for axis in range(-2, -d - 1, -1):
            out = sfft.fft(out, n=n, axis=axis)
        return out

    def inverse(self, spectra: np.ndarray) -> np.ndarray:
        """The inverse of :meth:`forward`, keeping only the m nodes of each axis."""
        L, d, m = self.fft_len, self.d, self.m
        out = spectra
        for axis in range(-d, -1):
            out = sfft.ifft(out, axis=axis)
            out = out[(Ellipsis, slice(0, m)) + (slice(None),) * (-axis - 1)]
        return sfft.irfft(out, n=L, axis=-1)[..., :m]


_SPECTRA: dict = {}  # the last kernel spectra (one process runs one t-SNE at a time: a one-entry cache)


def _cauchy(offsets):
    """``(1 + |r|²)⁻¹``, the Student-t kernel whose sum over pairs is Z."""
    return 1.0 / (1.0 + sum(o * o for o in offsets))


def _force_kernel(axis):
    """``r_axis (1 + |r|²)⁻²``: its convolution with unit charges is the repulsion ``Σ_j K2 (y_i − y_j)`` along
    one axis directly. (Convolving K2 with charges 1 and y_j and subtracting would cancel two large numbers.)"""
    def kernel(offsets):
        return offsets[axis] / (1.0 + sum(o * o for o in offsets)) ** 2
    kernel.__qualname__ = f"_force_kernel({axis})"
    return kernel


_KERNELS = {d: (_cauchy,) + tuple(_force_kernel(a) for a in range(d)) for d in (1, 2)}


def repulsion(Y: np.ndarray, workers: int = 1, **grid_options) -> tuple[np.ndarray, float]:
    """``(φ, Z)``: ``φ_i = Σ_j (1 + |y_i − y_j|²)⁻² (y_i − y_j)`` for every i (float64, ``(n, d)``) and
    ``Z = Σ_{i≠j} (1 + |y_i − y_j|²)⁻¹``, by FFT-accelerated interpolation (d = 1 or 2).

    One forward FFT (the unit charges on the grid) and d inverse ones (against the force kernel of each
    axis). Z needs no inverse: it is ``Σ_i Ψ(y_i) = ⟨q, K1 ∗ q⟩`` for the node charges q, which by Parseval is
    ``Σ_k |q̂_k|² K̂1_k / L^d``, less what each point gives itself through the grid. ``workers`` is the number
    of threads for the FFTs."""
    Y = np.asarray(Y, dtype=np.float64)
    n, d = Y.shape
    grid = Grid(Y, **grid_options)
    with sfft.set_workers(workers):
        spectrum = grid.forward(grid.spread(np.ones((n, 1))))[0]
        spectra = grid.kernel_spectra(_KERNELS[d])
        potentials = grid.inverse(spectrum * spectra[1:])
    phi = grid.gather(potentials)
    power = (spectrum.real ** 2 + spectrum.imag ** 2) * spectra[0].real  # K1 is even: its spectrum is real
    # the half spectrum of a real FFT: columns 1 .. L/2 - 1 (or (L-1)/2) stand for their mirror images too
    last = grid.fft_len // 2 if grid.fft_len % 2 == 0 else None
    total = 2.0 * float(power.sum(dtype=np.float64)) - float(power[..., 0].sum(dtype=np.float64))
    if last is not None:
        total -= float(power[..., last].sum(dtype=np.float64))
    Z = total / grid.fft_len ** d - float(grid.self_terms((_cauchy,)).sum())
    return phi, Z


class FFTGradient:
    """The t-SNE gradient with a sparse (nearest-neighbour) P: the attraction exactly over P's nonzeros, the
    repulsion by :func:`repulsion`. Same call as ``core.tsne._Gradient``: ``grad, error = g(Y, α, with_error)``.

    The attraction ``Σ_j p_ij (1 + |y_i − y_j|²)⁻¹ (y_i − y_j)`` runs over each unordered pair once (P is
    symmetric), adding to i and subtracting from j. The error at a check is the KL divergence of ``α P`` with
    Z from the interpolation, as scikit-learn's Barnes-Hut reports its own estimate.
    """

    def __init__(self, P, n_components, n_threads=1, **grid_options):
        if n_components not in (1, 2):
            raise ValueError("The FFT repulsion works in 1 or 2 dimensions; use method='neighbors' for 3.")
        upper = sparse.csr_array(sparse.triu(sparse.csr_array(P), k=1))
        upper.sum_duplicates()
        upper.sort_indices()
        self.n, self.c = P.shape[0], n_components
        # The pairs (i < j) in row order: p_ij, and the matrix's structure, refilled with p_ij / (1 + d_ij²) each step.
        self.rows = np.repeat(np.arange(self.n, dtype=np.intp), np.diff(upper.indptr))
        self.cols = upper.indices.astype(np.intp)
        p = np.asarray(upper.data, dtype=np.float64)
        self.p = p
        self._p32 = p.astype(np.float32)
        self._weights = upper.astype(np.float32)
        self.p_sum = 2.0 * float(p.sum())
        self.p_log_p = 2.0 * float(np.dot(p, np.log(np.maximum(p, MACHINE_EPSILON))))
        self.grid_options = grid_options
        # Threads for the FFTs only. (Running the attraction on a second thread beside the repulsion gained
        # nothing in a whole run at 10,000 points on 2 cores: 36.5 s either way, each half slowed by the other.)
        self.workers = max(1, int(n_threads))

    def close(self):
        """Nothing to release (``_Gradient`` has a thread pool; kept for the same interface)."""

    def attraction(self, Y):
        """``(Σ_j p_ij num_ij (y_i − y_j), 1 + |y_i − y_j|²)`` over P's pairs i < j, float64.

        With the weights w_ij = p_ij num_ij of the symmetric matrix W = U + Uᵀ (U: its pairs i < j), the sum is
        ``y_i Σ_j w_ij − (W Y)_i``: two sparse products instead of a scatter per pair. (Coordinates are picked
        per pair with ``np.take`` on each axis: NumPy's ``Y[index]`` on rows of a 2-D array was 10× slower. In
        float32, which halves what the 1–2 million pairs of a 10,000–20,000-point run move through memory; the
        result is a sum of ~100 terms, good to ~1e-6 relative, and the gradient is float32 anyway.)"""
        Y32 = Y.astype(np.float32)
        axes = np.ascontiguousarray(Y32.T)
        diff = np.take(axes, self.rows, axis=1)
        diff -= np.take(axes, self.cols, axis=1)
        D = np.einsum("ij,ij->j", diff, diff)
        D += 1.0
        W = self._weights
        np.divide(self._p32, D, out=W.data)
        totals = W.sum(axis=1) + W.sum(axis=0)
        return Y32 * totals[:, None] - (W @ Y32 + W.T @ Y32), D

    def __call__(self, Y, exaggeration=1.0, compute_error=False):
        Yc = np.asarray(Y, dtype=np.float64)
        Yc = Yc - Yc.mean(axis=0)
        attract, D = self.attraction(Yc)
        phi, Z = repulsion(Yc, self.workers, **self.grid_options)
        grad = 4.0 * (exaggeration * attract - phi / Z)
        error = None
        if compute_error:
            a = exaggeration
            p_log_d = 2.0 * float(np.dot(self.p, np.log(D)))
            error = a * (self.p_log_p + self.p_sum * math.log(a)) + a * (p_log_d + self.p_sum * math.log(Z))
        return grad.astype(np.float32), error
