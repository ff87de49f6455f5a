"""The partitioner's request from a checked design body: territories, weights, locks.

Targets follow capacity (a rep's weekly hours over the default: a half-time
rep gets half); a rep's home seeds their territory; accounts an owner
override gives to one of the reps stay with that rep (pinned), wherever
their unit goes; with ``keep_relationships`` a customer's unit is locked to
the rep serving it today (:func:`geo.design.pins.relationship_locks`).
``workload_hours`` adds the travel proxy of
:func:`geo.design.aggregate.travel_hours` from each rep's home.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from geo.design.aggregate import aggregate, locate_in_units, travel_hours
from geo.design.model import DesignRequest, Finding, MetricSpec, TerritorySpec, UnitGraph
from geo.design.pins import relationship_locks
from geo.errors import Issue
from geo.model import Account, Rep
from geo.travel.visits import TravelSettings, resolve_speed
from service.schemas.design import DesignIn
from service.settings import Settings
from service.travel_config import travel_settings


@dataclass(frozen=True)
class Books:
    """Where each account counts: its unit, or the territory it is pinned to."""

    accounts: tuple[Account, ...]
    unit_of: np.ndarray  # account -> unit position, -1 when pinned or in no unit
    pinned: np.ndarray  # account -> territory position, -1 when not pinned

    def owners(self, assignment: np.ndarray) -> np.ndarray:
        """Territory position of each account under a unit ``assignment`` (-1: none)."""
        by_unit = np.where(self.unit_of >= 0, assignment[np.maximum(self.unit_of, 0)], -1)
        out: np.ndarray = np.where(self.pinned >= 0, self.pinned, by_unit)
        return out


def build_request(
    graph: UnitGraph,
    unit_of: np.ndarray | None,
    accounts: Sequence[Account],
    reps: Sequence[Rep | None],
    body: DesignIn,
    settings: Settings,
    owners: np.ndarray,
    served_by: Mapping[str, int],
    issues: list[Issue],
) -> tuple[DesignRequest, list[Finding], Books]:
    """The :class:`DesignRequest`, what it already cannot keep, and the accounts' places.

    ``served_by`` maps the id of each customer to keep to the rep id serving
    it today (empty unless ``keep_relationships``). Problems of the body
    (locks, empty metrics) go to ``issues``.
    """
    ts = travel_settings(settings)
    specs = tuple(_spec(graph, i, rep, settings, ts) for i, rep in enumerate(reps))
    position = {r.id: i for i, r in enumerate(reps) if r is not None}
    pinned = {a.id: position[a.owner_rep_id] for a in accounts if a.owner_rep_id in position}
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
    today = np.array([position.get(served_by.get(a.id, -1), -1) for a in accounts], np.int64)
    locked, notes = relationship_locks(
        graph, summed.unit_of, today, specs, _locks(graph, body, owners, issues)
    )
    request = DesignRequest(
        graph=graph,
        weights=weights,
        metrics=tuple(MetricSpec(m.name, m.tolerance_pct) for m in body.metrics),
        territories=specs,
        extra=extra,
        fixed=fixed if pinned else None,
        locked=locked,
        seed=body.seed,
        time_limit_s=settings.design_time_limit_s,
    )
    pins = np.array([pinned.get(a.id, -1) for a in accounts], dtype=np.int64)
    return request, notes, Books(tuple(accounts), summed.unit_of, pins)


def _spec(
    graph: UnitGraph, i: int, rep: Rep | None, settings: Settings, ts: TravelSettings
) -> TerritorySpec:
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
        speed_kmh=resolve_speed(rep, ts)[0],
        circuity=ts.circuity_by_rep.get(rep.id, ts.circuity),
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
