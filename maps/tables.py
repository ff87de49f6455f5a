"""Domain objects turned into the columns the map layers draw from.

One pass over the accounts builds numpy columns (location, territory and rep
positions, money, distance) so that 100,000 accounts cost one loop, and every
later step is vectorised.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from geo.model import Account, Assignment, Rep, Territory
from maps.inputs import METRICS, account_flags

# Mean Earth radius (IUGG), as the haversine fallback below uses it.
_EARTH_RADIUS_KM = 6371.0088
# Assignments that imply no flag (see maps.inputs.account_flags).
_PLAIN = frozenset({"geometry", "override"})


@dataclass(frozen=True, slots=True)
class AccountTable:
    """Accounts as columns, aligned by position.

    ``territory_pos`` and ``rep_pos`` index into the territory and rep
    sequences the table was built with (-1: none). ``lon``/``lat`` are NaN for
    an account without a location; ``distance_km`` is NaN when unknown.
    """

    ids: list[str]
    names: list[str | None]
    lon: np.ndarray
    lat: np.ndarray
    territory_pos: np.ndarray
    rep_pos: np.ndarray
    revenue: np.ndarray
    cost: np.ndarray
    distance_km: np.ndarray
    flags: list[tuple[str, ...]]
    # Each account's flags as a number: its position in ``flag_kinds``.
    flag_code: np.ndarray
    flag_kinds: list[tuple[str, ...]]

    @property
    def located(self) -> np.ndarray:
        """Boolean mask of accounts that have a location."""
        mask: np.ndarray = ~np.isnan(self.lon)
        return mask

    def flagged(self, flag: str) -> np.ndarray:
        """Boolean mask of accounts that carry ``flag``."""
        kinds = [i for i, kind in enumerate(self.flag_kinds) if flag in kind]
        mask: np.ndarray = np.isin(self.flag_code, kinds)
        return mask


def account_table(
    accounts: Sequence[Account],
    assignments: Sequence[Assignment],
    territories: Sequence[Territory],
    reps: Sequence[Rep],
    flags: Mapping[str, Sequence[str]],
    distances_km: Mapping[str, float] | None = None,
) -> AccountTable:
    """Build the columns for ``accounts`` with their assignments and flags.

    Notes
    -----
    Distances come from ``distances_km`` (computed by ``geo``) when given;
    otherwise the great-circle distance to the owning rep's home is computed
    here, on a sphere of radius 6,371 km (within 0.5 % of the ellipsoid).
    """
    by_account = {a.account_id: a for a in assignments}
    found = [by_account.get(a.id) for a in accounts]
    territory_at = {t.id: i for i, t in enumerate(territories)}
    rep_at = {r.id: i for i, r in enumerate(reps)}
    nowhere = (math.nan, math.nan)
    # Lists first, one numpy conversion each: writing numpy elements one by
    # one in the loop costs several times more.
    lonlat = np.array([a.location or nowhere for a in accounts], dtype=float).reshape(-1, 2)
    column, kinds = _flag_column(accounts, found, flags)
    table = AccountTable(
        ids=[a.id for a in accounts],
        names=[a.name for a in accounts],
        lon=lonlat[:, 0],
        lat=lonlat[:, 1],
        territory_pos=_positions([s.territory_id if s else None for s in found], territory_at),
        rep_pos=_positions([s.rep_id if s else None for s in found], rep_at),
        revenue=np.array([a.annual_revenue for a in accounts], dtype=float),
        cost=np.array([a.cost_to_serve for a in accounts], dtype=float),
        distance_km=np.full(len(accounts), np.nan),
        flags=column,
        flag_code=np.array([kinds[f] for f in column], dtype=np.int64),
        flag_kinds=list(kinds),
    )
    _fill_distances(table, reps, distances_km)
    return table


def _flag_column(
    accounts: Sequence[Account],
    found: Sequence[Assignment | None],
    flags: Mapping[str, Sequence[str]],
) -> tuple[list[tuple[str, ...]], dict[tuple[str, ...], int]]:
    # Few distinct (assignment, given flags) pairs occur, however many
    # accounts: each pair goes through the general rule once. Per account, it
    # was a third of the coverage picture's time at 100,000 accounts (70,000
    # flagged too far).
    rule: dict[tuple[str | None, tuple[str, ...]], tuple[str, ...]] = {}
    column: list[tuple[str, ...]] = []
    for account, s in zip(accounts, found, strict=True):
        kind = s.assignment if s is not None else None
        given = flags.get(account.id)
        if given is None and kind in _PLAIN:
            column.append(())  # the common case: placed, no flag given
            continue
        key = (kind, given if isinstance(given, tuple) else tuple(given or ()))
        out = rule.get(key)
        if out is None:
            out = rule[key] = account_flags(account.id, kind, {account.id: key[1]})
        column.append(out)
    kinds: dict[tuple[str, ...], int] = {(): 0}
    for out in rule.values():
        kinds.setdefault(out, len(kinds))
    return column, kinds


def _positions(ids: list[int | None], position_of: Mapping[int, int]) -> np.ndarray:
    return np.array([position_of.get(i, -1) if i is not None else -1 for i in ids], dtype=np.int64)


def territory_numbers(
    territories: Sequence[Territory],
    table: AccountTable,
    metrics: Mapping[int, Mapping[str, float]],
) -> list[dict[str, float | None]]:
    """The numbers a manager asks about each territory, in territory order.

    ``accounts``, ``revenue`` and ``net_profit`` (revenue minus cost to serve,
    a missing figure counted as 0) are summed from the accounts; every number
    in ``metrics`` (from ``geo``'s balance and travel modules) wins over the
    sum, and ``workload_hours``/``load_pct`` come only from there.
    """
    count = len(territories)
    owned = table.territory_pos >= 0
    slots = table.territory_pos[owned]
    revenue = np.nan_to_num(table.revenue[owned])
    cost = np.nan_to_num(table.cost[owned])
    sums = {
        "accounts": np.bincount(slots, minlength=count).astype(float),
        "revenue": np.bincount(slots, weights=revenue, minlength=count),
        "net_profit": np.bincount(slots, weights=revenue - cost, minlength=count),
    }
    rows = []
    for i, territory in enumerate(territories):
        given = metrics.get(territory.id, {})
        row: dict[str, float | None] = {}
        for name in METRICS:
            value = given.get(name)
            if value is None and name in sums:
                value = sums[name][i]
            row[name] = _finite_or_none(value)
        rows.append(row)
    return rows


def _number(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _finite_or_none(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def _fill_distances(
    table: AccountTable, reps: Sequence[Rep], distances_km: Mapping[str, float] | None
) -> None:
    if distances_km is not None:
        for i, account_id in enumerate(table.ids):
            if account_id in distances_km:
                table.distance_km[i] = distances_km[account_id]
        return
    nowhere = (math.nan, math.nan)
    homes = np.array([r.home or nowhere for r in reps] + [nowhere])
    home = homes[table.rep_pos]  # position -1 picks the NaN row at the end
    table.distance_km[:] = haversine_km(table.lon, table.lat, home[:, 0], home[:, 1])


def haversine_km(
    lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray
) -> np.ndarray:
    """Great-circle distance in km between lon/lat degree arrays (NaN in, NaN out).

    >>> one = np.array([1.0])
    >>> round(float(haversine_km(0 * one, 0 * one, 0 * one, one)[0]), 3)
    111.195
    """
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    dphi = phi2 - phi1
    dlmb = np.radians(lon2 - lon1)
    h = np.sin(dphi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlmb / 2) ** 2
    distance: np.ndarray = 2 * _EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    return distance
