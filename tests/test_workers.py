"""The worker process (``server/workers.py``): the same results as computing in the server, progress passed on,
errors re-raised as themselves, and a pool that survives a killed worker or a script stopped mid-job."""

import contextlib
import os
import sys
import threading
import time

import numpy as np
import pytest

from core.datasets_2d import make_dataset, train_test_split
from core.neural_net import MLPClassifier
from core.training import record_training
from core.tsne import TSNE
from explorers.jobs import baseline_results, batch_race, embed_table, sharpness_runs, tsne_multiples
from server import workers
from server.workers import RemoteTraceback, WorkerDied, WorkerPool, run_heavy

pytestmark = pytest.mark.skipif(os.name != "posix", reason="workers hand their pipes over with pass_fds (POSIX)")


# Jobs for the tests: module-level, so that the worker can import them by name (tests.test_workers).
def counting(n, pause=0.0, report=None):
    for i in range(1, n + 1):
        time.sleep(pause)
        if report is not None:
            report(i, n)
    return n


def counting_into(path, n, pause=0.0, report=None):
    """``counting`` that also writes a line per step to ``path``: how far the job got, read from outside."""
    for i in range(1, n + 1):
        time.sleep(pause)
        with open(path, "a") as steps:
            steps.write(f"{i}\n")
        if report is not None:
            report(i, n)
    return n


def steps_in(path) -> int:
    return len(open(path).read().split()) if os.path.exists(path) else 0


def failing(message):
    raise ValueError(message)


class Unpicklable(Exception):
    def __init__(self, a, b):  # pickle re-creates an exception from .args (one here): that call fails
        super().__init__(f"{a}/{b}")


def failing_oddly():
    raise Unpicklable(1, 2)


def loaded_libraries():
    return sorted({m.split(".")[0] for m in sys.modules} & {"streamlit", "plotly", "pandas", "sklearn", "pytest"})


def pause(seconds):
    time.sleep(seconds)
    return seconds


def touch(path):
    open(path, "w").close()


def process_id():
    return os.getpid()


def plain_figure():
    import plotly.graph_objects as go

    return go.Figure(go.Scatter(x=[1, 2], y=[3, 4]), layout={"title": {"text": f"drawn by {os.getpid()}"}})


@pytest.fixture(scope="module")
def pool():
    with own_pool() as shared:
        yield shared


@contextlib.contextmanager
def own_pool(workers: int = 1, **kwargs):
    """A pool of its own for one test (closed however the test ends)."""
    pool = WorkerPool(workers, **kwargs)
    try:
        yield pool
    finally:
        pool.close()


def digits_like(n=150, d=8, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 5, (3, d))
    return np.vstack([c + rng.normal(0, 1, (n // 3, d)) for c in centres])


def test_a_t_sne_in_the_worker_is_the_t_sne_computed_here_with_its_progress(pool):
    X = digits_like()
    here, there = [], []
    local = embed_table(X, True, 20.0, "auto", 12.0, 250, 3, report=lambda *a: here.append(a))
    remote = pool.run(embed_table, X, True, 20.0, "auto", 12.0, 250, 3, report=lambda *a: there.append(a))
    np.testing.assert_array_equal(remote["tsne"].embedding_, local["tsne"].embedding_)
    np.testing.assert_array_equal(remote["scores"], local["scores"])
    assert remote["quality"] == local["quality"]
    steps = [report[:2] for report in there]
    assert steps == [report[:2] for report in here] and steps[-1] == (250, 250) and len(steps) > 5  # all, in order
    maps = [(report[0], report[2]) for report in there if len(report) > 2]
    assert maps and maps[0][1].scores is not None  # the first map so far comes with PCA's panel
    np.testing.assert_array_equal(maps[0][1].scores, local["scores"].astype(np.float32))
    tsne = local["tsne"]
    for done, so_far in maps:  # the map the run had reached at that iteration, carried back from the worker
        np.testing.assert_array_equal(so_far.embedding, tsne.frames_[list(tsne.frame_iters_).index(done)])


def test_a_network_trained_in_the_worker_matches_one_trained_here(pool):
    X, y = make_dataset("moons", 200, 0.2, 0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, 0.3, 0)
    grid = np.stack(np.meshgrid(np.linspace(-2, 2, 12), np.linspace(-2, 2, 12)), -1).reshape(-1, 2)
    args = (X_train, y_train, X_test, y_test, grid, grid[:16])

    def model():
        return MLPClassifier((6,), ("tanh",), learning_rate_init=0.1, batch_size=16, random_state=1)

    local = record_training(model(), *args, epochs=20)
    remote = pool.run(record_training, model(), *args, epochs=20)
    np.testing.assert_array_equal(remote.model.theta_, local.model.theta_)
    np.testing.assert_array_equal(remote.train_loss, local.train_loss)
    np.testing.assert_array_equal(remote.proba, local.proba)


def boundary_job_args(template):
    from core.datasets_2d import grid_extent, make_grid
    from viz.boundary import BoundaryData
    from viz.network import tile_size

    X, y = make_dataset("circle", 120, 0.1, 0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, 0.5, 0)
    xs, ys, grid = make_grid(grid_extent(X), 20)
    tile = tile_size(4, 100)
    tiles = make_grid(grid_extent(X), tile)[2]
    data = BoundaryData(X_train, y_train, X_test, y_test, xs, ys, tiles, ["x₁", "x₂"], ["4 · tanh"], n_classes=2,
                        tile=tile)
    net = MLPClassifier((4,), "tanh", learning_rate_init=0.1, batch_size=10, random_state=0)
    return net, X_train, y_train, X_test, y_test, grid, tiles, 30, data, template


def test_an_animation_drawn_in_the_worker_is_the_one_drawn_here_in_streamlits_theme():
    import json

    import streamlit.elements.plotly_chart  # noqa: F401  (registers Streamlit's template as the default)
    from explorers.jobs import train_and_draw
    from viz.theme import default_template

    args = boundary_job_args(default_template())
    progress = []
    with own_pool() as pool:  # its own: Plotly stays out of the shared pool's worker
        last_there, there = pool.run(train_and_draw, *args, report=lambda *a: progress.append(a))
        assert "streamlit" not in pool.run(loaded_libraries)
    assert progress[-1] == (30, 30) and len(progress) == 30  # every epoch of 30 (30 // CALLBACKS = 1)
    last_here, here = train_and_draw(*args)
    assert json.loads(there.wire().text) == json.loads(here.wire().text)
    assert "#000001" in json.dumps(json.loads(there.wire().text)["layout"]["template"])  # Streamlit's colours
    assert there.frame_count() == here.frame_count() > 10 and there.description == here.description
    np.testing.assert_array_equal(last_there.train_loss, last_here.train_loss)


def test_a_prepared_figure_travels_as_its_text():
    import pickle

    import plotly.graph_objects as go

    from viz.prepared import prepare

    fig = prepare(go.Figure(go.Scatter(x=[1, 2], y=[3, 4]), layout={"height": 300}))
    copy = pickle.loads(pickle.dumps(fig))
    assert copy.wire().text == fig.wire().text and copy.wire()["layout"] == {"height": 300}
    assert copy.description == fig.description and copy.frame_count() == fig.frame_count() == 0
    assert copy.to_dict() == fig.to_dict()


def test_the_sharpness_and_multiples_jobs_match_here(pool):
    X, y = make_dataset("moons", 120, 0.3, 0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, 0.5, 0)
    parts = (X_train, y_train, X_test, y_test)
    local = sharpness_runs(*parts, (4, 60), 0.1, 30, 0)
    progress = []
    remote = pool.run(sharpness_runs, *parts, (4, 60), 0.1, 30, 0, report=lambda *a: progress.append(a))
    np.testing.assert_array_equal(remote.sharpness, local.sharpness)
    assert progress == [(1, 4), (2, 4), (3, 4), (4, 4)]
    X = digits_like(90)
    progress = []
    there = pool.run(tsne_multiples, X, [5, 10], 5.0, [0, 1], 0, report=lambda *a: progress.append(a))
    here = tsne_multiples(X, [5, 10], 5.0, [0, 1], 0)
    assert all(np.array_equal(a, b) for a, b in zip(there[0] + there[1], here[0] + here[1]))
    assert np.array_equal(here[1][0], TSNE(perplexity=5.0, max_iter=500, init="random", random_state=0).fit_transform(X))
    # progress over all four maps: 500 iterations each, counted on from map to map
    assert progress[-1] == (2000, 2000) and [d for d, _ in progress] == sorted(d for d, _ in progress)
    assert (500, 2000) in progress and (1000, 2000) in progress and len(progress) > 4 * 40


def test_the_baseline_models_fit_in_the_worker_as_here_and_load_scikit_learn_there_only():
    X, y = make_dataset("moons", 120, 0.3, 0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, 0.5, 0)
    grid = X[:20]
    args = (X_train, y_train, X_test, y_test, grid, 2, 0)
    with own_pool() as pool:  # its own: scikit-learn stays out of the shared pool's worker
        remote = pool.run(baseline_results, *args)
        loaded = pool.run(loaded_libraries)
        assert "sklearn" in loaded and "pandas" not in loaded, loaded  # scikit-learn would import pandas
    for there, here in zip(remote, baseline_results(*args)):
        assert (there.name, there.train_accuracy, there.test_accuracy) == (here.name, here.train_accuracy,
                                                                            here.test_accuracy)
        np.testing.assert_array_equal(there.proba, here.proba)


def test_the_calibration_models_fit_in_the_worker_without_pandas_as_here():
    from baselines.scorers import SCORERS, fit_scores

    X, y = make_dataset("moons", 200, 0.3, 0)
    with own_pool() as pool:
        for name in SCORERS:
            np.testing.assert_array_equal(pool.run(fit_scores, name, X[:150], y[:150], X[150:], 0),
                                          fit_scores(name, X[:150], y[:150], X[150:], 0))
        assert "pandas" not in pool.run(loaded_libraries)


def test_the_batch_size_race_in_the_worker_matches_here(pool):
    from core.datasets import make_line

    x, y = make_line(200, noise=0.5, random_state=0)
    args = (x, y, (-2.0, 3.0), [1, 16, 200], 0.05, True, 40, False, "sgd", 0)
    (runs, noise), (here, noise_here) = pool.run(batch_race, *args), batch_race(*args)
    for there, mine, a, b in zip(runs, here, noise, noise_here):
        np.testing.assert_array_equal(there.params, mine.params)
        np.testing.assert_array_equal(a, b)


def test_the_worker_loads_no_streamlit_plotly_or_pandas(pool):
    pool.run(embed_table, digits_like(60), False, 5.0, "auto", 12.0, 50, 0)
    loaded = pool.run(loaded_libraries)
    assert "streamlit" not in loaded and "plotly" not in loaded and "pandas" not in loaded, loaded
    assert pool.run(process_id) != os.getpid()  # and it really is another process


def test_the_worker_gives_way_to_the_server_for_the_cpu(pool):
    worker = pool.run(process_id)
    assert os.getpriority(os.PRIO_PROCESS, worker) == os.getpriority(os.PRIO_PROCESS, 0) + workers.WORKER_NICENESS


def test_an_error_is_raised_here_as_itself_with_the_workers_traceback(pool):
    with pytest.raises(ValueError, match="perplexity must be smaller") as info:
        pool.run(failing, "perplexity must be smaller than the number of points")
    assert isinstance(info.value.__cause__, RemoteTraceback)
    assert "in failing" in str(info.value.__cause__)  # where it happened, in the worker
    with pytest.raises(RuntimeError, match="Unpicklable: 1/2"):
        pool.run(failing_oddly)
    assert pool.run(counting, 3) == 3  # and the worker goes on


def test_a_killed_worker_is_reported_and_replaced(pool):
    before = pool.pids()
    with pytest.raises(WorkerDied, match="worker process ended"):
        pool.run(os._exit, 3)
    assert pool.run(counting, 2) == 2
    assert pool.pids() != before and len(pool.pids()) == 1


class Stop(BaseException):  # what Streamlit raises inside a stopped script's calls
    pass


def test_a_script_stopped_mid_job_returns_at_once_cancels_the_job_and_leaves_the_worker_clean(pool, tmp_path):
    def report(done, total):
        if done == 2:
            raise Stop

    steps = tmp_path / "steps"
    with pytest.raises(Stop):
        pool.run(counting_into, str(steps), 40, 0.05, report=report)
    assert steps_in(steps) < 40  # it returned without waiting for the other 38 steps
    # The stopped job is cancelled at its next report, so the next job gets the worker and its own answer, not
    # stale messages, and the stopped one never gets to its end.
    seen = []
    assert pool.run(counting, 4, report=lambda *a: seen.append(a)) == 4
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert steps_in(steps) < 40


def test_a_job_whose_script_stops_while_it_waits_for_the_worker_is_never_sent(tmp_path):
    with own_pool() as pool:
        busy = threading.Thread(target=pool.run, args=(counting, 10, 0.1))  # holds the one worker for 1 s
        busy.start()
        time.sleep(0.2)
        started = time.perf_counter()

        def still_wanted():
            if time.perf_counter() - started > 0.3:
                raise Stop

        with pytest.raises(Stop):
            pool.run(touch, str(tmp_path / "ran"), still_wanted=still_wanted)
        assert busy.is_alive()  # it gave up while the worker was still busy, without waiting for it
        busy.join(5)
        assert pool.run(counting, 1) == 1  # the worker went on to the next job, and the stopped one never ran
        assert not (tmp_path / "ran").exists()


def test_scripts_get_the_worker_in_the_order_they_asked_even_while_they_poll():
    with own_pool() as pool:
        order = []
        busy = threading.Thread(target=pool.run, args=(counting, 5, 0.1))
        busy.start()
        time.sleep(0.1)

        def ask(i):
            pool.run(counting, 1, still_wanted=lambda: None)
            order.append(i)

        waiting = []
        for i in range(5):
            waiting.append(threading.Thread(target=ask, args=(i,)))
            waiting[-1].start()
            time.sleep(0.07)  # each asks at its own moment, and they poll at different phases
        for t in [busy, *waiting]:
            t.join(10)
        assert order == [0, 1, 2, 3, 4]


def test_a_short_job_goes_before_a_long_one_that_asked_first_but_not_before_one_that_waited_long():
    with own_pool() as pool:
        pool.run(counting, 4, 0.1)  # each kind of job once: the pool learns what each takes
        pool.run(touch, "/dev/null")
        assert pool.expected[f"{__name__}.counting"] > 0.3 > pool.expected[f"{__name__}.touch"]
        order = []

        def ask(name, fn, *args):
            pool.run(fn, *args)
            order.append(name)

        def line_up(busy_for, *jobs):
            busy = threading.Thread(target=pool.run, args=(counting, round(busy_for / 0.1), 0.1))
            busy.start()
            threads = []
            for at, job in jobs:  # each job asks at its moment (s after the worker got busy)
                time.sleep(at - (threads[-1][0] if threads else 0))
                threads.append((at, threading.Thread(target=ask, args=job)))
                threads[-1][1].start()
            for t in [busy, *(t for _, t in threads)]:
                t.join(10)

        line_up(0.4, (0.05, ("long", counting, 4, 0.1)), (0.1, ("short", touch, "/dev/null")))
        assert order == ["short", "long"]  # expected 0.4 s against ~0 s
        order.clear()
        line_up(1.5, (0.05, ("long", counting, 4, 0.1)), (1.2, ("short", touch, "/dev/null")))
        assert order == ["long", "short"]  # the long one had waited over a second more than the difference


def test_the_worker_ignores_a_late_cancel_stops_a_job_cancelled_in_time_and_runs_a_short_job_inside_a_long_one():
    from multiprocessing import Pipe

    to_worker, inbox = Pipe()
    outbox, from_worker = Pipe()
    worker = threading.Thread(target=workers.serve, args=(inbox, outbox))
    worker.start()
    try:
        to_worker.send(("job", 1, counting, (2,), {}, False))
        assert from_worker.recv()[:3] == ("done", 1, 2)
        to_worker.send(("cancel", 1))  # too late: nothing runs
        to_worker.send(("job", 2, counting, (3,), {}, True))
        messages = [from_worker.recv()[:4] for _ in range(4)]
        assert messages[:3] == [("progress", 2, 1, 3), ("progress", 2, 2, 3), ("progress", 2, 3, 3)]
        assert messages[3][:3] == ("done", 2, 3)
        to_worker.send(("job", 3, counting, (50, 0.01), {}, True))
        assert from_worker.recv() == ("progress", 3, 1, 50)
        to_worker.send(("cancel", 3))  # in time: the job stops at its next report
        while (message := from_worker.recv())[0] == "progress":
            assert message[2] < 10
        assert message == ("cancelled", 3)
        # A short job sent while a long one reports runs at once, inside it; then the long one goes on.
        to_worker.send(("job", 4, counting, (20, 0.05), {}, True))
        assert from_worker.recv() == ("progress", 4, 1, 20)
        to_worker.send(("job", 5, counting, (2,), {}, True))
        messages = []
        while (message := from_worker.recv())[:2] != ("done", 4):
            messages.append(message)
        short = [m for m in messages if m[1] == 5]
        assert short[:2] == [("progress", 5, 1, 2), ("progress", 5, 2, 2)] and short[2][:3] == ("done", 5, 2)
        # Inside the long one, not after it (how soon depends on the machine's load, so no count of reports).
        assert messages.index(short[-1]) < messages.index(("progress", 4, 20, 20))
        assert [m[2] for m in messages if m[1] == 4] == list(range(2, 21))
    finally:
        to_worker.close()
        worker.join(5)


def test_a_short_job_runs_inside_a_long_one_that_reports_and_both_get_their_answers():
    with own_pool() as pool:
        pool.run(touch, "/dev/null")  # learnt: a short job
        progress = []
        long_one = {}
        busy = threading.Thread(target=lambda: long_one.setdefault(
            "answer", pool.run(counting, 30, 0.05, report=lambda *a: progress.append(a))))
        busy.start()
        time.sleep(0.3)
        pool.run(touch, "/dev/null")  # known to be short: it runs inside the long one (1.5 s) at its next report
        assert len(progress) < 20 and busy.is_alive()  # it did not wait for the long one to end
        busy.join(10)
        assert long_one["answer"] == 30 and progress == [(i, 30) for i in range(1, 31)]


def test_longer_jobs_run_inside_a_long_one_only_if_they_should_end_first_and_it_keeps_half_the_worker():
    n = 100  # reports 0.05 s apart: a 5-s job, so that it is still running when the test looks (CI once saw a
    # 2-s one end between the nested job's answer and the check: a loaded machine wakes the test thread late)
    with own_pool() as pool:
        pool.run(pause, 0.8)  # learnt: 0.8 s, longer than NEST_MAX_S
        # at the long job's 6th report ~4.7 s to go, at its (n - 6)th ~0.3 s. Counted in reports, not seconds
        # slept, so a busy machine that starts the long job late changes nothing.
        for reports, inside in ((6, True), (n - 6, False)):
            progress = []
            busy = threading.Thread(target=pool.run, args=(counting, n, 0.05),
                                    kwargs={"report": lambda *a: progress.append(a)})
            busy.start()
            deadline = time.monotonic() + 30
            while len(progress) < reports and time.monotonic() < deadline:
                time.sleep(0.005)
            pool.run(pause, 0.8)
            if inside:  # it ran at the long job's next report, and the long one went on afterwards
                assert len(progress) < n and busy.is_alive()
            else:  # it waited for the long one to end
                assert len(progress) == n
            if inside:  # a second one runs inside too, but only once the long one has run as long as the first
                pool.run(pause, 0.8)  # (0.8 s of its own: 16 reports) — it keeps at least half the worker
                assert 16 <= len(progress) < n and busy.is_alive()
            busy.join(20)
            assert progress == [(i, n) for i in range(1, n + 1)]


def test_a_stream_of_short_jobs_cannot_hold_a_long_one_back_it_keeps_at_least_half_the_worker():
    with own_pool() as pool:
        pool.run(pause, 0.2)  # learnt: a short job
        progress, inside = [], []
        long_one = threading.Thread(target=pool.run, args=(counting, 40, 0.05),  # 2 s alone
                                    kwargs={"report": lambda *a: progress.append(a)})
        started = time.perf_counter()
        long_one.start()
        time.sleep(0.1)
        while long_one.is_alive() and time.perf_counter() - started < 20:  # a new short job as each one ends
            done, answer = pool.run_if_free(pause, 0.2)
            inside.append(done)
            if not done:
                time.sleep(0.05)  # (run here instead: the worker's long job is having its turn)
        assert sum(inside) >= 3  # short jobs did run inside it
        # ...but it kept at least half the worker: the short jobs inside it (0.2 s each) took no more of it than
        # its own 40 steps of 0.05 s, give or take two jobs (a stream let in freely would starve it for the loop's
        # whole 20 s, some 60 jobs)
        assert sum(inside) <= (0.05 * 40) / 0.2 + 2, sum(inside)
        assert progress == [(i, 40) for i in range(1, 41)]


def test_a_short_job_does_not_run_inside_a_long_one_that_never_reports():
    with own_pool() as pool:
        pool.run(touch, "/dev/null")
        order = []
        busy = threading.Thread(target=lambda: order.append(("long", pool.run(counting, 6, 0.1))))  # no report
        busy.start()
        time.sleep(0.1)
        pool.run(touch, "/dev/null")
        order.append(("short", None))
        busy.join(10)
        assert order == [("long", 6), ("short", None)]  # the short one waited for the long one's answer


def test_stopping_a_long_job_while_a_short_one_runs_inside_it_leaves_both_answered_and_the_worker_clean(tmp_path):
    with own_pool() as pool:
        pool.run(pause, 0.0)  # learnt: short
        steps = str(tmp_path / "steps")

        def stop_at_3(done, total):
            if done == 3:
                raise Stop

        outcome = {}

        def long_job():
            try:
                pool.run(counting_into, steps, 40, 0.05, report=stop_at_3)
            except Stop:
                outcome["long"] = "stopped"

        busy = threading.Thread(target=long_job)
        busy.start()
        time.sleep(0.05)
        assert pool.run(pause, 0.2) == 0.2  # inside the long one, which is stopped meanwhile
        busy.join(10)
        assert outcome == {"long": "stopped"}
        assert pool.run(counting, 3) == 3  # the worker is free again: the long job was cancelled, not finished
        assert steps_in(steps) < 40


def test_a_worker_killed_while_a_short_job_runs_inside_a_long_one_fails_both_and_is_replaced():
    with own_pool() as pool:
        pool.run(pause, 0.0)
        errors = []

        def long_job():
            try:
                pool.run(counting, 100, 0.05, report=lambda *a: None)
            except WorkerDied as e:
                errors.append(e)

        busy = threading.Thread(target=long_job)
        busy.start()
        time.sleep(0.2)
        pid = pool.pids()[0]
        threading.Timer(0.3, os.kill, args=(pid, 9)).start()
        with pytest.raises(WorkerDied):
            pool.run(pause, 5.0)  # inside the long one when the worker is killed
        busy.join(10)
        assert len(errors) == 1
        assert pool.run(counting, 2) == 2 and pool.pids() != [pid]


def test_run_if_free_uses_a_free_worker_or_a_reporting_long_job_and_otherwise_leaves_the_job_to_the_caller():
    with own_pool() as pool:
        done, pid = pool.run_if_free(process_id)
        assert done and pid not in (None, os.getpid())  # a free worker: there
        pool.run(touch, "/dev/null")  # learnt: a short job
        for reports in (False, True):
            progress = []
            busy = threading.Thread(target=pool.run, args=(counting, 12, 0.05),
                                    kwargs={"report": (lambda *a: progress.append(a)) if reports else None})
            busy.start()
            time.sleep(0.2)
            done, answer = pool.run_if_free(process_id)
            assert busy.is_alive()  # it answered while the long job still ran: it never waits for it to end
            assert (done, answer == pid) == ((True, True) if reports else (False, False))
            busy.join(10)
            assert not reports or progress == [(i, 12) for i in range(1, 13)]  # the long job went on unharmed
        assert pool.run_if_free(counting, 2) == (True, 2)  # the worker was handed back each time


def test_run_if_free_does_not_jump_the_line_or_start_a_worker_that_left_for_idleness():
    with own_pool() as pool:
        busy = threading.Thread(target=pool.run, args=(counting, 6, 0.1))
        busy.start()
        time.sleep(0.1)
        waiting = threading.Thread(target=pool.run, args=(counting, 1))  # in line for the worker
        waiting.start()
        time.sleep(0.1)
        assert pool.run_if_free(counting, 3) == (False, None)
        busy.join(10), waiting.join(10)
        assert pool.run_if_free(counting, 3) == (True, 3)  # free again, nobody waiting
    with own_pool(1, idle_exit=0.3) as pool:
        pool.run(process_id)
        deadline = time.monotonic() + 10
        while pool.pids() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pool.run_if_free(process_id) == (False, None) and pool.pids() == []  # no start (~0.5 s) for it
        assert pool.run(counting, 2) == 2  # the next job that waits starts one


def test_offload_and_draw_compute_in_a_free_worker_and_here_otherwise(monkeypatch):
    import json

    import streamlit.elements.plotly_chart  # noqa: F401  (registers Streamlit's template as the default)
    from viz.line_fit import fit_animation
    from ui import figures
    from core.linear_model import LinearRegressionGD
    from core.datasets import make_line
    from numpy.polynomial import Polynomial

    assert workers.offload(process_id) == os.getpid()  # no server pool: here
    x, y = make_line(40, w=2.0, b=-1.0, noise=0.5, random_state=0)
    traj = LinearRegressionGD(learning_rate=0.1, n_steps=30).fit(x, y).trajectory_
    args = (fit_animation, x, y, traj)
    kwargs = {"optimum": np.array([2.0, -1.0]), "true_line": Polynomial([-1.0, 2.0])}
    here = figures.draw(*args, **kwargs)
    with own_pool() as pool:
        monkeypatch.setattr(workers, "server_pool", lambda: pool)
        assert workers.offload(process_id) not in (None, os.getpid())
        there = figures.draw(*args, **kwargs)
        assert "plotly" in pool.run(loaded_libraries)  # it was drawn there
        busy = threading.Thread(target=pool.run, args=(counting, 4, 0.1))  # a job that does not report
        busy.start()
        time.sleep(0.1)
        assert workers.offload(process_id) == os.getpid()  # the worker is busy: here, at once
        busy.join(10)
        plain = figures.draw(plain_figure)  # a figure that takes the default template: Streamlit's, there too
    assert json.loads(there.wire().text) == json.loads(here.wire().text)
    assert there.description == here.description and there.frame_count() == here.frame_count() > 10
    assert plain.to_dict()["layout"]["title"]["text"] != f"drawn by {os.getpid()}"
    assert "#000001" in json.dumps(plain.to_dict()["layout"]["template"])


def test_the_optimizer_race_job_is_the_race_and_figure_made_here():
    from core.expressions import objective_for
    from core.optimizers import default_schedule_params, optimizers_for, race
    from explorers.jobs import race_and_draw
    from viz.prepared import prepare
    from viz.race import race_animation
    from viz.theme import default_template

    settings = ("sgd", "adam"), (0.05, 0.1), 0.9, 0.999, 0.0, "cosine", 60
    with own_pool() as pool:  # a custom formula: its surface is rebuilt from the text in the worker
        result, race_fig = pool.run(race_and_draw, "custom", "x^2 + 3*y^2 + sin(x)", 10.0, 0.0, *settings,
                                    (1.5, -1.0), default_template())
    objective = objective_for("custom", "x^2 + 3*y^2 + sin(x)")
    opts, lrs, beta, beta2, wd, schedule, steps = settings
    expected = race(objective.gradient, objective.value, optimizers_for(opts, lrs, beta, beta2, wd), [1.5, -1.0],
                    steps, schedule, default_schedule_params(schedule, steps))
    assert result.names == expected.names
    np.testing.assert_array_equal(result.positions, expected.positions)
    assert race_fig.wire().text == prepare(race_animation(objective, expected)).wire().text


def test_jobs_from_many_threads_each_get_their_own_answer():
    with own_pool(2) as pool:
        answers = {}

        def ask(i):
            answers[i] = pool.run(counting, i, 0.001)

        threads = [threading.Thread(target=ask, args=(i,)) for i in range(1, 9)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert answers == {i: i for i in range(1, 9)}
        assert len(set(pool.pids())) == 2
    assert pool.pids() == []


def test_outside_a_server_run_heavy_computes_here_in_turn(monkeypatch):
    assert workers.server_pool() is None  # pytest is not a Streamlit server
    seen = []
    assert run_heavy(counting, 3, report=lambda *a: seen.append(a)) == 3 and seen[-1] == (3, 3)
    with pytest.raises(ValueError, match="nope"):
        run_heavy(failing, "nope")


@pytest.mark.parametrize("value, expected", [("0", 0), ("2", 2), ("99", 8), ("-1", 0), ("lots", 0)])
def test_the_worker_count_comes_from_the_environment(monkeypatch, value, expected):
    monkeypatch.setenv(workers.WORKERS_ENV, value)
    assert workers.default_workers() == expected


def test_by_default_a_second_core_gets_a_worker(monkeypatch):
    monkeypatch.delenv(workers.WORKERS_ENV, raising=False)
    monkeypatch.setattr(workers, "available_cores", lambda: 2.0)
    assert workers.default_workers() == 1
    monkeypatch.setattr(workers, "available_cores", lambda: 1.0)
    assert workers.default_workers() == 0


@pytest.mark.parametrize("files, expected", [
    ({}, 4.0),                                                              # no cgroup files: the CPUs
    ({"cpu.max": "max 100000\n"}, 4.0),                                    # v2, no quota
    ({"cpu.max": "150000 100000\n"}, 1.5),                                 # v2, 1.5 cores' worth
    ({"cpu.max": "800000 100000\n"}, 4.0),                                 # a quota above the CPUs
    ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, 4.0),  # v1, no quota
    ({"cpu/cpu.cfs_quota_us": "50000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 0.5),  # v1, half a core
    ({"cpu.max": "garbage\n"}, 4.0),                                       # unreadable: the CPUs
])
def test_available_cores_respect_a_containers_cpu_quota(monkeypatch, tmp_path, files, expected):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert workers.available_cores(tmp_path) == expected


def exit_as_if_idle_once(marker):
    """Leave like an idle worker the first time (as if the job arrived just as it left), then answer."""
    if not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(workers.IDLE_EXIT_CODE)
    return "answered"


def test_an_idle_worker_leaves_and_the_next_job_starts_another(tmp_path):
    with own_pool(1, idle_exit=0.3) as pool:
        first = pool.run(process_id)
        deadline = time.monotonic() + 10
        while pool.pids() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pool.pids() == []  # it left: its memory is back with the system
        assert pool.run(counting, 3) == 3 and pool.run(process_id) not in (first, os.getpid())
        # A job that meets a worker leaving at that very moment is sent again, not lost:
        assert pool.run(exit_as_if_idle_once, str(tmp_path / "left-once")) == "answered"


def test_retired_idle_workers_leave_at_once_and_the_next_job_starts_another():
    with own_pool(1, idle_exit=0) as pool:
        first = pool.run(process_id)
        assert pool.retire_idle() == 1
        assert pool.pids() == []
        assert pool.run(process_id) not in (first, os.getpid())
        assert pool.retire_idle() == 1 and pool.retire_idle() == 0  # one already gone is not counted again


def test_a_worker_waits_for_jobs_for_ever_when_idle_exit_is_zero():
    with own_pool(1, idle_exit=0) as pool:
        pid = pool.run(process_id)
        time.sleep(0.5)
        assert pool.pids() == [pid]


def test_script_yield_stops_a_script_whose_visitor_moved_on_and_is_a_no_op_otherwise():
    from streamlit.testing.v1 import AppTest

    def page():
        import streamlit as st
        from streamlit.runtime.scriptrunner import get_script_run_ctx
        from streamlit.runtime.scriptrunner_utils.script_requests import RerunData

        from server.workers import script_yield

        runs = st.session_state.setdefault("runs", [])
        runs.append("start")
        script_yield()  # nothing pending: goes on
        if len(runs) == 1:
            get_script_run_ctx().script_requests.request_rerun(RerunData())  # the visitor changed a control
            script_yield()
            runs.append("went on after a rerun request")  # never reached
        runs.append("end")

    at = AppTest.from_function(page).run()
    assert not at.exception
    assert at.session_state["runs"] == ["start", "start", "end"]
    workers.script_yield()  # outside a script run: nothing to stop
