"""ui.uploads: every broken file gives a DataFrame or an UploadError with a clear message, never anything else."""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ui import uploads
from ui.uploads import UploadError, guess_label_column, numeric_table, read_csv, upload_notices


def _error(data, **kwargs) -> str:
    with pytest.raises(UploadError) as info:
        read_csv(data, **kwargs)
    return str(info.value)


def _table(data, **kwargs):
    return numeric_table(read_csv(data), **kwargs)


# --- files that cannot be used ---------------------------------------------------------------------------

@pytest.mark.parametrize("data", [b"", b"\n", b"  \r\n\t\n"])
def test_empty(data):
    assert "empty" in _error(data)


@pytest.mark.parametrize("data", [b"a", b"x\n"])
def test_one_byte_or_word(data):
    assert "no rows of values" in _error(data)


def test_only_header():
    message = _error(b"sepal,petal,species\n")
    assert "header row (sepal, petal, species) but no rows" in message and "Add the data" in message


def test_one_column():
    message = _error(b"height\n1.5\n1.7\n1.8\n")
    assert "Only one column" in message and "commas, semicolons or tabs" in message
    assert read_csv(b"height\n1.5\n1.7\n", min_columns=1).shape == (2, 1)  # a page that needs one may ask


def test_text_only_reads_but_has_no_numbers():
    df = read_csv(b"name,city\nAnn,Paris\nBob,Rome\n")
    with pytest.raises(UploadError, match="Found 0 numeric columns; at least 2 are needed.*'name', 'city'"):
        numeric_table(df)


def test_binary_junk_with_nul_bytes():
    junk = bytes(np.random.default_rng(0).integers(0, 256, 2000, dtype=np.uint8))
    assert b"\x00" in junk
    assert "not a text file" in _error(junk)


def test_binary_junk_without_nul_bytes():
    junk = bytes(np.random.default_rng(1).integers(1, 256, 2000, dtype=np.uint8))
    assert "not a text file" in _error(junk)


def test_excel_workbook_is_recognised():
    assert "Excel workbook (.xlsx)" in _error(b"PK\x03\x04\x14\x00\x06\x00" + bytes(100))


def test_too_many_rows():
    data = "a,b\n" + "1,2\n" * 101
    assert "more than 100 rows; the limit is 100" in _error(data.encode(), max_rows=100)
    assert read_csv(data.encode(), max_rows=101).shape == (101, 2)


def test_too_many_columns():
    header = ",".join(f"c{j}" for j in range(1001))
    message = _error(f"{header}\n{','.join(['1'] * 1001)}\n".encode())
    assert "1,001 columns; the limit is 1,000" in message


def test_too_many_bytes():
    assert "the limit is 0.0001 MB" in _error(b"a,b\n" + b"1,2\n" * 100, max_bytes=100)


def test_ragged_rows():
    message = _error(b"a,b,c\n1,2,3\n4,5,6,7\n")
    assert "Line 3 has 4 values but the header has 3 columns" in message and "double quotes" in message


def test_unclosed_quote():
    assert "double quote opened on line 4 is never closed" in _error(b'a,b\n1,2\n3,4\n"5,6\n7,8\n')


# --- files that are fine, with notices -------------------------------------------------------------------

def test_nan_and_inf_cells_are_dropped_and_counted():
    data = b"a,b,c\n1,2,3\nnan,1,2\n1,inf,3\n4,5,6\n7,8,9\n1,-inf,1\n2,2,2\n,3,3\n9,9,8\n"
    X, labels, names, features, notices = _table(data)
    assert X.shape == (5, 3) and np.isfinite(X).all() and labels is None and names is None
    assert features == ["a", "b", "c"]
    assert "Dropped 4 rows with missing or infinite values (of 9)." in notices


def test_duplicate_headers_are_renamed_with_a_notice():
    df = read_csv(b"a,a,b,a\n1,2,3,4\n")
    assert list(df.columns) == ["a", "a.1", "b", "a.2"]
    assert "The column name 'a' appears 3 times; the copies were renamed 'a.1', 'a.2'." in upload_notices(df)


@pytest.mark.parametrize("data, sep", [(b"a;b;c\n1;2;3\n4;5;6\n", ";"), (b"a\tb\tc\n1\t2\t3\n4\t5\t6\n", "\t"),
                                       (b"a|b|c\n1|2|3\n4|5|6\n", "|"), (b"a b c\n1 2 3\n4 5 6\n", r"\s+"),
                                       (b"a, b, c\n1, 2, 3\n4, 5, 6\n", ",")])
def test_separators(data, sep):
    df = read_csv(data)
    assert df.attrs["separator"] == sep and list(df.columns) == ["a", "b", "c"]
    assert df.to_numpy().tolist() == [[1, 2, 3], [4, 5, 6]]


def test_semicolons_with_decimal_commas():
    df = read_csv("Länge;Breite\n1,5;2,25\n3,0;4,5\n".encode())
    assert df.to_numpy().tolist() == [[1.5, 2.25], [3.0, 4.5]]
    assert any("decimal commas" in n for n in upload_notices(df))


def test_comma_separated_file_with_commas_inside_quotes():
    df = read_csv(b'name,x,y\n"Smith, Ann",1,2\n"Lee, Bo",3,4\n')
    assert df["name"].tolist() == ["Smith, Ann", "Lee, Bo"] and df.attrs["separator"] == ","


def test_non_utf8_cp1252():
    df = read_csv("name,café,note\nx,1,\u201cquoted\u201d\n".encode("cp1252"))
    assert list(df.columns) == ["name", "café", "note"] and df["note"][0] == "\u201cquoted\u201d"
    assert df.attrs["encoding"] == "cp1252"
    assert any("not UTF-8" in n and "Windows-1252" in n for n in upload_notices(df))


def test_latin1_fallback_when_cp1252_fails():
    df = read_csv(b"a,b\n\x81x,1\n")  # 0x81 is undefined in Windows-1252
    assert df.attrs["encoding"] == "latin-1" and df["a"][0] == "\x81x"


def test_utf8_bom_and_utf16():
    assert list(read_csv("\ufeffa,b\n1,2\n".encode("utf-8")).columns) == ["a", "b"]
    df = read_csv("a\tb\n1\t2\n".encode("utf-16"))  # Excel's "Unicode text"
    assert df.attrs["encoding"] == "utf-16" and list(df.columns) == ["a", "b"]


def test_formula_injection_stays_text():
    payload = "=cmd|' /C calc'!A0"
    df = read_csv(f"a,b,c\n1,\"{payload}\",3\n2,@SUM(A1),4\n3,-2,5\n".encode())
    assert df["b"].tolist() == [payload, "@SUM(A1)", "-2"]
    assert any("never evaluated" in n for n in upload_notices(df))
    X, *_, features, notices = numeric_table(df, columns=["a", "b", "c"], min_rows=1)
    assert X.tolist() == [[3.0, -2.0, 5.0]]  # the formula cells are not numbers: those rows are dropped
    assert any("2 cells are not a number" in n for n in notices)


def test_quoted_newlines_inside_cells():
    df = read_csv(b'label,x,y\n"two\nlines",1,2\n"one",3,4\n')
    assert df.shape == (2, 3) and df["label"][0] == "two\nlines"


def test_mixed_types_in_a_column():
    data = b"a,b,c\n1,2,x\n3,4,5\n5,6,7\nhello,8,9\n9,10,11\n11,12,13\n13,14,15\n"
    X, _, _, features, notices = _table(data)
    assert features == ["a", "b", "c"] and X.shape == (5, 3)
    assert "Column 'a': 1 cell is not a number (such as 'hello') and counted as missing." in notices
    assert "Dropped 2 rows with missing or infinite values (of 7)." in notices


def test_first_row_of_numbers_is_data():
    df = read_csv(b"1.5,2,3\n4,5,6\n")
    assert list(df.columns) == ["column 1", "column 2", "column 3"] and len(df) == 2


def test_trailing_separator_and_row_names():
    df = read_csv(b"a,b,\n1,2,\n3,4,\n")
    assert list(df.columns) == ["a", "b"] and any("empty column" in n for n in upload_notices(df))
    df = read_csv(b"a,b\nr1,1,2\nr2,3,4\n")
    assert list(df.columns) == ["(row names)", "a", "b"] and df["(row names)"].tolist() == ["r1", "r2"]


def test_100k_rows_are_read_exactly():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(100_000, 6)), columns=list("abcdef"))
    frame["species"] = rng.choice(["x", "y", "z"], size=len(frame))
    data = frame.to_csv(index=False).encode()
    X, labels, names, features, notices = numeric_table(read_csv(data), label_column="species")
    assert X.shape == (100_000, 6) and names == ["x", "y", "z"] and len(labels) == 100_000
    np.testing.assert_allclose(X, frame[list("abcdef")].to_numpy(), rtol=1e-15)


# --- numeric_table ---------------------------------------------------------------------------------------

def test_labels_from_a_text_column():
    data = b"x,y,species\n1,2,b\n3,4,a\n5,6,b\n7,8,\n9,1,a\n"
    X, labels, names, features, notices = _table(data, label_column="species")
    assert features == ["x", "y"] and names == ["a", "b", "(missing)"]
    assert labels.tolist() == [1, 0, 1, 2, 0] and labels.dtype == np.int64


def test_labels_from_a_numeric_column_sort_by_value():
    X, labels, names, features, _ = _table(b"k,x,y\n10,1,2\n2,3,4\n1,5,6\n2,7,8\n10,9,1\n", label_column="k")
    assert names == ["1", "2", "10"] and labels.tolist() == [2, 1, 0, 1, 2] and features == ["x", "y"]


def test_too_many_labels_become_other():
    frame = pd.DataFrame({"id": np.arange(50) % 25, "x": np.arange(50.0), "y": np.arange(50.0) ** 2})
    frame.loc[frame.index < 10, "id"] = 99  # the most common value
    _, labels, names, _, notices = numeric_table(frame, label_column="id")
    assert len(names) == 21 and names[-1] == "other" and "99" in names
    assert any("colours show the 20 most common" in n for n in notices)


def test_text_columns_left_out_and_constant_noted():
    X, _, _, features, notices = _table(b"name,x,y,z\nA,1,2,5\nB,3,4,5\nC,5,6,5\nD,7,8,5\nE,9,1,5\n")
    assert features == ["x", "y", "z"]
    assert "Left out 1 text column: 'name'." in notices
    assert "'z' is constant: it adds nothing to distances or variance." in notices


def test_chosen_columns_and_errors():
    df = read_csv(b"a,b,c\n1,2,3\n4,5,6\n7,8,9\n1,1,1\n2,2,3\n")
    X, *_, features, _ = numeric_table(df, columns=["c", "a"])
    assert features == ["c", "a"] and X[:, 0].tolist() == [3, 6, 9, 1, 3]
    with pytest.raises(UploadError, match="No column called 'zz'"):
        numeric_table(df, columns=["a", "zz"])
    with pytest.raises(UploadError, match="no column 'q' to colour by"):
        numeric_table(df, label_column="q")
    with pytest.raises(UploadError, match="Found 1 numeric column \\('a'\\); at least 2"):
        numeric_table(df, columns=["a"])
    with pytest.raises(UploadError, match="Only 2 complete rows remain"):
        numeric_table(df.iloc[:2])


def test_with_rows_gives_the_positions_of_the_rows_kept():
    df = read_csv(b"a,b,kind\n1,2,x\n,5,y\n7,8,x\n1,oops,y\n2,2,x\n3,3,y\n")
    X, labels, names, features, notices, rows = numeric_table(df, label_column="kind", with_rows=True, min_rows=1)
    assert rows.tolist() == [0, 2, 4, 5] and rows.dtype == np.int64
    np.testing.assert_array_equal(X, df.iloc[rows][["a", "b"]].to_numpy(dtype=float))
    assert [names[k] for k in labels] == df["kind"].iloc[rows].tolist()
    assert len(numeric_table(df, label_column="kind", min_rows=1)) == 5  # without it, the five items as before


# --- guessing the label column ---------------------------------------------------------------------------

def _frame(**columns) -> pd.DataFrame:
    n = max(len(v) for v in columns.values())
    base = {"f1": np.linspace(0.1, 9.7, n), "f2": np.linspace(3.3, -1.9, n)}
    return pd.DataFrame({**base, **columns})


@pytest.mark.parametrize("columns, expected", [
    ({"species": ["setosa", "virginica"] * 5}, "species"),
    ({"Species": ["setosa", "virginica"] * 5}, "Species"),  # any case
    ({"target": [0, 1, 2, 0, 1, 2, 0, 1, 2, 0]}, "target"),  # few whole numbers
    ({"y": [0.0, 1.0] * 5}, "y"),  # whole numbers read as floats (a missing cell elsewhere does that)
    ({"class": [True, False] * 5}, "class"),
    ({"iris_class": ["a", "b"] * 5}, "iris_class"),  # a label word inside the name
    ({"irisSpecies": ["a", "b"] * 5}, "irisSpecies"),
    ({"category": ["a", "b"] * 5, "label": [1, 2] * 5}, "label"),  # a whole name before another, by list order
    ({"type_code": ["a", "b"] * 5, "class": [1, 2] * 5}, "class"),  # a whole name before a word in one
    ({"label": np.linspace(0, 1, 10)}, None),  # measurements, whatever the name
    ({"y": list(range(30))}, None),  # too many distinct numbers for classes
    ({"pos_y": [0, 1] * 5}, None),  # "y" only as the whole name
    ({"city": ["Oslo", "Lima", "Oslo", "Pune", "Lima"] * 2}, "city"),  # the one text column, values repeating
    ({"name": [f"n{i}" for i in range(10)]}, None),  # names rows, not classes
    ({"city": ["Oslo", "Lima"] * 5, "colour": ["red", "blue"] * 5}, None),  # two text columns: no guess
    ({"notes": [None] * 10}, None),  # empty
    ({}, None),
])
def test_guess_label_column(columns, expected):
    assert guess_label_column(_frame(**columns) if columns else _frame(f3=[1.5] * 5)) == expected


def test_guess_label_column_on_a_read_file():
    data = b"sepal length;sepal width;Species\n5,1;3,5;setosa\n6,2;2,9;versicolor\n4,9;3,0;setosa\n"
    assert guess_label_column(read_csv(data)) == "Species"
    assert guess_label_column(read_csv(b"1,2,3\n4,5,6\n")) is None  # headerless: "column 1", ...


# --- never another exception type ------------------------------------------------------------------------

_CSV_ALPHABET = st.sampled_from(list(",;\t|\"\n\r =+-@.eE0123456789abé\x00\\'"))


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.binary(max_size=300), st.lists(_CSV_ALPHABET, max_size=150).map(lambda c: "".join(c).encode())))
def test_any_bytes_give_a_table_or_an_upload_error(data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            df = read_csv(data)
        except UploadError as error:
            assert str(error).endswith(".") and len(str(error)) > 20
            return
        guessed = guess_label_column(df)
        assert guessed is None or guessed in df.columns
        for label in (None, df.columns[0], guessed):
            try:
                X, *_ = numeric_table(df, label_column=label, min_rows=1)
            except UploadError:
                continue
            assert X.dtype == np.float64 and np.isfinite(X).all()


# --- the Streamlit widget --------------------------------------------------------------------------------

class _File:
    def __init__(self, data):
        self.data = data

    def getvalue(self):
        return self.data


@pytest.fixture
def fake_streamlit(monkeypatch):
    """Replace the few Streamlit calls the widget makes and record them; read_csv runs uncached."""
    import streamlit as st

    shown = {"error": [], "info": [], "file": None}
    monkeypatch.setattr(st, "file_uploader", lambda label, **kw: shown["file"])
    monkeypatch.setattr(st, "error", lambda body, **kw: shown["error"].append(body))
    monkeypatch.setattr(st, "info", lambda body, **kw: shown["info"].append(body))
    monkeypatch.setattr(uploads, "_cached_read_csv", lambda: read_csv)
    return shown


def test_widget_without_a_file(fake_streamlit):
    assert uploads.upload_widget("k") is None and not fake_streamlit["error"]


def test_widget_shows_the_error(fake_streamlit):
    fake_streamlit["file"] = _File(b"")
    assert uploads.upload_widget("k") is None
    assert "empty" in fake_streamlit["error"][0]


def test_widget_returns_the_table_and_shows_notices(fake_streamlit):
    fake_streamlit["file"] = _File(b"a,a\n1,2\n")
    df = uploads.upload_widget("k")
    assert list(df.columns) == ["a", "a.1"] and "appears 2 times" in fake_streamlit["info"][0]


def test_pure_functions_do_not_import_streamlit():
    import subprocess
    import sys
    from pathlib import Path

    code = "import sys, ui.uploads; print('streamlit' in sys.modules)"
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
