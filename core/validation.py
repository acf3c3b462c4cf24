"""Input checks at the boundary of ``core``.

Each raises ``ValueError`` with a message that names the parameter, what was expected and what arrived, so
the UI can show it to a person as is.
"""

from __future__ import annotations

import math
from numbers import Integral, Real


def check_int(name: str, value, *, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` as an int, or raise if it is not a whole number in [low, high]."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValueError(f"{name} must be a whole number, got {value!r}.")
    _check_range(name, value, low, high)
    return int(value)


def check_float(name: str, value, *, low: float | None = None, high: float | None = None,
                low_inclusive: bool = True) -> float:
    """Return ``value`` as a finite float, or raise if it is not a number in the range."""
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}.")
    if low is not None and not low_inclusive and value <= low:
        raise ValueError(f"{name} must be greater than {low:g}, got {value:g}.")
    _check_range(name, value, low if low_inclusive else None, high)
    return float(value)


def _check_range(name, value, low, high) -> None:
    if low is not None and value < low:
        raise ValueError(f"{name} must be at least {low:g}, got {value:g}.")
    if high is not None and value > high:
        raise ValueError(f"{name} must be at most {high:g}, got {value:g}.")
