"""Each loss surface's own learning rate and start, set when the optimizer page's surface control changes.

Without them, switching surface kept an η that suits one surface on another: the bowl's η = 0.05 makes
gradient descent and momentum blow up at step 1 on Rosenbrock and Beale. Presets and links set the surface and
η together through the session state directly, which fires no widget callback, so they keep their own η.

The callback is a module-level function bound to nothing but a key prefix (see the comment about widget
callbacks in ui/view.py: a function defined in a page would keep that run's whole namespace alive).
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from core.optimizers import OPTIMIZERS
from ui.params import ChoiceParam, LogFloatParam

#: The page's default start, kept by every surface whose map it lies well inside.
DEFAULT_START = (-2.5, 2.0)


@dataclass(frozen=True)
class SurfaceDefaults:
    lr: float
    start: tuple[float, float] = DEFAULT_START


#: Chosen by racing the page's default racers (gradient descent, momentum β = 0.9, Adam) from the start at every
#: η of the slider's grid: an η at which none of them diverges within the slider's 500 steps, nor at the next
#: grid value up (a margin), and at which each has closed most of the loss gap to the minimum (Rastrigin: to its
#: nearest dimple) within the default 150 steps. None of the other four optimizers diverges there either.
#: tests/test_optimizer_page.py checks every one against the page's own race.
#: * bowl: η = 0.05 (the page's default) at κ = 10; for a narrower bowl see :func:`surface_defaults`.
#: * rosenbrock: (−2.5, 2) is off its map; from the classic start (−1.2, 1) gradient descent is stable only up
#:   to η ≈ 0.003, where Adam (steps of about η) still gets 80 % of the way down.
#: * beale: from (−2.5, 2) (f = 250) momentum is stable only below η = 0.002, where Adam hardly moves;
#:   from (1.5, 1) (f = 14.2) all three reach the minimum (3, 0.5) at η = 0.01.
#: * rastrigin: larger η throws gradient descent and momentum from dimple to dimple (the loss rises); at
#:   η = 0.004 each settles in the nearest one.
#: * saddle: (−2.5, 2) is off its map (x ∈ [−2, 2]); from (−1.5, 2) all three reach a minimum at η = 0.05.
#: * plateau: gradient descent needs η ≥ 0.07 to cross the flat part from (−2.5, 2); 0.1 for a margin.
#: * custom: the page's defaults (η = 0.05, start (−2.5, 2)), which suit the default formula.
SURFACE_DEFAULTS = {
    "bowl": SurfaceDefaults(0.05),
    "rosenbrock": SurfaceDefaults(0.002, (-1.2, 1.0)),
    "beale": SurfaceDefaults(0.01, (1.5, 1.0)),
    "himmelblau": SurfaceDefaults(0.01),
    "rastrigin": SurfaceDefaults(0.004),
    "saddle": SurfaceDefaults(0.05, (-1.5, 2.0)),
    "plateau": SurfaceDefaults(0.1),
    "custom": SurfaceDefaults(0.05),
}

#: The learning-rate slider's values (the page's η control uses LogFloatParam's default grid).
LR_GRID = LogFloatParam("lr", "η", 0.05, low=1e-4, high=2.0).grid()


def surface_defaults(surface: str, condition: float = 10.0) -> dict:
    """The controls a switch to ``surface`` sets: ``lr``, ``x0``, ``y0``.

    The bowl's steep axis has curvature κ (``condition``): gradient descent is stable there only for η < 2/κ, and
    η ≤ 1/κ crosses it without zig-zagging, so a narrow bowl gets the largest slider value ≤ 1/κ instead."""
    chosen = SURFACE_DEFAULTS[surface]
    lr = chosen.lr
    if surface == "bowl":
        lr = min(lr, max([v for v in LR_GRID if v <= 1.0 / condition] or [LR_GRID[0]]))
    return {"lr": lr, "x0": chosen.start[0], "y0": chosen.start[1]}


def apply_surface_defaults(prefix: str) -> None:
    """The surface control's ``on_change``: its new surface's η (shared, and per racer when those are in use) and
    start. ``prefix`` is the page's key prefix (``View.key`` writes ``"<page>.<name>"``)."""
    state = st.session_state
    values = surface_defaults(state[f"{prefix}.surface"], state.get(f"{prefix}.condition", 10.0))
    for name, value in values.items():
        state[f"{prefix}.{name}"] = value
    # Per-racer rates in use would blow up the same way; unused, they are left alone (the link would otherwise
    # grow seven values nobody set).
    if state.get(f"{prefix}.per_lr"):
        for name in OPTIMIZERS:
            state[f"{prefix}.lr_{name}"] = values["lr"]


@dataclass(frozen=True)
class SurfaceParam(ChoiceParam):
    """The surface picker: a ChoiceParam (same URL values and parsing) whose change sets that surface's η and
    start (:func:`apply_surface_defaults`)."""

    def widget(self, key: str) -> str:
        return st.selectbox(self.label, options=list(self.options), format_func=self.options.get, key=key,
                            help=self.help or None, on_change=apply_surface_defaults, args=(key.rpartition(".")[0],))
