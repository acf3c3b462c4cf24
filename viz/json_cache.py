"""The JSON text of the prepared figures drawn most recently, so a cached rerun does not encode them again.

``st.plotly_chart`` calls ``plotly.io.to_json(figure)`` on every run of a page, for a figure that has not
changed since it was cached: 3–25 ms of the server's one interpreter per chart (orjson's encoding, then five
scans of the text for characters to escape), a fifth of a cached rerun of the PCA vs t-SNE page. A prepared
figure's dict is a ``PreparedSpec``, and ``install()`` makes ``plotly.io.to_json`` answer for such a dict from
this cache: the JSON Plotly's own function returned the first time (a test compares them), with its few
non-ASCII characters (▶, ⏮, η, ∇ in labels) written as ``\\u`` escapes. That keeps the text one byte per
character: one such character makes a Python string two bytes per character, and makes every protobuf
message built from it encode the whole text to UTF-8 again.

The cache is bounded in bytes (the text of an animation is 0.3–3 MB, and a classroom server has 600 MB),
keeps the most recently drawn figures, and forgets a figure as soon as its dict is freed.
"""

from __future__ import annotations

import codecs
import sys
import threading
import weakref
from collections import OrderedDict

import plotly.io
import plotly.io._json

#: Plotly's own encoder, uncached (``install()`` replaces ``plotly.io.to_json``; this name keeps the original).
plotly_to_json = plotly.io._json.to_json
#: How much JSON text to keep: the views a class is looking at right now (a few dozen figures).
BUDGET_BYTES = 32 * 2**20


def _json_escape(error: UnicodeEncodeError) -> tuple[str, int]:
    """An encoding error handler: each non-ASCII character as JSON's ``\\uXXXX`` (a surrogate pair above U+FFFF)."""
    escaped = []
    for char in error.object[error.start:error.end]:
        code = ord(char)
        if code > 0xFFFF:
            code -= 0x10000
            escaped.append("\\u%04x\\u%04x" % (0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF)))
        else:
            escaped.append("\\u%04x" % code)
    return "".join(escaped), error.end


codecs.register_error("ml_explorer.json_escape", _json_escape)


def ascii_json(text: str) -> str:
    """The same JSON with every non-ASCII character escaped (a JSON parser reads both the same)."""
    return text if text.isascii() else text.encode("ascii", "ml_explorer.json_escape").decode("ascii")


class PreparedSpec(dict):
    """A prepared figure's dict (``viz.prepared``): never changed after it is made, so its JSON is cacheable."""

    __slots__ = ("__weakref__",)


class JsonCache:
    """JSON text by figure dict, least recently drawn dropped first once the total passes ``budget`` bytes."""

    def __init__(self, budget: int = BUDGET_BYTES):
        self.budget = budget
        self._texts: OrderedDict[int, tuple[weakref.ref, str]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.RLock()  # pages run in threads; a finaliser may run while the lock is held

    @property
    def nbytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._texts)

    def text(self, spec: PreparedSpec) -> str:
        key = id(spec)
        with self._lock:
            hit = self._texts.get(key)
            if hit is not None and hit[0]() is spec:
                self._texts.move_to_end(key)
                return hit[1]
        text = ascii_json(plotly_to_json(spec, validate=False))  # outside the lock: other charts need not wait
        with self._lock:
            self._drop(key)
            self._texts[key] = (weakref.ref(spec, lambda _, key=key: self._forget(key)), text)
            self._bytes += sys.getsizeof(text)
            while self._bytes > self.budget and len(self._texts) > 1:
                self._drop(next(iter(self._texts)))
        return text

    def _drop(self, key: int) -> None:
        entry = self._texts.pop(key, None)
        if entry is not None:
            self._bytes -= sys.getsizeof(entry[1])

    def _forget(self, key: int) -> None:  # the dict was freed; its id may be reused only after this
        with self._lock:
            entry = self._texts.get(key)
            if entry is not None and entry[0]() is None:
                self._drop(key)


CACHE = JsonCache()


def to_json(fig, validate=True, pretty=False, remove_uids=True, engine=None):
    """``plotly.io.to_json``, answering from ``CACHE`` for a prepared figure's dict in the default encoding."""
    spec = fig.to_dict() if hasattr(fig, "_prepared") else fig  # a PreparedFigure (not imported: no cycle)
    if isinstance(spec, PreparedSpec) and not pretty and remove_uids and engine is None:
        return CACHE.text(spec)
    return plotly_to_json(fig, validate=validate, pretty=pretty, remove_uids=remove_uids, engine=engine)


def install() -> None:
    """Make ``plotly.io.to_json`` (what ``st.plotly_chart`` calls) use the cache. Idempotent."""
    plotly.io.to_json = to_json
