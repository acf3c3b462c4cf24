"""The private Streamlit and Plotly names this code base leans on, in one place: each test fails loudly, naming
what moved, when an upgrade changes one, instead of a speed-up silently vanishing or a page breaking."""

import importlib


def test_the_component_manifest_scan_the_tests_cache_is_still_there():
    """tests/conftest.py caches ``scan_component_manifests`` (each AppTest rescans every installed package, ~0.3 s).
    Without it every test still runs, slower: this test says why the suite got slower."""
    scanner = importlib.import_module("streamlit.components.v2.manifest_scanner")
    assert callable(getattr(scanner, "scan_component_manifests", None)), (
        "streamlit.components.v2.manifest_scanner.scan_component_manifests is gone: drop the cache in "
        "tests/conftest.py or point it at its new name")
