"""The JSON cache behind ``st.plotly_chart``: one encoding per prepared figure, Plotly's own JSON, bounded."""

import gc
import json
import sys

import plotly.graph_objects as go
from plotly.io.json import to_json_plotly
from streamlit.testing.v1 import AppTest

from viz import json_cache
from viz.json_cache import JsonCache, PreparedSpec, ascii_json, plotly_to_json
from viz.prepared import prepare


def page_with_a_cached_animation():
    import numpy as np
    import streamlit as st

    from core import LinearRegressionGD, make_line
    from viz import json_cache
    from viz.line_fit import fit_animation
    from viz.prepared import prepare

    json_cache.install()  # what ui.view does when a page imports it

    @st.cache_resource
    def figure():
        x, y = make_line(40, random_state=0)
        model = LinearRegressionGD(learning_rate=0.1, n_steps=30).fit(x, y)
        return prepare(fit_animation(x, y, model.trajectory_, optimum=np.array([2.0, -1.0]),
                                     true_line=lambda t: 2 * t - 1))

    st.plotly_chart(figure(), key="animation")


def the_same_animation() -> go.Figure:
    import numpy as np

    from core import LinearRegressionGD, make_line
    from viz.line_fit import fit_animation

    x, y = make_line(40, random_state=0)
    model = LinearRegressionGD(learning_rate=0.1, n_steps=30).fit(x, y)
    return fit_animation(x, y, model.trajectory_, optimum=np.array([2.0, -1.0]), true_line=lambda t: 2 * t - 1)


def test_streamlit_sends_a_cached_figure_as_plotlys_own_text_encoded_once_over_many_reruns(monkeypatch):
    encodings = []
    monkeypatch.setattr(json_cache, "CACHE", JsonCache())
    monkeypatch.setattr(json_cache, "plotly_to_json",
                        lambda *args, **kwargs: encodings.append(1) or plotly_to_json(*args, **kwargs))
    at = AppTest.from_function(page_with_a_cached_animation, default_timeout=60)
    specs = [at.run().get("plotly_chart")[0].proto.spec for _ in range(3)]
    assert not at.exception
    plotlys = plotly_to_json(the_same_animation(), validate=False)
    assert specs[0] == specs[1] == specs[2] and json.loads(specs[0]) == json.loads(plotlys)
    assert specs[0].isascii() and not plotlys.isascii()  # its ▶ and ⏮ as \\u escapes: one byte per character
    assert len(encodings) == 1  # 0 if Streamlit stopped calling plotly.io.to_json; 3 without the cache


def test_ascii_json_escapes_every_character_as_json_does():
    value = {"label": "▶ Play", "math": "η∇L · w₀ − 1×", "emoji": "😀", "html": "<br>", "plain": "a/b"}
    text = to_json_plotly(value)  # Plotly's encoder of any JSON value
    assert ascii_json(text).isascii() and json.loads(ascii_json(text)) == value
    assert ascii_json("[1,2]") == "[1,2]"


def same_size_specs(n: int) -> list[PreparedSpec]:
    return [PreparedSpec({"data": [{"type": "scatter", "y": [i] * 200}], "layout": {}}) for i in range(n)]


def test_the_cache_keeps_the_most_recently_drawn_texts_within_its_byte_budget():
    specs = same_size_specs(4)
    size = sys.getsizeof(plotly_to_json(specs[0], validate=False))
    cache = JsonCache(budget=int(2.5 * size))
    for spec in specs[:3]:
        assert cache.text(spec) == plotly_to_json(spec, validate=False)  # ASCII already: the very same text
    assert len(cache) == 2 and cache.nbytes == 2 * size  # the first was dropped
    cache.text(specs[1])  # drawn again: now the most recent
    cache.text(specs[3])  # so this one drops specs[2], not specs[1]
    texts = cache._texts
    assert [entry[0]() for entry in texts.values()] == [specs[1], specs[3]]


def test_a_figure_freed_from_the_page_caches_leaves_the_json_cache_too():
    cache = JsonCache()
    specs = same_size_specs(3)
    for spec in specs:
        cache.text(spec)
    assert len(cache) == 3
    del spec, specs[1:]
    gc.collect()
    assert len(cache) == 1 and cache.nbytes == sys.getsizeof(plotly_to_json(specs[0], validate=False))


def test_other_figures_and_encodings_go_to_plotly_uncached(monkeypatch):
    monkeypatch.setattr(json_cache, "CACHE", JsonCache())
    fig = the_same_animation()
    prepared = prepare(fig)
    plain = fig.to_dict()
    assert json_cache.to_json(plain, validate=False) == plotly_to_json(plain, validate=False)
    assert json_cache.to_json(fig) == plotly_to_json(fig)
    assert json_cache.to_json(prepared, pretty=True) == plotly_to_json(fig, pretty=True)
    assert len(json_cache.CACHE) == 0
    assert json.loads(json_cache.to_json(prepared)) == json.loads(plotly_to_json(fig))  # as fig.to_json() passes it
    assert len(json_cache.CACHE) == 1
