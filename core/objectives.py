"""2-D loss surfaces for the optimizer explorer: value, analytic gradient and Hessian, vectorised over grids.

Every surface is an :class:`Objective`. ``p`` is an array whose last axis holds ``(x, y)``: shape ``(2,)`` for
one point, ``(n, 2)`` for several racers, ``(H, W, 2)`` for a grid. ``value`` returns shape ``p.shape[:-1]``,
``gradient`` the same shape as ``p``, ``hessian`` ``p.shape + (2,)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Objective:
    """A 2-D surface f(x, y) with its exact derivatives, the box worth drawing and its known minima."""

    name: str
    label: str
    latex: str
    value_fn: Callable[[np.ndarray], np.ndarray]
    gradient_fn: Callable[[np.ndarray], np.ndarray]
    hessian_fn: Callable[[np.ndarray], np.ndarray]
    domain: tuple[tuple[float, float], tuple[float, float]]
    minima: np.ndarray = field(default_factory=lambda: np.empty((0, 2)))

    def value(self, p) -> np.ndarray:
        return self.value_fn(np.asarray(p, dtype=float))

    def gradient(self, p) -> np.ndarray:
        return self.gradient_fn(np.asarray(p, dtype=float))

    def hessian(self, p) -> np.ndarray:
        return self.hessian_fn(np.asarray(p, dtype=float))
