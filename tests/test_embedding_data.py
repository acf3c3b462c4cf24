"""The embedding page's data: shipped real tables (equal to scikit-learn's), Distill's shapes, subsampling."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn import datasets

from core.embedding_data import (DATA_DIR, EMBEDDING_DATASETS, Embeddable, load_table, make_embeddable,
                                 make_linked_rings, make_swiss_roll, subsample)

ROOT = Path(__file__).resolve().parent.parent
LOADERS = {"digits": datasets.load_digits, "iris": datasets.load_iris, "wine": datasets.load_wine,
           "breast_cancer": datasets.load_breast_cancer}
SYNTHETIC = [name for name, d in EMBEDDING_DATASETS.items() if d.kind == "synthetic"]


# --- shipped tables --------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", LOADERS)
def test_shipped_table_equals_sklearn_exactly(name):
    bunch, table = LOADERS[name](), load_table(name)
    np.testing.assert_array_equal(table["X"].astype(np.float64), bunch.data)
    np.testing.assert_array_equal(table["y"], bunch.target)
    assert [str(f) for f in table["feature_names"]] == [str(f) for f in bunch.feature_names]
    assert [str(t) for t in table["target_names"]] == [str(t) for t in bunch.target_names]


@pytest.mark.parametrize("name", LOADERS)
def test_make_returns_the_whole_table_unchanged(name):
    bunch, data = LOADERS[name](), EMBEDDING_DATASETS[name].make(20_000, 0.0, 0)
    assert data.X.dtype == np.float64 and data.X.flags.writeable
    np.testing.assert_array_equal(data.X, bunch.data)
    np.testing.assert_array_equal(data.labels, bunch.target)
    assert data.label_names == [str(t) for t in bunch.target_names]


def test_shipped_files_are_small_and_digits_are_uint8():
    sizes = {path.name: path.stat().st_size for path in DATA_DIR.glob("*.npz")}
    assert set(sizes) == {f"{name}.npz" for name in LOADERS}
    assert sum(sizes.values()) < 200_000, sizes
    assert load_table("digits")["X"].dtype == np.uint8


def test_digits_images():
    data = EMBEDDING_DATASETS["digits"].make(20_000, 0.0, 0)
    assert data.images.shape == (1797, 8, 8)
    np.testing.assert_array_equal(data.images, datasets.load_digits().images)


def test_tables_are_found_from_any_working_directory(tmp_path):
    code = "import core.embedding_data as e; print(e.make_iris(150, 0.0, 0).X.shape)"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "(150, 4)"


def test_cached_table_cannot_be_modified():
    with pytest.raises(ValueError):
        load_table("iris")["X"][0, 0] = 1.0


def test_real_set_caps_rows_stratified_and_adds_relative_noise():
    data = make_embeddable("digits", 500, 0.0, 3)
    assert data.n_samples == 500 and "Showing 500 of 1,797 rows" in data.note
    full = datasets.load_digits()
    share = 500 * np.bincount(full.target) / len(full.target)
    assert np.all(np.abs(np.bincount(data.labels) - share) < 1)
    np.testing.assert_array_equal(data.X, full.data[data.rows])
    np.testing.assert_array_equal(data.images, full.images[data.rows])
    noisy = make_embeddable("iris", 150, 0.1, 0)
    spread = (noisy.X - datasets.load_iris().data).std(axis=0) / datasets.load_iris().data.std(axis=0)
    np.testing.assert_allclose(spread, 0.1, rtol=0.3)
    assert "jitter" in noisy.note


# --- registry and synthetic sets -------------------------------------------------------------------------

@pytest.mark.parametrize("name", EMBEDDING_DATASETS)
def test_every_entry_is_consistent_and_reproducible(name):
    entry = EMBEDDING_DATASETS[name]
    assert entry.name == name and entry.kind in ("real", "synthetic") and entry.label and entry.description
    a, b = entry.make(120, 0.2, 7), entry.make(120, 0.2, 7)
    assert isinstance(a, Embeddable)
    np.testing.assert_array_equal(a.X, b.X)
    assert a.X.dtype == np.float64 and np.isfinite(a.X).all()
    assert len(a.feature_names) == a.X.shape[1]
    assert a.labels.dtype == np.int64 and set(np.unique(a.labels)) <= set(range(len(a.label_names)))
    assert a.note
    if entry.kind == "synthetic":
        assert a.X.shape[0] == 120
        assert not np.array_equal(entry.make(120, 0.2, 8).X, a.X)


@pytest.mark.parametrize("name", SYNTHETIC)
def test_synthetic_noise_is_gaussian_jitter_of_that_std(name):
    make = EMBEDDING_DATASETS[name].make
    clean, noisy = make(2000, 0.0, 5), make(2000, 0.5, 5)
    if name in ("linked_rings", "trefoil"):  # deterministic shapes: the jitter is all the difference
        assert np.std(noisy.X - clean.X) == pytest.approx(0.5, rel=0.05)
    np.testing.assert_array_equal(clean.labels, noisy.labels)


@pytest.mark.parametrize("name, dim", [("different_sizes", 50), ("different_distances", 50),
                                       ("cluster_in_cluster", 50), ("gaussian_cloud", 50),
                                       ("linked_rings", 3), ("trefoil", 3), ("swiss_roll", 3)])
def test_dimensions(name, dim):
    assert make_embeddable(name, 100).X.shape == (100, dim)


def test_cluster_shapes():
    sizes = make_embeddable("different_sizes", 4000, 0.0, 0)
    stds = [sizes.X[sizes.labels == k].std(axis=0).mean() for k in (0, 1)]
    np.testing.assert_allclose(stds, [10, 1], rtol=0.1)
    distances = make_embeddable("different_distances", 3000, 0.0, 0)
    centres = [distances.X[distances.labels == k].mean(axis=0)[0] for k in range(3)]
    np.testing.assert_allclose(centres, [0, 10, 50], atol=0.2)
    nested = make_embeddable("cluster_in_cluster", 4000, 0.0, 0)
    np.testing.assert_allclose([nested.X[nested.labels == k].std() for k in (0, 1)], [1, 50], rtol=0.1)
    cloud = make_embeddable("gaussian_cloud", 500)
    assert set(cloud.labels) == {0} and cloud.label_names == ["all points"]


def test_rings_are_unit_circles_and_linked():
    rings = make_linked_rings(400, 0.0, 0)
    r1, r2 = rings.X[rings.labels == 0], rings.X[rings.labels == 1]
    np.testing.assert_allclose(np.linalg.norm(r1, axis=1), 1.0)  # ring 1: unit circle about the origin
    np.testing.assert_allclose(np.linalg.norm(r2 - [1.0, 0.0, 0.0], axis=1), 1.0)  # ring 2 about (1, 0, 0)
    # Linked: ring 2 meets the plane of ring 1 twice (at t = 0 and π, both sampled for an even count),
    # once inside ring 1's disc and once outside it.
    normal = np.cross(r1[1] - r1[0], r1[2] - r1[0])
    on_plane = r2[np.abs(r2 @ normal) < 1e-12]
    assert len(on_plane) == 2
    radii = sorted(np.linalg.norm(on_plane, axis=1))
    assert radii[0] < 1 < radii[1]


def test_swiss_roll_labels_follow_the_roll():
    roll = make_swiss_roll(3000, 0.0, 0)
    radius = np.hypot(roll.X[:, 0], roll.X[:, 2])  # = t, which grows along the roll
    means = [radius[roll.labels == k].mean() for k in range(len(roll.label_names))]
    assert np.all(np.diff(means) > 0)
    assert roll.X[:, 1].min() >= 0 and roll.X[:, 1].max() <= 21


def test_trefoil_labels_in_order():
    knot = make_embeddable("trefoil", 600)
    assert np.all(np.diff(knot.labels) >= 0) and len(set(knot.labels)) == 6


@pytest.mark.parametrize("bad, match", [
    (lambda: make_embeddable("nope"), "Unknown data set"),
    (lambda: make_embeddable("trefoil", 5), "n_samples must be at least 10"),
    (lambda: make_embeddable("iris", 100, -1.0), "noise must be at least 0"),
    (lambda: make_embeddable("swiss_roll", 100.0), "n_samples must be a whole number"),
    (lambda: Embeddable(np.zeros((3, 2)), None, None, ["a"]), "feature_names"),
    (lambda: Embeddable(np.zeros((3, 2)), np.zeros(3, int), None, ["a", "b"]), "label_names"),
])
def test_errors(bad, match):
    with pytest.raises(ValueError, match=match):
        bad()


# --- subsample -------------------------------------------------------------------------------------------

def _labelled(counts):
    labels = np.repeat(np.arange(len(counts)), counts)
    X = np.arange(len(labels), dtype=float)[:, None] * [1.0, 2.0]
    return Embeddable(X, labels, [f"c{k}" for k in range(len(counts))], ["a", "b"])


def test_subsample_stratified():
    data = _labelled([7000, 2000, 1000])
    small, note = subsample(data, 2000, random_state=0)
    assert note == "Showing 2,000 of 10,000 rows, chosen at random (stratified by label)."
    np.testing.assert_array_equal(np.bincount(small.labels), [1400, 400, 200])
    np.testing.assert_array_equal(small.X, data.X[small.rows])
    np.testing.assert_array_equal(small.labels, data.labels[small.rows])
    assert np.all(np.diff(small.rows) > 0)  # original order kept


def test_subsample_largest_remainder_total_exact():
    small, _ = subsample(_labelled([5, 5, 5]), 10, 0)
    assert small.n_samples == 10 and sorted(np.bincount(small.labels)) == [3, 3, 4]


def test_subsample_without_labels_and_no_op():
    data = Embeddable(np.random.default_rng(0).normal(size=(50, 3)), None, None, ["a", "b", "c"])
    small, note = subsample(data, 20, 1)
    assert small.n_samples == 20 and note == "Showing 20 of 50 rows, chosen at random."
    same, note = subsample(data, 50, 1)
    assert same is data and note is None
    again, _ = subsample(data, 20, 1)
    np.testing.assert_array_equal(again.rows, small.rows)


def test_subsample_of_subsample_keeps_original_rows():
    data = _labelled([300, 300])
    once, _ = subsample(data, 200, 0)
    twice, _ = subsample(once, 50, 0)
    np.testing.assert_array_equal(twice.X, data.X[twice.rows])
