"""Accounts drawn from the service's vector tiles instead of embedded in the page.

Above a size threshold (``Settings.map_tile_threshold``) the coverage map
would carry every account as a dot: 6 MB of HTML at 100,000 accounts. Then
it draws them with Leaflet.VectorGrid (vendored from npm, see
``static/vendor/SOURCES.md``) from ``/tiles/accounts/{z}/{x}/{y}.mvt``,
which the browser asks for with the page's own credentials (same-origin
fetch: the session cookie, or the headers the client sends), so the tiles
answer with the same scope rules as the rest of the API.
"""

from __future__ import annotations

from collections.abc import Sequence

import folium
from folium.elements import JSCSSMixin
from folium.map import Layer
from folium.template import Template

from maps.layers import Bounds, Legend
from maps.markup import script_json
from maps.style import ASSIGNED_COLOR, FLAG_COLORS, text

VECTORGRID_CDN = "https://unpkg.com/leaflet.vectorgrid@1.3.0/dist/Leaflet.VectorGrid.bundled.min.js"
#: The tile URL template of the accounts layer (``service.routers.tiles``).
ACCOUNT_TILES = "/tiles/accounts/{z}/{x}/{y}.mvt"


class AccountTileLayer(JSCSSMixin, Layer):
    """Accounts as dots on canvas tiles, each tile an MVT from the service.

    A dot is white when the account is assigned and black when not (the
    tile's ``territory_id`` is empty), as on the embedded layer. Not
    interactive: VectorGrid 1.3's click handling calls a Leaflet function
    that Leaflet 1.8 removed.
    """

    _template = Template(
        """{% macro script(this, kwargs) %}
// Above the territories and below the home bases, as the embedded dots
// (page.js); the dots take no mouse events, so territory tooltips still show.
(function (map) {
  if (!map.getPane("tm-account-tiles")) {
    var pane = map.createPane("tm-account-tiles");
    pane.style.zIndex = 450;
    pane.style.pointerEvents = "none";
  }
})({{ this._parent.get_name() }});
var {{ this.get_name() }} = L.vectorGrid.protobuf({{ this.url_json }}, {
  pane: "tm-account-tiles",
  rendererFactory: L.canvas.tile,
  interactive: false,
  fetchOptions: {credentials: "same-origin"},
  vectorTileLayerStyles: {accounts: function (p) {
    var assigned = p.territory_id !== undefined && p.territory_id !== null;
    return {radius: {{ this.radius }}, fill: true, fillOpacity: 1, weight: 0.6,
      color: "#333333", fillColor: assigned ? {{ this.assigned_json }} : {{ this.unassigned_json }}};
  }}
});
{% endmacro %}"""
    )
    default_js = [("vectorgrid", VECTORGRID_CDN)]

    def __init__(self, name: str, url: str, *, radius: float = 3.5, show: bool = True) -> None:
        super().__init__(name=text(name), overlay=True, control=True, show=show)
        self._name = "AccountTileLayer"
        self.url_json = script_json(url)
        self.radius = float(radius)
        self.assigned_json = script_json(ASSIGNED_COLOR)
        self.unassigned_json = script_json(FLAG_COLORS["unassigned"])


def add_account_tile_layer(
    m: folium.Map, url: str, count: int, bounds: Bounds | None, title: str = "Accounts"
) -> Bounds | None:
    """Add the accounts as a tile layer and their key; returns ``bounds`` (lat/lon)."""
    layer = AccountTileLayer(title, url)
    m.add_child(layer)
    key: Sequence[tuple[str, str, str]] = [
        (ASSIGNED_COLOR, f"Account, assigned ({count:,} accounts, drawn from tiles)", "dot"),
        (FLAG_COLORS["unassigned"], "Unassigned", "dot"),
    ]
    m.add_child(Legend(title, key))
    return bounds
