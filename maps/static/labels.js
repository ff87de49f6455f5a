/* Map labels, placed by the page at every view: territory names (rank 0),
   rep names (1) and city names (2). Every label layer of a map is placed in
   one pass, in rank order, against one list of taken boxes, as map products
   place their symbols (Mapbox GL's collision index): markers and the map's
   own controls are taken first, so no label hides a rep's home base, a
   route's stop or a button, and no label ever covers another. Placing layer
   by layer, each on its own events, let a layer switched back on, or one
   whose events ran first, draw over labels it never saw. Loaded after
   page.js; every string in a payload was HTML-escaped on the server. */
(function (TM) {
  "use strict";

  var PAD = 2;  // px kept clear around each label

  function meet(a, b) { return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]; }

  function relative(el, frame) {
    var r = el.getBoundingClientRect();
    return [r.left - frame.left, r.top - frame.top, r.right - frame.left, r.bottom - frame.top];
  }

  // Boxes no label may cover, in container pixels. Reach circles (L.Circle)
  // are areas, not markers: labels may sit inside them.
  function obstacles(map) {
    var out = [], container = map.getContainer(), frame = container.getBoundingClientRect();
    map.eachLayer(function (l) {
      if (l instanceof L.Marker && l._icon) { out.push(relative(l._icon, frame)); }
      else if (l instanceof L.CircleMarker && !(l instanceof L.Circle)) {
        var p = map.latLngToContainerPoint(l.getLatLng());
        var s = l.getRadius() + (l.options.stroke === false ? 0 : l.options.weight / 2);
        out.push([p.x - s, p.y - s, p.x + s, p.y + s]);
      }
    });
    container.querySelectorAll(".leaflet-control").forEach(function (c) {
      if (c.offsetParent !== null) { out.push(relative(c, frame)); }
    });
    return out;
  }

  function place(map) {
    map._tmPending = false;
    var size = map.getSize(), taken = obstacles(map);
    map._tmLabels.slice().sort(function (a, b) { return a._o.rank - b._o.rank; })
      .forEach(function (layer) { layer._place(taken, size); });
  }

  // One pass per change: a zoom fires zoomend and moveend, a layer switched
  // on or off changes the room of every other layer.
  function schedule(map) {
    if (map._tmPending) { return; }
    map._tmPending = true;
    Promise.resolve().then(function () { if (map._tmPending) { place(map); } });
  }

  function hideAll(map) {
    map._tmLabels.forEach(function (layer) { layer._box.style.display = "none"; });
  }

  function watch(map) {
    if (map._tmLabels) { return; }
    map._tmLabels = [];
    map.createPane("tm-labels").style.zIndex = 455;
    map.getPane("tm-labels").style.pointerEvents = "none";
    map.on("zoomend moveend resize", function () { schedule(map); });
    map.on("zoomstart", function () { hideAll(map); });
  }

  // A territory's name (else its code) centred in its largest inscribed
  // circle, or a line above or below the centre when a marker sits there
  // and the circle has the room; nothing when neither text fits.
  function inside(layer, i, p, free) {
    var map = layer._map, d = layer._d;
    var room = p.y - map.latLngToContainerPoint([d.lat[i] + d.r[i], d.lon[i]]).y;
    var size = Math.max(10, Math.min(15, room / 3)), h = size * 1.35;
    var choices = [d.name[i], d.code[i]];
    for (var c = 0; c < choices.length; c++) {
      var w = choices[c] ? layer._width(choices[c], size) : 0;
      if (!w || w > 2.4 * room || size * 1.3 > 2 * room) { continue; }
      var shifts = [0, -(h + 2 * PAD), h + 2 * PAD];
      for (var s = 0; s < shifts.length; s++) {
        if (Math.abs(shifts[s]) + h / 2 > room) { continue; }
        var spot = {text: choices[c], size: size, left: p.x - w / 2,
                    top: p.y + shifts[s] - h / 2, w: w, h: h};
        if (free(spot)) { return spot; }
      }
    }
    return null;
  }

  // A point's name beside it: right, left, above or below, the first free.
  function beside(layer, i, p, free) {
    var o = layer._o, size = o.size || 12, off = o.offset || 4, text = layer._d.name[i];
    var w = layer._width(text, size), h = size * 1.35;
    var spots = [[p.x + off, p.y - h / 2], [p.x - off - w, p.y - h / 2],
                 [p.x - w / 2, p.y - off - h], [p.x - w / 2, p.y + off]];
    for (var k = 0; k < spots.length; k++) {
      var spot = {text: text, size: size, left: spots[k][0], top: spots[k][1], w: w, h: h};
      if (free(spot)) { return spot; }
    }
    return null;
  }

  var LabelLayer = L.Layer.extend({
    initialize: function (d, o) { this._d = d; this._o = o; },
    onAdd: function (map) {
      watch(map);
      this._box = L.DomUtil.create("div", "tm-labels " + (this._o.className || ""),
                                   map.getPane("tm-labels"));
      this._box.setAttribute("aria-hidden", "true");
      map._tmLabels.push(this);
      schedule(map);
    },
    onRemove: function (map) {
      map._tmLabels.splice(map._tmLabels.indexOf(this), 1);
      L.DomUtil.remove(this._box);
      schedule(map);
    },
    // Labels in payload order (largest room or largest city first), up to
    // o.max, and on a small map up to one per o.areaPx square pixels: a
    // phone shows the few largest cities, not a crowd of small ones.
    _place: function (taken, size) {
      var map = this._map, d = this._d, o = this._o, box = this._box, dots = !d.r && o.dots;
      box.style.display = ""; box.innerHTML = "";
      var budget = o.max || 400, n = d.lat.length, shown = 0;
      if (o.areaPx) { budget = Math.min(budget, Math.floor(size.x * size.y / o.areaPx)); }
      for (var i = 0; i < n && shown < budget; i++) {
        var p = map.latLngToContainerPoint([d.lat[i], d.lon[i]]);
        if (p.x < 0 || p.y < 0 || p.x > size.x || p.y > size.y) { continue; }
        var dot = dots ? [p.x - 3, p.y - 3, p.x + 3, p.y + 3] : null;
        if (dot && taken.some(function (q) { return meet(dot, q); })) { continue; }
        var free = function (s) {
          s.rect = [s.left - PAD, s.top - PAD, s.left + s.w + PAD, s.top + s.h + PAD];
          return s.rect[0] >= 0 && s.rect[1] >= 0 && s.rect[2] <= size.x &&
            s.rect[3] <= size.y && !taken.some(function (q) { return meet(s.rect, q); });
        };
        var spot = d.r ? inside(this, i, p, free) : beside(this, i, p, free);
        if (!spot) { continue; }
        taken.push(spot.rect);
        if (dot) { taken.push(dot); }
        shown++;
        this._show(spot, i, p, dot);
      }
    },
    _show: function (spot, i, p, dot) {
      var el = L.DomUtil.create("div", "tm-label", this._box), ink = this._d.ink;
      if (ink && ink[i]) { el.classList.add("tm-ink-light"); }
      el.innerHTML = spot.text; el.style.fontSize = spot.size + "px";
      L.DomUtil.setPosition(el, this._map.containerPointToLayerPoint([spot.left, spot.top]));
      if (dot) {
        var mark = L.DomUtil.create("i", "tm-city-dot", el);
        mark.style.left = (p.x - spot.left - 2) + "px"; mark.style.top = (p.y - spot.top - 2) + "px";
      }
    },
    _width: function (text, size) {
      var g = this._ctx || (this._ctx = document.createElement("canvas").getContext("2d"));
      g.font = "600 " + size + "px sans-serif";
      var plain = text.replace(/&[^;]+;/g, "x");
      return g.measureText(plain).width + 4;
    }
  });

  TM.labelLayer = function (d, o) { return new LabelLayer(d, o); };
})(TM);
