"""TF Playground's input features: fixed maps of a point (x₁, x₂) that a network can take as inputs.

With only x₁ and x₂ a single neuron draws a straight line; feeding it x₁², x₂² as well lets it draw
the circle x₁² + x₂² = r², and x₁x₂ alone separates the exclusive-or quadrants.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from core.validation import MAX_ABS, check_array


@dataclass(frozen=True)
class Feature:
    """One input feature: ``fn`` maps X of shape (n, 2) to a column of shape (n,)."""

    name: str  #: the key in FEATURES
    label: str  #: plain text for people, e.g. "x₁²"
    latex: str  #: e.g. r"x_1^2"
    fn: Callable[[np.ndarray], np.ndarray]


FEATURES: dict[str, Feature] = {f.name: f for f in [
    Feature("x1", "x₁", r"x_1", lambda X: X[:, 0]),
    Feature("x2", "x₂", r"x_2", lambda X: X[:, 1]),
    Feature("x1_sq", "x₁²", r"x_1^2", lambda X: X[:, 0] ** 2),
    Feature("x2_sq", "x₂²", r"x_2^2", lambda X: X[:, 1] ** 2),
    Feature("x1x2", "x₁x₂", r"x_1 x_2", lambda X: X[:, 0] * X[:, 1]),
    Feature("sin_x1", "sin(x₁)", r"\sin(x_1)", lambda X: np.sin(X[:, 0])),
    Feature("sin_x2", "sin(x₂)", r"\sin(x_2)", lambda X: np.sin(X[:, 1])),
]}


def feature_map(X, names) -> np.ndarray:
    """The chosen features of every point, shape (n, len(names)), float64, columns in the order given.

    .. math:: \\Phi(X)_{ij} = \\phi_{\\text{names}[j]}(x_{i1}, x_{i2})

    ``X`` must have shape (n, 2); ``names`` are keys of :data:`FEATURES` (a single name may be passed as a
    string), each at most once. X must be finite, within ±1e50 (so the squares stay finite).
    """
    X = check_array("X", X, max_abs=MAX_ABS)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (n, 2): one row (x₁, x₂) per point, got shape {X.shape}.")
    if isinstance(names, str):
        names = [names]
    elif isinstance(names, (list, tuple)):
        names = list(names)
    else:
        raise ValueError(f"names must be a feature name or a list of them, got {names!r}.")
    _check_names(names)
    out = np.empty((len(X), len(names)))
    for j, name in enumerate(names):
        out[:, j] = FEATURES[name].fn(X)
    return out


def _check_names(names: list) -> None:
    if not names:
        raise ValueError("Choose at least one feature.")
    unknown = [n for n in names if not isinstance(n, str) or n not in FEATURES]
    if unknown:
        raise ValueError(f"Unknown feature {unknown[0]!r}; choose from {', '.join(FEATURES)}.")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"Feature {repeated[0]!r} is chosen more than once; choose each feature at most once.")
