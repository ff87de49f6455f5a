"""Account imports: everything slow before the write lock, one short set-based write after.

1. *Prepare* (no write transaction): stream the upload, parse and check each
   row, geocode it, assign each batch with the vectorised engine against the
   territories as they are now, and stage the rows in a temporary table
   (``executemany`` on SQLite, ``COPY`` on PostGIS), so a million rows
   never sit in memory. All but the staging runs in a child forked for the
   import (:mod:`service.usecases.import_child`), so the requests the server
   answers meanwhile keep its interpreter.
2. *Commit* (one write transaction, writers' lock taken first): if any
   territory changed since step 1, re-assign the staged accounts where an
   owner can have changed (none for a rename) against the territories
   current now, and rewrite the assignments that differ;
   then one ``INSERT ... SELECT ... ON CONFLICT`` upsert. So an import always
   assigns against the territories current at its commit, and a territory
   edit that commits later re-assigns the imported rows.

With ``atomic`` (the default) any failed row means nothing is written (the
lock is never taken); without it the good rows are stored and the bad ones
reported.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection

from geo.assign.index import TerritoryIndex
from geo.geocode.geocoder import Geocoder, OnlineGeocoder
from geo.model import Territory
from geo.row_columns import CleanRows
from service.index_cache import IndexCache
from service.interpreter import waiting
from service.settings import Settings
from service.storage import Store, Tx
from service.storage.account_bulk import AccountStaging, copy_text
from service.storage.backends import analyze
from service.usecases.account_rows import (
    ParsedRow,
    csv_row_runs,
    csv_rows,
    geojson_rows,
    rows_from_upload,
)
from service.usecases.import_child import StagedBatch as Staged
from service.usecases.import_child import batches_from_child, can_fork, worth_a_child
from service.usecases.import_reassign import (
    Fingerprint,
    changed_boxes,
    fingerprint,
    reassign_in_boxes,
    stored_fingerprint,
)
from service.usecases.import_report import (
    ImportReport,
    report_answer,
    run_import,
)
from service.usecases.import_take import Batch, one_by_one, take_clean, take_one
from service.usecases.jobs import JobCancelled, JobContext

CHUNK_ROWS = 5_000
log = logging.getLogger("service.import")


class ImportCancelled(JobCancelled):
    """The import's job was cancelled before its write; nothing was stored."""


@dataclass
class ImportControl:
    """Hooks a job passes in: progress as rows are prepared, and a cancel flag."""

    progress: Callable[[int], None] = lambda rows: None
    cancelled: Callable[[], bool] = lambda: False


def import_control(job: JobContext | None, body: IO[bytes], content_type: str) -> ImportControl:
    """Progress and cancel for an import run as a job (no hooks without one).

    The row total of a CSV is estimated by counting its lines (a quoted
    field may hold more), so progress stays below 1 until the job is done.
    """
    if job is None:
        return ImportControl()
    total = _count_lines(body) - 1 if "csv" in content_type else None
    return ImportControl(progress=lambda rows: job.progress(rows, total), cancelled=job.cancelled)


def _count_lines(body: IO[bytes]) -> int:
    body.seek(0)
    lines = sum(chunk.count(b"\n") for chunk in iter(lambda: body.read(1 << 20), b""))
    body.seek(0)
    return lines


@dataclass
class _Prepared:
    """What step 1 leaves for step 2."""

    index: TerritoryIndex
    fingerprint: Fingerprint
    territories: dict[int, Territory]
    in_child: bool = True
    batches: int = 0
    staged: int = 0
    timings: dict[str, float] = field(default_factory=dict)


def import_rows(
    store: Store,
    index_cache: IndexCache,
    geocoder: Geocoder,
    rows: Iterable[ParsedRow | CleanRows],
    *,
    atomic: bool,
    actor: str | None,
    max_rows: int,
    control: ImportControl | None = None,
    in_child: bool = True,
) -> ImportReport:
    """Run one import; see the module docstring. Raises :class:`ImportCancelled`.

    With ``in_child`` the rows are prepared in a forked child process where
    the platform and the geocoder allow it (:mod:`service.usecases.import_child`).
    """
    control = control or ImportControl()
    report = ImportReport(atomic=atomic)
    with store.connection() as conn:
        staging = AccountStaging(conn, store.backend)
        staging.create()
        try:
            prepared = _snapshot(store, index_cache)
            prepared.in_child = in_child

            def prepare() -> None:
                _prepare(prepared, geocoder, rows, staging, report, control, max_rows=max_rows)
                if report.failed and atomic:
                    raise _NotStored
                if control.cancelled():
                    raise ImportCancelled

            with suppress(_NotStored):
                _commit(store, conn, staging, prepared, report, actor, prepare)
        finally:
            staging.drop()
    if report.stored and (report.created or report.updated):
        _analyze(store)
    log.info(json.dumps({"event": "import", "rows": report.rows, **prepared.timings}))
    return report


def _snapshot(store: Store, index_cache: IndexCache) -> _Prepared:
    """The territory index now, with the territories it was built from."""
    while True:
        with store.read() as tx:
            before = stored_fingerprint(tx)
            index = index_cache.current_in(tx)
            territories = tx.find_territories()
            # On PostgreSQL each statement sees the latest commit: an unchanged
            # (id, version) list around the index proves they all agree.
            if fingerprint(territories) == before:
                return _Prepared(index, before, {t.id: t for t in territories})


def _prepare(
    prepared: _Prepared,
    geocoder: Geocoder,
    rows: Iterable[ParsedRow | CleanRows],
    staging: AccountStaging,
    report: ImportReport,
    control: ImportControl,
    *,
    max_rows: int,
) -> None:
    """Parse, take, assign and stage every row: in a forked child where it can (import_child)."""
    started = time.perf_counter()

    # On PostGIS each batch travels as COPY text, formatted where it was made.
    encode = copy_text if staging.pg else None

    def batches() -> Iterator[Staged]:
        return _staged_batches(prepared.index, geocoder, rows, report, max_rows, encode)

    if prepared.in_child and geocoder.offline and can_fork():
        # On PostGIS this thread then only passes COPY text on, the lock free.
        resting = waiting() if staging.pg else nullcontext()
        with resting, batches_from_child(batches, report) as child:
            for staged in child:
                _load(prepared, staged, staging, control)
        prepared.timings["child_peak_rss_mb"] = child.peak_rss_mb or 0.0
    else:
        for staged in batches():
            _load(prepared, staged, staging, control)
    prepared.timings["prepare_s"] = round(time.perf_counter() - started, 3)


def _staged_batches(
    index: TerritoryIndex,
    geocoder: Geocoder,
    rows: Iterable[ParsedRow | CleanRows],
    report: ImportReport,
    max_rows: int,
    encode: Callable[[list[tuple[Any, ...]]], bytes] | None,
) -> Iterator[Staged]:
    """Each batch's staging rows (``encode``-d), assigned against ``index``; ``report`` counts."""
    seen: set[str] = set()
    batch = Batch()
    for item in rows:
        whole = isinstance(item, CleanRows) and take_clean(item, seen, batch, report, max_rows)
        if not whole and not all(
            take_one(row, seen, batch, report, geocoder, max_rows) for row in one_by_one(item)
        ):
            break
        while batch.size >= CHUNK_ROWS:  # a run of clean rows may fill several
            head, batch = batch.split(CHUNK_ROWS)
            staged = head.staged_rows(index)
            yield encode(staged) if encode else staged
    if batch.size:
        staged = batch.staged_rows(index)
        yield encode(staged) if encode else staged


def _load(
    prepared: _Prepared, staged: Staged | None, staging: AccountStaging, control: ImportControl
) -> None:
    """Stage one batch (``None``: nothing yet, only a look at the cancel flag)."""
    if control.cancelled():
        raise ImportCancelled
    if not staged:
        return
    staging.load(staged)
    prepared.batches += 1
    # COPY text ends each row with the only newline it holds (one in a value is escaped).
    prepared.staged += staged.count(b"\n") if isinstance(staged, bytes) else len(staged)
    control.progress(prepared.staged)


class _NotStored(Exception):
    """An atomic import had a failed row: its transaction ends before taking the lock."""


def _commit(
    store: Store,
    conn: Connection,
    staging: AccountStaging,
    prepared: _Prepared,
    report: ImportReport,
    actor: str | None,
    prepare: Callable[[], None],
) -> None:
    """The one write transaction: catch up with territory edits, count, upsert.

    ``prepare`` parses, assigns and stages every row. SQLite takes its lock
    at ``BEGIN``, so there it runs before the transaction; on PostGIS it runs
    inside it but before the lock, streaming the new accounts in as it goes.
    """
    if not staging.pg:
        prepare()
    started = time.perf_counter()

    def before_lock() -> None:
        with staging.streaming(datetime.now(UTC), actor):
            prepare()
        prepared.timings["before_lock_s"] = round(time.perf_counter() - started, 3)

    with store.write(conn, before_lock=before_lock if staging.pg else None) as tx:
        locked = time.perf_counter()
        now = stored_fingerprint(tx)
        if now != prepared.fingerprint:
            boxes = changed_boxes(tx, prepared.territories, now)
            staging.reassign(reassign_in_boxes(tx, staging, boxes))
            prepared.timings["reassigned_boxes"] = len(boxes)
        report.created, report.updated, report.unchanged = staging.counts()
        staging.upsert(tx.now, actor)
        _record(tx, report, actor)
    waited = locked - started - prepared.timings.get("before_lock_s", 0.0)
    prepared.timings["lock_wait_s"] = round(waited, 3)
    prepared.timings["write_s"] = round(time.perf_counter() - locked, 3)
    report.stored = True


def _record(tx: Tx, report: ImportReport, actor: str | None) -> None:
    if report.created or report.updated:
        tx.bump_revision()
        tx.audit(
            actor,
            "import",
            "account",
            None,
            {"created": report.created, "updated": report.updated, "failed": report.failed_rows},
        )


def _analyze(store: Store) -> None:
    # After the commit, in its own transaction: ANALYZE takes no lock that
    # blocks readers or writers, and keeps the write transaction short.
    with store.connection() as conn, conn.begin():
        analyze(conn, store.name, ("accounts",))


def import_file(
    store: Store,
    settings: Settings,
    path: str,
    *,
    atomic: bool,
    actor: str | None,
    control: ImportControl | None = None,
) -> ImportReport:
    """The CLI's import: a CSV or GeoJSON file on disk."""
    geocoder = make_geocoder(settings)
    p = Path(path)
    cache = IndexCache(store)
    if p.suffix.lower() in (".geojson", ".json"):
        return import_rows(
            store,
            cache,
            geocoder,
            geojson_rows(p.read_bytes()),
            atomic=atomic,
            actor=actor,
            max_rows=10**9,
            control=control,
            in_child=settings.import_in_child and worth_a_child(p.stat().st_size),
        )
    with p.open("rb") as fh:
        return import_rows(
            store,
            cache,
            geocoder,
            csv_row_runs(fh),
            atomic=atomic,
            actor=actor,
            max_rows=10**9,
            control=control,
            in_child=settings.import_in_child and worth_a_child(p.stat().st_size),
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


__all__ = [
    "ImportCancelled",
    "ImportControl",
    "ImportReport",
    "import_control",
    "csv_rows",
    "geojson_rows",
    "import_file",
    "import_rows",
    "report_answer",
    "rows_from_upload",
    "run_import",
]
