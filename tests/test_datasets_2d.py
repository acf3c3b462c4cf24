"""The 2-D classification data sets, their split and grid, checked against their documented maths."""

import dataclasses
import operator

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog
from sklearn.datasets import make_moons as sklearn_moons
from sklearn.linear_model import LogisticRegression

from core.datasets_2d import (DATASETS, GATE_INPUTS, MOONS_SCALE, MOONS_SHIFT, blob_centres, grid_extent,
                              make_and, make_blobs, make_circle, make_dataset, make_gaussians, make_grid,
                              make_moons, make_nand, make_nor, make_or, make_spiral, make_xor, make_xor_gate,
                              train_test_split)

GATES = {"and": (make_and, operator.and_), "or": (make_or, operator.or_), "xor_gate": (make_xor_gate, operator.xor),
         "nand": (make_nand, lambda a, b: 1 - (a & b)), "nor": (make_nor, lambda a, b: 1 - (a | b))}


def linearly_separable(Z, y) -> bool:
    """Whether some (w, b) has sign(w·z + b) = class for every row: the LP s_i (w·z_i + b) ≥ 1 is feasible."""
    s = np.where(y == 1, 1.0, -1.0)
    A = -s[:, None] * np.column_stack([Z, np.ones(len(Z))])
    result = linprog(np.zeros(A.shape[1]), A_ub=A, b_ub=-np.ones(len(Z)), bounds=(None, None), method="highs")
    return result.status == 0


# --- every registered data set --------------------------------------------------------------------------

def test_registry_has_the_documented_entries():
    assert list(DATASETS) == ["circle", "xor", "gaussians", "spiral", "moons", "blobs",
                              "and", "or", "xor_gate", "nand", "nor"]
    for name, d in DATASETS.items():
        assert d.name == name and d.label and d.description and "\n" not in d.description
        assert d.kind == ("gate" if name in GATES else "2d")
    with pytest.raises(dataclasses.FrozenInstanceError):
        DATASETS["circle"].n_classes = 5


@pytest.mark.parametrize("name", list(DATASETS))
@pytest.mark.parametrize("n", [4, 7, 201])
def test_shapes_dtypes_and_labels(name, n):
    d = DATASETS[name]
    X, y = d.make(n, 0.3, 1)
    rows = 4 * (n // 4) if d.kind == "gate" else n
    assert X.shape == (rows, 2) and X.dtype == np.float64 and np.all(np.isfinite(X))
    assert y.shape == (rows,) and y.dtype == np.int64
    assert set(np.unique(y)) <= set(range(d.n_classes))
    if n == 201:
        assert set(np.unique(y)) == set(range(d.n_classes))


@pytest.mark.parametrize("name", [n for n in DATASETS if DATASETS[n].kind == "2d"])
def test_data_sit_roughly_in_the_playground_square(name):
    X, _ = DATASETS[name].make(1000, 0.0, 3)
    assert np.abs(X).max() <= 6.0
    assert np.abs(X).max() >= 3.5  # and use it, not a corner of it


@pytest.mark.parametrize("name", list(DATASETS))
def test_same_seed_same_data_other_seed_other_data(name):
    make = DATASETS[name].make
    X1, y1 = make(100, 0.2, 7)
    X2, y2 = make(100, 0.2, 7)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(make(100, 0.2, 8)[0], X1)


@pytest.mark.parametrize("name", ["circle", "gaussians", "spiral", "moons", "blobs"])
@pytest.mark.parametrize("n", [4, 5, 200, 201])
def test_balanced_classes(name, n):
    counts = np.bincount(DATASETS[name].make(n, 0.1, 0)[1])
    assert counts.max() - counts.min() <= 1 and counts.sum() == n


@pytest.mark.parametrize("kwargs, message", [
    ({"n_samples": 3}, "at least 4"),
    ({"n_samples": 5001}, "at most 5000"),
    ({"n_samples": 10.0}, "whole number"),
    ({"noise": -0.1}, "at least 0"),
    ({"noise": 1.5}, "at most 1"),
    ({"noise": float("nan")}, "finite"),
])
@pytest.mark.parametrize("name", list(DATASETS))
def test_bad_parameters_say_what_to_change(name, kwargs, message):
    with pytest.raises(ValueError, match=message):
        DATASETS[name].make(**kwargs)


# --- TF Playground's data sets --------------------------------------------------------------------------

def test_circle_classes_are_a_disc_and_a_ring():
    X, y = make_circle(1000, 0.0, 2)
    r = np.hypot(X[:, 0], X[:, 1])
    assert r[y == 0].max() <= 2.5 and r[y == 1].min() >= 3.5 and r[y == 1].max() <= 5.0
    assert r[y == 0].min() < 0.1 and r[y == 0].max() > 2.4 and r[y == 1].min() < 3.6 and r[y == 1].max() > 4.9


@pytest.mark.parametrize("make", [make_circle, make_xor])
def test_noise_is_uniform_jitter_of_five_nu_and_labels_come_from_the_clean_point(make):
    clean, y0 = make(2000, 0.0, 4)
    noisy, y = make(2000, 0.4, 4)
    np.testing.assert_array_equal(y, y0)
    jitter = noisy - clean
    assert np.abs(jitter).max() <= 2.0 and np.abs(jitter).max() > 1.95
    np.testing.assert_allclose(jitter.std(axis=0), 2.0 / np.sqrt(3), rtol=0.06)  # std of U(-a, a) = a/√3


def test_xor_labels_are_the_sign_of_the_product_away_from_the_axes():
    X, y = make_xor(1000, 0.0, 5)
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] > 0).astype(int))
    assert np.abs(X).min() >= 0.3 and np.abs(X).max() <= 5.3
    assert 0.4 < y.mean() < 0.6


@pytest.mark.parametrize("noise", [0.0, 0.5, 1.0])
def test_gaussians_have_the_documented_centres_and_spread(noise):
    X, y = make_gaussians(4000, noise, 6)
    std = 0.5 + 3.5 * noise
    for label, centre in [(0, (-2.0, -2.0)), (1, (2.0, 2.0))]:
        points = X[y == label]
        np.testing.assert_allclose(points.mean(axis=0), centre, atol=5 * std / np.sqrt(len(points)))
        np.testing.assert_allclose(points.std(axis=0), std, rtol=0.06)


@pytest.mark.parametrize("n_classes", [3, 4, 5])
def test_blobs_sit_evenly_on_a_circle_of_radius_four(n_classes):
    centres = blob_centres(n_classes)
    np.testing.assert_allclose(np.hypot(*centres.T), 4.0)
    np.testing.assert_allclose(np.linalg.norm(centres - np.roll(centres, 1, axis=0), axis=1),
                               8 * np.sin(np.pi / n_classes))  # equal chords: evenly spaced
    X, y = make_blobs(3000, 0.2, 1, n_classes=n_classes)
    std = 0.6 + 2 * 0.2
    assert np.bincount(y).tolist() == [3000 // n_classes + (k < 3000 % n_classes) for k in range(n_classes)]
    for k in range(n_classes):
        points = X[y == k]
        np.testing.assert_allclose(points.mean(axis=0), centres[k], atol=5 * std / np.sqrt(len(points)))
        np.testing.assert_allclose(points.std(axis=0), std, rtol=0.1)


@pytest.mark.parametrize("n_classes", [2, 6, 3.0])
def test_blobs_reject_other_class_counts(n_classes):
    with pytest.raises(ValueError, match="n_classes"):
        make_blobs(100, n_classes=n_classes)


def _spiral_arm(m):
    """m points along class 0's arm: r = 5i/m, t = 1.75·2π·i/m, (r sin t, r cos t)."""
    i = np.arange(m)
    r, t = 5 * i / m, 1.75 * 2 * np.pi * i / m
    return np.column_stack([r * np.sin(t), r * np.cos(t)])


@pytest.mark.parametrize("n", [4, 101, 400])
def test_spiral_follows_the_documented_arms(n):
    X, y = make_spiral(n, 0.0, 0)
    X0, X1 = X[y == 0], X[y == 1]
    np.testing.assert_allclose(X0, _spiral_arm(len(X0)), atol=1e-12)
    np.testing.assert_allclose(X1, -_spiral_arm(len(X1)), atol=1e-12)  # turned by π
    np.testing.assert_allclose(np.hypot(*X0.T), 5 * np.arange(len(X0)) / len(X0), atol=1e-12)
    noisy, _ = make_spiral(n, 0.5, 3)
    assert np.abs(noisy - X).max() <= 0.5


@pytest.mark.parametrize("n", [4, 7, 200, 301])
def test_moons_are_scikit_learns_moons_scaled_and_centred(n):
    X, y = make_moons(n, 0.0, 0)
    reference_X, reference_y = sklearn_moons(n, shuffle=False, noise=None)
    np.testing.assert_allclose(X / MOONS_SCALE + MOONS_SHIFT, reference_X, atol=1e-12)
    np.testing.assert_array_equal(y, reference_y)
    # the two unit half circles, directly: class 0 about (0, 0) above, class 1 about (1, 0.5) below
    moons = X / MOONS_SCALE + MOONS_SHIFT
    np.testing.assert_allclose(np.hypot(*moons[y == 0].T), 1.0)
    np.testing.assert_allclose(np.hypot(*(moons[y == 1] - [1.0, 0.5]).T), 1.0)
    assert moons[y == 0, 1].min() >= -1e-12 and moons[y == 1, 1].max() <= 0.5 + 1e-12


def test_moons_bounding_box_is_centred_on_the_origin():
    X, _ = make_moons(202, 0.0)  # 101 points a moon: the angles include π/2, so the box is reached
    np.testing.assert_allclose(X.min(axis=0), [-3.75, -1.875], atol=1e-12)
    np.testing.assert_allclose(X.max(axis=0), [3.75, 1.875], atol=1e-12)


def test_moons_noise_is_gaussian_with_std_two_and_a_half_nu():
    jitter = make_moons(4000, 0.2, 9)[0] - make_moons(4000, 0.0, 9)[0]
    np.testing.assert_allclose(jitter.mean(axis=0), 0.0, atol=5 * 0.5 / np.sqrt(4000))
    np.testing.assert_allclose(jitter.std(axis=0), 2.5 * 0.2, rtol=0.05)


# --- logic gates ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(GATES))
def test_gates_are_their_truth_tables(name):
    make, op = GATES[name]
    X, y = make(4, 0.0)
    np.testing.assert_array_equal(X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    assert y.tolist() == [int(op(a, b)) for a, b in [(0, 0), (0, 1), (1, 0), (1, 1)]]
    X10, y10 = make(10, 0.0)  # rounded down to 8: the table twice
    np.testing.assert_array_equal(X10, np.tile(GATE_INPUTS, (2, 1)))
    np.testing.assert_array_equal(y10, np.tile(y, 2))


def test_gate_noise_is_gaussian_jitter_of_half_nu_around_the_corners():
    X, y = make_and(4000, 0.4, 2)
    jitter = X - np.tile(GATE_INPUTS, (1000, 1))
    np.testing.assert_allclose(jitter.std(axis=0), 0.2, rtol=0.05)
    np.testing.assert_array_equal(y, np.tile([0, 0, 0, 1], 1000))


@pytest.mark.parametrize("name", list(GATES))
def test_only_xor_has_no_separating_line(name):
    X, y = GATES[name][0](4, 0.0)
    separable = name != "xor_gate"
    assert linearly_separable(X, y) is separable
    accuracy = LogisticRegression(C=1e6, max_iter=10_000).fit(X, y).score(X, y)
    assert (accuracy == 1.0) is separable


# --- make_dataset ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(DATASETS))
def test_make_dataset_calls_the_registered_generator(name):
    X, y = make_dataset(name, 40, 0.1, 3, n_classes=4)
    X_ref, y_ref = DATASETS[name].make(40, 0.1, 3)
    if name == "blobs":
        X_ref, y_ref = make_blobs(40, 0.1, 3, n_classes=4)
        assert set(y) == {0, 1, 2, 3}
    np.testing.assert_array_equal(X, X_ref)
    np.testing.assert_array_equal(y, y_ref)


def test_make_dataset_names_the_valid_choices():
    with pytest.raises(ValueError, match="Unknown data set 'spirals'.*circle, xor, .*nor"):
        make_dataset("spirals", 100)
    assert set(make_dataset("blobs", 100)[1]) == {0, 1, 2}


# --- train_test_split -----------------------------------------------------------------------------------

def _indexed(sizes):
    """X whose rows carry their own index (so rows can be traced), y with sizes[k] points of class k."""
    y = np.repeat(np.arange(len(sizes)), sizes)
    return np.column_stack([np.arange(len(y)), -np.arange(len(y))]).astype(float), y


@settings(max_examples=150, deadline=None)
@given(sizes=st.lists(st.integers(2, 60), min_size=1, max_size=5), test_size=st.floats(0.0, 0.9),
       seed=st.integers(0, 2**32 - 1))
def test_split_is_a_stratified_partition(sizes, test_size, seed):
    X, y = _indexed(sizes)
    expected_test = [int(np.floor(test_size * n + 0.5)) for n in sizes]
    if any(t == n for t, n in zip(expected_test, sizes)):
        with pytest.raises(ValueError, match="nothing to train on"):
            train_test_split(X, y, test_size, seed)
        return
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size, seed)
    train, test = X_train[:, 0].astype(int), X_test[:, 0].astype(int)
    assert len(np.intersect1d(train, test)) == 0
    np.testing.assert_array_equal(np.sort(np.concatenate([train, test])), np.arange(len(y)))
    np.testing.assert_array_equal(y_train, y[train])  # rows and labels stay together
    np.testing.assert_array_equal(y_test, y[test])
    np.testing.assert_array_equal(X_test, X[test])
    for k, n in enumerate(sizes):
        n_test = int(np.sum(y_test == k))
        assert n_test == expected_test[k] and abs(n_test - test_size * n) <= 0.5 + 1e-9
        assert np.sum(y_train == k) >= 1


def test_split_is_seeded_and_shuffled():
    X, y = make_circle(200, 0.1, 0)
    first = train_test_split(X, y, 0.3, 5)
    for a, b in zip(first, train_test_split(X, y, 0.3, 5)):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], train_test_split(X, y, 0.3, 6)[0])
    for labels in first[2:]:  # the class-grouped input comes out mixed, in both parts
        assert np.any(np.diff(labels) < 0) and np.any(np.diff(labels) > 0)
    assert [len(part) for part in first] == [140, 60, 140, 60]


def test_split_with_no_test_set_keeps_everything_for_training():
    X, y = make_xor(50, 0.2, 1)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0)
    assert X_test.shape == (0, 2) and X_test.dtype == np.float64
    assert y_test.shape == (0,) and y_test.dtype == np.int64
    assert X_train.shape == (50, 2) and sorted(map(tuple, X_train)) == sorted(map(tuple, X))


@pytest.mark.parametrize("args, message", [
    ((0.95,), "at most 0.9"),
    ((-0.1,), "at least 0"),
    ((float("inf"),), "finite"),
])
def test_split_rejects_bad_test_sizes(args, message):
    X, y = make_circle(20)
    with pytest.raises(ValueError, match=message):
        train_test_split(X, y, *args)


def test_split_refuses_to_leave_a_class_without_training_points():
    X, y = make_and(4)  # class 1 is a single row
    with pytest.raises(ValueError, match="class 1 \\(1 point\\) with nothing to train on"):
        train_test_split(X, y, 0.5)
    assert train_test_split(X, y, 0.4)[3].tolist() == [0]  # round(0.4 · 1) = 0, round(0.4 · 3) = 1


def test_split_rejects_mismatched_arrays():
    with pytest.raises(ValueError, match="shape"):
        train_test_split(np.zeros((5, 2)), np.zeros(4, dtype=int))
    with pytest.raises(ValueError, match="shape"):
        train_test_split(np.zeros(5), np.zeros(5, dtype=int))


# --- grids ----------------------------------------------------------------------------------------------

def test_grid_points_follow_meshgrid_row_major_order():
    xs, ys, points = make_grid((-1.0, 3.0, 10.0, 12.0), 5)
    np.testing.assert_array_equal(xs, np.linspace(-1, 3, 5))
    np.testing.assert_array_equal(ys, np.linspace(10, 12, 5))
    gx, gy = np.meshgrid(xs, ys)
    np.testing.assert_array_equal(points, np.column_stack([gx.ravel(), gy.ravel()]))
    # a heatmap's z[row = y index, col = x index]
    z = (points[:, 0] + 100 * points[:, 1]).reshape(5, 5)
    assert z[3, 1] == xs[1] + 100 * ys[3]
    assert xs.dtype == ys.dtype == points.dtype == np.float64 and points.shape == (25, 2)


@pytest.mark.parametrize("name", list(DATASETS))
def test_extent_covers_the_data_with_a_margin(name):
    X, _ = DATASETS[name].make(200, 0.1, 0)
    x_min, x_max, y_min, y_max = grid_extent(X)
    span = X.max(axis=0) - X.min(axis=0)
    margin = np.maximum(0.1 * span, 0.5)
    np.testing.assert_allclose([x_min, y_min], X.min(axis=0) - margin)
    np.testing.assert_allclose([x_max, y_max], X.max(axis=0) + margin)


@pytest.mark.parametrize("name", list(GATES))
def test_gate_extent_is_about_minus_half_to_one_and_a_half(name):
    assert grid_extent(GATES[name][0](4, 0.0)[0]) == (-0.5, 1.5, -0.5, 1.5)
    np.testing.assert_allclose(grid_extent(GATES[name][0](200, 0.1)[0]), [-0.5, 1.5, -0.5, 1.5], atol=0.25)


@pytest.mark.parametrize("call, message", [
    (lambda: make_grid((0.0, 0.0, 0.0, 1.0), 10), "x_min < x_max"),
    (lambda: make_grid((0.0, 1.0, 0.0), 10), "extent"),
    (lambda: make_grid((0.0, 1.0, 0.0, 1.0), 1), "resolution must be at least 2"),
    (lambda: grid_extent(np.zeros((3, 3))), r"shape \(n, 2\)"),
    (lambda: grid_extent(np.zeros((3, 2)), pad=-1.0), "pad must be at least 0"),
])
def test_grid_errors_say_what_to_change(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_subsample_keeps_class_shares_and_order():
    from core.datasets_2d import subsample

    X = np.arange(2000, dtype=float).reshape(1000, 2)
    y = np.r_[np.zeros(900, int), np.ones(100, int)]
    Xs, ys = subsample(X, y, 100, random_state=1)
    assert len(ys) == 100 and ys.sum() == 10
    assert np.all(np.diff(Xs[:, 0]) > 0)  # original order
    assert subsample(X[:50], y[:50], 100)[0].shape == (50, 2)
