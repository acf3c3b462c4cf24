"""Log axes read as numbers: no bare digits for 2…9 × 10ⁿ over a short range."""

import numpy as np
import pytest

from viz.axes import FEW_DECADES, log_ticks, log_ticks_of


def test_a_short_log_range_is_labelled_at_1_2_5_with_whole_values():
    assert log_ticks(-0.6, 0.7) == log_ticks(1.0, 2.3) == {"dtick": "D2", "tickformat": ".2~r"}


def test_a_few_decades_get_a_plain_number_at_each_power_of_ten():
    assert log_ticks(-3.0, 0.0) == {"dtick": 1, "tickformat": "~g"}  # 0.001 … 1
    assert log_ticks(-0.1, 5.1) == {"dtick": 1, "tickformat": "~s"}  # counts: 1, 10, … 1k … 100k


def test_tiny_or_huge_values_are_written_as_powers_of_ten():
    assert log_ticks(-5.4, 0.2) == {"dtick": 1, "exponentformat": "power"}
    assert log_ticks(-17.0, 0.0) == {"exponentformat": "power"}  # Plotly spaces the decades out itself


def test_an_axis_plotly_ranges_itself_is_judged_by_its_positive_finite_values():
    assert log_ticks_of([20, 35, 200, np.inf, 0, -1])["dtick"] == "D2"
    assert log_ticks_of([1, 512])["dtick"] == 1
    assert log_ticks_of([np.nan, 0]) == {}


@pytest.mark.parametrize("figure", ["fit", "batch"])
def test_the_loss_panels_of_short_runs_carry_the_readable_ticks(figure):
    if figure == "fit":
        from core.datasets import make_line
        from core.gradient_descent import gradient_descent
        from core.linear_model import least_squares_line, mse_gradient, mse_loss
        from viz.line_fit import fit_animation

        x, y = make_line(30, w=2.0, b=-1.0, noise=0.5, random_state=0)
        traj = gradient_descent(lambda p: mse_loss(p, x, y), lambda p: mse_gradient(p, x, y), np.array([-1.0, 3.0]),
                                learning_rate=0.3, n_steps=100)
        fig = fit_animation(x, y, traj, optimum=least_squares_line(x, y))
        axes = [fig.to_dict()["layout"]["yaxis3"]]
    else:
        from explorers import batch_size as explorer
        from ui.params import defaults

        v = defaults(explorer.PARAMS)
        sizes = tuple(explorer.sizes_of(explorer.chosen_sizes(v["sizes"]), v["n"]))
        fig = explorer.race_figure(v["n"], v["noise"], v["seed"], sizes, v["lr"], v["scale_lr"], v["steps"],
                                   v["sampling"], v["optimizer"], v["x_axis"])
        layout = fig.to_dict()["layout"]
        axes = [layout["yaxis2"], layout["yaxis3"]]
    for axis in axes:
        low, high = axis["range"]
        assert high - low <= FEW_DECADES and axis["dtick"] == "D2" and axis["tickformat"] == ".2~r"
