"""Prepared figures (the cached form of every big animation) and the server's housekeeping."""

import gc
import json
import weakref

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

from core import LinearRegressionGD, make_line
from server import housekeeping
from viz.animation import final_frame
from viz.describe import describe_figure
from viz.wire import plotly_to_json  # Plotly's own: these tests look at the dict itself
from viz.line_fit import fit_animation
from viz.prepared import AnimatedFigure, prepare, spec_of
from viz.restyle import restyle


def animation():
    x, y = make_line(40, random_state=0)
    model = LinearRegressionGD(learning_rate=0.1, n_steps=30).fit(x, y)
    return fit_animation(x, y, model.trajectory_, optimum=np.array([2.0, -1.0]), true_line=lambda t: 2 * t - 1)


def test_a_prepared_figure_draws_exactly_what_the_figure_draws_and_keeps_its_description():
    fig = animation()
    prepared = prepare(fig)
    assert json.loads(pio.to_json(prepared, validate=False)) == json.loads(pio.to_json(fig, validate=False))
    assert prepared.description == describe_figure(fig)
    assert "frames" in prepared.to_dict() and not prepared.frames  # the content is in the dict, not in objects
    assert prepare(prepared) is prepared


def test_prepared_and_animated_figures_leave_far_fewer_objects_for_the_garbage_collector():
    x, y = make_line(40, random_state=0)
    trajectory = LinearRegressionGD(learning_rate=0.1, n_steps=30).fit(x, y).trajectory_
    spec = fit_animation(x, y, trajectory, optimum=np.array([2.0, -1.0])).to_dict()

    def objects_made(build):
        """What ``build`` makes and the objects it adds to the collector's lists: the median of five tries, since
        a thread left over from an earlier test (AppTest's) may free or make objects during one of them."""
        counts, made = [], []  # each try's result kept, so that the next try does not count its freeing
        for _ in range(5):
            gc.collect()
            before = len(gc.get_objects())
            made.append(build())
            gc.collect()
            counts.append(len(gc.get_objects()) - before)
        return made[0], sorted(counts)[2]

    as_objects, n_objects = objects_made(lambda: go.Figure(spec, _validate=False))  # every frame trace an object
    animated, n_animated = objects_made(lambda: AnimatedFigure(spec))  # what animate() returns
    prepared, n_prepared = objects_made(lambda: prepare(as_objects))  # what the caches keep
    assert len(as_objects.frames) == animated.frame_count() == prepared.frame_count() == len(spec["frames"]) > 10
    assert n_animated < n_objects / 2, (n_animated, n_objects)  # 782 against 2,176 here
    assert n_prepared < n_objects / 2, (n_prepared, n_objects)


def test_an_animated_figure_draws_what_plotly_would_and_hands_out_copies():
    fig = animation()
    assert isinstance(fig, AnimatedFigure) and not fig.frames
    # the same figure as Plotly's own objects would give (its frames list "data" first: key order aside)
    assert fig.to_dict() == go.Figure(fig.to_dict(), _validate=False).to_dict()
    spec = fig.to_dict()
    spec["frames"][0]["data"][0]["name"] = "changed by a caller"
    assert fig.to_dict()["frames"][0]["data"][0].get("name") != "changed by a caller"
    fig.update_layout(height=321)  # still an ordinary figure underneath
    assert fig.to_dict()["layout"]["height"] == 321 and fig.to_dict()["frames"]
    assert "Animated: " in describe_figure(fig)


def test_changing_a_prepared_figure_starts_from_a_copy_and_leaves_the_shared_dict_alone():
    fig = animation()
    prepared = prepare(fig)
    before = plotly_to_json(prepared, validate=False)
    last = final_frame(prepared)
    styled = restyle(prepared, "classic", 1.4, narrow=True)
    assert plotly_to_json(prepared, validate=False) == before
    # the same results as from the figure itself
    assert plotly_to_json(last, validate=False) == plotly_to_json(final_frame(fig), validate=False)
    assert plotly_to_json(styled, validate=False) == plotly_to_json(restyle(fig, "classic", 1.4, narrow=True),
                                                                    validate=False)
    copy = spec_of(prepared)
    copy["layout"]["title"] = "changed"
    copy["data"][0]["name"] = "changed"
    assert plotly_to_json(prepared, validate=False) == before


def test_the_default_style_of_a_prepared_figure_is_the_figure_itself():
    prepared = prepare(animation())
    assert restyle(prepared) is prepared


def test_a_figure_shown_in_any_style_is_dropped_with_its_cache_entry():
    # The restyled copies are remembered by the figure's id until the figure goes; a figure shown in the default
    # style (restyle returns it as it is) was remembered as itself, so it never went (29 MB after 180 views).
    from ui.view import _STYLED, _styled

    from viz.restyle import DEFAULT_PALETTE, PALETTES

    other = next(name for name in PALETTES if name != DEFAULT_PALETTE)
    default = (DEFAULT_PALETTE, 1.0, False, False)
    for style in [default, (DEFAULT_PALETTE, 1.0, True, False), (other, 1.4, False, True)]:
        fig = prepare(animation())
        shown = _styled(fig, *style)
        assert (shown is fig) == (style == default)
        alive, fig_id = weakref.ref(fig), id(fig)
        del fig, shown
        gc.collect()
        assert alive() is None and not any(key[0] == fig_id for key in _STYLED)


class Clock:
    def __init__(self):
        self.now = 1_000.0

    def __call__(self):
        return self.now


def test_a_full_collection_runs_at_most_every_gc_every_seconds_and_frees_cycles(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(housekeeping, "_last_collect", [clock.now])
    monkeypatch.setattr(housekeeping, "_frozen", [True])

    class Node:
        pass

    a, b = Node(), Node()
    a.other, b.other = b, a  # a cycle: only the collector frees it
    alive = weakref.ref(a)
    del a, b
    gc.disable()  # no automatic collection may free it behind the test's back
    try:
        clock.now += housekeeping.GC_EVERY / 2
        assert not housekeeping.collect_now_and_then(clock) and alive() is not None
        clock.now += housekeeping.GC_EVERY / 2
        assert housekeeping.collect_now_and_then(clock) and alive() is None
        assert not housekeeping.collect_now_and_then(clock)  # just ran: not again
    finally:
        gc.enable()


def test_the_app_collects_now_and_then_across_script_runs(monkeypatch):
    """app.py is re-executed on every run, so the collector's state must live in an imported module: once it
    lived in app.py, was reset by every run, and no collection ever ran."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setattr(housekeeping, "_last_collect", [0.0])  # long ago
    monkeypatch.setattr(housekeeping, "_frozen", [False])
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))  # a test process must not freeze its heap
    frozen = []
    at = AppTest.from_file("../app.py", default_timeout=60).run()
    collected_at = housekeeping._last_collect[0]
    assert collected_at > 0.0 and frozen == [True]  # the first run collected, and froze what existed
    at.run()
    assert housekeeping._last_collect[0] == collected_at and frozen == [True]  # the next, moments later, did not


def test_the_server_takes_turns_between_threads_sooner_than_cpython_default():
    import sys

    housekeeping.tune_process()
    assert sys.getswitchinterval() == housekeeping.SWITCH_INTERVAL < 0.005
    assert np.isfinite(housekeeping.GC_EVERY)


def test_full_collections_run_only_when_the_server_asks():
    import gc

    housekeeping.tune_process()
    full = []

    def count(phase, info):
        if phase == "start" and info["generation"] == 2:
            full.append(info)

    # Survivors beyond a quarter of the old generation: with CPython's thresholds these start a full collection
    # by itself (checked with gc.set_threshold(700, 10, 10): one or more).
    gc.collect()  # CPython counts survivors since its last full collection: start the count here
    n = 400_000 + len(gc.get_objects(generation=2)) // 2
    gc.callbacks.append(count)
    try:
        kept = [[i] for i in range(n)]  # lists: always tracked (a dict of atoms is not)
    finally:
        gc.callbacks.remove(count)
    assert len(kept) == n and full == []


def test_malloc_keeps_two_arenas_and_maps_big_blocks_on_their_own(monkeypatch):
    calls = []

    class FakeGlibc:
        def mallopt(self, param, value):
            calls.append((param, value))
            return 1

    monkeypatch.setattr(housekeeping, "_glibc", lambda: FakeGlibc())
    housekeeping.tune_process()
    assert calls == [(-8, 2), (-3, 512 * 1024)]  # M_ARENA_MAX and M_MMAP_THRESHOLD in glibc's malloc.h
    if housekeeping._libc:  # and the real glibc accepts both (mallopt returns 1 on success)
        assert housekeeping._libc.mallopt(-3, housekeeping.MMAP_THRESHOLD) == 1


def test_long_computations_run_one_at_a_time_and_in_turn():
    import threading
    import time

    running, most, order = [0], [0], []
    guard = threading.Lock()

    def work(name):
        with housekeeping.one_heavy_at_a_time():
            with guard:
                running[0] += 1
                most[0] = max(most[0], running[0])
            time.sleep(0.02)
            order.append(name)
            with guard:
                running[0] -= 1

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert most[0] == 1 and sorted(order) == list(range(6))


def test_a_failed_computation_lets_the_next_one_run():
    import pytest

    with pytest.raises(ValueError), housekeeping.one_heavy_at_a_time():
        raise ValueError("diverged")
    assert housekeeping._heavy.acquire(timeout=1)  # free again (a failure that kept it would stall every page)
    housekeeping._heavy.release()
