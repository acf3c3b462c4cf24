"""Axis settings shared by the figures.

Left to itself, Plotly labels a log axis over a decade or two at 2, 3, … 9 times each power of ten with the bare
digit ("5 4 3 2 1 9 8 7", or "2" for 200 at the top of an axis), and over more decades mixes SI prefixes with
powers ("1p, 1n, 1μ, 0.001"; "100μ" for an error of 10⁻⁴). Both read as a wrong scale to someone learning.
"""

from __future__ import annotations

import math

import numpy as np

#: Up to this many decades: ticks at 1, 2 and 5 times each power of ten, each labelled with its whole value
#: (0.5, 20, 200; d3's ``r``, so 200 is not written 2e+2).
FEW_DECADES = 1.5
ONE_TWO_FIVE = {"dtick": "D2", "tickformat": ".2~r"}
#: Up to this many decades: a tick at each power of ten.
SOME_DECADES = 6
#: Powers of ten between these (log₁₀) read best as plain numbers (0.001, 1000); beyond them as 10⁻⁶. Ticks of 1
#: and more are written with SI steps (1, 10, 100, 1k, 100k).
PLAIN = (-4, 5)


def log_ticks(lo: float, hi: float) -> dict:
    """Tick settings for a log axis whose range is ``lo``..``hi`` (log₁₀ units)."""
    if hi - lo <= FEW_DECADES:
        return ONE_TWO_FIVE
    each_decade = {"dtick": 1} if hi - lo <= SOME_DECADES else {}
    first, last = math.ceil(lo), math.floor(hi)  # the powers of ten on the axis
    if first >= 0:
        return {**each_decade, "tickformat": "~s"}
    if PLAIN[0] <= first and last <= PLAIN[1]:
        return {**each_decade, "tickformat": "~g"}
    return {**each_decade, "exponentformat": "power"}


def log_ticks_of(values) -> dict:
    """:func:`log_ticks` for an axis Plotly ranges itself over ``values`` (the positive, finite ones)."""
    values = np.asarray(values, dtype=float).ravel()
    values = values[np.isfinite(values) & (values > 0)]
    if not values.size:
        return {}
    return log_ticks(float(np.log10(values.min())), float(np.log10(values.max())))
