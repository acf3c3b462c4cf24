"""Numerical derivatives: the limit definition, made finite.

The derivative is the limit of the secant slope, :math:`f'(x) = \\lim_{h\\to 0} (f(x+h) - f(x))/h`.
With a finite ``h`` the forward difference has truncation error :math:`\\tfrac{h}{2} f''(x)`, the central
difference :math:`\\tfrac{h^2}{6} f'''(x)`; for very small ``h`` floating-point round-off
(about :math:`\\epsilon |f| / h`) takes over, which is why the error curve against ``h`` is V-shaped.
"""

from __future__ import annotations

import numpy as np


def forward_difference(f, x, h: float):
    """Secant slope :math:`(f(x+h) - f(x)) / h`; ``f`` must accept arrays, so ``x`` may be an array."""
    x = np.asarray(x, dtype=float)
    return (f(x + h) - f(x)) / h


def central_difference(f, x, h: float):
    """Symmetric slope :math:`(f(x+h) - f(x-h)) / 2h`, accurate to :math:`O(h^2)`."""
    x = np.asarray(x, dtype=float)
    return (f(x + h) - f(x - h)) / (2.0 * h)
