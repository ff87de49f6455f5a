"""A large tenant for HTTP benchmarks, seeded in bulk through the store.

``seed_tenant(url)`` writes ``territories`` US counties (from the bundled
Census file, see :mod:`bench._data`), ``reps`` reps (each the primary rep of
an equal share of the territories, home at the centroid of their first one)
and ``accounts`` accounts drawn uniformly inside those counties, already
assigned with the vectorised engine. Everything goes through
:class:`service.storage.Store` in a few transactions: no HTTP call per row,
so a 100,000-account tenant takes seconds, not the hour one POST each would.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import shapely

from bench._data import load_counties
from geo.assign.assignment import assign_accounts
from geo.assign.index import TerritoryIndex
from geo.model import Account, GeocodeResult, Rep
from service.storage import Store
from service.storage.territory_rows import TerritoryDraft

INDUSTRIES = ("Retail", "Health", "Manufacturing", "Software", "Logistics")


def seed_tenant(
    database_url: str,
    *,
    territories: int = 1_000,
    reps: int = 100,
    accounts: int = 100_000,
    seed: int = 7,
) -> dict[str, Any]:
    """Fill an empty database; returns the ids made and the seconds taken."""
    started = time.perf_counter()
    store = Store.open(database_url)
    try:
        rep_ids = _reps(store, reps)
        made = _territories(store, territories, rep_ids)
        _accounts(store, made, accounts, seed)
        account_ids = [f"A{i:07d}" for i in range(accounts)]
    finally:
        store.dispose()
    return {
        "territory_ids": [t.id for t in made],
        "rep_ids": rep_ids,
        "account_ids": account_ids,
        "seconds": round(time.perf_counter() - started, 2),
    }


def _reps(store: Store, n: int) -> list[int]:
    with store.write() as tx:
        return [
            tx.insert_rep(
                Rep(0, f"Rep {i}", email=f"rep{i}@example.com", weekly_capacity_hours=40.0),
                actor="bench",
            ).id
            for i in range(n)
        ]


def _territories(store: Store, n: int, rep_ids: list[int]) -> list[Any]:
    counties = load_counties().iloc[:n]
    share = max(1, -(-n // len(rep_ids))) if rep_ids else 1
    made = []
    with store.write() as tx:
        for i, (name, geom) in enumerate(zip(counties["NAME"], counties.geometry, strict=True)):
            multi = geom if geom.geom_type == "MultiPolygon" else shapely.MultiPolygon([geom])
            rep = (rep_ids[min(i // share, len(rep_ids) - 1)],) if rep_ids else ()
            draft = TerritoryDraft(name=f"{name} {i}", geometry=multi, rep_ids=rep)
            made.append(tx.insert_territory(draft, actor="bench"))
    _homes(store, made, rep_ids)
    return made


def _homes(store: Store, made: list[Any], rep_ids: list[int]) -> None:
    first: dict[int, Any] = {}
    for t in made:
        if t.rep_ids and t.rep_ids[0] not in first:
            first[t.rep_ids[0]] = t.geometry.centroid
    with store.write() as tx:
        for rep_id, point in first.items():
            rep = tx.get_rep(rep_id)
            home = (round(point.x, 6), round(point.y, 6))
            tx.update_rep(
                Rep(rep.id, rep.name, rep.email, home, weekly_capacity_hours=40.0), actor="bench"
            )


def _accounts(store: Store, made: list[Any], n: int, seed: int) -> None:
    lon, lat = _points_inside(made, n, seed)
    rng = np.random.default_rng(seed + 1)
    revenue = rng.lognormal(11, 1, n).round(2)
    industry = rng.integers(0, len(INDUSTRIES), n)
    rows = [
        Account(
            f"A{i:07d}",
            name=f"Account {i}",
            location=(float(lon[i]), float(lat[i])),
            geocode=GeocodeResult((float(lon[i]), float(lat[i])), "ok", "given", "input"),
            industry=INDUSTRIES[industry[i]],
            annual_revenue=float(revenue[i]),
            stage="customer",
            visits_per_month=1.0,
            visit_minutes=45.0,
        )
        for i in range(n)
    ]
    assignments = assign_accounts(rows, TerritoryIndex.build(tuple(made)))
    pairs = list(zip(rows, assignments, strict=True))
    for start in range(0, n, 20_000):
        with store.write() as tx:
            tx.upsert_accounts(pairs[start : start + 20_000], actor="bench")


def _points_inside(made: list[Any], n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    # Rejection sampling inside the union's bbox, kept when a territory covers
    # the point, so every account lands somewhere (like a real CRM's book).
    rng = np.random.default_rng(seed)
    geoms = np.array([t.geometry for t in made])
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    index = TerritoryIndex.build(tuple(made))
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    have = 0
    while have < n:
        x = rng.uniform(minx, maxx, 2 * n)
        y = rng.uniform(miny, maxy, 2 * n)
        keep = index.winner_ids(x, y) >= 0
        xs.append(x[keep])
        ys.append(y[keep])
        have += int(keep.sum())
    return np.concatenate(xs)[:n].round(6), np.concatenate(ys)[:n].round(6)
