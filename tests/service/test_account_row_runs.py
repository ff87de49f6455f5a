"""The column-at-a-time CSV reader agrees, row for row and issue for issue, with the row reader."""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.row_columns import CleanRows
from service.storage.account_bulk import STAGED, staged_row
from service.storage.account_rows import ACCOUNT_FIELDS, geocode_json
from service.usecases.account_rows import ParsedRow, csv_row_runs, csv_rows

DATA = Path(__file__).parent.parent / "data"
HEADER = "id,name,lon,lat,postal_code,annual_revenue,stage,products,remote,owner_rep_id"
GOOD = "A{i},Shop {i},-83.{i},40.{i},,1200.5,customer,,no,"


def expanded(items: Iterable[ParsedRow | CleanRows]) -> list[ParsedRow]:
    out: list[ParsedRow] = []
    for item in items:
        if isinstance(item, CleanRows):
            out += [(f"/rows/{n}", fields, []) for n, fields in item.fields()]
        else:
            out.append(item)
    return out


def both(body: bytes, batch_rows: int = 3) -> tuple[list[ParsedRow], list[ParsedRow]]:
    runs = expanded(csv_row_runs(io.BytesIO(body), batch_rows=batch_rows))
    return runs, list(csv_rows(io.BytesIO(body)))


def csv_body(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join((header, *rows)) + "\n").encode()


CATALOGUE = {
    "all good": csv_body(*(GOOD.format(i=i) for i in range(1, 8))),
    "the test file": (DATA / "rows_accounts.csv").read_bytes(),
    "bad number, unit, comma, nan, inf, huge": csv_body(
        GOOD.format(i=1),
        "A2,x,-83,40,,12k,lead,,,",
        'A3,x,-83,40,,"65,000",lead,,,',
        "A4,x,nan,40,,1,lead,,,",
        "A5,x,-83,inf,,1,lead,,,",
        "A6,x,-83,1e999,,1,lead,,,",
        "A7,x,-83,40,,-5,lead,,,",
        "A8,x, -83 ,+40.0,, 7 ,lead,,,",
        "A9,x,-83,40,,1_000,lead,,,",
        GOOD.format(i=10),
    ),
    "lon/lat problems": csv_body(
        "B1,x,0,0,,,,,,",
        "B2,x,37.7,-122.4,,,,,,",
        "B3,x,-200,40,,,,,,",
        "B4,x,-83,,,,,,,",
        "B5,x,,,43215,,,,,",
        "B6,x,,,,,,,,",
        GOOD.format(i=7),
        "B8,x,180,90,,,,,,",
        "B9,x,-180.0,-90.0,,,,,,",
    ),
    "text, stage, booleans, reps, products": csv_body(
        "C1," + "n" * 501 + ",-83,40,,,,,,",
        "C2,x,-83,40,,,Customer ,,,",
        "C3,x,-83,40,,,won,,,",
        "C4,x,-83,40,,,,a; b ;a,yes,12",
        "C5,x,-83,40,,,,,maybe,",
        "C6,x,-83,40,,,,,,0",
        "C7,x,-83,40,,,,,,x",
        "  ,x,-83,40,,,,,,",
        "C9, ,-83,40,,,,,,",
        "C\u00a010,\u2003name\u2003,-83,40,,,,,,",
    ),
    "short, long and blank rows": csv_body(
        GOOD.format(i=1), "D2,x,-83,40", "", "D4,x,-83,40,,,,,,,extra", "D5,x,-83,40,,,,,,,", ""
    ),
    "duplicates within and across batches": csv_body(
        *(GOOD.format(i=i) for i in (1, 2, 3, 4, 2, 5, 6, 1, 7))
    ),
    "duplicate of a bad row": csv_body("E1,x,-83,40,,oops,,,,", "E1,x,-83,40,,,,,,"),
    "duplicate of a row with a warning": csv_body(
        "W1,x,0,0,,,,,,", GOOD.format(i=2), "W1,x,-83,40,,,,,,", "A2,y,-83,40,,,,,,"
    ),
    "bad bytes mid-file": csv_body(GOOD.format(i=1), GOOD.format(i=2), GOOD.format(i=3))
    + b"E4,\xff\xfe,-83,40,,,,,,\n"
    + csv_body(GOOD.format(i=5), header=GOOD.format(i=6)),
    "malformed csv mid-file": csv_body(GOOD.format(i=1), 'F2,"a"b,-83,40,,,,,,', GOOD.format(i=3)),
    "field too long": csv_body(GOOD.format(i=1), 'G2,"' + "x" * 140_000 + '",-83,40,,,,,,'),
    "NUL": csv_body(GOOD.format(i=1), "H2,a\x00b,-83,40,,,,,,"),
    "unknown column and odd header": csv_body(
        "I1,-83,40,blue", "I2,-83,40,", header="\ufeffID, Lon ,LAT,colour"
    ),
    "no location columns": csv_body("J1,Acme", header="id,name"),
    "empty": b"",
    "header only": b"id,lon,lat\n",
    "header without id": csv_body("x,1", header="name,lon"),
    "duplicate header": csv_body("K1,a,b", header="id,city,City"),
}


@pytest.mark.parametrize("name", list(CATALOGUE))
@pytest.mark.parametrize("batch_rows", [1, 3, 2_000])
def test_runs_expand_to_exactly_the_rows_and_issues_of_the_row_reader(
    name: str, batch_rows: int
) -> None:
    runs, rows = both(CATALOGUE[name], batch_rows)
    assert runs == rows


def test_clean_rows_come_as_runs_and_the_rest_one_by_one() -> None:
    body = CATALOGUE["bad number, unit, comma, nan, inf, huge"]
    items = list(csv_row_runs(io.BytesIO(body), batch_rows=2_000))
    kinds = [(i.first, len(i)) if isinstance(i, CleanRows) else i[0] for i in items]
    assert kinds == [
        (1, 1),
        *(f"/rows/{n}" for n in range(2, 8)),
        (8, 1),  # blanks around numbers are fine, the row is clean after all
        "/rows/9",
        (10, 1),
    ]


def test_accounts_of_a_run_are_the_row_readers_accounts_placed_as_given() -> None:
    from geo.geocode.geocoder import Geocoder

    body = CATALOGUE["all good"]
    (run,) = list(csv_row_runs(io.BytesIO(body)))
    assert isinstance(run, CleanRows)
    geocoder = Geocoder()
    expected = [
        f.to_account(geocoder.geocode_account(lon=f.lon, lat=f.lat, postal_code=None, city=None,
                                              region=None, country=None))
        for _, f, _ in csv_rows(io.BytesIO(body))
        if f is not None
    ]  # fmt: skip
    assert run.accounts() == expected


CELL = st.sampled_from(
    ["", " ", "A1", "A2", "x", "-83", "40", "-83.5", " 40 ", "0", "1e3", "-1", "nan", "12k",
     "1,5", "lead", "Customer", "yes", "7", "a;b", "n" * 501, '"', "\u00a0", "91", "181"]
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(CELL, min_size=8, max_size=11), max_size=12), st.integers(1, 5))
def test_any_rows_read_the_same_both_ways(rows: list[list[str]], batch_rows: int) -> None:
    header = "id,name,lon,lat,annual_revenue,stage,remote,owner_rep_id,products,visit_minutes"
    lines = [",".join('"' + c.replace('"', '""') + '"' for c in row) for row in rows]
    runs, plain = both(csv_body(*lines, header=header), batch_rows)
    assert runs == plain


def reference_staged_row(account: object, assignment: object) -> tuple[object, ...]:
    """The staging row as written before it was spelled out field by field."""
    import json

    import shapely

    a, s = account, assignment
    lon, lat = a.location if a.location is not None else (None, None)  # type: ignore[attr-defined]
    values = {name: getattr(a, name) for name in ACCOUNT_FIELDS}
    values.update(
        id=a.id, lon=lon, lat=lat, products=json.dumps(list(a.products)),  # type: ignore[attr-defined]
        geocode=json.dumps(geocode_json(a.geocode)), territory_id=s.territory_id,  # type: ignore[attr-defined]
        rep_id=s.rep_id, assignment=s.assignment, candidates=json.dumps(list(s.candidates)),  # type: ignore[attr-defined]
        remote=bool(a.remote),  # type: ignore[attr-defined]
        wkb=None if lon is None else shapely.to_wkb(shapely.Point(lon, lat)),
    )  # fmt: skip
    return tuple(values[c] for c in STAGED)


def test_staged_rows_are_byte_for_byte_the_reference() -> None:
    from geo.model import Account, Assignment, GeocodeResult

    accounts = [
        Account("a", location=(-83.1, 40.0), geocode=GeocodeResult((-83.1, 40.0), "ok", "given", "input")),
        Account("b", products=("x", "ü"), geocode=GeocodeResult(None, "not_found", "none", "zip", "n\"o")),
        Account("c", location=(1.0, 2.5), geocode=GeocodeResult((1.0, 2.5), "ok", "postal_code", "zip")),
        Account("d", name="D", remote=True, owner_rep_id=3, annual_revenue=1e21),
    ]  # fmt: skip
    assignments = [
        Assignment("a", 1, 2, "geometry"),
        Assignment("b", None, None, "unassigned:no-location"),
        Assignment("c", 4, None, "conflict", (4, 12, 7)),
        Assignment("d", None, 3, "override"),
    ]
    for a, s in zip(accounts, assignments, strict=True):
        assert staged_row(a, s) == reference_staged_row(a, s)


@pytest.mark.parametrize("max_rows", [4, 1_000])
def test_an_import_reports_the_same_issues_read_either_way(client: Any, max_rows: int) -> None:
    from service.usecases.account_import import import_rows

    app = client.app.state
    for name, body in CATALOGUE.items():
        reports = [
            import_rows(
                app.store,
                app.index_cache,
                app.geocoder,
                read(io.BytesIO(body)),
                atomic=True,
                actor="test",
                max_rows=max_rows,
            )  # fmt: skip
            for read in (csv_rows, csv_row_runs)
        ]
        slow, quick = ((r.rows, r.failed_rows, r.issues, r.warnings) for r in reports)
        assert quick == slow, name


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_staged_columns_are_the_staged_rows_of_the_runs_accounts(name: str) -> None:
    """A batch of runs staged a column at a time writes what its accounts staged one by one would.

    Against territories that make every kind of answer: a rule, an override,
    an overlap (conflict), a shared edge and outside all.
    """
    import shapely

    from geo.assign.assignment import assign_accounts
    from geo.assign.index import TerritoryIndex
    from geo.model import Rules, Territory
    from service.usecases.import_take import Batch

    index = TerritoryIndex.build(
        [
            Territory(1, "west", shapely.box(-84, 39, -83.3, 41), rep_ids=(5,)),
            Territory(2, "east", shapely.box(-83.3, 39, -82, 41), rep_ids=(6, 7)),
            Territory(3, "over", shapely.box(-83.5, 40.2, -83.1, 40.6), rep_ids=(8,)),
            Territory(4, "rich", shapely.box(-83.2, 39, -82.9, 40.2), rules=Rules(min_revenue=1e4)),
        ]
    )
    runs = [r for r in csv_row_runs(io.BytesIO(CATALOGUE[name])) if isinstance(r, CleanRows)]
    accounts = [a for r in runs for a in r.accounts()]
    expected = [
        staged_row(a, s) for a, s in zip(accounts, assign_accounts(accounts, index), strict=True)
    ]
    assert Batch(runs=runs, size=len(accounts)).staged_rows(index) == expected
