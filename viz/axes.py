"""Axis settings shared by the figures."""

from __future__ import annotations

import numpy as np

#: Below this many decades Plotly labels a log axis at 2, 3, … 9 times a power of ten with the bare digit
#: ("5 4 3 2 1 9 8 7", or "2" for 200 at the top of an axis), which reads as a wrong scale.
FEW_DECADES = 1.5
#: A log axis over many decades, labelled 10⁻⁶, 10⁻³, 1 (Plotly's own labels mix SI prefixes with powers:
#: "1p, 1n, 1μ, 0.001", and "100μ" for an error of 10⁻⁴).
DECADES = {"exponentformat": "power"}
#: Over few decades: ticks at 1, 2 and 5 times each power of ten, each labelled with its whole value (0.5, 20, 200).
ONE_TWO_FIVE = {"dtick": "D2", "tickformat": ".2~r"}
#: Counts over many decades (batch sizes, steps, examples): a label a decade, 1, 10, 100, 1k, 10k.
COUNT_DECADES = {"dtick": 1, "tickformat": "~s"}


def log_ticks(lo: float, hi: float, *, counts: bool = False) -> dict:
    """Tick settings for a log axis whose range is ``lo``..``hi`` (log₁₀ units): :data:`ONE_TWO_FIVE` over a
    short range; over a long one, :data:`COUNT_DECADES` for counts, else powers of ten (:data:`DECADES`)."""
    if hi - lo <= FEW_DECADES:
        return ONE_TWO_FIVE
    return COUNT_DECADES if counts else DECADES


def log_ticks_of(values, *, counts: bool = False) -> dict:
    """:func:`log_ticks` for an axis Plotly ranges itself over ``values`` (the positive, finite ones)."""
    values = np.asarray(values, dtype=float).ravel()
    values = values[np.isfinite(values) & (values > 0)]
    if not values.size:
        return {}
    return log_ticks(float(np.log10(values.min())), float(np.log10(values.max())), counts=counts)
