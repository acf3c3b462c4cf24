"""TF Playground's input features: each map against its formula, the column order, and the errors."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.optimize import linprog

from core.datasets_2d import make_circle, make_xor
from core.features import FEATURES, feature_map

FORMULAS = {
    "x1": lambda a, b: a,
    "x2": lambda a, b: b,
    "x1_sq": lambda a, b: a * a,
    "x2_sq": lambda a, b: b * b,
    "x1x2": lambda a, b: a * b,
    "sin_x1": lambda a, b: np.sin(a),
    "sin_x2": lambda a, b: np.sin(b),
}

points = arrays(np.float64, st.tuples(st.integers(0, 30), st.just(2)), elements=st.floats(-50, 50))


def linearly_separable(Z, y) -> bool:
    """Whether some (w, b) has sign(w·z + b) = class for every row: the LP s_i (w·z_i + b) ≥ 1 is feasible."""
    s = np.where(y == 1, 1.0, -1.0)
    A = -s[:, None] * np.column_stack([Z, np.ones(len(Z))])
    result = linprog(np.zeros(A.shape[1]), A_ub=A, b_ub=-np.ones(len(Z)), bounds=(None, None), method="highs")
    return result.status == 0


def test_registry_lists_the_playground_features():
    assert list(FEATURES) == list(FORMULAS)
    labels = [f.label for f in FEATURES.values()]
    assert labels == ["x₁", "x₂", "x₁²", "x₂²", "x₁x₂", "sin(x₁)", "sin(x₂)"]
    assert FEATURES["x1_sq"].latex == r"x_1^2" and FEATURES["sin_x2"].latex == r"\sin(x_2)"
    assert len({f.latex for f in FEATURES.values()}) == len(FEATURES)
    assert all(name == f.name for name, f in FEATURES.items())
    with pytest.raises(dataclasses.FrozenInstanceError):
        FEATURES["x1"].label = "x"


@settings(max_examples=60, deadline=None)
@given(X=points, names=st.permutations(list(FORMULAS)).flatmap(lambda p: st.integers(1, len(p)).map(lambda k: p[:k])))
def test_columns_are_the_formulas_in_the_order_asked(X, names):
    Z = feature_map(X, names)
    assert Z.shape == (len(X), len(names)) and Z.dtype == np.float64
    expected = np.column_stack([FORMULAS[n](X[:, 0], X[:, 1]) for n in names]) if len(X) else np.empty((0, len(names)))
    np.testing.assert_array_equal(Z, expected)


def test_each_feature_function_maps_rows_to_a_column():
    X = np.array([[0.5, -2.0], [3.0, np.pi / 2]])
    for name, feature in FEATURES.items():
        np.testing.assert_allclose(feature.fn(X), FORMULAS[name](X[:, 0], X[:, 1]))
    np.testing.assert_allclose(feature_map(X, ["sin_x2", "x1x2", "x1_sq"]), [[np.sin(-2.0), -1.0, 0.25],
                                                                             [1.0, 3 * np.pi / 2, 9.0]])


def test_lists_of_points_and_integers_are_accepted():
    np.testing.assert_array_equal(feature_map([[1, 2], [3, 4]], ("x2", "x1")), [[2.0, 1.0], [4.0, 3.0]])
    np.testing.assert_array_equal(feature_map([[1, 2]], "x1x2"), [[2.0]])
    assert feature_map([[1, 2]], ["x1"]).dtype == np.float64


@pytest.mark.parametrize("X, names, message", [
    (np.zeros((3, 2)), [], "Choose at least one feature"),
    (np.zeros((3, 2)), ["x1", "x3"], "Unknown feature 'x3'; choose from x1, x2, x1_sq, x2_sq, x1x2, sin_x1, sin_x2"),
    (np.zeros((3, 2)), ["x1", "x2", "x1"], "'x1' is chosen more than once"),
    (np.zeros((3, 3)), ["x1"], r"shape \(n, 2\).*\(3, 3\)"),
    (np.zeros(2), ["x1"], r"shape \(n, 2\).*\(2,\)"),
])
def test_bad_selections_say_what_to_change(X, names, message):
    with pytest.raises(ValueError, match=message):
        feature_map(X, names)


def test_squares_make_the_circle_linearly_separable():
    X, y = make_circle(300, 0.0, 1)
    assert not linearly_separable(feature_map(X, ["x1", "x2"]), y)
    assert linearly_separable(feature_map(X, ["x1_sq", "x2_sq"]), y)


def test_the_product_alone_separates_xor():
    X, y = make_xor(300, 0.0, 1)
    assert not linearly_separable(feature_map(X, ["x1", "x2"]), y)
    assert linearly_separable(feature_map(X, ["x1x2"]), y)
