"""Fuzz every page's link (issue #9): random text, and extreme but valid values, for every parameter.

Every link must open a page that works, or says clearly what it could not use — never

* an exception, or ``run_safely``'s "Something went wrong" catch-all (a bug caught is still a bug);
* a hang: AppTest's ``default_timeout`` turns one into a failure;
* a link value dropped without a notice naming it (as the notice quotes it: :func:`ui.params.shown`);
* a NaN or an infinity drawn as if it were data. Every Plotly spec is decoded (base64 typed arrays included)
  and every x, y and z of every trace of every frame checked, and every text label. NaN is allowed only as a
  gap the figure means — a separator between line segments, an empty bar, a blank heatmap cell — or where the
  page says why there is no number (":data:`EXPLAINED`": "… diverged", "never reached", "undefined", ...). An
  infinity is never allowed, nor NaN in an axis range, nor "nan"/"inf" written where a number belongs (metrics,
  formulas, chart labels).

Two modes per page. ``junk``: every parameter, the preset, the app's own keys (lesson, presenter mode, ...)
and a few unknown keys get random text (unicode, control characters, Markdown, kilobytes, numbers in odd
spellings) or nothing; the computation stays at its cached defaults, so this is cheap. ``extreme``: every
parameter gets a valid value, mostly its lowest or highest, in random combinations (largest learning rate with
most steps, ...) — this is what overflows, stalls or runs slowest, so it is expensive and gets few examples on the
heavy pages. Hypothesis's first, simplest example in that mode is the all-lowest corner; the all-highest corner
of the cheaper pages is a test of its own.

Cost: about a minute on one core (:data:`EXAMPLES`). ``FUZZ_SCALE=20 pytest tests/test_fuzz_urls.py`` explores
twenty times as many links. Failing links are printed, not shrunk (shrinking would rerun pages for minutes).

Problems it found in pages and figures were fixed; each has a regression test at the end of this file.
"""

from __future__ import annotations

import base64
import json
import math
import os
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from tests.test_app_pages import APP, declared, url_of
from ui.lessons import LESSONS
from ui.params import (APP_KEYS, MATH_KEY, PRESET_KEY, BoolParam, ChoiceParam, FloatParam, IntParam, LogFloatParam,
                       MultiChoiceParam, TextParam, shown)
from ui.registry import EXPLORERS

PAGES = [e.path for e in EXPLORERS]
#: Links per page: (junk, extreme); a new page gets (4, 2). The heavy pages train networks, run t-SNE or fit
#: 100,000 rows.
EXAMPLES = {"fit-a-line": (8, 8), "optimizers": (6, 6), "decision-boundary": (5, 3), "batch-size": (5, 3),
            "pca-vs-tsne": (4, 2), "calibration": (4, 2)}
SCALE = float(os.environ.get("FUZZ_SCALE", "1"))
#: Seconds after which a run counts as hung. The slowest legitimate link (t-SNE of 2,000 points for 2,000
#: iterations plus the small multiples) takes about 15 s on one core.
TIMEOUT = 120

# --- link values -------------------------------------------------------------------------------------------

#: Numbers in odd spellings, lists, Markdown, HTML, control and invisible characters, kilobytes.
ODD = ["1e308", "-1e308", "1e-320", "-0", "+0", "0x10", "0b1", " 3 ", "\t3\n", "nan", "NaN", "-nan", "inf", "-inf",
       "Infinity", "1_000", "1,5", "1,2,,3", ",", ",,", "1.0.0", "1e", ".", "-", "--1", "١٢", "１２", "³", "Ⅻ",
       "0" * 40 + "1", "9" * 400, "true", "None", "[]", "[1, 2]", "%00", "%25", "\x00", "\x7f", "\n", "\r\n",
       "a\n\n# heading", "\u202e", "\ufeff", "\u200b", "`", "``", "x` ![img](https://example.com/x.png) `",
       "**bold**", "[link](https://example.com)", "<script>alert(1)</script>", "$x^2$", ":red[x]", "&", "=", "?",
       "#", "'; DROP TABLE x; --", "a" * 5000, "9" * 5000]
junk_text = st.one_of(st.sampled_from(ODD), st.text(max_size=30), st.text(min_size=200, max_size=600),
                      st.floats().map(repr), st.integers().map(str),
                      st.lists(st.sampled_from(["1", "2", "", "x", "sgd", "adam", "full", " "]), max_size=6
                               ).map(",".join))

#: Formulas for the optimizers page: valid, but NaN, infinite, flat, huge or kinked somewhere.
EXPRESSIONS = ["1/0", "0/0", "log(0)", "log(x)", "sqrt(x)", "log(-1)", "exp(1000)", "exp(exp(x))", "x**100",
               "10**100*x", "1e308*x*y", "-exp(x**2)", "x/y", "1/(x**2+y**2)", "tan(x)", "0", "x", "-x", "abs(x)",
               "minimum(x, y)", "maximum(x**2, y**2)", "sinh(100*x)", "cosh(y)**50", "x**2 + 1e-300*y",
               "-(x**2 + y**2)", "sin(1e10*x)", "x" + "+x" * 99]


def extreme(p) -> st.SearchStrategy[str]:
    """Valid link values of ``p``, mostly its edges (where a computation overflows, stalls or is slowest).
    The simplest (first) value is the lowest: Hypothesis's first example is the all-lowest corner."""
    if isinstance(p, IntParam):
        return st.one_of(st.sampled_from([p.low, p.high]), st.integers(p.low, p.high)).map(str)
    if isinstance(p, LogFloatParam):
        inside = st.floats(math.log10(p.low), math.log10(p.high)).map(lambda e: min(max(10 ** e, p.low), p.high))
        return st.one_of(st.sampled_from([p.low, p.high]), inside).map(p.format)
    if isinstance(p, FloatParam):
        return st.one_of(st.sampled_from([p.low, p.high]), st.floats(p.low, p.high)).map(p.format)
    if isinstance(p, MultiChoiceParam):
        options = list(p.options)
        some = st.lists(st.sampled_from(options), min_size=p.min_count, unique=True)
        return st.one_of(st.just(options), some).map(p.format)
    if isinstance(p, ChoiceParam):
        return st.sampled_from(list(p.options))
    if isinstance(p, BoolParam):
        return st.sampled_from(["1", "0"])
    if isinstance(p, TextParam):
        return st.sampled_from(EXPRESSIONS)
    raise AssertionError(f"no strategy for {type(p).__name__}")


def links(path: str, mode: str) -> st.SearchStrategy[dict]:
    """Query strings for ``path`` (see the module docstring for the two modes)."""
    params, presets = declared(path)
    taken = {p.name for p in params} | {PRESET_KEY, *APP_KEYS}
    if mode == "junk":
        values = {p.name: st.one_of(junk_text, st.none()) for p in params}
        app = {k: st.one_of(junk_text, st.none()) for k in APP_KEYS}
        app["present"] = st.one_of(st.just("1"), junk_text, st.none())  # so that ``hide`` is read
        app["lesson"] = st.one_of(st.sampled_from(list(LESSONS)), junk_text, st.none())  # so that ``step`` is
        app[MATH_KEY] = st.one_of(st.just("false"), junk_text, st.none())
        preset = st.one_of(junk_text, st.none())
        extra = st.dictionaries(st.text(min_size=1, max_size=12).filter(lambda k: k not in taken), junk_text,
                                max_size=2)
    else:
        values = {p.name: st.one_of(extreme(p), st.none()) for p in params}
        app = {"present": st.sampled_from([None, "1"]), "motion": st.sampled_from([None, "reduced"]),
               MATH_KEY: st.sampled_from([None, "false"])}
        preset = st.one_of(st.none(), st.sampled_from(list(presets) or [None]))
        extra = st.just({})
    query = st.fixed_dictionaries({**values, PRESET_KEY: preset, **app})
    return st.tuples(query, extra).map(lambda q: {**{k: v for k, v in q[0].items() if v is not None}, **q[1]})


# --- what a chart may draw ---------------------------------------------------------------------------------

def decode(value) -> np.ndarray | None:
    """A Plotly spec value as floats (lists, nested lists, base64 typed arrays; None → NaN); None for text."""
    if isinstance(value, dict) and "bdata" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"])).astype(float)
    if not isinstance(value, (list, tuple)):
        return None
    flat = []
    for item in value:
        if isinstance(item, (list, tuple, dict)):
            part = decode(item)
            if part is None:
                return None
            flat.extend(part.tolist())
        elif item is None:
            flat.append(math.nan)
        elif isinstance(item, (int, float)) and not isinstance(item, bool):
            flat.append(float(item))
        else:
            return None  # categories, labels: not numbers
    return np.array(flat, dtype=float)


def _separators(array: np.ndarray, nan: np.ndarray) -> bool:
    """True if every NaN at ``nan`` is a lone gap between segments (a finite value or an end on each side)."""
    ok_before = (nan == 0) | np.isfinite(array[np.maximum(nan - 1, 0)])
    ok_after = (nan == len(array) - 1) | np.isfinite(array[np.minimum(nan + 1, len(array) - 1)])
    return bool(np.all(ok_before & ok_after))


#: "nan" or "inf" where a number belongs (not inside a word or a LaTeX command such as \infty).
NUMBER_WORD = re.compile(r"(?<![\w\\])[-+]?(nan|inf|infinity)(?!\w)", re.IGNORECASE)
#: What a page says when it has no number to draw: a racer diverged, a batch size never reached the target, a
#: quantity is undefined (0/0) or infinite (x/0) there.
EXPLAINED = re.compile(r"diverged|never reached|undefined|infinite", re.IGNORECASE)


def drawn_problems(spec: dict, explained: bool) -> list[str]:
    """Every non-finite number (or "nan" label) the figure would draw as data."""
    problems = []
    base = spec.get("data", [])
    traces = [(f"trace {i}", trace, trace) for i, trace in enumerate(base)]
    for f, frame in enumerate(spec.get("frames") or []):
        indices = frame.get("traces", list(range(len(frame.get("data", [])))))
        for index, trace in zip(indices, frame.get("data", [])):
            traces.append((f"frame {f} trace {index}", trace, base[index] if index < len(base) else trace))
    for where, trace, kind in traces:
        kind_type, mode = kind.get("type", "scatter"), kind.get("mode", "")
        name = f"{where} ({kind.get('name') or kind_type})"
        for key in ("x", "y", "z"):
            array = decode(trace.get(key))
            if array is None or array.size == 0:
                continue
            if np.isinf(array).any():
                problems.append(f"{name} {key}: {int(np.isinf(array).sum())} infinite values")
            nan = np.flatnonzero(np.isnan(array))
            if not nan.size or explained or kind_type in ("bar", "histogram"):  # an empty bar (0 on a log axis)
                continue
            if kind_type in ("heatmap", "contour", "surface") and np.isfinite(array).any():  # blank cells
                continue
            if "lines" in mode and _separators(array, nan):  # gaps between line segments
                continue
            problems.append(f"{name} {key}: {nan.size} NaN of {array.size}, and the page does not say why")
        labels = trace.get("text")
        labels = [labels] if isinstance(labels, str) else labels if isinstance(labels, list) else []
        bad = [t for t in labels if isinstance(t, str) and NUMBER_WORD.search(t)]
        if bad:
            problems.append(f"{name} text: {bad[0]!r}")
        if kind_type == "table" and NUMBER_WORD.search(json.dumps(trace.get("cells", {}).get("values", []))):
            problems.append(f"{name}: a table cell shows nan/inf")
    for name, axis in spec.get("layout", {}).items():
        if re.fullmatch(r"[xy]axis\d*", name) and isinstance(axis, dict) and "range" in axis:
            values = decode(axis["range"])
            if values is not None and not np.isfinite(values).all():
                problems.append(f"layout.{name}.range is {axis['range']}")
    return problems


# --- running a link ----------------------------------------------------------------------------------------

def open_link(path: str, query: dict) -> AppTest:
    """A fresh session opening ``path`` with ``query``, as a browser opening the link would.

    ``st.Page`` serves a page under the hash of its ``url_path``; ``switch_page`` only learns that from a first
    run of the home page (~0.3 s, more than most cases here), so the hash is set directly."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at._page_hash = calc_hash(url_of(path))
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert at.title and at.title[0].value != "ML Math Explorer", "the page did not open"
    return at


def chart_key(chart) -> str:
    """The ``key=`` a page gave ``st.plotly_chart`` (AppTest's element id is ``$$ID-<hash>-<key>``)."""
    return chart.proto.id.split("-", 2)[-1]


def problems(path: str, query: dict, at: AppTest) -> list[str]:
    """Everything wrong with the page ``at`` opened from ``query`` (empty: it worked)."""
    found = [f"exception: {e.value}" for e in at.exception]
    found += [f"caught: {e.value}" for e in at.error if "Something went wrong" in e.value]
    params, presets = declared(path)
    warnings = " ".join(w.value for w in at.warning)
    for p in params:
        if p.name in query:
            try:
                p.parse(query[p.name])
            except ValueError:  # dropped: a notice must name it
                if f"`{p.name}={shown(query[p.name])}`" not in warnings:
                    found.append(f"no notice for {p.name}={shown(query[p.name])}")
                if at.session_state[f"{url_of(path)}.{p.name}"] is None:
                    found.append(f"{p.name} holds no value")
    preset = query.get(PRESET_KEY)
    if preset is not None and preset not in presets and f"preset `{shown(preset)}`" not in warnings:
        found.append(f"no notice for preset={shown(preset)}")
    explained = any(EXPLAINED.search(m.value) for m in [*at.error, *at.warning, *at.caption])
    for chart in at.get("plotly_chart"):
        found += [f"{chart_key(chart)}: {p}" for p in drawn_problems(json.loads(chart.proto.spec), explained)]
    found += [f"metric {m.label!r} = {m.value!r}" for m in at.metric if NUMBER_WORD.search(str(m.value))]
    found += [f"formula {eq.value[:100]!r}" for eq in at.latex if NUMBER_WORD.search(eq.value)]
    return found


#: Problems the fuzz may tolerate, by page (regular expressions over ``problems()``): none now. The fuzz found
#: five (see the regression tests at the end of this file), and each was fixed where it lived.
KNOWN: dict[str, list[re.Pattern]] = {}


def check(path: str, query: dict) -> AppTest:
    at = open_link(path, query)
    known = KNOWN.get(url_of(path), [])
    found = [p for p in problems(path, query, at) if not any(k.search(p) for k in known)]
    assert not found, "\n".join([f"link: {shown(json.dumps(query, ensure_ascii=False), 3000)}", *found[:12]])
    return at


def fuzz(path: str, mode: str) -> None:
    count = max(1, round(EXAMPLES.get(url_of(path), (4, 2))[mode == "extreme"] * SCALE))

    @settings(max_examples=count, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(query=links(path, mode))
    def run(query):
        check(path, query)

    run()


@pytest.mark.parametrize("path", PAGES)
def test_junk_in_every_parameter_gets_a_notice_and_the_page_works(path):
    fuzz(path, "junk")


@pytest.mark.parametrize("path", PAGES)
def test_extreme_valid_values_never_crash_hang_or_draw_nan(path):
    fuzz(path, "extreme")


def corner(path: str, edge: str) -> dict:
    """Every numeric parameter at its ``edge`` ("low" or "high"), every multiple choice at all its options."""
    query = {}
    for p in declared(path)[0]:
        if isinstance(p, (IntParam, FloatParam, LogFloatParam)):
            query[p.name] = p.format(getattr(p, edge)) if not isinstance(p, IntParam) else str(getattr(p, edge))
        elif isinstance(p, MultiChoiceParam):
            query[p.name] = p.format(list(p.options))
    return query


@pytest.mark.parametrize("path", ["pages/fit-a-line.py", "pages/optimizers.py", "pages/batch-size.py"])
def test_every_parameter_at_its_highest(path):
    check(path, corner(path, "high"))


@pytest.mark.parametrize("raw, quoted", [("banana", "banana"), ("🙂" * 3, "🙂" * 3), ("", ""), (" 3 ", " 3 "),
                                        ("a`b", "a\\x60b"), ("a\n\nb", "a\\x0a\\x0ab"), ("\u202eabc", "\\u202eabc"),
                                        ("\x00", "\\x00"), ("x" * 61, "x" * 60 + "… (61 characters)")])
def test_shown_quotes_link_text_for_a_code_span(raw, quoted):
    assert shown(raw) == quoted


def test_notices_quote_link_values_safely():
    """A link value cannot close the notice's code span, so none of its Markdown is rendered in the app's
    notice (an image fetched from elsewhere, a link, a heading), and a long value is shortened."""
    value = "x` ![img](https://e.example/x.png)\n\n# big `"
    at = check("pages/fit-a-line.py", {"lr": value, "preset": value, value: "1", "steps": "9" * 10_000})
    notices = [w.value for w in at.warning]
    assert len(notices) == 4
    for notice in notices:
        outside = notice.split("`")[0::2]  # the app's own words; the link's text sits in the code spans between
        assert not any("![img]" in part or "\n" in part for part in outside), notice
        assert len(notice) < 500
    quoted = [n for n in notices if "![img]" in n]
    assert len(quoted) == 3 and all("\\x60" in n and "\\x0a\\x0a# big" in n for n in quoted)
    assert any("`steps=" + "9" * 60 + "… (10,000 characters)`" in n for n in notices)


# --- regressions: links the fuzz once found drawing NaN or infinity as data -----------------------------------

def _pinned(path: str, query: dict, pattern: str) -> None:
    at = open_link(path, query)
    found = [p for p in problems(path, query, at) if re.search(pattern, p)]
    assert not found, found[:3]


def test_known_optimizer_step_inspector_after_divergence():
    _pinned("pages/optimizers.py", {"lr": "2", "k": "100"}, r"^formula ")


def test_known_calibration_prevalence_curve_when_nothing_is_flagged():
    _pinned("pages/calibration.py", {"t": "1"}, r"^prevalence: ")


def test_known_batch_noise_scale_at_the_minimum():
    _pinned("pages/batch-size.py", {"sizes": "full", "steps": "1000", "optimizer": "momentum"}, r"infinite")


def test_known_batch_sweep_seeds_that_never_reach_the_target():
    _pinned("pages/batch-size.py", {"base_lr": "1"}, r"^sweep: ")


def test_known_batch_sweep_fit_when_the_critical_batch_size_is_zero():
    _pinned("pages/batch-size.py", {"rule": "none", "base_lr": "0.01", "seed": "9999", "noise": "2",
                                        "target": "0.5"}, r"^sweep: ")


def test_known_batch_noise_scale_metric_at_the_minimum():
    _pinned("pages/batch-size.py", {"n": "485", "cloud_at": "end", "lr": "1", "steps": "1000",
                                        "optimizer": "adam"}, r"^metric 'Noise scale")
