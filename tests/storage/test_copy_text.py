"""``copy_text``: the COPY text an import's child formats loads what psycopg's own rows load.

The catalogue holds each character COPY treats as its own (tab, newline,
carriage return, backslash, the ``\\N`` and ``\\.`` markers) and each kind of
value a staging row holds, on a real PostGIS.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine

from service.storage.staged_rows import copy_text

pytestmark = pytest.mark.postgis

COLUMNS = "t text, u text, b boolean, i integer, f double precision, x bytea"
CATALOGUE: list[tuple[Any, ...]] = [
    ("plain", None, False, 0, 0.0, b""),
    ("tab\there", "new\nline", True, -7, 0.1, b"\x00\x01\xff"),
    ("back\\slash \\N", "\\N", None, 2**31 - 1, -0.0, None),
    ("cr\r\nlf\r", "", False, None, 1e-300, b"\\"),
    ("ünïcødé 東京 🚀", "quote\"' ,;", True, 17, 123456789.123456789, b"\t\n\r"),
    (None, "\\.", None, None, float("inf"), None),
    ("\\.", "trailing backslash\\", True, -(2**31), -1.7976931348623157e308, b"\\N"),
]


@pytest.fixture
def raw(postgis_url: str) -> Iterator[Any]:
    engine = create_engine(postgis_url)
    conn = engine.raw_connection()
    try:
        yield conn.driver_connection
    finally:
        conn.close()
        engine.dispose()


def _loaded(raw: Any, table: str, rows: list[tuple[Any, ...]], *, as_text: bool) -> list[Any]:
    raw.execute(f"CREATE TEMPORARY TABLE {table} (n serial, {COLUMNS})")
    with raw.cursor() as cur, cur.copy(f"COPY {table} (t, u, b, i, f, x) FROM STDIN") as cp:
        if as_text:
            cp.write(copy_text(rows))
        else:
            for row in rows:
                cp.write_row(row)
    return [r[1:] for r in raw.execute(f"SELECT * FROM {table} ORDER BY n").fetchall()]


def test_copy_text_loads_what_psycopg_loads_and_what_was_given(raw: Any) -> None:
    ours = _loaded(raw, "by_text", CATALOGUE, as_text=True)
    theirs = _loaded(raw, "by_rows", CATALOGUE, as_text=False)
    assert ours == theirs == CATALOGUE
    raw.rollback()


def test_a_row_ends_with_the_only_newline_it_holds() -> None:
    """The import counts a batch's rows by its newlines."""
    assert copy_text(CATALOGUE).count(b"\n") == len(CATALOGUE)
