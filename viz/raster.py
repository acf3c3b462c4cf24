"""A still contour map or heatmap as a picture under an animation: drawn once, never touched by its frames.

Plotly redraws every contour and heatmap on each animation frame unless the frame skips the redraw, and a frame
that skips it wipes them instead (plotly.js's cartesian ``plot`` keeps only the layers of the traces a frame
lists). Redrawing a 60×60 contour took longer than a frame lasts in a throttled browser, so the loss surface
vanished while ▶ Play ran. A layout image is outside every trace: frames without redraw leave it alone, and only
the light scatter traces move. The picture is made here with NumPy and Pillow (which comes with Streamlit).
"""

from __future__ import annotations

import base64
import hashlib
import io
from collections import OrderedDict

import numpy as np
from plotly.colors import get_colorscale, sample_colorscale, unlabel_rgb, hex_to_rgb
from scipy.ndimage import zoom

#: The picture's longer side in pixels: about the size it is drawn on a 1280-px screen, so it stays sharp.
LONG_SIDE = 480
#: How dark a contour line is drawn over the fill (0 = invisible, 1 = black).
LINE_DARKNESS = 0.45


def nice_levels(low: float, high: float, count: int) -> tuple[float, float]:
    """(start, size) of at most about ``count`` contour levels at round values between ``low`` and ``high``,
    as Plotly picks its automatic contours."""
    raw = (high - low) / max(count, 1)
    if not np.isfinite(raw) or raw <= 0:
        return low, 1.0
    magnitude = 10 ** np.floor(np.log10(raw))
    size = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return float(np.ceil(low / size) * size), float(size)


def _rgb_table(colorscale, n: int = 256) -> np.ndarray:
    """``n`` colours sampled evenly along a Plotly colorscale (a name or ``[[position, colour], ...]``)."""
    scale = get_colorscale(colorscale) if isinstance(colorscale, str) else [list(s) for s in colorscale]
    colours = sample_colorscale(scale, list(np.linspace(0, 1, n)))
    return np.array([hex_to_rgb(c) if c.startswith("#") else unlabel_rgb(c) for c in colours], dtype=float)


def surface_picture(z, colorscale, *, zmin=None, zmax=None, n_levels: int = 0, banded: bool = False,
                    lines: bool = True, reverse: bool = False) -> np.ndarray:
    """An RGBA picture (uint8, first row = highest y) of ``z[row][col]`` (rows at increasing y).

    ``banded`` colours each band between two levels with one colour (Plotly's ``coloring="fill"``), otherwise
    the colour follows ``z`` smoothly (``"heatmap"``); ``n_levels`` > 0 draws that many contour lines at round
    values. Cells where ``z`` is not finite stay transparent.
    """
    z = np.asarray(z, dtype=float)
    scale = max(1.0, LONG_SIDE / max(z.shape))
    fine = zoom(np.nan_to_num(z, nan=np.nanmean(z) if np.isfinite(z).any() else 0.0), scale, order=1)
    known = zoom(np.isfinite(z).astype(float), scale, order=1) > 0.5
    finite = fine[known]
    low = float(zmin) if zmin is not None else float(finite.min()) if finite.size else 0.0
    high = float(zmax) if zmax is not None else float(finite.max()) if finite.size else 1.0
    span = high - low if high > low else 1.0
    start, size = nice_levels(low, high, n_levels) if n_levels else (low, span)
    band = np.floor((fine - start) / size)
    shade = (start + (band + 0.5) * size - low) / span if banded else (fine - low) / span
    table = _rgb_table(colorscale)[::-1] if reverse else _rgb_table(colorscale)
    rgb = table[np.clip(np.round(shade * (len(table) - 1)), 0, len(table) - 1).astype(int)]
    if n_levels and lines:
        edge = np.zeros(band.shape, dtype=bool)
        edge[:, 1:] |= band[:, 1:] != band[:, :-1]
        edge[1:, :] |= band[1:, :] != band[:-1, :]
        rgb[edge] *= 1 - LINE_DARKNESS
    alpha = np.where(known, 255, 0)[..., None]
    return np.concatenate([rgb, alpha], axis=-1).round().astype(np.uint8)[::-1]


def png_data_uri(picture: np.ndarray) -> str:
    """A picture as a ``data:image/png;base64,...`` address (Plotly's layout image ``source``)."""
    from PIL import Image  # Pillow comes with Streamlit

    out = io.BytesIO()
    # zlib's default level: a 480×480 map in ~20 ms and ~59 KB; optimize=True saved 15 % for 7× the time
    # (150 ms), which every control change waited for
    Image.fromarray(picture).save(out, format="PNG", compress_level=6)
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")


#: The last pictures made, by their surface and style: a change of learning rate or start redraws the paths on the
#: same surface, and making its picture again cost ~50 ms of every such change.
_MADE: OrderedDict[bytes, str] = OrderedDict()
_KEEP = 16


def surface_data_uri(z, colorscale, **style) -> str:
    """``png_data_uri(surface_picture(z, colorscale, **style))``, remembered for the last few surfaces."""
    z = np.ascontiguousarray(z, dtype=float)
    key = hashlib.blake2b(z.tobytes() + repr((z.shape, colorscale, sorted(style.items()))).encode(),
                          digest_size=16).digest()
    if key in _MADE:
        _MADE.move_to_end(key)
        return _MADE[key]
    uri = _MADE[key] = png_data_uri(surface_picture(z, colorscale, **style))
    while len(_MADE) > _KEEP:
        _MADE.popitem(last=False)
    return uri
