"""core.expressions: typed surfaces against the same formula in NumPy, exact derivatives against finite
differences, and the parser's refusals (malicious, malformed, too big) with the column of the problem."""

import ast
import builtins
import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, reject, settings
from hypothesis import strategies as st

from core import expressions
from core.expressions import (MAX_DEPTH, MAX_EXPONENT, MAX_LENGTH, MAX_NODES, Const, ExpressionError, Where,
                              derivative, parse, size, to_objective)
from core.objectives import Objective

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@dataclass(frozen=True)
class Case:
    """A formula as typed, the same formula in NumPy, the box it is smooth in and (optionally) its distance
    to a kink, so finite differences are only taken where the surface is differentiable."""

    text: str
    numpy: Callable
    xs: tuple = (-3.0, 3.0)
    ys: tuple = (-3.0, 3.0)
    kink: Callable | None = None

    def __str__(self):
        return self.text


CASES = [
    Case("x**2 + 3*sin(y)", lambda x, y: x**2 + 3 * np.sin(y)),
    Case("x^2 - y^3 + 2^x", lambda x, y: x**2 - y**3 + 2.0**x),
    Case("(x - 1)**2 + 100*(y - x**2)**2", lambda x, y: (x - 1) ** 2 + 100 * (y - x**2) ** 2),
    Case("-x*y + +x/(1 + y**2)", lambda x, y: -x * y + x / (1 + y**2)),
    Case("cos(pi*x) * exp(-y**2/2)", lambda x, y: np.cos(np.pi * x) * np.exp(-(y**2) / 2)),
    Case("tan(x/2) - y/3", lambda x, y: np.tan(x / 2) - y / 3, xs=(-2.0, 2.0)),
    Case("log(x) + sqrt(y) - log(x*y)/2", lambda x, y: np.log(x) + np.sqrt(y) - np.log(x * y) / 2,
         xs=(0.2, 3.0), ys=(0.2, 3.0)),
    Case("abs(x) + abs(y - 0.5)*y", lambda x, y: np.abs(x) + np.abs(y - 0.5) * y,
         kink=lambda x, y: min(abs(x), abs(y - 0.5))),
    Case("tanh(x*y) + sinh(x) - cosh(y)/2", lambda x, y: np.tanh(x * y) + np.sinh(x) - np.cosh(y) / 2),
    Case("minimum(x**2, y) + maximum(x, y**2)*x", lambda x, y: np.minimum(x**2, y) + np.maximum(x, y**2) * x,
         kink=lambda x, y: min(abs(x**2 - y), abs(x - y**2))),
    Case("x**y", lambda x, y: x**y, xs=(0.2, 3.0), ys=(-2.0, 2.0)),
    Case("2**x*e**y - e", lambda x, y: 2.0**x * np.e**y - np.e),
    Case("x**-2 + y**0.5 - x**-1.5*y", lambda x, y: x**-2.0 + y**0.5 - x**-1.5 * y, xs=(0.5, 3.0), ys=(0.2, 3.0)),
    Case("sqrt(x**2 + y**2 + 1)", lambda x, y: np.sqrt(x**2 + y**2 + 1)),
    Case("exp(sin(x)*cos(y)) / (2 + x**2)", lambda x, y: np.exp(np.sin(x) * np.cos(y)) / (2 + x**2)),
    Case("(x*y)**3/6 - 1e-2*x*y + 2.5E-1", lambda x, y: (x * y) ** 3 / 6 - 1e-2 * x * y + 2.5e-1),
    Case("x^y^0.5 + y", lambda x, y: x ** (y**0.5) + y, xs=(0.2, 3.0), ys=(0.2, 3.0)),
    Case("3", lambda x, y: 3.0 + 0 * x * y),
]


def _points(case, n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(*case.xs, size=n), rng.uniform(*case.ys, size=n)


# ------------------------------------------------------------------------------------------------- values


@pytest.mark.parametrize("case", CASES, ids=str)
def test_value_matches_the_same_formula_in_numpy(case):
    x, y = _points(case, 200)
    np.testing.assert_allclose(parse(case.text).value(x, y), case.numpy(x, y), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("text, x, y, expected", [
    ("-x**2", 3, 0, -9),  # unary minus binds looser than power, as in Python
    ("-2**2", 0, 0, -4),
    ("2**3**2", 0, 0, 512),  # right-associative
    ("2^3^2", 0, 0, 512),  # ^ is power, not XOR
    ("2**-1", 0, 0, 0.5),
    ("x**-y**2", 2, 1, 0.5),
    ("2*3+4*5", 0, 0, 26),
    ("(2+3)*4", 0, 0, 20),
    ("8/4/2", 0, 0, 1),  # left-associative
    ("8-4-2", 0, 0, 2),
    ("+-+x", 2, 0, -2),
    ("--x", 2, 0, 2),
    (".5 + 2. + 1e1 + 1.5E-1", 0, 0, 12.65),
    ("2e3", 0, 0, 2000),
    ("pi", 0, 0, math.pi),
    ("e", 0, 0, math.e),
    ("  x\t*\n y ", 2, 3, 6),
    ("minimum(x, y) - maximum(x, y)", 2, 5, -3),
])
def test_precedence_and_literals_follow_python(text, x, y, expected):
    assert parse(text).value(x, y) == pytest.approx(expected, rel=1e-15)


def test_results_have_the_broadcast_shape_even_for_constants():
    xs, ys = np.meshgrid(np.linspace(-1, 1, 4), np.linspace(-1, 1, 3))
    e = parse("3")
    np.testing.assert_array_equal(e.value(xs, ys), np.full((3, 4), 3.0))
    np.testing.assert_array_equal(e.gradient(xs, ys), np.zeros((3, 4, 2)))
    np.testing.assert_array_equal(e.hessian(xs, ys), np.zeros((3, 4, 2, 2)))
    assert parse("x").value(np.arange(3.0)[:, None], np.zeros((1, 5))).shape == (3, 5)
    assert parse("x*y").value(1.0, 2.0).shape == ()
    out = parse("pi").value(xs, ys)
    out[0, 0] = 0  # a fresh, writable array, not a read-only broadcast view
    assert parse("pi").value(xs, ys)[0, 0] == math.pi


def test_gradient_and_hessian_layout():
    e = parse("x**3*y + 2*y**2")  # f_x = 3x²y, f_y = x³ + 4y, f_xx = 6xy, f_xy = 3x², f_yy = 4
    x, y = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    np.testing.assert_allclose(e.gradient(x, y), np.stack([3 * x**2 * y, x**3 + 4 * y], axis=-1))
    expected = np.array([[[6 * a * b, 3 * a**2], [3 * a**2, 4]] for a, b in zip(x, y)])
    np.testing.assert_allclose(e.hessian(x, y), expected)
    assert e.hessian(1.0, 2.0).shape == (2, 2)


def test_evaluation_gives_nan_or_inf_without_warnings_and_restores_errstate():
    before = np.geterr()
    x, y = np.array([-1.0, 0.0, 1000.0]), np.array([0.5, 0.0, -1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for text in ["log(x)", "1/x", "exp(x)", "x**y", "sqrt(x)*y", "log(x)/x**-3", "tan(x)**90", "cosh(x)*0"]:
            e = parse(text)
            e.value(x, y), e.gradient(x, y), e.hessian(x, y)
        assert np.isnan(parse("log(x)").value(-1, 0)) and np.isinf(parse("1/x").value(0, 0))
        assert np.isinf(parse("exp(x)").value(1000, 0))
    assert np.geterr() == before


# ---------------------------------------------------------------------------------------------- derivatives


def _central(f, x, y, h):
    """Central differences of f (scalar or array valued) along x and along y."""
    return (f(x + h, y) - f(x - h, y)) / (2 * h), (f(x, y + h) - f(x, y - h)) / (2 * h)


def _draw_point(case, data):
    x = data.draw(st.floats(*case.xs), label="x")
    y = data.draw(st.floats(*case.ys), label="y")
    if case.kink is not None:
        assume(case.kink(x, y) > 1e-3)
    return x, y


@pytest.mark.parametrize("case", CASES, ids=str)
@SETTINGS
@given(data=st.data())
def test_gradient_matches_central_differences(case, data):
    x, y = _draw_point(case, data)
    e = parse(case.text)
    fd = np.array(_central(e.value, x, y, 1e-6))
    scale = 1 + abs(float(e.value(x, y)))
    np.testing.assert_allclose(e.gradient(x, y), fd, rtol=1e-5, atol=1e-6 * scale)


@pytest.mark.parametrize("case", CASES, ids=str)
@SETTINGS
@given(data=st.data())
def test_hessian_matches_differences_of_the_gradient(case, data):
    x, y = _draw_point(case, data)
    e = parse(case.text)
    d_dx, d_dy = _central(e.gradient, x, y, 1e-6)  # columns ∂g/∂x and ∂g/∂y
    fd = np.stack([d_dx, d_dy], axis=-1)
    scale = 1 + np.abs(e.gradient(x, y)).max()
    hessian = e.hessian(x, y)
    np.testing.assert_allclose(hessian, fd, rtol=1e-5, atol=1e-6 * scale)
    assert hessian[0, 1] == hessian[1, 0]


def test_derivatives_are_simplified():
    assert derivative(parse("3*x + y").tree, "x") == Const(3.0)
    assert derivative(parse("3*x + y").tree, "y") == Const(1.0)
    assert parse("x**2 + 3*sin(y)").hessian_trees[:2] == (Const(2.0), Const(0.0))
    assert parse("x**3").hessian_trees[0] == expressions.Mul(Const(6.0), expressions.Var("x"))
    assert parse("x*y").hessian_trees == (Const(0.0), Const(1.0), Const(0.0))
    f_xx, f_xy, f_yy = parse("(x - 1)**2 + 100*(y - x**2)**2").hessian_trees
    assert (f_xy, f_yy) == (expressions.Mul(Const(-400.0), expressions.Var("x")), Const(200.0))
    assert size(f_xx) < 20


def test_kinks_use_sign_and_where():
    f_x = derivative(parse("abs(x)").tree, "x")
    assert f_x == expressions.Call("sign", (expressions.Var("x"),))
    assert isinstance(derivative(parse("minimum(x, y)").tree, "x"), Where)
    e = parse("minimum(x, 2*y) + maximum(x, y)")
    np.testing.assert_array_equal(e.gradient(np.array([0.0, 3.0]), np.array([1.0, 1.0])), [[1, 1], [1, 2]])
    with pytest.raises(ValueError, match="var must be"):
        derivative(parse("x").tree, "z")


def test_deep_and_long_expressions_keep_their_derivatives_small():
    # A resource bound, not a stopwatch: second derivatives of the worst inputs within the limits stay a few
    # times the size of the formula (symbolic differentiation could otherwise grow them exponentially).
    grid = np.meshgrid(np.linspace(-1, 1, 100), np.linspace(-1, 1, 100))
    for text in ["tan(" * 28 + "x*y" + ")" * 28, "x**" * 28 + "y", "*".join(["sin(x*y)"] * 30),
                 "exp(sin(x**y)/cos(y**x))*" * 9 + "x", "minimum(" * 14 + "x" + ",y**x)" * 14]:
        e = parse(text)
        assert all(size(tree) <= 10 * MAX_NODES for tree in e.hessian_trees), text
        assert e.hessian(*grid).shape == (100, 100, 2, 2)


# Random formulas built alongside their NumPy twin, from operations smooth everywhere.
_LEAVES = st.sampled_from([("x", lambda x, y: x), ("y", lambda x, y: y), ("1.5", lambda x, y: 1.5 + 0 * x),
                           ("pi", lambda x, y: np.pi + 0 * x)])
_BINARY = {"+": np.add, "-": np.subtract, "*": np.multiply}
_UNARY = {"sin": np.sin, "cos": np.cos, "tanh": np.tanh}


def _combine(children):
    binary = st.tuples(children, st.sampled_from(sorted(_BINARY)), children).map(
        lambda t: (f"({t[0][0]}) {t[1]} ({t[2][0]})",
                   lambda x, y, a=t[0][1], op=_BINARY[t[1]], b=t[2][1]: op(a(x, y), b(x, y))))
    unary = st.tuples(st.sampled_from(sorted(_UNARY)), children).map(
        lambda t: (f"{t[0]}({t[1][0]})", lambda x, y, f=_UNARY[t[0]], a=t[1][1]: f(a(x, y))))
    powers = st.tuples(children, st.sampled_from(["**", "^"]), st.sampled_from([2, 3])).map(
        lambda t: (f"({t[0][0]}){t[1]}{t[2]}", lambda x, y, a=t[0][1], k=t[2]: a(x, y) ** k))
    ratio = children.map(lambda t: (f"-({t[0]})/(2 + y**2)", lambda x, y, a=t[1]: -a(x, y) / (2 + y**2)))
    roots = children.map(lambda t: (f"sqrt(1 + ({t[0]})^2)", lambda x, y, a=t[1]: np.sqrt(1 + a(x, y) ** 2)))
    return st.one_of(binary, unary, powers, ratio, roots)


FORMULAS = st.recursive(_LEAVES, _combine, max_leaves=6)
UNIT = st.floats(-1, 1)


@SETTINGS
@given(formula=FORMULAS, x=UNIT, y=UNIT)
def test_random_formulas_match_numpy_and_finite_differences(formula, x, y):
    text, numpy_fn = formula
    try:
        e = parse(text)
    except ExpressionError as err:  # a formula beyond the size limits is not what this test is about
        if any(limit in str(err) for limit in ("characters long", "too big", "nested too deeply")):
            reject()
        raise
    value = float(e.value(x, y))
    assert value == pytest.approx(float(numpy_fn(x, y)), rel=1e-9, abs=1e-12)
    gradient = e.gradient(x, y)
    scale = 1 + abs(value) + np.abs(gradient).max()
    np.testing.assert_allclose(gradient, _central(e.value, x, y, 1e-6), rtol=1e-5, atol=1e-6 * scale)
    d_dx, d_dy = _central(e.gradient, x, y, 1e-6)
    np.testing.assert_allclose(e.hessian(x, y), np.stack([d_dx, d_dy], axis=-1), rtol=1e-4, atol=1e-5 * scale)


# ------------------------------------------------------------------------------------------------- errors


@pytest.mark.parametrize("text, column, token", [
    ("__import__('os').system('ls')", 1, "`__import__`"),
    ("x.__class__", 2, "`.`"),
    ("(lambda: 1)()", 2, "`lambda`"),
    ("[x for x in y]", 1, "`[`"),
    ("os", 1, "`os`"),
    ("x + os", 5, "`os`"),
    ("z + 1", 1, "`z`"),
    ("x[0]", 2, "`[`"),
    ("'a'", 1, "`'`"),
    ('"a"', 1, '`"`'),
    ("x if y else 1", 3, "`if`"),
    ("x and y", 3, "`and`"),
    ("x == y", 3, "`=`"),
    ("x < y", 3, "`<`"),
    ("x := 1", 3, "`:`"),
    ("f'{x}'", 1, "`f`"),
    ("*x", 1, "`*`"),
    ("x % y", 3, "`%`"),
    ("x // y", 4, "`/`"),
    ("sin(x=1)", 6, "`=`"),
    ("exp.__globals__", 4, "`.`"),
    ("__builtins__", 1, "`__builtins__`"),
    ("1j", 2, "`j`"),
    ("x²", 2, "`²`"),
    ("x\x00", 2, "'\\x00'"),
    ("min(x, y)", 1, "did you mean minimum"),
    ("sin(x, y)", 1, "takes 1 argument, got 2"),
    ("minimum(x)", 1, "takes 2 arguments, got 1"),
    ("sin()", 1, "takes 1 argument, got 0"),
    ("sin", 1, "must be followed by brackets"),
    ("sin(x)(y)", 7, "`(`"),
    ("x(1)", 2, "`(`"),
    ("2x", 2, "`x`"),
    ("x y", 3, "`y`"),
    ("(x, y)", 3, "`,`"),
    ("sin(x,)", 7, "`)`"),
    ("1 +", 4, "ends too early"),
    ("(x", 3, "ends too early"),
    ("x)", 2, "no matching `(`"),
    ("x +* y", 4, "`*`"),
    ("", 1, "empty"),
    ("   ", 1, "empty"),
    ("1e999", 1, "too large a number"),
    ("9**9**9", 2, "exponent"),
    ("10**10**10", 3, "exponent"),
    ("x**101", 2, f"between -{MAX_EXPONENT} and {MAX_EXPONENT}"),
    ("x^(50 + 51)", 2, "exponent"),
    ("x**-(10**3)", 2, "exponent"),
    ("x**(0/0)", 2, "exponent"),
    ("x" * 10_000, MAX_LENGTH + 1, f"limit of {MAX_LENGTH} characters"),
    ("(" * 1000 + "x" + ")" * 1000, MAX_LENGTH + 1, f"limit of {MAX_LENGTH} characters"),
    ("(" * 100 + "x" + ")" * 100, MAX_DEPTH + 1, "nested too deeply"),
    ("-" * 100 + "x", MAX_DEPTH + 1, "nested too deeply"),
    ("x+" * 100 + "x", 200, "too big"),  # the 201st node is the `+` at column 200
])
def test_rejected_with_the_token_and_its_column(text, column, token):
    with pytest.raises(ExpressionError) as info:
        parse(text)
    assert info.value.column == column
    assert f"column {column}" in str(info.value)
    assert token in str(info.value)
    assert isinstance(info.value, ValueError)


def test_message_shape_for_a_forbidden_name():
    with pytest.raises(ExpressionError, match=r"^`os` is not allowed at column 5: use x, y, numbers, \+ - \* / \*\*"):
        parse("x + os")


def test_limits_are_inclusive():
    assert parse("x" + " " * (MAX_LENGTH - 1)).text == "x"
    parse("x+" * ((MAX_NODES - 1) // 2) + "x")  # MAX_NODES - 1 nodes
    parse("(" * (MAX_DEPTH - 1) + "x" + ")" * (MAX_DEPTH - 1))
    parse(f"x**{MAX_EXPONENT} + y**-{MAX_EXPONENT} + x**(y*1000)")  # a variable exponent is not limited


@pytest.mark.parametrize("text", ["9**9**9", "10**10**10", "2**2**2**2**2**2**2", "(9**9)**(9**9)",
                                  "10**100**100", "(10**100)**100 + x", "x**(9**9**9**9)"])
def test_huge_powers_are_refused_or_folded_to_floats(text):
    # Constants are floats, so nothing can build a huge integer; a hang would trip pytest-timeout.
    try:
        e = parse(text)
        e.value(1.0, 1.0), e.hessian(1.0, 1.0)
    except ExpressionError as err:
        assert "exponent" in str(err)
    else:
        assert all(isinstance(c.value, float) for c in _constants(e.tree))


def _constants(node):
    if isinstance(node, Const):
        return [node]
    return [c for child in getattr(node, "children", ()) for c in _constants(child)]


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_deep_nesting_is_refused_without_recursion(monkeypatch, depth):
    monkeypatch.setattr(expressions, "MAX_LENGTH", 10**7)  # so the depth guard, not the length guard, answers
    for text in ["(" * depth + "x" + ")" * depth, "-" * depth + "x", "x**" * depth + "x", "sin(" * depth + "x"]:
        with pytest.raises(ExpressionError, match="nested too deeply") as info:
            parse(text)
        assert f"column {info.value.column}" in str(info.value)


def test_python_recursion_limit_becomes_an_expression_error(monkeypatch):
    monkeypatch.setattr(expressions, "MAX_LENGTH", 10**7)
    monkeypatch.setattr(expressions, "MAX_DEPTH", 10**7)  # only the fallback is left
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse("(" * 50_000 + "x" + ")" * 50_000)


def test_non_text_is_refused():
    with pytest.raises(ExpressionError, match="must be text") as info:
        parse(3)
    assert info.value.column is None


# Random text: the parser either returns an Expression or raises ExpressionError with a sensible column.
_TOKENS = ["x", "y", "1", "2.5", ".5", "1e3", "pi", "e", "+", "-", "*", "/", "**", "^", "(", ")", ",", " ",
           "sin(", "minimum(", "abs(", "exp(", "log(", "sqrt(", "tan(", ".", "'", "[", "]", "os", "_", "=", "x**9"]


def _check_parse_or_refuse(text):
    try:
        e = parse(text)
    except ExpressionError as err:
        assert err.column is not None and 1 <= err.column <= len(text) + 1
        assert f"column {err.column}" in str(err)
        return
    p = np.array([[0.3, -0.7], [2.0, 1.5]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert e.value(p[:, 0], p[:, 1]).shape == (2,)
        assert e.gradient(p[:, 0], p[:, 1]).shape == (2, 2)
        assert e.hessian(p[:, 0], p[:, 1]).shape == (2, 2, 2)
        assert isinstance(e.latex(), str)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_TOKENS), max_size=40).map("".join))
def test_token_soup_is_parsed_or_refused_cleanly(text):
    _check_parse_or_refuse(text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_arbitrary_text_is_parsed_or_refused_cleanly(text):
    _check_parse_or_refuse(text)


# ------------------------------------------------------------------------------------ nothing is executed

VALID = [case.text for case in CASES]
MALICIOUS = ["__import__('os').system('ls')", "x.__class__", "(lambda: 1)()", "[x for x in y]", "os", "eval('1')",
             "exec('import os')", "compile('1', '', 'eval')", "getattr(x, 'y')", "9**9**9", "x" * 10_000]


def test_parsing_and_evaluating_run_no_python_code(monkeypatch):
    called = []

    def trap(name):
        def refuse(*args, **kwargs):
            called.append(name)
            raise AssertionError(f"{name} was called")
        return refuse

    for name in ("eval", "exec", "compile", "__import__"):
        monkeypatch.setattr(builtins, name, trap(name))
    try:
        with pytest.raises(AssertionError):  # the trap is live: even an import statement now fails
            import fractions  # noqa: F401
        called.clear()
        for text in VALID + MALICIOUS:
            try:
                e = parse(text)
            except ExpressionError:
                continue
            e.value(0.5, 0.5), e.gradient(0.5, 0.5), e.hessian(0.5, 0.5), e.latex()
            to_objective(text).hessian([0.5, 0.5])
    finally:
        monkeypatch.undo()  # before pytest reports anything: reporting imports modules
    assert called == []


SOURCE = Path(expressions.__file__).read_text()


def test_module_source_has_no_dynamic_execution():
    for needle in ("eval(", "exec(", "compile(", "__import__", "getattr(", "globals(", "import ast"):
        assert needle not in SOURCE, needle
    tree = ast.parse(SOURCE)
    names = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    names |= {n.func.attr for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)}
    assert not names & {"eval", "exec", "compile", "__import__", "getattr", "setattr", "globals", "vars", "open"}
    imported = {alias.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for alias in n.names}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert imported <= {"__future__", "collections", "dataclasses", "math", "string", "typing", "numpy", "core"}


# ----------------------------------------------------------------------------------------------- objective


def test_to_objective_wraps_the_expression():
    obj = to_objective("x**2 + 3*sin(y)")
    assert isinstance(obj, Objective)
    assert (obj.name, obj.label) == ("custom", "x**2 + 3*sin(y)")
    assert obj.latex == r"x^{2} + 3 \cdot \sin\left(y\right)"
    assert obj.domain == ((-3.0, 3.0), (-3.0, 3.0))
    assert obj.minima.shape == (0, 2)
    p = np.array([1.0, 2.0])
    assert obj.value(p) == pytest.approx(1 + 3 * np.sin(2))
    np.testing.assert_allclose(obj.gradient(p), [2, 3 * np.cos(2)])
    np.testing.assert_allclose(obj.hessian(p), [[2, 0], [0, -3 * np.sin(2)]])


@pytest.mark.parametrize("shape", [(2,), (5, 2), (4, 3, 2)])
def test_objective_shapes_follow_the_objective_contract(shape):
    obj = to_objective("x*y + 1")
    p = np.random.default_rng(1).normal(size=shape)
    assert obj.value(p).shape == shape[:-1]
    assert obj.gradient(p).shape == shape
    assert obj.hessian(p).shape == shape + (2,)
    np.testing.assert_allclose(obj.value(p), p[..., 0] * p[..., 1] + 1)
    np.testing.assert_allclose(obj.gradient(p), p[..., ::-1])
    assert obj.value(p.tolist()).shape == shape[:-1]  # lists are accepted too


def test_objective_domain_and_bad_inputs():
    assert to_objective("x", domain=((0, 1), (-2, 5.5))).domain == ((0.0, 1.0), (-2.0, 5.5))
    with pytest.raises(ValueError, match="domain x max must be greater than 1"):
        to_objective("x", domain=((1, 1), (0, 1)))
    with pytest.raises(ValueError, match="domain y min must be a finite number"):
        to_objective("x", domain=((0, 1), (np.nan, 1)))
    with pytest.raises(ValueError, match="domain must be"):
        to_objective("x", domain=(0, 1))
    with pytest.raises(ValueError, match="last axis"):
        to_objective("x").value(np.zeros(3))
    with pytest.raises(ExpressionError, match="column 1"):
        to_objective("os")


@pytest.mark.parametrize("text, latex", [
    ("x**2 + 3*sin(y)", r"x^{2} + 3 \cdot \sin\left(y\right)"),
    ("sqrt(x)/y", r"\frac{\sqrt{x}}{y}"),
    ("-(x + y)**2", r"-\left(x + y\right)^{2}"),
    ("(x/y)^2", r"\left(\frac{x}{y}\right)^{2}"),
    ("abs(x) - (y - 1)", r"\left|x\right| - \left(y - 1\right)"),
    ("pi*e + x*-y", r"\pi \cdot e + x \cdot \left(-y\right)"),
    ("minimum(x, y)", r"\min\left(x, y\right)"),
    ("2^3^2", "2^{3^{2}}"),
    ("1e-3*exp(x)", r"10^{-3} \cdot \exp\left(x\right)"),
])
def test_latex(text, latex):
    assert parse(text).latex() == latex


def test_objective_for_gives_the_formula_the_bowl_or_a_named_surface_and_refuses_others():
    from core.objectives import OBJECTIVES

    custom = expressions.objective_for("custom", "x**2 + 3*y**2")
    np.testing.assert_allclose(custom.value(np.array([1.0, 2.0])), 13.0)
    bowl = expressions.objective_for("bowl", condition=5.0, angle=30.0)
    reference = OBJECTIVES["bowl"](condition=5.0, angle=30.0)
    np.testing.assert_allclose(bowl.value(np.array([0.7, -1.2])), reference.value(np.array([0.7, -1.2])))
    for name, factory in OBJECTIVES.items():
        assert expressions.objective_for(name).name == factory().name
    for bad in ("nope", ["bowl"], None):
        with pytest.raises(ValueError, match="surface must be custom or one of"):
            expressions.objective_for(bad)
