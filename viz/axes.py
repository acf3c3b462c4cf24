"""Axis settings shared by the figures."""

from __future__ import annotations

#: Below this many decades Plotly labels a log axis at 2, 3, … 9 times a power of ten with the bare digit
#: ("5 4 3 2 1 9 8 7"), which reads as a wrong scale.
FEW_DECADES = 1.5
#: A log axis over many decades, labelled 10⁻⁶, 10⁻³, 1 (Plotly's own labels mix SI prefixes with powers:
#: "1p, 1n, 1μ, 0.001", and "100μ" for an error of 10⁻⁴).
DECADES = {"exponentformat": "power"}


def log_ticks(lo: float, hi: float) -> dict:
    """Tick settings for a log axis whose range is ``lo``..``hi`` (log₁₀ units): over a short range, ticks at 1, 2
    and 5 times each power of ten, labelled with their whole value (0.5, 1, 2); over a long one, a label a decade
    or so, written as powers of ten (:data:`DECADES`)."""
    if hi - lo > FEW_DECADES:
        return DECADES
    return {"dtick": "D2", "tickformat": ".2~g"}
