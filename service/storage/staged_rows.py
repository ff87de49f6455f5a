"""Rows for an import's staging table, built from accounts or straight from CSV columns.

A staging row is plain values in :data:`STAGED` order, JSON as the text
SQLAlchemy's JSON type would write and the point as WKB, so the set-based
upsert of :mod:`service.storage.account_bulk` copies them as they are.
:func:`staged_row` builds one from an :class:`~geo.model.Account`;
:func:`staged_columns` builds a whole batch of clean CSV rows
(:class:`geo.row_columns.CleanRows` columns) without an object per row.
Both write the same bytes for the same account.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence
from typing import Any

import numpy as np

from geo.assign.assignment import LocateResult
from geo.model import Account, Assignment, GeocodeResult
from service.storage.account_rows import ACCOUNT_FIELDS, geocode_json

ASSIGNED = ("territory_id", "rep_id", "assignment", "candidates")
# Every stored column an import sets, in staging order (``location`` is derived).
COLUMNS = ("id", *ACCOUNT_FIELDS, "lon", "lat", "products", "geocode", *ASSIGNED)
# Staged too: the point's WKB, computed before the lock (shapely's layout, see _wkb).
STAGED = (*COLUMNS, "wkb")


def staged_row(account: Account, assignment: Assignment) -> tuple[Any, ...]:
    """One staging row: plain values, JSON as text (as SQLAlchemy's JSON type writes it).

    Built field by field, in :data:`STAGED` order: it runs once per imported row.
    """
    a = account
    lon, lat = a.location if a.location is not None else (None, None)
    return (
        a.id, a.name, a.address, a.postal_code, a.city, a.region, a.country, a.industry,
        a.annual_revenue, a.cost_to_serve, a.stage, a.visits_per_month, a.visit_minutes,
        bool(a.remote), a.owner_rep_id, lon, lat, _json_strings(a.products),
        _geocode_text(a.geocode), assignment.territory_id, assignment.rep_id,
        assignment.assignment, _json_ints(assignment.candidates), _wkb(lon, lat),
    )  # fmt: skip


def staged_columns(
    columns: dict[str, list[Any]], answers: Sequence[LocateResult]
) -> list[tuple[Any, ...]]:
    """The staging rows of clean, located CSV rows given as columns, with their answers.

    ``columns`` holds every :data:`~geo.rows.ACCOUNT_COLUMNS` name, one value
    per row as :class:`~geo.row_columns.CleanRows` has them (lon/lat floats,
    geocode precision ``given``). Equal, row for row, to :func:`staged_row` of
    ``CleanRows.accounts()`` and their assignments; built a column at a time.
    """
    c = columns
    lon, lat = c["lon"], c["lat"]
    assigned = _assigned_all(answers)
    return list(
        zip(
            c["id"], c["name"], c["address"], c["postal_code"], c["city"], c["region"],
            c["country"], c["industry"], c["annual_revenue"], c["cost_to_serve"], c["stage"],
            c["visits_per_month"], c["visit_minutes"], [bool(r) for r in c["remote"]],
            c["owner_rep_id"], lon, lat, [_json_strings(p) for p in c["products"]],
            [_given_text(x, y) for x, y in zip(lon, lat, strict=True)],
            *zip(*assigned, strict=True), _points_wkb(lon, lat),
            strict=True,
        )
    )  # fmt: skip


def _assigned_all(answers: Sequence[LocateResult]) -> list[tuple[Any, ...]]:
    """:func:`_assigned` of every answer; most are shared objects, so each is built once."""
    memo: dict[int, tuple[Any, ...]] = {}
    out = []
    for r in answers:
        found = memo.get(id(r))
        if found is None:
            found = memo[id(r)] = _assigned(r)
        out.append(found)
    return out


def _assigned(r: LocateResult) -> tuple[int | None, int | None, str, str]:
    """(territory_id, rep_id, assignment, candidates JSON) of one answer."""
    rep = r.rep_ids[0] if r.rep_ids else None
    return r.territory_id, rep, r.assignment, _json_ints(r.candidates) if r.candidates else "[]"


def _json_strings(items: tuple[str, ...]) -> str:
    return json.dumps(list(items)) if items else "[]"


def _json_ints(items: tuple[int, ...]) -> str:
    """``json.dumps`` of a list of ints, without its machinery.

    >>> _json_ints((3, 12)) == json.dumps([3, 12]) and _json_ints(()) == "[]"
    True
    """
    return "[" + ", ".join(map(str, items)) + "]"


def _geocode_text(g: GeocodeResult | None) -> str:
    """``json.dumps(geocode_json(g))``, spelled out for the common given lon/lat.

    >>> g = GeocodeResult((-83.25, 40.1), "ok", "given", "input")
    >>> _geocode_text(g) == json.dumps(geocode_json(g))
    True
    """
    if g is None or (g.status, g.precision, g.source, g.note) != ("ok", "given", "input", None):
        return json.dumps(geocode_json(g))
    lon, lat = g.location or (None, None)
    if not (type(lon) is float and type(lat) is float):
        return json.dumps(geocode_json(g))
    return _given_text(lon, lat)


def _given_text(lon: float, lat: float) -> str:
    """The geocode JSON of a lon/lat given in the file (both floats)."""
    return (
        f'{{"location": [{lon!r}, {lat!r}], "status": "ok", '
        '"precision": "given", "source": "input", "note": null}'
    )


def _wkb(lon: float | None, lat: float | None) -> bytes | None:
    """A 2D point as little-endian WKB, byte for byte what ``shapely.to_wkb`` writes.

    Hand-written: a million shapely Points cost seconds, this costs a pack.

    >>> import shapely
    >>> _wkb(1.5, -2.0) == shapely.to_wkb(shapely.Point(1.5, -2.0))
    True
    """
    if lon is None or lat is None:
        return None
    return _POINT_HEADER + struct.pack("<dd", lon, lat)


def _points_wkb(lon: list[float], lat: list[float]) -> list[bytes]:
    """:func:`_wkb` of every (lon, lat) pair: one buffer of little-endian doubles, cut.

    >>> _points_wkb([1.5, 0.0], [-2.0, 3.0]) == [_wkb(1.5, -2.0), _wkb(0.0, 3.0)]
    True
    """
    raw = np.column_stack([lon, lat]).astype("<f8").tobytes()
    return [_POINT_HEADER + raw[i : i + 16] for i in range(0, len(raw), 16)]


_POINT_HEADER = b"\x01\x01\x00\x00\x00"  # little-endian, type 1 (Point)


def copy_text(rows: Sequence[tuple[Any, ...]]) -> bytes:
    """``rows`` as PostgreSQL's ``COPY ... FROM STDIN`` text format (UTF-8).

    Hand-written: psycopg formats COPY data only for a cursor of a live
    connection, and the rows are formatted in the import's child process
    (service.usecases.import_child), which must not touch the server's
    connections. The values are those of a staging row: ``None``, ``str``,
    ``bool``, ``int``, ``float`` and ``bytes`` (bytea, as hex).

    >>> copy_text([("a\\tb", None, True, 2, 0.5, b"\\x01")])
    b'a\\\\tb\\t\\\\N\\tt\\t2\\t0.5\\t\\\\\\\\x01\\n'
    """
    return "".join(["\t".join([_copy_field(v) for v in row]) + "\n" for row in rows]).encode()


def _copy_field(value: Any) -> str:
    if value is None:
        return "\\N"
    kind = type(value)
    if kind is str:
        text: str = value
        return text.translate(_COPY_ESCAPES)
    if kind is bool:
        return "t" if value else "f"
    if kind is bytes:
        data: bytes = value
        return "\\\\x" + data.hex()  # bytea's hex input, its backslash escaped for COPY
    return str(value)  # int and float (str: a numpy scalar's repr names its type)


# Backslash, newline, carriage return and tab are COPY's own characters.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})
