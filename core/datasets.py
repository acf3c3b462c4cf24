"""Toy data sets, each a plain function of sizes, noise and a ``random_state`` (as in ``sklearn.datasets``)."""

from __future__ import annotations

from core.validation import check_float, check_int, check_random_state

#: Largest size of w, b, noise and x_range accepted: far beyond any line worth drawing, and small enough that
#: w·x + b + noise can never overflow.
MAX_PARAMETER = 1e6


def make_line(n_samples: int = 40, *, w: float = 2.0, b: float = -1.0, noise: float = 0.5,
              x_range: tuple[float, float] = (0.0, 2.0), random_state: int | None = 0):
    """Noisy points around the line ``y = w·x + b``.

    .. math:: x_i \\sim \\mathcal U(x_{lo}, x_{hi}),\\quad y_i = w x_i + b + \\varepsilon_i,\\quad
              \\varepsilon_i \\sim \\mathcal N(0, \\sigma^2)

    Parameters
    ----------
    n_samples : int, 2 … 100,000 (a line needs two points).
    w, b : float, the true slope and intercept, each within ±1e6.
    noise : float, the standard deviation σ of the Gaussian noise (0 gives points exactly on the line), at most 1e6.
    x_range : (low, high), where the x values are drawn from, within ±1e6.
    random_state : int or None, the seed; the same seed gives the same points.

    Returns
    -------
    x, y : ndarrays of shape (n_samples,), float64.
    """
    n_samples = check_int("n_samples", n_samples, low=2, high=100_000)
    w = check_float("w", w, low=-MAX_PARAMETER, high=MAX_PARAMETER)
    b = check_float("b", b, low=-MAX_PARAMETER, high=MAX_PARAMETER)
    noise = check_float("noise", noise, low=0.0, high=MAX_PARAMETER)
    try:
        low, high = x_range
    except (TypeError, ValueError):
        raise ValueError(f"x_range must be a pair (low, high), got {x_range!r}.") from None
    low = check_float("x_range[0]", low, low=-MAX_PARAMETER, high=MAX_PARAMETER)
    high = check_float("x_range[1]", high, low=-MAX_PARAMETER, high=MAX_PARAMETER)
    if not low < high:
        raise ValueError(f"x_range must be (low, high) with low < high, got {x_range!r}.")
    rng = check_random_state(random_state)
    x = rng.uniform(low, high, size=n_samples)
    y = w * x + b + noise * rng.standard_normal(n_samples)
    return x, y
