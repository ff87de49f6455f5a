"""Geodesic distances on WGS84, and accounts too far from their rep.

:func:`geodesic_km` is vectorised over numpy arrays. It uses Lambert's
ellipsoidal correction of the great-circle distance on reduced latitudes,
written by hand because ``pyproj.Geod.inv`` (Karney, exact) runs at about
0.7 M pairs/s, while this runs at about 20 M pairs/s (as fast as a spherical
haversine) with a relative error below 3e-5 instead of the haversine's 0.56 %.
Nearly antipodal pairs, where Lambert's formula degrades, go to ``Geod.inv``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import overload

import numpy as np

from geo._lambert import WGS84_A_KM, WGS84_F, ArrayLike, FloatArray, geodesic_array
from geo.errors import InvalidInputError
from geo.flags._reach import RepTable, nearest_other_reps, pairs_to_check
from geo.model import Account, Assignment, Rep

__all__ = [
    "NotChecked",
    "TooFar",
    "TooFarReport",
    "WGS84_A_KM",
    "WGS84_F",
    "flag_too_far",
    "geodesic_km",
]


@dataclass(frozen=True, slots=True)
class TooFar:
    """An account beyond its rep's reach.

    Attributes
    ----------
    account_id : str
        The account.
    rep_id : int
        Its rep.
    distance_km : float
        Geodesic km (WGS84) from the rep's home to the account.
    limit_km : float
        The rep's ``max_service_km`` (or the default).
    nearest_rep_id : int or None
        The nearest other rep whose own reach covers the account.
    nearest_rep_km : float or None
        That rep's distance, km.
    """

    account_id: str
    rep_id: int
    distance_km: float
    limit_km: float
    nearest_rep_id: int | None
    nearest_rep_km: float | None


@dataclass(frozen=True, slots=True)
class NotChecked:
    """An assigned account whose distance could not be judged, and why.

    ``reason`` is ``no-location`` (the account has no point),
    ``unknown-account``, ``unknown-rep``, ``rep-has-no-home`` or
    ``remote`` (served without visits, so distance does not matter).
    """

    account_id: str
    rep_id: int
    reason: str


@dataclass(frozen=True, slots=True)
class TooFarReport:
    """Accounts too far from their rep, and those that could not be checked."""

    too_far: tuple[TooFar, ...]
    not_checked: tuple[NotChecked, ...]


@overload
def geodesic_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float: ...  # type: ignore[overload-overlap]
@overload
def geodesic_km(
    lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike
) -> FloatArray: ...
def geodesic_km(
    lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike
) -> FloatArray | float:
    """Ellipsoidal (WGS84) distance in km between lon/lat points.

    Parameters
    ----------
    lon1, lat1, lon2, lat2 : float or array_like
        WGS84 degrees, lon before lat; arrays broadcast together.

    Returns
    -------
    float or ndarray of float64
        Distance along the ellipsoid, km; a float when every input is scalar.

    Notes
    -----
    Ellipsoid WGS84 (a = 6378.137 km, f = 1/298.257223563). Lambert's formula:
    the central angle on reduced latitudes (haversine form, so exact across
    the antimeridian and well conditioned for short distances) corrected to
    first order in the flattening. Checked against Karney's ``Geod.inv`` on
    1e6 random pairs over the whole globe, near the poles and across the
    antimeridian: max relative error 3e-5 (about 0.2 m per 10 km), versus up
    to 0.56 % for a spherical haversine. Arcs over about 172 degrees are
    computed with ``pyproj.Geod.inv`` instead.

    Examples
    --------
    >>> round(geodesic_km(179.5, 0.0, -179.5, 0.0), 3)
    111.319
    """
    distance_km = geodesic_array(lon1, lat1, lon2, lat2)
    return float(distance_km) if distance_km.ndim == 0 else distance_km


def flag_too_far(
    accounts: Sequence[Account],
    assignments: Sequence[Assignment],
    reps: Sequence[Rep],
    *,
    default_max_service_km: float = 150.0,
) -> TooFarReport:
    """Assigned accounts farther from their rep's home than the rep's reach.

    Parameters
    ----------
    accounts : sequence of Account
        Accounts with their locations.
    assignments : sequence of Assignment
        Who owns each account; rows without a rep are not checked.
    reps : sequence of Rep
        Reps with ``home`` and ``max_service_km``.
    default_max_service_km : float, default 150.0
        Reach of a rep whose ``max_service_km`` is None.

    Returns
    -------
    TooFarReport
        ``too_far`` in assignment order, each with the nearest other rep
        whose own reach covers the account (or None); ``not_checked`` lists
        the accounts skipped and why (``no-location``, ``rep-has-no-home``,
        ``remote``, ``unknown-account``, ``unknown-rep``).

    Raises
    ------
    InvalidInputError
        When ``default_max_service_km`` is not a positive finite number.

    Notes
    -----
    Distances are geodesic km on WGS84 (:func:`geodesic_km`), from the rep's
    home to the account; "too far" means ``distance_km > limit_km``, and a
    rep can serve an account at exactly their limit. Ties for the nearest rep
    go to the rep listed first.

    Examples
    --------
    >>> reps = [Rep(1, "Ann", home=(0.0, 0.0), max_service_km=100.0),
    ...         Rep(2, "Bob", home=(2.0, 0.0), max_service_km=100.0)]
    >>> report = flag_too_far([Account("a", location=(1.5, 0.0))],
    ...                       [Assignment("a", 10, 1, "geometry")], reps)
    >>> [(f.account_id, f.nearest_rep_id) for f in report.too_far]
    [('a', 2)]
    """
    _check_reach(default_max_service_km)
    table = RepTable(reps, default_max_service_km)
    pairs, skipped = pairs_to_check(accounts, assignments, table)
    home_lon, home_lat = table.lon[pairs.rep], table.lat[pairs.rep]
    distance_km = geodesic_array(pairs.lon, pairs.lat, home_lon, home_lat)
    far = np.flatnonzero(distance_km > table.limit_km[pairs.rep])
    nearest, nearest_km = nearest_other_reps(pairs.lon[far], pairs.lat[far], pairs.rep[far], table)
    found = nearest >= 0
    # Plain Python lists: indexing numpy scalars one by one costs ~1 us each.
    rows = zip(
        [pairs.account_ids[k] for k in far.tolist()],
        table.ids[pairs.rep[far]].tolist(),
        distance_km[far].tolist(),
        table.limit_km[pairs.rep[far]].tolist(),
        np.where(found, table.ids[np.maximum(nearest, 0)], -1).tolist(),
        nearest_km.tolist(),
        found.tolist(),
        strict=True,
    )
    too_far = tuple(
        TooFar(acc, rep, km, limit, near if ok else None, near_km if ok else None)
        for acc, rep, km, limit, near, near_km, ok in rows
    )
    return TooFarReport(too_far, tuple(NotChecked(*row) for row in skipped))


def _check_reach(default_max_service_km: float) -> None:
    if not np.isfinite(default_max_service_km) or default_max_service_km <= 0:
        raise InvalidInputError(
            f"default_max_service_km must be a positive number, got {default_max_service_km!r}"
        )
