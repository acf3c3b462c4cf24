"""The typed control declarations: link → values → link round-trips, and bad links fall back with notices."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ui.params import (BoolParam, ChoiceParam, FloatParam, IntParam, LogFloatParam, Preset, parse_url,
                       to_url)

PARAMS = [
    LogFloatParam("lr", "Learning rate", 0.1, low=1e-4, high=10.0),
    IntParam("steps", "Steps", 100, low=1, high=500),
    FloatParam("w0", "Start", -1.0, low=-10.0, high=10.0),
    ChoiceParam("kind", "Kind", "a", options={"a": "A", "b": "B"}),
    BoolParam("show", "Show", False),
]
PRESETS = {"fast": Preset("Fast", {"lr": 1.0, "steps": 20}, "It is fast.")}


def values_strategy():
    return st.fixed_dictionaries({
        "lr": st.floats(1e-4, 10.0), "steps": st.integers(1, 500), "w0": st.floats(-10.0, 10.0),
        "kind": st.sampled_from(["a", "b"]), "show": st.booleans()})


@settings(max_examples=200, deadline=None)
@given(values=values_strategy(), preset=st.sampled_from([None, "fast"]))
def test_any_valid_view_round_trips_through_the_url(values, preset):
    url = to_url(values, preset, PARAMS, PRESETS)
    assert all(isinstance(v, str) for v in url.values())
    parsed_preset, parsed, notices = parse_url(url, PARAMS, PRESETS)
    assert notices == [] and parsed_preset == preset
    for name, value in values.items():
        if isinstance(value, float):
            assert math.isclose(parsed[name], value, rel_tol=1e-5), name
        else:
            assert parsed[name] == value, name


def test_defaults_make_an_empty_url_and_a_preset_only_its_name():
    defaults = {p.name: p.default for p in PARAMS}
    assert to_url(defaults, None, PARAMS, PRESETS) == {}
    assert to_url({**defaults, "lr": 1.0, "steps": 20}, "fast", PARAMS, PRESETS) == {"preset": "fast"}
    assert to_url({**defaults, "lr": 1.0, "steps": 21}, "fast", PARAMS, PRESETS) == {"preset": "fast", "steps": "21"}


@pytest.mark.parametrize("url, name, says", [
    ({"lr": "banana"}, "lr", "not a number"),
    ({"lr": "0"}, "lr", "from 0.0001 to 10"),
    ({"lr": "nan"}, "lr", "not a finite number"),
    ({"steps": "-5"}, "steps", "from 1 to 500"),
    ({"steps": "2.5"}, "steps", "whole number"),
    ({"w0": "1e400"}, "w0", "not a finite number"),
    ({"kind": "zzz"}, "kind", "one of a, b"),
    ({"show": "maybe"}, "show", "1 or 0"),
])
def test_bad_link_values_fall_back_to_the_default_with_a_notice(url, name, says):
    _, values, notices = parse_url(url, PARAMS, PRESETS)
    default = next(p.default for p in PARAMS if p.name == name)
    assert values[name] == default
    assert len(notices) == 1 and says in notices[0] and f"{name}=" in notices[0]


def test_unknown_preset_and_unknown_parameter_get_notices():
    preset, values, notices = parse_url({"preset": "nope", "zzz": "1", "steps": "7"}, PARAMS, PRESETS)
    assert preset is None and values["steps"] == 7 and values["lr"] == 0.1
    assert any("preset `nope`" in n and "`fast`" in n for n in notices)
    assert any("`zzz=1`" in n for n in notices)


def test_explicit_values_override_the_preset():
    preset, values, _ = parse_url({"preset": "fast", "steps": "33"}, PARAMS, PRESETS)
    assert (preset, values["lr"], values["steps"]) == ("fast", 1.0, 33)


def test_log_grid_is_sorted_within_bounds_and_holds_round_numbers():
    grid = LogFloatParam("h", "h", 0.5, low=1e-12, high=1.0, per_decade=(1.0, 2.0, 5.0)).grid()
    assert grid == sorted(grid) and grid[0] == 1e-12 and grid[-1] == 1.0 and 0.5 in grid and 2e-7 in grid
