"""Territory shapes of the demo: Voronoi districts of anchor cities in one region.

The districts tile the region edge to edge, except for two deliberate flaws
that give the analyses something to show: one district also claims a disk
around a city of its neighbour (an overlap), and a disk around another city is
left to nobody (a gap inside the parent). Everything is WGS84 lon/lat degrees
(EPSG:4326) with coordinates on a 1e-6 degree grid (about 11 cm).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import shapely

from geo.model import LonLat
from service.demo.places import MID_LAT_DEG, flatten

GRID_DEG: Final = 1e-6
_KM_PER_DEG_LAT: Final = 110.95  # mean length of a degree of latitude near 39 N


@dataclass(frozen=True, slots=True)
class Disk:
    """A circle of ``radius_km`` around ``center``; ``owner`` is a district index or None."""

    center: LonLat
    radius_km: float
    owner: int | None


@dataclass(frozen=True, slots=True)
class Shapes:
    """The parent region and its districts, all from one consistent noding."""

    parent: shapely.MultiPolygon
    districts: tuple[shapely.MultiPolygon, ...]
    faces: tuple[tuple[shapely.Polygon, ...], ...]  # the faces each district is made of

    def union_of(self, indices: Sequence[int]) -> shapely.MultiPolygon:
        """Districts merged into one shape (their shared edges dissolve exactly)."""
        return _assemble([f for k in indices for f in self.faces[k]])


def build_shapes(
    region: shapely.Polygon, anchors: Sequence[LonLat], extra: Disk, gap: Disk
) -> Shapes:
    """Split ``region`` among ``anchors``, add the ``extra`` disk, leave the ``gap`` out.

    Notes
    -----
    Voronoi cells are computed on the :func:`~service.demo.places.flatten`
    plane so that boundaries run halfway between cities in kilometres, not
    degrees. All linework (region outline, cell edges, disk rims) is noded
    once with snap rounding on the 1e-6 degree grid and polygonized; every
    shape is then a union of those faces, so neighbours share exactly the
    same vertices and every district lies exactly within the parent.
    Rounding each shape on its own leaves most districts poking out of the
    parent by a fraction of a grid cell (measured: 6 of 8), which the
    hierarchy and gap checks would then have to explain away.
    """
    cells = _voronoi_cells(anchors, region)
    disks = (_disk_polygon(extra), _disk_polygon(gap))
    faces = _faces(region, [*cells, *disks])
    owners = _face_owners(faces, cells, disks, extra.owner)
    per_district = tuple(
        tuple(f for f, o in zip(faces, owners, strict=True) if k in o) for k in range(len(anchors))
    )
    return Shapes(
        parent=_assemble(faces),
        districts=tuple(_assemble(fs) for fs in per_district),
        faces=per_district,
    )


def disk_polygon(center: LonLat, radius_km: float) -> shapely.Polygon:
    """An approximate geodesic circle as a 64-gon in lon/lat degrees.

    Built on a local equirectangular plane: within 30 km of the centre the
    radius is right to a fraction of a percent, plenty for demo shapes.

    >>> d = disk_polygon((-84.19, 39.76), 10.0)
    >>> round(d.bounds[3] - 39.76, 3)
    0.09
    """
    lon, lat = center
    unit = shapely.Point(0.0, 0.0).buffer(radius_km, quad_segs=16)
    sx = 1.0 / (_KM_PER_DEG_LAT * np.cos(np.radians(lat)))
    return shapely.affinity.affine_transform(unit, [sx, 0, 0, 1.0 / _KM_PER_DEG_LAT, lon, lat])


def _disk_polygon(disk: Disk) -> shapely.Polygon:
    return disk_polygon(disk.center, disk.radius_km)


def _voronoi_cells(anchors: Sequence[LonLat], region: shapely.Polygon) -> list[shapely.Polygon]:
    """Voronoi cells of ``anchors`` in lon/lat, in anchor order, covering ``region``."""
    flat = flatten(np.asarray(anchors, dtype=float))
    bounds = flatten(np.asarray(region.envelope.exterior.coords, dtype=float))
    frame = shapely.MultiPoint(bounds).envelope.buffer(1.0)
    cells = shapely.voronoi_polygons(shapely.MultiPoint(flat), extend_to=frame, ordered=True)
    shrink = np.cos(np.radians(MID_LAT_DEG))
    return [
        shapely.affinity.scale(c, xfact=1.0 / shrink, yfact=1.0, origin=(0.0, 0.0))
        for c in cells.geoms
    ]


def _faces(region: shapely.Polygon, pieces: Sequence[shapely.Polygon]) -> list[shapely.Polygon]:
    """Faces of the region outline and every piece's rim, noded once on the grid."""
    rims = [shapely.boundary(region), *(shapely.boundary(p) for p in pieces)]
    noded = shapely.union_all(rims, grid_size=GRID_DEG)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    return [f for f in faces if region.contains(f.point_on_surface())]


def _face_owners(
    faces: Sequence[shapely.Polygon],
    cells: Sequence[shapely.Polygon],
    disks: tuple[shapely.Polygon, shapely.Polygon],
    extra_owner: int | None,
) -> list[frozenset[int]]:
    """Which districts own each face: its cell's, plus the extra disk's owner.

    A face in the gap gets ``frozenset()``: inside the parent, owned by nobody.
    """
    extra, gap = disks
    owners: list[frozenset[int]] = []
    for face in faces:
        inside = face.point_on_surface()
        if gap.contains(inside):
            owners.append(frozenset())
            continue
        own = {next(k for k, c in enumerate(cells) if c.contains(inside))}
        if extra_owner is not None and extra.contains(inside):
            own.add(extra_owner)
        owners.append(frozenset(own))
    return owners


def _assemble(faces: Sequence[shapely.Polygon]) -> shapely.MultiPolygon:
    """Faces dissolved into one counter-clockwise MultiPolygon (RFC 7946 3.1.6)."""
    merged = shapely.coverage_union_all(list(faces))
    parts = [p for p in shapely.get_parts(merged) if isinstance(p, shapely.Polygon)]
    oriented: shapely.MultiPolygon = shapely.orient_polygons(shapely.MultiPolygon(parts))
    return oriented
