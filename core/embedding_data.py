"""Data sets for comparing embeddings (PCA beside t-SNE): four real tables and Distill's synthetic shapes.

Every entry of :data:`EMBEDDING_DATASETS` makes an :class:`Embeddable` with
``make(n_samples, noise, random_state)``; the same arguments give the same data.

Real sets (``kind="real"``): scikit-learn's digits, iris, wine and breast cancer tables, shipped in
``core/data/*.npz`` so that ``core`` needs no scikit-learn. They were written once by::

    b = sklearn.datasets.load_digits()            # likewise load_iris, load_wine, load_breast_cancer
    np.savez_compressed("core/data/digits.npz", X=b.data.astype(np.uint8),   # the others keep float64
                        y=b.target.astype(np.uint8), feature_names=np.array(b.feature_names, dtype=str),
                        target_names=np.array([str(t) for t in b.target_names], dtype=str))

and a test checks they still equal scikit-learn's exactly. Digits' pixels are whole numbers 0–16, so uint8
holds them exactly; the other tables stay float64 because float32 would change their values (5.1 is not a
float32), and float64 costs only about 17 KB more. For a real set ``n_samples`` caps the rows (a stratified
random subset, see :func:`subsample`) and ``noise`` adds Gaussian jitter of ``noise`` standard deviations of
each feature (0 leaves the data as published).

Synthetic sets (``kind="synthetic"``) follow Wattenberg, Viégas & Johnson, "How to Use t-SNE Effectively",
Distill 2016 (their demo's generators), each with labels to colour by. ``n_samples`` is the total number
of points and ``noise`` the standard deviation of isotropic Gaussian jitter added to every coordinate
(in the data's own units; 0 allowed).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np

from core.validation import check_array, check_float, check_int, check_labels, check_random_state

DATA_DIR = Path(__file__).resolve().parent / "data"
MIN_SAMPLES, MAX_SAMPLES = 10, 20_000
#: Largest ``noise`` accepted (in standard deviations for the real tables, in data units for the synthetic ones):
#: far past the point where the data are all noise, and small enough that nothing can overflow.
MAX_NOISE = 1000.0
HIGH_DIM = 50  #: the dimension of Distill's cluster examples


@dataclass(frozen=True, eq=False)
class Embeddable:
    """A table to embed, with what a page needs to draw it.

    ``X`` float64 (n, d); ``labels`` int64 (n,) indexing ``label_names`` (or both None); ``feature_names``
    d names; ``images`` (n, h, w) pictures of the rows (digits) or None; ``note`` a sentence for people;
    ``rows`` the rows' positions in the data they were taken from (set by :func:`subsample`), or None.
    """

    X: np.ndarray
    labels: np.ndarray | None
    label_names: list[str] | None
    feature_names: list[str]
    images: np.ndarray | None = None
    note: str = ""
    rows: np.ndarray | None = None

    def __post_init__(self):
        X = check_array("X", self.X)  # numbers, none missing
        object.__setattr__(self, "X", X)
        if self.labels is not None:
            object.__setattr__(self, "labels", check_labels("labels", self.labels))
        n, d = X.shape if X.ndim == 2 else (None, None)
        names = self.feature_names if isinstance(self.feature_names, (list, tuple)) else None
        problems = [
            (n is None, f"X must be 2-D, got shape {X.shape}"),
            (names is None, "feature_names must be a list of names"),
            (d is not None and names is not None and len(names) != d, "feature_names must name every column of X"),
            ((self.labels is None) != (self.label_names is None), "labels and label_names go together"),
            (self.labels is not None and np.shape(self.labels) != (n,), "labels must have one entry per row"),
            (self.images is not None and len(self.images) != n, "images must have one picture per row"),
            (self.rows is not None and np.shape(self.rows) != (n,), "rows must have one entry per row"),
        ]
        for failed, message in problems:
            if failed:
                raise ValueError(f"{message}.")

    @property
    def n_samples(self) -> int:
        return len(self.X)


# --- subsampling ---------------------------------------------------------------------------------------

def subsample(data: Embeddable, max_rows: int, random_state: int | None = 0) -> tuple[Embeddable, str | None]:
    """At most ``max_rows`` rows of ``data``, chosen at random, and a note saying so (None if all are kept).

    With labels the choice is stratified: class c with :math:`n_c` of the n rows keeps
    :math:`m\\,n_c/n` rows rounded by largest remainder (the floors first, then one more for the classes
    with the largest fractional parts), so the shares match to within one row and the total is exactly m.
    Chosen rows keep their original order; ``rows`` records where they came from.
    """
    if not isinstance(data, Embeddable):
        raise ValueError(f"data must be an Embeddable (e.g. from make_embeddable), got {type(data).__name__}.")
    max_rows = check_int("max_rows", max_rows, low=1)
    rng = check_random_state(random_state)
    n = data.n_samples
    if n <= max_rows:
        return data, None
    if data.labels is None:
        chosen = np.sort(rng.choice(n, size=max_rows, replace=False))
    else:
        chosen = _stratified(data.labels, max_rows, rng)
    rows = chosen if data.rows is None else data.rows[chosen]
    subset = replace(data, X=data.X[chosen], rows=rows,
                     labels=None if data.labels is None else data.labels[chosen],
                     images=None if data.images is None else data.images[chosen])
    how = " (stratified by label)" if data.labels is not None else ""
    return subset, f"Showing {max_rows:,} of {n:,} rows, chosen at random{how}."


def _stratified(labels: np.ndarray, m: int, rng: np.random.Generator) -> np.ndarray:
    classes, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    quota = m * counts / counts.sum()
    take = np.floor(quota).astype(int)
    extra = np.argsort(-(quota - take), kind="stable")[: m - take.sum()]
    take[extra] += 1
    picks = [rng.choice(np.flatnonzero(inverse == c), size=t, replace=False) for c, t in enumerate(take)]
    return np.sort(np.concatenate(picks))


# --- shared helpers ------------------------------------------------------------------------------------

def _check(n_samples, noise, random_state) -> tuple[int, float, np.random.Generator]:
    n_samples = check_int("n_samples", n_samples, low=MIN_SAMPLES, high=MAX_SAMPLES)
    noise = check_float("noise", noise, low=0.0, high=MAX_NOISE)
    return n_samples, noise, check_random_state(random_state)


def _sizes(n: int, k: int) -> np.ndarray:
    """n split into k counts as evenly as possible; the first ``n % k`` get one more."""
    return n // k + (np.arange(k) < n % k)


def _group_labels(sizes) -> np.ndarray:
    return np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)


def _names(d: int) -> list[str]:
    return ["x", "y", "z"] if d == 3 else [f"x{j + 1}" for j in range(d)]


def _bins(position: np.ndarray, n_bins: int, what: str) -> tuple[np.ndarray, list[str]]:
    """Labels 0..n_bins−1 for a position in [0, 1) cut into equal parts, named by percent."""
    labels = np.minimum((position * n_bins).astype(np.int64), n_bins - 1)
    edges = np.round(np.linspace(0, 100, n_bins + 1)).astype(int)
    return labels, [f"{lo}–{hi}% along the {what}" for lo, hi in zip(edges[:-1], edges[1:])]


def _synthetic(X, rng, noise, labels, label_names, note) -> Embeddable:
    """Add the jitter :math:`\\varepsilon \\sim \\mathcal N(0, \\nu^2 I)` and wrap up."""
    X = X + noise * rng.standard_normal(X.shape)
    jitter = f" Gaussian jitter of std {noise:g} added to every coordinate." if noise > 0 else ""
    return Embeddable(X, labels, label_names, _names(X.shape[1]), note=note + jitter)


def _gaussian_clusters(rng, sizes, centres, stds) -> np.ndarray:
    """``sizes[k]`` points from :math:`\\mathcal N(\\mu_k, \\sigma_k^2 I)` for each cluster k."""
    labels = _group_labels(sizes)
    centres, stds = np.asarray(centres, dtype=float), np.asarray(stds, dtype=float)
    return centres[labels] + stds[labels, None] * rng.standard_normal((len(labels), centres.shape[1]))


def _axis_centres(offsets, d: int = HIGH_DIM) -> np.ndarray:
    """Centres ``offset · e₁`` in d dimensions."""
    centres = np.zeros((len(offsets), d))
    centres[:, 0] = offsets
    return centres


# --- Distill's synthetic sets --------------------------------------------------------------------------

def make_different_sizes(n_samples: int = 500, noise: float = 0.0, random_state: int | None = 0) -> Embeddable:
    """Two Gaussian clusters with equal numbers of points but standard deviations 1 and 10, in 50-D.

    .. math:: x \\sim \\mathcal N(0, 10^2 I)\\ \\text{(wide)},\\qquad
              x \\sim \\mathcal N(200\\,e_1, I)\\ \\text{(tight)}

    Distill's ``twoDifferentClustersData`` (stds 1 and 1/10, 20 apart) scaled by 10. t-SNE adapts its
    bandwidth to the local density, so it tends to draw both clusters about the same size: sizes in a
    t-SNE plot mean nothing. PCA keeps them 10 to 1.
    """
    n_samples, noise, rng = _check(n_samples, noise, random_state)
    sizes = _sizes(n_samples, 2)
    X = _gaussian_clusters(rng, sizes, _axis_centres([0.0, 200.0]), [10.0, 1.0])
    return _synthetic(X, rng, noise, _group_labels(sizes), ["wide (std 10)", "tight (std 1)"],
                      "Equal numbers of points, standard deviations 10 and 1, in 50 dimensions.")


def make_different_distances(n_samples: int = 600, noise: float = 0.0, random_state: int | None = 0) -> Embeddable:
    """Three unit Gaussian clusters in 50-D, two close together and one far away (Distill's ``threeClustersData``).

    .. math:: x \\sim \\mathcal N(\\mu_k, I),\\qquad \\mu_k = 0,\\ 10\\,e_1,\\ 50\\,e_1

    Whether t-SNE shows the far cluster as farther depends on the perplexity; PCA's first axis does.
    """
    n_samples, noise, rng = _check(n_samples, noise, random_state)
    sizes = _sizes(n_samples, 3)
    X = _gaussian_clusters(rng, sizes, _axis_centres([0.0, 10.0, 50.0]), [1.0, 1.0, 1.0])
    return _synthetic(X, rng, noise, _group_labels(sizes), ["at 0", "at 10 (near)", "at 50 (far)"],
                      "Three clusters of std 1 in 50 dimensions, centres at 0, 10 and 50 along one axis.")


def make_cluster_in_cluster(n_samples: int = 500, noise: float = 0.0, random_state: int | None = 0) -> Embeddable:
    """A tight Gaussian (std 1) inside a wide one (std 50), same centre, in 50-D (Distill's ``subsetClustersData``).

    .. math:: x \\sim \\mathcal N(0, I)\\ \\text{(tight)},\\qquad x \\sim \\mathcal N(0, 50^2 I)\\ \\text{(wide)}
    """
    n_samples, noise, rng = _check(n_samples, noise, random_state)
    sizes = _sizes(n_samples, 2)
    X = _gaussian_clusters(rng, sizes, np.zeros((2, HIGH_DIM)), [1.0, 50.0])
    return _synthetic(X, rng, noise, _group_labels(sizes), ["tight (std 1)", "wide (std 50)"],
                      "A tight cluster inside a wide one with the same centre, in 50 dimensions.")


def _rotate_x(points: np.ndarray, angle: float = 0.4) -> np.ndarray:
    """Rotate (x, y, z) rows about the x axis: :math:`(x,\\ y\\cos a + z\\sin a,\\ -y\\sin a + z\\cos a)`."""
    c, s = np.cos(angle), np.sin(angle)
    x, y, z = points.T
    return np.column_stack([x, c * y + s * z, -s * y + c * z])


def make_linked_rings(n_samples: int = 300, noise: float = 0.0, random_state: int | None = 0) -> Embeddable:
    """Two interlocked unit circles in 3-D (Distill's ``linkData``), evenly spaced points.

    .. math:: r_1(t) = (\\cos t,\\ \\sin t,\\ 0),\\qquad r_2(t) = (1 + \\cos t,\\ 0,\\ \\sin t),

    both turned by 0.4 rad about the x axis. Ring 2 passes through ring 1's centre, so they are linked. With
    noise 0 the seed does not matter.
    """
    n_samples, noise, rng = _check(n_samples, noise, random_state)
    sizes = _sizes(n_samples, 2)
    t1, t2 = (2 * np.pi * np.arange(m) / m for m in sizes)
    ring1 = np.column_stack([np.cos(t1), np.sin(t1), np.zeros_like(t1)])
    ring2 = np.column_stack([1 + np.cos(t2), np.zeros_like(t2), np.sin(t2)])
    X = _rotate_x(np.vstack([ring1, ring2]))
    return _synthetic(X, rng, noise, _group_labels(sizes), ["ring 1", "ring 2"],
                      "Two linked circles in 3 dimensions.")


def make_trefoil(n_samples: int = 300, noise: float = 0.0, random_state: int | None = 0,
                 n_bins: int = 6) -> Embeddable:
    """A trefoil knot in 3-D (Distill's ``trefoilData``), evenly spaced points labelled by position.

    .. math:: t \\in [0, 2\\pi):\\quad (\\sin t + 2\\sin 2t,\\ \\cos t - 2\\cos 2t,\\ -\\sin 3t)

    The label is the bin of t/2π among ``n_bins`` equal parts, so colours run around the knot.
    With noise 0 the seed does not matter.
    """
    n_samples, noise, rng = _check(n_samples, noise, random_state)
    fraction = np.arange(n_samples) / n_samples
    t = 2 * np.pi * fraction
    X = np.column_stack([np.sin(t) + 2 * np.sin(2 * t), np.cos(t) - 2 * np.cos(2 * t), -np.sin(3 * t)])
    labels, names = _bins(fraction, check_int("n_bins", n_bins, low=1, high=20), "knot")
    return _synthetic(X, rng, noise, labels, names, "A trefoil knot in 3 dimensions, coloured by position.")


def make_swiss_roll(n_samples: int = 1000, noise: float = 0.0, random_state: int | None = 0,
                    n_bins: int = 6) -> Embeddable:
    """A rolled-up rectangle in 3-D (as scikit-learn's ``make_swiss_roll``), labelled by position along the roll.

    .. math:: t = \\tfrac{3\\pi}{2}(1 + 2u),\\ u \\sim \\mathcal U(0, 1),\\quad h \\sim \\mathcal U(0, 21),\\quad
              x = (t\\cos t,\\ h,\\ t\\sin t)

    The label is the bin of u among ``n_bins`` equal parts, from the centre of the roll outwards. PCA, being
    linear, projects the layers on top of each other; a neighbour method can keep them apart.
    """
    n_samples, noise, rng = _check(n_samples, noise, random_state)
    u = rng.uniform(size=n_samples)
    t = 1.5 * np.pi * (1 + 2 * u)
    height = rng.uniform(0.0, 21.0, size=n_samples)
    X = np.column_stack([t * np.cos(t), height, t * np.sin(t)])
    labels, names = _bins(u, check_int("n_bins", n_bins, low=1, high=20), "roll")
    return _synthetic(X, rng, noise, labels, names, "A swiss roll in 3 dimensions, coloured by position.")


def make_gaussian_cloud(n_samples: int = 500, noise: float = 0.0, random_state: int | None = 0) -> Embeddable:
    """One standard Gaussian in 50-D, :math:`x \\sim \\mathcal N(0, I)`: no structure at all.

    Distill's ``gaussianData``. Any clumps a t-SNE plot shows here are chance.
    """
    n_samples, noise, rng = _check(n_samples, noise, random_state)
    X = rng.standard_normal((n_samples, HIGH_DIM))
    return _synthetic(X, rng, noise, np.zeros(n_samples, dtype=np.int64), ["all points"],
                      "Standard Gaussian noise in 50 dimensions: there is nothing to find.")


# --- the real tables -----------------------------------------------------------------------------------

@lru_cache(maxsize=None)
def load_table(name: str) -> dict[str, np.ndarray]:
    """The shipped arrays of ``core/data/<name>.npz`` (X, y, feature_names, target_names), read-only.

    Found next to this module (not the working directory), read once per process.
    """
    path = DATA_DIR / f"{name}.npz"
    if not path.is_file():
        raise ValueError(f"No shipped data set {name!r} (looked for {path}).")
    with np.load(path, allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    for array in arrays.values():
        array.setflags(write=False)
    return arrays


def _real(name: str, note: str, *, images: bool = False):
    """A ``make(n_samples, noise, random_state)`` for a shipped table."""

    def make(n_samples: int = 2000, noise: float = 0.0, random_state: int | None = 0) -> Embeddable:
        n_samples, noise, rng = _check(n_samples, noise, random_state)
        table = load_table(name)
        X = table["X"].astype(np.float64)  # a writable copy
        if noise > 0:
            X += noise * X.std(axis=0) * rng.standard_normal(X.shape)
        data = Embeddable(X, table["y"].astype(np.int64), [str(t) for t in table["target_names"]],
                          [str(f) for f in table["feature_names"]],
                          images=table["X"].reshape(-1, 8, 8) if images else None, note=note)
        data, picked = subsample(data, n_samples, rng)
        return replace(data, note=" ".join(filter(None, [note, picked, _noise_note(noise)])))

    make.__doc__ = f"scikit-learn's {name.replace('_', ' ')} table, at most ``n_samples`` rows (stratified)."
    return make


def _noise_note(noise: float) -> str | None:
    return f"Gaussian jitter of {noise:g} standard deviations added to every feature." if noise > 0 else None


make_digits = _real("digits", "8×8 images of handwritten digits, 64 pixel intensities 0–16 each.", images=True)
make_iris = _real("iris", "150 iris flowers, 4 measurements in cm, 3 species.")
make_wine = _real("wine", "178 wines, 13 chemical measurements, 3 cultivars.")
make_breast_cancer = _real("breast_cancer", "569 tumour biopsies, 30 cell-nucleus measurements, "
                                            "malignant or benign.")


# --- registry ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class EmbeddingDataset:
    """One entry of :data:`EMBEDDING_DATASETS`."""

    name: str  #: the key
    label: str  #: for people
    description: str  #: one line
    kind: str  #: "real" or "synthetic"
    make: Callable[..., Embeddable]  #: ``make(n_samples, noise, random_state)``


EMBEDDING_DATASETS: dict[str, EmbeddingDataset] = {d.name: d for d in [
    EmbeddingDataset("digits", "Handwritten digits", "1,797 8×8 images (64-D), ten digits.", "real", make_digits),
    EmbeddingDataset("iris", "Iris flowers", "150 flowers, 4 measurements, 3 species.", "real", make_iris),
    EmbeddingDataset("wine", "Wine", "178 wines, 13 chemical measurements, 3 cultivars.", "real", make_wine),
    EmbeddingDataset("breast_cancer", "Breast cancer", "569 biopsies, 30 measurements, malignant or benign.",
                     "real", make_breast_cancer),
    EmbeddingDataset("different_sizes", "Clusters of different sizes",
                     "Two 50-D clusters, equal counts, std 10 and 1.", "synthetic", make_different_sizes),
    EmbeddingDataset("different_distances", "Clusters at different distances",
                     "Three 50-D clusters: two close, one far.", "synthetic", make_different_distances),
    EmbeddingDataset("cluster_in_cluster", "Cluster inside a cluster",
                     "A tight 50-D cluster inside a wide one.", "synthetic", make_cluster_in_cluster),
    EmbeddingDataset("linked_rings", "Two linked rings", "Two interlocked circles in 3-D.", "synthetic",
                     make_linked_rings),
    EmbeddingDataset("trefoil", "Trefoil knot", "A knotted loop in 3-D, coloured by position.", "synthetic",
                     make_trefoil),
    EmbeddingDataset("swiss_roll", "Swiss roll", "A rolled-up sheet in 3-D, coloured by position.", "synthetic",
                     make_swiss_roll),
    EmbeddingDataset("gaussian_cloud", "Gaussian cloud", "50-D noise with no structure.", "synthetic",
                     make_gaussian_cloud),
]}


def make_embeddable(name: str, n_samples: int = 1000, noise: float = 0.0,
                    random_state: int | None = 0) -> Embeddable:
    """Generate the data set registered as ``name``."""
    if not isinstance(name, str) or name not in EMBEDDING_DATASETS:
        raise ValueError(f"Unknown data set {name!r}; choose one of {', '.join(EMBEDDING_DATASETS)}.")
    return EMBEDDING_DATASETS[name].make(n_samples, noise, random_state)
