"""A finished figure kept as its JSON text only: what a server holding many cached animations should keep.

A ``go.Figure`` of a 60-frame animation is tens of thousands of Python objects (every frame's every trace is
an object with its own dicts and validators): about 4 MB for the decision-boundary animation, against 1 MB
for the same figure as a dict. With a cache full of them, those objects made each full garbage collection
stop the server for ~0.4 s. ``prepare(fig)`` keeps the figure as the JSON text Streamlit sends for it
(``viz.wire``), made once, with its description in words, and lets the ``go.Figure`` go: smaller again than
the dict (one string instead of thousands of dicts), and no encoding on each rerun.
"""

from __future__ import annotations

import orjson
import plotly.graph_objects as go

from viz.describe import describe_figure
from viz.wire import WireSpec, encode


class PreparedFigure(go.Figure):
    """A finished figure kept as its JSON text, for the caches.

    ``st.plotly_chart`` sends the text as it is (``viz.wire.install``). Code that reads or changes a prepared
    figure (restyling, opening on the last frame, exports) gets a fresh dict of it from ``to_dict()`` or
    ``spec()``: decoded from the text each time (5–80 ms), so it may change it freely.
    """

    def __init__(self, fig: go.Figure, description: str | None = None):
        super().__init__()  # an empty figure: cheap; the content lives in the text
        spec = fig.to_dict()
        layout = spec.get("layout") or {}
        self._wire = WireSpec(encode(spec), {k: layout[k] for k in ("width", "height") if k in layout})
        self._frames = len(spec.get("frames") or [])
        self._description = description

    @classmethod
    def _from_wire(cls, text: str, size: dict, frames: int, description: str | None) -> "PreparedFigure":
        fig = cls.__new__(cls)
        go.Figure.__init__(fig)
        fig._wire, fig._frames, fig._description = WireSpec(text, size), frames, description
        return fig

    def __reduce__(self):
        """Pickled as its text (a figure drawn in a worker process travels as the JSON it will be sent as)."""
        return PreparedFigure._from_wire, (self._wire.text, dict(self._wire["layout"]), self._frames,
                                           self._description)

    @property
    def description(self) -> str | None:
        """The original figure's description in words (``viz.describe``), if it was prepared with one."""
        return self._description

    def wire(self) -> WireSpec:
        """What ``st.plotly_chart`` sends: the JSON text (and the layout's size)."""
        return self._wire

    def to_dict(self) -> dict:
        return orjson.loads(self._wire.text)

    def to_plotly_json(self) -> dict:
        return self.to_dict()

    def spec(self) -> dict:
        return self.to_dict()

    def frame_count(self) -> int:
        return self._frames


class AnimatedFigure(go.Figure):
    """A figure whose animation frames stay the plain dicts they were built as.

    ``go.Figure(spec_with_frames, _validate=False)`` still makes an object for every trace of every frame: 0.1–0.3 s
    for a race or a batch-size animation, a quarter of opening such a view, only for ``prepare`` to turn them
    back into dicts. Here the base figure (traces, layout, slider) is an ordinary figure that can be changed as
    usual, and ``to_dict()`` adds the frames (a copy of their structure, so a caller may change it). ``fig.frames``
    is empty: ``frame_count()`` counts them.
    """

    def __init__(self, spec: dict):
        super().__init__({k: v for k, v in spec.items() if k != "frames"}, _validate=False)
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
    as Plotly's default: a figure drawn in another process (``ui.workers.draw``) looks as if drawn here."""
    if template is not None:
        from viz.theme import use_template

        use_template(*template)
    return prepare(builder(*args, **(kwargs or {})))


def spec_of(fig: go.Figure) -> dict:
    """A figure's dict that the caller may change (arrays are shared: replace them, do not write into them)."""
    return fig.spec() if isinstance(fig, PreparedFigure) else fig.to_dict()


def _copy_structure(node):
    if isinstance(node, dict):
        return {k: _copy_structure(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_copy_structure(v) for v in node]
    return node
