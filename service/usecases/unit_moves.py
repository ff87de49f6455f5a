"""Move one unit from its territory to a neighbouring one, inside a draft scenario.

The two territories are recomputed as unions of their units
(:func:`geo.design.territory_geometries`: valid, no slivers, no overlaps
since units form a coverage) and written through the change-set engine
with the versions the caller last read, so the gate, overlap policy,
authorization, ETags and history are those of every territory write.

Contiguity: a move that would split the territory it leaves into two parts
is refused (409 ``would-disconnect``), as the design never splits one; the
territory it joins touches the unit, so it stays in one part. A territory
already in several parts (drawn so by hand) is reported, not refused. The
answer carries the balance figures of every territory in scope before and
after, so the editor's panel updates without another request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from geo.design import territory_geometries
from geo.errors import InvalidInputError, Issue
from geo.geojson import geometry_to_geojson
from service.auth import Principal
from service.settings import Settings
from service.storage import ConflictError, Store
from service.storage.territory_rows import draft_of
from service.usecases.change_sets import Operation, Policy, apply_change_set, draft_fields
from service.usecases.scenarios import ensure_draft, open_scenario
from service.usecases.unit_plan import UnitPlan, load_unit_plan, unit_figures
from service.web.problems import forbidden


class LockedUnitError(ConflictError):
    """The unit is locked to its territory (by the design, or by a pinned account)."""

    code = "locked-unit"
    title = "Locked unit"


class WouldDisconnectError(ConflictError):
    """The move would split (or empty) the territory the unit leaves."""

    code = "would-disconnect"
    title = "Move would disconnect the territory"


@dataclass(frozen=True)
class UnitMove:
    """The caller's move: a unit, its new territory, and the versions they last read."""

    unit_id: str
    to_territory_id: int
    from_version: int | None
    to_version: int | None


def move_unit(
    store: Store, scenario_id: int, move: UnitMove, principal: Principal, settings: Settings
) -> dict[str, Any]:
    """Check and make ``move``; the figures before and after. Nothing is written on a refusal."""
    with store.read() as tx:
        ensure_draft(open_scenario(tx, scenario_id, principal))
        plan = load_unit_plan(tx, scenario_id, principal, settings)
    u, a, b = _check(store, plan, move)
    state = plan.state()
    state.move(u, b)
    shapes = territory_geometries(plan.request.graph, state.assign, plan.request.k)
    ops = [
        Operation(
            "replace",
            plan.leaves[t].id,
            version,
            draft_fields(draft_of(plan.leaves[t])),
            geometry_to_geojson(shapes[t]),
            "unit-move",
        )
        for t, version in ((a, move.from_version), (b, move.to_version))
    ]
    with store.in_plan(scenario_id).write() as tx:
        ensure_draft(open_scenario(tx, scenario_id, principal))
        outcome = apply_change_set(
            tx,
            ops,
            principal=principal,
            settings=settings,
            policy=Policy("reject", kind="unit-move"),
        )
    versions = {r.id: r.version for r in outcome.results}
    after = unit_figures(plan, state.assign)
    for row in after["territories"]:
        row["version"] = versions.get(row["id"], row["version"])
    return {
        "unit_id": move.unit_id,
        "from_territory_id": plan.leaves[a].id,
        "to_territory_id": plan.leaves[b].id,
        "change_set_id": outcome.id,
        "versions": {str(k): v for k, v in versions.items()},
        "before": unit_figures(plan),
        "after": after,
    }


def _check(store: Store, plan: UnitPlan, move: UnitMove) -> tuple[int, int, int]:
    """The unit's position, its territory and the target's; the refusal when the move cannot be."""
    b = plan.position(move.to_territory_id)
    if b is None:
        _refuse_target(store, plan.scenario_id, move.to_territory_id)
    u = plan.unit(move.unit_id)
    if u is None:
        raise _invalid("/unit_id", f"no unit {move.unit_id!r} in this scenario", "unknown-unit")
    a = int(plan.assign[u])
    assert b is not None
    if a == b:
        reason = f"unit {move.unit_id!r} is already in territory {move.to_territory_id}"
        raise _invalid("/to_territory_id", reason, "same-territory")
    if u in plan.locked:
        raise LockedUnitError(f"Unit {move.unit_id!r} is locked to its territory; it cannot move.")
    state = plan.state()
    if not (state.assign[state.neighbours[u]] == b).any():
        reason = f"territory {move.to_territory_id} does not touch unit {move.unit_id!r}"
        raise _invalid("/to_territory_id", reason, "not-adjacent")
    if state.allowed is not None and not state.allowed[u, b]:
        reason = f"unit {move.unit_id!r} is beyond the rep's drive distance"
        raise _invalid("/to_territory_id", reason, "out-of-reach")
    if state.sizes[a] <= 1:
        raise WouldDisconnectError(
            f"Unit {move.unit_id!r} is the last unit of territory {plan.leaves[a].id}; "
            "moving it would leave that territory empty."
        )
    if not state.keeps_connected(u):
        raise WouldDisconnectError(
            f"Moving unit {move.unit_id!r} would split territory {plan.leaves[a].id} "
            "into separate parts."
        )
    return u, a, b


def _refuse_target(store: Store, scenario_id: int, territory_id: int) -> None:
    """A target that is no leaf in scope: 403 outside the manager's region, else 422."""
    with store.in_plan(scenario_id).read() as tx:
        exists = any(t.id == territory_id for t in tx.find_territories())
    if exists:
        raise forbidden(
            f"Territory {territory_id} is not one of the territories you may edit by unit "
            "(outside your region, or not a leaf)."
        )
    raise _invalid("/to_territory_id", f"no territory {territory_id} here", "unknown-territory")


def _invalid(pointer: str, reason: str, code: str) -> InvalidInputError:
    return InvalidInputError(
        f"The unit move is invalid: {reason}.", [Issue(pointer, reason, code=code)]
    )
