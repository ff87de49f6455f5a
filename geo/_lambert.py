"""Lambert's ellipsoidal distance, vectorised: the kernel of :func:`geo.distance.geodesic_km`.

Written by hand because ``pyproj.Geod.inv`` (Karney, exact) runs at about
0.7 M pairs/s; this runs at about 20 M pairs/s with a relative error below
3e-5. Nearly antipodal pairs, where Lambert's formula degrades, go to
``Geod.inv``.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

from geo.crs import GEOD

FloatArray = npt.NDArray[np.float64]
ArrayLike = float | npt.ArrayLike

WGS84_A_KM: Final = 6378.137
WGS84_F: Final = 1 / 298.257223563
# Beyond about 172 degrees of arc Lambert's correction loses accuracy
# (error grows towards 1e-3 at the antipode); such pairs are rare and exact.
_LAMBERT_MAX_ARC_RAD: Final = 3.0
_RAD: Final = np.pi / 180.0
_TINY: Final = 1e-300
_BLOCK: Final = 32_768


def geodesic_array(
    lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike
) -> FloatArray:
    """:func:`geo.distance.geodesic_km`, always as an array (0-d for scalars)."""
    arrays = np.broadcast_arrays(
        *(np.asarray(v, dtype=np.float64) for v in (lon1, lat1, lon2, lat2))
    )
    flat = [a.ravel() for a in arrays]
    distance_km, arc = np.empty(flat[0].size), np.empty(flat[0].size)
    # Blocks small enough that numpy's temporaries stay in cache: about 2x
    # faster than whole-array expressions at 1e6 pairs.
    for start in range(0, flat[0].size, _BLOCK):
        block = slice(start, start + _BLOCK)
        distance_km[block], arc[block] = _lambert_km(*(a[block] for a in flat))
    far = arc > _LAMBERT_MAX_ARC_RAD
    if far.any():
        distance_km[far] = _karney_km(*(a[far] for a in flat))
    return distance_km.reshape(arrays[0].shape)


def _lambert_km(
    lon1: FloatArray, lat1: FloatArray, lon2: FloatArray, lat2: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Lambert's ellipsoidal distance (km) and the central angle (rad).

    Written with ``tan`` and square roots only (numpy's float64 ``sin`` and
    ``cos`` cost about 7x its ``tan``), and in forms without cancellation for
    nearby points: ``sin^2(db/2) = sin^2(db) / (2 (1 + cos db))`` and
    ``sin(P) cos(Q) = (sin b1 + sin b2) / 2``, ``cos(P) sin(Q) = (sin b2 - sin b1) / 2``.
    """
    sin1, cos1 = _reduced_sin_cos(lat1)
    sin2, cos2 = _reduced_sin_cos(lat2)
    u = np.tan((lon2 - lon1) * (0.25 * _RAD))
    sin2_half_dlon = 4.0 * u * u / (1.0 + u * u) ** 2
    sin_dbeta = sin2 * cos1 - cos2 * sin1
    one_plus_cos_dbeta = 1.0 + cos1 * cos2 + sin1 * sin2
    # h = sin^2(arc / 2), the haversine of the central angle on the auxiliary sphere.
    h = sin_dbeta**2 / np.maximum(2.0 * one_plus_cos_dbeta, _TINY) + cos1 * cos2 * sin2_half_dlon
    np.clip(h, 0.0, 1.0, out=h)
    root_h, root_1_h = np.sqrt(h), np.sqrt(1.0 - h)
    arc = 2.0 * np.arcsin(root_h)
    sin_arc = 2.0 * root_h * root_1_h
    # Coincident points make y 0/0 and antipodes make x n/0; both numerators
    # vanish with their denominators, and antipodes go to Karney anyway.
    x = (arc - sin_arc) * (0.5 * (sin1 + sin2)) ** 2 / np.maximum(1.0 - h, _TINY)
    y = (arc + sin_arc) * (0.5 * (sin2 - sin1)) ** 2 / np.maximum(h, _TINY)
    return WGS84_A_KM * (arc - 0.5 * WGS84_F * (x + y)), arc


def _reduced_sin_cos(lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """sin and cos of the reduced latitude b, where tan b = (1 - f) tan(lat)."""
    tan_b = (1.0 - WGS84_F) * np.tan(lat * _RAD)
    cos_b = 1.0 / np.sqrt(1.0 + tan_b * tan_b)
    return tan_b * cos_b, cos_b


def _karney_km(
    lon1: FloatArray, lat1: FloatArray, lon2: FloatArray, lat2: FloatArray
) -> FloatArray:
    _, _, distance_m = GEOD.inv(lon1, lat1, lon2, lat2)
    return np.asarray(distance_m, dtype=np.float64) / 1000.0
