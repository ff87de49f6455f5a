"""Account upload parsers: CSV and GeoJSON streams into typed rows with their issues."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from typing import IO, Any

from geo.errors import WARNING_CODES, Issue
from geo.row_columns import CleanRows, clean_rows
from geo.rows import (
    ACCOUNT_COLUMNS,
    RowFields,
    check_header,
    parse_account_feature,
    parse_account_row,
)
from service.settings import Settings
from service.web.csv_limits import CSVLimitError, bounded_lines, bounded_reader
from service.web.gisfiles import GIS_MEDIA_TYPES, GisTable, read_gis_upload
from service.web.http import InvalidJSONError, json_issue, parse_json

# (pointer of the row, e.g. "/rows/12" or "/features/3"; its fields or None; its issues)
ParsedRow = tuple[str, RowFields | None, list[Issue]]


def csv_rows(stream: IO[bytes]) -> Iterator[ParsedRow]:
    """Parse a CSV byte stream into typed rows; row numbers count data rows from 1.

    The header is row 0. A byte sequence that is not UTF-8 stops the import
    with the row where it was found, since every later row is suspect too.
    """
    reader, head = _open_csv(stream)
    yield from head
    if reader is not None:
        yield from _data_rows(reader)


def csv_row_runs(stream: IO[bytes], *, batch_rows: int = 2_000) -> Iterator[ParsedRow | CleanRows]:
    """:func:`csv_rows` with runs of clean rows parsed a column at a time.

    Yields, in file order, :class:`~geo.row_columns.CleanRows` for runs of
    clean located rows and a :data:`ParsedRow` for every other row; expanding
    each run with ``CleanRows.fields`` gives exactly what :func:`csv_rows` yields.
    """
    reader, head = _open_csv(stream)
    yield from head
    if reader is None:
        return
    header = list(reader.fieldnames or ())
    number, batch = 0, list[list[str]]()
    problem: ParsedRow | None = None
    while problem is None:
        try:
            row = next(reader.reader)
        except StopIteration:
            break
        except (_EncodingProblem, csv.Error) as exc:
            problem = _stopped(number + len(batch) + 1, exc)
            break
        if row:  # csv.DictReader skips blank lines without counting them
            batch.append(row)
        if len(batch) >= batch_rows:
            yield from _batch(header, batch, number + 1)
            number, batch = number + len(batch), []
    yield from _batch(header, batch, number + 1)
    if problem is not None:
        yield problem


def _batch(header: list[str], rows: list[list[str]], first: int) -> Iterator[ParsedRow | CleanRows]:
    for item in clean_rows(header, rows, first=first) if rows else ():
        if isinstance(item, CleanRows):
            yield item
        else:
            number = first + item
            yield (
                f"/rows/{number}",
                *parse_account_row(_as_dict(header, rows[item]), row_number=number),
            )


def _as_dict(header: list[str], row: list[str]) -> dict[Any, Any]:
    """The dict ``csv.DictReader`` makes of ``row`` (extra values under ``None``)."""
    values: dict[Any, Any] = dict(zip(header, row, strict=False))
    if len(row) > len(header):
        values[None] = row[len(header) :]
    for key in header[len(row) :]:
        values[key] = None
    return values


def _open_csv(stream: IO[bytes]) -> tuple[csv.DictReader[str] | None, list[ParsedRow]]:
    """The reader past a usable header (or ``None``), and what the header drew."""
    # Linear-time lines with a size bound, fields bounded by the csv module:
    # a hostile 14 MB field is refused at once (service.web.csv_limits).
    reader = bounded_reader(_lines_checked(stream))
    try:
        header = reader.fieldnames
    except _EncodingProblem as exc:
        return None, [("/rows/0", None, [Issue("/rows/0", exc.reason, code=exc.code)])]
    if not header:
        empty = Issue("/rows/0", "the file is empty: no header row", code="empty-file")
        return None, [("/rows/0", None, [empty])]
    header_issues = check_header(list(header))
    head: list[ParsedRow] = [("/rows/0", None, header_issues)] if header_issues else []
    if any(i.code not in WARNING_CODES for i in header_issues):
        return None, head
    return reader, head


def _stopped(number: int, exc: Exception) -> ParsedRow:
    """The row where reading stopped: bad bytes, an overlong line, malformed CSV."""
    pointer = f"/rows/{number}"
    if isinstance(exc, _EncodingProblem):
        return pointer, None, [Issue(pointer, exc.reason, code=exc.code)]
    return pointer, None, [Issue(pointer, f"malformed CSV: {exc}", code="bad-csv")]


def _data_rows(reader: csv.DictReader[str]) -> Iterator[ParsedRow]:
    number = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except (_EncodingProblem, csv.Error) as exc:
            yield _stopped(number + 1, exc)
            return
        number += 1
        yield (f"/rows/{number}", *parse_account_row(row, row_number=number))


class _EncodingProblem(Exception):
    def __init__(self, reason: str, code: str = "bad-encoding") -> None:
        super().__init__(reason)
        self.reason, self.code = reason, code


def _lines_checked(stream: IO[bytes]) -> Iterator[str]:
    lines = bounded_lines(stream)
    line_no = 0
    while True:
        try:
            line = next(lines)
        except StopIteration:
            return
        except UnicodeDecodeError as exc:
            raise _EncodingProblem(
                f"the file is not UTF-8 (bad byte near line {line_no + 1}, {exc.reason}); "
                "save it as UTF-8 and try again"
            ) from exc
        except CSVLimitError as exc:
            raise _EncodingProblem(str(exc), code="line-too-long") from exc
        line_no += 1
        yield line


def geojson_rows(payload: bytes) -> Iterator[ParsedRow]:
    """Parse a GeoJSON FeatureCollection of Point Features; pointers ``/features/<i>``."""
    try:
        doc = parse_json(payload)
    except InvalidJSONError as exc:
        yield "/", None, [json_issue(exc)]
        return
    except UnicodeDecodeError:
        yield "/", None, [Issue("/", "the file is not UTF-8", code="bad-encoding")]
        return
    except ValueError as exc:
        yield "/", None, [Issue("/", f"not valid JSON: {str(exc).split(':')[0]}", code="bad-json")]
        return
    try:
        json.dumps(doc, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        yield (
            "/",
            None,
            [Issue("/", "the file contains a lone UTF-16 surrogate escape", code="bad-encoding")],
        )
        return
    if (
        not isinstance(doc, dict)
        or doc.get("type") != "FeatureCollection"
        or not isinstance(doc.get("features"), list)
    ):
        yield (
            "/",
            None,
            [
                Issue(
                    "/type",
                    "expected a GeoJSON FeatureCollection with a features list",
                    code="wrong-type",
                )
            ],
        )
        return
    if not doc["features"]:
        yield (
            "/features",
            None,
            [Issue("/features", "the collection has no features", code="empty-file")],
        )
        return
    for i, feature in enumerate(doc["features"]):
        yield (f"/features/{i}", *parse_account_feature(feature, index=i))


def _full_names(props: dict[str, object]) -> dict[str, object]:
    """A Shapefile's 10-character column names back to the account columns they cut."""
    full = {c[:10].casefold(): c for c in ACCOUNT_COLUMNS if len(c) > 10}
    return {full.get(k.casefold(), k): v for k, v in props.items()}


def rows_from_upload(
    content_type: str, spooled: IO[bytes], settings: Settings | None = None
) -> Iterable[ParsedRow | CleanRows]:
    """Pick the parser for an upload's media type (GIS files need ``settings``)."""
    if content_type in ("application/geo+json", "application/json"):
        return geojson_rows(spooled.read())
    if content_type in GIS_MEDIA_TYPES and settings is not None:
        return gis_rows(read_gis_upload(spooled, content_type, settings, geometry="point"))
    return csv_row_runs(spooled)


def gis_rows(table: GisTable) -> Iterator[ParsedRow]:
    """The Point features of a GIS file (service.web.gisfiles) as account rows."""
    for i, f in enumerate(table.features):
        props = _full_names(f.properties) if table.format == "shp" else f.properties
        feature = {"type": "Feature", "geometry": f.geometry, "properties": props}
        yield (f"/features/{i}", *parse_account_feature(feature, index=i))
