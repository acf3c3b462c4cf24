"""User-typed surfaces f(x, y), parsed safely, with exact first and second derivatives.

A learner types something like ``x**2 + 3*sin(y)``. :func:`parse` turns it into an :class:`Expression` whose
value, gradient and Hessian are vectorised NumPy functions; :func:`to_objective` wraps it as an
:class:`~core.objectives.Objective` for the optimizer explorer.

Safety. The text is read by a small hand-written tokenizer and recursive-descent parser into this module's own
immutable node classes, which are then walked by plain NumPy code. Nothing the user typed is ever run as Python:
there is no evaluator, no code object and no attribute look-up by name. Anything outside the grammar is rejected
with :class:`ExpressionError`, whose message names the offending token and its 1-based column (``.column``).

Grammar (Python's precedence; ``^`` also means power, because learners type it)::

    expression := term (("+" | "-") term)*
    term       := unary (("*" | "/") unary)*
    unary      := ("+" | "-") unary | power
    power      := atom (("**" | "^") unary)?     right-associative: 2**3**2 = 2**9 and -x**2 = -(x**2)
    atom       := number | "x" | "y" | "pi" | "e" | "(" expression ")"
                | function "(" expression ("," expression)* ")"
    function   := sin cos tan exp log sqrt abs tanh sinh cosh   (one argument)
                | minimum maximum                                (two arguments)
    number     := digits ["." digits] [("e" | "E") ["+" | "-"] digits]   also ".5" and "2."; no complex, no "_"

Limits, checked before anything is computed: at most :data:`MAX_LENGTH` characters, :data:`MAX_NODES` nodes,
:data:`MAX_DEPTH` nested brackets / signs / powers, and a constant exponent within ±:data:`MAX_EXPONENT`
(so ``9**9**9`` is refused at once; constants are floats, so folding can never build a huge number).
Evaluation runs under ``np.errstate(all="ignore")``: ``log(-1)``, ``1/0`` or ``exp(1000)`` give nan or inf,
never a warning or an exception.
"""

from __future__ import annotations

import math
import string
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterator, Union

import numpy as np

from core.objectives import OBJECTIVES, Objective
from core.validation import check_array, check_float

#: Longest text accepted, in characters.
MAX_LENGTH = 300
#: Most nodes (numbers, names, operators, calls) one expression may have.
MAX_NODES = 200
#: Deepest nesting of brackets, signs and powers.
MAX_DEPTH = 30
#: Largest absolute value of a constant exponent.
MAX_EXPONENT = 100
#: Most points one evaluation may cover (every operation makes an array this big: 8 MB at the limit).
MAX_POINTS = 1_000_000

#: The functions a user may call, with their number of arguments.
ARITY = {"sin": 1, "cos": 1, "tan": 1, "exp": 1, "log": 1, "sqrt": 1, "abs": 1, "tanh": 1, "sinh": 1,
         "cosh": 1, "minimum": 2, "maximum": 2}
CONSTANTS = {"pi": math.pi, "e": math.e}
VARIABLES = ("x", "y")
HINT = ("use x, y, numbers, + - * / ** (or ^), pi, e and sin, cos, tan, exp, log, sqrt, abs, tanh, sinh, cosh, "
        "minimum(a, b), maximum(a, b)")
_SUGGESTIONS = {"min": "minimum", "max": "maximum", "ln": "log", "X": "x", "Y": "y", "Pi": "pi", "PI": "pi"}

# ``sign`` is not typed by users: it only appears in the derivative of ``abs``.
_NUMPY_FUNCTIONS = {"sin": np.sin, "cos": np.cos, "tan": np.tan, "exp": np.exp, "log": np.log, "sqrt": np.sqrt,
                    "abs": np.abs, "tanh": np.tanh, "sinh": np.sinh, "cosh": np.cosh, "minimum": np.minimum,
                    "maximum": np.maximum, "sign": np.sign}


class ExpressionError(ValueError):
    """The text is not an allowed formula; ``column`` is the 1-based position of the problem (None if none)."""

    def __init__(self, message: str, column: int | None = None):
        super().__init__(message)
        self.column = column


# --------------------------------------------------------------------------------------------------- nodes


@dataclass(frozen=True, slots=True)
class Const:
    """A number; ``text`` is how it was typed (``"pi"``, ``"1e-3"``), kept for LaTeX only."""

    value: float
    text: str | None = field(default=None, compare=False)

    @property
    def children(self) -> tuple:
        return ()


@dataclass(frozen=True, slots=True)
class Var:
    """The variable ``x`` or ``y``."""

    name: str

    @property
    def children(self) -> tuple:
        return ()


@dataclass(frozen=True, slots=True)
class Neg:
    """``-operand``."""

    operand: Node

    @property
    def children(self) -> tuple:
        return (self.operand,)


@dataclass(frozen=True, slots=True)
class _Binary:
    left: Node
    right: Node

    @property
    def children(self) -> tuple:
        return (self.left, self.right)


@dataclass(frozen=True, slots=True)
class Add(_Binary):
    """``left + right``."""


@dataclass(frozen=True, slots=True)
class Sub(_Binary):
    """``left - right``."""


@dataclass(frozen=True, slots=True)
class Mul(_Binary):
    """``left * right``."""


@dataclass(frozen=True, slots=True)
class Div(_Binary):
    """``left / right``."""


@dataclass(frozen=True, slots=True)
class Pow(_Binary):
    """``left ** right``."""


@dataclass(frozen=True, slots=True)
class Call:
    """``func(*args)`` for a whitelisted function name."""

    func: str
    args: tuple

    @property
    def children(self) -> tuple:
        return self.args


@dataclass(frozen=True, slots=True)
class Where:
    """``then`` where ``a <= b``, else ``other``: the derivative of minimum / maximum (never typed by users)."""

    a: Node
    b: Node
    then: Node
    other: Node

    @property
    def children(self) -> tuple:
        return (self.a, self.b, self.then, self.other)


Node = Union[Const, Var, Neg, Add, Sub, Mul, Div, Pow, Call, Where]
ZERO, ONE, TWO = Const(0.0), Const(1.0), Const(2.0)
_UFUNCS = {Add: np.add, Sub: np.subtract, Mul: np.multiply, Div: np.divide, Pow: np.power}


def _postorder(roots) -> list:
    """Every distinct node (by identity) under ``roots``, children before parents, without recursion."""
    order, done = [], set()
    stack = [(root, False) for root in reversed(roots)]
    while stack:
        node, expanded = stack.pop()
        if id(node) in done:
            continue
        if expanded:
            done.add(id(node))
            order.append(node)
        else:
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(node.children) if id(child) not in done)
    return order


# ---------------------------------------------------------------------------------------------- evaluation


def _apply(node: Node, args: list, x, y):
    """The value of one node given its children's values."""
    if isinstance(node, Const):
        return np.float64(node.value)
    if isinstance(node, Var):
        return x if node.name == "x" else y
    if isinstance(node, Neg):
        return np.negative(args[0])
    if isinstance(node, Call):
        return _NUMPY_FUNCTIONS[node.func](*args)
    if isinstance(node, Where):
        a, b, then, other = args
        return np.where(a <= b, then, other)
    return _UFUNCS[type(node)](*args)


def _evaluate_all(roots, x, y) -> list[np.ndarray]:
    """Evaluate several trees at once, sharing common subtrees and freeing each value once it is used up."""
    for root in roots:
        _check_node(root)
    x, y = check_array("x", x), check_array("y", y)
    try:
        shape = np.broadcast_shapes(x.shape, y.shape)
    except ValueError:
        raise ValueError(f"x and y must have shapes that broadcast together, got {x.shape} and {y.shape}.") from None
    if math.prod(shape) > MAX_POINTS:
        raise ValueError(f"x and y span {math.prod(shape):,} points; evaluate at most {MAX_POINTS:,} at a time.")
    order = _postorder(roots)
    uses = Counter(id(child) for node in order for child in node.children)
    uses.update(id(root) for root in roots)  # roots are never freed
    values = {}
    with np.errstate(all="ignore"):
        for node in order:
            args = [values[id(child)] for child in node.children]
            for child in node.children:
                uses[id(child)] -= 1
                if uses[id(child)] == 0:
                    del values[id(child)]
            values[id(node)] = _apply(node, args, x, y)
    return [np.array(np.broadcast_to(values[id(root)], shape), dtype=float) for root in roots]


def evaluate(node: Node, x, y) -> np.ndarray:
    """``node`` at broadcastable arrays ``x``, ``y`` (finite, at most :data:`MAX_POINTS` together); always an array
    of the broadcast shape, never a warning."""
    return _evaluate_all([node], x, y)[0]


_NODE_TYPES = (Const, Var, Neg, Add, Sub, Mul, Div, Pow, Call, Where)


def _check_node(node) -> None:
    if not isinstance(node, _NODE_TYPES):
        raise ValueError(f"node must be an expression tree (e.g. parse(text).tree), got {type(node).__name__}.")


def _constant_value(node: Node) -> float | None:
    """The value of a tree without variables (None if it has one). Floats only, so it is always quick."""
    if any(isinstance(n, Var) for n in _postorder([node])):
        return None
    return float(evaluate(node, 0.0, 0.0))


# ------------------------------------------------------------------------------ simplifying constructors


def _is(node: Node, value: float) -> bool:
    return isinstance(node, Const) and node.value == value


def _fold(node: Node) -> Node:
    """Replace an operation on constants by its (float, never huge, maybe inf/nan) value."""
    if node.children and all(isinstance(c, Const) for c in node.children):
        with np.errstate(all="ignore"):
            return Const(float(_apply(node, [np.float64(c.value) for c in node.children], None, None)))
    return node


def add(a: Node, b: Node) -> Node:
    """``a + b`` with 0 + a = a + 0 = a."""
    if _is(a, 0):
        return b
    if _is(b, 0):
        return a
    return _fold(Add(a, b))


def sub(a: Node, b: Node) -> Node:
    """``a - b`` with a - 0 = a and 0 - b = -b."""
    if _is(b, 0):
        return a
    if _is(a, 0):
        return neg(b)
    return _fold(Sub(a, b))


def neg(a: Node) -> Node:
    """``-a`` with --a = a, -(c) folded and -(c*u) = (-c)*u."""
    if isinstance(a, Neg):
        return a.operand
    if isinstance(a, Const):
        return Const(-a.value)
    if isinstance(a, Mul) and isinstance(a.left, Const):
        return mul(Const(-a.left.value), a.right)
    return Neg(a)


def mul(a: Node, b: Node) -> Node:
    """``a * b`` with 0*a = 0, 1*a = a, -1*a = -a, constants moved left and gathered: c1*(c2*u) = (c1 c2)*u."""
    if isinstance(b, Const) and not isinstance(a, Const):
        a, b = b, a
    if _is(a, 0) or _is(b, 0):
        return ZERO
    if _is(a, 1):
        return b
    if _is(a, -1):
        return neg(b)
    if isinstance(a, Const) and isinstance(b, Mul) and isinstance(b.left, Const):
        return mul(_fold(Mul(a, b.left)), b.right)
    if isinstance(a, Const) and isinstance(b, Neg):
        return mul(Const(-a.value), b.operand)
    return _fold(Mul(a, b))


def div(a: Node, b: Node) -> Node:
    """``a / b`` with 0/b = 0 and a/1 = a."""
    if _is(a, 0):
        return ZERO
    if _is(b, 1):
        return a
    return _fold(Div(a, b))


def power(a: Node, b: Node) -> Node:
    """``a ** b`` with a**0 = 1 and a**1 = a."""
    if _is(b, 0):
        return ONE
    if _is(b, 1):
        return a
    return _fold(Pow(a, b))


def call(func: str, *args: Node) -> Node:
    """``func(*args)``, folded when every argument is a constant."""
    return _fold(Call(func, tuple(args)))


def where(a: Node, b: Node, then: Node, other: Node) -> Node:
    """``then if a <= b else other``, elementwise; collapses when both branches are the same constant."""
    if isinstance(then, Const) and isinstance(other, Const) and then.value == other.value:
        return then
    return _fold(Where(a, b, then, other))


_REBUILD = {Neg: neg, Add: add, Sub: sub, Mul: mul, Div: div, Pow: power, Where: where}


def _rebuild(node: Node, children: list) -> Node:
    if isinstance(node, (Const, Var)):
        return node
    if isinstance(node, Call):
        return call(node.func, *children)
    return _REBUILD[type(node)](*children)


def simplify(node: Node) -> Node:
    """The same function rebuilt through the simplifying constructors (constants folded, 0 and 1 removed)."""
    _check_node(node)
    new: dict[int, Node] = {}
    for n in _postorder([node]):
        new[id(n)] = _rebuild(n, [new[id(c)] for c in n.children])
    return new[id(node)]


# ------------------------------------------------------------------------------------------ derivatives

# f'(u) for f(u) = node, as a tree; the chain rule multiplies it by u'.
_OUTER_DERIVATIVE = {
    "sin": lambda node, u: call("cos", u),
    "cos": lambda node, u: neg(call("sin", u)),
    "tan": lambda node, u: div(ONE, power(call("cos", u), TWO)),
    "exp": lambda node, u: node,
    "log": lambda node, u: div(ONE, u),
    "sqrt": lambda node, u: div(ONE, mul(TWO, node)),
    "abs": lambda node, u: call("sign", u),
    "tanh": lambda node, u: sub(ONE, power(node, TWO)),
    "sinh": lambda node, u: call("cosh", u),
    "cosh": lambda node, u: call("sinh", u),
    "sign": lambda node, u: ZERO,
}


def _derivative_of_power(node: Pow, du: Node, dv: Node) -> Node:
    """(u**c)' = c u**(c-1) u' for constant c; (a**v)' = a**v log(a) v' for constant a;
    otherwise (u**v)' = u**v (v' log u + v u' / u)."""
    u, v = node.left, node.right
    if isinstance(v, Const):
        return mul(mul(v, power(u, Const(v.value - 1))), du)
    if isinstance(u, Const):
        return mul(mul(node, call("log", u)), dv)
    return mul(node, add(mul(dv, call("log", u)), div(mul(v, du), u)))


def _derivative_rule(node: Node, var: str, d: list) -> Node:
    """d node / d var, given the derivatives ``d`` of its children."""
    if isinstance(node, Const):
        return ZERO
    if isinstance(node, Var):
        return ONE if node.name == var else ZERO
    if isinstance(node, Neg):
        return neg(d[0])
    if isinstance(node, (Add, Sub)):
        return (add if isinstance(node, Add) else sub)(d[0], d[1])
    if isinstance(node, Mul):
        return add(mul(d[0], node.right), mul(node.left, d[1]))
    if isinstance(node, Div):
        a, b = node.children
        return div(sub(mul(d[0], b), mul(a, d[1])), power(b, TWO)) if not isinstance(b, Const) else div(d[0], b)
    if isinstance(node, Pow):
        return _derivative_of_power(node, d[0], d[1])
    if isinstance(node, Where):
        return where(node.a, node.b, d[2], d[3])
    if node.func == "minimum":
        return where(node.args[0], node.args[1], d[0], d[1])
    if node.func == "maximum":
        return where(node.args[1], node.args[0], d[0], d[1])
    return mul(_OUTER_DERIVATIVE[node.func](node, node.args[0]), d[0])


def derivative(node: Node, var: str) -> Node:
    """The exact partial derivative of ``node`` with respect to ``var`` ("x" or "y"), simplified.

    Rules: sum, product and quotient rules; chain rule for every function (sin' = cos, cos' = -sin,
    tan' = 1/cos², exp' = exp, log' = 1/u, sqrt' = 1/(2 sqrt), abs' = sign, tanh' = 1 - tanh², sinh' = cosh,
    cosh' = sinh); minimum(a, b)' = where(a <= b, a', b') and maximum likewise; powers as in
    :func:`_derivative_of_power`. At kinks (abs at 0, minimum at a = b) one one-sided derivative is used.
    """
    if not isinstance(var, str) or var not in VARIABLES:
        raise ValueError(f"var must be 'x' or 'y', got {var!r}.")
    root = simplify(node)
    d: dict[int, Node] = {}
    for n in _postorder([root]):
        d[id(n)] = _derivative_rule(n, var, [d[id(c)] for c in n.children])
    return d[id(root)]


def size(node: Node) -> int:
    """Number of distinct nodes in the tree (shared subtrees counted once)."""
    _check_node(node)
    return len(_postorder([node]))


# ------------------------------------------------------------------------------------------- tokenizer


@dataclass(frozen=True)
class _Token:
    kind: str  # "number", "name", "op" or "end"
    text: str
    column: int  # 1-based


_DIGITS = frozenset(string.digits)
_NAME_START = frozenset(string.ascii_letters + "_")
_NAME_CHARS = _NAME_START | _DIGITS
_SPACES = frozenset(" \t\r\n")
_SINGLE_OPERATORS = frozenset("+-*/^(),")
_ALLOWED_NAMES = frozenset(VARIABLES) | frozenset(CONSTANTS) | frozenset(ARITY)


def _show(token: str) -> str:
    """A token as it appears in a message: backquoted, shortened, control characters escaped."""
    token = token if len(token) <= 20 else token[:20] + "…"
    return f"`{token}`" if token.isprintable() else repr(token)


def _not_allowed(token: str, column: int) -> ExpressionError:
    hint = f"did you mean {_SUGGESTIONS[token]}? Otherwise {HINT}" if token in _SUGGESTIONS else HINT
    return ExpressionError(f"{_show(token)} is not allowed at column {column}: {hint}.", column)


def _skip_digits(text: str, i: int) -> int:
    while i < len(text) and text[i] in _DIGITS:
        i += 1
    return i


def _number_end(text: str, i: int) -> int:
    """End of the decimal literal starting at ``i``: digits, optional fraction, optional exponent."""
    i = _skip_digits(text, i)
    if text[i:i + 1] == ".":
        i = _skip_digits(text, i + 1)
    if text[i:i + 1] in ("e", "E"):
        j = i + 1 + (text[i + 1:i + 2] in ("+", "-"))
        if text[j:j + 1] in _DIGITS:
            i = _skip_digits(text, j)
    return i


def _tokenize(text: str) -> Iterator[_Token]:
    """Tokens one at a time (so the leftmost problem is reported first), then an "end" token."""
    i = 0
    while i < len(text):
        char = text[i]
        if char in _SPACES:
            i += 1
            continue
        if char in _DIGITS or (char == "." and text[i + 1:i + 2] in _DIGITS):
            kind, end = "number", _number_end(text, i)
        elif char in _NAME_START:
            kind, end = "name", i
            while end < len(text) and text[end] in _NAME_CHARS:
                end += 1
            if text[i:end] not in _ALLOWED_NAMES:
                raise _not_allowed(text[i:end], i + 1)
        elif text.startswith("**", i):
            kind, end = "op", i + 2
        elif char in _SINGLE_OPERATORS:
            kind, end = "op", i + 1
        else:
            raise _not_allowed(char, i + 1)
        yield _Token(kind, text[i:end], i + 1)
        i = end
    yield _Token("end", "", len(text) + 1)


# ---------------------------------------------------------------------------------------------- parser


class _Parser:
    """Recursive descent over the grammar in the module docstring, building nodes and enforcing the limits."""

    def __init__(self, text: str):
        self.tokens = _tokenize(text)
        self.token = next(self.tokens)
        self.depth = 0
        self.nodes = 0

    def parse(self) -> Node:
        if self.token.kind == "end":
            raise ExpressionError("The expression is empty at column 1: type a formula in x and y, "
                                  "e.g. x**2 + 3*sin(y).", 1)
        node = self.sum()
        if self.token.text == ")":
            raise ExpressionError(f"`)` at column {self.token.column} has no matching `(`.", self.token.column)
        if self.token.kind != "end":
            raise self.unexpected("an operator such as + or * (is one missing?)")
        return node

    def advance(self) -> _Token:
        token, self.token = self.token, next(self.tokens)
        return token

    def unexpected(self, expected: str) -> ExpressionError:
        token = self.token
        if token.kind == "end":
            return ExpressionError(f"The expression ends too early at column {token.column}: expected {expected}.",
                                   token.column)
        return ExpressionError(f"{_show(token.text)} at column {token.column} is not expected here: "
                               f"expected {expected}.", token.column)

    def expect_close(self, opened: _Token) -> None:
        if self.token.text != ")":
            raise self.unexpected(f"an operator or `)` to close the `(` at column {opened.column}")
        self.advance()

    def make(self, token: _Token, cls, *fields) -> Node:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ExpressionError(f"The expression is too big at column {token.column} ({_show(token.text)}): "
                                  f"at most {MAX_NODES} numbers, names and operations are allowed.", token.column)
        return cls(*fields)

    def sum(self) -> Node:
        node = self.product()
        while self.token.text in ("+", "-"):
            op = self.advance()
            node = self.make(op, Add if op.text == "+" else Sub, node, self.product())
        return node

    def product(self) -> Node:
        node = self.unary()
        while self.token.text in ("*", "/"):
            op = self.advance()
            node = self.make(op, Mul if op.text == "*" else Div, node, self.unary())
        return node

    def unary(self) -> Node:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise ExpressionError(f"{_show(self.token.text)} at column {self.token.column} is nested too deeply: "
                                      f"at most {MAX_DEPTH} levels of brackets, signs and powers are allowed.",
                                      self.token.column)
            if self.token.text in ("+", "-"):
                op = self.advance()
                operand = self.unary()
                return operand if op.text == "+" else self.make(op, Neg, operand)
            return self.power()
        finally:
            self.depth -= 1

    def power(self) -> Node:
        base = self.atom()
        if self.token.text not in ("**", "^"):
            return base
        op = self.advance()
        exponent = self.unary()
        value = _constant_value(exponent)
        if value is not None and not abs(value) <= MAX_EXPONENT:
            raise ExpressionError(f"{_show(op.text)} at column {op.column} raises to the power {value:g}: a constant "
                                  f"exponent must be between -{MAX_EXPONENT} and {MAX_EXPONENT}.", op.column)
        return self.make(op, Pow, base, exponent)

    def atom(self) -> Node:
        token = self.token
        if token.kind == "number":
            self.advance()
            value = float(token.text)
            if not math.isfinite(value):
                raise ExpressionError(f"{_show(token.text)} at column {token.column} is too large a number.",
                                      token.column)
            return self.make(token, Const, value, token.text)
        if token.kind == "name":
            self.advance()
            if token.text in VARIABLES:
                return self.make(token, Var, token.text)
            if token.text in CONSTANTS:
                return self.make(token, Const, CONSTANTS[token.text], token.text)
            return self.call(token)
        if token.text == "(":
            self.advance()
            node = self.sum()
            self.expect_close(token)
            return node
        raise self.unexpected("a number, x, y, a function or `(`")

    def call(self, name: _Token) -> Node:
        opened = self.token
        if opened.text != "(":
            raise ExpressionError(f"{_show(name.text)} at column {name.column} must be followed by brackets, "
                                  f"e.g. {name.text}(x).", name.column)
        self.advance()
        args = []
        if self.token.text != ")":
            args.append(self.sum())
            while self.token.text == ",":
                self.advance()
                args.append(self.sum())
        self.expect_close(opened)
        arity = ARITY[name.text]
        if len(args) != arity:
            raise ExpressionError(f"{_show(name.text)} at column {name.column} takes {arity} argument"
                                  f"{'s' if arity > 1 else ''}, got {len(args)}.", name.column)
        return self.make(name, Call, name.text, tuple(args))


# ----------------------------------------------------------------------------------------------- LaTeX

_LATEX_FUNCTIONS = {"sin": r"\sin", "cos": r"\cos", "tan": r"\tan", "exp": r"\exp", "log": r"\log",
                    "tanh": r"\tanh", "sinh": r"\sinh", "cosh": r"\cosh", "minimum": r"\min",
                    "maximum": r"\max", "sign": r"\operatorname{sign}"}


def _precedence(node: Node) -> int:
    """How tightly a node binds when written out: sums 1, products 2, negation 3, powers 4, atoms 5."""
    if isinstance(node, (Add, Sub)):
        return 1
    if isinstance(node, Mul):
        return 2
    if isinstance(node, Neg) or (isinstance(node, Const) and node.value < 0):
        return 3
    return 4 if isinstance(node, Pow) else 5


def _wrap(node: Node, at_least: int) -> str:
    text = to_latex(node)
    return text if _precedence(node) >= at_least else rf"\left({text}\right)"


def _wrap_right(node: Node, at_least: int) -> str:
    """A right operand: like :func:`_wrap`, but a leading minus is always bracketed (x + (-y), not x + -y)."""
    return _wrap(node, 4 if _precedence(node) == 3 else at_least)


def _latex_number(node: Const) -> str:
    text = node.text or f"{node.value:g}"
    if text == "pi":
        return r"\pi"
    if text != "e" and ("e" in text or "E" in text):
        mantissa, exponent = text.replace("E", "e").split("e")
        power_of_ten = f"10^{{{int(exponent)}}}"
        return power_of_ten if float(mantissa) == 1 else rf"{mantissa} \cdot {power_of_ten}"
    return text


def to_latex(node: Node) -> str:
    """A LaTeX rendering of the tree, with brackets only where precedence needs them."""
    _check_node(node)
    if isinstance(node, Const):
        return _latex_number(node)
    if isinstance(node, Var):
        return node.name
    if isinstance(node, Neg):
        return "-" + _wrap(node.operand, 3)
    if isinstance(node, Add):
        return f"{to_latex(node.left)} + {_wrap_right(node.right, 1)}"
    if isinstance(node, Sub):
        return f"{to_latex(node.left)} - {_wrap_right(node.right, 2)}"
    if isinstance(node, Mul):
        return rf"{_wrap(node.left, 2)} \cdot {_wrap(node.right, 4)}"
    if isinstance(node, Div):
        return rf"\frac{{{to_latex(node.left)}}}{{{to_latex(node.right)}}}"
    if isinstance(node, Pow):
        base = to_latex(node.left)
        if _precedence(node.left) < 5 or isinstance(node.left, Div):
            base = rf"\left({base}\right)"
        return f"{base}^{{{to_latex(node.right)}}}"
    if isinstance(node, Where):
        a, b, then, other = (to_latex(c) for c in node.children)
        return rf"\begin{{cases}} {then} & {a} \le {b} \\ {other} & \text{{otherwise}} \end{{cases}}"
    args = ", ".join(to_latex(a) for a in node.args)
    if node.func == "sqrt":
        return rf"\sqrt{{{args}}}"
    if node.func == "abs":
        return rf"\left|{args}\right|"
    return rf"{_LATEX_FUNCTIONS[node.func]}\left({args}\right)"


# ------------------------------------------------------------------------------------------ public API


@dataclass(frozen=True)
class Expression:
    """A parsed surface f(x, y) with its exact derivative trees.

    ``value``, ``gradient`` and ``hessian`` take broadcastable arrays ``x``, ``y`` and return arrays of the
    broadcast shape, with ``(..., 2)`` = (∂f/∂x, ∂f/∂y) and ``(..., 2, 2)`` = the Hessian appended.
    """

    text: str
    tree: Node = field(repr=False)
    gradient_trees: tuple = field(repr=False)  # (f_x, f_y)
    hessian_trees: tuple = field(repr=False)  # (f_xx, f_xy, f_yy)

    def value(self, x, y) -> np.ndarray:
        return evaluate(self.tree, x, y)

    def gradient(self, x, y) -> np.ndarray:
        return np.stack(_evaluate_all(self.gradient_trees, x, y), axis=-1)

    def hessian(self, x, y) -> np.ndarray:
        xx, xy, yy = _evaluate_all(self.hessian_trees, x, y)
        return np.stack([np.stack([xx, xy], axis=-1), np.stack([xy, yy], axis=-1)], axis=-2)

    def latex(self) -> str:
        return to_latex(self.tree)


def parse(text: str) -> Expression:
    """Parse a formula in x and y (grammar and limits in the module docstring) and differentiate it twice.

    Raises :class:`ExpressionError` (a ``ValueError``) naming the offending token and its column.
    """
    if not isinstance(text, str):
        raise ExpressionError(f"The expression must be text, got {type(text).__name__}.")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"The expression is {len(text)} characters long; at column {MAX_LENGTH + 1} it "
                              f"passes the limit of {MAX_LENGTH} characters.", MAX_LENGTH + 1)
    try:
        tree = _Parser(text).parse()
    except (RecursionError, MemoryError):  # only reachable if MAX_DEPTH is raised far beyond its default
        raise ExpressionError("The expression is nested too deeply at column 1.", 1) from None
    f_x, f_y = derivative(tree, "x"), derivative(tree, "y")
    return Expression(text=text.strip(), tree=tree, gradient_trees=(f_x, f_y),
                      hessian_trees=(derivative(f_x, "x"), derivative(f_x, "y"), derivative(f_y, "y")))


def _split(p) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(p, dtype=float)
    if p.ndim == 0 or p.shape[-1] != 2:
        raise ValueError(f"p must hold (x, y) on its last axis, got shape {p.shape}.")
    return p[..., 0], p[..., 1]


def _check_domain(domain) -> tuple[tuple[float, float], tuple[float, float]]:
    try:
        (x_lo, x_hi), (y_lo, y_hi) = domain
    except (TypeError, ValueError):
        raise ValueError(f"domain must be ((x_min, x_max), (y_min, y_max)), got {domain!r}.") from None
    box = []
    for axis, lo, hi in (("x", x_lo, x_hi), ("y", y_lo, y_hi)):
        lo = check_float(f"domain {axis} min", lo)
        box.append((lo, check_float(f"domain {axis} max", hi, low=lo, low_inclusive=False)))
        if not math.isfinite(box[-1][1] - lo):  # a grid over it could not be spaced
            raise ValueError(f"domain {axis} is too wide: its max − min must be a finite number, got {lo:g} … {hi:g}.")
    return box[0], box[1]


def to_objective(text: str, domain=((-3.0, 3.0), (-3.0, 3.0))) -> Objective:
    """The surface typed as ``text`` as an :class:`Objective` named "custom" (no known minima).

    Raises ``ValueError`` if the surface is not a finite number anywhere on a 21 × 21 grid over ``domain``
    (``log(-1 - x**2)``, ``1e308*10``): there would be nothing to draw and nowhere to start. A surface that is
    undefined on part of the domain (``log(x)``) is fine; it is drawn where it is finite.
    """
    expression = parse(text)
    box = _check_domain(domain)
    grid = np.meshgrid(np.linspace(*box[0], 21), np.linspace(*box[1], 21))
    if not np.any(np.isfinite(expression.value(*grid))):
        (x_lo, x_hi), (y_lo, y_hi) = box
        raise ValueError(f"f(x, y) = {expression.text} is not a finite number anywhere in x ∈ [{x_lo:g}, {x_hi:g}], "
                         f"y ∈ [{y_lo:g}, {y_hi:g}]: change the formula (or the domain).")

    def value_fn(p):
        return expression.value(*_split(p))

    def gradient_fn(p):
        return expression.gradient(*_split(p))

    def hessian_fn(p):
        return expression.hessian(*_split(p))

    return Objective(name="custom", label=expression.text, latex=expression.latex(), value_fn=value_fn,
                     gradient_fn=gradient_fn, hessian_fn=hessian_fn, domain=box)


def objective_for(surface: str, expr: str = "", condition: float = 10.0, angle: float = 0.0) -> Objective:
    """A loss surface by name, as the optimizers page offers them: ``"custom"`` is the formula ``expr``
    (:func:`to_objective`), ``"bowl"`` the quadratic bowl with its condition number and rotation in degrees, and
    any other name a built-in surface of ``core.objectives.OBJECTIVES``."""
    if surface == "custom":
        return to_objective(expr)
    if surface == "bowl":
        return OBJECTIVES["bowl"](condition=condition, angle=angle)
    if not isinstance(surface, str) or surface not in OBJECTIVES:
        raise ValueError(f"surface must be custom or one of {', '.join(OBJECTIVES)}, got {surface!r:.60}.")
    return OBJECTIVES[surface]()


__all__ = ["ARITY", "CONSTANTS", "Expression", "ExpressionError", "HINT", "MAX_DEPTH", "MAX_EXPONENT", "MAX_POINTS",
           "MAX_LENGTH", "MAX_NODES", "derivative", "evaluate", "parse", "simplify", "size", "to_latex",
           "to_objective", "objective_for"]
