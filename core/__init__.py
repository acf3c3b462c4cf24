"""ML Math Explorer's NumPy library.

Everything the explorers compute lives here, free of any UI: importing ``core`` never imports Streamlit
or Plotly (a test checks it). Where scikit-learn has the same algorithm the names, signatures and learned
attributes (trailing ``_``) mirror it, so the two can be held side by side.
"""

from core.datasets import make_line
from core.derivatives import central_difference, forward_difference
from core.gradient_descent import Trajectory, gradient_descent, max_stable_learning_rate
from core.linear_model import LinearRegressionGD, least_squares_line, mse_gradient, mse_hessian, mse_loss

__all__ = [
    "LinearRegressionGD",
    "Trajectory",
    "central_difference",
    "forward_difference",
    "gradient_descent",
    "least_squares_line",
    "make_line",
    "max_stable_learning_rate",
    "mse_gradient",
    "mse_hessian",
    "mse_loss",
]
