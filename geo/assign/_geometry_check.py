"""The check every shape put in a territory index passes (private to :mod:`geo.assign`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely

from geo.errors import InvalidGeometryError, Issue
from geo.model import Territory


def check_geometries(
    territories: Sequence[Territory], leaves: Sequence[Territory], geometries: np.ndarray
) -> None:
    """Refuse anything but valid (Multi)Polygons: the grid's winding count relies on it."""
    kinds = shapely.get_type_id(geometries)
    polygonal = np.isin(kinds, [shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON])
    valid = polygonal & shapely.is_valid(geometries)
    position = {t.id: i for i, t in enumerate(territories)}  # pointers into the input
    issues = [
        Issue(
            f"/{position[t.id]}/geometry",
            f"territory {t.id}: "
            + (shapely.is_valid_reason(t.geometry) if polygonal[i] else "not a (Multi)Polygon"),
        )
        for i, t in enumerate(leaves)
        if not valid[i]
    ]
    if issues:
        raise InvalidGeometryError("territory geometry cannot be indexed", issues)
