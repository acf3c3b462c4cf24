"""Shared by every test module: the ``slow`` tier, one speed-up for AppTest, and the t-SNE size tests run."""

import functools

import pytest

try:  # a private Streamlit module: tests/test_private_apis.py fails loudly if it moves
    from streamlit.components.v2 import manifest_scanner
except ImportError:  # pragma: no cover - every test still runs, each AppTest ~0.3 s slower
    manifest_scanner = None

# Every AppTest scans all installed distributions for Streamlit component manifests (~0.3 s each time: it
# parses every package's metadata). That was a third of the time of a test that opens a page. The installed
# packages do not change during a test session, so the first scan serves them all. (A server scans once, at
# start; this changes nothing the app does.)
if manifest_scanner is not None and hasattr(manifest_scanner, "scan_component_manifests"):
    manifest_scanner.scan_component_manifests = functools.cache(manifest_scanner.scan_component_manifests)

#: Modules left out of ``make quick`` (the development loop; ``make test`` and CI run everything): real processes,
#: kernels and servers, timing-sensitive scheduling, corpora and fuzzing that take seconds a case. Measured on
#: 2 cores, these are ~60 % of the non-browser suite's time.
SLOW_MODULES = {
    "test_warmup.py", "test_workers.py", "test_load_harness.py", "test_notebooks.py", "test_hostile_uploads.py",
    "test_fuzz_urls.py", "test_fuzz_core.py", "test_fuzz_expressions.py", "test_session_memory.py",
    "test_subplots.py", "test_prepared_and_housekeeping.py", "test_embedding_click_browser.py", "test_baselines.py",
    "test_scorers.py", "test_bench_browser.py", "test_explorers.py",
}
#: Single tests left out of ``make quick`` for the same reasons (by function name).
SLOW_TESTS = {"test_full_digits_with_every_frame_kl_no_worse_and_trustworthiness_as_sklearns"}


def pytest_collection_modifyitems(items):
    for item in items:
        if item.fspath.basename in SLOW_MODULES or getattr(item, "originalname", item.name) in SLOW_TESTS:
            item.add_marker(pytest.mark.slow)


#: The most points PCA vs t-SNE embeds in a test's process (AppTest runs the page's jobs right there, with no
#: worker to cancel them): a fuzzed or hand-written link asking for up to 20,000 points is computed at this many,
#: with the page's notice that says so. A 20,000-point t-SNE takes a minute or more on two cores. (Servers the
#: browser tests start are separate processes: they keep the real limit.)
TEST_MAX_POINTS = 2_000


@pytest.fixture(autouse=True)
def _tsne_at_test_size(monkeypatch):
    from explorers import embeddings

    monkeypatch.setattr(embeddings, "MAX_POINTS", TEST_MAX_POINTS)
