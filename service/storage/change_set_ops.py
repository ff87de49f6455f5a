"""Change sets: the record of each territory transaction, and the plan's revision."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update

from service.storage.errors import NotFoundError
from service.storage.territory_ops import TerritoryOps
from service.storage.territory_rows import TerritoryVersion, version_from_row

# Assignments that follow the territory's primary rep; an override keeps its own rep.
_REP_FOLLOWS_TERRITORY = ("geometry", "conflict")


@dataclass(frozen=True, slots=True)
class ChangeSetRecord:
    """One change set: who, when, what kind, and the change set that undid it."""

    id: int
    actor: str | None
    created_at: datetime
    kind: str
    reverted_by: int | None


@dataclass(frozen=True, slots=True)
class PlanRevision:
    """The live plan's revision: the latest change set and the territory count."""

    change_set_id: int
    created_at: datetime | None
    actor: str | None
    territories: int


class ChangeSetOps(TerritoryOps):
    """Mixin of :class:`~service.storage.store.Tx` for change sets."""

    def get_change_set(self, change_set_id: int) -> ChangeSetRecord:
        """One change set."""
        cs = self.plan_table("change_sets")
        q = select(cs).where(cs.c.id == change_set_id, *self.in_plan(cs))
        row = self.conn.execute(q).first()
        if row is None:
            raise NotFoundError(f"Change set {change_set_id} does not exist.")
        m = row._mapping
        return ChangeSetRecord(m["id"], m["actor"], m["created_at"], m["kind"], m["reverted_by"])

    def change_set_kinds(self, ids: list[int]) -> dict[int, str]:
        """The kind of each change set among ``ids`` (``scenario:<id>`` for an applied scenario)."""
        cs = self.plan_table("change_sets")
        if not ids:
            return {}
        q = select(cs.c.id, cs.c.kind).where(cs.c.id.in_(sorted(set(ids))), *self.in_plan(cs))
        return {int(i): str(k) for i, k in self.conn.execute(q)}

    def change_set_versions(self, change_set_id: int) -> list[TerritoryVersion]:
        """The territory versions the change set wrote, by territory id."""
        tv = self.plan_table("territory_versions")
        q = (
            select(tv)
            .where(tv.c.change_set_id == change_set_id, *self.in_plan(tv))
            .order_by(tv.c.territory_id, tv.c.version)
        )
        return [version_from_row(r) for r in self.conn.execute(q)]

    def mark_reverted(self, change_set_id: int, by: int) -> None:
        """Record that change set ``by`` undid ``change_set_id``."""
        cs = self.plan_table("change_sets")
        self.conn.execute(
            update(cs).where(cs.c.id == change_set_id, *self.in_plan(cs)).values(reverted_by=by)
        )

    def plan_revision(self) -> PlanRevision:
        """The live plan's latest change set; it moves on every live territory write only."""
        cs, tt = self.t["change_sets"], self.t["territories"]
        row = self.conn.execute(select(cs).order_by(cs.c.id.desc()).limit(1)).first()
        count = int(self.conn.execute(select(func.count()).select_from(tt)).scalar_one())
        if row is None:
            return PlanRevision(0, None, None, count)
        m = row._mapping
        return PlanRevision(int(m["id"]), m["created_at"], m["actor"], count)

    def set_territory_rep(self, territory_id: int, rep_id: int | None) -> int:
        """Give the territory's accounts its new primary rep, in one UPDATE; returns rows changed.

        Only accounts placed by geometry follow the territory's rep; an
        override names its own rep and stays.
        """
        at = self.t["accounts"]
        result = self.conn.execute(
            update(at)
            .where(
                at.c.territory_id == territory_id,
                at.c.assignment.in_(_REP_FOLLOWS_TERRITORY),
                at.c.rep_id.is_distinct_from(rep_id),
            )
            .values(rep_id=rep_id)
        )
        if result.rowcount:
            self.bump_revision("territory_accounts", [territory_id])
        return int(result.rowcount)
