"""Geodesic distances on WGS84 (whether an account is too far: :mod:`geo.flags.too_far`).

:func:`geodesic_km` is vectorised over numpy arrays. It uses Lambert's
ellipsoidal correction of the great-circle distance on reduced latitudes,
written by hand because ``pyproj.Geod.inv`` (Karney, exact) runs at about
0.7 M pairs/s, while this runs at about 20 M pairs/s (as fast as a spherical
haversine) with a relative error below 3e-5 instead of the haversine's 0.56 %.
Nearly antipodal pairs, where Lambert's formula degrades, go to ``Geod.inv``.
"""

from __future__ import annotations

from typing import overload

from geo._lambert import WGS84_A_KM, WGS84_F, ArrayLike, FloatArray, geodesic_array

__all__ = ["WGS84_A_KM", "WGS84_F", "geodesic_km"]


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
