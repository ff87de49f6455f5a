"""Cadence rules: set on a territory, inherited down; which rule an account gets and why."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter

from service.auth import (
    ANYONE,
    STAFF,
    Principal,
    allow,
    ensure_can_write_territory,
    ensure_rep_owns,
)
from service.routers.docs import READ_RESPONSES, WRITE_RESPONSES
from service.schemas.schedule_answers import AccountCadenceOut, TerritoryCadenceOut
from service.schemas.schedules import CadenceIn
from service.usecases.cadences import (
    account_keys,
    applied_json,
    applied_rules,
    checked_rules,
    rule_json,
    stored_rules,
)
from service.usecases.snapshot import load_snapshot
from service.web.deps import AccountId, StoreDep, TerritoryId

router = APIRouter(tags=["schedules"])


@router.put(
    "/territories/{territory_id}/cadence",
    response_model=TerritoryCadenceOut,
    responses=WRITE_RESPONSES,
    operation_id="put_territory_cadence",
)
def put_cadence(
    territory_id: TerritoryId,
    body: CadenceIn,
    store: StoreDep,
    principal: Annotated[Principal, allow(*STAFF)],
) -> dict[str, Any]:
    """Replace a territory's cadence rules; its subtree inherits them where it sets none.

    Every problem of every rule is answered at once (422, with pointers such
    as ``/rules/0/max_days``); nothing is stored then.
    """
    with store.read() as tx:
        territory = tx.get_territory(territory_id)  # 404 when unknown
        parents = {t.id: t.parent_id for t in tx.find_territories()}
    ensure_can_write_territory(principal, territory, parents)
    items = [r.model_dump(mode="json") for r in body.rules]
    rules = checked_rules(items)
    with store.write() as tx:
        tx.get_territory(territory_id)  # deleted meanwhile: 404, nothing stored
        tx.replace_cadence(territory_id, items, actor=principal.name)
    return {"territory_id": territory_id, "rules": [rule_json(r) for r in rules]}


@router.get(
    "/territories/{territory_id}/cadence",
    response_model=TerritoryCadenceOut,
    responses=READ_RESPONSES,
    operation_id="get_territory_cadence",
)
def get_cadence(
    territory_id: TerritoryId, store: StoreDep, principal: Annotated[Principal, allow(*STAFF)]
) -> dict[str, Any]:
    """The rules set on the territory itself (inherited ones: see the account route)."""
    with store.read() as tx:
        tx.get_territory(territory_id)  # 404 when unknown
        rules = stored_rules(tx.cadence_rules()).get(territory_id, [])
    return {"territory_id": territory_id, "rules": [rule_json(r) for r in rules]}


@router.get(
    "/accounts/{account_id}/cadence",
    response_model=AccountCadenceOut,
    responses=READ_RESPONSES,
    operation_id="get_account_cadence",
)
def get_account_cadence(
    account_id: AccountId, store: StoreDep, principal: Annotated[Principal, allow(*ANYONE)]
) -> dict[str, Any]:
    """The rule per channel that applies to the account, and why; a rep: own accounts only."""
    with store.read() as tx:
        stored = tx.get_account(account_id)  # 404 when unknown
        ensure_rep_owns(
            principal, stored.assignment.rep_id, "A rep may read only their own accounts."
        )
        snap = load_snapshot(tx)
        pipeline = tx.find_pipeline(account_id=account_id)
        rules = stored_rules(tx.cadence_rules())
    keys = account_keys(snap, pipeline)
    parents = {t.id: t.parent_id for t in snap.territories}
    applied = applied_rules([stored.account], keys, rules, parents)[account_id]
    return applied_json(stored.account, stored.assignment, keys[account_id], applied)
