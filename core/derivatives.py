"""Numerical derivatives: the limit definition, made finite.

The derivative is the limit of the secant slope, :math:`f'(x) = \\lim_{h\\to 0} (f(x+h) - f(x))/h`.
With a finite ``h`` the forward difference has truncation error :math:`\\tfrac{h}{2} f''(x)`, the central
difference :math:`\\tfrac{h^2}{6} f'''(x)`; for very small ``h`` floating-point round-off
(about :math:`\\epsilon |f| / h`) takes over, which is why the error curve against ``h`` is V-shaped.
"""

from __future__ import annotations

import numpy as np

from core.validation import MAX_ABS, check_array


def forward_difference(f, x, h: float):
    """Secant slope :math:`(f(x+h) - f(x)) / h`; ``f`` must accept arrays, so ``x`` (and ``h``) may be arrays."""
    x, h = _check(x, h)
    return (f(x + h) - f(x)) / h


def central_difference(f, x, h: float):
    """Symmetric slope :math:`(f(x+h) - f(x-h)) / 2h`, accurate to :math:`O(h^2)`."""
    x, h = _check(x, h)
    return (f(x + h) - f(x - h)) / (2.0 * h)


def _check(x, h) -> tuple[np.ndarray, np.ndarray]:
    """x within ±1e50 and non-zero steps h within ±1e300, so that x ± h and 2h stay finite (a step of 0 would
    divide by 0)."""
    x, h = check_array("x", x, max_abs=MAX_ABS), check_array("h", h)
    try:
        np.broadcast_shapes(x.shape, h.shape)
    except ValueError:
        raise ValueError(f"x and h must have shapes that broadcast together, got {x.shape} and {h.shape}.") from None
    bad = (h == 0) | (np.abs(h) > 1e300)
    if np.any(bad):
        raise ValueError(f"h must be a non-zero step no larger than 1e300 in size, got h = {h[bad].flat[0]:g}.")
    return x, h
