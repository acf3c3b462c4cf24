"""The network diagram, TensorFlow Playground style: a tile per unit showing what it computes, and a line per
weight whose width is its size and whose colour is its sign.

Diagram coordinates: column c (inputs, hidden layers, outputs) sits at x = c·COLUMN_GAP; a unit is a square
tile of side TILE; units of a column are stacked evenly around y = 0. A whole hidden layer is drawn as one
heatmap (its tiles stacked with transparent gaps), so a frame updates one trace per layer, not per unit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from viz.palette import OKABE_ITO

TILE = 0.7
COLUMN_GAP = 1.5
#: Codes in a layer's mosaic: 0 is "no tile here" (transparent); a unit's output maps to LOW … HIGH with ZERO
#: in the middle. (0 rather than 255 for the gaps: a run of 0xFF bytes is "////" in base64, and Plotly's JSON
#: escapes every "/" as six characters.)
GAP, LOW, ZERO, HIGH = 0, 1, 121, 241
NEGATIVE, POSITIVE = OKABE_ITO["orange"], OKABE_ITO["blue"]
#: What a unit's tile shows: orange below zero, white at zero, blue above; gaps are transparent.
UNIT_COLORSCALE = [[0.0, "rgba(0,0,0,0)"], [0.5 / HIGH, "rgba(0,0,0,0)"], [0.5 / HIGH, NEGATIVE],
                   [LOW / HIGH, NEGATIVE], [ZERO / HIGH, "#FFFFFF"], [1.0, POSITIVE]]
#: Weight lines come in a few widths (one trace per width and sign keeps a frame small).
WIDTHS = (0.7, 1.8, 3.2, 5.0)


@dataclass(frozen=True)
class Layout:
    """Where every unit sits. ``tile`` is the cells per tile side, ``gap`` the transparent cells between tiles."""

    layer_units: tuple[int, ...]
    tile: int

    @property
    def gap(self) -> int:
        return max(1, round(self.tile * 0.45))

    @property
    def spacing(self) -> float:
        """Distance between the centres of neighbouring units in a column."""
        return (self.tile + self.gap) / self.tile * TILE

    def x(self, column: int) -> float:
        return column * COLUMN_GAP

    def ys(self, column: int) -> np.ndarray:
        """Centres of the column's units, top to bottom."""
        n = self.layer_units[column]
        return (np.arange(n)[::-1] - (n - 1) / 2) * self.spacing

    @property
    def height(self) -> float:
        return max(self.layer_units) * self.spacing


def tile_size(n_units: int, n_frames: int, budget: int = 1_200_000) -> int:
    """Cells per tile side so that ``n_units`` animated tiles over ``n_frames`` frames stay within ``budget``
    bytes of base64 (about 2.2 bytes per cell with gaps and encoding), between 8 and 20."""
    if n_units == 0:
        return 20
    return int(np.clip(np.sqrt(budget / (2.2 * n_units * n_frames)), 8, 20))


def unit_codes(values: np.ndarray) -> np.ndarray:
    """Each column of ``values`` (one unit over the grid) scaled by its own largest size into LOW … HIGH
    (ZERO = 0), as uint8. Per-unit scaling shows each unit's shape; a dead unit (all zeros) is all white."""
    scale = np.max(np.abs(values), axis=0, keepdims=True)
    scale[~np.isfinite(scale) | (scale == 0)] = 1.0
    codes = np.round(ZERO + (HIGH - ZERO) * np.nan_to_num(values / scale))
    return np.clip(codes, LOW, HIGH).astype(np.uint8)


def mosaic(values: np.ndarray, layout: Layout) -> np.ndarray:
    """One layer's tiles stacked bottom-up into one uint8 array, transparent gaps between them.

    ``values`` is (tile², units) in grid order (row = y); the top unit is the first column.
    """
    t, g = layout.tile, layout.gap
    n = values.shape[1]
    out = np.full((n * t + (n - 1) * g, t), GAP, dtype=np.uint8)
    codes = unit_codes(values)
    for j in range(n):
        row = (n - 1 - j) * (t + g)
        out[row:row + t] = codes[:, j].reshape(t, t)
    return out


def layer_heatmap(values: np.ndarray, layout: Layout, column: int, **kw) -> go.Heatmap:
    """A column's tiles as one heatmap placed in diagram coordinates."""
    d = TILE / layout.tile
    bottom = layout.ys(column)[-1] - TILE / 2
    return go.Heatmap(z=mosaic(values, layout), x0=layout.x(column) - TILE / 2 + d / 2, dx=d, y0=bottom + d / 2,
                      dy=d, zmin=0, zmax=HIGH, colorscale=UNIT_COLORSCALE, showscale=False, hoverinfo="skip",
                      xgap=0, ygap=0, **kw)


def weight_lines(coefs: list[np.ndarray], layout: Layout, scale: float) -> list[dict]:
    """One ``{"x", "y"}`` per (width, sign) trace: every weight as a segment from the right edge of its source
    tile to the left edge of its target, width by ``|w| / scale`` and colour by sign. NaN breaks the line."""
    groups = {(w, positive): ([], []) for w in range(len(WIDTHS)) for positive in (False, True)}
    for column, W in enumerate(coefs):
        x0, x1 = layout.x(column) + TILE / 2, layout.x(column + 1) - TILE / 2
        y_from, y_to = layout.ys(column), layout.ys(column + 1)
        level = np.minimum((np.abs(W) / scale * len(WIDTHS)).astype(int), len(WIDTHS) - 1)
        for (i, j), w in np.ndenumerate(W):
            xs, ys = groups[(level[i, j], w >= 0)]
            xs += [x0, x1, np.nan]
            ys += [y_from[i], y_to[j], np.nan]
    return [{"x": np.asarray(xs, dtype=np.float32), "y": np.asarray(ys, dtype=np.float32)}
            for xs, ys in groups.values()]


def weight_traces(**kw) -> list[go.Scatter]:
    """The empty (width, sign) line traces that :func:`weight_lines` fills, in the same order."""
    return [go.Scatter(x=[], y=[], mode="lines", hoverinfo="skip", showlegend=False,
                       line={"width": WIDTHS[w], "color": POSITIVE if positive else NEGATIVE}, opacity=0.75, **kw)
            for w in range(len(WIDTHS)) for positive in (False, True)]


def weight_scale(params_coefs: list[list[np.ndarray]]) -> float:
    """A size that maps to the widest line: the 95th percentile of |w| over every frame (so one huge weight
    does not make every other line hairline-thin)."""
    sizes = np.concatenate([np.abs(W).ravel() for coefs in params_coefs for W in coefs])
    return float(max(np.percentile(sizes, 95), 1e-6)) if len(sizes) else 1.0
