"""The server's runtime, apart from what pages draw: the worker process for long computations (``workers``), the
warm-up that fills the caches before a class arrives (``warmup``), process tuning and memory hand-back
(``housekeeping``). Its private Streamlit uses are in the app's one shim, ``private_apis``.
Used by ``app.py``, the pages and ``ui``; it never imports a page, ``viz`` or ``explorers`` (the warm-up reads
the registry and the lessons in ``ui``: what views a class opens)."""
