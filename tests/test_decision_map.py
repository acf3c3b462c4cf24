"""Decision maps: the uint8 class/confidence code, its discrete colour scale, and the point traces on top."""

import base64
import json

import numpy as np
import plotly.graph_objects as go
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from viz.decision_map import (INVALID, INVALID_COLOR, LEVELS, class_points, decision_colorscale, decision_heatmap,
                              encode_decision)
from viz.palette import CLASS_COLORS, CLASS_SYMBOLS


def color_at(scale: list, value: int, zmax: int = 255) -> str:
    """The colour Plotly gives ``value`` under a discrete scale: the flat interval (equal-colour stops) that
    holds value / zmax."""
    t = value / zmax
    for (lo, c_lo), (hi, c_hi) in zip(scale, scale[1:]):
        if lo <= t <= hi and c_lo == c_hi:
            return c_lo
    raise AssertionError(f"{value} falls in no flat interval of the scale")


def white_mix(hex_color: str, share: float) -> tuple:
    """``share`` of ``hex_color``, the rest white, as an (r, g, b) tuple (computed independently of the module)."""
    rgb = [int(hex_color[i:i + 2], 16) for i in (1, 3, 5)]
    return tuple(round(share * c + (1 - share) * 255) for c in rgb)


def rgb(hex_color: str) -> tuple:
    return tuple(int(hex_color[i:i + 2], 16) for i in (1, 3, 5))


# ---- encode_decision -------------------------------------------------------------------------------------------

@settings(max_examples=200, deadline=None)
@given(st.integers(2, 5).flatmap(lambda k: arrays(np.float64, (7, k), elements=st.floats(0.001, 1.0))))
def test_argmax_class_is_recovered_from_the_code(weights):
    proba = weights / weights.sum(axis=1, keepdims=True)
    code = encode_decision(proba)
    assert code.dtype == np.uint8 and code.shape == (7,)
    np.testing.assert_array_equal(code // LEVELS, proba.argmax(axis=1))
    assert np.all(code % LEVELS < LEVELS)


def test_level_grows_with_confidence_from_boundary_to_certain():
    p = np.linspace(1 / 3, 1, 201)[1:]  # at exactly 1/3 all three tie and class 0 wins
    proba = np.column_stack([(1 - p) / 2, p, (1 - p) / 2])
    code = encode_decision(proba)
    level = code % LEVELS
    assert np.all(code // LEVELS == 1)
    assert np.all(np.diff(level.astype(int)) >= 0)
    assert level[0] == 0 and level[-1] == LEVELS - 1
    assert len(np.unique(level)) == LEVELS  # every level is used along the way


def test_level_is_the_nearest_of_the_rescaled_confidence():
    # Binary: confidence (p − ½)/(1 − ½) times 15 levels; 7.6 rounds to 8, 7.4 to 7.
    for scaled, level in [(7.6, 8), (7.4, 7), (0.4, 0), (14.6, 15)]:
        p = 0.5 + 0.5 * scaled / (LEVELS - 1)
        assert encode_decision([[1 - p, p]])[0] == LEVELS + level, scaled


@pytest.mark.parametrize("k", [2, 3, 5])
def test_uniform_is_level_zero_and_one_hot_is_the_top_level(k):
    assert encode_decision(np.full(k, 1 / k)) % LEVELS == 0
    one_hot = np.eye(k)
    np.testing.assert_array_equal(encode_decision(one_hot), np.arange(k) * LEVELS + LEVELS - 1)


def test_non_finite_rows_get_the_reserved_code_and_grid_shape_is_kept():
    proba = np.full((4, 5, 3), 1 / 3)
    proba[0, 0] = [np.nan, 0.5, 0.5]
    proba[1, 2, 2] = np.inf
    proba[3, 4] = [1.0, 0.0, 0.0]
    code = encode_decision(proba)
    assert code.shape == (4, 5) and code.dtype == np.uint8
    assert code[0, 0] == INVALID and code[1, 2] == INVALID
    assert code[3, 4] == LEVELS - 1
    assert np.count_nonzero(code == INVALID) == 2


@pytest.mark.parametrize("k", [1, 16])
def test_class_counts_outside_the_code_space_are_refused(k):
    with pytest.raises(ValueError, match="classes"):
        encode_decision(np.full((3, k), 1 / k))


# ---- decision_colorscale --------------------------------------------------------------------------------------

@pytest.mark.parametrize("k", [2, 3, 4, 5])
def test_scale_stops_are_sorted_and_span_zero_to_one(k):
    positions = [pos for pos, _ in decision_colorscale(k)]
    assert positions[0] == 0 and positions[-1] == 1
    assert all(0 <= pos <= 1 for pos in positions)
    assert positions == sorted(positions)


@pytest.mark.parametrize("k", [2, 5])
def test_every_code_sits_mid_interval_away_from_colour_changes(k):
    """Stops at half-integers: each code is half a step from the nearest stop, so it maps to one colour
    however Plotly treats a value that lands exactly on a stop."""
    positions = np.array([pos for pos, _ in decision_colorscale(k)]) * 255
    for code in [*range(k * LEVELS), INVALID]:
        inner = positions[(positions > 0) & (positions < 255)]
        assert np.min(np.abs(inner - code)) >= 0.5 - 1e-9, code


@pytest.mark.parametrize("k", [2, 3, 4, 5])
def test_every_code_gets_its_class_colour_mixed_with_white(k):
    scale = decision_colorscale(k)
    for code in range(k * LEVELS):
        cls, level = divmod(code, LEVELS)
        expected = white_mix(CLASS_COLORS[cls], (level + 1) / LEVELS * 0.6)
        assert np.allclose(rgb(color_at(scale, code)), expected, atol=1), code
    assert color_at(scale, INVALID) == INVALID_COLOR


def test_boundary_is_near_white_and_confidence_is_never_full_colour():
    scale = decision_colorscale(2)
    boundary, sure = rgb(color_at(scale, 0)), rgb(color_at(scale, LEVELS - 1))
    assert min(boundary) > 230
    assert sure != rgb(CLASS_COLORS[0]) and sure == white_mix(CLASS_COLORS[0], 0.6)


def test_a_custom_palette_is_used():
    scale = decision_colorscale(2, colors=["#FF0000", "#0000FF"])
    assert rgb(color_at(scale, LEVELS - 1)) == white_mix("#FF0000", 0.6)
    assert rgb(color_at(scale, 2 * LEVELS - 1)) == white_mix("#0000FF", 0.6)


# ---- decision_heatmap and class_points --------------------------------------------------------------------------

def test_heatmap_ships_one_byte_per_cell_on_the_fixed_range():
    xs, ys = np.linspace(-1, 1, 6), np.linspace(0, 2, 4)
    z = encode_decision(np.random.default_rng(0).dirichlet(np.ones(3), size=(4, 6)))
    trace = decision_heatmap(z, xs, ys, 3)
    spec = json.loads(go.Figure([trace]).to_json())["data"][0]
    assert (trace.zmin, trace.zmax, trace.showscale, trace.hoverinfo) == (0, 255, False, "skip")
    assert [list(stop) for stop in trace.colorscale] == decision_colorscale(3)
    assert spec["z"]["dtype"] == "u1"
    np.testing.assert_array_equal(np.frombuffer(base64.b64decode(spec["z"]["bdata"]), np.uint8).reshape(4, 6), z)


def test_heatmap_refuses_z_that_does_not_match_the_axes():
    with pytest.raises(ValueError, match="shape"):
        decision_heatmap(np.zeros((6, 4), np.uint8), np.arange(6), np.arange(4), 2)


def test_one_trace_per_class_even_when_a_class_is_absent():
    X = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.5]])
    traces = class_points(X, np.array([0, 2, 2]), 4)
    assert [t.name for t in traces] == [f"class {k} (train)" for k in range(4)]
    assert [len(t.x) for t in traces] == [1, 0, 2, 0]
    np.testing.assert_array_equal(traces[2].x, [1.0, 2.0])
    assert [t.marker.symbol for t in traces] == CLASS_SYMBOLS[:4]
    assert all(t.marker.color == CLASS_COLORS[k] and t.marker.line.color == "white" for k, t in enumerate(traces))


def test_test_points_are_hollow_with_a_thicker_outline():
    X, y = np.zeros((2, 2)), np.array([0, 1])
    train, test = class_points(X, y, 2), class_points(X, y, 2, name="test", test=True)
    assert [t.name for t in test] == ["class 0 (test)", "class 1 (test)"]
    assert all(t.marker.symbol.endswith("-open") for t in test)
    assert not any(t.marker.symbol.endswith("-open") for t in train)
    assert all(te.marker.line.width > tr.marker.line.width for te, tr in zip(test, train))
