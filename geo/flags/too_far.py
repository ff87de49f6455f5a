"""Too far: an assigned account farther from its rep's home than the rep's reach.

The one rule, used by every answer that mentions reach (``/analysis/too-far``,
account flags, a territory's flag summary, dashboards and maps): the reach
is the rep's ``max_service_km`` when set (``is not None``: a stored 0 would
mean "no field visits", not "use the default"), else the default; an
account is too far when its geodesic distance (km, WGS84) from the rep's
home is strictly greater than the reach. Remote accounts are never too far.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from geo._lambert import geodesic_array
from geo.errors import InvalidInputError
from geo.flags._reach import RepTable, nearest_other_reps, pairs_to_check
from geo.model import Account, Assignment, Rep

__all__ = ["NotChecked", "TooFar", "TooFarReport", "flag_too_far", "is_too_far", "reach_km"]


def reach_km(rep: Rep, default_km: float) -> float:
    """The rep's reach in km: their ``max_service_km``, or ``default_km`` when unset.

    >>> reach_km(Rep(1, "Ann", max_service_km=80.0), 150.0), reach_km(Rep(2, "Bob"), 150.0)
    (80.0, 150.0)
    """
    return rep.max_service_km if rep.max_service_km is not None else default_km


def is_too_far(
    distance_km: float | None, rep: Rep | None, default_km: float, *, remote: bool = False
) -> bool:
    """Whether one account at ``distance_km`` from ``rep``'s home is beyond reach.

    Parameters
    ----------
    distance_km : float or None
        Geodesic km (WGS84) from the rep's home; None when either point is unknown.
    rep : Rep or None
        The account's rep; None when unassigned.
    default_km : float
        Reach of a rep without ``max_service_km``.
    remote : bool, default False
        Served without visits: distance does not matter.

    Examples
    --------
    >>> ann = Rep(1, "Ann", home=(0.0, 0.0), max_service_km=100.0)
    >>> is_too_far(100.0, ann, 150.0), is_too_far(100.5, ann, 150.0)
    (False, True)
    >>> is_too_far(500.0, ann, 150.0, remote=True), is_too_far(None, ann, 150.0)
    (False, False)
    """
    if distance_km is None or rep is None or remote:
        return False
    return distance_km > reach_km(rep, default_km)


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
    Distances are geodesic km on WGS84 (:func:`geo.distance.geodesic_km`), from the rep's
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
    table = RepTable(reps, [reach_km(r, default_max_service_km) for r in reps])
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
