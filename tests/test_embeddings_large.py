"""PCA vs t-SNE at 20,000 points (issue 25): the figure stays within the 3 MB budget (WebGL markers, fewer
frames, float32), and the quality numbers of a large view come from a seeded sample of 2,000 points.

Bytes and counts, not seconds: the t-SNE itself is stood in for by random frames (its cost is a benchmark's)."""

import base64
import json

import numpy as np
import pytest

from core.embedding_data import make_embeddable
from core.tsne import knn_preservation, trustworthiness
from explorers import embeddings
from explorers.jobs import QUALITY_ROWS, embed_table, embedding_quality, quality_sample
from viz.embedding import GL_POINTS, LINKED, side_by_side
from viz.wire import encode

BUDGET = 3_000_000


def figure(n: int, iterations: int = 1000):
    rng = np.random.default_rng(0)
    frames = [rng.normal(size=(n, 2)).astype(np.float32) for _ in range(iterations // 10 + 1)]
    labels = rng.integers(0, 10, n)
    return side_by_side(rng.normal(size=(n, 2)), frames, np.arange(len(frames)) * 10, labels,
                        [str(k) for k in range(10)], rows=np.arange(n))


@pytest.mark.parametrize("n", [2_000, 5_000, 20_000])
def test_the_figure_fits_the_budget_at_any_size(n):
    spec = figure(n).to_dict()
    size = len(encode(spec))
    assert size <= BUDGET, f"{n:,} points: {size:,} bytes"
    kinds = {t["type"] for t in spec["data"]}
    assert kinds == ({"scattergl"} if n > GL_POINTS else {"scatter"})
    frames = spec["frames"]
    assert 6 <= len(frames) <= 100
    moved = [trace for trace in frames[-1]["data"] if "x" in trace]  # (the still PCA panel is named, not sent)
    assert moved and all(t["x"]["dtype"] == "u2" and "bdata" in t["x"] for t in moved)  # quantised typed arrays
    assert spec["layout"]["meta"] == LINKED


def test_twenty_thousand_points_keep_fewer_frames_than_two_thousand():
    small, large = figure(2_000).to_dict(), figure(20_000).to_dict()
    assert len(large["frames"]) < len(small["frames"])
    # every point in both panels, once each
    ids = [np.frombuffer(base64.b64decode(t["customdata"]["bdata"]), dtype=np.dtype(t["customdata"]["dtype"]))
           for t in large["data"][::2]]
    assert sorted(np.concatenate(ids)) == list(range(20_000))


def test_the_page_takes_twenty_thousand_points():
    n = next(p for p in embeddings.PARAMS if p.name == "n")
    assert n.high == 20_000  # (embeddings.MAX_POINTS as declared; the tests lower it, tests/conftest.py)
    data, note = embeddings.dataset("gaussian_cloud", 20_000, 0.0, 0)
    assert data.n_samples == 20_000 and note is None
    digits, _ = embeddings.dataset("digits", 20_000, 0.0, 0)
    assert digits.n_samples == 1797
    assert "1,797 rows" in embeddings.points_note("digits", 20_000, digits, 20_000)


def test_a_twenty_thousand_point_view_measures_quality_on_a_seeded_sample():
    X = make_embeddable("gaussian_cloud", 20_000, 0.0, 0).X
    rng = np.random.default_rng(1)
    maps = {"pca": X[:, :2], "tsne": rng.normal(size=(20_000, 2))}
    quality, rows = embedding_quality(X, maps, seed=3)
    assert rows == QUALITY_ROWS == 2_000
    sample = quality_sample(20_000, 3)
    assert len(sample) == 2_000 and np.array_equal(sample, quality_sample(20_000, 3))  # seeded: the same sample
    assert np.all(np.diff(sample) > 0)
    Xs = X[sample]
    for name, Y in maps.items():  # the numbers are exactly those of the sample
        assert quality[name] == (trustworthiness(Xs, Y[sample], n_neighbors=5), knn_preservation(Xs, Y[sample], k=10))
    assert quality_sample(2_000, 3) is None


def test_embed_table_reports_the_sample_it_measured_on():
    X = make_embeddable("different_sizes", 2_100, 0.0, 0).X
    result = embed_table(X, False, 30.0, "auto", 12.0, 250, 0)
    assert result["quality_rows"] == 2_000
    small = embed_table(X[:300], False, 30.0, "auto", 12.0, 250, 0)
    assert small["quality_rows"] == 300


def test_a_lowered_limit_computes_links_at_that_size_and_says_so():
    """tests/conftest.py lowers the limit to 2,000 (tests/test_fuzz_urls.py opens links with n up to 20,000 under
    AppTest: no 20,000-point t-SNE there), as a smaller server might: the page computes 2,000 points and says so."""
    from tests.conftest import TEST_MAX_POINTS

    assert embeddings.points_limit() == TEST_MAX_POINTS == 2_000
    from tests.test_app_pages import assert_clean, open_page

    at = open_page("pages/pca-vs-tsne.py", data="gaussian_cloud", n="20000", iterations="250")
    assert_clean(at)
    assert any("Computed on 2,000 points here" in i.value for i in at.info)
    assert not any("measured on a random sample" in c.value for c in at.caption)  # all 2,000 measured
    spec = next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if json.loads(c.proto.spec).get("frames"))
    points = sum(len(base64.b64decode(t["customdata"]["bdata"])) // 2 for t in spec["data"][::2])
    assert points == 2_000


def test_quantised_frames_keep_twice_the_frames_and_the_map_to_a_hundredth_of_a_pixel():
    """The t-SNE panel's coordinates go as uint16: at 20,000 points 14 frames fit where float32 kept 7, and each
    point lands within 1/65,535 of the box's half-width of where float32 would put it (~0.01 px at 600 px)."""
    from viz.embedding import QUANT, QUANT_RANGE, fit_box

    assert len(figure(20_000).to_dict()["frames"]) >= 14
    rng = np.random.default_rng(1)
    frames = [rng.normal(size=(2_000, 2)).astype(np.float32) for _ in range(6)]
    labels = rng.integers(0, 10, 2_000)
    spec = side_by_side(rng.normal(size=(2_000, 2)), frames, np.arange(6) * 10, labels,
                        [str(k) for k in range(10)]).to_dict()
    box = fit_box(frames[-1])
    moved = [trace for trace in spec["frames"][-1]["data"] if "x" in trace]  # one a class, in label order
    assert len(moved) == 10
    for k, trace in enumerate(moved):
        for axis, key in enumerate("xy"):
            sent = np.frombuffer(base64.b64decode(trace[key]["bdata"]), dtype=np.uint16) / QUANT * 2 - 1
            assert np.abs(sent - box[labels == k, axis]).max() <= 1.01 / QUANT  # half a step, + float32
    assert spec["layout"]["xaxis2"]["range"] == QUANT_RANGE
    assert abs((QUANT_RANGE[1] - QUANT_RANGE[0]) / QUANT - 1.08) < 1e-9  # the box's [-1.08, 1.08]


@pytest.mark.parametrize("text, top", [(None, 20_000), ("5000", 5_000), (" 5,000 ", 5_000), ("1000", 1_000),
                                       ("999", 20_000), ("25000", 20_000), ("lots", 20_000), ("", 20_000)])
def test_a_server_may_lower_the_points_slider_with_an_environment_variable(text, top):
    assert embeddings.max_points(text) == top


def test_the_lowered_top_is_the_sliders_top_in_a_new_server_process():
    import os
    import subprocess
    import sys

    from ui.registry import ROOT

    code = ("from explorers import embeddings; n = next(p for p in embeddings.PARAMS if p.name == 'n'); "
            "print(embeddings.MAX_POINTS, n.high)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT,
                         env={**os.environ, embeddings.MAX_POINTS_ENV: "5000"}).stdout.split()
    assert out[-2:] == ["5000", "5000"]
