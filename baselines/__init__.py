"""Reference models from scikit-learn, fitted on the same data as an explorer's model, for comparison.

Imports scikit-learn and NumPy only: no Streamlit, no Plotly (figures live in ``viz``).
"""

from baselines.sklearn_zoo import MODELS, BaselineResult, compare

__all__ = ["MODELS", "BaselineResult", "compare"]
