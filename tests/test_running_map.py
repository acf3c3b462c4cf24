"""While t-SNE runs the page draws its map so far (issue 22: a change shows its new picture within the budget,
with visible progress, instead of the old one greyed out until the run ends). What the run sends and what is
drawn from it; tests/browser/test_live.py sees it on the stage."""

import base64

import numpy as np
import pytest

from core.pca import PCA
from explorers import jobs
from explorers.jobs import MapSoFar, embed_table
from viz.embedding import running_map, side_by_side


def three_blobs(n=120, d=6, seed=0):
    rng = np.random.default_rng(seed)
    return np.vstack([c + rng.normal(0, 1, (n // 3, d)) for c in rng.normal(0, 5, (3, d))])


def values(v) -> np.ndarray:
    """A trace's coordinates, whether plain or packed for the wire (base64 typed arrays)."""
    if isinstance(v, dict):
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
    return np.asarray(v)


def reports(every: float, monkeypatch) -> tuple[list, dict]:
    monkeypatch.setattr(jobs, "PREVIEW_EVERY_S", every)
    sent = []
    result = embed_table(three_blobs(), False, 10.0, "auto", 12.0, 200, 0, report=lambda *a: sent.append(a))
    return sent, result


def test_each_map_is_the_run_at_its_iteration_and_the_first_brings_the_pca_panel(monkeypatch):
    sent, result = reports(0.0, monkeypatch)  # a map with every report
    assert all(len(r) == 3 and isinstance(r[2], MapSoFar) for r in sent)
    assert [r[:2] for r in sent] == [(i, 200) for i in range(10, 201, 10)]
    first, *later = [r[2] for r in sent]
    np.testing.assert_array_equal(first.scores, result["scores"].astype(np.float32))
    np.testing.assert_array_equal(first.explained_variance_ratio, result["pca"].explained_variance_ratio_)
    assert all(m.scores is None and m.explained_variance_ratio is None for m in later)  # sent once
    tsne = result["tsne"]
    for done, _, so_far in sent:
        np.testing.assert_array_equal(so_far.embedding, tsne.frames_[list(tsne.frame_iters_).index(done)])
    np.testing.assert_allclose(sent[-1][2].embedding, tsne.embedding_)


def test_maps_are_spaced_in_time_but_the_first_report_always_carries_one(monkeypatch):
    sent, _ = reports(3600.0, monkeypatch)
    assert len(sent[0]) == 3 and all(len(r) == 2 for r in sent[1:])  # the picture comes with the first report


def test_a_map_that_is_not_finite_is_not_sent_and_the_pca_panel_waits_for_the_next():
    sent = []
    reports = jobs._MapReports(lambda *a: sent.append(a), PCA(2).fit(three_blobs()), np.ones((120, 2)), every=0)
    diverging = np.ones((120, 2), np.float32)
    diverging[7] = np.inf
    reports(10, 50, diverging)
    reports(20, 50, np.ones((120, 2), np.float32))
    assert sent[0] == (10, 50) and sent[1][2].scores is not None


def test_no_report_no_maps():
    assert embed_table(three_blobs(), False, 10.0, "auto", 12.0, 50, 0)["tsne"].embedding_.shape == (120, 2)


@pytest.mark.parametrize("iteration, phase", [(120, ", early exaggeration"), (400, "")])
def test_the_running_map_says_where_the_run_is_in_the_replays_panels(iteration, phase):
    rng = np.random.default_rng(1)
    pca, so_far, labels = rng.normal(size=(90, 2)), rng.normal(size=(90, 2)), np.repeat([0, 1, 2], 30)
    fig = running_map(pca, so_far, iteration, 1000, labels, ["a", "b", "c"], exaggeration_until=250)
    replay = side_by_side(pca, [so_far] * 3, [0, 10, 20], labels, ["a", "b", "c"])
    said = fig.layout.annotations[-1].text
    assert said == f"t-SNE is running: iteration {iteration:,} of 1,000{phase}. Its replay starts when it ends."
    assert not fig.frames and all(t.hoverinfo == "skip" for t in fig.data)  # light: redrawn a few times a second
    assert [t.name for t in fig.data] == [t.name for t in replay.data]  # same groups, colours and markers
    assert [t.marker.color for t in fig.data] == [t.marker.color for t in replay.data]
    for a, b in zip(fig.to_dict()["data"], replay.to_dict()["data"]):  # PCA as in the replay; the map drawn as
        for axis in "xy":                                                  # the replay's first frame is
            np.testing.assert_allclose(values(a[axis]), values(b[axis]), rtol=1e-6)
    assert fig.layout.height == replay.layout.height
