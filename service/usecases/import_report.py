"""What an import did, row by row: the report every import route answers with.

One place for the all-or-nothing rule's bookkeeping and for the answer's
shape (200 with the report, or a 422 problem when nothing was stored), so
account and pipeline imports cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from geo.errors import WARNING_CODES, Issue
from service.storage import Store, Tx

MAX_REPORTED_ISSUES = 10_000


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
        target = self.warnings if issue.code in WARNING_CODES else self.issues
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


def report_answer(
    report: ImportReport, summary: dict[str, Any], instance: str
) -> tuple[int, dict[str, Any]]:
    """Status and body of an import: 200 with the report, or a 422 problem when nothing was stored.

    The problem's ``errors`` are the failed rows; the whole report stands alongside.
    """
    landed = report.created + report.updated + report.unchanged
    if report.stored and (landed or not report.failed_rows):
        return 200, summary
    # Atomic with a failed row, or not atomic but no row could be read (an
    # unreadable file): either way nothing was stored, and the answer says so.
    why = "atomic import" if report.atomic else "no row could be imported"
    summary = {**summary, "stored": False} if "stored" in summary else summary
    return 422, {
        "type": "/problems/import-failed",
        "title": "Import failed",
        "status": 422,
        "detail": f"{report.failed_rows} row(s) failed; nothing was stored ({why}).",
        "instance": instance,
        **summary,
    }


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
