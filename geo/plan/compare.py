"""Two plans side by side: accounts that move, reps' books and shapes before and after.

Pure functions over territories, accounts and assignments; the service
reads the two plans (the live plan or a scenario each) and shapes the answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import shapely

from geo.crs import area_km2
from geo.flags.too_far import flag_too_far
from geo.model import Account, Assignment, Rep, Territory
from geo.travel.load import estimate_travel_load
from geo.travel.visits import TravelSettings, resolve_demand

__all__ = [
    "Figures",
    "Moved",
    "RepFigures",
    "ShapeChange",
    "books",
    "figures",
    "leaf_figures",
    "moved_accounts",
    "rep_figures",
    "shape_changes",
]


@dataclass(frozen=True, slots=True)
class Moved:
    """An account whose territory or rep differs between the plans."""

    account_id: str
    name: str | None
    from_territory_id: int | None
    to_territory_id: int | None
    from_rep_id: int | None
    to_rep_id: int | None
    annual_revenue: float | None
    visit_hours_per_month: float


@dataclass(frozen=True, slots=True)
class ShapeChange:
    """Area a territory gained and lost, km² in an equal-area CRS (EPSG:6933)."""

    territory_id: int
    added_km2: float
    removed_km2: float


@dataclass(frozen=True, slots=True)
class Figures:
    """A book's size and value: accounts, and money per year (missing counts as 0)."""

    accounts: int
    revenue: float
    net_profit: float


@dataclass(frozen=True, slots=True)
class RepFigures:
    """One rep's book in one plan: money per year, hours per month (None: not asked)."""

    accounts: int
    revenue: float
    net_profit: float
    workload_hours: float | None
    load_pct: float | None
    too_far: int


def moved_accounts(
    accounts: Sequence[Account],
    before: Sequence[Assignment],
    after: Sequence[Assignment],
    settings: TravelSettings,
) -> list[Moved]:
    """Accounts whose (territory, rep) differs, by account id; visit hours with defaults applied.

    >>> a = Account("x", location=(0.5, 0.5), visits_per_month=2, visit_minutes=30)
    >>> m = moved_accounts([a], [Assignment("x", 1, 7, "geometry")],
    ...                    [Assignment("x", 2, 8, "geometry")], TravelSettings())
    >>> (m[0].from_territory_id, m[0].to_territory_id, m[0].visit_hours_per_month)
    (1, 2, 1.0)
    """
    was = {s.account_id: s for s in before}
    now = {s.account_id: s for s in after}
    moved = [
        a
        for a in accounts
        if (was[a.id].territory_id, was[a.id].rep_id) != (now[a.id].territory_id, now[a.id].rep_id)
    ]
    demand = resolve_demand(moved, settings)
    hours = demand.visits_per_month * demand.visit_minutes / 60.0
    return [
        Moved(
            a.id,
            a.name,
            was[a.id].territory_id,
            now[a.id].territory_id,
            was[a.id].rep_id,
            now[a.id].rep_id,
            a.annual_revenue,
            round(float(h), 3),
        )
        for a, h in zip(moved, hours, strict=True)
    ]


def shape_changes(before: Sequence[Territory], after: Sequence[Territory]) -> list[ShapeChange]:
    """Territories whose shape differs, with the area gained and lost (one vectorised pass).

    A created territory gains its whole area, a deleted one loses it.

    >>> old = [Territory(1, "a", shapely.box(0, 0, 1, 1))]
    >>> new = [Territory(1, "a", shapely.box(0, 0, 2, 1))]
    >>> [(c.territory_id, round(c.added_km2), round(c.removed_km2)) for c in shape_changes(old, new)]
    [(1, 12308, 0)]
    """
    was = {t.id: t.geometry for t in before}
    now = {t.id: t.geometry for t in after}
    empty = shapely.Polygon()
    ids = sorted(
        i
        for i in set(was) | set(now)
        if i not in was or i not in now or not shapely.equals_exact(was[i], now[i], 0.0)
    )
    if not ids:
        return []
    old = np.array([was.get(i, empty) for i in ids], dtype=object)
    new = np.array([now.get(i, empty) for i in ids], dtype=object)
    added = area_km2(shapely.difference(new, old))
    removed = area_km2(shapely.difference(old, new))
    return [
        ShapeChange(i, round(float(a), 4), round(float(r), 4))
        for i, a, r in zip(ids, added, removed, strict=True)
    ]


def figures(accounts: Sequence[Account]) -> Figures:
    """Count, revenue and net profit of a book.

    >>> figures([Account("a", annual_revenue=10.0, cost_to_serve=4.0), Account("b")])
    Figures(accounts=2, revenue=10.0, net_profit=6.0)
    """
    revenue = sum(a.annual_revenue or 0.0 for a in accounts)
    cost = sum(a.cost_to_serve or 0.0 for a in accounts)
    return Figures(len(accounts), float(revenue), float(revenue - cost))


def leaf_figures(
    leaves: Sequence[Territory], accounts: Sequence[Account], assignments: Sequence[Assignment]
) -> dict[int, Figures]:
    """:func:`figures` of every leaf territory's accounts, in one pass over the accounts."""
    owned: dict[int, list[Account]] = {t.id: [] for t in leaves}
    for a, s in zip(accounts, assignments, strict=True):
        if s.territory_id in owned:
            owned[s.territory_id].append(a)
    return {tid: figures(book) for tid, book in owned.items()}


def rep_figures(
    rep: Rep,
    accounts: Sequence[Account],
    assignments: Sequence[Assignment],
    settings: TravelSettings | None,
    default_max_service_km: float,
) -> RepFigures:
    """Accounts, revenue, net profit, too-far count and (with ``settings``) travel of a book.

    ``accounts``/``assignments`` are the book (the accounts the plan gives
    the rep). Travel hours and load come from the travel model, the costly
    part: without ``settings`` they are None.
    """
    load = estimate_travel_load(rep, accounts, settings) if settings is not None else None
    far = flag_too_far(accounts, assignments, [rep], default_max_service_km=default_max_service_km)
    book = figures(accounts)
    return RepFigures(
        accounts=book.accounts,
        revenue=book.revenue,
        net_profit=book.net_profit,
        workload_hours=load.total_hours if load is not None else None,
        load_pct=load.load_pct if load is not None else None,
        too_far=len(far.too_far),
    )


def books(
    accounts: Sequence[Account], assignments: Sequence[Assignment], rep_ids: Mapping[int, object]
) -> dict[int, tuple[list[Account], list[Assignment]]]:
    """The accounts (and assignments) of each rep in ``rep_ids``, in one pass."""
    out: dict[int, tuple[list[Account], list[Assignment]]] = {r: ([], []) for r in rep_ids}
    for a, s in zip(accounts, assignments, strict=True):
        if s.rep_id in out:
            out[s.rep_id][0].append(a)
            out[s.rep_id][1].append(s)
    return out
