"""Folium maps of territories, accounts and reps, rendered to HTML or PNG.

The public functions take ``geo.model`` objects plus the small records in
:mod:`maps.inputs`, and return ``folium.Map`` objects (``to_html`` renders
one) or PNG bytes. Offline pages load Leaflet from :data:`maps.assets.STATIC_DIR`.

The names below are imported on first use (PEP 562): Folium, mapclassify and
matplotlib cost seconds to import, and a server should answer ``/healthz``
before anyone asks for a map.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from maps.assets import STATIC_DIR, offline_resources, use_offline_assets
    from maps.base import to_html
    from maps.compare_map import render_compare_map
    from maps.coverage import render_coverage_map
    from maps.inputs import METRICS, OverlapShape, RouteInput, RouteStop
    from maps.png import render_coverage_png
    from maps.rep_map import render_rep_map
    from maps.territory_map import render_territory_map

_HOMES = {
    "STATIC_DIR": "maps.assets",
    "offline_resources": "maps.assets",
    "use_offline_assets": "maps.assets",
    "to_html": "maps.base",
    "render_coverage_map": "maps.coverage",
    "render_compare_map": "maps.compare_map",
    "METRICS": "maps.inputs",
    "OverlapShape": "maps.inputs",
    "RouteInput": "maps.inputs",
    "RouteStop": "maps.inputs",
    "render_coverage_png": "maps.png",
    "render_rep_map": "maps.rep_map",
    "render_territory_map": "maps.territory_map",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'maps' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)


__all__ = [
    "METRICS",
    "STATIC_DIR",
    "OverlapShape",
    "RouteInput",
    "RouteStop",
    "offline_resources",
    "render_compare_map",
    "render_coverage_map",
    "render_coverage_png",
    "render_rep_map",
    "render_territory_map",
    "to_html",
    "use_offline_assets",
]
