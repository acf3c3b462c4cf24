"""Hostile uploads (issue #9): every file of :mod:`tests.hostile_csv` through the reader and through every page
that takes a CSV, each handled with a clear message, in bounded memory, and the session still working after.

* The reader: a refused file raises :class:`~ui.uploads.UploadError` saying what is wrong (and nothing else
  escapes); a readable one gives a table, and ``numeric_table`` finite numbers or an ``UploadError``.
* Memory: the big files are read under ``tracemalloc`` and/or with the process's peak RSS reset first
  (``/proc/self/clear_refs``, Linux): oversized input is refused before it is copied or parsed, and nothing
  costs more than 10× its size (and never 600 MB). No wall-clock assertions (house rule).
* The pages (decision boundary, PCA vs t-SNE, calibration), driven by AppTest the way a person would: choose
  "Your own CSV…", upload every file in turn in one session; each ends in the page working or an ``st.error``
  naming the problem, never an exception. Afterwards a good file works and the built-in data comes back.
  (AppTest skips Streamlit's ``server.maxUploadSize``, so the 50 MB file reaches the reader, as it must be able to.)
* Formula injection: uploaded label text reaches the PCA vs t-SNE page's CSV download; :func:`ui.uploads.csv_safe`
  neutralises such cells, and every CSV download goes through it (``ui/export.py``).
"""

from __future__ import annotations

import csv
import inspect
import io
import tomllib
import tracemalloc
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.hostile_csv import BY_NAME, CORPUS, FORMULAS, MB, Hostile
from tests.test_fuzz_urls import open_link
from ui.uploads import UploadError, csv_safe, numeric_table, read_csv, upload_notices

ROOT = Path(__file__).resolve().parent.parent
SMALL = [h for h in CORPUS if not h.big]
BIG = [h for h in CORPUS if h.big]


# --- the reader ----------------------------------------------------------------------------------------------

def _outcome(hostile: Hostile):
    """``("refuse", message)`` or ``("read", df, notices)`` for one file; anything else escaping is a failure."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            df = read_csv(hostile.make())
        except UploadError as error:
            return "refuse", str(error)
    return "read", df, upload_notices(df)


@pytest.mark.parametrize("hostile", CORPUS, ids=lambda h: h.name)
def test_reader_refuses_with_a_message_or_reads(hostile):
    outcome = _outcome(hostile)
    assert outcome[0] == hostile.expect, outcome[1] if outcome[0] == "refuse" else outcome[2]
    if outcome[0] == "refuse":
        message = outcome[1]
        assert message.endswith(".") and len(message) > 40, message
        assert hostile.says in message.lower(), message
        return
    _, df, notices = outcome
    assert len(df) and len(df.columns) >= 2
    for label in (None, "label" if "label" in df.columns else df.columns[-1]):  # finite numbers, or the reason
        try:
            X, labels, names, features, table_notices = numeric_table(df, label_column=label)
        except UploadError as error:
            assert str(error).endswith("."), str(error)
            continue
        assert X.dtype == np.float64 and np.isfinite(X).all() and X.shape[1] == len(features)
        notices = notices + table_notices
    assert any(hostile.says in n.lower() for n in notices) if hostile.says else True, notices


def test_an_empty_column_is_left_out_not_every_row():
    df = read_csv(BY_NAME["all-nan-column.csv"].make())
    X, labels, names, features, notices = numeric_table(df, label_column="label")
    assert features == ["x1", "x2", "x3"] and X.shape == (40, 3) and names == ["a", "b"]
    assert "Left out 1 empty column: 'empty'." in notices


def test_an_unclosed_quote_near_the_top_is_named():
    message = str(pytest.raises(UploadError, read_csv, b'x1,x2,label\n1,2,"a\n3,4,b\n').value)
    assert "double quote opened on line 2 is never closed" in message


def test_limits_agree_with_streamlits_upload_limit():
    """A file Streamlit lets through but the reader refuses gets the reader's message, never a silent failure;
    and the reader's limit is not far below Streamlit's (people would be refused for no visible reason)."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    streamlit_bytes = config["server"]["maxUploadSize"] * 2**20
    reader_bytes = inspect.signature(read_csv).parameters["max_bytes"].default
    assert 0.9 * streamlit_bytes <= reader_bytes <= streamlit_bytes


# --- memory --------------------------------------------------------------------------------------------------

def _rss_high_water() -> float | None:
    """Peak RSS in bytes since the last reset, or None where Linux's /proc interface is missing."""
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM"))
    except (OSError, StopIteration):
        return None


def _rss_now() -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmRSS"))


@contextmanager
def peak_memory(trace: bool):
    """Yields a dict that gets ``traced`` (tracemalloc's peak, bytes) and ``rss`` (rise of the peak RSS)."""
    found = {"traced": None, "rss": None}
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")  # reset the peak-RSS mark to the current RSS
        base = _rss_now()
    except OSError:
        base = None
    if trace:
        tracemalloc.start()
    try:
        yield found
    finally:
        if trace:
            found["traced"] = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        if base is not None and _rss_high_water() is not None:
            found["rss"] = _rss_high_water() - base


def _read_and_table(data: bytes) -> None:
    try:
        df = read_csv(data)
    except UploadError:
        return
    try:
        numeric_table(df, label_column=df.columns[-1])
    except UploadError:
        pass


@dataclass(frozen=True)
class Bound:
    name: str
    trace: bool  # tracemalloc slows object-heavy parsing ten-fold: only where it is cheap
    factor: float  # peak / file size


BOUNDS = [Bound("fifty-megabytes.csv", True, 0.02),  # refused before a copy is made
          Bound("million-columns.csv", True, 2.5),  # refused after decoding, before pandas
          Bound("quoted-field-bomb.csv", True, 2.5),
          Bound("long-line.csv", True, 10), Bound("newline-bomb.csv", True, 10),
          Bound("widest-allowed.csv", True, 10),  # 1,000 columns × 9,900 rows: table and array, 4× the file each
          Bound("many-rows.csv", False, 10), Bound("too-many-rows.csv", False, 10), Bound("text-heavy.csv", False, 10)]


@pytest.mark.parametrize("bound", BOUNDS, ids=lambda b: b.name)
def test_memory_is_bounded(bound):
    data = BY_NAME[bound.name].make()
    with peak_memory(bound.trace) as peak:
        _read_and_table(data)
    limit = min(bound.factor * len(data) + 2 * MB, 600 * MB)
    for kind in ("traced", "rss"):
        if peak[kind] is not None:
            assert peak[kind] < limit, f"{kind} peak {peak[kind] / MB:.0f} MB for a {len(data) / MB:.0f} MB file"
    assert peak["traced"] is not None or peak["rss"] is not None or not bound.trace


# --- every upload path of the real pages ---------------------------------------------------------------------

@dataclass(frozen=True)
class UploadPage:
    path: str
    own_data: dict  # the link that switches the page to "Your own CSV…" (and keeps its computation small)
    choice: str  # the data control, set back to its built-in default at the end
    builtin: str


UPLOAD_PAGES = {
    "decision-boundary": UploadPage("pages/decision-boundary.py", {"data": "upload", "epochs": "10"},
                                    "decision-boundary.data", "circle"),
    "pca-vs-tsne": UploadPage("pages/pca-vs-tsne.py", {"data": "upload", "iterations": "250", "n": "50"},
                              "pca-vs-tsne.data", "digits"),
    "calibration": UploadPage("pages/calibration.py", {"source": "upload"}, "calibration.source", "synthetic"),
}
#: Through the pages: every small file and the big ones the reader refuses at once (the rest are read above).
THROUGH_PAGES = SMALL + [BY_NAME[n] for n in ("fifty-megabytes.csv", "million-columns.csv",
                                              "quoted-field-bomb.csv", "many-rows.csv")]
GOOD = BY_NAME["windows-newlines.csv"]


def _page_problems(at) -> list[str]:
    found = [f"exception: {e.value}" for e in at.exception]
    return found + [f"caught: {e.value}" for e in at.error if "Something went wrong" in e.value]


@pytest.mark.parametrize("page", UPLOAD_PAGES)
def test_every_hostile_file_through_every_upload_path(page):
    spec = UPLOAD_PAGES[page]
    at = open_link(spec.path, spec.own_data)
    assert not _page_problems(at) and len(at.file_uploader) == 1
    failures = []
    for hostile in THROUGH_PAGES:
        at.file_uploader[0].set_value((hostile.name, hostile.make(), "text/csv"))
        at.run()
        errors = [e.value for e in at.error]
        charts = at.get("plotly_chart")
        problems = _page_problems(at)
        if hostile.expect == "refuse" and not any(hostile.says in e.lower() for e in errors):
            problems.append(f"no message saying {hostile.says!r}: {errors}")
        if hostile.expect == "read" and not charts and not errors:
            problems.append("neither charts nor a message")
        failures += [f"{hostile.name}: {p}" for p in problems]
    assert not failures, "\n".join(failures)

    # still alive: a good file works, and the built-in data comes back
    at.file_uploader[0].set_value((GOOD.name, GOOD.make(), "text/csv"))
    at.run()
    assert not _page_problems(at) and at.get("plotly_chart"), [e.value for e in at.error]
    at.selectbox(key=spec.choice).set_value(spec.builtin).run()
    assert not _page_problems(at) and at.get("plotly_chart") and not at.error, [e.value for e in at.error]


# --- formula injection into downloads ------------------------------------------------------------------------

def _spreadsheet_formulas(text: str) -> list[str]:
    """Cells of a CSV that a spreadsheet would run: text starting with = + - @ tab or CR that is not a number.
    (Rows are split at a bare CR too, as a spreadsheet does.)"""
    cells = [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]
    return [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r") and pd.to_numeric(c, errors="coerce")
            != pd.to_numeric(c, errors="coerce")]


def test_csv_safe_neutralises_formulas_and_keeps_numbers():
    table = pd.DataFrame({"label": [*FORMULAS, "-2", "+3", "cat", None], "x": np.arange(12.0) - 5,
                          "=name": ["a"] * 12})
    text = csv_safe(table).to_csv(index=False)
    assert not _spreadsheet_formulas(text)
    back = pd.read_csv(io.StringIO(text))
    assert back["label"].tolist()[:2] == ["'" + FORMULAS[0], "'" + FORMULAS[1]]
    assert back["label"].tolist()[-4:-1] == ["-2", "+3", "cat"] and back["x"].tolist() == table["x"].tolist()
    assert "'=name" in back.columns and table.columns[-1] == "=name"  # the input is not changed
    assert _spreadsheet_formulas(table.to_csv(index=False))  # (the check itself sees them)


@pytest.fixture
def downloads(monkeypatch):
    """Every download button's ``data`` callable by key (AppTest has no runtime to serve deferred downloads)."""
    from streamlit.delta_generator import DeltaGenerator

    original = DeltaGenerator.download_button
    seen = {}

    def record(self, label, data, *args, **kwargs):
        seen[kwargs.get("key")] = data
        return original(self, label, data, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", record)
    return seen


def test_uploaded_labels_do_not_become_formulas_in_the_csv_download(downloads):
    spec = UPLOAD_PAGES["pca-vs-tsne"]
    at = open_link(spec.path, spec.own_data)
    at.file_uploader[0].set_value(("formulas.csv", BY_NAME["formula-injection.csv"].make(), "text/csv")).run()
    at.selectbox(key="embeddings.label").set_value("label").run()
    assert not _page_problems(at) and "pca-vs-tsne.embeddings.csv" in downloads
    text = downloads["pca-vs-tsne.embeddings.csv"]()
    assert any(f in text for f in ("cmd|", "HYPERLINK", "@SUM"))  # the labels are in the file
    assert not _spreadsheet_formulas(text)
