"""Small input records for the maps that ``geo.model`` does not define.

The service converts the answers of ``geo`` (overlaps, travel routes, flags)
into these records, so ``maps`` does not depend on modules that are still
being written. Coordinates are ``(lon, lat)`` in WGS84 degrees (EPSG:4326).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import shapely

from geo.model import LonLat

#: Territory numbers a choropleth can be classed by, in the order the
#: tooltips list them.
METRICS: tuple[str, ...] = ("accounts", "revenue", "net_profit", "workload_hours", "load_pct")

#: Flag name -> layer title. Each of these flags gets its own map layer.
FLAG_LAYERS: dict[str, str] = {
    "unassigned": "Unassigned accounts",
    "too_far": "Accounts too far from their rep",
    "overlap": "Accounts caught in an overlap",
}

# Other spellings that other modules and CRMs use for the same flags.
_FLAG_ALIASES: dict[str, str] = {
    "too-far": "too_far",
    "toofar": "too_far",
    "beyond_reach": "too_far",
    "in_overlap": "overlap",
    "in-overlap": "overlap",
    "overlapping": "overlap",
    "conflict": "overlap",
}


@dataclass(frozen=True, slots=True)
class OverlapShape:
    """Where two territories overlap, as ``geo`` reported it.

    ``geometry`` is in WGS84 degrees; ``overlap_km2`` is the area measured by
    ``geo`` on the ellipsoid (the maps only display it).
    """

    geometry: shapely.Geometry
    name_a: str
    name_b: str
    overlap_km2: float


@dataclass(frozen=True, slots=True)
class RouteStop:
    """One stop of a planned day, in visiting order; ``label`` names the account."""

    lon: float
    lat: float
    label: str


@dataclass(frozen=True, slots=True)
class RouteInput:
    """One planned day's route for a rep.

    ``start`` and ``end`` default to the rep's home base. ``distance_km`` and
    ``duration_hours`` are what ``geo`` estimated for the whole day;
    ``warning`` says in plain words when the tour is an overnight trip or
    cannot be done at all.
    """

    stops: tuple[RouteStop, ...]
    day: int | None = None
    start: LonLat | None = None
    end: LonLat | None = None
    distance_km: float | None = None
    duration_hours: float | None = None
    warning: str | None = None


def normalize_flag(flag: str) -> str:
    """The canonical spelling of a flag name.

    >>> normalize_flag("Too-Far")
    'too_far'
    """
    key = flag.strip().casefold()
    return _FLAG_ALIASES.get(key, key)


def account_flags(
    account_id: str, assignment: str | None, flags: Mapping[str, Sequence[str]]
) -> tuple[str, ...]:
    """Every flag of one account: the given ones plus what its assignment implies.

    An ``unassigned:<reason>`` assignment is the ``unassigned`` flag and a
    ``conflict`` (the point lies in two territories) is the ``overlap`` flag.

    >>> account_flags("a1", "unassigned:outside-all", {"a1": ["too-far"]})
    ('too_far', 'unassigned')
    """
    found = {normalize_flag(f) for f in flags.get(account_id, ())}
    if assignment is None or assignment.startswith("unassigned"):
        found.add("unassigned")
    elif assignment == "conflict":
        found.add("overlap")
    return tuple(sorted(found))


@dataclass(frozen=True, slots=True)
class MovedPoint:
    """An account that changes territory between two plans (``None``: unassigned)."""

    lon: float
    lat: float
    label: str
    from_territory_id: int | None
    to_territory_id: int | None


@dataclass(frozen=True, slots=True)
class LoadChange:
    """One rep's figure before and after (load % of capacity, or workload hours)."""

    name: str
    before: float | None
    after: float | None
    unit: str = "%"
