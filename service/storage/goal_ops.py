"""Goals of a plan (live or a scenario), their copies and the goals a change set wrote.

The goal operations follow the transaction's plan (``plan_id``) like the
territory operations do: live goals in ``goals``, a scenario's in
``scenario_goals``. Copies are ``INSERT ... SELECT`` (no row travels through
Python), so a scenario's copy costs two statements whatever its size.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Row, Table, delete, insert, literal, select

from geo.plan.model import Goal
from service.storage.tx_base import TxBase

_COLUMNS = ("territory_id", "period", "metric", "product", "value", "actual")
_STAMP = ("updated_at", "updated_by")
# What one territory's goals were and became: (before, after).
GoalChange = tuple[list[Goal], list[Goal]]


class GoalOps(TxBase):
    """Mixin of :class:`~service.storage.store.Tx` for goals."""

    def _goal_table(self) -> Table:
        return self.t["goals"] if self.plan_id is None else self.t["scenario_goals"]

    def find_goals(
        self, *, territory_id: int | None = None, period: str | None = None
    ) -> list[Goal]:
        """Goals of this plan by territory, period, metric and product."""
        gt = self._goal_table()
        q = (
            select(gt)
            .where(*self.in_plan(gt))
            .order_by(gt.c.territory_id, gt.c.period, gt.c.metric, gt.c.product)
        )
        if territory_id is not None:
            q = q.where(gt.c.territory_id == territory_id)
        if period is not None:
            q = q.where(gt.c.period == period)
        return [_goal(r) for r in self.conn.execute(q)]

    def replace_goals(
        self, territory_id: int, period: str, goals: Sequence[Goal], *, actor: str | None
    ) -> list[Goal]:
        """Replace every goal of a territory for a period (PUT semantics)."""
        gt = self._goal_table()
        self.conn.execute(
            delete(gt).where(
                gt.c.territory_id == territory_id, gt.c.period == period, *self.in_plan(gt)
            )
        )
        self._insert_goals(goals, actor)
        self.bump_revision("none")  # goal figures are kept per revision, like every figure
        detail: dict[str, Any] = {"period": period, "goals": len(goals)}
        if self.plan_id is not None:
            detail["scenario_id"] = self.plan_id
        self.audit(actor, "replace", "goals", str(territory_id), detail)
        return self.find_goals(territory_id=territory_id, period=period)

    def set_territory_goals(
        self, goals_by_territory: Mapping[int, Sequence[Goal]], *, actor: str | None
    ) -> None:
        """Make these territories' goals (every period) exactly the ones given; set-based."""
        if not goals_by_territory:
            return
        gt = self._goal_table()
        ids = sorted(goals_by_territory)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            self.conn.execute(delete(gt).where(gt.c.territory_id.in_(chunk), *self.in_plan(gt)))
        self._insert_goals([g for gs in goals_by_territory.values() for g in gs], actor)
        self.bump_revision("none")  # goals are not part of the plan snapshot

    def _insert_goals(self, goals: Sequence[Goal], actor: str | None) -> None:
        rows = [_row(g) | {"updated_at": self.now, "updated_by": actor} for g in goals]
        if rows:
            self.conn.execute(insert(self._goal_table()), [r | self.plan_key() for r in rows])

    def copy_goals(self, target: int, source: int | None) -> None:
        """Give scenario ``target`` the goals of ``source`` (live when None) and its base goals.

        The base goals are the live goals the source stands on: the live
        goals themselves, or the source scenario's own base.
        """
        if source is None:
            self._copy_into("scenario_goals", target, self.t["goals"], None)
            self._copy_into("scenario_base_goals", target, self.t["goals"], None)
        else:
            self._copy_into("scenario_goals", target, self.t["scenario_goals"], source)
            self._copy_into("scenario_base_goals", target, self.t["scenario_base_goals"], source)

    def _copy_into(self, name: str, target: int, src: Table, source: int | None) -> None:
        cols = [*_COLUMNS, *_STAMP]
        keep = [] if source is None else [src.c.scenario_id == source]
        rows = select(literal(target), *[src.c[c] for c in cols]).where(*keep)
        self.conn.execute(insert(self.t[name]).from_select(["scenario_id", *cols], rows))

    def base_goals(self, scenario_id: int) -> list[Goal]:
        """The live goals as they were when the scenario was taken (or last rebased)."""
        bt = self.t["scenario_base_goals"]
        q = select(bt).where(bt.c.scenario_id == scenario_id)
        return [_goal(r) for r in self.conn.execute(q)]

    def reset_base_goals(self, scenario_id: int) -> None:
        """The scenario's base goals become the live goals as they are now (a rebase)."""
        bt = self.t["scenario_base_goals"]
        self.conn.execute(delete(bt).where(bt.c.scenario_id == scenario_id))
        self._copy_into("scenario_base_goals", scenario_id, self.t["goals"], None)

    def clear_goals(self, scenario_id: int) -> None:
        """Remove a scenario's goals and base goals."""
        for name in ("scenario_goals", "scenario_base_goals"):
            table = self.t[name]
            self.conn.execute(delete(table).where(table.c.scenario_id == scenario_id))

    def record_goal_changes(self, change_set_id: int, changes: Mapping[int, GoalChange]) -> None:
        """Remember what a live change set did to each territory's goals (for its revert)."""
        rows = [
            {
                "change_set_id": change_set_id,
                "territory_id": tid,
                "before": [_json(g) for g in before],
                "after": [_json(g) for g in after],
            }
            for tid, (before, after) in sorted(changes.items())
        ]
        if rows:
            self.conn.execute(insert(self.t["change_set_goals"]), rows)

    def goal_changes(self, change_set_id: int) -> dict[int, GoalChange]:
        """What a live change set did to goals, by territory (none inside a scenario)."""
        if self.plan_id is not None:
            return {}
        ct = self.t["change_set_goals"]
        q = select(ct).where(ct.c.change_set_id == change_set_id).order_by(ct.c.territory_id)
        return {
            int(r.territory_id): (
                [_goal_of(int(r.territory_id), g) for g in r.before],
                [_goal_of(int(r.territory_id), g) for g in r.after],
            )
            for r in self.conn.execute(q)
        }


def _row(g: Goal) -> dict[str, Any]:
    return {
        "territory_id": g.territory_id,
        "period": g.period,
        "metric": g.metric,
        "product": g.product or "",
        "value": g.value,
        "actual": g.actual,
    }


def _json(g: Goal) -> dict[str, Any]:
    return {k: v for k, v in _row(g).items() if k != "territory_id"}


def _goal(row: Row[Any]) -> Goal:
    return _goal_of(int(row._mapping["territory_id"]), row._mapping)


def _goal_of(territory_id: int, m: Any) -> Goal:  # a row's mapping or a JSON object
    return Goal(
        territory_id=territory_id,
        period=m["period"],
        metric=m["metric"],
        value=float(m["value"]),
        product=m["product"] or None,
        actual=None if m["actual"] is None else float(m["actual"]),
    )
