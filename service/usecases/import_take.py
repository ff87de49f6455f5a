"""Taking an import's parsed rows: duplicates, the row limit, geocoding, the report.

:func:`take_clean` takes a run of clean rows (:class:`geo.row_columns.CleanRows`)
whole; :func:`take_one` takes one row as the row-by-row parser gave it. Both
leave the same report, row for row, and put the row in a :class:`Batch`, which
turns into staging rows with the whole batch assigned at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import numpy as np

from geo.assign.assignment import assign_accounts, assign_columns
from geo.assign.index import TerritoryIndex
from geo.errors import WARNING_CODES, Issue
from geo.geocode.geocoder import Geocoder
from geo.model import Account
from geo.row_columns import CleanRows
from geo.rows import ACCOUNT_COLUMNS, RowFields
from service.storage.account_bulk import staged_columns, staged_row
from service.usecases.account_rows import ParsedRow
from service.usecases.import_report import ImportReport


@dataclass
class Batch:
    """Rows taken, not yet staged: accounts one by one, runs of clean rows as columns."""

    accounts: list[Account] = field(default_factory=list)
    runs: list[CleanRows] = field(default_factory=list)
    size: int = 0

    def split(self, n: int) -> tuple[Batch, Batch]:
        """The first ``n`` rows taken (accounts first) and the rest, as two batches."""
        head, rest = Batch(self.accounts[:n]), Batch(self.accounts[n:])
        for run in self.runs:
            need = n - len(head.accounts) - sum(len(r) for r in head.runs)
            if need >= len(run):
                head.runs.append(run)
            elif need > 0:
                first, second = run.split(need)
                head.runs.append(first)
                rest.runs.append(second)
            else:
                rest.runs.append(run)
        head.size, rest.size = min(n, self.size), max(self.size - n, 0)
        return head, rest

    def staged_rows(self, index: TerritoryIndex) -> list[tuple[Any, ...]]:
        """Every row's staging row, assigned against ``index`` (runs without a per-row object)."""
        rows = [
            staged_row(a, s)
            for a, s in zip(self.accounts, assign_accounts(self.accounts, index), strict=True)
        ]
        if self.runs:
            c = {
                n: list(chain.from_iterable(r.columns[n] for r in self.runs))
                for n in ACCOUNT_COLUMNS
            }
            answers = assign_columns(
                np.array(c["lon"], dtype=float),
                np.array(c["lat"], dtype=float),
                c["owner_rep_id"],
                lambda i: (c["industry"][i], c["products"][i], c["annual_revenue"][i]),
                index,
            )
            rows += staged_columns(c, answers)
        return rows


def one_by_one(item: ParsedRow | CleanRows) -> Iterator[ParsedRow]:
    """``item``'s rows one by one (a parsed row is its own only row)."""
    if not isinstance(item, CleanRows):
        yield item
        return
    for number, fields in item.fields():
        yield f"/rows/{number}", fields, []


def take_clean(
    rows: CleanRows, seen: set[str], batch: Batch, report: ImportReport, max_rows: int
) -> bool:
    """Take a run of clean rows whole, unless a row of it needs the row-by-row path.

    That is when an id was seen before or twice in the run (the duplicate is
    reported), or the run crosses ``max_rows``. Returns whether it was taken.
    """
    ids = rows.ids
    if report.rows + len(ids) > max_rows or not seen.isdisjoint(ids) or len(set(ids)) < len(ids):
        return False
    report.rows += len(ids)
    seen.update(ids)
    batch.runs.append(rows)
    batch.size += len(ids)
    return True


def take_one(
    row: ParsedRow,
    seen: set[str],
    batch: Batch,
    report: ImportReport,
    geocoder: Geocoder,
    max_rows: int,
) -> bool:
    """Take one parsed row; ``False`` once the file has more than ``max_rows`` rows."""
    pointer, fields, issues = row
    if fields is None and not issues:
        return True
    if fields is not None:
        report.rows += 1
        if report.rows > max_rows:
            report.failed_rows += 1
            report.add(
                Issue("/rows", f"more than {max_rows} rows; split the file", code="too-many-rows")
            )
            return False
    _take(pointer, fields, issues, seen, batch, report, geocoder)
    return True


def _take(
    pointer: str,
    fields: RowFields | None,
    issues: list[Issue],
    seen: set[str],
    batch: Batch,
    report: ImportReport,
    geocoder: Geocoder,
) -> None:
    for issue in issues:
        report.add(issue)
    if fields is None:
        if any(i.code not in WARNING_CODES for i in issues):
            report.failed_rows += 1
        return
    if fields.id in seen:
        report.failed_rows += 1
        report.add(
            Issue(pointer + "/id", f"duplicate id {fields.id!r} in this file", code="duplicate-id")
        )
        return
    seen.add(fields.id)
    geocode = geocoder.geocode_row(fields)
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
    batch.accounts.append(fields.to_account(geocode))
    batch.size += 1
