"""2-D loss surfaces: analytic derivatives against finite differences, minima against published values,
shapes against a plain loop over points."""

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.objectives import OBJECTIVES, Objective, quadratic_bowl, rastrigin, rosenbrock

NAMES = sorted(OBJECTIVES)
H = 1e-5  # central-difference step: truncation ~ H² f''' / 6 and round-off ~ ε |f| / H are both ≈ 1e-9 · scale
FRACTIONS = st.floats(min_value=0.0, max_value=1.0)


def point_in(objective: Objective, u: float, v: float) -> np.ndarray:
    """The point a fraction (u, v) of the way across the objective's drawing box."""
    (x0, x1), (y0, y1) = objective.domain
    return np.array([x0 + u * (x1 - x0), y0 + v * (y1 - y0)])


def central_jacobian(f, p: np.ndarray) -> np.ndarray:
    """Central differences of f along x and y: column j is (f(p + H e_j) − f(p − H e_j)) / 2H."""
    steps = H * np.eye(2)
    return np.stack([(f(p + e) - f(p - e)) / (2 * H) for e in steps], axis=-1)


def assert_close_to_differences(analytic, numeric, scale):
    """Agreement to a millionth of the local size of the function (values reach 1e5 on Beale's corners)."""
    tolerance = 1e-6 * (1.0 + scale)
    assert np.max(np.abs(analytic - numeric)) <= tolerance, (analytic, numeric, tolerance)


def gradient_error_check(objective: Objective, p: np.ndarray) -> None:
    g = objective.gradient(p)
    scale = abs(float(objective.value(p))) + np.linalg.norm(g)
    assert_close_to_differences(g, central_jacobian(objective.value, p), scale)


def hessian_error_check(objective: Objective, p: np.ndarray) -> None:
    h = objective.hessian(p)
    scale = np.linalg.norm(objective.gradient(p)) + np.linalg.norm(h)
    assert_close_to_differences(h, central_jacobian(objective.gradient, p), scale)


# --- derivatives ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=60, deadline=None)
@given(u=FRACTIONS, v=FRACTIONS)
def test_gradient_matches_central_differences_of_value(name, u, v):
    objective = OBJECTIVES[name]()
    gradient_error_check(objective, point_in(objective, u, v))


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=60, deadline=None)
@given(u=FRACTIONS, v=FRACTIONS)
def test_hessian_matches_central_differences_of_gradient(name, u, v):
    objective = OBJECTIVES[name]()
    hessian_error_check(objective, point_in(objective, u, v))


@settings(max_examples=30, deadline=None)
@given(condition=st.floats(1.0, 1e3), angle=st.floats(-360.0, 360.0),
       a=st.floats(-2.0, 2.0), b=st.floats(0.5, 200.0), ripple=st.floats(0.0, 20.0),
       u=FRACTIONS, v=FRACTIONS)
def test_derivatives_of_parametrised_surfaces(condition, angle, a, b, ripple, u, v):
    for objective in (quadratic_bowl(condition, angle), rosenbrock(a, b), rastrigin(ripple)):
        p = point_in(objective, u, v)
        gradient_error_check(objective, p)
        hessian_error_check(objective, p)


def test_the_difference_check_catches_a_slightly_wrong_derivative():
    """The checks above can fail: 0.1 % off in one component is caught."""
    good = rosenbrock()
    bad = dataclasses.replace(good, gradient_fn=lambda p: good.gradient_fn(p) * [1.0, 1.001],
                              hessian_fn=lambda p: good.hessian_fn(p) * [[1.0, 1.0], [1.0, 1.001]])
    p = np.array([-1.0, 2.0])
    gradient_error_check(good, p)
    hessian_error_check(good, p)
    with pytest.raises(AssertionError):
        gradient_error_check(bad, p)
    with pytest.raises(AssertionError):
        hessian_error_check(bad, p)


@pytest.mark.parametrize("name", NAMES)
def test_hessian_is_symmetric(name):
    objective = OBJECTIVES[name]()
    h = objective.hessian(grid(objective, 23, 19))
    np.testing.assert_array_equal(h, np.swapaxes(h, -1, -2))


# --- values against textbook formulas, written out independently ---------------------------------------------

REFERENCE = {
    "bowl": lambda x, y: 0.5 * (x * x + 10 * y * y),  # angle 0: curvature 1 along x, 10 along y
    "rosenbrock": lambda x, y: (1 - x) ** 2 + 100 * (y - x ** 2) ** 2,
    "beale": lambda x, y: ((1.5 - x + x * y) ** 2 + (2.25 - x + x * y ** 2) ** 2
                           + (2.625 - x + x * y ** 3) ** 2),
    "himmelblau": lambda x, y: (x ** 2 + y - 11) ** 2 + (x + y ** 2 - 7) ** 2,
    "rastrigin": lambda x, y: 20 + x ** 2 - 10 * math.cos(2 * math.pi * x) + y ** 2 - 10 * math.cos(2 * math.pi * y),
    "saddle": lambda x, y: x ** 2 - y ** 2 + y ** 4 / 4,
    "plateau": lambda x, y: (2 + math.tanh(8 * x) - math.exp(-((x + 1.5) ** 2 + y ** 2))
                             + ((x + 1.5) ** 2 + y ** 2) / 200),  # as in the docstring
}


def test_every_surface_has_a_reference_formula():
    assert set(REFERENCE) == set(OBJECTIVES)


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=40, deadline=None)
@given(u=FRACTIONS, v=FRACTIONS)
def test_value_matches_textbook_formula(name, u, v):
    objective = OBJECTIVES[name]()
    p = point_in(objective, u, v)
    assert float(objective.value(p)) == pytest.approx(REFERENCE[name](*p), rel=1e-12, abs=1e-12)


# --- minima ---------------------------------------------------------------------------------------------------

PUBLISHED_MINIMA = {  # independent of the module: known from the literature or by hand
    "bowl": [(0, 0)],
    "rosenbrock": [(1, 1)],
    "beale": [(3, 0.5)],
    "himmelblau": [(3, 2), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)],
    "rastrigin": [(0, 0)],
    "saddle": [(0, -math.sqrt(2)), (0, math.sqrt(2))],
    "plateau": [(-1.5, 0)],  # the tanh tail shifts the true minimum by ~1e-11
}


@pytest.mark.parametrize("name", NAMES)
def test_minima_are_the_published_ones(name):
    minima = OBJECTIVES[name]().minima
    assert minima.dtype == float and minima.ndim == 2 and minima.shape[1] == 2
    np.testing.assert_allclose(sorted(map(tuple, minima)), sorted(PUBLISHED_MINIMA[name]), atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_minima_are_stationary_with_positive_definite_hessian(name):
    objective = OBJECTIVES[name]()
    assert np.all(np.linalg.norm(objective.gradient(objective.minima), axis=-1) < 1e-6)
    assert np.all(np.linalg.eigvalsh(objective.hessian(objective.minima)) > 0)


@pytest.mark.parametrize("name", NAMES)
def test_minima_lie_in_the_box_and_none_of_the_box_is_lower(name):
    objective = OBJECTIVES[name]()
    (x0, x1), (y0, y1) = objective.domain
    assert x0 < x1 and y0 < y1
    assert np.all((objective.minima >= [x0, y0]) & (objective.minima <= [x1, y1]))
    lowest_marked = objective.value(objective.minima).min()
    assert objective.value(grid(objective, 301, 301)).min() >= lowest_marked - 1e-9


def test_himmelblau_minima_are_zeros():
    himmelblau = OBJECTIVES["himmelblau"]()
    np.testing.assert_allclose(himmelblau.value(himmelblau.minima), 0.0, atol=1e-20)


@pytest.mark.parametrize("a, b", [(1.0, 100.0), (-1.5, 5.0), (2.0, 0.5), (0.0, 1.0)])
def test_rosenbrock_minimum_is_a_a_squared(a, b):
    objective = rosenbrock(a, b)
    np.testing.assert_array_equal(objective.minima, [[a, a * a]])
    assert objective.value(objective.minima) == [0.0]
    np.testing.assert_array_equal(objective.gradient(objective.minima), [[0.0, 0.0]])
    assert np.all(np.linalg.eigvalsh(objective.hessian(objective.minima)) > 0)


def test_saddle_origin_is_a_saddle():
    saddle = OBJECTIVES["saddle"]()
    np.testing.assert_array_equal(saddle.gradient([0.0, 0.0]), [0.0, 0.0])
    np.testing.assert_array_equal(saddle.hessian([0.0, 0.0]), [[2.0, 0.0], [0.0, -2.0]])


def test_plateau_is_nearly_flat_and_cliff_steep():
    plateau = OBJECTIVES["plateau"]()
    slopes = np.linalg.norm(plateau.gradient(grid(plateau, 141, 101)), axis=-1)
    assert slopes.max() > 5  # the cliff
    assert np.mean(slopes < 0.01 * slopes.max()) > 0.25  # a quarter of the box is a plateau
    (x0, x1), (y0, y1) = plateau.domain
    high_ground = plateau.gradient(np.array([[x1, y0], [x1, 0.0], [x1, y1], [1.0, 0.0]]))
    assert np.all(np.linalg.norm(high_ground, axis=-1) < 0.06)


# --- shapes and vectorisation ---------------------------------------------------------------------------------

def grid(objective: Objective, width: int, height: int) -> np.ndarray:
    (x0, x1), (y0, y1) = objective.domain
    xx, yy = np.meshgrid(np.linspace(x0, x1, width), np.linspace(y0, y1, height))
    return np.stack([xx, yy], axis=-1)


@pytest.mark.parametrize("name", NAMES)
def test_grid_evaluation_equals_a_loop_over_points(name):
    objective = OBJECTIVES[name]()
    p = grid(objective, 7, 5)
    values, gradients, hessians = objective.value(p), objective.gradient(p), objective.hessian(p)
    assert values.shape == (5, 7) and gradients.shape == (5, 7, 2) and hessians.shape == (5, 7, 2, 2)
    for i in range(5):
        for j in range(7):
            assert values[i, j] == pytest.approx(float(objective.value(p[i, j])), rel=1e-14, abs=1e-14)
            np.testing.assert_allclose(gradients[i, j], objective.gradient(p[i, j]), rtol=1e-14, atol=1e-14)
            np.testing.assert_allclose(hessians[i, j], objective.hessian(p[i, j]), rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("name", NAMES)
def test_shapes_for_one_point_and_for_a_list_of_points(name):
    objective = OBJECTIVES[name]()
    assert np.shape(objective.value([0.5, -0.25])) == ()
    assert objective.gradient([0.5, -0.25]).shape == (2,)
    assert objective.hessian([0.5, -0.25]).shape == (2, 2)
    racers = np.array([[0.5, -0.25], [1.0, 1.0], [-2.0, 0.0]])
    assert objective.value(racers).shape == (3,)
    assert objective.gradient(racers).shape == (3, 2)
    assert objective.hessian(racers).shape == (3, 2, 2)


@pytest.mark.parametrize("name", NAMES)
def test_points_without_an_xy_last_axis_are_refused(name):
    objective = OBJECTIVES[name]()
    for method in (objective.value, objective.gradient, objective.hessian):
        with pytest.raises(ValueError, match=r"\(x, y\).*shape \(4, 3\)"):
            method(np.zeros((4, 3)))


# --- the registry ---------------------------------------------------------------------------------------------

def test_registry_names_and_defaults():
    assert set(OBJECTIVES) == {"bowl", "rosenbrock", "beale", "himmelblau", "rastrigin", "saddle", "plateau"}
    for name, factory in OBJECTIVES.items():
        objective = factory()
        assert isinstance(objective, Objective) and objective.name == name
        assert objective.label and objective.latex
        summary = factory.__doc__.strip().splitlines()
        assert summary[0].endswith(".") and (len(summary) == 1 or not summary[1].strip())


# --- the quadratic bowl ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("angle", [0.0, 30.0, 45.0, 90.0, 137.5, -60.0])
@pytest.mark.parametrize("condition", [1.0, 2.5, 10.0, 1000.0])
def test_bowl_curvatures_are_one_and_condition(condition, angle):
    bowl = quadratic_bowl(condition, angle)
    hessian = bowl.hessian([0.3, -1.2])
    eigenvalues, eigenvectors = np.linalg.eigh(hessian)
    np.testing.assert_allclose(eigenvalues, [1.0, condition], rtol=1e-12)
    theta = math.radians(angle)
    steep = np.array([-math.sin(theta), math.cos(theta)])  # the y axis turned by `angle`
    shallow = np.array([math.cos(theta), math.sin(theta)])  # the x axis turned by `angle`
    if condition > 1:  # with equal eigenvalues every direction is an eigenvector
        assert abs(eigenvectors[:, 1] @ steep) == pytest.approx(1.0, abs=1e-12)
    # The value along each axis is ½ · curvature · t², independently of how the Hessian was built.
    for t in (-2.0, 0.7):
        assert bowl.value(t * steep) == pytest.approx(0.5 * condition * t * t, rel=1e-12)
        assert bowl.value(t * shallow) == pytest.approx(0.5 * t * t, rel=1e-12)


@pytest.mark.parametrize("condition", [0.999, 0.0, -3.0, float("nan"), float("inf"), "10", True])
def test_bowl_refuses_a_bad_condition(condition):
    with pytest.raises(ValueError, match="condition") as caught:
        quadratic_bowl(condition)
    assert "at least 1" in str(caught.value) or "finite number" in str(caught.value)
    assert repr(condition) in str(caught.value) or f"{condition:g}" in str(caught.value)


@pytest.mark.parametrize("factory, kwargs, match", [
    (rosenbrock, {"b": 0.0}, "b must be greater than 0"),
    (rosenbrock, {"a": float("nan")}, "a must be a finite number"),
    (rastrigin, {"A": -1.0}, "A must be at least 0"),
    (quadratic_bowl, {"angle": float("inf")}, "angle must be a finite number"),
])
def test_other_bad_parameters_are_refused(factory, kwargs, match):
    with pytest.raises(ValueError, match=match):
        factory(**kwargs)
