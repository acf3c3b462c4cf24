"""Input checks at the boundary of ``core``.

Each raises ``ValueError`` with a message that names the parameter, what was expected and what arrived, so
the UI can show it to a person as is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from numbers import Integral, Real

import numpy as np

#: Largest magnitude accepted in a data table (:func:`check_array` with ``max_abs``). The app squares data
#: (distances, covariances, losses) and sums the squares over many rows; below 1e50 even fourth powers summed
#: over millions of rows stay far from float64's 1.8e308, so no computation can overflow.
MAX_ABS = 1e50


def check_int(name: str, value, *, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` as an int, or raise if it is not a whole number in [low, high]."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValueError(f"{name} must be a whole number, got {value!r}.")
    _check_range(name, value, low, high)
    return int(value)


def check_float(name: str, value, *, low: float | None = None, high: float | None = None,
                low_inclusive: bool = True) -> float:
    """Return ``value`` as a finite float, or raise if it is not a number in the range."""
    if isinstance(value, bool) or not isinstance(value, Real) or not _is_finite(value):
        raise ValueError(f"{name} must be a finite number, got {_short(value)}.")
    value = float(value)  # a Python float: comparing a float32 with a bound like 1e50 would overflow
    if low is not None and not low_inclusive and value <= low:
        raise ValueError(f"{name} must be greater than {low:g}, got {value:g}.")
    _check_range(name, value, low if low_inclusive else None, high)
    return value + 0.0  # + 0.0 turns -0.0 into 0.0, which NumPy would take as a negative bound


def check_random_state(value, name: str = "random_state") -> np.random.Generator:
    """A NumPy generator from a seed: None (fresh entropy), a whole number ≥ 0, or a ``Generator`` (used as is)."""
    if value is None or isinstance(value, np.random.Generator):
        return np.random.default_rng(value)
    return np.random.default_rng(check_int(name, value, low=0))


def check_mapping(name: str, value) -> dict:
    """``value`` as a dict of settings (None is no settings), or raise."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError(f"{name} must be a dictionary of settings, got {_short(value)}.")
    return dict(value)


def check_array(name: str, value, *, ndim: int | None = None, finite: bool = True,
                max_abs: float | None = None) -> np.ndarray:
    """``value`` as a float64 array, or raise if it is not numbers (text, ragged lists, None), has the wrong
    number of dimensions, holds NaN or infinity (with ``finite``), or holds a value beyond ±``max_abs``."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{name} must be an array of numbers, got {_short(value)}.") from None
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D array, got shape {array.shape}.")
    if (finite or max_abs is not None) and not np.all(np.isfinite(array)):
        n_bad = int(np.count_nonzero(~np.isfinite(array)))
        raise ValueError(f"{name} holds {n_bad} missing or infinite value{'s' * (n_bad > 1)} (NaN or inf); "
                         "drop or fill them first.")
    if max_abs is not None and array.size and np.max(np.abs(array)) > max_abs:
        raise ValueError(f"{name} holds values as large as {np.max(np.abs(array)):.3g}; rescale it so that every "
                         f"value lies within ±{max_abs:g}.")
    return array


def check_labels(name: str, value, n: int | None = None) -> np.ndarray:
    """``value`` as a 1-D array of class labels (numbers or text), ``n`` of them if given, none missing."""
    try:
        y = np.asarray(value)
    except ValueError:  # a ragged list
        raise ValueError(f"{name} must be a 1-D array of labels, got {_short(value)}.") from None
    if y.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of labels, got shape {y.shape}.")
    if n is not None and len(y) != n:
        raise ValueError(f"{name} must hold one label per row: {n} rows, {len(y)} labels.")
    if y.dtype.kind == "O":  # text from pandas comes as Python objects; so do None and mixed values
        _check_label_objects(name, y.tolist())
    if y.dtype.kind in "fc" and not np.all(np.isfinite(y)):
        raise ValueError(f"{name} holds missing labels (NaN or inf); drop those rows first.")
    return y


def _check_label_objects(name: str, items: list) -> None:
    """Labels held as Python objects must be all text or all (finite) numbers."""
    if any(v is None or (isinstance(v, float) and not math.isfinite(v)) for v in items):
        raise ValueError(f"{name} holds missing labels (None or NaN); drop those rows first.")
    text = [isinstance(v, str) for v in items]
    numbers = [isinstance(v, (int, float, np.integer, np.floating)) for v in items]
    if not (all(text) or all(numbers)):
        raise ValueError(f"{name} must hold numbers or text, all of one kind; got values of mixed types.")


def _is_finite(value) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float
        return False


def _short(value) -> str:
    try:
        text = repr(value)
    except ValueError:  # an int with more digits than Python will print
        return "a number too long to show"
    return text if len(text) <= 60 else text[:57] + "..."


def _number(value) -> str:
    """``value`` for a message; a whole number too large for a float is shown by its size."""
    try:
        return f"{value:g}"
    except OverflowError:
        return f"about {'-' if value < 0 else ''}10^{int(math.log10(abs(value)))}"


def _check_range(name, value, low, high) -> None:
    if low is not None and value < low:
        raise ValueError(f"{name} must be at least {low:g}, got {_number(value)}.")
    if high is not None and value > high:
        raise ValueError(f"{name} must be at most {high:g}, got {_number(value)}.")
