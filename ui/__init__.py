"""Shared Streamlit pieces: URL-bound controls and presets, the Math & code panel, error display."""
