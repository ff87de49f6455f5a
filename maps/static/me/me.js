/* "My accounts": the signed-in rep's book as a sortable table beside a map,
   their week and today's route (week.js), their travel load and a sample day
   of the month. Needs api.js, week.js and Leaflet.
   What the token may read is decided by the API, never here. */
(function () {
  "use strict";
  var api = TMApi, el = TMApi.el, $ = function (id) { return document.getElementById(id); };
  var map = api.baseMap("map");
  var layers = {accounts: L.featureGroup().addTo(map), territories: L.featureGroup().addTo(map),
                route: L.layerGroup().addTo(map), today: L.layerGroup().addTo(map)};
  var S = {rep: null, accounts: [], markers: {}, sort: {key: "distance_km", dir: 1}};
  window.TMMe = {map: map, state: S};

  function notice(title, detail) {
    $("notice").hidden = !title;
    $("notice-title").textContent = title || "";
    $("notice-detail").textContent = detail || "";
  }

  // Which rep: ?rep=ID when given (the API refuses a rep someone else's),
  // else the only rep a rep's token can see, else the first one listed.
  function load() {
    return api.call("GET", "/reps?limit=1000").then(function (r) {
      if (!r.ok) { notice("Cannot list reps", api.describe(r)); return r; }
      var reps = r.body.items, wanted = Number(new URLSearchParams(location.search).get("rep")) || null;
      picker(reps);
      var id = wanted || (reps[0] && reps[0].id);
      if (!id) { notice("No rep to show", "This token sees no rep record."); return r; }
      return show(id).then(function () { return r; });
    });
  }

  function picker(reps) {
    var sel = $("rep-select");
    $("rep-pick").hidden = reps.length < 2;
    sel.textContent = "";
    reps.forEach(function (r) { sel.appendChild(el("option", {value: String(r.id)}, r.name + " (#" + r.id + ")")); });
  }

  function show(repId) {
    notice(null);
    $("rep-select").value = String(repId);
    return api.call("GET", "/reps/" + repId).then(function (r) {
      if (!r.ok) {
        notice("Not allowed", api.describe(r));
        $("rep-name").textContent = "No accounts shown";
        return;
      }
      S.rep = r.body;
      $("rep-name").textContent = r.body.name + (r.body.email ? " \u00b7 " + r.body.email : "");
      // The week first: the month's sample day is drawn only when no real day is.
      var home = r.body.home ? r.body.home.coordinates : null;
      var week = TMWeek.show(repId, home, map, layers.today).then(function () { return travel(repId); });
      return Promise.all([accounts(repId), territories(), week]).then(function () {
        document.body.dataset.ready = "1";
      });
    });
  }

  function accounts(repId) {
    return api.all("/accounts?limit=1000&rep_id=" + repId, "features", 20000).then(function (r) {
      if (!r.ok) { notice("Cannot load accounts", api.describe(r)); return; }
      S.accounts = r.body.map(function (f) {
        var p = f.properties;
        return {id: f.id, name: p.name || f.id, city: p.city, distance_km: p.distance_km, annual_revenue: p.annual_revenue,
                visits_per_month: p.visits_per_month, flags: (p.flags || []).join(", "), stage: p.stage,
                lonlat: f.geometry ? f.geometry.coordinates : null};
      });
      markers();
      table();
    });
  }

  function territories() {
    return api.all("/territories?limit=1000", "features").then(function (r) {
      layers.territories.clearLayers();
      if (!r.ok) { return; }
      r.body.forEach(function (f) {
        var l = L.GeoJSON.geometryToLayer(f, {interactive: false});
        l.setStyle({color: "#0b4f9c", weight: 1.5, fillColor: "#4f8fd8", fillOpacity: 0.08});
        layers.territories.addLayer(l);
      });
    });
  }

  function markers() {
    layers.accounts.clearLayers();
    S.markers = {};
    S.accounts.forEach(function (a) {
      if (!a.lonlat) { return; }
      var far = a.flags.indexOf("too-far") >= 0;
      var m = L.circleMarker([a.lonlat[1], a.lonlat[0]], {radius: 6, weight: 1.5, color: "#fff",
        fillColor: far ? "#c0392b" : "#1f6fb2", fillOpacity: 0.9, className: "account-marker"});
      m.bindTooltip(el("span", {}, a.name + (a.distance_km === null || a.distance_km === undefined ? "" : " \u00b7 " + api.fmt(a.distance_km) + " km")));
      m.on("click", function () { focusRow(a.id); });
      layers.accounts.addLayer(m);
      S.markers[a.id] = m;
    });
    if (S.rep && S.rep.home) {
      var h = S.rep.home.coordinates;
      L.marker([h[1], h[0]], {icon: L.divIcon({className: "home-marker", iconSize: [18, 18]}), title: "Home base"})
        .bindTooltip("Home base").addTo(layers.accounts);
    }
    var fit = layers.today.getLayers().length ? L.featureGroup(layers.today.getLayers()) : layers.accounts;
    if (fit.getLayers().length) { map.fitBounds(fit.getBounds(), {padding: [30, 30], maxZoom: 13}); }
  }

  function value(a, key) {
    var v = a[key];
    return v === null || v === undefined || v === "" ? null : v;
  }

  // Sorted, filtered rows; empty values sort last in both directions.
  function table() {
    var q = $("filter").value.trim().toLowerCase(), k = S.sort.key, d = S.sort.dir;
    var rows = S.accounts.filter(function (a) {
      return !q || [a.name, a.city, a.flags, a.id].join(" ").toLowerCase().indexOf(q) >= 0;
    }).sort(function (x, y) {
      var a = value(x, k), b = value(y, k);
      if (a === null || b === null) { return (a === null) - (b === null); }
      return (typeof a === "number" ? a - b : String(a).localeCompare(String(b))) * d || String(x.id).localeCompare(String(y.id));
    });
    var body = $("accounts").tBodies[0];
    body.textContent = "";
    rows.forEach(function (a) {
      // data-label names each cell when a phone shows the rows as cards.
      var tr = el("tr", {"data-id": a.id, tabindex: "0"},
        el("td", {"class": "name"}, a.name, a.city ? el("small", {}, " " + a.city) : null),
        el("td", {"class": "num", "data-label": "Distance km"}, api.fmt(a.distance_km)),
        el("td", {"class": "num", "data-label": "Revenue"}, api.fmt(a.annual_revenue, 0)),
        el("td", {"class": "num", "data-label": "Visits / month"}, api.fmt(a.visits_per_month)),
        el("td", {"class": "flags", "data-label": "Flags"}, flags(a.flags)));
      tr.addEventListener("click", function () { focusMarker(a.id); });
      tr.addEventListener("keydown", function (e) { if (e.key === "Enter") { focusMarker(a.id); } });
      body.appendChild(tr);
    });
    $("count").textContent = "(" + rows.length + (rows.length !== S.accounts.length ? " of " + S.accounts.length : "") + ")";
    Array.prototype.forEach.call($("accounts").tHead.querySelectorAll("th"), function (th) {
      var key = th.querySelector("button").dataset.key;
      th.setAttribute("aria-sort", key === k ? (d > 0 ? "ascending" : "descending") : "none");
    });
  }

  function flags(text) {
    var span = el("span", {});
    text.split(", ").filter(Boolean).forEach(function (f) { span.appendChild(el("span", {"class": "flag flag-" + f}, f)); });
    return span;
  }

  function focusMarker(id) {
    var m = S.markers[id];
    if (m) { map.setView(m.getLatLng(), Math.max(map.getZoom(), 11)); m.openTooltip(); }
    focusRow(id);
  }

  function focusRow(id) {
    Array.prototype.forEach.call($("accounts").tBodies[0].rows, function (tr) {
      var on = tr.dataset.id === String(id);
      tr.classList.toggle("active", on);
      if (on) { tr.scrollIntoView({block: "nearest"}); }
    });
  }

  // Travel load and the planned days; both degrade to a note when the
  // server has no such route yet (404) or the rep has no home (409).
  function travel(repId) {
    $("load").hidden = false;
    $("route-row").hidden = true;
    layers.route.clearLayers();
    return api.call("GET", "/reps/" + repId + "/travel").then(function (r) {
      var dl = $("load-figures");
      dl.textContent = "";
      $("load-note").textContent = "";
      if (!r.ok) { $("load-status").textContent = ""; $("load-reason").textContent = "Travel load is not available: " + api.describe(r); return; }
      var t = r.body;
      $("load-status").textContent = t.status;
      $("load-status").className = "badge " + t.status;
      [["Load", t.load_pct === null ? null : api.fmt(t.load_pct) + " %"], ["Hours / month", api.fmt(t.total_hours) + " of " + api.fmt(t.capacity_hours)],
       ["Driving h", api.fmt(t.driving_hours)], ["On site h", api.fmt(t.on_site_hours)],
       ["Km / month", api.fmt(t.km_per_month, 0)], ["Visits / month", api.fmt(t.visits_per_month)],
       ["Days needed", api.fmt(t.working_days_needed)]].forEach(function (row) {
        dl.appendChild(el("div", {}, el("dt", {}, row[0]), el("dd", {}, row[1] === null ? "\u2013" : row[1])));
      });
      $("load-reason").textContent = t.reason || "";
      $("load-note").textContent = t.method || "";
      return route(repId, 1, true);
    });
  }

  function route(repId, day, first) {
    return api.call("GET", "/reps/" + repId + "/route?day=" + day).then(function (r) {
      layers.route.clearLayers();
      if (!r.ok) { if (!first) { $("day-summary").textContent = api.describe(r); } return; }
      var b = r.body, sel = $("day");
      if (first) {
        sel.textContent = "";
        // A tour that is not an ordinary day says so in the list too.
        (b.tours || []).forEach(function (t) {
          var note = t.unreachable ? " (not reachable)" : t.nights ? " (overnight, " + t.nights + (t.nights > 1 ? " nights)" : " night)") : "";
          sel.appendChild(el("option", {value: String(t.day)}, "Day " + t.day + note));
        });
      }
      $("route-row").hidden = false;
      sel.value = String(b.day);
      $("day-summary").textContent = b.stops.length + (b.stops.length === 1 ? " stop" : " stops") + " \u00b7 " + api.fmt(b.km) + " km \u00b7 " + api.fmt(b.total_hours) + " h" +
        (b.trip_days > 1 ? " over " + b.trip_days + " days" : "");
      $("day-warning").hidden = !b.warning;
      $("day-warning").textContent = b.warning || "";
      if (first && TMWeek.state.schedule) { return; }  // today's real route is on the map
      L.geoJSON(b.route, {interactive: false, style: {color: "#d35400", weight: 3, opacity: 0.85}}).addTo(layers.route);
      b.stops.forEach(function (s) {
        L.marker([s.lat, s.lon], {icon: L.divIcon({className: "stop-marker", html: String(s.order), iconSize: [18, 18]}),
                                  interactive: false}).addTo(layers.route);
      });
    });
  }

  $("accounts").tHead.addEventListener("click", function (e) {
    var b = e.target.closest("button");
    if (!b) { return; }
    S.sort = {key: b.dataset.key, dir: S.sort.key === b.dataset.key ? -S.sort.dir : 1};
    table();
  });
  $("filter").addEventListener("input", table);
  $("rep-select").addEventListener("change", function () {
    var id = Number(this.value);
    history.replaceState(null, "", "?rep=" + id);
    show(id);
  });
  // On a phone the book comes first; the map opens on request.
  function showMap(on) {
    $("map").hidden = !on;
    $("map-toggle").setAttribute("aria-expanded", on ? "true" : "false");
    $("map-toggle").textContent = on ? "Hide map" : "Show map";
    if (on) { map.invalidateSize(); if (layers.accounts.getLayers().length) { map.fitBounds(layers.accounts.getBounds(), {padding: [30, 30], maxZoom: 13}); } }
  }
  $("map-toggle").addEventListener("click", function () { showMap($("map").hidden); });
  if (window.matchMedia("(max-width: 820px)").matches) { showMap(false); }
  $("day").addEventListener("change", function () { if (S.rep) { route(S.rep.id, Number(this.value), false); } });
  api.signIn(load);
})();
