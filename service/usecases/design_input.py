"""A design request checked whole against the store, and the units it works on.

:func:`prepare_design` reads the scenario, its leaves, the reps, the unit
layer and the accounts in one read transaction, collects every problem of
the body (each with its pointer) and raises them together, so a job is
accepted only for a request that can run. The arrays the partitioner needs
are built by :mod:`service.usecases.design_request`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import numpy as np
import shapely

from geo.design.model import DesignRequest, Finding, UnitGraph
from geo.design.units import clip_units, h3_units, plan_units, unit_graph
from geo.errors import InvalidInputError, Issue
from geo.hierarchy import in_subtree, leaf_territories
from geo.model import Account, Rep, Territory
from service.auth import Principal, is_regional
from service.schemas.design import DesignIn
from service.settings import Settings
from service.storage import NotFoundError, Tx
from service.usecases.design_request import Books, build_request
from service.usecases.scenarios import ensure_draft, open_scenario
from service.usecases.snapshot import Snapshot, load_snapshot

Mode = Literal["design", "rebalance"]
_H3 = re.compile(r"^h3:(\d{1,2})$")


@dataclass(frozen=True)
class DesignPlan:
    """Everything a design job needs, read in one transaction and checked.

    ``reps`` has one entry per territory position (None: an anonymous slot
    of ``k``); ``leaves`` are the scenario's leaves the design replaces (or,
    rebalancing, re-owns); ``current`` is each unit's rep position today
    (rebalance only); ``today`` the same for any units (-1: in no leaf of
    those reps), for the figures before; ``notes`` what the request already
    cannot keep (customers of two reps in one unit); ``books`` where each
    account counts (for the travel model's figures).
    """

    scenario_id: int
    body: DesignIn
    mode: Mode
    request: DesignRequest
    reps: tuple[Rep | None, ...]
    leaves: tuple[Territory, ...]
    parent_id: int | None
    current: np.ndarray | None
    today: np.ndarray
    notes: tuple[Finding, ...] = ()
    books: Books | None = None


@dataclass(frozen=True)
class _Scope:
    leaves: tuple[Territory, ...]
    parent_id: int | None
    region: shapely.Geometry | None


def prepare_design(
    tx: Tx, scenario_id: int, body: DesignIn, principal: Principal, settings: Settings
) -> DesignPlan:
    """Check ``body`` against the scenario and the store; 422 with every problem, 409 if not a draft."""
    ensure_draft(open_scenario(tx, scenario_id, principal))
    ptx = tx.within(scenario_id)
    scope = _scope(ptx.find_territories(), principal)
    issues: list[Issue] = []
    mode: Mode = "rebalance" if body.units == "territories" else "design"
    reps = _reps(tx, body, scope, mode, issues)
    _check_metrics(body, mode, issues)
    graph, unit_of = _units(ptx, body, scope, settings, issues)
    if issues or graph is None:
        raise _invalid(issues)
    snapshot = load_snapshot(ptx)
    accounts = _in_region(snapshot.accounts, scope.region)
    current = _current(scope, reps, issues) if mode == "rebalance" else None
    _check_k(body, graph, len(reps), issues)
    if issues:
        raise _invalid(issues)
    today = _owners(graph, scope, reps, current)
    served_by = _served_by(snapshot, reps) if body.keep_relationships else {}
    request, notes, books = build_request(
        graph, unit_of, accounts, reps, body, settings, today, served_by, issues
    )
    if issues:
        raise _invalid(issues)
    return DesignPlan(
        scenario_id,
        body,
        mode,
        request,
        reps,
        scope.leaves,
        scope.parent_id,
        current,
        today,
        tuple(notes),
        books,
    )


def _invalid(issues: list[Issue]) -> InvalidInputError:
    return InvalidInputError("The design request is invalid; no job was started.", issues)


def scope_leaves(territories: list[Territory], principal: Principal) -> list[Territory]:
    """The leaves a caller may design or edit by unit: all, or a regional manager's region's."""
    return list(_scope(territories, principal).leaves)


def _scope(territories: list[Territory], principal: Principal) -> _Scope:
    """The leaves a caller's design replaces: all, or a regional manager's region's."""
    leaves = leaf_territories(territories)
    if not is_regional(principal):
        parents = {t.parent_id for t in leaves}
        return _Scope(tuple(leaves), parents.pop() if len(parents) == 1 else None, None)
    region_id = principal.region_id
    assert region_id is not None
    parents_of = {t.id: t.parent_id for t in territories}
    mine = [t for t in leaves if t.id != region_id and in_subtree(t.id, region_id, parents_of)]
    region = next((t.geometry for t in territories if t.id == region_id), None)
    return _Scope(tuple(mine), region_id, region)


def _reps(
    tx: Tx, body: DesignIn, scope: _Scope, mode: Mode, issues: list[Issue]
) -> tuple[Rep | None, ...]:
    """One entry per territory: the reps asked for, the leaves' reps, or ``k`` empty slots."""
    if body.rep_ids is not None:
        out: list[Rep | None] = []
        for i, rep_id in enumerate(body.rep_ids):
            if rep_id in body.rep_ids[:i]:
                issues.append(
                    Issue(f"/rep_ids/{i}", f"rep {rep_id} is listed twice", code="duplicate")
                )
                continue
            try:
                out.append(tx.get_rep(rep_id))
            except NotFoundError:
                issues.append(Issue(f"/rep_ids/{i}", f"no rep {rep_id}", code="unknown-rep"))
        return tuple(out)
    if mode == "rebalance":
        # The leaves' owners; a leaf naming a deleted rep is reported as unowned.
        wanted = {t.rep_ids[0] for t in scope.leaves if t.rep_ids}
        return tuple(r for r in tx.find_reps() if r.id in wanted)
    if body.k is None:
        issues.append(Issue("/k", "give k or rep_ids", code="required"))
        return ()
    return (None,) * body.k


def _check_metrics(body: DesignIn, mode: Mode, issues: list[Issue]) -> None:
    names = [m.name for m in body.metrics]
    for j, name in enumerate(names):
        if name in names[:j]:
            issues.append(Issue(f"/metrics/{j}/name", f"{name} is listed twice", code="duplicate"))
    if body.max_moved_pct is not None and mode != "rebalance":
        reason = 'max_moved_pct applies to a rebalance ("units": "territories")'
        issues.append(Issue("/max_moved_pct", reason, code="not-applicable"))


def _check_k(body: DesignIn, graph: UnitGraph, territories: int, issues: list[Issue]) -> None:
    if body.k is not None and body.k != territories and territories:
        reason = f"k is {body.k} but the design has {territories} reps"
        issues.append(Issue("/k", reason, code="mismatch"))
    if territories > graph.n:
        where = "/k" if body.rep_ids is None and body.k is not None else "/rep_ids"
        reason = f"{territories} territories cannot be made from {graph.n} units"
        issues.append(Issue(where, reason, code="too-many"))
    if territories == 0 and not issues:
        issues.append(Issue("/rep_ids", "no rep owns a leaf of the scenario", code="empty"))


def _units(
    ptx: Tx, body: DesignIn, scope: _Scope, settings: Settings, issues: list[Issue]
) -> tuple[UnitGraph | None, np.ndarray | None]:
    """The unit graph and, for hexagons, each account's unit (else located later)."""
    if body.units == "territories":
        if not scope.leaves:
            issues.append(Issue("/units", "the scenario has no territories", code="empty"))
            return None, None
        return plan_units(scope.leaves), None
    if body.units == "uploaded":
        return _uploaded(ptx, scope, issues), None
    found = _H3.match(body.units)
    if found is None or int(found.group(1)) > 15:
        reason = 'expected "uploaded", "territories" or "h3:<resolution 0-15>"'
        issues.append(Issue("/units", reason, code="bad-units"))
        return None, None
    return _hexagons(ptx, scope, int(found.group(1)), settings, issues)


def _uploaded(ptx: Tx, scope: _Scope, issues: list[Issue]) -> UnitGraph | None:
    units = ptx.all_units()
    if scope.region is not None:
        units = [u for u in units if scope.region.intersects(u.geometry)]
    graph = None
    if units:
        geometries = [u.geometry for u in units]
        graph = unit_graph([u.id for u in units], geometries, [u.name for u in units])
    if graph is not None and scope.region is not None:
        graph, _ = clip_units(graph, scope.region)  # a manager designs inside the region only
    if graph is None or graph.n == 0:
        issues.append(
            Issue("/units", "no unit layer here; POST /units/import first", code="no-units")
        )
        return None
    return graph


def _hexagons(
    ptx: Tx, scope: _Scope, resolution: int, settings: Settings, issues: list[Issue]
) -> tuple[UnitGraph | None, np.ndarray | None]:
    accounts = _in_region(load_snapshot(ptx).accounts, scope.region)
    lonlat = np.array([a.location if a.location else (np.nan, np.nan) for a in accounts])
    if not np.isfinite(lonlat.reshape(-1, 2)).all(axis=1).any():
        issues.append(Issue("/units", "no located account to lay hexagons over", code="no-units"))
        return None, None
    graph, unit_of = h3_units(lonlat.reshape(-1, 2), resolution)
    if scope.region is not None:
        # The ring of hexagons around accounts near the edge reaches past the
        # region: cut them to it, or the design would draw over a neighbour.
        graph, position = clip_units(graph, scope.region)
        unit_of = np.where(unit_of >= 0, position[unit_of], -1)
    if graph.n > settings.max_design_units:
        reason = f"resolution {resolution} gives {graph.n} hexagons (at most {settings.max_design_units}); choose a coarser one"
        issues.append(Issue("/units", reason, code="too-many-units"))
        return None, None
    return graph, unit_of


def _in_region(accounts: tuple[Account, ...], region: shapely.Geometry | None) -> list[Account]:
    if region is None:
        return list(accounts)
    return [a for a in accounts if a.location and region.covers(shapely.Point(a.location))]


def _served_by(snapshot: Snapshot, reps: tuple[Rep | None, ...]) -> dict[str, int]:
    """Customers served today by one of the designed reps (by geometry): account id -> rep id."""
    wanted = {r.id for r in reps if r is not None}
    return {
        a.id: s.rep_id
        for a, s in zip(snapshot.accounts, snapshot.assignments, strict=True)
        if a.stage == "customer" and s.rep_id in wanted and s.assignment != "override"
    }


def _current(scope: _Scope, reps: tuple[Rep | None, ...], issues: list[Issue]) -> np.ndarray:
    """Rebalance: the rep position of each leaf today (every leaf needs one of the reps)."""
    position = {r.id: i for i, r in enumerate(reps) if r is not None}
    out = np.full(len(scope.leaves), -1, dtype=np.int64)
    for u, leaf in enumerate(scope.leaves):
        owner = leaf.rep_ids[0] if leaf.rep_ids else None
        if owner in position:
            out[u] = position[owner]
        else:
            who = f"rep {owner}, not listed in rep_ids" if owner else "no rep"
            issues.append(Issue("/rep_ids", f"territory {leaf.id} has {who}", code="unowned-leaf"))
    return out


def _owners(
    graph: UnitGraph, scope: _Scope, reps: tuple[Rep | None, ...], current: np.ndarray | None
) -> np.ndarray:
    """The rep position holding each unit today (-1: none), what a locked unit keeps."""
    if current is not None:
        return current
    position = {r.id: i for i, r in enumerate(reps) if r is not None}
    out = np.full(graph.n, -1, dtype=np.int64)
    if not position or not scope.leaves:
        return out
    tree = shapely.STRtree([t.geometry for t in scope.leaves])
    units, leaves = tree.query(shapely.points(graph.centroids), predicate="within")
    for u, leaf in zip(units.tolist(), leaves.tolist(), strict=True):
        reps_of = scope.leaves[leaf].rep_ids
        if reps_of and reps_of[0] in position:
            out[u] = position[reps_of[0]]
    return out
