"""Compare a scenario with the live plan or another scenario.

Both plans are read in one transaction (each snapshot from its own cache:
the live plan's stored assignment, a scenario's computed one); the figures
come from ``geo.plan.compare`` and ``geo.plan.balance``. Only the reps whose
book changes are listed (every other rep's figures are equal on both
sides), only the leaf territories whose figures or shape change, and only
the territories whose goals differ.
Travel hours and load are asked for (``travel``): the travel model plans
each book's month, seconds per rep on a cold cache, where every other
figure here is a sum. The figures are kept for the pair of snapshots they
were made from (``_Kept``): until either plan is written, a request reads
the goals and nothing else.
"""

from __future__ import annotations

import csv
import io
import threading
import weakref
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from geo.model import Assignment
from geo.plan.balance import score_territories, summarise
from geo.plan.compare import (
    Figures,
    Moved,
    books,
    leaf_figures,
    moved_accounts,
    rep_figures,
    shape_changes,
)
from geo.plan.model import Goal
from service.auth import Principal
from service.settings import Settings
from service.storage import Store
from service.travel_config import travel_settings
from service.usecases.scenario_goals import by_territory, changed_territories
from service.usecases.scenarios import open_scenario
from service.usecases.snapshot import Snapshot, load_snapshot
from service.views.plan import goal_json

Metric = Literal["accounts", "revenue", "net_profit", "workload_hours"]
_REP_FIGURES = ("accounts", "revenue", "net_profit", "workload_hours", "load_pct", "too_far")
MOVED_CSV_COLUMNS = (
    "id",
    "name",
    "from_territory_id",
    "to_territory_id",
    "from_rep_id",
    "to_rep_id",
    "annual_revenue",
    "visit_hours_per_month",
)


@dataclass(frozen=True)
class Comparison:
    """The answer, the moved accounts for the CSV, and both plans (for the map)."""

    body: dict[str, Any]
    moved: list[Moved]
    before: Snapshot
    after: Snapshot
    titles: tuple[str, str]  # what to call the plans after and before (pages)


def compare_scenario(
    store: Store,
    scenario_id: int,
    other: int | None,
    *,
    principal: Principal,
    settings: Settings,
    travel: bool = False,
    metric: Metric = "revenue",
) -> Comparison:
    """The scenario (after) against ``other`` (before; None: the live plan).

    ``travel`` adds the travel model's hours and load for the reps and
    territories listed (the costly part, memoised per book); the balance
    index is the coefficient of variation of ``metric`` across leaf
    territories (``workload_hours`` needs the travel model for every leaf).
    """
    with store.read() as tx:
        titles = (
            f"Scenario \u201c{open_scenario(tx, scenario_id, principal).name}\u201d",
            "the live plan"
            if other is None
            else f"scenario \u201c{open_scenario(tx, other, principal).name}\u201d",
        )
        after = load_snapshot(tx.within(scenario_id))
        before = load_snapshot(tx.within(other))
        goals = _goal_changes(tx.within(other).find_goals(), tx.within(scenario_id).find_goals())
    figures = _kept_figures(before, after, settings, travel=travel, metric=metric)
    body = {
        "scenario_id": scenario_id,
        "compared_with": "live" if other is None else str(other),
        **figures.body,
        "goals": goals,
    }
    return Comparison(body, figures.moved, before, after, titles)


@dataclass(frozen=True)
class _Figures:
    """Everything in a comparison that both plans' snapshots alone decide."""

    body: dict[str, Any]  # shared by every answer made from it: never changed
    moved: list[Moved]


class _Kept:
    """The last figures computed for one scenario's snapshot against one other plan's.

    Both snapshots are kept per revision (PlanCaches, SnapshotCache): while
    neither plan is written, every request gets the very same pair, and the
    figures (a few hundred ms at 100,000 accounts with a hundred reps listed)
    are the same too. Told apart by identity: a write gives a plan a new snapshot.
    The other plan's snapshot is held weakly: after a live write, the old live
    snapshot (100,000 accounts' assignments) would otherwise live on as long as
    every scenario compared against it did.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.before: weakref.ref[Snapshot] | None = None
        self.figures: _Figures | None = None

    def made_from(self, before: Snapshot) -> bool:
        """Whether the kept figures were made against the very snapshot ``before``."""
        return self.before is not None and self.before() is before


def _kept_figures(
    before: Snapshot, after: Snapshot, settings: Settings, *, travel: bool, metric: Metric
) -> _Figures:
    # The settings are named in the key by value: a test may open the same
    # database with other travel settings.
    model = travel_settings(settings)
    key = ("compare", travel, metric, repr(model), settings.default_max_service_km)
    kept = after.derived(key, _Kept)
    with kept.lock:  # a second request waits for the first's figures
        if kept.figures is not None and kept.made_from(before):
            return kept.figures
        kept.figures = _figures(before, after, settings, travel=travel, metric=metric)
        kept.before = weakref.ref(before)
        return kept.figures


def _figures(
    before: Snapshot, after: Snapshot, settings: Settings, *, travel: bool, metric: Metric
) -> _Figures:
    model = travel_settings(settings)
    moved = moved_accounts(after.accounts, before.assignments, after.assignments, model)
    body = {
        "moved_accounts": [_moved_json(m) for m in moved],
        "moved_count": len(moved),
        "moved_revenue": round(sum(m.annual_revenue or 0.0 for m in moved), 2),
        "reps": _reps(before, after, moved, settings, travel=travel),
        **_territories_and_balance(before, after, settings, travel=travel, metric=metric),
        "unassigned": {"before": _unassigned(before), "after": _unassigned(after)},
    }
    return _Figures(body, moved)


def _goal_changes(before: list[Goal], after: list[Goal]) -> list[dict[str, Any]]:
    """Territories whose goals differ, with every goal of theirs before and after."""
    was, now = by_territory(before), by_territory(after)
    return [
        {
            "territory_id": tid,
            "before": [_goal_json(g) for g in was.get(tid, ())],
            "after": [_goal_json(g) for g in goals],
        }
        for tid, goals in changed_territories(was, now).items()
    ]


def _goal_json(g: Goal) -> dict[str, Any]:
    return {"period": g.period, **goal_json(g)}


def moved_csv(moved: list[Moved]) -> str:
    """The moved accounts as CSV (RFC 4180), one header row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(MOVED_CSV_COLUMNS)
    for m in moved:
        row = _moved_json(m)
        writer.writerow(["" if row[c] is None else row[c] for c in MOVED_CSV_COLUMNS])
    return out.getvalue()


def _moved_json(m: Moved) -> dict[str, Any]:
    return {
        "id": m.account_id,
        "name": m.name,
        "from_territory_id": m.from_territory_id,
        "to_territory_id": m.to_territory_id,
        "from_rep_id": m.from_rep_id,
        "to_rep_id": m.to_rep_id,
        "annual_revenue": m.annual_revenue,
        "visit_hours_per_month": m.visit_hours_per_month,
    }


def _reps(
    before: Snapshot, after: Snapshot, moved: list[Moved], settings: Settings, *, travel: bool
) -> list[dict[str, Any]]:
    changed = {r for m in moved for r in (m.from_rep_id, m.to_rep_id) if r is not None}
    reps = {r.id: r for r in after.reps if r.id in changed}
    was = books(before.accounts, before.assignments, reps)
    now = books(after.accounts, after.assignments, reps)
    model = travel_settings(settings) if travel else None
    out = []
    for rep_id, rep in sorted(reps.items()):
        a = rep_figures(rep, *was[rep_id], model, settings.default_max_service_km)
        b = rep_figures(rep, *now[rep_id], model, settings.default_max_service_km)
        pairs = {k: _pair(getattr(a, k), getattr(b, k)) for k in _REP_FIGURES}
        out.append({"rep_id": rep_id, "name": rep.name, **pairs})
    return out


def _territories_and_balance(
    before: Snapshot, after: Snapshot, settings: Settings, *, travel: bool, metric: Metric
) -> dict[str, Any]:
    was = leaf_figures(before.leaves, before.accounts, before.assignments)
    now = leaf_figures(after.leaves, after.accounts, after.assignments)
    shapes = {c.territory_id: c for c in shape_changes(before.leaves, after.leaves)}
    listed = sorted(
        tid
        for tid in set(was) | set(now)
        if tid in shapes or tid not in was or tid not in now or was[tid] != now[tid]
    )
    hours_was = hours_now = None
    if travel or metric == "workload_hours":
        hours_was, hours_now = _workloads(before, settings), _workloads(after, settings)
    names = {t.id: t.name for t in (*before.leaves, *after.leaves)}
    out = []
    for tid in listed:
        a, b, shape = was.get(tid), now.get(tid), shapes.get(tid)
        out.append(
            {
                "territory_id": tid,
                "name": names[tid],
                "status": "added" if a is None else "removed" if b is None else "changed",
                "accounts": _pair(_get(a, "accounts"), _get(b, "accounts")),
                "revenue": _pair(_get(a, "revenue"), _get(b, "revenue")),
                "net_profit": _pair(_get(a, "net_profit"), _get(b, "net_profit")),
                "workload_hours": _pair(
                    hours_was.get(tid) if hours_was else None,
                    hours_now.get(tid) if hours_now else None,
                ),
                "added_km2": shape.added_km2 if shape is not None else 0.0,
                "removed_km2": shape.removed_km2 if shape is not None else 0.0,
            }
        )
    if metric == "workload_hours":
        assert hours_was is not None and hours_now is not None
        values = list(hours_was.values()), list(hours_now.values())
    else:
        values = (
            [_value(f, metric) for f in was.values()],
            [_value(f, metric) for f in now.values()],
        )
    balance = {"metric": metric, **_pair(_cv(values[0]), _cv(values[1]))}
    return {"territories": out, "balance": balance}


def _workloads(snap: Snapshot, settings: Settings) -> dict[int, float]:
    """Each leaf's workload hours from the balance view's travel model (memoised per book)."""
    report = score_territories(
        snap.territories,
        snap.accounts,
        snap.assignments,
        snap.reps,
        metric="workload_hours",
        settings=travel_settings(settings),
    )
    return {r.territory_id: r.workload_hours for r in report.rows}


def _value(f: Figures, metric: Metric) -> float:
    return float(f.accounts if metric == "accounts" else getattr(f, metric))


def _cv(values: list[float]) -> float | None:
    return summarise(np.array(values, dtype=float))[1] if values else None


def _get(row: Figures | None, name: str) -> float | None:
    return None if row is None else float(getattr(row, name))


def _pair(before: float | None, after: float | None) -> dict[str, float | None]:
    return {"before": _round(before), "after": _round(after)}


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def _unassigned(snap: Snapshot) -> int:
    return sum(1 for s in snap.assignments if _is_unassigned(s))


def _is_unassigned(s: Assignment) -> bool:
    return s.assignment.startswith("unassigned")
