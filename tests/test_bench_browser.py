"""The browser benchmark's pure parts: spreads, summaries, the table and ``make bench``'s rows (no browser, no
timing assertions: the timings themselves are a benchmark's business)."""

from bench.browser import PAGES, PageResult, Sample, bench_rows, spread, summarise, table
from ui.registry import EXPLORERS


def page(samples, reference=(0.2, 0.1, 0.3), budget=0.5, **kw):
    return PageResult("fit-a-line", budget, samples=list(samples), reference_s=list(reference), **kw)


def test_spread_is_median_min_max_and_ignores_missing_values():
    assert spread([3.0, None, 1.0, 2.0]) == {"median": 2.0, "min": 1.0, "max": 3.0, "n": 3}
    assert spread([]) is None and spread([None]) is None


def test_summary_leaves_timeouts_out_of_the_spread_and_counts_them():
    s = summarise(page([Sample("lr", 0.4, "main", 2_000_000, 2_100_000), Sample("lr", 0.6, "main", 3_000_000),
                        Sample("steps", None, "timeout"), Sample("steps", 0.2, "other chart")]))
    assert s["change"] == {"median": 0.4, "min": 0.2, "max": 0.6, "n": 3}
    assert s["timeouts"] == 1 and s["not_main"] == 1
    assert s["payload_mb"] == 2.5  # median of the figures that were drawn
    assert s["ratio"] == 0.4 / 0.2  # medians: changes against the no-op rerun
    assert s["within_budget"]


def test_a_page_that_failed_has_no_ratio_and_says_why():
    s = summarise(PageResult("pca-vs-tsne", 1.5, error="TimeoutError: page did not load"))
    assert s["change"] is None and s["ratio"] is None and not s["within_budget"]
    row = table([s]).splitlines()[-1]
    assert "TimeoutError" in row and "≤ 1.5 s median" in row


def test_table_has_one_row_per_page_with_its_numbers():
    s = summarise(page([Sample("lr", 0.75, "main", 1_230_000, 1_300_000, run_s=0.31)], skipped=["steps"]))
    lines = table([s, s], label="after").splitlines()
    assert lines[0] == "**after**"
    assert len(lines) == 1 + 2 + 2  # label, header, rule, two pages
    header = [c.strip() for c in lines[1].strip("|").split("|")]
    row = [c.strip() for c in lines[-1].strip("|").split("|")]
    assert len(row) == len(header)
    cells = dict(zip(header, row))
    assert cells["page"] == "fit-a-line"
    assert cells["change → picture median (min–max), s"] == "0.75 (0.75–0.75)"
    assert cells["figure MB"] == "1.23" and cells["ratio"] == "3.8×" and cells["no-op rerun, s"] == "0.20"
    assert cells["its script run ended, s"] == "0.31"
    assert "no control steps" in cells["notes"]


def test_bench_rows_fit_make_bench_table():
    rows = bench_rows([summarise(page([Sample("lr", 0.9, "main", 500_000)]))])
    assert len(rows) == 1 and len(rows[0]) == 5  # measure, value, reference, ratio, goal
    measure, value, reference, ratio, goal = rows[0]
    assert "fit-a-line" in measure and "median 0.90 s" in value and "0.50 MB" in value
    assert reference == "rerun that changes nothing: 0.20 s" and ratio == "4.5×" and goal == "≤ 0.5 s median"


def test_every_explorer_is_benchmarked_with_a_budget_from_the_issue():
    assert set(PAGES) == {e.url_path for e in EXPLORERS}
    for name in ("fit-a-line", "optimizers", "calibration"):
        assert PAGES[name].budget_s == 0.5
    for name in ("decision-boundary", "batch-size", "pca-vs-tsne"):
        assert PAGES[name].budget_s == 1.5
    assert all(c.how in ("right", "left", "step") for spec in PAGES.values() for c in spec.changes)
