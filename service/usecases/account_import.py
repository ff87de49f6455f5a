"""Account imports: stream rows, parse, geocode, assign, upsert in chunks.

One import is one transaction. With ``atomic`` (the default) any failed row
rolls the whole import back, and the report lists every failure; without it
the good rows are stored and the bad ones reported. Rows are read as a
stream and written in chunks, so a file of a million rows never sits in
memory whole (only the set of ids seen, to catch duplicates, grows with it).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from geo.assign.assignment import assign_accounts
from geo.errors import WARNING_CODES, Issue
from geo.geocode.geocoder import Geocoder, OnlineGeocoder
from geo.model import Account
from geo.rows import RowFields, check_header, parse_account_feature, parse_account_row
from service.index_cache import IndexCache
from service.settings import Settings
from service.storage import Store, Tx
from service.web.http import InvalidJSONError, json_issue, parse_json

CHUNK_ROWS = 5_000
MAX_REPORTED_ISSUES = 10_000
_WARNING_CODES = WARNING_CODES


class _Rollback(Exception):
    """Raised inside the transaction to undo an atomic import that had failures."""


@dataclass
class ImportReport:
    """What an import did, row by row where something went wrong."""

    atomic: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed_rows: int = 0
    stored: bool = False
    issues: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    truncated: bool = False

    @property
    def failed(self) -> bool:
        """True when any row failed."""
        return self.failed_rows > 0

    def add(self, issue: Issue) -> None:
        """Record one problem, keeping the report bounded."""
        target = self.warnings if issue.code in _WARNING_CODES else self.issues
        if len(self.issues) + len(self.warnings) < MAX_REPORTED_ISSUES:
            target.append(issue)
        else:
            self.truncated = True

    def summary(self) -> dict[str, Any]:
        """The report as JSON."""
        return {
            "atomic": self.atomic,
            "stored": self.stored,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "failed": self.failed_rows,
            "errors": [_issue_json(i) for i in self.issues],
            "warnings": [_issue_json(i) for i in self.warnings],
            "truncated": self.truncated,
        }


def _issue_json(i: Issue) -> dict[str, Any]:
    parts = i.pointer.split("/")
    out: dict[str, Any] = {"pointer": i.pointer, "reason": i.reason, "code": i.code}
    if len(parts) >= 3 and parts[1] in ("rows", "features") and parts[2].isdigit():
        out["row"] = int(parts[2])
        out["column"] = parts[-1] if len(parts) > 3 else None
    if i.location is not None:
        out["location"] = list(i.location)
    return out


# (pointer of the row, e.g. "/rows/12" or "/features/3"; its fields or None; its issues)
ParsedRow = tuple[str, RowFields | None, list[Issue]]


def csv_rows(stream: IO[bytes]) -> Iterator[ParsedRow]:
    """Parse a CSV byte stream into typed rows; row numbers count data rows from 1.

    The header is row 0. A byte sequence that is not UTF-8 stops the import
    with the row where it was found, since every later row is suspect too.
    """
    text = codecs.getreader("utf-8-sig")(stream)  # errors="strict" is the default
    lines = _lines_checked(text)
    reader = csv.DictReader(lines)
    try:
        header = reader.fieldnames
    except _EncodingProblem as exc:
        yield "/rows/0", None, [Issue("/rows/0", exc.reason, code="bad-encoding")]
        return
    if not header:
        yield (
            "/rows/0",
            None,
            [Issue("/rows/0", "the file is empty: no header row", code="empty-file")],
        )
        return
    header_issues = check_header(list(header))
    if header_issues:
        yield "/rows/0", None, header_issues
    if any(i.code not in _WARNING_CODES for i in header_issues):
        return
    yield from _data_rows(reader)


def _data_rows(reader: csv.DictReader[str]) -> Iterator[ParsedRow]:
    number = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except _EncodingProblem as exc:
            yield (
                f"/rows/{number + 1}",
                None,
                [Issue(f"/rows/{number + 1}", exc.reason, code="bad-encoding")],
            )
            return
        except csv.Error as exc:
            yield (
                f"/rows/{number + 1}",
                None,
                [Issue(f"/rows/{number + 1}", f"malformed CSV: {exc}", code="bad-csv")],
            )
            return
        number += 1
        yield (f"/rows/{number}", *parse_account_row(row, row_number=number))


class _EncodingProblem(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _lines_checked(text: codecs.StreamReader) -> Iterator[str]:
    line_no = 0
    while True:
        try:
            line = text.readline()
        except UnicodeDecodeError as exc:
            raise _EncodingProblem(
                f"the file is not UTF-8 (bad byte near line {line_no + 1}, {exc.reason}); "
                "save it as UTF-8 and try again"
            ) from exc
        if not line:
            return
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


def import_rows(
    store: Store,
    index_cache: IndexCache,
    geocoder: Geocoder,
    rows: Iterable[ParsedRow],
    *,
    atomic: bool,
    actor: str | None,
    max_rows: int,
) -> ImportReport:
    """Run one import in one transaction; see the module docstring."""
    report = ImportReport(atomic=atomic)

    def work(tx: Tx) -> None:
        _run(tx, index_cache, geocoder, rows, report, max_rows=max_rows)

    return run_import(store, report, work, entity="account", actor=actor)


def run_import(
    store: Store,
    report: ImportReport,
    work: Callable[[Tx], None],
    *,
    entity: str,
    actor: str | None,
) -> ImportReport:
    """Run ``work`` in one write transaction; undo it all when an atomic import had failures.

    Every import route (accounts, pipeline, activities) goes through here, so
    the all-or-nothing rule and the audit entry live in one place.
    """
    try:
        with store.write() as tx:
            work(tx)
            if report.failed and report.atomic:
                raise _Rollback
            if report.created or report.updated:
                tx.audit(
                    actor,
                    "import",
                    entity,
                    None,
                    {
                        "created": report.created,
                        "updated": report.updated,
                        "failed": report.failed_rows,
                    },
                )
            report.stored = True
    except _Rollback:
        report.created = report.updated = report.unchanged = 0
    return report


def report_answer(
    report: ImportReport, summary: dict[str, Any], instance: str
) -> tuple[int, dict[str, Any]]:
    """Status and body of an import: 200 with the report, or a 422 problem when nothing was stored.

    The problem's ``errors`` are the failed rows; the whole report stands alongside.
    """
    if report.stored:
        return 200, summary
    return 422, {
        "type": "/problems/import-failed",
        "title": "Import failed",
        "status": 422,
        "detail": f"{report.failed_rows} row(s) failed; nothing was stored (atomic import).",
        "instance": instance,
        **summary,
    }


def _run(
    tx: Tx,
    index_cache: IndexCache,
    geocoder: Geocoder,
    rows: Iterable[ParsedRow],
    report: ImportReport,
    *,
    max_rows: int,
) -> None:
    index = index_cache.current_in(tx)
    seen: set[str] = set()
    chunk: list[Account] = []
    for pointer, fields, issues in rows:
        if fields is None and not issues:
            continue
        if fields is not None:
            report.rows += 1
            if report.rows > max_rows:
                report.failed_rows += 1
                report.add(
                    Issue(
                        "/rows", f"more than {max_rows} rows; split the file", code="too-many-rows"
                    )
                )
                return
        _take(pointer, fields, issues, seen, chunk, report, geocoder)
        if len(chunk) >= CHUNK_ROWS:
            _flush(tx, index, chunk, report)
    _flush(tx, index, chunk, report)


def _take(
    pointer: str,
    fields: RowFields | None,
    issues: list[Issue],
    seen: set[str],
    chunk: list[Account],
    report: ImportReport,
    geocoder: Geocoder,
) -> None:
    for issue in issues:
        report.add(issue)
    if fields is None:
        if any(i.code not in _WARNING_CODES for i in issues):
            report.failed_rows += 1
        return
    if fields.id in seen:
        report.failed_rows += 1
        report.add(
            Issue(pointer + "/id", f"duplicate id {fields.id!r} in this file", code="duplicate-id")
        )
        return
    seen.add(fields.id)
    geocode = geocoder.geocode_account(
        lon=fields.lon,
        lat=fields.lat,
        postal_code=fields.postal_code,
        city=fields.city,
        region=fields.region,
        country=fields.country,
        address=fields.address,
    )
    if geocode.status == "not_found" and fields.postal_code:
        # A postal code we cannot place is a bad row, not an account to park
        # as "no location": the user gave us a location and it is wrong.
        report.failed_rows += 1
        report.add(
            Issue(
                pointer + "/postal_code",
                geocode.note or f"unknown postal code {fields.postal_code!r}",
                code="unknown-postal-code",
            )
        )
        return
    if geocode.status in ("not_found", "ambiguous", "conflict"):
        report.add(
            Issue(
                pointer,
                geocode.note or f"geocoding: {geocode.status}",
                code=f"geocode-{geocode.status}",
            )
        )
    chunk.append(fields.to_account(geocode))


def _flush(tx: Tx, index: Any, chunk: list[Account], report: ImportReport) -> None:
    if not chunk:
        return
    assignments = assign_accounts(chunk, index)
    created, updated, unchanged = tx.upsert_accounts(
        list(zip(chunk, assignments, strict=True)), actor=None
    )
    report.created += created
    report.updated += updated
    report.unchanged += unchanged
    chunk.clear()


def import_file(
    store: Store, settings: Settings, path: str, *, atomic: bool, actor: str | None
) -> ImportReport:
    """The CLI's import: a CSV or GeoJSON file on disk."""
    from service.index_cache import IndexCache

    geocoder = make_geocoder(settings)
    p = Path(path)
    if p.suffix.lower() in (".geojson", ".json"):
        rows: Iterable[ParsedRow] = geojson_rows(p.read_bytes())
        return import_rows(
            store, IndexCache(store), geocoder, rows, atomic=atomic, actor=actor, max_rows=10**9
        )
    with p.open("rb") as fh:
        return import_rows(
            store,
            IndexCache(store),
            geocoder,
            csv_rows(fh),
            atomic=atomic,
            actor=actor,
            max_rows=10**9,
        )


def make_geocoder(settings: Settings, store: Store | None = None) -> Geocoder:
    """The offline geocoder, with the user's postal gazetteer when one is set.

    With ``TERRITORY_ONLINE_GEOCODER`` set, places the gazetteers cannot find
    are asked of that service, and its answers are cached in ``store``.
    """
    from geo.geocode.geocoder import load_user_gazetteer

    user = None
    if settings.postal_gazetteer_path:
        with open(settings.postal_gazetteer_path, encoding="utf-8") as fh:
            user, issues = load_user_gazetteer(fh)
        if issues:
            raise ValueError(
                f"{settings.postal_gazetteer_path}: {len(issues)} bad row(s), first: "
                f"{issues[0].pointer} {issues[0].reason}"
            )
    online: OnlineGeocoder | None = None
    if settings.online_geocoder:
        # Off by default; never used in tests. geopy is an optional dependency.
        from geo.geocode.geocoder import GeopyGeocoder

        online = GeopyGeocoder(settings.online_geocoder)
    return Geocoder(user_gazetteer=user, online=cached_online(online, store))


def cached_online(online: OnlineGeocoder | None, store: Store | None) -> OnlineGeocoder | None:
    """``online`` with its answers cached in ``store`` (when both are given)."""
    if online is None or store is None:
        return online
    from service.geocode_cache import StoreCachedGeocoder

    return StoreCachedGeocoder(online, store)


def rows_from_upload(content_type: str, spooled: IO[bytes]) -> Iterable[ParsedRow]:
    """Pick the parser for an upload's media type."""
    if content_type in ("application/geo+json", "application/json"):
        return geojson_rows(spooled.read())
    return csv_rows(spooled)


__all__ = ["ImportReport", "csv_rows", "geojson_rows", "import_rows", "import_file", "io"]
