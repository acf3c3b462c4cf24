"""The classroom load harness (``bench/load.py``) works: against a real ``streamlit run`` it drives reruns on
several pages through the websocket protocol with no errors, and it does report errors when there are some.

Only the harness is checked here; its speed goals are the benchmark's business (``make load``), so nothing here
depends on how fast the server is.
"""

import asyncio
import random
from urllib.parse import parse_qsl

import pytest
from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from bench import load
from bench.browser_tab import explained_errors_in, problems_in

ARTIFACTS = load.ROOT / "tests" / "artifacts"
PAGES = ["fit-a-line", "optimizers"]  # two cheap pages keep this quick


@pytest.fixture(scope="module")
def served():
    """A real server and the two pages' declared controls (read while the server boots)."""
    server = load.Server(log_dir=ARTIFACTS)
    try:
        server.start()
    except OSError as error:
        pytest.skip(f"streamlit could not be started: {error}")
    try:
        specs = load.discover(PAGES)
        try:
            server.wait_healthy()
        except RuntimeError as error:
            pytest.skip(f"streamlit did not start: {error}")
        yield server, specs
    finally:
        server.stop()


def run(served, **config) -> load.Results:
    server, specs = served
    before = len(server.tracebacks())
    cfg = load.Config(**{"duration": 90.0, "ramp": 0.5, "interval": (0.05, 0.15), "timeout": 90.0,
                         "pages": PAGES, **config})
    results = asyncio.run(load.classroom("127.0.0.1", server.port, server.proc.pid, specs, cfg))
    results.server_tracebacks = server.tracebacks()[before:]
    return results


def test_two_sessions_rerun_every_page_they_visit_without_errors(served):
    # 6 reruns each: open the home page, switch to a page, change it twice, switch to the other page, change it
    results = run(served, sessions=2, actions=6, changes_per_page=(2, 2), random_share=0.3, seed=3)
    summary = load.summarize(results)
    assert summary["error_total"] == 0, load.report(results, summary)
    assert summary["goals"]["0 errors"]
    assert len(results.samples) == 12
    assert {s.page for s in results.samples} == {"home", *PAGES}
    for page in PAGES:  # both sessions measured reruns on both pages
        assert {s.session for s in results.samples if s.page == page and s.kind != "switch"} == {0, 1}
    assert {s.kind for s in results.samples} >= {"load", "switch", "random"}
    for s in results.samples:
        assert s.served == s.page, s  # the server ran the page the session asked for ...
        assert s.bytes > 0 and s.seconds > 0
        if "preset=" in s.query:  # ... and the page read the link: it writes the preset back into the URL
            assert dict(parse_qsl(s.echo))["preset"] == dict(parse_qsl(s.query))["preset"], s
    randoms = [s for s in results.samples if s.kind == "random"]
    assert any(s.control and f"{s.control}=" in s.echo for s in randoms)  # a moved control lands in the URL
    assert summary["peak_rss_mb"] > 50  # the server's memory was sampled
    assert 50 < summary["peak_pss_mb"] <= summary["peak_rss_mb"] + 1  # shared pages count at most once in PSS
    assert all(page in summary["pages"] for page in PAGES)


def test_the_same_seed_gives_the_same_sequence(served):
    _, specs = served

    def sequence(seed):
        plan = load.Plan(specs, random.Random(f"{seed}:0"), 0.5, (2, 3))
        return [plan.first()] + [plan.next() for _ in range(30)]

    first = sequence(7)
    assert first == sequence(7) and first != sequence(8)
    assert {a.page for a in first} == {"", *PAGES}
    assert {a.kind for a in first} >= {"load", "switch", "random"}


def test_the_harness_reports_a_missing_page_and_a_dropped_connection(served):
    # the home page, a link to a missing page, back, a bogus frame, a fresh tab after the dropped connection
    results = run(served, sessions=1, actions=5, inject=["missing-page", "bogus-frame"])
    summary = load.summarize(results)
    errors = summary["errors"]
    assert errors.get("page_not_found") == 1, load.report(results, summary)
    assert errors.get("disconnect") == 1
    assert errors.get("server_traceback", 0) >= 1  # the server logs the frame it could not parse
    assert not summary["goals"]["0 errors"] and not summary["passed"]
    assert "FAIL" in load.report(results, summary)
    assert results.reconnects == 1  # after the dropped connection the session opened a fresh tab ...
    after = results.samples[results.samples.index(next(s for s in results.samples if not s.ok and
                                                         s.kind == "bogus")) + 1:]
    assert after and all(s.ok for s in after)  # ... which works


def _delta(element_setter) -> ForwardMsg:
    msg = ForwardMsg()
    element_setter(msg.delta.new_element)
    return msg


def test_proportional_memory_splits_pages_a_child_shares_with_its_parent():
    import os
    import subprocess
    import sys
    import time

    child = subprocess.Popen([sys.executable, "-c", "import numpy; print(flush=True); import time; time.sleep(30)"],
                             stdout=subprocess.PIPE)
    try:
        child.stdout.readline()  # the child has loaded NumPy
        time.sleep(0.1)
        rss, pss = load.rss_mb(os.getpid()), load.pss_mb(os.getpid())  # this process and its child
        assert 0 < pss < rss  # the interpreter's and NumPy's library pages are shared: counted once, not twice
    finally:
        child.kill()
        child.wait()


def test_what_counts_as_an_error_in_the_messages():
    exception = _delta(lambda e: (setattr(e.exception, "type", "ZeroDivisionError"),
                                  setattr(e.exception, "message", "division by zero")))
    assert [p.kind for p in problems_in(exception)] == ["exception"]
    catch_all = _delta(lambda e: (setattr(e.alert, "format", Alert.ERROR), setattr(
        e.alert, "body", "Something went wrong while drawing this page (KeyError: 'x').")))
    assert [p.kind for p in problems_in(catch_all)] == ["something_went_wrong"]
    explained = _delta(lambda e: (setattr(e.alert, "format", Alert.ERROR),
                                  setattr(e.alert, "body", "The learning rate must be positive.")))
    assert problems_in(explained) == [] and explained_errors_in(explained) == 1
    warning = _delta(lambda e: (setattr(e.alert, "format", Alert.WARNING),
                                setattr(e.alert, "body", "Ignored `lr=banana` from the link")))
    assert problems_in(warning) == [] and explained_errors_in(warning) == 0
    compile_error = ForwardMsg(script_finished=ForwardMsg.FINISHED_WITH_COMPILE_ERROR)
    assert [p.kind for p in problems_in(compile_error)] == ["error_status"]
    assert problems_in(ForwardMsg(script_finished=ForwardMsg.FINISHED_SUCCESSFULLY)) == []
    not_found = ForwardMsg()
    not_found.page_not_found.page_name = "nope"
    assert [p.kind for p in problems_in(not_found)] == ["page_not_found"]


def test_percentiles_and_goals():
    assert load.percentile([3, 1, 2], 50) == 2
    assert load.percentile(list(range(101)), 95) == 95
    results = load.Results(load.Config(sessions=1))
    results.samples = [load.Sample(0, 0.0, "fit-a-line", "random", "lr=1", s, True, True, 10, 0, 0)
                       for s in (0.1, 0.2, 2.0)]
    results.memory = [(0.0, 100.0), (1.0, 700.0)]
    summary = load.summarize(results)
    assert summary["goals"] == {"p95 < 1 s": False, "0 errors": True, "peak RSS < 600 MB": False}
    assert not summary["passed"] and summary["peak_rss_mb"] == 700.0


def test_reruns_are_told_apart_by_how_much_cpu_the_host_took():
    # cumulative (t, server, busy, client, steal): the host takes nothing for 10 s, then a whole core for 10 s
    cpu = [(t, 0.0, 0.0, 0.0, 0.0 if t <= 10 else float(t - 10)) for t in range(21)]
    assert load.steal_during(cpu, 2.0, 8.0) == 0.0
    assert load.steal_during(cpu, 12.0, 18.0) == pytest.approx(1.0)
    assert load.steal_during(cpu, 8.0, 12.0) == pytest.approx(0.5)
    assert load.steal_during(cpu, 15.0, 15.05) == pytest.approx(1.0)  # a short rerun sees its surroundings
    assert load.steal_during([], 0.0, 1.0) == 0.0
    results = load.Results(load.Config(sessions=1))
    results.cpu = cpu
    results.samples = [load.Sample(0, t, "fit-a-line", "preset", "", s, True, False, 10, 0, 0)
                       for t, s in ((1.0, 0.1), (3.0, 0.2), (14.0, 3.0), (16.0, 4.0))]
    summary = load.summarize(results)
    assert summary["quiet_reruns"] == 2
    assert summary["quiet_p95"] == load.percentile([0.1, 0.2], 95)  # the two slow ones ran while the host took
    assert summary["p95"] == load.percentile([0.1, 0.2, 3.0, 4.0], 95)
