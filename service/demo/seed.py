"""``territory serve --demo``: seed the demo data once, mint one token per role."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import shapely

from geo.assign.assignment import assign_accounts
from geo.assign.index import TerritoryIndex
from geo.model import Account, Assignment
from service.demo.data import build_demo_data
from service.demo.pipeline import build_demo_plan
from service.settings import Settings
from service.storage import Store, Tx
from service.storage.territory_rows import TerritoryDraft
from service.tokens import create_token
from service.usecases.account_import import make_geocoder
from service.usecases.cadences import checked_rules


def refuse_without_auth(settings: Settings) -> str | None:
    """Why the service must not start, or None when it may.

    Without tokens, a bootstrap admin token or development mode, every
    request would be refused (or, worse, allowed): say so at start instead.
    """
    if settings.dev_mode or settings.bootstrap_admin_token:
        return None
    store = Store.open(settings.database_url)
    try:
        with store.read() as tx:
            has_tokens = bool(tx.find_tokens())
    finally:
        store.dispose()
    if has_tokens:
        return None
    return (
        "Refusing to start without authentication: no access token exists. Create one with "
        "`territory token create --role admin`, set TERRITORY_BOOTSTRAP_ADMIN_TOKEN, start with "
        "--demo, or set TERRITORY_DEV_MODE=true for local development."
    )


def ensure_demo(settings: Settings) -> dict[str, str]:
    """Seed the demo data into an empty store; return a fresh token per role."""
    store = Store.open(settings.database_url)
    try:
        with store.read() as tx:
            empty = not tx.find_territories(limit=1)
        if empty:
            seed_demo(store)
        return _demo_tokens(store)
    finally:
        store.dispose()


def seed_demo(store: Store, *, n_accounts: int = 1200) -> None:
    """Write the demo territories, reps and accounts in one transaction."""
    data = build_demo_data(n_accounts=n_accounts)
    geocoder = make_geocoder(Settings(_env_file=None))  # type: ignore[call-arg]
    with store.write() as tx:
        rep_ids = {r.id: tx.insert_rep(r, actor="demo").id for r in data.reps}
        territory_ids: dict[int, int] = {}
        for t in data.territories:  # parents come first
            geom = (
                t.geometry
                if isinstance(t.geometry, shapely.MultiPolygon)
                else shapely.MultiPolygon([t.geometry])
            )
            draft = TerritoryDraft(
                t.name,
                geom,
                t.code,
                territory_ids.get(t.parent_id) if t.parent_id else None,
                tuple(rep_ids[r] for r in t.rep_ids),
                t.rules,
                t.color,
            )
            territory_ids[t.id] = tx.insert_territory(draft, actor="demo").id
        accounts = [_placed(a, geocoder, rep_ids) for a in data.accounts]
        index = TerritoryIndex.build(tx.find_territories())
        assignments = assign_accounts(accounts, index)
        tx.upsert_accounts(list(zip(accounts, assignments, strict=True)), actor="demo")
        _seed_plan(tx, accounts, assignments)
        for t in data.territories:
            if t.parent_id is None:  # the region's rotation, inherited by every territory
                tx.replace_cadence(territory_ids[t.id], checked(DEMO_CADENCE), actor="demo")


# Contact rotation of the demo region, so a rep's "Plan 4 weeks" on /me has
# something to plan: key accounts seen fortnightly, the middle monthly, the
# rest called monthly (the tiers of bench/schedule.py).
DEMO_CADENCE: list[dict[str, Any]] = [
    {"channel": "visit", "every_days": 14, "tier": "A"},
    {"channel": "visit", "every_days": 28, "tier": "B"},
    {"channel": "phone", "every_days": 28, "tier": "C"},
]


def checked(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rules as stored, once the cadence check has passed them."""
    checked_rules(items)
    return items


def _seed_plan(tx: Tx, accounts: list[Account], assignments: list[Assignment]) -> None:
    """Two years of pipeline, activities and this year's goals (service.demo.pipeline)."""
    owners = {s.account_id: (s.territory_id, s.rep_id) for s in assignments}
    plan = build_demo_plan(accounts, owners, today=datetime.now(UTC).date())
    tx.upsert_plan_records("pipeline", plan.pipeline)
    tx.upsert_plan_records("activities", plan.activities)
    for territory_id, goals in plan.goals.items():
        tx.replace_goals(territory_id, goals[0].period, goals, actor="demo")


def _placed(a: Account, geocoder: object, rep_ids: dict[int, int]) -> Account:
    lon, lat = a.location if a.location is not None else (None, None)
    geocode = geocoder.geocode_account(  # type: ignore[attr-defined]
        lon=lon,
        lat=lat,
        postal_code=a.postal_code,
        city=a.city,
        region=a.region,
        country=a.country,
    )
    owner = rep_ids.get(a.owner_rep_id) if a.owner_rep_id is not None else None
    return Account(
        **{
            **{f: getattr(a, f) for f in a.__slots__},
            "location": geocode.location,
            "geocode": geocode,
            "owner_rep_id": owner,
        }
    )


def _demo_tokens(store: Store) -> dict[str, str]:
    with store.read() as tx:
        first_rep = tx.find_reps(limit=1)
        region = next((t for t in tx.find_territories() if t.parent_id is None), None)
    tokens = {"admin": create_token(store, role="admin", owner="demo-admin", actor="demo")[0]}
    tokens["manager"] = create_token(
        store,
        role="manager",
        owner="demo-manager",
        actor="demo",
        region_id=region.id if region else None,
    )[0]
    if first_rep:
        tokens["rep"] = create_token(
            store,
            role="rep",
            owner=f"demo-rep-{first_rep[0].id}",
            rep_id=first_rep[0].id,
            actor="demo",
        )[0]
    return tokens
