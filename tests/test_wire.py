"""What ``st.plotly_chart`` sends for a prepared figure (``viz/wire.py``, sent as it is by
``private_apis``): Plotly's own JSON, made once."""

import json

import plotly.graph_objects as go
import plotly.io as pio
from plotly.io.json import to_json_plotly
from streamlit.testing.v1 import AppTest

import plotly.tools
from viz import wire

from private_apis import send_prepared_figures_as_they_are
from viz.prepared import PreparedFigure, prepare
from viz.wire import WireSpec, ascii_json, plotly_to_json


def page_with_a_cached_animation():
    import numpy as np
    import streamlit as st

    from core import LinearRegressionGD, make_line
    from private_apis import send_prepared_figures_as_they_are
    from viz.line_fit import fit_animation
    from viz.prepared import prepare

    send_prepared_figures_as_they_are()  # what ui.view does when a page imports it

    @st.cache_resource
    def figure():
        x, y = make_line(40, random_state=0)
        model = LinearRegressionGD(learning_rate=0.1, n_steps=30).fit(x, y)
        return prepare(fit_animation(x, y, model.trajectory_, optimum=np.array([2.0, -1.0]),
                                     true_line=lambda t: 2 * t - 1).update_layout(height=640))

    st.plotly_chart(figure(), key="animation", height="content")


def the_same_animation() -> go.Figure:
    import numpy as np

    from core import LinearRegressionGD, make_line
    from viz.line_fit import fit_animation

    x, y = make_line(40, random_state=0)
    model = LinearRegressionGD(learning_rate=0.1, n_steps=30).fit(x, y)
    return fit_animation(x, y, model.trajectory_, optimum=np.array([2.0, -1.0]),
                         true_line=lambda t: 2 * t - 1).update_layout(height=640)


def test_streamlit_sends_a_cached_figure_as_plotlys_own_json_encoded_once_over_many_reruns(monkeypatch):
    encodings = []
    monkeypatch.setattr(wire, "plotly_to_json",
                        lambda *args, **kwargs: encodings.append(1) or plotly_to_json(*args, **kwargs))
    at = AppTest.from_function(page_with_a_cached_animation, default_timeout=60)
    charts = [at.run().get("plotly_chart")[0].proto for _ in range(3)]
    assert not at.exception
    plotlys = plotly_to_json(the_same_animation(), validate=False)
    assert charts[0].spec == charts[1].spec == charts[2].spec and json.loads(charts[0].spec) == json.loads(plotlys)
    assert charts[0].spec.isascii() and not plotlys.isascii()  # its ▶ and ⏮ as \\u escapes: one byte a character
    assert len(encodings) == 1  # when the figure was prepared; 3 more if Streamlit encoded it on each run
    # what Streamlit reads from the dict it got (its element's height when asked for the content's)
    from streamlit.elements.plotly_chart import _resolve_content_height, _resolve_content_width

    import plotly.tools

    seen = plotly.tools.return_figure_from_figure_or_data(prepare(the_same_animation()), True)
    assert _resolve_content_height("content", seen) == 640 and _resolve_content_width("content", seen) == 700


def test_a_prepared_figure_is_its_text_and_decodes_to_a_fresh_dict_each_time():
    fig = the_same_animation()
    prepared = prepare(fig)
    assert isinstance(prepared.wire(), WireSpec) and prepared.wire()["layout"] == {"height": 640}
    first, second = prepared.to_dict(), prepared.to_dict()
    assert first == second and first is not second  # a caller may change its copy
    assert json.loads(json.dumps(first)) == json.loads(plotly_to_json(fig, validate=False))
    assert prepared.frame_count() == len(fig.to_dict()["frames"]) > 0


def test_a_prepared_figure_exports_the_same_standalone_html_as_the_figure():
    from ui.export import standalone_html

    fig = the_same_animation()
    assert standalone_html(prepare(fig), "fit") == standalone_html(fig, "fit")  # the download decodes the text


def test_ascii_json_escapes_every_character_as_json_does():
    value = {"label": "▶ Play", "math": "η∇L · w₀ − 1×", "emoji": "😀", "html": "<br>", "plain": "a/b"}
    text = to_json_plotly(value)  # Plotly's encoder of any JSON value
    assert ascii_json(text).isascii() and json.loads(ascii_json(text)) == value
    assert ascii_json("[1,2]") == "[1,2]"


def test_other_figures_and_encodings_go_to_plotly_as_before():
    send_prepared_figures_as_they_are()
    fig = the_same_animation()
    prepared = prepare(fig)
    plain = fig.to_dict()
    assert pio.to_json(plain, validate=False) == plotly_to_json(plain, validate=False)
    assert pio.to_json(fig) == plotly_to_json(fig)
    assert json.loads(pio.to_json(prepared, pretty=True)) == json.loads(plotly_to_json(fig, pretty=True))
    assert pio.to_json(prepared) == prepared.wire().text  # as fig.to_json() passes a figure itself
    seen = plotly.tools.return_figure_from_figure_or_data(prepared, True)
    assert isinstance(seen, WireSpec) and seen.text == prepared.wire().text
    assert plotly.tools.return_figure_from_figure_or_data(plain, False) is plain
    assert isinstance(prepared, PreparedFigure)


def test_a_long_text_is_kept_compressed_and_sent_whole():
    import pickle
    import zlib

    fig = the_same_animation()
    prepared = prepare(fig)
    text = plotly_to_json(fig.to_dict(), validate=False)
    assert len(text) > 64_000  # long enough to be packed
    assert prepared.kept_bytes() * 2 < len(prepared.wire().text)  # an animation's JSON compresses well
    assert json.loads(prepared.wire().text) == json.loads(text)
    assert isinstance(prepared._kept, bytes) and zlib.decompress(prepared._kept).decode() == prepared.wire().text
    travelled = pickle.loads(pickle.dumps(prepared))  # from a worker process: compressed on the way
    assert len(pickle.dumps(prepared)) < prepared.kept_bytes() + 2_000
    assert travelled.wire().text == prepared.wire().text and travelled.frame_count() == prepared.frame_count()


def test_a_short_text_or_one_that_does_not_compress_is_kept_as_it_is():
    import numpy as np

    from viz.prepared import pack, unpack

    small = prepare(go.Figure(go.Scatter(x=[1, 2], y=[3, 4])))
    assert isinstance(small._kept, str) and small.kept_bytes() == len(small.wire().text)
    noise = np.random.default_rng(0).integers(0, 2**32, 50_000, dtype=np.uint32)  # random bits in base64: ~1.3×
    noisy = prepare(go.Figure(go.Scatter(x=noise, y=noise[::-1], mode="markers")))
    assert isinstance(noisy._kept, str) and len(noisy.wire().text) > 64_000
    assert unpack(pack("x" * 100_000)) == "x" * 100_000 and isinstance(pack("x" * 100_000), bytes)
