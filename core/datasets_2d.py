"""Two-feature classification data sets in the style of TensorFlow Playground, plus a split and a grid.

Every generator shares one signature, ``make_xxx(n_samples=200, noise=0.0, random_state=0) -> (X, y)``
(``make_blobs`` adds ``n_classes``): ``X`` is float64 of shape (n, 2), ``y`` int64 labels 0..K-1 of shape (n,).
The same ``random_state`` gives the same data.

``noise`` is a fraction in [0, 1], read like TF Playground's 0–50 % slider divided by 100 (so 0.5 is the
Playground's maximum and 1 goes beyond it). Where TF Playground has the data set, its scale is kept: the
points live roughly in [-6, 6]² and ``noise`` means what it means there:

=========  ======================================================  ===========================
data set   noise does                                              classes
=========  ======================================================  ===========================
circle     uniform jitter of ±5·noise per coordinate                 balanced
xor        uniform jitter of ±5·noise per coordinate                 by area (about half each)
gaussians  std of each blob = 0.5 + 3.5·noise                        balanced
spiral     uniform jitter of ±noise per coordinate                   balanced
moons      Gaussian jitter of std 2.5·noise                          balanced
blobs      std of each blob = 0.6 + 2·noise                          balanced (3–5 classes)
gates      Gaussian jitter of std 0.5·noise around the 0/1 corners   as the truth table
=========  ======================================================  ===========================

Labels always come from the clean point; the jitter is added afterwards, so noise pushes points across
the boundary rather than relabelling them. (TF Playground does it the other way round for circle and
XOR: it labels the jittered point and draws the clean one.) Points come out grouped by class;
:func:`train_test_split` shuffles.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from core.validation import MAX_ABS, check_array, check_float, check_int, check_labels, check_random_state

#: The four inputs of a two-input logic gate, in truth-table order.
GATE_INPUTS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])

_MIN_SAMPLES, _MAX_SAMPLES = 4, 5000
#: Largest coordinate of a grid's extent (data lie within ±1e50, see :func:`grid_extent`).
_MAX_EXTENT = 1e100


# --- shared helpers ------------------------------------------------------------------------------------

def _check(n_samples, noise, random_state) -> tuple[int, float, np.random.Generator]:
    """Validate the shared arguments; return them with a seeded generator."""
    n_samples = check_int("n_samples", n_samples, low=_MIN_SAMPLES, high=_MAX_SAMPLES)
    noise = check_float("noise", noise, low=0.0, high=1.0)
    return n_samples, noise, check_random_state(random_state)


def _class_sizes(n: int, k: int) -> np.ndarray:
    """Split n into k counts as evenly as possible; the first ``n % k`` classes get one more."""
    return n // k + (np.arange(k) < n % k)


def _labels(sizes) -> np.ndarray:
    """``[0]*sizes[0] + [1]*sizes[1] + ...`` as int64."""
    return np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)


def _uniform_jitter(rng: np.random.Generator, n: int, half_width: float) -> np.ndarray:
    """Independent U(-half_width, half_width) per coordinate, shape (n, 2)."""
    return rng.uniform(-half_width, half_width, size=(n, 2))


def _polar(r, t) -> np.ndarray:
    """Points ``(r sin t, r cos t)`` (TF Playground's convention), shape (n, 2)."""
    return np.column_stack([r * np.sin(t), r * np.cos(t)])


def _gaussian_blobs(rng, centres: np.ndarray, sizes, std: float) -> tuple[np.ndarray, np.ndarray]:
    """``sizes[k]`` points from N(centres[k], std² I) for each class k."""
    y = _labels(sizes)
    return centres[y] + std * rng.standard_normal((len(y), 2)), y


# --- TF Playground's data sets -------------------------------------------------------------------------

def make_circle(n_samples: int = 200, noise: float = 0.0, random_state: int | None = 0):
    """A disc (class 0) inside a ring (class 1), TF Playground's "circle".

    .. math:: \\theta \\sim \\mathcal U(0, 2\\pi),\\quad
              r \\sim \\mathcal U(0, 2.5)\\ \\text{(class 0)},\\ \\ \\mathcal U(3.5, 5)\\ \\text{(class 1)},\\quad
              x = (r\\sin\\theta,\\ r\\cos\\theta) + \\varepsilon,\\ \\ \\varepsilon_j \\sim \\mathcal U(-5\\nu, 5\\nu)

    The radius, not the area, is uniform, so points crowd towards the centre (as in TF Playground). With
    noise ν = 0 the classes are separated by any circle of radius between 2.5 and 3.5. Classes are balanced
    (class 0 gets the extra point when n is odd).
    """
    n_samples, noise, rng = _check(n_samples, noise, random_state)
    sizes = _class_sizes(n_samples, 2)
    y = _labels(sizes)
    r_low, r_high = np.array([0.0, 3.5])[y], np.array([2.5, 5.0])[y]
    r = rng.uniform(r_low, r_high)
    t = rng.uniform(0.0, 2 * np.pi, size=n_samples)
    return _polar(r, t) + _uniform_jitter(rng, n_samples, 5.0 * noise), y


def make_xor(n_samples: int = 200, noise: float = 0.0, random_state: int | None = 0):
    """TF Playground's "exclusive or": the sign of x₁·x₂ over four quadrants.

    .. math:: u_j \\sim \\mathcal U(-5, 5),\\quad c_j = u_j + 0.3\\,\\mathrm{sign}(u_j),\\quad
              y = [c_1 c_2 > 0],\\quad x = c + \\varepsilon,\\ \\ \\varepsilon_j \\sim \\mathcal U(-5\\nu, 5\\nu)

    The 0.3 shift pushes every clean point at least 0.3 away from both axes (so it lies in
    [-5.3, -0.3] ∪ [0.3, 5.3] per coordinate). Class 1 is the first and third quadrants; each class holds
    about half the points (the count is random).
    """
    n_samples, noise, rng = _check(n_samples, noise, random_state)
    u = rng.uniform(-5.0, 5.0, size=(n_samples, 2))
    clean = np.where(u > 0, u + 0.3, u - 0.3)
    y = (clean[:, 0] * clean[:, 1] > 0).astype(np.int64)
    return clean + _uniform_jitter(rng, n_samples, 5.0 * noise), y


def make_gaussians(n_samples: int = 200, noise: float = 0.0, random_state: int | None = 0):
    """Two round Gaussian blobs, TF Playground's "Gaussian".

    .. math:: x \\sim \\mathcal N\\big(\\mu_y,\\ \\sigma^2 I\\big),\\quad
              \\mu_0 = (-2, -2),\\ \\mu_1 = (2, 2),\\quad \\sigma = 0.5 + 3.5\\nu

    So σ runs from 0.5 (well apart: the centres are 4√2 ≈ 5.7 apart) to 4 (heavily overlapping).
    Classes are balanced.
    """
    n_samples, noise, rng = _check(n_samples, noise, random_state)
    centres = np.array([[-2.0, -2.0], [2.0, 2.0]])
    return _gaussian_blobs(rng, centres, _class_sizes(n_samples, 2), 0.5 + 3.5 * noise)


def make_spiral(n_samples: int = 200, noise: float = 0.0, random_state: int | None = 0):
    """Two interleaved spirals, TF Playground's "spiral".

    For class c with m points and i = 0, ..., m − 1:

    .. math:: r_i = 5\\,\\frac{i}{m},\\quad t_i = 1.75 \\cdot 2\\pi\\,\\frac{i}{m} + c\\,\\pi,\\quad
              x_i = (r_i \\sin t_i,\\ r_i \\cos t_i) + \\varepsilon_i,
              \\varepsilon_{ij} \\sim \\mathcal U(-\\nu, \\nu)

    Each arm makes 1.75 turns out to radius 5; class 1 is class 0 turned by half a turn. Neighbouring arms
    are about 5 / 1.75 / 2 ≈ 1.4 apart, so jitter ±ν (TF Playground's own scale) leaves ν = 0.5 visibly
    messy but learnable, and ν = 1 mixes the arms. With ν = 0 the points are evenly spaced along the arms
    and the seed does not matter; as in TF Playground both arms start at the origin (i = 0), so each class
    has one point at (0, 0). Classes are balanced.
    """
    n_samples, noise, rng = _check(n_samples, noise, random_state)
    sizes = _class_sizes(n_samples, 2)
    y = _labels(sizes)
    fraction = np.concatenate([np.arange(m) / m for m in sizes])
    r = 5.0 * fraction
    t = 1.75 * 2 * np.pi * fraction + np.pi * y
    return _polar(r, t) + _uniform_jitter(rng, n_samples, noise), y


# --- more data sets ------------------------------------------------------------------------------------

#: Where ``make_moons`` moves scikit-learn's moons before scaling them: the middle of their bounding box.
MOONS_SHIFT = np.array([0.5, 0.25])
#: How much ``make_moons`` enlarges scikit-learn's moons.
MOONS_SCALE = 2.5


def make_moons(n_samples: int = 200, noise: float = 0.0, random_state: int | None = 0):
    """Two interleaving half circles, scikit-learn's ``make_moons`` (unshuffled) scaled to the Playground.

    scikit-learn's moons are the upper unit half circle (class 0, ``n // 2`` points) and the lower one
    centred on (1, 0.5) (class 1, the rest), each at evenly spaced angles:

    .. math:: m^{(0)}_i = (\\cos s_i,\\ \\sin s_i),\\quad m^{(1)}_i = (1 - \\cos s_i,\\ 0.5 - \\sin s_i),
              \\quad s_i \\in \\mathrm{linspace}(0, \\pi)

    Their bounding box [-1, 2] × [-0.5, 1] is centred and enlarged 2.5 times, then jittered:

    .. math:: x = 2.5\\,\\big(m - (0.5, 0.25)\\big) + \\varepsilon,\\quad
              \\varepsilon \\sim \\mathcal N\\big(0,\\ (2.5\\nu)^2 I\\big)

    so the data fill [-3.75, 3.75] × [-1.9, 1.9] and ν is scikit-learn's ``noise`` in the unscaled units.
    With ν = 0 the seed does not matter.
    """
    n_samples, noise, rng = _check(n_samples, noise, random_state)
    sizes = _class_sizes(n_samples, 2)[::-1]  # scikit-learn: n // 2 outer (class 0), the rest inner
    s0, s1 = np.linspace(0.0, np.pi, sizes[0]), np.linspace(0.0, np.pi, sizes[1])
    moons = np.concatenate([np.column_stack([np.cos(s0), np.sin(s0)]),
                            np.column_stack([1.0 - np.cos(s1), 0.5 - np.sin(s1)])])
    X = MOONS_SCALE * (moons - MOONS_SHIFT) + MOONS_SCALE * noise * rng.standard_normal((n_samples, 2))
    return X, _labels(sizes)


def blob_centres(n_classes: int) -> np.ndarray:
    """The ``make_blobs`` centres: ``4 (cos 2πk/K, sin 2πk/K)`` for k = 0..K−1, shape (K, 2), K ≤ 1000."""
    n_classes = check_int("n_classes", n_classes, low=1, high=1000)
    angle = 2 * np.pi * np.arange(n_classes) / n_classes
    return 4.0 * np.column_stack([np.cos(angle), np.sin(angle)])


def make_blobs(n_samples: int = 200, noise: float = 0.0, random_state: int | None = 0, n_classes: int = 3):
    """K round Gaussian blobs with centres evenly spaced on a circle of radius 4.

    .. math:: x \\sim \\mathcal N\\big(\\mu_y,\\ \\sigma^2 I\\big),\\quad
              \\mu_k = 4\\,(\\cos\\tfrac{2\\pi k}{K},\\ \\sin\\tfrac{2\\pi k}{K}),\\quad \\sigma = 0.6 + 2\\nu

    K = ``n_classes`` is 3, 4 or 5. The classes split n as evenly as possible (the first ``n mod K``
    classes get one point more).
    """
    n_samples, noise, rng = _check(n_samples, noise, random_state)
    n_classes = check_int("n_classes", n_classes, low=3, high=5)
    return _gaussian_blobs(rng, blob_centres(n_classes), _class_sizes(n_samples, n_classes), 0.6 + 2.0 * noise)


# --- logic gates ---------------------------------------------------------------------------------------

def _gate(outputs, n_samples, noise, random_state):
    """The truth table ``GATE_INPUTS → outputs`` repeated ⌊n/4⌋ times, with N(0, (0.5ν)²) jitter."""
    n_samples, noise, rng = _check(n_samples, noise, random_state)
    repeats = n_samples // 4
    X = np.tile(GATE_INPUTS, (repeats, 1)) + 0.5 * noise * rng.standard_normal((4 * repeats, 2))
    return X, np.tile(np.asarray(outputs, dtype=np.int64), repeats)


_GATE_DOC = """The {name} gate: inputs (0,0), (0,1), (1,0), (1,1) → {outputs}.

    Rows are the truth table repeated in that order, ⌊n/4⌋ times: ``n_samples`` is rounded *down* to a
    multiple of 4, so ``X`` has ``4 · (n_samples // 4)`` rows. Each row gets Gaussian jitter,

    .. math:: x = a + \\varepsilon,\\quad \\varepsilon \\sim \\mathcal N\\big(0,\\ (0.5\\nu)^2 I\\big),

    and keeps the label of its clean corner a. With n_samples = 4 and ν = 0 this is exactly the truth table.
    """


def make_and(n_samples: int = 200, noise: float = 0.0, random_state: int | None = 0):
    return _gate([0, 0, 0, 1], n_samples, noise, random_state)


def make_or(n_samples: int = 200, noise: float = 0.0, random_state: int | None = 0):
    return _gate([0, 1, 1, 1], n_samples, noise, random_state)


def make_xor_gate(n_samples: int = 200, noise: float = 0.0, random_state: int | None = 0):
    return _gate([0, 1, 1, 0], n_samples, noise, random_state)


def make_nand(n_samples: int = 200, noise: float = 0.0, random_state: int | None = 0):
    return _gate([1, 1, 1, 0], n_samples, noise, random_state)


def make_nor(n_samples: int = 200, noise: float = 0.0, random_state: int | None = 0):
    return _gate([1, 0, 0, 0], n_samples, noise, random_state)


for _fn, _name, _outputs in [(make_and, "AND", "0, 0, 0, 1"), (make_or, "OR", "0, 1, 1, 1"),
                             (make_xor_gate, "XOR", "0, 1, 1, 0"), (make_nand, "NAND", "1, 1, 1, 0"),
                             (make_nor, "NOR", "1, 0, 0, 0")]:
    _fn.__doc__ = _GATE_DOC.format(name=_name, outputs=_outputs)
del _fn, _name, _outputs


# --- registry ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Dataset:
    """One entry of :data:`DATASETS`: the generator and what a page needs to offer it."""

    name: str  #: the key in DATASETS
    label: str  #: for people, e.g. "Two spirals"
    make: Callable[..., tuple[np.ndarray, np.ndarray]]  #: ``make(n_samples, noise, random_state)``
    n_classes: int  #: number of labels (blobs: its default, 3)
    kind: str  #: "2d" (Playground-scale data) or "gate" (truth table on {0, 1}²)
    description: str  #: one line


DATASETS: dict[str, Dataset] = {d.name: d for d in [
    Dataset("circle", "Circle", make_circle, 2, "2d", "A disc inside a ring: needs a curved boundary."),
    Dataset("xor", "Exclusive or", make_xor, 2, "2d", "Opposite quadrants share a class: the sign of x₁·x₂."),
    Dataset("gaussians", "Two Gaussians", make_gaussians, 2, "2d", "Two round blobs: a straight line separates them."),
    Dataset("spiral", "Spiral", make_spiral, 2, "2d", "Two interleaved spirals: the hardest to learn."),
    Dataset("moons", "Two moons", make_moons, 2, "2d", "Two interleaving half circles, as in scikit-learn."),
    Dataset("blobs", "Blobs", make_blobs, 3, "2d", "3 to 5 Gaussian blobs on a circle: more than two classes."),
    Dataset("and", "AND gate", make_and, 2, "gate", "1 only when both inputs are 1: one line separates it."),
    Dataset("or", "OR gate", make_or, 2, "gate", "1 when either input is 1: one line separates it."),
    Dataset("xor_gate", "XOR gate", make_xor_gate, 2, "gate", "1 when the inputs differ: no single line separates it."),
    Dataset("nand", "NAND gate", make_nand, 2, "gate", "NOT AND: one line separates it."),
    Dataset("nor", "NOR gate", make_nor, 2, "gate", "NOT OR: one line separates it."),
]}


def make_dataset(name: str, n_samples: int = 200, noise: float = 0.0, random_state: int | None = 0,
                 n_classes: int | None = None):
    """Generate the data set registered as ``name``; ``n_classes`` reaches ``make_blobs`` only (else ignored)."""
    if not isinstance(name, str) or name not in DATASETS:
        raise ValueError(f"Unknown data set {name!r}; choose one of {', '.join(DATASETS)}.")
    if name == "blobs" and n_classes is not None:
        return make_blobs(n_samples, noise, random_state, n_classes=n_classes)
    return DATASETS[name].make(n_samples, noise, random_state)


# --- split ---------------------------------------------------------------------------------------------

def train_test_split(X, y, test_size: float = 0.5, random_state: int | None = 0):
    """Stratified random split, returned as ``X_train, X_test, y_train, y_test`` (scikit-learn's order).

    Each class c with n_c points sends :math:`\\lfloor t\\,n_c + \\tfrac12 \\rfloor` of them (t·n_c rounded to
    the nearest whole number, halves up) to the test set and the rest to training, so every class keeps its
    share to within half a point. Which points go where is random (seeded), and both parts come out
    shuffled. ``test_size`` t is in [0, 0.9]; t = 0 gives empty test arrays of shape (0, d) and (0,).

    Raises ``ValueError`` if the rounding would leave a class with no training point (a class of one point
    with t ≥ 0.5, say: the AND gate's four rows cannot be split in half).
    """
    X, y = _check_xy(X, y)
    test_size = check_float("test_size", test_size, low=0.0, high=0.9)
    rng = check_random_state(random_state)
    train, test = [], []
    for label in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == label))
        n_test = int(np.floor(test_size * len(members) + 0.5))
        if n_test == len(members):
            raise ValueError(f"test_size={test_size:g} would leave class {label} ({len(members)} point"
                             f"{'s' if len(members) > 1 else ''}) with nothing to train on; "
                             "lower test_size or use more samples.")
        test.append(members[:n_test])
        train.append(members[n_test:])
    train, test = rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))
    return X[train], X[test], y[train], y[test]


def _check_xy(X, y) -> tuple[np.ndarray, np.ndarray]:
    X, y = check_array("X", X), check_labels("y", y)
    if X.ndim != 2 or len(X) != len(y) or len(y) == 0:
        raise ValueError(f"X must have shape (n, d) and y shape (n,) with n ≥ 1, got {X.shape} and {y.shape}.")
    return X, y


# --- grids for decision-boundary heatmaps --------------------------------------------------------------

def grid_extent(X, pad: float = 0.1, min_pad: float = 0.5) -> tuple[float, float, float, float]:
    """``(x_min, x_max, y_min, y_max)``: the data's bounding box widened on every side.

    Each axis grows by ``max(pad · span, min_pad)`` at both ends, where span is the data's range on that
    axis: the relative ``pad`` sets the margin for Playground-scale data (span ≈ 10 → 1), the absolute
    ``min_pad`` for small ones, so the logic gates' {0, 1}² comes out as [-0.5, 1.5]².
    """
    X = check_array("X", X, max_abs=MAX_ABS)
    if X.ndim != 2 or X.shape[1] != 2 or len(X) == 0:
        raise ValueError(f"X must be finite with shape (n, 2), n ≥ 1, got shape {X.shape}.")
    pad = check_float("pad", pad, low=0.0, high=10.0)
    min_pad = check_float("min_pad", min_pad, low=0.0, high=MAX_ABS)
    low, high = X.min(axis=0), X.max(axis=0)
    margin = np.maximum(pad * (high - low), min_pad)
    (x_min, y_min), (x_max, y_max) = low - margin, high + margin
    return float(x_min), float(x_max), float(y_min), float(y_max)


def make_grid(extent, resolution: int = 100) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A ``resolution × resolution`` grid over ``extent = (x_min, x_max, y_min, y_max)``.

    Returns ``xs``, ``ys`` (evenly spaced, float64, length ``resolution``) and ``points`` of shape
    (resolution², 2) in row-major order, row = y index: ``points[i * resolution + j] = (xs[j], ys[i])``,
    the order of ``np.meshgrid(xs, ys)`` flattened. So ``model(points).reshape(resolution, resolution)``
    is ``z[row=y, col=x]``, what a heatmap over (xs, ys) expects.
    """
    try:
        x_min, x_max, y_min, y_max = extent
    except (TypeError, ValueError):
        raise ValueError(f"extent must be (x_min, x_max, y_min, y_max), got {extent!r}.") from None
    # linspace overflows over spans near the float limit; _MAX_EXTENT is far past any grid_extent of valid data.
    x_min, x_max, y_min, y_max = (check_float(n, v, low=-_MAX_EXTENT, high=_MAX_EXTENT)
                                  for n, v in zip(("x_min", "x_max", "y_min", "y_max"), (x_min, x_max, y_min, y_max)))
    if not (x_min < x_max and y_min < y_max):
        raise ValueError(f"extent needs x_min < x_max and y_min < y_max, got {(x_min, x_max, y_min, y_max)!r}.")
    resolution = check_int("resolution", resolution, low=2, high=1000)
    xs, ys = np.linspace(x_min, x_max, resolution), np.linspace(y_min, y_max, resolution)
    gx, gy = np.meshgrid(xs, ys)
    return xs, ys, np.column_stack([gx.ravel(), gy.ravel()])


def subsample(X, y, n: int, random_state: int | None = 0):
    """At most ``n`` rows of (X, y), each class keeping its share (to within a row), in their original order."""
    X, y = _check_xy(X, y)
    n = check_int("n", n, low=1)
    if len(y) <= n:
        return X, y
    rng = check_random_state(random_state)
    keep = []
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        take = max(1, int(round(n * len(members) / len(y))))
        keep.append(rng.choice(members, min(take, len(members)), replace=False))
    keep = np.sort(np.concatenate(keep))
    return X[keep], y[keep]
