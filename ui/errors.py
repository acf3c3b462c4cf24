"""Bad input never shows a traceback: a ``ValueError`` from ``core`` becomes a message saying what to change,
and anything unexpected is caught at the router, logged, and explained without the stack."""

from __future__ import annotations

import logging

import streamlit as st

log = logging.getLogger("mlmath")


def explain(error: ValueError, fix: str | None = None) -> None:
    """Show ``error`` (whose message says what was expected and what arrived) as a friendly ``st.error``."""
    message = str(error).strip() or "That combination of settings cannot be computed."
    st.error(message + (f"  \n**What to change:** {fix}" if fix else ""), icon="✋")


def attempt(fn, *args, fix: str | None = None, **kwargs):
    """Call ``fn``; on ``ValueError`` explain it and return ``None`` so the rest of the page keeps working."""
    try:
        return fn(*args, **kwargs)
    except ValueError as error:
        explain(error, fix)
        return None


def run_safely(page) -> None:
    """Run a page; an unexpected exception is logged with its traceback and shown without it."""
    try:
        page.run()
    except Exception as error:  # Streamlit's rerun/stop signals are BaseException and pass through
        log.exception("Unhandled error on page %s", getattr(page, "url_path", page))
        st.error(f"Something went wrong while drawing this page ({type(error).__name__}: {error}). "
                 "Try another preset or reset the controls; the rest of the app keeps working.", icon="⚠️")
