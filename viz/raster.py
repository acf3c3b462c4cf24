"""A contour map or heatmap as a picture under an animation: a still one drawn once, never touched by its frames;
a heatmap of codes (a decision map) as one picture per frame, which frames swap without a redraw.

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


#: Shades of the colour scale a picture uses: with the same shades darkened for contour lines and one transparent
#: colour, 255 colours, so that the picture is a palette PNG (a byte a pixel, a fifth of the bytes of RGBA).
#: Neighbouring shades then differ by under 1 % of the scale, finer than the eye tells apart.
SHADES = 127


def indexed_picture(z, colorscale, *, zmin=None, zmax=None, n_levels: int = 0, banded: bool = False,
                    lines: bool = True, reverse: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """:func:`surface_picture` as ``(indices, palette)``: uint8 indices (first row = highest y) into an RGBA
    palette of at most 255 colours."""
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
    table = _rgb_table(colorscale, SHADES)[::-1] if reverse else _rgb_table(colorscale, SHADES)
    index = np.clip(np.round(shade * (SHADES - 1)), 0, SHADES - 1).astype(np.uint8)
    if n_levels and lines:
        edge = np.zeros(band.shape, dtype=bool)
        edge[:, 1:] |= band[:, 1:] != band[:, :-1]
        edge[1:, :] |= band[1:, :] != band[:-1, :]
        index[edge] += SHADES  # the same shade, darkened
    index[~known] = 2 * SHADES  # transparent
    opaque = np.column_stack([table, np.full(SHADES, 255.0)])
    lined = np.column_stack([table * (1 - LINE_DARKNESS), np.full(SHADES, 255.0)])
    palette = np.vstack([opaque, lined, np.zeros((1, 4))]).round().astype(np.uint8)
    return index[::-1], palette


def surface_picture(z, colorscale, *, zmin=None, zmax=None, n_levels: int = 0, banded: bool = False,
                    lines: bool = True, reverse: bool = False) -> np.ndarray:
    """An RGBA picture (uint8, first row = highest y) of ``z[row][col]`` (rows at increasing y).

    ``banded`` colours each band between two levels with one colour (Plotly's ``coloring="fill"``), otherwise
    the colour follows ``z`` smoothly (``"heatmap"``); ``n_levels`` > 0 draws that many contour lines at round
    values. Cells where ``z`` is not finite stay transparent.
    """
    index, palette = indexed_picture(z, colorscale, zmin=zmin, zmax=zmax, n_levels=n_levels, banded=banded,
                                     lines=lines, reverse=reverse)
    return palette[index]


def indexed_png_data_uri(index: np.ndarray, palette: np.ndarray) -> str:
    """A palette picture (uint8 ``index`` rows into an RGBA ``palette``) as a ``data:image/png;base64,...``
    address, written with the standard library (the notebooks carry this function as it is)."""
    import struct
    import zlib

    height, width = index.shape

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = np.hstack([np.zeros((height, 1), np.uint8), np.ascontiguousarray(index, dtype=np.uint8)])  # filter: none
    alpha = palette[:, 3].astype(np.uint8)
    last = int(np.flatnonzero(alpha < 255)[-1]) + 1 if (alpha < 255).any() else 0  # entries after it are opaque
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0))
           + chunk(b"PLTE", palette[:, :3].astype(np.uint8).tobytes())
           + (chunk(b"tRNS", alpha[:last].tobytes()) if last else b"")
           + chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)) + chunk(b"IEND", b""))
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def repainted(uri: str, recolour) -> str:
    """A palette PNG's address (:func:`indexed_png_data_uri`) with each colour of its palette passed through
    ``recolour`` (``"#RRGGBB"`` → ``"#RRGGBB"``): only the palette chunk changes, not a pixel is decoded."""
    import struct
    import zlib

    prefix = "data:image/png;base64,"
    png = base64.b64decode(uri[len(prefix):])
    out, at = [png[:8]], 8
    while at < len(png):
        (length,), kind = struct.unpack(">I", png[at:at + 4]), png[at + 4:at + 8]
        data = png[at + 8:at + 8 + length]
        if kind == b"PLTE":
            colours = ["#{:02X}{:02X}{:02X}".format(*data[i:i + 3]) for i in range(0, length, 3)]
            data = bytes(int(c[i:i + 2], 16) for c in map(recolour, colours) for i in (1, 3, 5))
        out.append(struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data)))
        at += 12 + length
    return prefix + base64.b64encode(b"".join(out)).decode("ascii")


def png_data_uri(picture: np.ndarray) -> str:
    """A picture as a ``data:image/png;base64,...`` address (Plotly's layout image ``source``)."""
    from PIL import Image  # Pillow comes with Streamlit

    out = io.BytesIO()
    # zlib's default level: a 480×480 map in ~20 ms and ~59 KB; optimize=True saved 15 % for 7× the time
    # (150 ms), which every control change waited for
    Image.fromarray(picture).save(out, format="PNG", compress_level=6)
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")


#: A picture of codes (below) has at least this many pixels on its longer side: each code a square block of
#: pixels, so that the browser, stretching the picture over its panel, blurs only the blocks' edges.
CODES_SIDE = 240


def code_palette(colorscale, zmin: float, zmax: float) -> np.ndarray:
    """The RGBA colour (uint8, shape (256, 4)) of each code 0..255 in a heatmap of ``colorscale`` over
    ``zmin``..``zmax``: Plotly's own rule, linear between the scale's stops (``#RRGGBB``, ``rgb()`` or
    ``rgba()``), clamped at its ends."""
    stops = np.array([float(position) for position, _ in colorscale])
    colours = np.array([_rgba(colour) for _, colour in colorscale], dtype=float)
    at = (np.arange(256) - zmin) / (zmax - zmin)
    return np.column_stack([np.interp(at, stops, colours[:, c]) for c in range(4)]).round().astype(np.uint8)


def _rgba(colour: str) -> list[float]:
    if colour.startswith("#"):
        return [*hex_to_rgb(colour), 255.0]
    parts = [float(p) for p in colour[colour.index("(") + 1:colour.rindex(")")].split(",")]
    return [*parts[:3], 255.0 * parts[3] if len(parts) > 3 else 255.0]


def codes_data_uri(codes: np.ndarray, palette: np.ndarray) -> str:
    """A heatmap of uint8 ``codes[row][col]`` (rows at increasing y) in ``palette`` (:func:`code_palette`) as
    a palette PNG's address, first row = highest y, each code a block of pixels (:data:`CODES_SIDE`)."""
    codes = np.asarray(codes, dtype=np.uint8)
    block = max(1, CODES_SIDE // max(codes.shape))
    # only the colours used (a few dozen of 256): a full palette was ~1 KB of every picture
    used, index = np.unique(codes, return_inverse=True)
    index = index.reshape(codes.shape).astype(np.uint8)[::-1]
    return indexed_png_data_uri(np.repeat(np.repeat(index, block, axis=0), block, axis=1), palette[used])


#: The last pictures made, by their surface and style: a change of learning rate or start redraws the paths on the
#: same surface, and making its picture again cost ~50 ms of every such change.
_MADE: OrderedDict[bytes, str] = OrderedDict()
_KEEP = 16


def surface_data_uri(z, colorscale, **style) -> str:
    """The picture of :func:`surface_picture` as a palette PNG's address, remembered for the last few surfaces."""
    z = np.ascontiguousarray(z, dtype=float)
    key = hashlib.blake2b(z.tobytes() + repr((z.shape, colorscale, sorted(style.items()))).encode(),
                          digest_size=16).digest()
    if key in _MADE:
        _MADE.move_to_end(key)
        return _MADE[key]
    uri = _MADE[key] = indexed_png_data_uri(*indexed_picture(z, colorscale, **style))
    while len(_MADE) > _KEEP:
        _MADE.popitem(last=False)
    return uri
