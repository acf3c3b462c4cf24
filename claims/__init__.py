"""Sentences the app shows that state a number, a comparison or a mathematical fact, each with its check.

A page writes such a sentence as ``claim(check, "text")``: the result is the text itself (a ``str``, usable
anywhere a string is), carrying the function that proves it. A check recomputes what the sentence says with an
independent reference (a closed form, SciPy or scikit-learn, a published update rule) on the view it is shown
with, and raises ``AssertionError`` saying what is no longer true. ``tests/test_claims.py`` runs every claim the
pages make (their presets, their lesson steps, their captions) and fails on any that is false, on a preset or a
lesson step without one, and on a check no page uses.

Checks live in this package, one module per page, so the pages stay thin and the checks import without
Streamlit. No Streamlit or Plotly here.
"""

from __future__ import annotations

from typing import Callable

Check = Callable[[dict], None]

#: Every check, by page (its URL path) and name: the test harness requires each to be used by some claim.
CHECKS: dict[str, dict[str, Check]] = {}
#: Every claim made so far in this process (pages make theirs as they run), in order, without repeats.
MADE: dict[tuple[str, str], "Claim"] = {}


class Claim(str):
    """The text of a sentence (this ``str``) and ``check(values)``, which proves it for a view's values."""

    page: str
    check_name: str

    def __new__(cls, text: str, page: str, check_name: str) -> "Claim":
        made = super().__new__(cls, text)
        made.page, made.check_name = page, check_name
        return made

    def check(self, values: dict) -> None:
        CHECKS[self.page][self.check_name](values)


def checks(page: str) -> Callable[[Check], Check]:
    """Register a check for ``page``'s claims (a decorator)."""
    def register(fn: Check) -> Check:
        CHECKS.setdefault(page, {})[fn.__name__] = fn
        return fn
    return register


def claim(check: Check, text: str) -> Claim:
    """``text``, marked as proved by ``check`` (a function registered with :func:`checks`)."""
    page = next((p for p, fns in CHECKS.items() if fns.get(check.__name__) is check), None)
    if page is None:
        raise ValueError(f"{check.__name__} is not a registered check")
    made = Claim(text, page, check.__name__)
    MADE.setdefault((check.__name__, text), made)
    return made


def said(text: str) -> str:
    """``text``, declared to state nothing that needs a check: it names or describes a control, gives an
    instruction or asks a question that asserts nothing, or every number in it is formatted in from the view
    (an f-string of the values shown). ``tests/test_claims_audit.py`` requires every shown sentence with a number
    or a comparison to be a :func:`claim`, ``said``, or of a kind it knows states nothing (a control's label, a
    heading, a formula shown beside its code)."""
    return text
