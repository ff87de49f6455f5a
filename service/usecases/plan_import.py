"""Pipeline and activity imports: parse, check references, upsert by id, report per row.

The same rules as account imports (:mod:`service.usecases.account_import`): one
import is one transaction; with ``atomic`` (the default) any failed row
rolls everything back and the report lists every failure, without it the
good rows are stored. Rows are read as a stream and written in chunks. A row
fails when a value is unusable or when its ``account_id`` or ``rep_id`` names
nothing stored.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any

from geo.errors import Issue
from geo.plan.rows import check_plan_header, parse_plan_row
from service.storage import Store, Tx
from service.storage.plan_ops import PlanRecord
from service.usecases.import_report import ImportReport, report_answer, run_import
from service.usecases.jobs import JobCancelled, JobContext
from service.web.csv_limits import CSVLimitError, bounded_lines, bounded_reader
from service.web.http import InvalidJSONError, json_issue, parse_json

CHUNK_ROWS = 5_000
# (pointer of the row, its raw values or None, issues found before parsing)
RawRow = tuple[str, Mapping[str, object] | None, list[Issue]]


def csv_rows(stream: IO[bytes], kind: str) -> Iterator[RawRow]:
    """Raw CSV rows; the header is row 0, data rows count from 1."""
    try:
        # Linear-time, size-bounded lines and fields (service.web.csv_limits).
        reader = bounded_reader(bounded_lines(stream))
        header = reader.fieldnames
        if not header:
            yield (
                "/rows/0",
                None,
                [Issue("/rows/0", "the file is empty: no header row", code="empty-file")],
            )
            return
        issues = check_plan_header(list(header), kind)
        if issues:
            yield "/rows/0", None, issues
        if any(i.code != "unknown-column" for i in issues):
            return
        for number, row in enumerate(reader, start=1):
            yield f"/rows/{number}", {k: v for k, v in row.items() if k is not None}, []
    except UnicodeDecodeError:
        yield (
            "/rows",
            None,
            [Issue("/rows", "the file is not UTF-8; save it as UTF-8", code="bad-encoding")],
        )
    except csv.Error as exc:
        yield "/rows", None, [Issue("/rows", f"malformed CSV: {exc}", code="bad-csv")]
    except CSVLimitError as exc:
        yield "/rows", None, [Issue("/rows", str(exc), code="line-too-long")]


def json_rows(payload: bytes) -> Iterator[RawRow]:
    """Raw rows from a JSON array of objects, or an object with a ``records`` array."""
    try:
        doc = parse_json(payload)
    except InvalidJSONError as exc:
        yield "/", None, [json_issue(exc)]
        return
    except (UnicodeDecodeError, ValueError) as exc:
        reason = (
            "the file is not UTF-8" if isinstance(exc, UnicodeDecodeError) else "not valid JSON"
        )
        yield "/", None, [Issue("/", reason, code="bad-json")]
        return
    base, items = ("/records", doc.get("records")) if isinstance(doc, dict) else ("", doc)
    if not isinstance(items, list):
        yield (
            "/",
            None,
            [
                Issue(
                    base or "/",
                    'expected an array of objects, or {"records": [...]}',
                    code="wrong-type",
                )
            ],
        )
        return
    if not items:
        yield base or "/", None, [Issue(base or "/", "there are no records", code="empty-file")]
        return
    for i, item in enumerate(items):
        if isinstance(item, dict):
            yield f"{base}/{i}", item, []
        else:
            yield (
                f"{base}/{i}",
                None,
                [Issue(f"{base}/{i}", "expected an object", code="wrong-type")],
            )


def unreadable(media_type: str, head: bytes, kind: str) -> list[Issue]:
    """Why a body whose first bytes are ``head`` can never import (empty: it might).

    The same readers as the import itself, on the header line or the first
    character only, so a job (``?async=true``) is not queued for a file
    whose every row would fail for the same reason.
    """
    text = head.removeprefix(b"\xef\xbb\xbf")
    if "csv" not in media_type:
        if text.lstrip()[:1] in (b"[", b"{"):
            return []
        return [Issue("/", "not valid JSON: expected an array or an object", code="bad-json")]
    first_line = text.split(b"\n", 1)[0]
    for _pointer, values, issues in csv_rows(io.BytesIO(first_line + b"\n"), kind):
        fatal = [i for i in issues if i.code != "unknown-column"]
        if values is None and fatal:
            return fatal
        break
    return []


def import_plan_rows(
    store: Store,
    kind: str,
    rows: Iterable[RawRow],
    *,
    atomic: bool,
    actor: str | None,
    max_rows: int,
    job: JobContext | None = None,
) -> ImportReport:
    """Run one import of ``kind`` (pipeline or activities) in one transaction.

    Rows are parsed and checked before the write transaction, which then
    only checks references and upserts, chunk by chunk; an atomic import
    with a bad row never takes the writers' lock. Run as a job, it reports
    progress per chunk and, when cancelled, raises :class:`JobCancelled`
    (inside the transaction, so nothing is stored).
    """
    report = ImportReport(atomic=atomic)
    parsed = _parse(kind, rows, report, max_rows=max_rows, warn_unknown=True, job=job)
    if report.failed and atomic:  # nothing will be stored: report the references too
        with store.read() as tx:
            for start in range(0, len(parsed), CHUNK_ROWS):
                _checked(tx, parsed[start : start + CHUNK_ROWS], report)
        return report

    def work(tx: Tx) -> None:
        done = 0
        for start in range(0, len(parsed), CHUNK_ROWS):
            chunk = parsed[start : start + CHUNK_ROWS]
            _flush(tx, kind, chunk, report)
            done += len(chunk)
            _check_job(job, done)
        _check_job(job, done)

    return run_import(store, report, work, entity=kind, actor=actor)


def _parse(
    kind: str,
    rows: Iterable[RawRow],
    report: ImportReport,
    *,
    max_rows: int,
    warn_unknown: bool,
    job: JobContext | None,
) -> list[tuple[str, PlanRecord]]:
    """Every good row's record, in file order; issues and failures go to ``report``."""
    seen: set[str] = set()
    out: list[tuple[str, PlanRecord]] = []
    for pointer, values, issues in rows:
        for issue in issues:
            report.add(issue)
        if values is None:
            report.failed_rows += any(i.code != "unknown-column" for i in issues)
            continue
        report.rows += 1
        if report.rows > max_rows:
            report.failed_rows += 1
            report.add(
                Issue(pointer, f"more than {max_rows} rows; split the file", code="too-many-rows")
            )
            break
        record, row_issues = parse_plan_row(
            values, kind, pointer, warn_unknown=warn_unknown and not pointer.startswith("/rows")
        )
        _take(pointer, record, row_issues, seen, out, report)
        if report.rows % CHUNK_ROWS == 0:
            _check_job(job, 0)  # a cancel stops the parse, before any write
    return out


def _check_job(job: JobContext | None, rows: int) -> None:
    # Called inside the import's write transaction: progress stays in memory.
    if job is not None:
        if rows:
            job.note(rows)
        if job.cancelled():
            raise JobCancelled


def _take(
    pointer: str,
    record: PlanRecord | None,
    issues: list[Issue],
    seen: set[str],
    chunk: list[tuple[str, PlanRecord]],
    report: ImportReport,
) -> None:
    for issue in issues:
        report.add(issue)
    if record is None:
        report.failed_rows += 1
    elif record.id in seen:
        report.failed_rows += 1
        report.add(
            Issue(
                f"{pointer}/id",
                f"duplicate id {record.id[:40]!r} in this file",
                code="duplicate-id",
            )
        )
    else:
        seen.add(record.id)
        chunk.append((pointer, record))


def _flush(tx: Tx, kind: str, chunk: list[tuple[str, PlanRecord]], report: ImportReport) -> None:
    good = _checked(tx, chunk, report)
    if not good:
        return
    created, updated, unchanged = tx.upsert_plan_records(kind, good)
    report.created += created
    report.updated += updated
    report.unchanged += unchanged


def _checked(tx: Tx, chunk: list[tuple[str, PlanRecord]], report: ImportReport) -> list[PlanRecord]:
    """The records of ``chunk`` whose account and rep exist; the others are reported."""
    if not chunk:
        return []
    accounts = tx.existing_account_ids(r.account_id for _, r in chunk)
    reps = tx.existing_rep_ids(sorted({r.rep_id for _, r in chunk if r.rep_id is not None}))
    good = []
    for pointer, r in chunk:
        bad = _reference_issues(pointer, r, accounts, reps)
        for issue in bad:
            report.add(issue)
        if bad:
            report.failed_rows += 1
        else:
            good.append(r)
    return good


def _reference_issues(
    pointer: str, r: PlanRecord, accounts: set[str], reps: set[int]
) -> list[Issue]:
    out = []
    if r.account_id not in accounts:
        out.append(
            Issue(
                f"{pointer}/account_id",
                f"account {r.account_id[:40]!r} does not exist; import it first",
                code="unknown-account",
            )
        )
    if r.rep_id is not None and r.rep_id not in reps:
        out.append(Issue(f"{pointer}/rep_id", f"rep {r.rep_id} does not exist", code="unknown-rep"))
    return out


def report_body(report: ImportReport, kind: str, instance: str) -> tuple[int, dict[str, Any]]:
    """Status and JSON body: 200 with the report, or a 422 problem when nothing was stored."""
    summary = {
        "kind": kind,
        "atomic": report.atomic,
        "stored": report.stored,
        "rows": report.rows,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "failed": report.failed_rows,
        "errors": [_issue_json(i) for i in report.issues],
        "warnings": [_issue_json(i) for i in report.warnings],
        "truncated": report.truncated,
    }
    return report_answer(report, summary, instance)


def _issue_json(i: Issue) -> dict[str, Any]:
    parts = i.pointer.split("/")
    row = next((int(p) for p in parts[1:3] if p.isdigit()), None)
    column = parts[-1] if row is not None and not parts[-1].isdigit() else None
    return {"pointer": i.pointer, "reason": i.reason, "code": i.code, "row": row, "column": column}
