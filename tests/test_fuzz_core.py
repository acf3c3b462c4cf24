"""Bad input, systematically: every public entry point of ``core`` fuzzed with extreme and malformed values.

The contract (issue #9). Called with anything drawn below, an entry point either

(a) returns a result whose numbers are all finite — walking tuples, lists, dicts, dataclasses, named tuples and
    the learned (public) attributes of core's objects — except for the non-finite values its documentation
    promises, each checked where it appears (:func:`documented_nonfinite`): a run that diverged says so in
    ``diverged_at`` and ``reason``; "not reached" and "undefined" are NaN where the docstring says; the
    "flag nothing" threshold is +inf; or

(b) raises ``ValueError`` (or a subclass) from a ``raise`` statement in ``core`` itself, whose message is a
    sentence (:func:`assert_clear_message`) — never NumPy's own "operands could not be broadcast", and never
    TypeError, IndexError, ZeroDivisionError, LinAlgError, OverflowError or MemoryError.

Nothing may emit a ``RuntimeWarning`` on the way (overflow and invalid operations are warnings turned into
errors here): where a computation can overflow, core either refuses the input or detects and reports it.
Nothing may hang: every example runs under a hypothesis deadline of a few seconds — a hang detector with a
wide margin, not a measurement of speed — and the test under pytest-timeout. Sizes are drawn either small and
valid, or past their documented cap (and then must be refused before anything is allocated:
:func:`test_huge_requests_are_refused_before_allocating` measures that with ``tracemalloc``), so the whole file
runs in seconds.

What is drawn:

* scalar parameters (sizes, rates, counts, seeds, names): any int (up to 10¹⁰⁰), any float (NaN, ±inf,
  subnormal, ±1.8e308, −0.0), NumPy scalars, and values of the wrong type (None, text, bools, lists);
* data (tables, labels, scores, points): arrays of any shape (empty, 1-D, 3-D, too narrow or wide, lengths that
  do not match), with NaN, ±inf, 1e300, constant columns, one class, labels that are not binary, text, None and
  ragged lists;
* callables (losses, gradients, ``make_model``) are the well-behaved ones the app passes.

Kernels — the activation functions and their derivatives, ``softmax``, ``output_delta``, the neural net's
losses, an optimizer's ``step`` — are NumPy building blocks that the public entry points call on arrays they
have already checked; they are fuzzed over finite values of any size up to ±1e6 (far past the weights at which
training stops as diverged) but not over malformed shapes. The methods that runners call once per step on
points they have checked (``FiniteSum.loss`` and ``.gradient``, ``MLPClassifier.forward``, ``.objective``,
``.gradient``, ``.per_example_gradients``) are kernels too, exercised through those runners; checking their
input at every step would cost more than the step. Surfaces (``Objective``) refuse non-finite points and
are fuzzed over points within ±1e6; farther out they may overflow to inf, which the race reports as divergence
(tested below). ``core.expressions`` is fuzzed in ``test_fuzz_expressions.py``.

Every public function and class of every core module must appear in :data:`CASES` or in :data:`NOT_FUZZED`
(with the reason), so a new entry point without fuzz coverage fails :func:`test_every_entry_point_is_fuzzed`.
"""

from __future__ import annotations

import dataclasses
import dis
import importlib
import math
import pkgutil
import tracemalloc
import warnings
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import sparse

import core
from core import calibration as cal
from core import datasets, derivatives, features, imbalanced_data, linear_model, logistic_regression, metrics
from core import datasets_2d as d2
from core import embedding_data as emb
from core import minibatch as mb
from core import neural_net as nn
from core import objectives as obj
from core import optimizers as opt
from core import pca as pca_module
from core import sharpness, thresholds, training, tsne, validation

gd = importlib.import_module("core.gradient_descent")  # ``core.gradient_descent`` is also a function's name

CORE_DIR = Path(core.__file__).resolve().parent

# A deadline of several seconds per example is a hang detector, not a stopwatch (house rule: no timed
# assertions); every example here takes milliseconds.
FUZZ = settings(max_examples=20, deadline=timedelta(seconds=5),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])


# ============================================================================================== the contract

def assert_clear_message(error: ValueError) -> None:
    """The error was raised on purpose by core (a ``raise`` statement in a core module, not NumPy or SciPy
    failing inside a core call) and its message is a sentence."""
    tb = error.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    code = tb.tb_frame.f_code
    where = f"{code.co_filename}:{tb.tb_lineno}"
    assert Path(code.co_filename).resolve().is_relative_to(CORE_DIR), f"raised outside core at {where}: {error!r}"
    ops = [i.opname for i in dis.get_instructions(code) if i.offset == tb.tb_lasti]
    assert ops == ["RAISE_VARARGS"], f"not raised on purpose ({ops}) at {where}: {error!r}"
    message = str(error).strip()
    assert len(message) >= 15 and " " in message, f"message too terse at {where}: {message!r}"


def assert_result_or_clear_error(fn: Callable, *args, allow: Callable | None = None, **kwargs):
    """Call ``fn``: return its result if all its numbers are finite (bar documented sentinels and what ``allow``
    accepts), or None if it raised a clear ``ValueError``. Anything else — another exception, a
    ``RuntimeWarning``, a NaN passed off as data — fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        try:
            result = fn(*args, **kwargs)
        except ValueError as error:
            assert_clear_message(error)
            return None
    bad = [path for path in nonfinite_paths(result) if allow is None or not allow(path, result)]
    assert not bad, f"non-finite numbers returned as data at {bad} by {getattr(fn, '__name__', fn)}"
    return result


def nonfinite_paths(obj, path: str = "result", seen: set | None = None) -> list[str]:
    """Where ``obj`` holds a NaN or infinity, skipping the fields :func:`documented_nonfinite` vouches for."""
    seen = set() if seen is None else seen
    if obj is None or isinstance(obj, (str, bytes, bool, int, np.integer, np.bool_)):
        return []
    if isinstance(obj, (float, np.floating, complex, np.complexfloating)):
        return [] if np.isfinite(obj) else [path]
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind in "fc":
            return [] if np.all(np.isfinite(obj)) else [path]
        if obj.dtype.kind == "O":
            return [p for i, v in enumerate(obj.ravel()) for p in nonfinite_paths(v, f"{path}[{i}]", seen)]
        return []
    if sparse.issparse(obj):
        return nonfinite_paths(obj.data, f"{path}.data", seen)
    if id(obj) in seen or callable(obj) and not type(obj).__module__.startswith("core"):
        return []
    seen.add(id(obj))
    if isinstance(obj, dict):
        return [p for k, v in obj.items() for p in nonfinite_paths(v, f"{path}[{k!r}]", seen)]
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        items = [(name, getattr(obj, name)) for name in obj._fields]
    elif isinstance(obj, (list, tuple)):
        return [p for i, v in enumerate(obj) for p in nonfinite_paths(v, f"{path}[{i}]", seen)]
    elif dataclasses.is_dataclass(obj):
        items = [(f.name, getattr(obj, f.name)) for f in dataclasses.fields(obj)]
    elif type(obj).__module__.startswith("core."):
        items = [(k, v) for k, v in vars(obj).items() if not k.startswith("_")]
    else:
        return []
    vouched = documented_nonfinite(obj)
    return [p for name, value in items if name not in vouched and not name.startswith("_")
            for p in nonfinite_paths(value, f"{path}.{name}", seen)]


def _finite_before(array, row: int) -> bool:
    return bool(np.all(np.isfinite(np.asarray(array)[:row])))


def documented_nonfinite(obj) -> set[str]:
    """The fields of ``obj`` whose NaN or inf its documentation explains, once this checks the explanation holds."""
    if isinstance(obj, gd.Trajectory) and obj.diverged_at is not None:
        assert isinstance(obj.reason, str) and obj.reason, "a diverged trajectory must say why"
        assert _finite_before(obj.loss, obj.diverged_at) and _finite_before(obj.params, obj.diverged_at)
        return {"params", "loss", "grad"}
    if isinstance(obj, opt.RaceResult):
        for i, (at, reason) in enumerate(zip(obj.diverged_at, obj.reasons)):
            if at is None:
                assert np.all(np.isfinite(obj.positions[i])) and np.all(np.isfinite(obj.loss[i])), obj.names[i]
            else:
                assert isinstance(reason, str) and reason, "a racer that diverged must say why"
                assert _finite_before(obj.positions[i], at) and np.all(np.isnan(obj.positions[i, at:]))
        return {"positions", "loss", "grad", "updates", "states"}
    if isinstance(obj, mb.MinibatchRun) and obj.diverged_at is not None:
        assert obj.diverged_at == obj.n_steps and _finite_before(obj.full_loss, obj.diverged_at)
        return {"params", "full_loss", "full_grad", "batch_loss", "batch_grad"}
    if isinstance(obj, mb.SweepResult):  # NaN steps: "not within max_steps or diverged"; the fit NaN or inf
        assert np.all(np.isnan(obj.steps) | (obj.steps >= 0))
        return {"steps", "examples", "s_min", "e_min", "b_crit"}
    if isinstance(obj, cal.ReliabilityBins):  # NaN exactly for the empty bins
        empty = obj.count == 0
        assert np.array_equal(np.isnan(obj.mean_predicted), empty)
        assert np.array_equal(np.isnan(obj.observed_frequency), empty)
        return {"mean_predicted", "observed_frequency"}
    if isinstance(obj, thresholds.ThresholdTable):  # row 0 flags nothing: threshold +inf
        assert obj.thresholds[0] == np.inf and np.all(np.isfinite(obj.thresholds[1:]))
        return {"thresholds"}
    if isinstance(obj, thresholds.ThresholdRow):  # the "flag nothing" row has threshold +inf
        assert np.isfinite(obj.threshold) or (obj.threshold == np.inf and obj.tp + obj.fp == 0)
        return {"threshold"}
    if isinstance(obj, training.TrainingRun):
        if obj.diverged_at is not None:
            assert isinstance(obj.reason, str) and obj.reason
        no_test = np.all(np.isnan(obj.test_loss))  # "test values are NaN without test data"
        return {"test_loss", "test_accuracy"} if no_test else set()
    if isinstance(obj, (mb.GradientNoise, mb.TwoBatchEstimate)):  # B_simple = inf where |G|² is (about) 0
        assert np.isfinite(obj.b_simple) or obj.b_simple == np.inf
        return {"b_simple"}
    if isinstance(obj, sharpness.SharpnessResult) and np.all(np.isnan(obj.line_test)):
        return {"test_accuracy", "line_test"}  # "test NaN without test data"
    return set()


def anything(path, result) -> bool:
    """``allow`` for results whose every number may be a documented NaN or inf (the case says which)."""
    return True


# ============================================================================================== strategies

NASTY_FLOATS = [0.0, -0.0, 5e-324, -5e-324, 1e-300, 1e300, -1e300, 1.7976931348623157e308,
                -1.7976931348623157e308, math.nan, math.inf, -math.inf, np.float32(3.5), np.float64(math.nan)]
NASTY_INTS = [0, 1, -1, 2**31, 2**53 + 1, 2**63, -(2**63), 10**100, -(10**100), np.int64(-5), np.uint8(200)]
WRONG_TYPES = [None, "", "3", "nan", b"1", True, False, [], [3], (1, 2), {}, {"a": 1}, 2.5, math.nan, math.inf,
               np.float64(3.0)]
MALFORMED_ARRAYS = [None, "abc", 3.0, [], [[]], [[1.0, 2.0], [3.0]], [["a", "b"], ["c", "d"]],
                    np.zeros((2, 2, 2)), [[None, 1.0]], {"a": 1}]


def count(valid: tuple[int, int], low: int | None = None, high: int | None = None) -> st.SearchStrategy:
    """A size: small and valid (cheap to run), or just outside [low, high], or wild, or of the wrong type."""
    edges = [v for v in ((low - 1) if low is not None else None, (high + 1) if high is not None else None)
             if v is not None]
    wild = [v for v in NASTY_INTS if (low is not None and v < low) or (high is not None and v > high)]
    return st.one_of(st.integers(*valid), st.sampled_from(edges + wild + WRONG_TYPES))


def real(valid: tuple[float, float] | None = None) -> st.SearchStrategy:
    """A rate or scale: anything a float can be (NaN, ±inf, ±1.8e308, subnormal, −0.0), often in ``valid``."""
    parts = [st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(NASTY_FLOATS + WRONG_TYPES),
             st.integers(-(10**30), 10**30)]
    if valid is not None:
        parts.insert(0, st.floats(*valid))
    return st.one_of(*parts)


def seed() -> st.SearchStrategy:
    return st.one_of(st.none(), st.integers(0, 2**70), st.sampled_from([-1, -(2**63), 1.5, "a", math.nan, True]))


def choice(good: list) -> st.SearchStrategy:
    """A name from ``good``, or one that is not, or not a name at all."""
    return st.one_of(st.sampled_from(good), st.sampled_from(["nope", "", "ADAM", None, 3, ["sgd"]]))


ELEMENT = st.one_of(st.floats(-10, 10), st.sampled_from([0.0, 1e300, -1e300, 1e60, math.nan, math.inf, -math.inf]))


def table(rows=(0, 12), cols=(0, 4), fixed_cols: int | None = None) -> st.SearchStrategy:
    """A numeric table that may be empty, constant, huge, NaN-riddled, 1-D or 3-D, or not numbers at all."""
    shape = st.tuples(st.integers(*rows), st.just(fixed_cols) if fixed_cols is not None else st.integers(*cols))
    plain = shape.flatmap(lambda s: hnp.arrays(np.float64, s, elements=st.floats(-10, 10)))
    return st.one_of(
        plain, plain,  # twice as likely: most draws are well-formed, so the deeper code is reached
        shape.flatmap(lambda s: hnp.arrays(np.float64, s, elements=ELEMENT)),
        st.tuples(shape, st.sampled_from([0.0, 1.0, 1e300, -1e300])).map(lambda t: np.full(t[0], t[1])),
        plain.map(lambda a: a * 1e300), plain.map(lambda a: a.ravel()), plain.map(lambda a: a[None]),
        st.sampled_from(MALFORMED_ARRAYS))


def labels(n: int | st.SearchStrategy = st.integers(0, 12), classes: tuple = (0, 1)) -> st.SearchStrategy:
    """Class labels: of ``classes`` (possibly just one of them), or others, NaN, text, bools, 2-D or ragged."""
    length = n if isinstance(n, st.SearchStrategy) else st.just(n)
    good = length.flatmap(lambda k: hnp.arrays(np.int64, k, elements=st.sampled_from(classes)))
    return st.one_of(
        good, good,
        length.flatmap(lambda k: hnp.arrays(np.int64, k, elements=st.integers(-2, 4))),
        length.flatmap(lambda k: hnp.arrays(np.float64, k, elements=st.sampled_from([0.0, 1.0, 0.5, math.nan]))),
        length.map(lambda k: np.array(["a", "b"] * k)[:k]), length.map(lambda k: np.arange(k) % 2 == 0),
        good.map(lambda y: y[:, None]), st.sampled_from([None, "ab", [[0], [1, 1]], [0, "a", None], 3]))


def scores(n: int | st.SearchStrategy = st.integers(0, 12)) -> st.SearchStrategy:
    length = n if isinstance(n, st.SearchStrategy) else st.just(n)
    return st.one_of(length.flatmap(lambda k: hnp.arrays(np.float64, k, elements=st.floats(0, 1))),
                     length.flatmap(lambda k: hnp.arrays(np.float64, k, elements=ELEMENT)),
                     table(rows=(0, 12), cols=(1, 2)))


def point(dim: int = 2, scale: float = 1e6) -> st.SearchStrategy:
    """A parameter vector: finite within ±scale, or NaN/inf/huge, or of the wrong length or type."""
    return st.one_of(hnp.arrays(np.float64, dim, elements=st.floats(-scale, scale)),
                     hnp.arrays(np.float64, dim, elements=ELEMENT),
                     hnp.arrays(np.float64, st.integers(0, dim + 2), elements=st.floats(-10, 10)),
                     st.sampled_from(MALFORMED_ARRAYS))


def kernel_array(shape=(4, 3)) -> st.SearchStrategy:
    """Finite values of any size up to ±1e6 (the kernels' domain, see the module docstring)."""
    return hnp.arrays(np.float64, shape, elements=st.floats(-1e6, 1e6))


# ============================================================================================== fixtures
# Small, valid objects the fuzzed calls need (the fuzz is in the other arguments).

X2, Y2 = d2.make_circle(40, random_state=0)
X_LINE, Y_LINE = datasets.make_line(30, random_state=0)
LINE = mb.linear_regression_sum(X_LINE, Y_LINE)
LOGISTIC = mb.logistic_regression_sum(X2, Y2)
NET = nn.MLPClassifier((3,), max_iter=2, random_state=0).fit(X2, Y2)
NETWORK = mb.network_sum(NET, X2, Y2)
PROBLEMS = st.sampled_from([LINE, LOGISTIC, NETWORK])
BOWL = obj.quadratic_bowl()
RACE = opt.race(BOWL.gradient, BOWL.value, [opt.SGD(0.1), opt.SGD(5.0)], [1.0, 1.0], 30)
TABLE = thresholds.threshold_table(Y2, X2[:, 0])
NOISE = mb.gradient_noise(LINE, [0.0, 0.0])
PCA_FIT = pca_module.PCA().fit(X2)
EMBEDDABLE = emb.make_iris(30)
GRID = d2.make_grid((-6, 6, -6, 6), 4)[2]
RUN = training.record_training(nn.MLPClassifier((3,)), X2, Y2, X2[:5], Y2[:5], GRID, GRID, epochs=2, n_frames=2)
P_JOINT = tsne.joint_probabilities(X2[:12], 3.0)
FEATURE_NAMES = list(features.FEATURES)


def _line_loss(p):
    return float(np.sum(np.asarray(p) ** 2))


def _line_grad(p):
    return 2.0 * np.asarray(p, dtype=float)


def _small_model(batch_size):
    return nn.MLPClassifier((2,), batch_size=batch_size, max_iter=1, random_state=0)


# ============================================================================================== the cases

@dataclass
class Case:
    """One entry point: the callable, how to draw its arguments, and which documented NaN/inf it may return."""

    name: str  #: "module.function", as listed by test_every_entry_point_is_fuzzed
    fn: Callable
    args: dict = field(default_factory=dict)  #: keyword → strategy
    allow: Callable | None = None  #: documented non-finite values beyond documented_nonfinite's types
    also: tuple = ()  #: further public names this case exercises (methods' classes, helpers)

    def __str__(self):
        return self.name


def _fit(cls, fit_args=("X", "y"), then=()):
    """Construct with the drawn hyperparameters (``init``), fit, then call each ``(method, argument names)`` of
    ``then`` on the drawn data; return the model and every result."""
    def run(init=None, **data):
        fitted = cls(**(init or {})).fit(*[data[name] for name in fit_args])
        return (fitted, *[getattr(fitted, method)(*[data[a] for a in args]) for method, args in then])
    return run


def _init_kwargs(**strategies):
    return st.fixed_dictionaries({}, optional=strategies)


CASES: list[Case] = []


def case(case_name, fn, /, *, allow=None, also=(), **args):
    CASES.append(Case(case_name, fn, args, allow, also))


# --- validation --------------------------------------------------------------------------------------------
case("validation.check_int", validation.check_int, name=st.just("n"), value=real(), low=st.sampled_from([None, 0]),
     high=st.sampled_from([None, 10]))
case("validation.check_float", validation.check_float, name=st.just("x"), value=real(),
     low=st.sampled_from([None, 0.0]),
     high=st.sampled_from([None, 1.0]), low_inclusive=st.booleans())
case("validation.check_random_state", validation.check_random_state, value=seed())
case("validation.check_mapping", validation.check_mapping, name=st.just("params"),
     value=st.one_of(st.dictionaries(st.text(max_size=3), st.integers()), st.sampled_from(WRONG_TYPES)))
case("validation.check_array", validation.check_array, name=st.just("X"), value=table(),
     ndim=st.sampled_from([None, 1, 2]), finite=st.booleans(), max_abs=st.sampled_from([None, validation.MAX_ABS]),
     allow=anything)  # with finite=False NaN passes through, as asked
case("validation.check_labels", validation.check_labels, name=st.just("y"), value=labels(), n=count((0, 12)))

# --- datasets ----------------------------------------------------------------------------------------------
case("datasets.make_line", datasets.make_line, n_samples=count((2, 50), 2, 100_000), w=real((-5, 5)),
     b=real((-5, 5)), noise=real((0, 3)), x_range=st.one_of(st.tuples(real((-5, 0)), real((0.1, 5))),
                                                            st.sampled_from(WRONG_TYPES)), random_state=seed())
for _name, _entry in d2.DATASETS.items():
    case(f"datasets_2d.{_entry.make.__name__}", _entry.make, n_samples=count((4, 60), 4, 5000), noise=real((0, 1)),
         random_state=seed())
case("datasets_2d.make_blobs[n_classes]", d2.make_blobs, n_samples=count((4, 60), 4, 5000),
     n_classes=count((3, 5), 3, 5))
case("datasets_2d.blob_centres", d2.blob_centres, n_classes=count((1, 8), 1, 1000))
case("datasets_2d.make_dataset", d2.make_dataset, name=choice(list(d2.DATASETS)), n_samples=count((4, 40), 4, 5000),
     noise=real((0, 1)), random_state=seed(), n_classes=st.one_of(st.none(), count((3, 5), 3, 5)))
case("datasets_2d.train_test_split", d2.train_test_split, X=table(), y=labels(), test_size=real((0, 0.9)),
     random_state=seed())
case("datasets_2d.grid_extent", d2.grid_extent, X=table(cols=(1, 3)), pad=real((0, 1)), min_pad=real((0, 1)))
case("datasets_2d.make_grid", d2.make_grid, extent=st.one_of(st.tuples(*[real((-10, 10))] * 4),
                                                           st.sampled_from(WRONG_TYPES)),
     resolution=count((2, 20), 2, 1000))
case("datasets_2d.subsample", d2.subsample, X=table(), y=labels(), n=count((1, 12), 1), random_state=seed())

# --- derivatives -------------------------------------------------------------------------------------------
for _fn in (derivatives.forward_difference, derivatives.central_difference):
    case(f"derivatives.{_fn.__name__}", _fn, f=st.just(np.sin), x=st.one_of(real((-10, 10)), point(3)),
         h=st.one_of(real((1e-8, 1)), point(3)))

# --- embedding data ----------------------------------------------------------------------------------------
for _entry in emb.EMBEDDING_DATASETS.values():
    _attribute = next(name for name, value in vars(emb).items() if value is _entry.make)  # make_digits is a closure
    case(f"embedding_data.{_attribute}", _entry.make, n_samples=count((10, 40), 10, 20_000),
         noise=real((0, 2)), random_state=seed())
case("embedding_data.make_trefoil[n_bins]", emb.make_trefoil, n_samples=count((10, 40), 10, 20_000),
     n_bins=count((1, 20), 1, 20))
case("embedding_data.make_swiss_roll[n_bins]", emb.make_swiss_roll, n_samples=count((10, 40), 10, 20_000),
     n_bins=count((1, 20), 1, 20))
case("embedding_data.make_embeddable", emb.make_embeddable, name=choice(list(emb.EMBEDDING_DATASETS)),
     n_samples=count((10, 40), 10, 20_000), noise=real((0, 2)), random_state=seed())
case("embedding_data.load_table", emb.load_table,
     name=st.sampled_from(["iris", "digits", "nope", "../data/iris", "/etc/passwd", "", "iris.npz"]))
case("embedding_data.subsample", emb.subsample, data=st.sampled_from([EMBEDDABLE, None, "iris", X2]),
     max_rows=count((1, 40), 1), random_state=seed())
case("embedding_data.Embeddable", emb.Embeddable, X=table(), labels=st.one_of(st.none(), labels()),
     label_names=st.sampled_from([None, ["a", "b"]]),
     feature_names=st.sampled_from([None, [], ["a"], ["a", "b"], "ab"]))

# --- features ----------------------------------------------------------------------------------------------
case("features.feature_map", features.feature_map, X=table(cols=(1, 3)),
     names=st.one_of(st.lists(st.sampled_from(FEATURE_NAMES + ["nope"]), max_size=4), st.sampled_from(WRONG_TYPES),
                     st.sampled_from(FEATURE_NAMES)))

# --- gradient descent and the line fit ---------------------------------------------------------------------
case("gradient_descent.gradient_descent", gd.gradient_descent, loss=st.just(_line_loss), grad=st.just(_line_grad),
     start=point(2, 1e3), learning_rate=real((1e-3, 2)), n_steps=count((1, 40), 1, 100_000))
case("gradient_descent.max_stable_learning_rate", gd.max_stable_learning_rate, hessian=table(rows=(0, 3), cols=(0, 3)))
for _fn in (linear_model.mse_loss, linear_model.mse_gradient):
    case(f"linear_model.{_fn.__name__}", _fn, params=st.one_of(point(2), table(rows=(1, 3), cols=(2, 2))),
         x=st.one_of(st.just(X_LINE), table()), y=st.one_of(st.just(Y_LINE), table()))
case("linear_model.mse_hessian", linear_model.mse_hessian, x=st.one_of(st.just(X_LINE), table()))
case("linear_model.least_squares_line", linear_model.least_squares_line, x=table(), y=table())
case("linear_model.LinearRegressionGD", _fit(linear_model.LinearRegressionGD, then=[("predict", ("X",))]),
     X=table(cols=(1, 1)),
     y=st.one_of(hnp.arrays(np.float64, st.integers(0, 12), elements=st.floats(-10, 10)), table()),
     init=_init_kwargs(learning_rate=real((1e-3, 1)), n_steps=count((1, 40), 1, 100_000), w0=real((-10, 10)),
                       b0=real((-10, 10))))
case("logistic_regression.LogisticRegression",
     _fit(logistic_regression.LogisticRegression, then=[("predict_proba", ("X",)), ("predict", ("X",)),
                                                         ("score", ("X", "y"))]),
     X=table(rows=(1, 12), fixed_cols=2), y=labels(st.integers(1, 12), classes=(0, 1, 2)),
     init=_init_kwargs(C=real((0.01, 100)), penalty=st.sampled_from(["l2", None, "l1"]),
                       max_iter=count((1, 200), 1, 1_000_000), tol=real((1e-8, 1e-2))))
case("metrics.confusion_matrix", metrics.confusion_matrix, y_true=labels(6, classes=(0, 1, 2)),
     y_pred=labels(st.integers(5, 7), classes=(0, 1, 2)), n_classes=count((1, 4), 1, metrics.MAX_CLASSES))
case("metrics.accuracy_score", metrics.accuracy_score, y_true=labels(6), y_pred=labels(st.integers(5, 7)),
     allow=lambda path, result: np.isnan(result))  # "NaN for no examples"

# --- imbalanced data ---------------------------------------------------------------------------------------
case("imbalanced_data.make_imbalanced", imbalanced_data.make_imbalanced, n_samples=count((2, 200), 2, 2_000_000),
     prevalence=real((0.001, 0.999)), separation=real((0, 20)), n_features=count((1, 5), 1, 50),
     random_state=seed())
case("imbalanced_data.true_posterior", imbalanced_data.true_posterior, X=table(), prevalence=real((0.001, 0.999)),
     separation=real((0, 20)))
case("imbalanced_data.with_copies", imbalanced_data.with_copies, X=table(), copies=count((0, 3), 0, 20),
     noise=real((0, 1)), random_state=seed())

# --- mini-batch SGD ----------------------------------------------------------------------------------------
case("minibatch.linear_regression_sum", mb.linear_regression_sum, x=table(), y=table())
case("minibatch.logistic_regression_sum", mb.logistic_regression_sum, X=table(), y=labels(), alpha=real((0, 1)))
case("minibatch.network_sum", mb.network_sum, model=st.sampled_from([NET, nn.MLPClassifier(), None]), X=table(),
     y=labels())
case("minibatch.batch_indices", mb.batch_indices, n=count((1, 50), 1, mb.MAX_INDICES),
     batch_size=count((1, 20), 1, mb.MAX_BATCH), n_steps=count((1, 30), 1, opt.MAX_STEPS),
     replacement=st.booleans(), random_state=seed())
case("minibatch.warmup_lrs", mb.warmup_lrs, lr=real((1e-3, 1)), warmup_steps=count((0, 10), 0, opt.MAX_STEPS),
     n_steps=count((1, 30), 1, opt.MAX_STEPS))
case("minibatch.minibatch_sgd", lambda problem, **kw: mb.minibatch_sgd(problem, **kw), problem=PROBLEMS,
     theta0=st.one_of(PROBLEMS.map(lambda p: np.zeros(p.n_params)), point(3)),
     batch_size=count((1, 50), 1, mb.MAX_BATCH),
     lr=real((1e-3, 1)), n_steps=count((1, 20), 1, opt.MAX_STEPS), replacement=st.booleans(), random_state=seed(),
     optimizer=choice(list(opt.OPTIMIZERS)), optimizer_params=st.sampled_from([None, {}, {"zz": 1}, "ab", {"eps": -1}]),
     warmup_steps=count((0, 5), 0, opt.MAX_STEPS))
case("minibatch.gradient_noise", mb.gradient_noise, problem=st.sampled_from([LINE, LOGISTIC, NETWORK, None]),
     theta=st.one_of(point(2, 1e60), point(3, 1e60)))
case("minibatch.noise_scale_along", mb.noise_scale_along, problem=PROBLEMS,
     params=st.one_of(table(cols=(2, 3)), st.just(np.array([[1e300, 1e300]]))),
     allow=anything)  # NaN at non-finite points or where the gradients overflow, inf where G = 0
case("minibatch.batch_gradient_covariance", mb.batch_gradient_covariance, noise=st.sampled_from([NOISE, None, 3]),
     batch_size=count((1, 40), 1, mb.MAX_BATCH), n=count((1, 40), 1), replacement=st.booleans())
case("minibatch.batch_gradients", mb.batch_gradients, problem=PROBLEMS, theta=point(2, 1e60),
     batch_size=count((1, 40), 1, mb.MAX_BATCH), n_samples=count((1, 30), 1, mb.MAX_SAMPLES),
     replacement=st.booleans(), random_state=seed())
case("minibatch.two_batch_estimate", mb.two_batch_estimate, problem=PROBLEMS, theta=point(2, 1e60),
     b_small=count((1, 8), 1), b_big=count((2, 30), 1, mb.MAX_SAMPLES), n_pairs=count((1, 5), 1, 10**6),
     random_state=seed())
case("minibatch.lr_for_batch", mb.lr_for_batch, base_lr=real((1e-3, 1)), base_batch=count((1, 64), 1),
     batch_size=count((1, 1024), 1), rule=choice(list(mb.LR_RULES)))
case("minibatch.fit_steps_curve", mb.fit_steps_curve, batch_sizes=st.one_of(st.just([1, 2, 4, 8]), table()),
     steps=st.one_of(st.just([40.0, 22.0, np.nan, 10.0]), table()),
     allow=anything)  # (s_min, b_crit, e_min): NaN with < 2 batch sizes reached, b_crit inf
case("minibatch.batch_size_sweep", lambda problem, **kw: mb.batch_size_sweep(problem, **kw), problem=PROBLEMS,
     theta0=st.one_of(PROBLEMS.map(lambda p: np.zeros(p.n_params)), point(3, 1e60)),
     batch_sizes=st.one_of(st.lists(count((1, 64), 1, mb.MAX_BATCH), max_size=3), st.sampled_from(WRONG_TYPES)),
     base_lr=real((1e-3, 0.5)), target_loss=real((0, 2)), max_steps=count((1, 40), 1, opt.MAX_STEPS),
     seeds=count((1, 3), 1, 100), rule=choice(list(mb.LR_RULES)), max_lr=st.one_of(st.none(), real((0.01, 1))),
     patience=count((1, 5), 1, opt.MAX_STEPS), random_state=count((0, 9), 0), replacement=st.booleans())
case("minibatch.relative_target", mb.relative_target, problem=st.sampled_from([LINE, None]), theta0=point(2, 1e60),
     optimum=point(2, 1e60), fraction=real((0, 1)))

# --- the neural network ------------------------------------------------------------------------------------
for _name in ("relu", "leaky_relu", "tanh", "sigmoid", "identity", "softmax"):
    case(f"neural_net.{_name}", getattr(nn, _name), z=kernel_array())
for _name in ("relu_backward", "leaky_relu_backward", "tanh_backward", "sigmoid_backward", "identity_backward"):
    case(f"neural_net.{_name}", getattr(nn, _name), grad=kernel_array(), z=kernel_array(),
         a=hnp.arrays(np.float64, (4, 3), elements=st.floats(-1, 1)))
_PROBS = hnp.arrays(np.float64, (4, 3), elements=st.floats(0, 1))
case("neural_net.log_loss", nn.log_loss, p=_PROBS, Y=_PROBS, eps=st.just(1e-12))
case("neural_net.squared_error", nn.squared_error, p=_PROBS, Y=_PROBS)
case("neural_net.output_delta", nn.output_delta, p=_PROBS, Y=_PROBS, loss=st.sampled_from(list(nn.LOSSES)))
_MLP_INIT = _init_kwargs(
    hidden_layer_sizes=st.one_of(st.lists(count((1, 4), 1, nn.MAX_UNITS), max_size=3), st.sampled_from(WRONG_TYPES)),
    activation=st.one_of(choice(list(nn.ACTIVATIONS)), st.lists(st.sampled_from(list(nn.ACTIVATIONS)), max_size=2)),
    output=choice(["auto", "sigmoid", "softmax"]), loss=choice(list(nn.LOSSES)), penalty=choice(list(nn.PENALTIES)),
    alpha=real((0, 1)), solver=choice(list(opt.OPTIMIZERS)), learning_rate_init=real((1e-3, 1)),
    schedule=choice(list(opt.SCHEDULES)), schedule_params=st.sampled_from([None, {}, {"zz": 1}, "ab"]),
    batch_size=count((1, 20), 1), max_iter=count((1, 3), 1, 100_000), random_state=seed(),
    solver_params=st.sampled_from([None, {}, {"beta": 2.0}, "ab"]))
case("neural_net.MLPClassifier", _fit(nn.MLPClassifier, then=[("predict_proba", ("Xp",)), ("predict", ("Xp",)),
                                                               ("score", ("Xp", "y")), ("hidden_activations", ("Xp",)),
                                                               ("dead_units", ("Xp",)), ("partial_fit", ("X", "y"))]),
     X=table(rows=(1, 12), fixed_cols=2), y=labels(st.integers(1, 12), classes=(0, 1, 2)), init=_MLP_INIT,
     Xp=table(cols=(1, 3)))
case("neural_net.MLPClassifier.partial_fit",
     lambda X, y, classes: nn.MLPClassifier(max_iter=3).partial_fit(X, y, classes),
     X=table(rows=(1, 12), fixed_cols=2), y=labels(st.integers(1, 12)),
     classes=st.sampled_from([None, [0, 1], [0], [0, 1, 2], [], [math.nan, 1.0], "ab"]))

# --- surfaces and optimizers -------------------------------------------------------------------------------
_SURFACE_PARAMS = {"bowl": dict(condition=real((1, 100)), angle=real((-90, 90))),
                   "rosenbrock": dict(a=real((-2, 2)), b=real((1, 200))), "rastrigin": dict(A=real((0, 20)))}


def _evaluate_surface(factory, p, **params):
    """The surface over its box (as drawn: finite everywhere) and at ``p``; beyond ±1e6 a value may overflow to
    inf (see the module docstring), so there only the absence of errors and warnings is checked."""
    surface = factory(**params)
    box = np.array(surface.domain, dtype=float)
    grid = np.stack(np.meshgrid(np.linspace(*box[0], 9), np.linspace(*box[1], 9)), axis=-1)
    at_p = surface.value(p), surface.gradient(p), surface.hessian(p)
    far = np.any(np.abs(np.asarray(p, dtype=float)) > 1e6)
    return surface, surface.value(grid), surface.gradient(grid), surface.hessian(grid), *(() if far else at_p)


for _name, _factory in obj.OBJECTIVES.items():
    case(f"objectives.{_factory.__name__}", lambda p, _f=_factory, **kw: _evaluate_surface(_f, p, **kw),
         p=st.one_of(point(2), table(rows=(0, 3), fixed_cols=2)), **_SURFACE_PARAMS.get(_name, {}),
         also=("objectives.Objective",))
for _name, _cls in opt.OPTIMIZERS.items():
    _hyper = {f.name: real((0, 0.99)) for f in dataclasses.fields(_cls) if f.name != "lr"}
    case(f"optimizers.{_cls.__name__}", lambda _c=_cls, **kw: _c(**kw), lr=real((1e-3, 1)), **_hyper,
         also=("optimizers.Optimizer",))


def _step(name, theta, grad, t, lr):
    optimizer = opt.make_optimizer(name, lr=0.1)
    return optimizer.step(theta, grad, optimizer.init_state(theta), t, lr)


case("optimizers.Optimizer.step", _step, name=st.sampled_from(list(opt.OPTIMIZERS)),
     theta=st.one_of(kernel_array((2,)), st.sampled_from(MALFORMED_ARRAYS)), grad=kernel_array((2,)),
     t=count((1, 100), 1),
     lr=st.one_of(st.none(), real((0, 1))).filter(lambda v: not isinstance(v, float) or abs(v) < 1e6))
case("optimizers.make_optimizer", lambda name, **kw: opt.make_optimizer(name, **kw), name=choice(list(opt.OPTIMIZERS)),
     lr=real((1e-3, 1)), beta=real((0, 0.99)))
case("optimizers.optimizers_for", opt.optimizers_for,
     names=st.one_of(st.lists(choice(list(opt.OPTIMIZERS)), max_size=4).map(tuple), st.sampled_from(MALFORMED_ARRAYS)),
     lrs=st.one_of(st.lists(real((1e-3, 1)), max_size=4).map(tuple), st.sampled_from(MALFORMED_ARRAYS)),
     beta=real((0, 0.99)), beta2=real((0, 0.999)), weight_decay=real((0, 1)))
for _name, _fn in opt.SCHEDULES.items():
    _kw = {"step_decay": dict(every=count((1, 10), 1, opt.MAX_STEPS), gamma=real((0.01, 1))),
           "exponential": dict(gamma=real((0.01, 1))), "cosine": dict(min_factor=real((0, 1))),
           "linear_warmup": dict(warmup_steps=count((1, 10), 1, opt.MAX_STEPS))}.get(_name, {})
    case(f"optimizers.{_name}", _fn,
         t=st.one_of(st.integers(1, 20), hnp.arrays(np.int64, 5, elements=st.integers(-2, 30)), table()),
         total_steps=count((1, 20), 1, opt.MAX_STEPS), **_kw)
case("optimizers.schedule_factors",
     lambda schedule, total_steps, params: opt.schedule_factors(schedule, total_steps, **params),
     schedule=choice(list(opt.SCHEDULES)), total_steps=count((1, 50), 1, opt.MAX_STEPS),
     params=st.sampled_from([{}, {"every": 3}, {"gamma": 0.5}, {"warmup_steps": 2}, {"every": 0}, {"zz": 1},
                             {"gamma": math.nan}, {"every": 10**30, "gamma": 0.5}]))
case("optimizers.scheduled_lr", lambda base_lr, schedule, t, total_steps: opt.scheduled_lr(
        base_lr, schedule, t, total_steps, **({"every": 5} if schedule == "step_decay" else {})),
     base_lr=real((1e-3, 1)), schedule=choice(["constant", "step_decay", "cosine"]), t=count((1, 20), 1),
     total_steps=count((1, 20), 1, opt.MAX_STEPS))
case("optimizers.default_schedule_params", opt.default_schedule_params, schedule=choice(list(opt.SCHEDULES)),
     total_steps=count((1, 1000), 1, opt.MAX_STEPS))
_RACERS = st.lists(st.sampled_from([opt.SGD(0.1), opt.Adam(0.3), opt.Momentum(0.05, 0.9), opt.SGD(1e300),
                                    opt.RMSProp(10.0), opt.AdaGrad(1.0)]), min_size=1, max_size=3)
case("optimizers.race", lambda optimizers, **kw: opt.race(BOWL.gradient, BOWL.value, optimizers, **kw),
     optimizers=st.one_of(_RACERS, st.sampled_from([[], [None], None, "sgd", opt.SGD(0.1)])),
     start=point(2, 1e3), n_steps=count((1, 30), 1, opt.MAX_STEPS), schedule=choice(list(opt.SCHEDULES)),
     schedule_params=st.sampled_from([None, {}, {"min_factor": 0.1}, {"zz": 1}, "ab"]), stall_tol=real((1e-9, 1)),
     patience=count((1, 10), 1))
case("optimizers.race_summary", opt.race_summary, result=st.sampled_from([RACE, None]),
     minima=st.one_of(st.just(BOWL.minima), table(cols=(1, 3))), tol=real((1e-3, 1)))

# --- PCA, sharpness ----------------------------------------------------------------------------------------
case("pca.PCA", _fit(pca_module.PCA, fit_args=("X",), then=[("transform", ("Xt",)), ("inverse_transform", ("Z",)),
                                                             ("fit_transform", ("X",))]),
     X=table(cols=(1, 4)), Xt=table(cols=(1, 4)), Z=table(cols=(1, 4)),
     init=_init_kwargs(n_components=st.one_of(count((1, 4), 1), real((0.01, 0.99))), whiten=st.booleans(),
                       standardize=st.booleans(),
                       svd_solver=choice(["auto", "full", "covariance_eigh", "randomized"]),
                       n_oversamples=count((1, 20), 0), iterated_power=st.one_of(st.just("auto"), count((0, 7), -1)),
                       random_state=seed()))
case("pca.top_loadings", pca_module.top_loadings, pca=st.sampled_from([PCA_FIT, pca_module.PCA(), None]),
     feature_names=st.sampled_from([["a", "b"], ["a"], None, "ab", 3, ("x", "y")]), component=count((0, 2), 0),
     k=count((1, 3), 1))
case("sharpness.hessian_vector_product", sharpness.hessian_vector_product, grad_fn=st.just(BOWL.gradient),
     theta=point(2), v=point(2), eps=real((1e-6, 1e-2)))
case("sharpness.numerical_hessian", sharpness.numerical_hessian, grad_fn=st.just(BOWL.gradient), theta=point(2),
     eps=real((1e-6, 1e-2)))
case("sharpness.top_hessian_eigenvalue", sharpness.top_hessian_eigenvalue, grad_fn=st.just(BOWL.gradient),
     theta=point(2), n_iter=count((1, 50), 1, 100_000), tol=real((1e-9, 1e-3)), eps=real((1e-6, 1e-2)),
     random_state=seed())
case("sharpness.loss_along_line", sharpness.loss_along_line, loss_fn=st.just(BOWL.value), theta_a=point(2),
     theta_b=point(2), alphas=st.one_of(st.just(np.linspace(-0.5, 1.5, 5)), table(rows=(0, 6), cols=(0, 2))))
case("sharpness.sharpness_by_batch_size", sharpness.sharpness_by_batch_size, make_model=st.just(_small_model),
     X_train=table(rows=(1, 12), fixed_cols=2), y_train=labels(st.integers(1, 12)),
     X_test=st.one_of(st.just(np.empty((0, 2))), table(rows=(0, 5), fixed_cols=2)), y_test=labels(st.integers(0, 5)),
     batch_sizes=st.one_of(st.lists(count((1, 12), 1), max_size=3), st.sampled_from(WRONG_TYPES)),
     n_updates=count((1, 10), 1, 100_000),
     alphas=st.one_of(st.just(np.linspace(0, 1, 3)), table(rows=(0, 4), cols=(0, 2))))

# --- thresholds and calibration ----------------------------------------------------------------------------
case("thresholds.check_binary_labels", thresholds.check_binary_labels, y_true=labels(), require_both=st.booleans())
case("thresholds.check_scores", thresholds.check_scores, scores=scores(),
     n_labels=st.one_of(st.none(), st.integers(0, 12)),
     probabilities=st.booleans())
for _fn in (thresholds.threshold_table, thresholds.roc_curve, thresholds.roc_auc_score,
            thresholds.precision_recall_curve, thresholds.average_precision_score):
    case(f"thresholds.{_fn.__name__}", lambda y_true, s, _f=_fn: _f(y_true, s), y_true=labels(8), s=scores(8),
         allow=lambda path, result: path == "result[2]" and result[2][0] == np.inf)  # roc_curve's first threshold
case("thresholds.at_threshold", thresholds.at_threshold, table=st.sampled_from([TABLE, None]), threshold=real((-1, 1)))
for _fn in (thresholds.expected_cost, thresholds.best_threshold):
    case(f"thresholds.{_fn.__name__}", _fn, table=st.sampled_from([TABLE, None]), cost_fp=real((0, 100)),
         cost_fn=real((0, 100)), allow=lambda path, result: result == np.inf)  # best may be +inf: flag nothing
case("thresholds.bayes_threshold", thresholds.bayes_threshold, cost_fp=real((0, 100)), cost_fn=real((0, 100)))
case("thresholds.auc", thresholds.auc, x=scores(), y=scores())
case("thresholds.per_10k", thresholds.per_10k,
     row=st.sampled_from([TABLE, TABLE.row(0), thresholds.ThresholdRow(0.5, 0, 0, 0, 0), None, 3]))
case("thresholds.always_negative_baseline", thresholds.always_negative_baseline, y_true=labels())
case("thresholds.metrics_at_prevalence", thresholds.metrics_at_prevalence, tpr=real((0, 1)), fpr=real((0, 1)),
     prevalence=st.one_of(real((0, 1)), scores()),
     allow=lambda path, result: path == "result['precision']")  # NaN where nothing is flagged (checked below)
for _name in ("reliability_bins", "calibration_curve", "expected_calibration_error", "maximum_calibration_error"):
    case(f"calibration.{_name}", lambda y_true, y_prob, n_bins, strategy, _f=getattr(cal, _name):
         _f(y_true, y_prob, n_bins=n_bins, strategy=strategy), y_true=labels(8), y_prob=scores(8),
         n_bins=count((1, 12), 1, cal.MAX_BINS), strategy=choice(["uniform", "quantile"]),
         also=("calibration.ReliabilityBins",))
case("calibration.calibration_curve[pos_label]", cal.calibration_curve, y_true=labels(8, classes=(1, 2)),
     y_prob=scores(8),
     pos_label=st.sampled_from([None, 1, 2, "a", math.nan]))
for _name in ("brier_score_loss", "log_loss"):
    case(f"calibration.{_name}", getattr(cal, _name), y_true=labels(8), y_prob=scores(8))
case("calibration.log_loss[eps]", cal.log_loss, y_true=labels(8), y_prob=scores(8), eps=real((1e-15, 0.1)))
case("calibration.isotonic_regression", cal.isotonic_regression, y=scores(),
     sample_weight=st.one_of(st.none(), scores()), y_min=st.one_of(st.none(), real((-1, 0))),
     y_max=st.one_of(st.none(), real((1, 2))), increasing=st.booleans())
for _name, (_label, _cls) in cal.CALIBRATORS.items():
    _init = {"platt": _init_kwargs(target_smoothing=st.booleans(), max_iter=count((1, 50), 1, 10_000),
                                   tol=real((1e-12, 1e-3))),
             "isotonic": _init_kwargs(y_min=real((-1, 0)), y_max=real((1, 2))),
             "temperature": _init_kwargs(logits=st.booleans(),
                                         bounds=st.one_of(st.tuples(real((0.01, 1)), real((1, 100))),
                                                          st.sampled_from(WRONG_TYPES)))}.get(_name, st.just({}))
    case(f"calibration.{_cls.__name__}", _fit(_cls, fit_args=("scores", "y"), then=[("predict", ("new",))]),
         scores=scores(8), y=labels(8), new=scores(), init=_init)
case("calibration.correct_prevalence", cal.correct_prevalence, p=scores(), train_prevalence=real((0, 1)),
     deploy_prevalence=real((0, 1)))

# --- training ----------------------------------------------------------------------------------------------
case("training.record_training", lambda model, **kw: training.record_training(model, **kw),
     model=st.one_of(st.builds(nn.MLPClassifier, st.sampled_from([(), (3,), (2, 2)]),
                               learning_rate_init=st.sampled_from([0.03, 10.0, 1e30]), random_state=st.integers(0, 3)),
                     st.sampled_from([None, 3])),
     X_train=table(rows=(1, 12), fixed_cols=2), y_train=labels(st.integers(1, 12)),
     X_test=st.one_of(st.just(np.empty((0, 2))), table(rows=(0, 6), fixed_cols=2)), y_test=labels(st.integers(0, 6)),
     grid=table(rows=(0, 6), cols=(1, 3)), hidden_grid=table(rows=(0, 6), cols=(1, 3)),
     epochs=count((1, 4), 1, 100_000), n_frames=count((2, 4), 2, 1000), warm_start=st.booleans())
case("training.continued", training.continued, run=st.sampled_from([RUN, None]), more=st.sampled_from([RUN, 3]),
     keep_frames=count((1, 5), 1))
case("training.snapshot_epochs", training.snapshot_epochs, epochs=count((0, 50), 0, 100_000),
     n_frames=count((1, 50), 1, 100_000))
for _fn in (training.data_loss, training.accuracy):
    case(f"training.{_fn.__name__}", _fn, model=st.sampled_from([NET, nn.MLPClassifier(), None]), X=table(),
         y=labels(), allow=lambda path, result: np.isnan(result))  # NaN for no data

# --- t-SNE -------------------------------------------------------------------------------------------------
_DATA = table(rows=(0, 12), cols=(1, 4))
case("tsne.TSNE", _fit(tsne.TSNE, fit_args=("X",), then=[("fit_transform", ("X",))]), X=_DATA,
     init=_init_kwargs(n_components=count((1, 3), 1, 3), perplexity=real((1, 5)), early_exaggeration=real((1, 20)),
                       learning_rate=st.one_of(st.just("auto"), real((10, 500))),
                       max_iter=count((1, 260), 1, tsne.MAX_ITER),
                       n_iter_without_progress=count((-1, 300), -1), min_grad_norm=real((0, 1e-5)),
                       metric=choice(["euclidean"]), init=st.one_of(choice(["pca", "random"]), table(cols=(1, 3))),
                       random_state=seed(), method=choice(["auto", "exact", "neighbors", "fft"]), angle=real((0, 1)),
                       n_jobs=st.one_of(st.none(), count((1, 2), -1)),
                       snapshot_every=st.one_of(st.none(), count((1, 50), 1))))
case("tsne.conditional_probabilities", tsne.conditional_probabilities,
     distances_squared=st.one_of(st.tuples(st.integers(1, 8), st.integers(1, 8)).flatmap(
         lambda s: hnp.arrays(np.float64, s, elements=st.floats(0, 100))), table()), perplexity=real((1, 3)))
for _fn in (tsne.joint_probabilities, tsne.joint_probabilities_nn):
    case(f"tsne.{_fn.__name__}", _fn, X=_DATA, perplexity=real((1, 5)))
case("tsne.joint_probabilities_nn[n_neighbors]", tsne.joint_probabilities_nn, X=table(rows=(6, 12), cols=(1, 3)),
     perplexity=st.just(2.0), n_neighbors=st.one_of(st.none(), count((1, 12), 1)))
case("tsne.nearest_neighbors", tsne.nearest_neighbors, X=_DATA, n_neighbors=count((1, 5), 1))
for _fn in (tsne.kl_divergence, tsne.kl_gradient):
    case(f"tsne.{_fn.__name__}", _fn,
         P=st.one_of(st.just(P_JOINT), st.just(sparse.csr_array(P_JOINT)), table(rows=(0, 12), cols=(0, 12))),
         Y=st.one_of(hnp.arrays(np.float64, (12, 2), elements=st.floats(-1e6, 1e6)), table(rows=(11, 13), cols=(1, 2))))
for _fn in (tsne.global_rank_correlation, tsne.layout_disparity):
    case(f"tsne.{_fn.__name__}", _fn, X=table(rows=(1, 12), cols=(1, 3)), Y=table(rows=(1, 12), cols=(1, 3)))
for _fn, _k in ((tsne.trustworthiness, "n_neighbors"), (tsne.knn_preservation, "k")):
    case(f"tsne.{_fn.__name__}", _fn, X=table(rows=(4, 12), cols=(1, 4)), Y=table(rows=(4, 12), cols=(1, 2)),
         **{_k: count((1, 5), 1)})


# ============================================================================================== the tests

@pytest.mark.timeout(120)
@pytest.mark.parametrize("case", CASES, ids=str)
@FUZZ
@given(data=st.data())
def test_result_or_clear_error(case, data):
    kwargs = {name: data.draw(strategy, label=name) for name, strategy in case.args.items()}
    result = assert_result_or_clear_error(case.fn, allow=case.allow, **kwargs)
    if case.name == "thresholds.metrics_at_prevalence" and result is not None:  # NaN precision: nothing flagged
        flagged = np.atleast_1d(result["tp"] + result["fp"])
        np.testing.assert_array_equal(np.isnan(np.atleast_1d(result["precision"])), flagged == 0)


# ============================================================================================== coverage

#: Public callables of core that no case calls directly, and why.
NOT_FUZZED = {
    # The FFT repulsion's per-iteration kernels: TSNE(method="fft") above feeds them every embedding it makes.
    "tsne_fft.FFTGradient": "per-iteration kernel of TSNE(method='fft'), fuzzed through TSNE",
    "tsne_fft.Grid": "per-iteration kernel of TSNE(method='fft'), fuzzed through TSNE",
    "tsne_fft.lagrange_weights": "per-iteration kernel of TSNE(method='fft'), fuzzed through TSNE",
    "tsne_fft.repulsion": "per-iteration kernel of TSNE(method='fft'), fuzzed through TSNE",
    "tsne_fft.Convolution": "per-iteration kernel of TSNE(method='fft'), fuzzed through TSNE",
    "tsne_fft.cauchy_less_one": "the grid's kernel K1 - 1, a formula (checked in test_tsne_fft.py)",
    "tsne_fft.lagrange_coefficients": "a constant p x p matrix per stencil size (checked in test_tsne_fft.py)",
    "tsne_fft.stencil_nodes": "a constant per stencil size (checked in test_tsne_fft.py)",
    "tsne_attraction.attract": "per-iteration kernel of TSNE(method='fft'), fuzzed through TSNE",
    "tsne_attraction.row_blocks": "per-run set-up of TSNE(method='fft'), fuzzed through TSNE",
    "tsne_attraction.AttractionProcess": "TSNE(method='fft', n_jobs=2)'s helper process (test_tsne_attraction.py)",
    # Records that core builds and returns; they are inputs to nothing but the accessors fuzzed above.
    "gradient_descent.Trajectory": "result record of gradient_descent",
    "optimizers.RaceResult": "result record of race (fed back to race_summary above)",
    "minibatch.FiniteSum": "built by linear_regression_sum, logistic_regression_sum and network_sum (fuzzed); "
                           "its methods are per-step kernels (see the module docstring)",
    "minibatch.MinibatchRun": "result record of minibatch_sgd",
    "minibatch.GradientNoise": "result record of gradient_noise (fed back to batch_gradient_covariance above)",
    "minibatch.TwoBatchEstimate": "result record of two_batch_estimate",
    "minibatch.SweepResult": "result record of batch_size_sweep",
    "minibatch.DemoProblem": "result record of demo_line_problem",
    "minibatch.demo_line_problem": "takes no input: always the same page problem",
    "thresholds.ThresholdTable": "result record of threshold_table (fed back to at_threshold and the costs above)",
    "thresholds.ThresholdRow": "result record of at_threshold (fed back to per_10k above)",
    "thresholds.PerTenThousand": "result record of per_10k",
    "training.TrainingRun": "result record of record_training (fed back to continued above)",
    "sharpness.TopEigen": "result record of top_hessian_eigenvalue",
    "sharpness.SharpnessResult": "result record of sharpness_by_batch_size",
    # Registry entries: constant data describing an entry point, not an entry point.
    "datasets_2d.Dataset": "registry entry of DATASETS",
    "embedding_data.EmbeddingDataset": "registry entry of EMBEDDING_DATASETS",
    "features.Feature": "registry entry of FEATURES",
    "neural_net.Activation": "registry entry of ACTIVATIONS",
}


def _public_callables(module) -> set[str]:
    short = module.__name__.removeprefix("core.")
    return {f"{short}.{name}" for name, value in vars(module).items()
            if not name.startswith("_") and callable(value) and getattr(value, "__module__", None) == module.__name__}


def _covered() -> set[str]:
    names = set()
    for c in CASES:
        module, _, rest = c.name.partition(".")
        names.add(f"{module}.{rest.split('[')[0].split('.')[0]}")
        names.update(c.also)
    return names


def test_every_entry_point_is_fuzzed():
    modules = [importlib.import_module(f"core.{m.name}") for m in pkgutil.iter_modules(core.__path__)
               if m.name != "expressions"]  # fuzzed in test_fuzz_expressions.py
    public = set().union(*(_public_callables(m) for m in modules))
    missing = public - _covered() - set(NOT_FUZZED)
    assert not missing, f"entry points without a fuzz case (add one, or say why in NOT_FUZZED): {sorted(missing)}"
    stale = (set(NOT_FUZZED) | _covered()) - public
    assert not stale, f"cases or NOT_FUZZED entries naming nothing public: {sorted(stale)}"


# ============================================================================================== resources

_X_5001 = np.random.default_rng(0).normal(size=(5001, 2))
_X_2600 = _X_5001[:2600]

#: Requests inside every type's range but far too big for a ~1 GB app (or far too long): each must be refused
#: by validation before anything large is allocated.
HUGE_REQUESTS = {
    "make_line": lambda: datasets.make_line(10**9),
    "make_circle": lambda: d2.make_circle(10**9),
    "make_grid": lambda: d2.make_grid((0, 1, 0, 1), 10**6),
    "blob_centres": lambda: d2.blob_centres(10**9),
    "make_embeddable": lambda: emb.make_embeddable("gaussian_cloud", 10**8),
    "make_imbalanced": lambda: imbalanced_data.make_imbalanced(2_000_000, n_features=50),
    "confusion_matrix": lambda: metrics.confusion_matrix([0], [0], 10**6),
    "reliability_bins": lambda: cal.reliability_bins([0, 1], [0.2, 0.8], n_bins=10**9),
    "batch_indices": lambda: mb.batch_indices(10**9, 1, 1),
    "batch_indices with replacement": lambda: mb.batch_indices(10, 10**6, 100_000, replacement=True),
    "warmup_lrs": lambda: mb.warmup_lrs(0.1, 0, 10**9),
    "minibatch_sgd": lambda: mb.minibatch_sgd(LINE, [0.0, 0.0], 10**6, 0.1, 100_000, replacement=True),
    "batch_gradients": lambda: mb.batch_gradients(LINE, [0.0, 0.0], 10**7, 10, replacement=True),
    "two_batch_estimate": lambda: mb.two_batch_estimate(LINE, [0.0, 0.0], 1, 10**7),
    "schedule_factors": lambda: opt.schedule_factors("constant", 10**9),
    "race": lambda: opt.race(BOWL.gradient, BOWL.value, [opt.SGD(0.1)] * 100, [1.0, 1.0], 100_000),
    "MLPClassifier": lambda: nn.MLPClassifier((10**6,)),
    "record_training": lambda: training.record_training(nn.MLPClassifier(), X2, Y2, X2, Y2, GRID, GRID, epochs=10**9),
    "snapshot_epochs": lambda: training.snapshot_epochs(10**9, 10**9),
    "LogisticRegression": lambda: logistic_regression.LogisticRegression(max_iter=10**9),
    "PlattScaling": lambda: cal.PlattScaling(max_iter=10**9),
    "TSNE max_iter": lambda: tsne.TSNE(max_iter=10**9).fit(X2),
    "TSNE frames": lambda: tsne.TSNE(max_iter=10_000, snapshot_every=1).fit(_X_2600),
    "TSNE exact": lambda: tsne.TSNE(method="exact").fit(_X_5001),
    "numerical_hessian": lambda: sharpness.numerical_hessian(lambda t: t, np.zeros(5000)),
    "loss_along_line": lambda: sharpness.loss_along_line(BOWL.value, [0, 0], [1, 1], np.zeros(20_000)),
}


@pytest.mark.parametrize("name", HUGE_REQUESTS)
def test_huge_requests_are_refused_before_allocating(name):
    tracemalloc.start()
    try:
        with pytest.raises(ValueError) as caught:
            HUGE_REQUESTS[name]()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert_clear_message(caught.value)
    assert peak < 5 * 2**20, f"{name} allocated {peak / 2**20:.1f} MB before refusing"


# ============================================================================================== divergence
# A run pushed to blow up ends with its reason said, never with NaN passed off as a result.

def test_gradient_descent_flags_overflow():
    trajectory = assert_result_or_clear_error(gd.gradient_descent, _line_loss, _line_grad, [1.0, 1.0], 1e300, 50)
    assert trajectory.diverged_at is not None and "overflow" in trajectory.reason


def test_line_fit_that_overflows_keeps_its_last_finite_line():
    model = assert_result_or_clear_error(linear_model.LinearRegressionGD(learning_rate=1e300).fit, X_LINE, Y_LINE)
    assert model.diverged_at_ is not None
    assert np.isfinite(model.coef_).all() and np.isfinite(model.intercept_)
    assert_result_or_clear_error(model.predict, X_LINE)


def test_race_flags_every_racer_that_blows_up():
    result = assert_result_or_clear_error(opt.race, BOWL.gradient, BOWL.value, [opt.SGD(1e300), opt.SGD(0.1)],
                                          [1.0, 1.0], 20)
    assert result.diverged_at[0] == 1 and result.reasons[0] and result.diverged_at[1] is None
    assert np.isfinite(result.final_positions).all()


def test_minibatch_sgd_flags_divergence():
    run = assert_result_or_clear_error(mb.minibatch_sgd, LINE, [0.0, 0.0], 4, 1e300, 50)
    assert run.diverged_at is not None


def test_network_training_that_blows_up_is_reported():
    run = assert_result_or_clear_error(training.record_training, nn.MLPClassifier((3,), learning_rate_init=1e30),
                                       X2, Y2, X2[:5], Y2[:5], GRID, GRID, epochs=20)
    assert run is None or (run.diverged_at is not None and run.reason)
    for rate in (1e30, 1e300):
        try:
            model = nn.MLPClassifier((3,), "relu", learning_rate_init=rate, max_iter=20).fit(X2 * 1e40, Y2)
        except ValueError as error:  # the loss overflowed: said, and the weights of the last finite epoch kept
            assert "learning_rate_init" in str(error)
        else:
            assert_result_or_clear_error(model.predict_proba, X2)


# ============================================================================================== regressions
# Inputs that used to end in a crash, a hang, a warning or NaN (issue #9): each now ends in a result or a
# clear ValueError. They are here by name so they run every time, not only when hypothesis happens on them.

REGRESSIONS = {
    "check_float with an int beyond float range": lambda: validation.check_float("x", 10**400),
    "seed -1": lambda: d2.make_circle(random_state=-1),
    "seed 'a'": lambda: datasets.make_line(random_state="a"),
    "noise -0.0": lambda: d2.make_spiral(noise=-0.0),
    "x_range None": lambda: datasets.make_line(x_range=None),
    "slope 1.8e308": lambda: datasets.make_line(w=1.7976931348623157e308),
    "embedding noise 1.8e308": lambda: emb.make_iris(50, noise=1.7976931348623157e308),
    "grid over ±1e308": lambda: d2.make_grid((-1e308, 1e308, 0, 1)),
    "finite difference with h = 0": lambda: derivatives.forward_difference(np.sin, 1.0, 0.0),
    "mse_gradient of no data": lambda: linear_model.mse_gradient([1.0, 0.0], np.array([]), np.array([])),
    "mse_hessian of no data": lambda: linear_model.mse_hessian([]),
    "max_stable_learning_rate of a 2x3 matrix": lambda: gd.max_stable_learning_rate(np.ones((2, 3))),
    "confusion_matrix with 2.5 classes": lambda: metrics.confusion_matrix([0], [0], 2.5),
    "confusion_matrix with a label out of range": lambda: metrics.confusion_matrix([0, 5], [1, 1], 2),
    "accuracy_score of different lengths": lambda: metrics.accuracy_score([0, 1], [0]),
    "fit_steps_curve of different lengths": lambda: mb.fit_steps_curve([1, 2], [10, 5, 3]),
    "fit_steps_curve with batch size 0": lambda: mb.fit_steps_curve([0, 1, 2], [10, 5, 3]),
    "two_batch_estimate with a 2,000,000 batch": lambda: mb.two_batch_estimate(LINE, [0, 0], 1, 2_000_000),
    "gradient_noise at 1e300": lambda: mb.gradient_noise(LINE, [1e300, 1e300]),
    "cosine schedule over 0 steps": lambda: opt.cosine(np.arange(1, 3), 0),
    "step_decay every 2**63 steps": lambda: opt.schedule_factors("step_decay", 10, every=2**63),
    "race_summary with NaN minima": lambda: opt.race_summary(RACE, [np.nan, 0.0]),
    "rosenbrock with a = 1e300": lambda: obj.rosenbrock(a=1e300),
    "bowl with condition 1.8e308": lambda: obj.quadratic_bowl(condition=1.7976931348623157e308),
    "MLP with hidden_layer_sizes=5": lambda: nn.MLPClassifier(hidden_layer_sizes=5),
    "MLP predicting before fit": lambda: nn.MLPClassifier().predict(X2),
    "MLP predicting NaN rows": lambda: NET.predict_proba(np.full((3, 2), np.nan)),
    "MLP scoring no rows": lambda: NET.score(np.empty((0, 2)), []),
    "MLP partial_fit with an unknown label": lambda: nn.MLPClassifier().partial_fit(X2, Y2 + 5, classes=[0, 1]),
    "record_training with test labels it never saw": lambda: training.record_training(
        nn.MLPClassifier(), X2, Y2, X2[:6], np.arange(6) % 3, GRID, GRID, epochs=2),
    "record_training with a 1-D grid": lambda: training.record_training(nn.MLPClassifier(), X2, Y2, X2, Y2,
                                                                        GRID[:, 0], GRID, epochs=2),
    "sharpness with no batch sizes": lambda: sharpness.sharpness_by_batch_size(_small_model, X2, Y2, X2, Y2, [],
                                                                             n_updates=5),
    "hessian_vector_product with eps = 0": lambda: sharpness.hessian_vector_product(BOWL.gradient, [1, 1], [1, 0], 0.0),
    "metrics_at_prevalence with tpr 1.8e308": lambda: thresholds.metrics_at_prevalence(np.finfo(float).max, 0.1, 0.1),
    "per_10k of an empty row": lambda: thresholds.per_10k(thresholds.ThresholdRow(0.5, 0, 0, 0, 0)),
    "auc of 1e308 heights": lambda: thresholds.auc([0, 1, 2], [1e308, 1e308, 1e308]),
    "isotonic_regression with y_min NaN": lambda: cal.isotonic_regression([0.2, 0.1], y_min=np.nan),
    "TemperatureScaling with bounds None": lambda: cal.TemperatureScaling(bounds=None),
    "correct_prevalence from a prevalence of 5e-324": lambda: cal.correct_prevalence([0.5], 5e-324, 0.1),
    "log_loss with eps = 0": lambda: cal.log_loss([0, 1], [0.0, 1.0], eps=0.0),
    "TSNE learning rate 1e300": lambda: tsne.TSNE(learning_rate=1e300, max_iter=260, perplexity=5).fit(X2),
    "TSNE seed -1": lambda: tsne.TSNE(init="random", random_state=-1, max_iter=260, perplexity=5).fit(X2),
    "conditional_probabilities with perplexity 1.8e308": lambda: tsne.conditional_probabilities(
        np.ones((4, 3)), 1.7976931348623157e308),
    "kl_divergence of a 1-D P": lambda: tsne.kl_divergence(np.ones(12), X2[:12]),
    "PCA of 1e300 values": lambda: pca_module.PCA().fit(X2 * 1e300),
}


@pytest.mark.parametrize("name", REGRESSIONS)
def test_former_crash(name):
    assert_result_or_clear_error(REGRESSIONS[name])


def test_text_labels_held_as_python_objects_are_labels():
    """pandas hands text columns over as object arrays; the label checks once refused them as "mixed types"."""
    import pandas as pd

    from core import metrics

    y = pd.Series(["cat", "dog", "cat", "dog"]).to_numpy()
    assert y.dtype == object
    assert metrics.accuracy_score(y, pd.Series(["cat", "cat", "cat", "dog"]).to_numpy()) == 0.75
    with pytest.raises(ValueError, match="missing labels"):
        metrics.accuracy_score(np.array([1, None], dtype=object), [1, 1])
    with pytest.raises(ValueError, match="mixed types"):
        metrics.accuracy_score(np.array([1, "a"], dtype=object), [1, 1])


@pytest.mark.parametrize("labels, named", [([0.0, 1.5], "1.5"), ([0, 7], "7"), (["a", "b"], "'a'"),
                                           (np.array([], dtype=str), None)])
def test_a_wrong_class_index_is_the_one_named(labels, named):
    from core import metrics

    if named is None:  # no labels: nothing wrong, an empty matrix
        assert metrics.confusion_matrix(labels, labels, 2).sum() == 0
        return
    with pytest.raises(ValueError, match=f"got {named}"):
        metrics.confusion_matrix(labels, [0] * len(labels), 2)


def test_an_extent_given_as_an_iterator_is_read_once():
    """``make_grid`` once read ``extent`` twice; an iterator was empty the second time (Python's own error)."""
    xs, ys, points = d2.make_grid(iter([0, 1, 0, 2]), 3)
    assert xs.tolist() == [0, 0.5, 1] and ys.tolist() == [0, 1, 2] and points.shape == (9, 2)
