"""The server's runtime, apart from what pages draw: the worker process for long computations (``workers``), the
warm-up that fills the caches before a class arrives (``warmup``), process tuning and memory hand-back
(``housekeeping``), and the one module that touches Streamlit's private internals (``streamlit_internals``).
Used by ``app.py``, the pages and ``ui``; it never imports a page, ``viz`` or ``explorers`` (the warm-up reads
the registry and the lessons in ``ui``: what views a class opens)."""
