"""Pipeline records and activities (the territory plan's rows; goals: ``goal_ops``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, insert, select, update

from geo.plan.model import Activity, PipelineRecord
from service.storage.tx_base import TxBase

PlanRecord = PipelineRecord | Activity
_TABLE_OF = {"pipeline": "pipeline", "activities": "activities"}


class PlanOps(TxBase):
    """Mixin of :class:`~service.storage.store.Tx` for the territory plan."""

    def existing_account_ids(self, ids: Iterable[str]) -> set[str]:
        """Which of ``ids`` name a stored account."""
        at = self.t["accounts"]
        found: set[str] = set()
        for chunk in _chunks(sorted(set(ids)), 500):
            found.update(r[0] for r in self.conn.execute(select(at.c.id).where(at.c.id.in_(chunk))))
        return found

    def upsert_plan_records(self, kind: str, records: Sequence[PlanRecord]) -> tuple[int, int, int]:
        """Insert or replace pipeline records or activities by id; (created, updated, unchanged)."""
        table = self.t[_TABLE_OF[kind]]
        before = {_key(r): r for r in self._plan_rows(table, [r.id for r in records])}
        new_rows, created, updated, unchanged = [], 0, 0, 0
        for record in records:
            old = before.get(record.id)
            values = {**_normalised(dataclasses.asdict(record)), "updated_at": self.now}
            if old is None:
                new_rows.append(values)
                created += 1
            elif old == _from_row(kind, values):
                unchanged += 1
            else:
                self.conn.execute(update(table).where(table.c.id == record.id).values(values))
                updated += 1
        for chunk in _chunks(new_rows, 1000):
            self.conn.execute(insert(table), chunk)
        if created or updated:
            # The plan's figures are kept per revision (Snapshot.derived): a
            # deal or an activity changes them like any other write (not the
            # snapshot of territories, reps and accounts).
            self.bump_revision("none")
        return created, updated, unchanged

    def _plan_rows(self, table: Table, ids: list[str]) -> list[PlanRecord]:
        kind = "pipeline" if table.name == "pipeline" else "activities"
        out = []
        for chunk in _chunks(sorted(set(ids)), 500):
            out += [
                _from_row(kind, r._mapping)
                for r in self.conn.execute(select(table).where(table.c.id.in_(chunk)))
            ]
        return out

    def find_pipeline(
        self,
        *,
        account_id: str | None = None,
        rep_id: int | None = None,
        stage: str | None = None,
        after_id: str = "",
        limit: int | None = None,
    ) -> list[PipelineRecord]:
        """Pipeline records by id, filtered."""
        pt = self.t["pipeline"]
        q = select(pt).where(pt.c.id > after_id).order_by(pt.c.id)
        for column, value in (("account_id", account_id), ("rep_id", rep_id), ("stage", stage)):
            if value is not None:
                q = q.where(pt.c[column] == value)
        rows = self.conn.execute(q.limit(limit) if limit is not None else q)
        return [_from_row("pipeline", r._mapping) for r in rows]  # type: ignore[misc]

    def find_activities(
        self,
        *,
        account_id: str | None = None,
        rep_id: int | None = None,
        kind: str | None = None,
        after_id: str = "",
        limit: int | None = None,
    ) -> list[Activity]:
        """Activities by id, filtered."""
        act = self.t["activities"]
        q = select(act).where(act.c.id > after_id).order_by(act.c.id)
        for column, value in (("account_id", account_id), ("rep_id", rep_id), ("kind", kind)):
            if value is not None:
                q = q.where(act.c[column] == value)
        rows = self.conn.execute(q.limit(limit) if limit is not None else q)
        return [_from_row("activities", r._mapping) for r in rows]  # type: ignore[misc]


def _key(record: PlanRecord) -> str:
    return record.id


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _normalised(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _aware(v) if isinstance(v, datetime) else v for k, v in values.items()}


def _from_row(kind: str, m: Any) -> PlanRecord:
    if kind == "pipeline":
        return PipelineRecord(
            id=m["id"],
            account_id=m["account_id"],
            stage=m["stage"],
            created_at=_aware(m["created_at"]),  # type: ignore[arg-type]
            amount=m["amount"],
            product=m["product"],
            closed_at=_aware(m["closed_at"]),
            rep_id=m["rep_id"],
            source=m["source"],
        )
    return Activity(
        id=m["id"],
        account_id=m["account_id"],
        kind=m["kind"],
        at=_aware(m["at"]),  # type: ignore[arg-type]
        rep_id=m["rep_id"],
    )


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
