"""Compare a scenario with the live plan or another scenario.

Both plans are read in one transaction (each snapshot from its own cache:
the live plan's stored assignment, a scenario's computed one); the figures
come from ``geo.plan.compare`` and ``geo.plan.balance``. Only the reps whose
book changes are listed (every other rep's figures are equal on both
sides), and only the leaf territories whose figures or shape change.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from geo.model import Assignment
from geo.plan.balance import BalanceReport, BalanceRow, score_territories
from geo.plan.compare import Moved, books, moved_accounts, rep_figures, shape_changes
from service.auth import Principal
from service.settings import Settings
from service.storage import Store
from service.travel_config import travel_settings
from service.usecases.scenarios import open_scenario
from service.usecases.snapshot import Snapshot, load_snapshot

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
    """The answer, and the moved accounts for the CSV."""

    body: dict[str, Any]
    moved: list[Moved]


def compare_scenario(
    store: Store,
    scenario_id: int,
    other: int | None,
    *,
    principal: Principal,
    settings: Settings,
) -> Comparison:
    """The scenario (after) against ``other`` (before; None: the live plan)."""
    with store.read() as tx:
        open_scenario(tx, scenario_id, principal)
        if other is not None:
            open_scenario(tx, other, principal)
        after = load_snapshot(tx.within(scenario_id))
        before = load_snapshot(tx.within(other))
    model = travel_settings(settings)
    moved = moved_accounts(after.accounts, before.assignments, after.assignments, model)
    body = {
        "scenario_id": scenario_id,
        "compared_with": "live" if other is None else str(other),
        "moved_accounts": [_moved_json(m) for m in moved],
        "moved_count": len(moved),
        "moved_revenue": round(sum(m.annual_revenue or 0.0 for m in moved), 2),
        "reps": _reps(before, after, moved, settings),
        **_territories_and_balance(before, after, settings),
        "unassigned": {"before": _unassigned(before), "after": _unassigned(after)},
    }
    return Comparison(body, moved)


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
    before: Snapshot, after: Snapshot, moved: list[Moved], settings: Settings
) -> list[dict[str, Any]]:
    changed = {r for m in moved for r in (m.from_rep_id, m.to_rep_id) if r is not None}
    reps = {r.id: r for r in after.reps if r.id in changed}
    was = books(before.accounts, before.assignments, reps)
    now = books(after.accounts, after.assignments, reps)
    model = travel_settings(settings)
    out = []
    for rep_id, rep in sorted(reps.items()):
        a = rep_figures(rep, *was[rep_id], model, settings.default_max_service_km)
        b = rep_figures(rep, *now[rep_id], model, settings.default_max_service_km)
        out.append(
            {
                "rep_id": rep_id,
                "name": rep.name,
                **{
                    k: _pair(getattr(a, k), getattr(b, k))
                    for k in ("accounts", "revenue", "net_profit", "workload_hours")
                },
                "load_pct": _pair(a.load_pct, b.load_pct),
                "too_far": _pair(a.too_far, b.too_far),
            }
        )
    return out


def _territories_and_balance(
    before: Snapshot, after: Snapshot, settings: Settings
) -> dict[str, Any]:
    was, now = _balance(before, settings), _balance(after, settings)
    rows_was = {r.territory_id: r for r in was.rows}
    rows_now = {r.territory_id: r for r in now.rows}
    shapes = {c.territory_id: c for c in shape_changes(before.leaves, after.leaves)}
    out = []
    for tid in sorted(set(rows_was) | set(rows_now)):
        a, b, shape = rows_was.get(tid), rows_now.get(tid), shapes.get(tid)
        if shape is None and a is not None and b is not None and _figures(a) == _figures(b):
            continue
        status = "added" if a is None else "removed" if b is None else "changed"
        named = b if b is not None else a
        assert named is not None
        out.append(
            {
                "territory_id": tid,
                "name": named.name,
                "status": status,
                "accounts": _pair(_get(a, "accounts"), _get(b, "accounts")),
                "revenue": _pair(_get(a, "annual_revenue"), _get(b, "annual_revenue")),
                "net_profit": _pair(_get(a, "net_profit"), _get(b, "net_profit")),
                "workload_hours": _pair(_get(a, "workload_hours"), _get(b, "workload_hours")),
                "added_km2": shape.added_km2 if shape is not None else 0.0,
                "removed_km2": shape.removed_km2 if shape is not None else 0.0,
            }
        )
    return {"territories": out, "balance": _pair(was.cv, now.cv)}


def _balance(snap: Snapshot, settings: Settings) -> BalanceReport:
    return score_territories(
        snap.territories,
        snap.accounts,
        snap.assignments,
        snap.reps,
        metric="workload_hours",
        settings=travel_settings(settings),
    )


def _figures(row: BalanceRow) -> tuple[object, ...]:
    return (row.accounts, row.annual_revenue, row.net_profit, row.workload_hours, row.rep_id)


def _get(row: BalanceRow | None, name: str) -> float | None:
    return None if row is None else float(getattr(row, name))


def _pair(before: float | None, after: float | None) -> dict[str, float | None]:
    return {"before": _round(before), "after": _round(after)}


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def _unassigned(snap: Snapshot) -> int:
    return sum(1 for s in snap.assignments if _is_unassigned(s))


def _is_unassigned(s: Assignment) -> bool:
    return s.assignment.startswith("unassigned")
