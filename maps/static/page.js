/* Territory Mapper page helpers: decode compact payloads, draw layers on
   Leaflet's canvas. Every string in a payload was HTML-escaped on the server. */
var TM = (function () {
  "use strict";

  // A tooltip or popup table from [key, label] pairs.
  function table(p, fields) {
    return "<table>" + fields.map(function (f) {
      var v = p[f[0]];
      if (v === null || v === undefined || v === "") { v = "\u2013"; }
      else if (typeof v === "number") {
        v = v.toLocaleString("en-US", {maximumFractionDigits: 1});
      }
      return "<tr><th>" + f[1] + "</th><td>" + v + "</td></tr>";
    }).join("") + "</table>";
  }

  // Ragged arrays with delta-encoded integer vertices -> FeatureCollection.
  function decodePolygons(g) {
    var xy = g.xy, scale = g.scale, features = [];
    function ring(r) {
      var out = [], x = 0, y = 0;
      for (var i = g.ring[r]; i < g.ring[r + 1]; i++) {
        x += xy[2 * i]; y += xy[2 * i + 1];
        out.push([x / scale, y / scale]);
      }
      return out;
    }
    for (var f = 0; f < g.geom.length - 1; f++) {
      var polygons = [];
      for (var p = g.geom[f]; p < g.geom[f + 1]; p++) {
        var rings = [];
        for (var r = g.part[p]; r < g.part[p + 1]; r++) { rings.push(ring(r)); }
        polygons.push(rings);
      }
      var props = {};
      for (var k in g.props) { props[k] = g.props[k][f]; }
      features.push({type: "Feature", properties: props,
                     geometry: {type: "MultiPolygon", coordinates: polygons}});
    }
    return {type: "FeatureCollection", features: features};
  }

  // Diagonal stripes on a pale ground: an overlap or a gap reads as marked,
  // not as a blend of the fills below it. The canvas renderer takes a
  // CanvasPattern wherever it takes a fill colour.
  var patterns = {};
  function hatch(color) {
    if (!patterns[color]) {
      var c = document.createElement("canvas"), g = c.getContext("2d");
      c.width = c.height = 10;
      g.fillStyle = "rgba(255,255,255,0.75)"; g.fillRect(0, 0, 10, 10);
      g.strokeStyle = color; g.lineWidth = 2.5; g.beginPath();
      g.moveTo(-2, 12); g.lineTo(12, -2); g.moveTo(-2, 2); g.lineTo(2, -2);
      g.moveTo(8, 12); g.lineTo(12, 8); g.stroke();
      patterns[color] = g.createPattern(c, "repeat");
    }
    return patterns[color];
  }

  function polygonLayer(data, style, fields) {
    var layer = L.geoJson(data, {
      style: function (f) {
        var p = f.properties, fill = style.fill;
        if (style.fillKey) { fill = p[style.fillKey]; }
        if (style.classKey) {
          var k = p[style.classKey];
          fill = (k === null || k === undefined || k < 0) ? style.noData : style.classColors[k];
        }
        if (style.hatch) { fill = hatch(style.hatch); }
        return {color: style.color || "#ffffff", weight: style.weight || 0.6,
                fillColor: fill, fillOpacity: style.fillOpacity || 0.6,
                fill: style.noFill !== true, dashArray: style.dashArray || null};
      },
      interactive: style.interactive !== false,
      onEachFeature: function (f, l) {
        l.on("mouseover", function () { l.setStyle({weight: 2.5, color: "#222222"}); });
        l.on("mouseout", function () { layer.resetStyle(l); });
      }
    });
    if (fields.length) {
      layer.bindTooltip(function (l) { return table(l.feature.properties, fields); },
                        {sticky: true, className: "tm-tooltip"});
    }
    layer.tmFeatures = data;
    return layer;
  }

  // Undo the delta encoding of the columns named in o.deltas, in place.
  function decodeColumns(d, o) {
    for (var k in o.deltas) {
      var col = d[k], scale = o.deltas[k], acc = 0;
      for (var i = 0; i < col.length; i++) { acc += col[i]; col[i] = acc / scale; }
    }
    return d;
  }

  // Panes above the territory canvas: dots take no mouse events (the map
  // finds the nearest dot itself), home bases are SVG, which takes events
  // only on its shapes, so neither hides the territory tooltips below.
  function panes(map) {
    if (!map.getPane("tm-dots")) {
      map.createPane("tm-dots").style.zIndex = 450;
      map.getPane("tm-dots").style.pointerEvents = "none";
      map.createPane("tm-homes").style.zIndex = 460;
      map._tmHomes = L.svg({pane: "tm-homes"});
      map._tmDots = [];
      map.on("click", function (e) { clickDot(map, e); });
      map.on("mousemove", function (e) {
        map.getContainer().style.cursor = hitDot(map, e.latlng) ? "pointer" : "";
      });
    }
  }

  function rowOf(d, o, i) {
    var p = {};
    for (var k in d) { p[k] = o.tables[k] ? o.tables[k][d[k][i]] : d[k][i]; }
    return p;
  }

  function popupHtml(d, o, fields, i) {
    var p = rowOf(d, o, i);
    return "<b>" + p[o.titleKey] + "</b>" + table(p, fields);
  }

  // Home bases: a few hundred at most, as SVG circle markers with reach circles.
  function pointLayer(map, d, rows, colors, o, fields) {
    panes(map);
    var group = L.featureGroup(), n = rows ? rows.length : d.lat.length;
    var style = {renderer: map._tmHomes, pane: "tm-homes"};
    for (var j = 0; j < n; j++) {
      var i = rows ? rows[j] : j;
      var c = o.fillKey ? colors[d[o.fillKey][i]] : colors[0];
      if (d.reach_m && d.reach_m[i]) {
        group.addLayer(L.circle([d.lat[i], d.lon[i]], L.extend({radius: d.reach_m[i], color: c,
          weight: 1.5, dashArray: "6 4", fill: false, interactive: false}, style)));
      }
      group.addLayer(L.circleMarker([d.lat[i], d.lon[i]], L.extend({radius: o.radius,
        color: o.stroke, weight: o.weight, fillColor: c, fillOpacity: 0.9, row: i}, style)));
    }
    group.bindTooltip(function (l) { return rowOf(d, o, l.options.row)[o.titleKey]; },
                      {className: "tm-tooltip"});
    group.bindPopup(function (l) { return popupHtml(d, o, fields, l.options.row); });
    return group;
  }

  // Many points drawn into canvas tiles: each tile draws only the points in
  // it, found through an index sorted by x, so zooming and panning redraw
  // a screenful of tiles instead of re-projecting every point.
  var DotLayer = L.GridLayer.extend({
    initialize: function (d, rows, colors, o, fields) {
      L.GridLayer.prototype.initialize.call(this, {pane: "tm-dots", updateWhenZooming: false,
                                                   tileSize: 512});
      var n = rows ? rows.length : d.lat.length;
      this._d = d; this._colors = colors; this._o = o; this._fields = fields;
      this._row = new Uint32Array(n); this._x = new Float64Array(n); this._y = new Float64Array(n);
      var order = [];
      for (var j = 0; j < n; j++) {
        var i = rows ? rows[j] : j, s = Math.sin(d.lat[i] * Math.PI / 180);
        this._row[j] = i;
        this._x[j] = (d.lon[i] + 180) / 360;  // Web Mercator, 0..1 across the world
        this._y[j] = 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI);
        order.push(j);
      }
      var x = this._x;
      order.sort(function (a, b) { return x[a] - x[b]; });
      this._order = Uint32Array.from(order);
      // Thousands of territories share a few palette colours: draw by colour.
      var paints = [], at = {};
      this._paintOf = colors.map(function (c) {
        if (!(c in at)) { at[c] = paints.length; paints.push(c); }
        return at[c];
      });
      this._paints = paints;
    },
    _radius: function (zoom) { return Math.max(1.5, Math.min(this._o.radius, 1 + zoom / 3)); },
    _first: function (x) {  // first position in _order whose x >= the given x
      var lo = 0, hi = this._order.length;
      while (lo < hi) { var mid = (lo + hi) >> 1; if (this._x[this._order[mid]] < x) { lo = mid + 1; } else { hi = mid; } }
      return lo;
    },
    createTile: function (coords) {
      var tile = L.DomUtil.create("canvas", "leaflet-tile"), size = this.getTileSize();
      var ratio = window.devicePixelRatio || 1, ctx = tile.getContext("2d");
      tile.width = size.x * ratio; tile.height = size.y * ratio;
      var world = this._map.options.crs.scale(coords.z), r = this._radius(coords.z);
      var x0 = coords.x * size.x, y0 = coords.y * size.y, o = this._o, fill = o.fillKey;
      var xs = [], ys = [], cs = [], end = this._first((x0 + size.x + r) / world);
      for (var k = this._first((x0 - r) / world); k < end; k++) {
        var j = this._order[k], py = this._y[j] * world - y0;
        if (py < -r || py > size.y + r) { continue; }
        xs.push(this._x[j] * world - x0); ys.push(py);
        cs.push(this._paintOf[fill ? this._d[fill][this._row[j]] : 0]);
      }
      ctx.scale(ratio, ratio);
      ctx.strokeStyle = o.stroke; ctx.lineWidth = o.weight;
      var outline = r >= 3, byColor = {};  // small dots get no outline: it would hide them
      for (var n = 0; n < xs.length; n++) { (byColor[cs[n]] || (byColor[cs[n]] = [])).push(n); }
      for (var key in byColor) {  // one path per colour: one fill call, not one per point
        ctx.fillStyle = this._paints[key];
        ctx.beginPath();
        for (var m = 0, list = byColor[key]; m < list.length; m++) {
          ctx.moveTo(xs[list[m]] + r, ys[list[m]]);
          ctx.arc(xs[list[m]], ys[list[m]], r, 0, 2 * Math.PI);
        }
        ctx.fill();
        if (outline) { ctx.stroke(); }
      }
      return tile;
    },
    // The row of the point nearest to latlng within a few pixels, or -1.
    nearest: function (latlng) {
      var map = this._map, zoom = map.getZoom(), world = map.options.crs.scale(zoom);
      var p = map.project(latlng, zoom), tol = this._radius(zoom) + 3, best = -1, bestD = tol * tol;
      var end = this._first((p.x + tol) / world);
      for (var k = this._first((p.x - tol) / world); k < end; k++) {
        var j = this._order[k], dx = this._x[j] * world - p.x, dy = this._y[j] * world - p.y;
        if (dx * dx + dy * dy <= bestD) { bestD = dx * dx + dy * dy; best = j; }
      }
      return best < 0 ? -1 : this._row[best];
    },
    onAdd: function (map) {
      panes(map); map._tmDots.push(this);
      L.GridLayer.prototype.onAdd.call(this, map);
    },
    onRemove: function (map) {
      map._tmDots.splice(map._tmDots.indexOf(this), 1);
      L.GridLayer.prototype.onRemove.call(this, map);
    }
  });

  function hitDot(map, latlng) {
    for (var k = map._tmDots.length - 1; k >= 0; k--) {  // the last added is drawn on top
      var layer = map._tmDots[k], i = layer.nearest(latlng);
      if (i >= 0) { return {layer: layer, row: i}; }
    }
    return null;
  }

  function clickDot(map, e) {
    var hit = hitDot(map, e.latlng);
    if (!hit) { return; }
    var d = hit.layer._d;
    L.popup().setLatLng([d.lat[hit.row], d.lon[hit.row]])
      .setContent(popupHtml(d, hit.layer._o, hit.layer._fields, hit.row)).openOn(map);
  }

  function dotLayer(map, d, rows, colors, o, fields) {
    panes(map);
    return new DotLayer(d, rows, colors, o, fields);
  }

  // A legend: a section of the page's side panel (#tm-legend) when the page
  // has one, else a box on the map. Shown while `layer` is on the map
  // (always when null). Entries are [colour, label, kind]; kind is one of
  // fill, dot, ring, hatch, line.
  function legendHtml(title, entries, tag) {
    return "<" + tag + ">" + title + "</" + tag + "><ul>" + entries.map(function (e) {
      var kind = e[2] || "fill";
      return "<li><i aria-hidden=\"true\" class=\"tm-sw tm-" + kind + "\" style=\"--c:" + e[0] +
        "\"></i>" + e[1] + "</li>";
    }).join("") + "</ul>";
  }

  function legend(map, layer, title, entries) {
    var side = document.getElementById("tm-legend"), show, hide;
    if (side) {
      var section = L.DomUtil.create("section", "tm-legend-part", side);
      section.innerHTML = legendHtml(title, entries, "h2");
      show = function () { section.hidden = false; };
      hide = function () { section.hidden = true; };
    } else {
      var box = L.control({position: "bottomright"});
      box.onAdd = function () {
        // On a small map each key folds to its title, a tap away: open, three
        // keys covered most of a phone's map.
        var div = L.DomUtil.create("div", "tm-legend");
        var folded = L.DomUtil.create("details", "", div);
        folded.open = map.getSize().x >= 600;
        folded.innerHTML = legendHtml(title, entries, "summary");
        L.DomEvent.disableClickPropagation(div);
        return div;
      };
      show = function () { box.addTo(map); };
      hide = function () { box.remove(); };
    }
    if (!layer || map.hasLayer(layer)) { show(); } else { hide(); }
    if (layer) {
      map.on("overlayadd", function (e) { if (e.layer === layer) { show(); } });
      map.on("overlayremove", function (e) { if (e.layer === layer) { hide(); } });
    }
  }

  // The layer control moves beside the map when the page has a side panel,
  // so it covers nothing on a phone.
  function dock(map) {
    var place = document.getElementById("tm-layers");
    var control = map.getContainer().querySelector(".leaflet-control-layers");
    if (place && control) {
      place.appendChild(control);
      control.querySelectorAll("input").forEach(function (input) {
        input.setAttribute("aria-label", input.nextElementSibling.textContent.trim());
      });
    }
  }

  return {table: table, decodePolygons: decodePolygons, polygonLayer: polygonLayer,
          decodeColumns: decodeColumns, pointLayer: pointLayer, dotLayer: dotLayer,
          legend: legend, hatch: hatch, dock: dock};
})();
