"""Each explorer's declarations and computations are importable plain Python (``explorers/<name>.py``), the page
builds its view from exactly them, and ``warm(values)`` computes everything the page computes for a view (issue 24).

"Everything" is checked where it costs: after ``warm`` (every cache emptied first), opening the page at the same
link sends no job and no drawing to the worker pool. The server's warm-up (``server.warmup.warm``) runs ``warm``
over every view a class opens: defaults, presets and lesson steps, one after the other.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import warnings
from pathlib import Path

import pytest
import streamlit as st

from server import warmup, workers
from tests.test_app_pages import PicklingPool, assert_clean, open_page
from ui import view as ui_view
from ui.params import parse_url
from ui.registry import EXPLORERS, explorer

ROOT = Path(__file__).resolve().parent.parent
IDS = [e.url_path for e in EXPLORERS]
#: Views off the presets where the page's own fallbacks decide what is computed: the warm-up must follow them.
OFF_PRESET = {
    "optimizers": [
        # settings the race ignores, a rate per racer, no racer chosen, a start where f is not finite
        {"surface": "beale", "beta": "0.5", "expr": "x**2", "opts": "adam,adamw", "per_lr": "1", "lr_adam": "0.02"},
        {"opts": "", "lr": "0.1"}, {"surface": "custom", "expr": "log(x) + y**2", "x0": "-1"}],
    "decision-boundary": [{"data": "upload"}, {"compare": "1", "n": "40"}, {"features": ""},
                          {"epochs": "2000", "batch": "1", "n": "1000"}],
    "batch-size": [{"sizes": ""}, {"cloud_at": "middle", "n": "128"}, {"base_lr": "1"},
                   {"sizes": "full", "steps": "1000", "optimizer": "momentum"}],
    "calibration": [{"compare": "true"}],
    # more points than the digits have, and than a test computes (tests/conftest.py lowers the limit)
    "pca-vs-tsne": [{"data": "digits", "n": "5000", "iterations": "250"}],
}
#: Values no page can compute (each page explains them to the visitor): ``warm`` skips them without raising.
CANNOT = {
    "fit-a-line": {"n": 1}, "optimizers": {"surface": "custom", "expr": "x +* y"},
    "pca-vs-tsne": {"data": "gaussian_cloud", "n": 50, "perplexity": 100.0},
    "calibration": {"n": 1_000, "prevalence": "10000"},
}


def views(url_path: str) -> list[dict]:
    return [{}] + [{"preset": slug} for slug in explorer(url_path).declarations().PRESETS] + OFF_PRESET.get(url_path, [])


class CountingPool(PicklingPool):
    """The tests' pickling stand-in for the worker pool, noting every job and drawing sent to it."""

    sent: list = []

    def run(self, fn, *args, **kwargs):
        CountingPool.sent.append(getattr(fn, "__name__", repr(fn)))
        return super().run(fn, *args, **kwargs)


def warm_in_a_thread(module, values: dict) -> None:
    """``module.warm(values)`` on a thread of its own, outside any script run, as the server calls it; fails on
    an exception or a Python warning."""
    raised = []

    def target():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                module.warm(values)
        except BaseException as error:  # noqa: BLE001 - handed to the test's thread
            raised.append(error)

    thread = threading.Thread(target=target, name="warm-up")
    thread.start()
    thread.join(timeout=600)
    assert not thread.is_alive() and not raised, raised


@pytest.mark.parametrize("url_path", IDS)
def test_the_module_imports_without_a_server_or_a_page(url_path):
    module = explorer(url_path).module
    done = subprocess.run([sys.executable, "-W", "error", "-c", f"import {module} as m; print(m.PAGE)"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == url_path, done.stderr
    # (Streamlit notes once that a cache outside a server lives in memory; nothing else may be said)
    said = [line for line in done.stderr.splitlines() if line.strip() and "No runtime found" not in line]
    assert not said, said


@pytest.mark.parametrize("url_path", IDS)
def test_the_page_builds_its_view_from_the_module(url_path, monkeypatch):
    entry, made = explorer(url_path), []
    module, init = entry.declarations(), ui_view.View.__init__

    def noting(self, *args, **kwargs):
        init(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(ui_view.View, "__init__", noting)
    assert_clean(open_page(entry.path))
    view = made[-1]
    assert view.page == module.PAGE == url_path
    assert all(a is b for a, b in zip(view.params, module.PARAMS, strict=True))  # the same objects, not copies
    assert view.presets.keys() == module.PRESETS.keys()
    assert all(view.presets[slug] is preset for slug, preset in module.PRESETS.items())
    assert (view.key_controls, view.more_controls) == (module.KEY, module.MORE)
    assert set(module.KEY + module.MORE) <= {p.name for p in module.PARAMS}


@pytest.mark.parametrize("url_path, query", [(page, q) for page in IDS for q in views(page)],
                         ids=[f"{page}-{'-'.join(f'{k}={v}' for k, v in q.items()) or 'defaults'}"
                              for page in IDS for q in views(page)])
def test_after_warm_the_page_sends_nothing_to_the_workers(url_path, query, monkeypatch):
    entry = explorer(url_path)
    module = entry.declarations()
    st.cache_data.clear()
    st.cache_resource.clear()
    warm_in_a_thread(module, parse_url(query, module.PARAMS, module.PRESETS)[1])
    monkeypatch.setattr(workers, "server_pool", lambda preload=(): CountingPool())
    CountingPool.sent.clear()
    assert_clean(open_page(entry.path, **query))
    assert CountingPool.sent == [], f"the page computed what warm() did not: {CountingPool.sent}"


def test_after_warm_the_derivative_figure_is_not_drawn_again(monkeypatch):
    """Fit a line draws its derivative figure in the server, not through the pool: watched directly."""
    module = explorer("fit-a-line").declarations()
    st.cache_resource.clear()
    warm_in_a_thread(module, parse_url({}, module.PARAMS, module.PRESETS)[1])
    calls, real = [], module.derivative_limit
    monkeypatch.setattr(module, "derivative_limit", lambda *a, **k: calls.append(1) or real(*a, **k))
    assert_clean(open_page(explorer("fit-a-line").path))
    assert calls == []


def test_a_new_learning_rate_at_step_0_finds_the_derivative_figure_made(monkeypatch):
    """Step 0 is the start for every η: the figure drawn from it is not made again when only η changes, and
    made again when the start moves."""
    module = explorer("fit-a-line").declarations()
    st.cache_resource.clear()
    assert_clean(open_page(explorer("fit-a-line").path, lr="0.3", k="0"))
    calls, real = [], module.derivative_limit
    monkeypatch.setattr(module, "derivative_limit", lambda *a, **k: calls.append(1) or real(*a, **k))
    assert_clean(open_page(explorer("fit-a-line").path, lr="0.1", k="0"))
    assert calls == []
    assert_clean(open_page(explorer("fit-a-line").path, lr="0.1", k="0", w0="0.5"))
    assert calls == [1]


@pytest.mark.parametrize("url_path", sorted(CANNOT))
def test_warm_skips_a_view_the_page_explains(url_path):
    module = explorer(url_path).declarations()
    warm_in_a_thread(module, {**parse_url({}, module.PARAMS, module.PRESETS)[1], **CANNOT[url_path]})


@pytest.mark.parametrize("url_path", IDS)
def test_the_server_warm_up_computes_every_view_a_class_opens(url_path):
    opened, problems, _ = warmup.warm([url_path], quiet=False)
    assert opened == len(warmup.views(url_path)) > 3 and problems == []


def test_a_view_that_fails_to_warm_is_a_problem_noted_not_a_stop(monkeypatch):
    module = EXPLORERS[0].declarations()

    def broken(values):
        raise RuntimeError("no such thing")

    monkeypatch.setattr(module, "warm", broken)
    opened, problems, _ = warmup.warm([EXPLORERS[0].url_path], quiet=False)
    assert opened == len(warmup.views(EXPLORERS[0].url_path)) and len(problems) == opened
    assert all("RuntimeError: no such thing" in problem for _, problem in problems)
