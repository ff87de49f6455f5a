"""Folium maps of territories, accounts and reps, rendered to HTML or PNG.

The public functions take ``geo.model`` objects plus the small records in
:mod:`maps.inputs`, and return ``folium.Map`` objects (``to_html`` renders
one) or PNG bytes. Offline pages load Leaflet from :data:`maps.assets.STATIC_DIR`.
"""

from maps.assets import STATIC_DIR, offline_resources, use_offline_assets
from maps.base import to_html
from maps.coverage import render_coverage_map
from maps.inputs import METRICS, OverlapShape, RouteInput, RouteStop
from maps.png import render_coverage_png
from maps.rep_map import render_rep_map
from maps.territory_map import render_territory_map

__all__ = [
    "METRICS",
    "STATIC_DIR",
    "OverlapShape",
    "RouteInput",
    "RouteStop",
    "offline_resources",
    "render_coverage_map",
    "render_coverage_png",
    "render_rep_map",
    "render_territory_map",
    "to_html",
    "use_offline_assets",
]
