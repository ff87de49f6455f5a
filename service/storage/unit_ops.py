"""The unit layer (replaced whole) and each scenario's last design report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import shapely
from sqlalchemy import delete, func, insert, select

from service.storage.errors import NotFoundError
from service.storage.tables import shape_values
from service.storage.tx_base import TxBase


@dataclass(frozen=True, slots=True)
class Unit:
    """One basic unit of design: an id, an optional name, a MultiPolygon (lon/lat)."""

    id: str
    name: str | None
    geometry: shapely.MultiPolygon


@dataclass(frozen=True, slots=True)
class StoredDesign:
    """A scenario's last design report and the job that made it."""

    scenario_id: int
    job_id: str | None
    report: dict[str, Any]
    created_at: datetime
    created_by: str | None


class UnitOps(TxBase):
    """Mixin of :class:`~service.storage.store.Tx` for units and design reports."""

    def replace_units(self, units: Sequence[Unit], *, actor: str | None) -> None:
        """Replace the whole unit layer (the caller's transaction makes it all or nothing)."""
        ut = self.t["units"]
        self.conn.execute(delete(ut))
        rows = [_unit_row(u, i, self.now, actor) for i, u in enumerate(units)]
        for start in range(0, len(rows), 1000):
            self.conn.execute(insert(ut), rows[start : start + 1000])

    def find_units(self, *, after_id: str = "", limit: int | None = None) -> list[Unit]:
        """Units by id, after ``after_id`` (paging)."""
        ut = self.t["units"]
        q = select(ut.c.id, ut.c.name, ut.c.geometry).where(ut.c.id > after_id).order_by(ut.c.id)
        rows = self.conn.execute(q.limit(limit) if limit is not None else q)
        return [Unit(r.id, r.name, shapely.from_wkb(r.geometry)) for r in rows]

    def all_units(self) -> list[Unit]:
        """Every unit in upload order (what a design partitions)."""
        ut = self.t["units"]
        q = select(ut.c.id, ut.c.name, ut.c.geometry).order_by(ut.c.position)
        return [Unit(r.id, r.name, shapely.from_wkb(r.geometry)) for r in self.conn.execute(q)]

    def count_units(self) -> int:
        """How many units the layer holds."""
        ut = self.t["units"]
        return int(self.conn.execute(select(func.count()).select_from(ut)).scalar_one())

    def save_design(
        self, scenario_id: int, report: dict[str, Any], *, job_id: str | None, actor: str | None
    ) -> None:
        """Keep ``report`` as the scenario's last design."""
        dt = self.t["scenario_designs"]
        self.conn.execute(delete(dt).where(dt.c.scenario_id == scenario_id))
        self.conn.execute(
            insert(dt).values(
                scenario_id=scenario_id,
                job_id=job_id,
                report=report,
                created_at=self.now,
                created_by=actor,
            )
        )

    def get_design(self, scenario_id: int) -> StoredDesign:
        """The scenario's last design (404 before the first one)."""
        dt = self.t["scenario_designs"]
        row = self.conn.execute(select(dt).where(dt.c.scenario_id == scenario_id)).first()
        if row is None:
            raise NotFoundError(f"Scenario {scenario_id} has no design yet.")
        return StoredDesign(
            row.scenario_id, row.job_id, dict(row.report), row.created_at, row.created_by
        )

    def delete_design(self, scenario_id: int) -> None:
        """Forget the scenario's design (the scenario is being deleted)."""
        dt = self.t["scenario_designs"]
        self.conn.execute(delete(dt).where(dt.c.scenario_id == scenario_id))


def _unit_row(u: Unit, position: int, now: datetime, actor: str | None) -> dict[str, Any]:
    return {"id": u.id, "name": u.name, "position": position} | shape_values(u.geometry, now, actor)
