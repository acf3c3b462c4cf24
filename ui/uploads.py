"""A person's own CSV file, read by one set of rules on every page.

Two pure steps, testable without Streamlit, and a thin widget on top:

* :func:`read_csv` turns the uploaded bytes into a ``DataFrame`` (pandas does all the parsing), or raises
  :class:`UploadError` saying what is wrong and what to change. Anything worth knowing that is not an error
  (the encoding guessed, renamed duplicate headers, ...) is in ``df.attrs["notices"]``.
* :func:`numeric_table` picks the numeric columns and an optional label column out of it, as arrays for
  ``core``.
* :func:`upload_widget` shows ``st.file_uploader`` and wires the two to ``st.error`` / ``st.info``.

Cells are data, never code. Nothing is evaluated: a cell such as ``=cmd|' /C calc'!A0`` (a "formula
injection" aimed at spreadsheets) is read as the text it is, and as text it is not numeric, so it can never
reach a computation. Only a spreadsheet opening an *exported* file would run it, and uploaded text does reach
downloads (class labels are in the PCA vs t-SNE page's CSV): :func:`csv_safe` makes such a table safe to open,
and every CSV download should go through it.
"""

from __future__ import annotations

import codecs
import csv
import io
import re

import numpy as np
import pandas as pd

#: Separators tried, in order of preference when they split the header equally well.
SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}
WHITESPACE = r"\s+"
FORMULA_PREFIXES = ("=", "+", "-", "@")
#: What a spreadsheet may take as the start of a formula (OWASP's CSV-injection list).
_SPREADSHEET_TRIGGERS = (*FORMULA_PREFIXES, "\t", "\r", "\n")
#: Magic numbers of files people upload by mistake, for a more helpful message.
_SIGNATURES = {b"PK\x03\x04": "an Excel workbook (.xlsx) or a zip archive",
               b"\xd0\xcf\x11\xe0": "an old Excel workbook (.xls)", b"%PDF": "a PDF document",
               b"\x89PNG": "a PNG image", b"\xff\xd8\xff": "a JPEG image", b"\x1f\x8b": "a gzip archive"}
_SAVE_AS_CSV = "Save it as CSV from your spreadsheet (File → Save As → CSV) and upload that."


class UploadError(ValueError):
    """An uploaded file that cannot be used; the message says what is wrong and what to change."""


# --- reading -------------------------------------------------------------------------------------------

def read_csv(data: bytes, *, max_bytes: int = 20_000_000, max_rows: int = 100_000, max_columns: int = 1_000,
             min_columns: int = 2) -> pd.DataFrame:
    """Parse an uploaded CSV (comma, semicolon, tab or ``|`` separated; whitespace as a last resort).

    Steps: refuse empty, oversized and binary content; decode as UTF-8 (a BOM is dropped, UTF-16 with a
    BOM is understood), else Windows-1252, else Latin-1 (which cannot fail); choose the separator that
    splits the header into the most columns (trying the next if pandas then fails); let pandas parse. A
    first row of numbers is taken as data (columns become "column 1", ...). With ``;`` or tab separators,
    decimal commas (``1,5``) are read as numbers when that makes more columns numeric. Fewer than
    ``min_columns`` columns is an error (pass 1 on a page that can use a single column).

    Cells are only ever text or numbers: one starting with ``=``, ``+``, ``-`` or ``@`` stays a string and is
    never evaluated (a notice says so).

    Returns the DataFrame with ``attrs["notices"]`` (list of sentences for people), ``attrs["encoding"]``
    and ``attrs["separator"]``. Raises :class:`UploadError`, and only that, for anything unusable.
    """
    if len(data) > max_bytes:  # before anything is copied or decoded
        raise UploadError(f"The file is {len(data) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:g} MB. "
                          "Upload fewer rows or columns (a random sample is fine).")
    data = bytes(data)
    text, encoding, notices = _decode(data)
    if not text or text.isspace():
        raise UploadError("The file is empty. Upload a CSV file with a header row and at least one row of values.")
    _refuse_wide(text, max_columns)
    # pandas parses UTF-8 bytes (at half the time and memory of a str): the file itself when it is UTF-8
    body = data if encoding == "utf-8" else text.encode("utf-8")
    del text
    errors = []
    for sep in _separator_candidates(body):
        try:
            df, more = _parse(body, sep, max_rows, max_columns)
            break
        except _ParseFailure as failure:
            errors.append(failure)
    else:
        raise UploadError(str(errors[0]))
    _check_shape(df, max_rows, min_columns)
    df.attrs.update(notices=notices + more, encoding=encoding, separator=sep)
    return df


def upload_notices(df: pd.DataFrame) -> list[str]:
    """The notices :func:`read_csv` left on ``df`` (none for a DataFrame from elsewhere)."""
    return list(df.attrs.get("notices", []))


class _ParseFailure(Exception):
    """pandas could not read the text with one separator (the message is already for people)."""


def _decode(data: bytes) -> tuple[str, str, list[str]]:
    """The text, the encoding used and notices; binary content raises."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16", ["The file is UTF-16 text; it was read as such."]
        except UnicodeDecodeError:
            pass
    if b"\x00" in data:
        raise UploadError(_binary_message(data, "it contains NUL bytes"))
    if data.startswith(codecs.BOM_UTF8):
        text, encoding, notices = data.decode("utf-8-sig"), "utf-8-sig", []
    else:
        text, encoding, notices = _decode_8bit(data)
    sample = text[:10_000]
    controls = sum((ch < " " and ch not in "\t\n\r\f\v") or "\x7f" <= ch <= "\x9f" for ch in sample)
    if controls > max(3, 0.02 * len(sample)):  # a stray control character or two is still text
        raise UploadError(_binary_message(data, "it is full of control characters"))
    return text, encoding, notices


def _decode_8bit(data: bytes) -> tuple[str, str, list[str]]:
    try:
        return data.decode("utf-8"), "utf-8", []
    except UnicodeDecodeError:
        pass
    for encoding, name in [("cp1252", "Windows-1252 (Western European)"), ("latin-1", "Latin-1")]:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return text, encoding, [f"The file is not UTF-8, so it was read as {name}. If accented letters look "
                                "wrong, save the file as UTF-8 and upload it again."]
    raise AssertionError("latin-1 decodes any bytes")  # pragma: no cover


def _binary_message(data: bytes, why: str) -> str:
    kind = next((kind for magic, kind in _SIGNATURES.items() if data.startswith(magic)), None)
    what = f"This looks like {kind}, not a CSV text file" if kind else f"This is not a text file ({why})"
    return f"{what}. {_SAVE_AS_CSV} A UTF-16 text file without a byte-order mark also lands here: save it as UTF-8."


def _read(body: bytes, sep: str, **options) -> pd.DataFrame:
    """``pd.read_csv`` of UTF-8 bytes (a ``str`` through ``StringIO`` costs twice the time and memory: a copy at
    four bytes a character)."""
    return pd.read_csv(io.BytesIO(body), sep=sep, skipinitialspace=True, low_memory=False, encoding="utf-8",
                       **options)


def _separator_candidates(body: bytes) -> list[str]:
    """Separators worth trying, best first: those that split the header into more than one column, most
    columns first (ties keep :data:`SEPARATORS` order); whitespace only if none does; comma as the last resort.

    The header is read from the first line alone, so that a broken line further down (a quote never closed)
    is reported as such by the parse, instead of making every separator look like it splits nothing; only a
    header that itself spans lines (a quoted line break) is read from the whole file."""
    end = body.find(b"\n")
    header = body if end < 0 else body[:end]
    widths = {sep: _header_width(header, sep) or _header_width(body, sep) for sep in SEPARATORS}
    splitting = sorted((s for s in SEPARATORS if widths[s] > 1), key=lambda s: -widths[s])
    return splitting or [WHITESPACE, ","]


def _header_width(source: bytes, sep: str) -> int:
    try:
        return len(_read(source, sep, nrows=0).columns)
    except (ValueError, csv.Error):
        return 0


def _refuse_wide(text: str, max_columns: int) -> None:
    """Refuse a table wider than ``max_columns`` before pandas sees it. pandas makes a column of every field of
    the header, and an index level of every extra field of the first row: a million of either took ten minutes
    and 4 GB (from a 10 MB file). Only the start of the first two lines is looked at (64 characters a column
    is room for ordinary fields), and only a line with enough separators is split (quotes respected)."""
    window, start = 64 * max_columns, 0
    for number in (1, 2):
        chunk = text[start:start + window]
        end = chunk.find("\n")
        line = chunk if end < 0 else chunk[:end]
        whole = end >= 0 or start + window >= len(text)
        counts = [len(_split(line, sep)) for sep in SEPARATORS if line.count(sep) >= max_columns]
        if not any(sep in line for sep in SEPARATORS) and line.count(" ") >= max_columns:
            counts.append(len(line.split()))  # whitespace separates only when nothing else does
        if counts and max(counts) > max_columns:
            where = "" if number == 1 else f" on line {number}"
            raise UploadError(f"The file has {'' if whole else 'at least '}{max(counts):,} columns{where}; the "
                              f"limit is {max_columns:,}. Keep fewer columns (for example, only the ones you "
                              "want to explore).")
        if end < 0:
            return
        start += end + 1


def _split(line: str, sep: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=sep), [])
    except csv.Error:  # a field over csv's size limit: not a width problem
        return []


def _parse(body: bytes, sep: str, max_rows: int, max_columns: int) -> tuple[pd.DataFrame, list[str]]:
    """Parse ``body`` (UTF-8) with one separator; returns the DataFrame and notices, or raises _ParseFailure /
    UploadError."""
    header = _raw_header(body, sep)
    if len(header) > max_columns:
        raise UploadError(f"The file has {len(header):,} columns; the limit is {max_columns:,}. "
                          "Keep fewer columns (for example, only the ones you want to explore).")
    headerless = len(header) > 1 and all(_is_number(name) for name in header)
    options = {"header": None, "names": [f"column {j + 1}" for j in range(len(header))]} if headerless else {}
    df = _read_or_explain(body, sep, nrows=max_rows + 1, **options)
    notices = ["The first row holds numbers, not column names, so it was read as data; the columns are "
               "called column 1, column 2 and so on."] if headerless else []
    if sep in (";", "\t") and re.search(rb"\d,\d", body):
        df, comma = _prefer_decimal_comma(df, body, sep, max_rows, options)
        notices += comma
    if not isinstance(df.index, pd.RangeIndex):
        df = df.reset_index(names="(row names)" if df.index.nlevels == 1 else None)
        notices.append("Every row has one more value than the header, so the first value of each row was "
                       "read as a row name (column \"(row names)\").")
    if not headerless:
        df, n_empty = _drop_empty_unnamed(df, header, notices)
        notices += _header_notices(header, df, n_empty)
    notices += _formula_notices(df)
    return df, notices


def _read_or_explain(body: bytes, sep: str, **options) -> pd.DataFrame:
    """``pd.read_csv``, with its errors turned into sentences saying what to fix."""
    try:
        return _read(body, sep, **options)
    except pd.errors.EmptyDataError:
        raise UploadError("The file has no columns. Upload a CSV file with a header row and rows of values.") from None
    except (ValueError, csv.Error, OverflowError) as error:
        raise _ParseFailure(_explain_parser_error(str(error), sep)) from None


def _explain_parser_error(message: str, sep: str) -> str:
    name = SEPARATORS.get(sep, "whitespace")
    fields = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
    if fields:
        expected, line, saw = fields.groups()
        return (f"Line {line} has {saw} values but the header has {expected} columns (separator: {name}). "
                f"A value probably contains the separator: put such values in double quotes, or fix that line.")
    quote = re.search(r"EOF inside string starting (?:at|with) (?:row|line) (\d+)", message)
    if quote:
        return (f"A double quote opened on line {int(quote.group(1)) + 1} is never closed. "
                "Remove the stray quote or close it.")
    detail = message.strip().splitlines()[0] if message.strip() else "unknown reason"
    return (f"The file could not be read as a table ({detail}). Check that it is a CSV file with one row "
            "per line and the same number of values on every line.")


def _raw_header(body: bytes, sep: str) -> list[str]:
    """The first row exactly as written (before pandas renames duplicates or fills blanks)."""
    try:
        first = _read(body, sep, header=None, nrows=1, dtype=str, keep_default_na=False)
    except (ValueError, csv.Error, OverflowError) as error:
        raise _ParseFailure(_explain_parser_error(str(error), sep)) from None
    return [str(v) for v in first.iloc[0]] if len(first) else []


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _prefer_decimal_comma(df, body, sep, max_rows, options) -> tuple[pd.DataFrame, list[str]]:
    """Re-read with ``decimal=","``; keep it if more columns come out numeric."""
    try:
        comma = _read(body, sep, nrows=max_rows + 1, decimal=",", **options)
    except (ValueError, csv.Error, OverflowError):
        return df, []
    if _count_numeric(comma) > _count_numeric(df):
        return comma, ["Numbers were written with decimal commas (such as 1,5) and were read as 1.5."]
    return df, []


def _count_numeric(df: pd.DataFrame) -> int:
    return sum(pd.api.types.is_numeric_dtype(df[c]) for c in df.columns)


def _header_notices(header: list[str], df: pd.DataFrame, n_dropped_blank: int = 0) -> list[str]:
    notices = []
    seen: dict[str, int] = {}
    for name in header:
        if name.strip():
            seen[name] = seen.get(name, 0) + 1
    for name, count in seen.items():
        if count > 1:
            renamed = [c for c in df.columns if c == name or re.fullmatch(re.escape(name) + r"\.\d+", str(c))]
            notices.append(f"The column name {name!r} appears {count} times; the copies were renamed "
                           f"{', '.join(repr(c) for c in renamed[1:count])}.")
    blank = sum(not name.strip() for name in header) - n_dropped_blank
    if blank:
        notices.append(f"{blank} column{'s have' if blank > 1 else ' has'} no name and "
                       f"{'were' if blank > 1 else 'was'} called \"Unnamed: <position>\".")
    return notices


def _drop_empty_unnamed(df: pd.DataFrame, header: list[str], notices: list[str]) -> tuple[pd.DataFrame, int]:
    """Columns with no name and no values (a separator at the end of every line) are dropped; returns how many."""
    if len(header) != len(df.columns):
        return df, 0
    empty = [col for name, col in zip(header, df.columns) if not name.strip() and df[col].isna().all()]
    if empty and len(empty) < len(df.columns):
        notices.append(f"Ignored {len(empty)} empty column{'s' * (len(empty) > 1)} without a name "
                       "(a separator at the end of each line?).")
        return df.drop(columns=empty), len(empty)
    return df, 0


def _formula_notices(df: pd.DataFrame) -> list[str]:
    """Say so when text cells look like spreadsheet formulas (they stay text; nothing is evaluated)."""
    count = 0
    for col in df.columns:
        if pd.api.types.is_numeric_dtype(df[col]) or pd.api.types.is_bool_dtype(df[col]):
            continue
        count += int(_formula_like(df[col].dropna().astype(str), FORMULA_PREFIXES).sum())
    if not count:
        return []
    return [f"{count:,} cell{'s look' if count > 1 else ' looks'} like a spreadsheet formula (starting with "
            "=, +, - or @). Such cells are kept as plain text and never evaluated."]


def csv_safe(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` ready for ``to_csv``, for a spreadsheet to open: every text cell (and column name) that starts
    with ``=``, ``+``, ``-``, ``@``, a tab or a line break — and is not simply a number such as ``-2`` — gets a
    leading ``'``, so a spreadsheet shows it as text instead of running it (OWASP's advice on CSV injection).
    Carriage returns in text become line feeds: ``to_csv`` quotes a cell holding a line feed, but writes a bare
    carriage return unquoted, where a spreadsheet starts a new row — and the rest of the cell is a fresh,
    unescaped cell. Numeric columns and missing cells are untouched; ``table`` itself is not changed."""
    safe = table.copy()
    for col in safe.columns:
        column = safe[col]
        if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            continue
        safe[col] = _escaped(column.astype(str)).astype(object).where(column.notna(), column)
    names = [name for name in safe.columns if isinstance(name, str)]
    return safe.rename(columns=dict(zip(names, _escaped(pd.Series(names, dtype=object)))))


def _formula_like(text: pd.Series, prefixes: tuple[str, ...]) -> pd.Series:
    """Which texts start with one of ``prefixes`` and are not simply a number (``-2`` is a number; ``=1+1`` and
    ``-cmd`` are not)."""
    return text.str.startswith(prefixes) & pd.to_numeric(text, errors="coerce").isna()


def _escaped(text: pd.Series) -> pd.Series:
    """``text`` with line breaks as line feeds and a ``'`` before anything a spreadsheet would run."""
    text = text.str.replace("\r\n", "\n").str.replace("\r", "\n")
    return ("'" + text).where(_formula_like(text, _SPREADSHEET_TRIGGERS), text)


def _check_shape(df: pd.DataFrame, max_rows: int, min_columns: int) -> None:
    if len(df) > max_rows:
        raise UploadError(f"The file has more than {max_rows:,} rows; the limit is {max_rows:,}. "
                          "Upload a random sample of the rows instead.")
    if len(df) == 0:
        names = ", ".join(str(c) for c in df.columns[:5]) + (", ..." if len(df.columns) > 5 else "")
        raise UploadError(f"The file has a header row ({names}) but no rows of values. "
                          "Add the data below the header.")
    if len(df.columns) < min_columns:
        raise UploadError(f"Only one column was found (header {str(df.columns[0])[:60]!r}); at least "
                          f"{min_columns} are needed. Separate the values on each line with commas, "
                          "semicolons or tabs.")


# --- numbers for core ----------------------------------------------------------------------------------

def numeric_table(df: pd.DataFrame, columns=None, label_column=None, *, max_labels: int = 20,
                  min_rows: int = 5, min_columns: int = 2, with_rows: bool = False):
    """The numeric part of ``df`` as arrays: ``(X, labels, label_names, feature_names, notices)``, and with
    ``with_rows`` a sixth item: the positions in ``df`` of the rows kept (int64), to find a row's cells again.

    * ``columns``: the feature columns; None means every column (but the label column) in which most
      filled cells are numbers. Cells that are not numbers become missing.
    * Rows with a missing or infinite value in a feature are dropped, and the count is reported.
    * ``label_column`` (any column, numeric or text) gives ``labels`` int64 codes into ``label_names``;
      missing labels are called "(missing)". More than ``max_labels`` distinct values: the
      ``max_labels`` most common keep their names and the rest become "other". Without it both are None.

    ``X`` is float64 (n, d). Raises :class:`UploadError` when fewer than ``min_columns`` numeric columns
    or ``min_rows`` complete rows remain, or a named column does not exist.
    """
    notices: list[str] = []
    if label_column is not None and label_column not in df.columns:
        raise UploadError(f"There is no column {label_column!r} to colour by; choose one of {_list(df.columns)}.")
    features = _feature_columns(df, columns, label_column, notices)
    if len(features) < min_columns:
        raise UploadError(_too_few_columns(df, features, label_column, min_columns))
    X = np.empty((len(df), len(features)))  # filled column by column: no second copy of the table
    for j, c in enumerate(features):
        X[:, j] = _coerce(df[c], c, notices).to_numpy(dtype=np.float64)
    complete = np.isfinite(X).all(axis=1)
    n_dropped = int((~complete).sum())
    if n_dropped:
        notices.append(f"Dropped {n_dropped:,} row{'s' * (n_dropped > 1)} with missing or infinite values "
                       f"(of {len(X):,}).")
    n_complete = int(complete.sum())
    if n_complete < min_rows:
        remain = "1 complete row remains" if n_complete == 1 else f"{n_complete} complete rows remain"
        raise UploadError(f"Only {remain} after dropping rows with missing, non-numeric or infinite values; "
                          f"at least {min_rows} are needed. Fill in the gaps or choose other columns.")
    if n_dropped:
        X = X[complete]
    notices += _constant_notices(X, features)
    labels = label_names = None
    if label_column is not None:
        labels, label_names = _labels(df[label_column].iloc[complete], label_column, max_labels, notices)
    table = (X, labels, label_names, [str(c) for c in features], notices)
    return (*table, np.flatnonzero(complete)) if with_rows else table


def _list(names, limit: int = 8) -> str:
    names = [repr(str(n)) for n in names]
    return ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _feature_columns(df, columns, label_column, notices) -> list:
    if columns is not None:
        columns = list(columns)
        unknown = [c for c in columns if c not in df.columns]
        if unknown:
            raise UploadError(f"No column called {_list(unknown)}; choose from {_list(df.columns)}.")
        return [c for c in dict.fromkeys(columns) if c != label_column]
    candidates = [c for c in df.columns if c != label_column]
    empty = [c for c in candidates if _is_empty(df[c])]  # an empty column would drop every row
    numeric = [c for c in candidates if c not in empty and _mostly_numeric(df[c])]
    text = [c for c in candidates if c not in numeric and c not in empty]
    if empty and len(empty) < len(candidates):
        notices.append(f"Left out {len(empty)} empty column{'s' * (len(empty) > 1)}: {_list(empty)}.")
    if text and numeric:
        notices.append(f"Left out {len(text)} text column{'s' * (len(text) > 1)}: {_list(text)}.")
    return numeric


def _is_empty(column: pd.Series) -> bool:
    """No cell filled (missing, or only spaces)."""
    if column.isna().all():
        return True
    return not pd.api.types.is_numeric_dtype(column) and (column.dropna().astype(str).str.strip() == "").all()


def _mostly_numeric(column: pd.Series) -> bool:
    """True if more than half of the filled cells are numbers (bools count as 0/1)."""
    if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        return True
    filled = column.dropna().astype(str).str.strip()
    filled = filled[filled != ""]
    return len(filled) > 0 and pd.to_numeric(filled, errors="coerce").notna().mean() > 0.5


def _coerce(column: pd.Series, name, notices: list[str]) -> pd.Series:
    """``pd.to_numeric(errors="coerce")``, noting how many filled cells were not numbers."""
    if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
        return column.astype(float)
    numbers = pd.to_numeric(column, errors="coerce")
    bad = column.notna() & numbers.isna() & (column.astype(str).str.strip() != "")
    if bad.any():
        example = str(column[bad].iloc[0])[:30]
        notices.append(f"Column {str(name)!r}: {int(bad.sum()):,} cell{'s are' if bad.sum() > 1 else ' is'} "
                       f"not a number (such as {example!r}) and counted as missing.")
    return numbers.astype(float)


def _too_few_columns(df, features, label_column, min_columns) -> str:
    found = f"{len(features)} numeric column{'s' * (len(features) != 1)}"
    if features:
        found += f" ({_list(features)})"
    others = [c for c in df.columns if c not in features and c != label_column]
    text = f" The other columns hold text: {_list(others)}." if others else ""
    return (f"Found {found}; at least {min_columns} are needed.{text} Upload a table with more numeric "
            "columns, or check the separator and decimal mark.")


def _constant_notices(X: np.ndarray, features) -> list[str]:
    constant = [str(f) for f, spread in zip(features, np.ptp(X, axis=0)) if spread == 0]
    if not constant:
        return []
    return [f"{_list(constant)} {'is' if len(constant) == 1 else 'are'} constant: "
            f"{'it adds' if len(constant) == 1 else 'they add'} nothing to distances or variance."]


def _labels(column: pd.Series, name, max_labels: int, notices: list[str]) -> tuple[np.ndarray, list[str]]:
    """Integer codes and names for a column of class labels (see :func:`numeric_table`)."""
    keys = column.map(_label_text).fillna("(missing)").astype(str)
    counts = keys.value_counts(sort=True)
    if len(counts) > max_labels:
        keep = set(counts.index[:max_labels])
        keys = keys.where(keys.isin(keep), "other")
        notices.append(f"{str(name)!r} has {len(counts):,} different values; colours show the {max_labels} "
                       "most common and the rest as \"other\".")
    names = sorted(set(keys), key=_label_order)
    codes = pd.Categorical(keys, categories=names).codes.astype(np.int64)
    return codes, names


def _label_text(value):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _label_order(name: str):
    """Numbers by value, then text alphabetically, then "(missing)" and "other"."""
    if name in ("(missing)", "other"):
        return (2, name == "other", 0.0, name)
    try:
        return (0, False, float(name), name)
    except ValueError:
        return (1, False, 0.0, name.lower())


#: Column names that say "this is the class", as whole names or as words in one ("iris_species", "Class label").
LABEL_WORDS = ("label", "labels", "class", "classes", "target", "species", "category", "categories", "kind",
               "group", "cluster", "type")
#: ... and names that say so only as the whole name ("y" inside "pos_y" is a coordinate).
LABEL_NAMES = ("y",)


def guess_label_column(df: pd.DataFrame, *, max_labels: int = 20):
    """The column that most likely holds each row's class, to colour by; None if none looks like one.

    A candidate holds labels, not measurements: text (or true/false), or whole numbers with at most
    ``max_labels`` distinct values. Among candidates, the first whose name is a label name wins: the whole
    name (``species``, ``y``, ``Class``) before a word in it (``iris_species``), in :data:`LABEL_WORDS` order.
    Failing that, a lone text column with 2 to ``max_labels`` distinct values, some repeated (text cannot be
    embedded anyway; a column of all-different values names rows, not classes).
    """
    candidates = [c for c in df.columns if _label_like(df[c], max_labels)]
    ranked = []
    for position, column in enumerate(candidates):
        name = str(column).strip().lower()
        words = re.findall(r"[a-z]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", str(column)).lower())
        if name in LABEL_WORDS + LABEL_NAMES:
            ranked.append((0, (LABEL_WORDS + LABEL_NAMES).index(name), position, column))
        elif any(w in LABEL_WORDS for w in words):
            ranked.append((1, min(LABEL_WORDS.index(w) for w in words if w in LABEL_WORDS), position, column))
    if ranked:
        return min(ranked, key=lambda r: r[:3])[3]
    text = [c for c in candidates if not _mostly_numeric(df[c])]
    if len(text) != 1:
        return None
    distinct = df[text[0]].nunique()
    return text[0] if 2 <= distinct <= max_labels and distinct < df[text[0]].count() else None


def _label_like(column: pd.Series, max_labels: int) -> bool:
    """Text, true/false, or few distinct whole numbers: values that name classes rather than measure."""
    filled = column.dropna()
    if filled.empty or pd.api.types.is_bool_dtype(column):
        return not filled.empty
    if not _mostly_numeric(column):
        return True
    numbers = pd.to_numeric(filled, errors="coerce").dropna()
    whole = np.isfinite(numbers).all() and bool((numbers == np.round(numbers)).all())
    return whole and numbers.nunique() <= max_labels


# --- Streamlit -----------------------------------------------------------------------------------------

def upload_widget(key: str, help: str | None = None, *, label: str = "Upload a CSV file",
                  **limits) -> pd.DataFrame | None:
    """A file uploader for .csv/.txt/.tsv; returns the parsed DataFrame, or None (no file, or it is unusable).

    An :class:`UploadError` is shown with ``ui.errors.explain`` and the reading notices with ``st.info``.
    ``limits`` go to :func:`read_csv` (``max_rows=...``). Parsing is cached on the file's bytes.
    """
    import streamlit as st

    from ui.errors import explain

    file = st.file_uploader(label, type=["csv", "txt", "tsv"], key=key, help=help)
    if file is None:
        return None
    try:
        df = _cached_read_csv()(file.getvalue(), **limits)
    except UploadError as error:
        explain(error)
        return None
    for notice in upload_notices(df):
        st.info(notice, icon="ℹ️")
    return df


_CACHED = None


def _cached_read_csv():
    """``read_csv`` behind ``st.cache_data`` (made on first use, so importing this module needs no Streamlit)."""
    global _CACHED
    if _CACHED is None:
        import streamlit as st

        _CACHED = st.cache_data(max_entries=4, show_spinner="Reading the file ...")(read_csv)
    return _CACHED
