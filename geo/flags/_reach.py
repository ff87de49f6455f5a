"""Array plumbing of :func:`geo.flags.too_far.flag_too_far`: reps and accounts as arrays.

Bulk input (1e6 accounts) spends its time reading Python attributes, so each
field is read once into an array; the rest is vectorised, including the
search for the nearest other rep who can reach a flagged account.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain, repeat
from typing import Final

import numpy as np
import numpy.typing as npt

from geo._lambert import FloatArray, geodesic_array
from geo.model import Account, Assignment, Rep

MEAN_RADIUS_KM: Final = 6371.0088
# Great-circle distance on a sphere of mean radius differs from the ellipsoid
# by under 0.6 %; a 2 % margin makes the sphere a safe pre-filter.
_SPHERE_MARGIN: Final = 1.02
_NO_POINT: Final = (np.nan, np.nan)
_MATRIX_CELLS: Final = 2_000_000  # accounts x reps per block in the nearest-rep search

Skipped = tuple[str, int, str]  # (account id, rep id, reason)


class RepTable:
    """Reps as arrays: ids, homes (NaN when unknown), reach, unit vectors."""

    def __init__(self, reps: Sequence[Rep], reach_km: Sequence[float]) -> None:
        self.ids = np.array([r.id for r in reps], dtype=np.int64)
        self.lon, self.lat = _lonlat_columns([r.home for r in reps])
        self.limit_km = np.array(reach_km, dtype=np.float64)
        self.has_home = ~np.isnan(self.lon)
        self.unit = _unit_vectors(self.lon, self.lat)

    def rows_of(self, rep_ids: npt.NDArray[np.int64]) -> npt.NDArray[np.intp]:
        """Table row of each rep id (-1 when unknown), vectorised."""
        if not len(self.ids):
            return np.full(len(rep_ids), -1, dtype=np.intp)
        order = np.argsort(self.ids, kind="stable")
        at = np.minimum(np.searchsorted(self.ids[order], rep_ids), len(order) - 1)
        found = self.ids[order[at]] == rep_ids
        return np.where(found, order[at], -1).astype(np.intp)


@dataclass(frozen=True, slots=True)
class Pairs:
    """Accounts to check: id, location, and their rep's row in the table."""

    account_ids: list[str]
    lon: FloatArray
    lat: FloatArray
    rep: npt.NDArray[np.intp]


def pairs_to_check(
    accounts: Sequence[Account], assignments: Sequence[Assignment], table: RepTable
) -> tuple[Pairs, list[Skipped]]:
    """Split assigned rows into checkable pairs and the skipped, with reasons.

    Bulk input (1e6 accounts) spends its time reading Python attributes, so
    each field is read once into an array and the rest is vectorised.
    """
    row_ids = [s.account_id for s in assignments]
    # float64 holds every id below 2**53 exactly; numpy turns None into NaN.
    rep_id = np.array([s.rep_id for s in assignments], dtype=np.float64)
    assigned = np.flatnonzero(~np.isnan(rep_id))
    acc = _account_rows(accounts, row_ids)[assigned]
    rep = table.rows_of(rep_id[assigned].astype(np.int64))
    lon, lat = _lonlat_columns([a.location for a in accounts])
    remote = np.array([a.remote for a in accounts], dtype=bool)
    # A sentinel appended at index -1 makes unknown rows index safely; the
    # earlier conditions of np.select already decide those rows.
    reason = np.select(
        [
            acc < 0,
            rep < 0,
            np.append(remote, False)[acc],
            np.isnan(np.append(lon, 0.0)[acc]),
            ~np.append(table.has_home, True)[rep],
        ],
        ["unknown-account", "unknown-rep", "remote", "no-location", "rep-has-no-home"],
        default="",
    )
    skipped = [
        (row_ids[assigned[k]], int(rep_id[assigned[k]]), str(reason[k]))
        for k in np.flatnonzero(reason != "").tolist()
    ]
    ok = np.flatnonzero(reason == "")
    ids = [row_ids[k] for k in assigned[ok].tolist()]
    return Pairs(ids, lon[acc[ok]], lat[acc[ok]], rep[ok]), skipped


def _account_rows(accounts: Sequence[Account], row_ids: list[str]) -> npt.NDArray[np.intp]:
    """Row in ``accounts`` of each assignment's account (-1 when unknown)."""
    ids = [a.id for a in accounts]
    if ids == row_ids:  # assignments usually come in the accounts' order
        return np.arange(len(ids), dtype=np.intp)
    position = dict(zip(ids, range(len(ids)), strict=True))
    return np.fromiter(map(position.get, row_ids, repeat(-1)), np.intp, len(row_ids))


def _lonlat_columns(points: list[tuple[float, float] | None]) -> tuple[FloatArray, FloatArray]:
    """Lon and lat arrays from optional (lon, lat) tuples, NaN where missing."""
    flat = chain.from_iterable(p if p is not None else _NO_POINT for p in points)
    lonlat = np.fromiter(flat, dtype=np.float64, count=2 * len(points)).reshape(-1, 2)
    return lonlat[:, 0], lonlat[:, 1]


def nearest_other_reps(
    lon: FloatArray, lat: FloatArray, own: npt.NDArray[np.intp], table: RepTable
) -> tuple[npt.NDArray[np.intp], FloatArray]:
    """Per account, the nearest rep other than ``own`` within that rep's reach.

    Returns table rows (-1 when none) and distances (NaN when none). Blocks of
    accounts x reps are pre-filtered on the sphere with one matrix product,
    then measured exactly only where a rep might reach.
    """
    nearest = np.full(len(lon), -1, dtype=np.intp)
    nearest_km = np.full(len(lon), np.nan)
    homes = np.flatnonzero(table.has_home)
    block = max(1, _MATRIX_CELLS // max(1, len(homes)))
    for start in range(0, len(lon) if len(homes) else 0, block):
        part = slice(start, start + block)
        rows, cols = _maybe_in_reach(lon[part], lat[part], own[part], homes, table)
        km = geodesic_array(lon[part][rows], lat[part][rows], table.lon[cols], table.lat[cols])
        ok = km <= table.limit_km[cols]
        rows, cols, km = rows[ok], cols[ok], km[ok]
        order = np.lexsort((cols, km, rows))  # by account, then distance, then rep order
        first = order[np.unique(rows[order], return_index=True)[1]]
        nearest[start + rows[first]] = cols[first]
        nearest_km[start + rows[first]] = km[first]
    return nearest, nearest_km


def _maybe_in_reach(
    lon: FloatArray,
    lat: FloatArray,
    own: npt.NDArray[np.intp],
    homes: npt.NDArray[np.intp],
    table: RepTable,
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """(account, rep row) pairs within reach on the sphere, with margin; own rep excluded."""
    reach_rad = np.minimum(table.limit_km[homes] * _SPHERE_MARGIN / MEAN_RADIUS_KM, np.pi)
    close = _unit_vectors(lon, lat) @ table.unit[homes].T >= np.cos(reach_rad)
    column = np.full(len(table.ids), -1, dtype=np.intp)
    column[homes] = np.arange(len(homes))
    close[np.arange(len(lon)), column[own]] = False
    rows, home_cols = np.nonzero(close)
    return rows, homes[home_cols]


def _unit_vectors(lon: FloatArray, lat: FloatArray) -> FloatArray:
    lam, phi = np.radians(lon), np.radians(lat)
    cos_phi = np.cos(phi)
    return np.column_stack([cos_phi * np.cos(lam), cos_phi * np.sin(lam), np.sin(phi)])
