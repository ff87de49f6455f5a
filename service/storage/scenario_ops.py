"""Scenarios: draft plans, each a complete copy of the territory tree.

A copy is four ``INSERT ... SELECT`` statements (the territories, one
``copy`` entry of history each, the goals and the live goals they stand
on), whatever the number of territories: no row travels through Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, delete, func, insert, literal, select, update

from geo.model import Territory
from service.storage.errors import NotFoundError, PreconditionFailedError
from service.storage.goal_ops import GoalOps
from service.storage.shared_counters import SCHEDULES_CHANGED
from service.storage.territory_rows import draft_of, row_values, version_from_row

_EDITABLE = ("name", "code", "parent_id", "rep_ids", "rules", "color", "attributes", "geometry")
_BBOX = ("minx", "miny", "maxx", "maxy", "updated_at", "updated_by")


@dataclass(frozen=True, slots=True)
class Scenario:
    """One draft plan and where it came from."""

    id: int
    name: str
    owner: str | None
    region_id: int | None
    notes: str | None
    status: str
    base_revision: int
    base_versions: dict[int, int]
    source: str
    created_at: datetime
    updated_at: datetime
    updated_by: str | None
    version: int
    revision: int
    applied_change_set_id: int | None
    effective_date: date | None = None


class ScenarioOps(GoalOps):
    """Mixin of :class:`~service.storage.store.Tx` for scenarios (the rows, not their territories)."""

    def create_scenario(
        self,
        name: str,
        *,
        source: int | None,
        owner: str | None,
        region_id: int | None,
        notes: str | None,
    ) -> Scenario:
        """Copy the live plan (``source`` None) or another scenario into a new scenario."""
        if source is None:
            base_revision = self._live_revision()
            tt = self.t["territories"]
            rows = self.conn.execute(select(tt.c.id, tt.c.version))
            base_versions = {str(i): int(v) for i, v in rows}
        else:
            origin = self.get_scenario(source)
            base_revision = origin.base_revision
            base_versions = {str(k): v for k, v in origin.base_versions.items()}
        sc = self.t["scenarios"]
        new_id = self.conn.execute(
            insert(sc)
            .values(
                name=name,
                owner=owner,
                region_id=region_id,
                notes=notes,
                status="draft",
                base_revision=base_revision,
                base_versions=base_versions,
                source="live" if source is None else f"scenario:{source}",
                created_at=self.now,
                updated_at=self.now,
                updated_by=owner,
                version=1,
                revision=0,
            )
            .returning(sc.c.id)
        ).scalar_one()
        self.copy_territory_tree(int(new_id), source, actor=owner)
        self.copy_goals(int(new_id), source)
        return self.get_scenario(int(new_id))

    def copy_territory_tree(self, target: int, source: int | None, *, actor: str | None) -> None:
        """Copy every territory of ``source`` (live when None) into scenario ``target``.

        Two set-based statements: the rows, and one ``copy`` entry of history
        per territory (each keeps its version number).
        """
        src = self.t["territories"] if source is None else self.t["scenario_territories"]
        keep = [] if source is None else [src.c.scenario_id == source]
        cols = ["id", "version", *_EDITABLE, *_BBOX]
        rows = select(literal(target), *[src.c[c] for c in cols]).where(*keep)
        st = self.t["scenario_territories"]
        self.conn.execute(insert(st).from_select(["scenario_id", *cols], rows))
        sv = self.t["scenario_territory_versions"]
        history = select(
            literal(target),
            src.c.id,
            src.c.version,
            literal("copy"),
            *[src.c[c] for c in (*_EDITABLE, *_BBOX)],
        ).where(*keep)
        self.conn.execute(
            insert(sv).from_select(
                ["scenario_id", "territory_id", "version", "op", *_EDITABLE, *_BBOX], history
            )
        )

    def clear_territory_tree(self, scenario_id: int) -> None:
        """Remove a scenario's territories, history and change sets."""
        for name in ("scenario_territories", "scenario_territory_versions", "scenario_change_sets"):
            table = self.t[name]
            self.conn.execute(delete(table).where(table.c.scenario_id == scenario_id))
        self.clear_goals(scenario_id)

    def rewrite_territories(
        self,
        scenario_id: int,
        written: Sequence[tuple[Territory, int]],
        removed: Sequence[tuple[int, Territory, int]],
        *,
        actor: str | None,
        change_set_id: int,
    ) -> None:
        """Replace some of a scenario's territories at once (a rebase); each gets a history entry.

        ``written`` holds (territory, its new version), ``removed`` (id, last
        values, version of the ``delete`` entry). Rows go out and back in as
        two set-based statements, so a swap of codes between two territories
        never meets the unique index half-way.
        """
        st, sv = self.t["scenario_territories"], self.t["scenario_territory_versions"]
        ids = [t.id for t, _ in written] + [i for i, _, _ in removed]
        if not ids:
            return
        self.conn.execute(delete(st).where(st.c.scenario_id == scenario_id, st.c.id.in_(ids)))
        rows = [
            {"scenario_id": scenario_id, "id": t.id, "version": v}
            | row_values(draft_of(t), self.now, actor)
            for t, v in written
        ]
        if rows:
            self.conn.execute(insert(st), rows)
        history = [
            {"territory_id": r["id"], "op": "rebase", "change_set_id": change_set_id}
            | {k: v for k, v in r.items() if k != "id"}
            for r in rows
        ] + [
            {"scenario_id": scenario_id, "territory_id": i, "version": v, "op": "delete"}
            | {"change_set_id": change_set_id}
            | row_values(draft_of(t), self.now, actor)
            for i, t, v in removed
        ]
        self.conn.execute(insert(sv), history)

    def history_tops(self, scenario_id: int) -> dict[int, int]:
        """The highest version each territory's history holds in a scenario."""
        sv = self.t["scenario_territory_versions"]
        q = (
            select(sv.c.territory_id, func.max(sv.c.version))
            .where(sv.c.scenario_id == scenario_id)
            .group_by(sv.c.territory_id)
        )
        return {int(i): int(v) for i, v in self.conn.execute(q)}

    def live_versions_at(self, versions: dict[int, int]) -> dict[int, Territory]:
        """The live territories as they were at the given versions (from history)."""
        tv = self.t["territory_versions"]
        wanted = sorted(versions)
        out: dict[int, Territory] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            q = select(tv).where(tv.c.territory_id.in_(chunk))
            for row in self.conn.execute(q):
                v = version_from_row(row)
                if versions[v.territory.id] == v.territory.version:
                    out[v.territory.id] = v.territory
        return out

    def get_scenario(self, scenario_id: int) -> Scenario:
        """One scenario."""
        sc = self.t["scenarios"]
        row = self.conn.execute(select(sc).where(sc.c.id == scenario_id)).first()
        if row is None:
            raise NotFoundError(f"Scenario {scenario_id} does not exist.")
        return _scenario_from_row(row)

    def find_scenarios(
        self, *, region_id: int | None = None, after_id: int = 0, limit: int | None = None
    ) -> list[Scenario]:
        """Scenarios by id; ``region_id`` keeps those of one region."""
        sc = self.t["scenarios"]
        q = select(sc).where(sc.c.id > after_id).order_by(sc.c.id)
        if region_id is not None:
            q = q.where(sc.c.region_id == region_id)
        if limit is not None:
            q = q.limit(limit)
        return [_scenario_from_row(r) for r in self.conn.execute(q)]

    def update_scenario(
        self, scenario_id: int, *, expected_version: int | None, actor: str | None, **values: Any
    ) -> Scenario:
        """Change a scenario's name, notes, status, base or applied change set."""
        current = self.get_scenario(scenario_id)
        if expected_version is not None and expected_version != current.version:
            raise PreconditionFailedError(
                f"Scenario {scenario_id} is at version {current.version}, not {expected_version}.",
                current_version=current.version,
                updated_by=current.updated_by,
            )
        if "base_versions" in values:
            values["base_versions"] = {str(k): v for k, v in values["base_versions"].items()}
        if values.keys() & {"status", "effective_date"}:
            # What is scheduled may change: every worker reads it again (ScheduledSwitches).
            self.move_shared_counter(SCHEDULES_CHANGED)
        sc = self.t["scenarios"]
        self.conn.execute(
            update(sc)
            .where(sc.c.id == scenario_id)
            .values(version=sc.c.version + 1, updated_at=self.now, updated_by=actor, **values)
        )
        return self.get_scenario(scenario_id)

    def delete_scenario(self, scenario_id: int, *, expected_version: int | None) -> None:
        """Delete a scenario with its territories and history."""
        current = self.get_scenario(scenario_id)
        if expected_version is not None and expected_version != current.version:
            raise PreconditionFailedError(
                f"Scenario {scenario_id} is at version {current.version}, not {expected_version}.",
                current_version=current.version,
                updated_by=current.updated_by,
            )
        self.clear_territory_tree(scenario_id)
        if current.status == "scheduled":
            self.move_shared_counter(SCHEDULES_CHANGED)
        sc = self.t["scenarios"]
        self.conn.execute(delete(sc).where(sc.c.id == scenario_id))

    def next_effective_date(self) -> date | None:
        """The earliest day a scheduled scenario takes effect (None: nothing scheduled)."""
        sc = self.t["scenarios"]
        q = select(func.min(sc.c.effective_date)).where(sc.c.status == "scheduled")
        found = self.conn.execute(q).scalar()
        return None if found is None else _as_date(found)

    def due_scenarios(self, today: date) -> list[int]:
        """Scheduled scenarios whose day has come, oldest day first."""
        sc = self.t["scenarios"]
        q = (
            select(sc.c.id)
            .where(sc.c.status == "scheduled", sc.c.effective_date <= today)
            .order_by(sc.c.effective_date, sc.c.id)
        )
        return [int(i) for i in self.conn.execute(q).scalars()]

    def scheduled_changes(self, territory_id: int) -> list[tuple[Scenario, str]]:
        """Scheduled scenarios that create, change or delete a live territory, and how.

        Judged by version against the scenario's base (an edit made and
        undone inside the scenario still counts as a change).
        """
        sc, st = self.t["scenarios"], self.t["scenario_territories"]
        out = []
        for row in self.conn.execute(
            select(sc).where(sc.c.status == "scheduled").order_by(sc.c.id)
        ):
            s = _scenario_from_row(row)
            q = select(st.c.version).where(st.c.scenario_id == s.id, st.c.id == territory_id)
            now, base = self.conn.execute(q).scalar(), s.base_versions.get(territory_id)
            kind = (
                None
                if now == base
                else "deleted"
                if now is None
                else "created"
                if base is None
                else "changed"
            )
            if kind is not None:
                out.append((s, kind))
        return out

    def scenario_revision(self, scenario_id: int) -> int:
        """The counter that moves on every territory write inside the scenario."""
        sc = self.t["scenarios"]
        found = self.conn.execute(select(sc.c.revision).where(sc.c.id == scenario_id)).scalar()
        if found is None:
            raise NotFoundError(f"Scenario {scenario_id} does not exist.")
        return int(found)

    def _live_revision(self) -> int:
        cs = self.t["change_sets"]
        return int(self.conn.execute(select(func.coalesce(func.max(cs.c.id), 0))).scalar_one())


def _scenario_from_row(row: Row[Any]) -> Scenario:
    m = row._mapping
    return Scenario(
        id=int(m["id"]),
        name=m["name"],
        owner=m["owner"],
        region_id=m["region_id"],
        notes=m["notes"],
        status=m["status"],
        base_revision=int(m["base_revision"]),
        base_versions={int(k): int(v) for k, v in (m["base_versions"] or {}).items()},
        source=m["source"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        updated_by=m["updated_by"],
        version=int(m["version"]),
        revision=int(m["revision"]),
        applied_change_set_id=m["applied_change_set_id"],
        effective_date=m["effective_date"],
    )


def _as_date(value: Any) -> date:
    # SQLite's MIN() of a DATE column answers the stored text, not a date.
    return value if isinstance(value, date) else date.fromisoformat(str(value))
