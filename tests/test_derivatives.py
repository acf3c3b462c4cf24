"""Finite differences against closed-form derivatives."""

import numpy as np
import pytest

from core import central_difference, forward_difference


@pytest.mark.parametrize("h", [1e-1, 1e-2, 1e-3])
def test_forward_difference_error_is_h_over_two_times_f_second(h):
    x = 0.7  # f = sin: f' = cos, f'' = −sin, so the error is ≈ −h/2 · sin(x)
    error = forward_difference(np.sin, x, h) - np.cos(x)
    assert error == pytest.approx(-h / 2 * np.sin(x), rel=0.05)


def test_central_difference_is_second_order():
    x = 0.7
    e1 = abs(central_difference(np.sin, x, 1e-2) - np.cos(x))
    e2 = abs(central_difference(np.sin, x, 1e-3) - np.cos(x))
    assert e1 / e2 == pytest.approx(100, rel=0.05)


def test_round_off_makes_tiny_h_worse_than_moderate_h():
    x = 0.7
    assert abs(forward_difference(np.exp, x, 1e-13) - np.exp(x)) > abs(forward_difference(np.exp, x, 1e-7)
                                                                        - np.exp(x))


def test_vectorised_over_h():
    hs = np.array([1e-1, 1e-2])
    np.testing.assert_allclose(forward_difference(np.sin, 0.3, hs), (np.sin(0.3 + hs) - np.sin(0.3)) / hs)
