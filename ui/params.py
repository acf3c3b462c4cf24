"""Typed control declarations that round-trip through the URL.

A page declares its whole state once, as a list of ``Param`` (like TensorFlow Playground's ``state.ts``).
That one list draws the widgets, parses and validates ``?name=value`` from a shared link, writes the URL
back as the user moves controls, and lets tests fuzz every parameter. Parsing is pure Python (no Streamlit)
so it can be tested directly; only ``widget`` touches Streamlit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import streamlit as st


@dataclass(frozen=True)
class Param:
    """One control: its URL name, label, default and help text."""

    name: str
    label: str
    default: Any
    help: str = ""

    def parse(self, raw: str) -> Any:
        """Value from its URL text; raises ``ValueError`` saying what is expected."""
        raise NotImplementedError

    def format(self, value: Any) -> str:
        """URL text of a value (``parse(format(v)) == v``)."""
        return str(value)

    def widget(self, key: str) -> Any:
        """Draw the control bound to ``st.session_state[key]`` and return its value."""
        raise NotImplementedError


#: Longest piece of a link quoted back in a notice; the rest is elided (a link may carry kilobytes).
SHOWN_LENGTH = 60


def shown(raw: str, limit: int = SHOWN_LENGTH) -> str:
    """``raw`` (a piece of a link) as a notice quotes it inside a Markdown code span: at most ``limit``
    characters, and every backtick, line break, control or invisible character (bidi overrides, zero-width
    spaces, ...) written as an escape such as ``\\x60``. A link is anyone's text: unescaped, a backtick would
    close the code span and a blank line end the paragraph, and the rest would render as Markdown in the app's
    own notice (links, images, headings); a right-to-left override would make the notice lie about the value."""
    text = str(raw)
    head = "".join(ch if ch.isprintable() and ch != "`" else _escape(ch) for ch in text[:limit])
    return head + (f"… ({len(text):,} characters)" if len(text) > limit else "")


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _number(raw: str) -> float:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ValueError("it is not a number") from None
    if not math.isfinite(value):
        raise ValueError("it is not a finite number")
    return value


@dataclass(frozen=True)
class FloatParam(Param):
    """A real number in [low, high], drawn as a slider or a number box."""

    low: float = 0.0
    high: float = 1.0
    step: float = 0.1
    fmt: str = "%.2f"
    kind: str = "slider"

    def parse(self, raw: str) -> float:
        value = _number(raw)
        if not self.low <= value <= self.high:
            raise ValueError(f"it must be between {self.low:g} and {self.high:g}")
        return value

    def format(self, value: float) -> str:
        return repr(float(value))

    def widget(self, key: str) -> float:
        draw = st.slider if self.kind == "slider" else st.number_input
        return draw(self.label, min_value=float(self.low), max_value=float(self.high), step=float(self.step),
                    format=self.fmt, key=key, help=self.help or None)


@dataclass(frozen=True)
class IntParam(Param):
    """A whole number in [low, high]."""

    low: int = 0
    high: int = 100
    step: int = 1
    kind: str = "slider"

    def parse(self, raw: str) -> int:
        value = _number(raw)
        if value != int(value):
            raise ValueError("it must be a whole number")
        if not self.low <= value <= self.high:
            raise ValueError(f"it must be a whole number from {self.low} to {self.high}")
        return int(value)

    def widget(self, key: str) -> int:
        draw = st.slider if self.kind == "slider" else st.number_input
        return draw(self.label, min_value=self.low, max_value=self.high, step=self.step, key=key,
                    help=self.help or None)


@dataclass(frozen=True)
class LogFloatParam(Param):
    """A positive number on a log scale (learning rates, step sizes): a slider over a 1-2-5-style grid.

    A link may carry any value in [low, high]; it is added to the grid so it is shown exactly.
    """

    low: float = 1e-4
    high: float = 10.0
    per_decade: tuple[float, ...] = (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 7.0)

    def grid(self) -> list[float]:
        decades = range(math.floor(math.log10(self.low)), math.ceil(math.log10(self.high)) + 1)
        values = {float(f"{m * 10.0**d:.6g}") for d in decades for m in self.per_decade}
        return sorted(v for v in values if self.low <= v <= self.high)

    def parse(self, raw: str) -> float:
        value = _number(raw)
        if not self.low <= value <= self.high:
            raise ValueError(f"it must be a positive number from {self.low:g} to {self.high:g}")
        return value

    def format(self, value: float) -> str:
        return f"{float(value):.6g}"

    def widget(self, key: str) -> float:
        current = st.session_state.get(key, self.default)
        options = sorted(set(self.grid()) | {float(current)})
        return st.select_slider(self.label, options=options, key=key, format_func=lambda v: f"{v:g}",
                                help=self.help or None)


@dataclass(frozen=True)
class ChoiceParam(Param):
    """One of a fixed set of options; ``options`` maps URL value → label."""

    options: dict = field(default_factory=dict)
    kind: str = "select"

    def parse(self, raw: str) -> str:
        if raw not in self.options:
            raise ValueError(f"it must be one of {', '.join(self.options)}")
        return raw

    def widget(self, key: str) -> str:
        draw = st.radio if self.kind == "radio" else st.selectbox
        return draw(self.label, options=list(self.options), format_func=self.options.get, key=key,
                    help=self.help or None, **({"horizontal": True} if self.kind == "radio" else {}))


@dataclass(frozen=True)
class MultiChoiceParam(Param):
    """Several of a fixed set of options (a tuple), ``a,b,c`` in the URL; ``options`` maps value → label."""

    options: dict = field(default_factory=dict)
    min_count: int = 1
    kind: str = "multiselect"  # or "pills": every option visible as a toggle

    def parse(self, raw: str) -> tuple:
        chosen = tuple(dict.fromkeys(v for v in raw.split(",") if v))
        unknown = [v for v in chosen if v not in self.options]
        if unknown:
            raise ValueError(f"`{shown(unknown[0])}` is not one of {', '.join(self.options)}")
        if len(chosen) < self.min_count:
            raise ValueError(f"it needs at least {self.min_count} of {', '.join(self.options)}")
        return chosen

    def format(self, value) -> str:
        return ",".join(value)

    def widget(self, key: str) -> tuple:
        if self.kind == "pills":
            return tuple(st.pills(self.label, options=list(self.options), format_func=self.options.get,
                                  selection_mode="multi", key=key, help=self.help or None) or ())
        return tuple(st.multiselect(self.label, options=list(self.options), format_func=self.options.get,
                                    key=key, help=self.help or None))


@dataclass(frozen=True)
class TextParam(Param):
    """Free text of at most ``max_length`` characters (what it means is the page's business to check)."""

    max_length: int = 300

    def parse(self, raw: str) -> str:
        if len(raw) > self.max_length:
            raise ValueError(f"it must be at most {self.max_length} characters, got {len(raw)}")
        return raw

    def widget(self, key: str) -> str:
        return st.text_input(self.label, key=key, max_chars=self.max_length, help=self.help or None)


@dataclass(frozen=True)
class BoolParam(Param):
    """An on/off switch (``1``/``0`` in the URL)."""

    def parse(self, raw: str) -> bool:
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError("it must be 1 or 0")

    def format(self, value: bool) -> str:
        return "1" if value else "0"

    def widget(self, key: str) -> bool:
        return st.toggle(self.label, key=key, help=self.help or None)


@dataclass(frozen=True)
class Preset:
    """A named view: its label, control values (the rest stay at their defaults) and what to notice.

    Presets are keyed by a short slug, which is what the URL carries (``?preset=diverging``).
    """

    label: str
    values: dict
    notice: str


PRESET_KEY = "preset"
#: A closed Math & code panel in a link (``?math=false``): Streamlit keeps it in the URL itself (the panel is bound
#: with ``bind="query-params"``), so a view never writes it.
MATH_KEY = "math"
#: Link keys that belong to the app, not to a page's controls (lessons, presenter mode, the Math & code panel):
#: never "unknown".
APP_KEYS = ("lesson", "step", "present", "hide", "motion", "palette", MATH_KEY)


def defaults(params: list[Param]) -> dict:
    """Every control's default value, by name."""
    return {p.name: p.default for p in params}


def parse_url(url: dict[str, str], params: list[Param], presets: dict[str, Preset]):
    """Turn a link's query parameters into ``(preset, values, notices)``.

    The view is the defaults, then the preset's values, then any explicit parameters. A value that cannot
    be used (``?lr=banana``, ``?steps=-5``, an unknown preset or parameter) is dropped with a notice that
    says what was expected and what is used instead; nothing raises.
    """
    notices = []
    preset = url.get(PRESET_KEY)
    if preset is not None and preset not in presets:
        known = ", ".join(f"`{p}`" for p in presets) or "none on this page"
        notices.append(f"The link asks for preset `{shown(preset)}`, which this page does not have "
                       f"(presets: {known}). Showing the defaults instead.")
        preset = None
    values = defaults(params)
    if preset:
        values.update(presets[preset].values)
    by_name = {p.name: p for p in params}
    for name, raw in url.items():
        if name == MATH_KEY and raw not in ("true", "false"):
            notices.append(f"Ignored `{name}={shown(raw)}` from the link: `{name}=false` closes the Math & code "
                           f"panel and `{name}=true` opens it; it stays open.")
        if name == PRESET_KEY or name in APP_KEYS:
            continue
        if name not in by_name:
            notices.append(f"Ignored `{shown(name)}={shown(raw)}` from the link: this page has no control called "
                           f"`{shown(name)}`.")
            continue
        param = by_name[name]
        try:
            values[name] = param.parse(raw)
        except ValueError as error:
            notices.append(f"Ignored `{name}={shown(raw)}` from the link: {param.label.lower()} — {error}. "
                           f"Using {param.format(values[name])} instead.")
    return preset, values, notices


def to_url(values: dict, preset: str | None, params: list[Param], presets: dict[str, Preset]) -> dict:
    """The query parameters of a view: the preset, and only the values that differ from what it implies."""
    base = defaults(params)
    url = {}
    if preset:
        base.update(presets[preset].values)
        url[PRESET_KEY] = preset
    for p in params:
        if not _same(values[p.name], base[p.name]):
            url[p.name] = p.format(values[p.name])
    return url


def _same(a, b) -> bool:
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):  # a multiselect holds a list
        return tuple(a) == tuple(b)
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=0.0)  # np.isclose: 20× slower on scalars
    return a == b
