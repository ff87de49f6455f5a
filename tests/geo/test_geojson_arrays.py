"""Positions as numpy arrays (``geometry_to_geojson(arrays=True)``) write the same bytes.

The territory list hands its positions to orjson as arrays; a client must not
be able to tell: every byte equal to the lists' encoding, by orjson and by the
standard encoder the response falls back to.
"""

from __future__ import annotations

import json

import numpy as np
import orjson
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.geojson import geometry_to_geojson

_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def _same_bytes(geom: shapely.Geometry, precision: int = 7) -> None:
    lists = geometry_to_geojson(geom, precision=precision)
    arrays = geometry_to_geojson(geom, precision=precision, arrays=True)
    assert orjson.dumps(arrays, option=_OPTIONS) == orjson.dumps(lists, option=_OPTIONS)
    as_lists = json.dumps(arrays, default=lambda a: a.tolist(), separators=(",", ":"))
    assert as_lists == json.dumps(lists, separators=(",", ":"))


@pytest.mark.parametrize(
    "wkt",
    [
        "POINT (-83 40)",
        "POINT Z (-83 40 212.5)",
        "POINT EMPTY",
        "LINESTRING (-83 40, -82.5 40.25)",
        "LINEARRING (0 0, 0 1, 1 0, 0 0)",
        "POLYGON ((-0.00000001 0, 0 1, 1 0, -0.00000001 0))",  # rounds to -0.0: written 0.0
        "POLYGON ((0 0, 0 10, 10 10, 10 0, 0 0), (2 2, 2 3, 3 3, 3 2, 2 2))",
        "POLYGON EMPTY",
        "MULTIPOLYGON (((0 0, 0 1, 1 0, 0 0)), ((5 5, 5 6, 6 5, 5 5)))",
        "MULTIPOINT ((1 2), (3 4))",
        "MULTILINESTRING ((0 0, 1 1), (2 2, 3 3))",
        "GEOMETRYCOLLECTION (POINT (1 2), POLYGON ((0 0, 0 1, 1 0, 0 0)))",
        "POLYGON Z ((0 0 1, 0 1 2, 1 0 3, 0 0 1))",
    ],
)
def test_every_geometry_kind_encodes_to_the_same_bytes(wkt: str) -> None:
    _same_bytes(shapely.from_wkt(wkt))


def test_the_arrays_are_float_arrays_of_positions() -> None:
    out = geometry_to_geojson(shapely.from_wkt("POLYGON ((0 0, 1 0, 0 1, 0 0))"), arrays=True)
    (ring,) = out["coordinates"]
    assert isinstance(ring, np.ndarray) and ring.dtype == np.float64 and ring.shape == (4, 2)
    point = geometry_to_geojson(shapely.Point(1, 2), arrays=True)["coordinates"]
    assert isinstance(point, np.ndarray) and point.shape == (2,)


# Any double at all, near and far from the grid: the shortest representation
# orjson writes for a numpy float64 must be the one it writes for a Python float.
_COORD = st.one_of(
    st.floats(-180, 180, allow_nan=False),
    st.floats(-1e-6, 1e-6, allow_nan=False),
    st.integers(-180_0000000, 180_0000000).map(lambda k: k / 1e7),
)


@settings(derandomize=True, max_examples=300, deadline=None, database=None)
@given(
    coords=st.lists(st.tuples(_COORD, _COORD), min_size=3, max_size=12),
    precision=st.sampled_from([3, 6, 7, 15]),
)
def test_random_lines_encode_to_the_same_bytes(
    coords: list[tuple[float, float]], precision: int
) -> None:
    _same_bytes(shapely.LineString(coords), precision)
