"""Plotly figure builders: results from ``core`` in, ``go.Figure`` out. No Streamlit here."""
