"""The partitioner's request from a checked design body: territories, weights, locks.

Targets follow capacity (a rep's weekly hours over the default: a half-time
rep gets half); a rep's home seeds their territory; accounts an owner
override gives to one of the reps stay with that rep (pinned), wherever
their unit goes. ``workload_hours`` adds the travel proxy of
:func:`geo.design.aggregate.travel_hours` from each rep's home.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from geo.design.aggregate import aggregate, locate_in_units, travel_hours
from geo.design.model import DesignRequest, MetricSpec, TerritorySpec, UnitGraph
from geo.errors import Issue
from geo.model import Account, Rep
from service.schemas.design import DesignIn
from service.settings import Settings
from service.travel_config import travel_settings


def build_request(
    graph: UnitGraph,
    unit_of: np.ndarray | None,
    accounts: Sequence[Account],
    reps: Sequence[Rep | None],
    body: DesignIn,
    settings: Settings,
    owners: np.ndarray,
    issues: list[Issue],
) -> DesignRequest:
    """The :class:`DesignRequest`; problems of the body (locks, empty metrics) go to ``issues``."""
    specs = tuple(_spec(graph, i, rep, settings) for i, rep in enumerate(reps))
    position = {r.id: i for i, r in enumerate(reps) if r is not None}
    pinned = {a.id: position[a.owner_rep_id] for a in accounts if a.owner_rep_id in position}
    ts = travel_settings(settings)
    summed = aggregate(graph, accounts, ts, unit_of, pinned)
    names = [m.name for m in body.metrics]
    weights = np.stack([summed.column(n) for n in names], axis=1)
    fixed = summed.fixed(len(specs), names)
    for j, name in enumerate(names):
        if weights[:, j].sum() + fixed[:, j].sum() <= 0:
            reason = f"no account carries any {name} here: nothing to balance"
            issues.append(Issue(f"/metrics/{j}/name", reason, code="nothing-to-balance"))
    extra = None
    if "workload_hours" in names and any(s.home is not None for s in specs):
        extra = np.zeros((graph.n, len(specs), len(names)))
        extra[:, :, names.index("workload_hours")] = travel_hours(graph, summed.visits, specs, ts)
    return DesignRequest(
        graph=graph,
        weights=weights,
        metrics=tuple(MetricSpec(m.name, m.tolerance_pct) for m in body.metrics),
        territories=specs,
        extra=extra,
        fixed=fixed if pinned else None,
        locked=_locks(graph, body, owners, issues),
        seed=body.seed,
        time_limit_s=settings.design_time_limit_s,
    )


def _spec(graph: UnitGraph, i: int, rep: Rep | None, settings: Settings) -> TerritorySpec:
    if rep is None:
        return TerritorySpec(f"T{i + 1}")
    default = settings.default_weekly_capacity_hours
    capacity = (rep.weekly_capacity_hours or default) / default
    home_unit = None
    if rep.home is not None:
        found = int(locate_in_units(graph, np.array([rep.home], dtype=np.float64))[0])
        home_unit = found if found >= 0 else None
    return TerritorySpec(
        str(rep.id),
        capacity=capacity,
        home=rep.home,
        home_unit=home_unit,
        max_drive_km=rep.max_service_km,
    )


def _locks(
    graph: UnitGraph, body: DesignIn, owners: np.ndarray, issues: list[Issue]
) -> dict[int, int]:
    """Locked unit -> the rep position holding it today."""
    position = {u: i for i, u in enumerate(graph.ids)}
    out: dict[int, int] = {}
    for i, unit_id in enumerate(body.locked_units):
        u = position.get(unit_id)
        if u is None:
            issues.append(Issue(f"/locked_units/{i}", f"no unit {unit_id!r}", code="unknown-unit"))
        elif owners[u] < 0:
            reason = f"unit {unit_id!r} lies in no territory of the reps designed for"
            issues.append(Issue(f"/locked_units/{i}", reason, code="unowned-unit"))
        else:
            out[u] = int(owners[u])
    return out
