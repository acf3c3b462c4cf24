"""Shared by every test module."""

import functools

from streamlit.components.v2 import manifest_scanner

# Every AppTest scans all installed distributions for Streamlit component manifests (~0.3 s each time: it
# parses every package's metadata). That was a third of the time of a test that opens a page. The installed
# packages do not change during a test session, so the first scan serves them all. (A server scans once, at
# start; this changes nothing the app does.)
manifest_scanner.scan_component_manifests = functools.cache(manifest_scanner.scan_component_manifests)
