"""A finished figure kept as its JSON text only: what a server holding many cached animations should keep.

A ``go.Figure`` of a 60-frame animation is tens of thousands of Python objects (every frame's every trace is
an object with its own dicts and validators): about 4 MB for the decision-boundary animation, against 1 MB
for the same figure as a dict. With a cache full of them, those objects made each full garbage collection
stop the server for ~0.4 s. ``prepare(fig)`` keeps the figure as the JSON text Streamlit sends for it
(``viz.wire``), made once, with its description in words, and lets the ``go.Figure`` go: smaller again than
the dict (one string instead of thousands of dicts), and no encoding on each rerun.

A long text is kept zlib-compressed when that makes it at least ``PACK_MIN_RATIO`` times smaller, and
decompressed each time it is sent. The caches of a class's server are mostly these texts (~95 MB under
``make load``'s random values), and an animation's JSON compresses well: a decision-boundary animation 8×, an
optimizer race 12×, a t-SNE's float32 frames only 2×. Decompressing costs 1–5 ms a chart; compressing (once,
mostly in the worker process) 5–50 ms.
"""

from __future__ import annotations

import zlib

import orjson
import plotly.graph_objects as go

from viz.describe import describe_figure
from private_apis import UNCHECKED, unchecked_figure
from viz.wire import WireSpec, encode

#: Texts from this many bytes are compressed if that pays (below it the saving is too small to matter).
PACK_FROM_BYTES = 64_000
#: ... and kept compressed only if it makes them at least this many times smaller.
PACK_MIN_RATIO = 1.5
#: zlib's level: 6 is 8× on a decision-boundary animation where 1 is 6×, and decompresses as fast.
PACK_LEVEL = 6


def pack(text: str) -> str | bytes:
    """``text`` (ASCII JSON) as it is best kept: zlib-compressed bytes if that pays, else the text itself."""
    if len(text) < PACK_FROM_BYTES:
        return text
    raw = text.encode("ascii")
    packed = zlib.compress(raw, PACK_LEVEL)
    return packed if len(packed) * PACK_MIN_RATIO <= len(raw) else text


def unpack(kept: str | bytes) -> str:
    return kept if isinstance(kept, str) else zlib.decompress(kept).decode("ascii")


class PreparedFigure(go.Figure):
    """A finished figure kept as its JSON text (compressed if long, :func:`pack`), for the caches.

    ``st.plotly_chart`` sends the text as it is (``viz.wire.install``). Code that reads or changes a prepared
    figure (restyling, opening on the last frame, exports) gets a fresh dict of it from ``to_dict()`` or
    ``spec()``: decoded from the text each time (5–80 ms), so it may change it freely.
    """

    def __init__(self, fig: go.Figure, description: str | None = None):
        super().__init__()  # an empty figure: cheap; the content lives in the text
        spec = fig.to_dict()
        layout = spec.get("layout") or {}
        self._kept = pack(encode(spec))
        self._size = {k: layout[k] for k in ("width", "height") if k in layout}
        self._frames = len(spec.get("frames") or [])
        self._description = description

    @classmethod
    def _from_kept(cls, kept: str | bytes, size: dict, frames: int, description: str | None
                   ) -> "PreparedFigure":
        fig = cls.__new__(cls)
        go.Figure.__init__(fig)
        fig._kept, fig._size, fig._frames, fig._description = kept, size, frames, description
        return fig

    def __reduce__(self):
        """Pickled as it is kept (a figure drawn in a worker process travels compressed)."""
        return PreparedFigure._from_kept, (self._kept, self._size, self._frames, self._description)

    def kept_bytes(self) -> int:
        """What the figure's content takes in memory (its text, or that compressed)."""
        return len(self._kept)

    @property
    def description(self) -> str | None:
        """The original figure's description in words (``viz.describe``), if it was prepared with one."""
        return self._description

    def wire(self) -> WireSpec:
        """What ``st.plotly_chart`` sends: the JSON text (and the layout's size), decompressed for this call."""
        return WireSpec(unpack(self._kept), dict(self._size))

    def to_dict(self) -> dict:
        return orjson.loads(unpack(self._kept))

    def to_plotly_json(self) -> dict:
        return self.to_dict()

    def spec(self) -> dict:
        return self.to_dict()

    def frame_count(self) -> int:
        return self._frames


class AnimatedFigure(go.Figure):
    """A figure whose animation frames stay the plain dicts they were built as.

    ``unchecked_figure(spec_with_frames)`` still makes an object for every trace of every frame: 0.1–0.3 s
    for a race or a batch-size animation, a quarter of opening such a view, only for ``prepare`` to turn them
    back into dicts. Here the base figure (traces, layout, slider) is an ordinary figure that can be changed as
    usual, and ``to_dict()`` adds the frames (a copy of their structure, so a caller may change it). ``fig.frames``
    is empty: ``frame_count()`` counts them.
    """

    def __init__(self, spec: dict):
        super().__init__({k: v for k, v in spec.items() if k != "frames"}, **UNCHECKED)
        self._frame_specs = list(spec.get("frames") or [])

    def to_dict(self) -> dict:
        spec = super().to_dict()
        if self._frame_specs:
            spec["frames"] = _copy_structure(self._frame_specs)
        return spec

    def to_plotly_json(self) -> dict:
        return self.to_dict()

    def frame_count(self) -> int:
        return len(self._frame_specs)


def prepare(fig: go.Figure) -> PreparedFigure:
    """``fig`` as a PreparedFigure that remembers its description; for figures kept in a cache."""
    if isinstance(fig, PreparedFigure):
        return fig
    return PreparedFigure(fig, describe_figure(fig))


def drawn(builder, args: tuple = (), kwargs: dict | None = None, template: tuple[str, dict] | None = None
          ) -> PreparedFigure:
    """``prepare(builder(*args, **kwargs))`` with ``template`` (``viz.theme.default_template()``: name and spec)
    as Plotly's default: a figure drawn in another process (``ui.figures.draw``) looks as if drawn here."""
    if template is not None:
        from viz.theme import use_template

        use_template(*template)
    return prepare(builder(*args, **(kwargs or {})))


def figure_from(spec: dict) -> go.Figure:
    """The figure of ``spec``, a valid figure's dict that was changed, not validated again; its frames, if any,
    stay dicts (:class:`AnimatedFigure`). (As ``go.Frame`` objects they were slower, and Plotly cannot hold a
    frame's layout update of one element of an array, such as ``images[1].source``.)"""
    return AnimatedFigure(spec) if spec.get("frames") else unchecked_figure(spec)


def spec_of(fig: go.Figure) -> dict:
    """A figure's dict that the caller may change (arrays are shared: replace them, do not write into them)."""
    return fig.spec() if isinstance(fig, PreparedFigure) else fig.to_dict()


def _copy_structure(node):
    if isinstance(node, dict):
        return {k: _copy_structure(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_copy_structure(v) for v in node]
    return node
