"""Reference models from scikit-learn, fitted on the same data as an explorer's model, for comparison.

Imports scikit-learn and NumPy only: no Streamlit, no Plotly (figures live in ``viz``). scikit-learn loads when
a name below is first used (PEP 562), not when ``baselines.scorers`` is imported for its model labels: the
server then never loads it unless someone compares models (the fits run in its worker, ``server/workers.py``).
"""

__all__ = ["MODELS", "BaselineResult", "compare"]


def __getattr__(name: str):
    if name in __all__:
        from baselines import sklearn_zoo

        return getattr(sklearn_zoo, name)
    raise AttributeError(f"module 'baselines' has no attribute {name!r}")
