"""Cadence rules, recorded contacts and each rep's latest schedule."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import delete, insert, select

from service.storage.errors import NotFoundError
from service.storage.tx_base import TxBase


@dataclass(frozen=True, slots=True)
class RecordedContact:
    """A contact that happened, as recorded through ``POST /contacts``."""

    id: int
    account_id: str
    rep_id: int | None
    channel: str
    on: date
    recorded_at: datetime
    recorded_by: str | None


@dataclass(frozen=True, slots=True)
class StoredSchedule:
    """A rep's latest computed schedule: the answer as sent, and its calendar."""

    rep_id: int
    body: dict[str, Any]
    ics: str
    computed_at: datetime


class ScheduleOps(TxBase):
    """Mixin of :class:`~service.storage.store.Tx` for contact scheduling."""

    def cadence_rules(self) -> dict[int, list[dict[str, Any]]]:
        """Every territory's stored rules (JSON documents), keyed by territory id."""
        ct = self.t["cadences"]
        return {int(r.territory_id): list(r.rules) for r in self.conn.execute(select(ct))}

    def replace_cadence(
        self, territory_id: int, rules: list[dict[str, Any]], *, actor: str | None
    ) -> None:
        """Replace a territory's rules whole (an empty list clears them)."""
        ct = self.t["cadences"]
        self.conn.execute(delete(ct).where(ct.c.territory_id == territory_id))
        if rules:
            self.conn.execute(
                insert(ct).values(
                    territory_id=territory_id, rules=rules, updated_at=self.now, updated_by=actor
                )
            )
        self.audit(actor, "replace", "cadence", str(territory_id), {"rules": len(rules)})
        self.bump_revision("none")  # cadences are not part of a plan snapshot

    def insert_contact(
        self, account_id: str, rep_id: int | None, channel: str, on: date, *, actor: str | None
    ) -> RecordedContact:
        """Record one done contact."""
        ct = self.t["contacts"]
        values = {
            "account_id": account_id,
            "rep_id": rep_id,
            "channel": channel,
            "on_date": on,
            "recorded_at": self.now,
            "recorded_by": actor,
        }
        new_id = self.conn.execute(insert(ct).values(values).returning(ct.c.id)).scalar_one()
        self.audit(actor, "create", "contact", str(new_id), {"account_id": account_id})
        return _contact({**values, "id": new_id})

    def find_contacts(
        self,
        *,
        rep_id: int | None = None,
        account_ids: list[str] | None = None,
        since: date | None = None,
        limit: int | None = None,
    ) -> list[RecordedContact]:
        """Recorded contacts by date then id, filtered."""
        ct = self.t["contacts"]
        q = select(ct).order_by(ct.c.on_date, ct.c.id)
        if rep_id is not None:
            q = q.where(ct.c.rep_id == rep_id)
        if account_ids is not None:
            q = q.where(ct.c.account_id.in_(account_ids))
        if since is not None:
            q = q.where(ct.c.on_date >= since)
        rows = self.conn.execute(q.limit(limit) if limit is not None else q)
        return [_contact(r._mapping) for r in rows]

    def save_schedule(
        self, rep_id: int, body: dict[str, Any], ics: str, *, actor: str | None
    ) -> None:
        """Keep ``body`` and ``ics`` as the rep's latest schedule."""
        st = self.t["schedules"]
        self.conn.execute(delete(st).where(st.c.rep_id == rep_id))
        self.conn.execute(
            insert(st).values(
                rep_id=rep_id, body=body, ics=ics, computed_at=self.now, computed_by=actor
            )
        )
        self.audit(actor, "replace", "schedule", str(rep_id), {"weeks": body.get("weeks")})

    def get_schedule(self, rep_id: int) -> StoredSchedule:
        """The rep's latest schedule; `NotFoundError` when none was computed."""
        st = self.t["schedules"]
        row = self.conn.execute(select(st).where(st.c.rep_id == rep_id)).first()
        if row is None:
            raise NotFoundError(f"No schedule has been computed for rep {rep_id}.")
        return _schedule(row)

    def find_schedules(self, rep_ids: Collection[int] | None = None) -> list[StoredSchedule]:
        """The latest schedule of each rep in ``rep_ids`` that has one (None: every rep), by rep."""
        st = self.t["schedules"]
        q = select(st).order_by(st.c.rep_id)
        if rep_ids is not None:
            q = q.where(st.c.rep_id.in_(sorted(rep_ids)))
        return [_schedule(r) for r in self.conn.execute(q)]


def _schedule(row: Any) -> StoredSchedule:
    at = row.computed_at
    return StoredSchedule(
        int(row.rep_id),
        dict(row.body),
        str(row.ics),
        at if at.tzinfo else at.replace(tzinfo=UTC),
    )


def _contact(m: Any) -> RecordedContact:
    at = m["recorded_at"]
    return RecordedContact(
        id=int(m["id"]),
        account_id=m["account_id"],
        rep_id=m["rep_id"],
        channel=m["channel"],
        on=m["on_date"],
        recorded_at=at if at.tzinfo else at.replace(tzinfo=UTC),
        recorded_by=m["recorded_by"],
    )
