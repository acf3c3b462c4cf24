"""What ``st.plotly_chart`` sends for a prepared figure: its JSON text, made once when the figure is prepared.

``st.plotly_chart`` turns its figure into a dict (``plotly.tools.return_figure_from_figure_or_data``) and
encodes that with ``plotly.io.to_json`` on every run of a page, for a figure that has not changed since it was
cached: 3–25 ms of the server's one interpreter per chart (orjson, then five scans of the text for characters
to escape), a fifth of a cached rerun of the PCA vs t-SNE page. A prepared figure (``viz.prepared``) keeps that
text instead of its dict (this module makes it; no Streamlit here), and
``private_apis.send_prepared_figures_as_they_are`` makes both of Streamlit's calls answer from it:
the dict step gets a ``WireSpec`` (the layout's width and height, all Streamlit reads of the dict, and the
text), the encoding step its text.

The text is Plotly's own JSON (a test compares them) with its few non-ASCII characters (▶, ⏮, η, ∇ in labels)
written as ``\\u`` escapes. That keeps it one byte per character: one such character makes a Python string two
bytes per character, and makes every protobuf message built from it encode the whole text to UTF-8 again.
"""

from __future__ import annotations

import codecs

import plotly.io

#: Plotly's encoder (taken at import, before ``private_apis`` wraps it for ``st.plotly_chart``).
plotly_to_json = plotly.io.to_json


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


def encode(spec: dict) -> str:
    """A figure dict as the JSON text Streamlit sends (Plotly's encoding, uids dropped, in ASCII)."""
    return ascii_json(plotly_to_json(spec, validate=False))


class WireSpec(dict):
    """A prepared figure as ``st.plotly_chart`` sees it: ``{"layout": {"width", "height"}}`` (what it inspects)
    and, in ``text``, the whole figure's JSON."""

    __slots__ = ("text",)

    def __init__(self, text: str, layout: dict):
        super().__init__(layout=layout)
        self.text = text
