/* The territory editor: draw, edit, split, merge, delete, restore; save
   through the public API with If-Match. Needs api.js, shapes.js, Leaflet,
   Leaflet-Geoman and JSTS. GeoJSON is lon/lat; Leaflet wants lat/lon. */
(function () {
  "use strict";
  var api = TMApi, el = TMApi.el, $ = function (id) { return document.getElementById(id); };
  var PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                 "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
  var S = {territories: {}, layers: {}, reps: {}, sel: null, mode: null, busy: false, fitted: false, ask: null};
  var map = api.baseMap("map");
  S.group = L.featureGroup().addTo(map);
  S.extras = L.layerGroup().addTo(map);
  S.problems = L.layerGroup().addTo(map);
  map.pm.setGlobalOptions({snappable: true, snapDistance: 15, allowSelfIntersection: true});
  map.pm.addControls({position: "topleft", drawMarker: false, drawCircleMarker: false,
    drawPolyline: false, drawCircle: false, drawText: false, editMode: false, dragMode: false,
    cutPolygon: false, removalMode: false, rotateMode: false});
  window.TMEditor = {map: map, state: S};  // for tests and the console

  // ---- loading and the territory list ------------------------------------
  function load() {
    return Promise.all([api.all("/territories?limit=1000", "features"), api.all("/reps?limit=1000", "items")])
      .then(function (rs) {
        var t = rs[0], r = rs[1];
        if (!t.ok) { api.status(api.describe(t), "error"); return t; }
        S.territories = {};
        t.body.forEach(function (f) { S.territories[f.id] = f; });
        S.reps = {};
        (r.ok ? r.body : []).forEach(function (rep) { S.reps[rep.id] = rep; });
        draw();
        document.body.dataset.ready = "1";
        return t;
      });
  }

  function colour(f) { return f.properties.color || PALETTE[f.id % PALETTE.length]; }

  function draw() {
    S.group.clearLayers();
    S.layers = {};
    var parents = {};
    Object.keys(S.territories).forEach(function (id) { parents[S.territories[id].properties.parent_id] = true; });
    Object.keys(S.territories).forEach(function (id) {
      var f = S.territories[id], layer = L.GeoJSON.geometryToLayer(f);
      // Regions (territories with children) as outlines, so their children show.
      layer.setStyle(parents[f.id] ? {color: "#555", weight: 2, dashArray: "2 4", fillColor: colour(f), fillOpacity: 0.06}
                                   : {color: "#333", weight: 1, fillColor: colour(f), fillOpacity: 0.35});
      layer.bindTooltip(el("span", {}, f.properties.name), {permanent: true, direction: "center", className: "territory-label"});
      layer.on("click", function () { pick(f.id, false); });
      S.layers[id] = layer;
      if (!S.sel || S.sel.id !== f.id) { S.group.addLayer(layer); }
    });
    Object.keys(parents).forEach(function (id) { if (S.layers[id] && S.group.hasLayer(S.layers[id])) { S.layers[id].bringToBack(); } });
    if (S.sel && S.sel.merge && S.layers[S.sel.merge.id]) { S.group.removeLayer(S.layers[S.sel.merge.id]); }
    if (!S.fitted && S.group.getLayers().length) { map.fitBounds(S.group.getBounds(), {padding: [20, 20]}); S.fitted = true; }
    list();
  }

  function list() {
    var ul = $("territory-list"), q = $("filter").value.trim().toLowerCase();
    var items = Object.keys(S.territories).map(function (k) { return S.territories[k]; });
    items.sort(function (a, b) { return a.properties.name.localeCompare(b.properties.name); });
    ul.textContent = "";
    items.forEach(function (f) {
      var p = f.properties, text = (p.name + " " + (p.code || "")).toLowerCase();
      if (q && text.indexOf(q) < 0) { return; }
      var b = el("button", {type: "button", "data-id": f.id}, el("span", {"class": "swatch", "data-colour": colour(f)}),
                 p.name, p.code ? el("small", {}, " " + p.code) : null, el("small", {"class": "ver"}, " v" + p.version));
      b.querySelector(".swatch").style.background = colour(f);
      b.addEventListener("click", function () { pick(f.id, true); });
      ul.appendChild(el("li", S.sel && S.sel.id === f.id ? {"class": "active"} : {}, b));
    });
    $("count").textContent = "(" + items.length + ")";
  }

  // ---- selection and the form -------------------------------------------
  function dirty() { return !!S.sel && (S.sel.geomDirty || S.sel.formDirty || !!S.sel.split || !!S.sel.merge); }

  function pick(id, zoom) {
    if (map.pm.globalDrawModeEnabled()) { return; }
    if (S.mode === "merge") { mergeWith(id); return; }
    if (S.sel && S.sel.id === id) { return; }
    if (dirty()) { api.status("Save or cancel the changes to " + label() + " first.", "error"); return; }
    edit(S.territories[id], S.territories[id].geometry);
    if (zoom) { map.fitBounds(S.sel.layer.getBounds(), {padding: [40, 40], maxZoom: 14}); }
  }

  function label() { return S.sel && S.sel.base ? "\u201c" + S.sel.base.properties.name + "\u201d" : "the new territory"; }

  // Start editing `base` (a Feature, or null for a new one) with `geometry`.
  function edit(base, geometry) {
    stop();
    S.sel = {id: base ? base.id : null, base: base, geomDirty: !base, formDirty: false, split: null, merge: null};
    setGeometry(geometry);
    writeForm(base ? formOf(base) : {});
    $("form").hidden = false;
    $("details-hint").hidden = true;
    $("history").hidden = true;
    $("details-title").textContent = base ? base.properties.name + " (#" + base.id + ", version " + base.properties.version + ")" : "New territory";
    pending();
    list();
    if (!base) { $("f-name").focus(); }
  }

  function setGeometry(geometry) {
    if (S.sel.layer) { S.sel.layer.pm.disable(); map.removeLayer(S.sel.layer); }
    var layer = L.GeoJSON.geometryToLayer({type: "Feature", properties: {}, geometry: geometry});
    layer.setStyle({color: "#0b4f9c", weight: 3, dashArray: "6 4", fillColor: "#4f8fd8", fillOpacity: 0.3});
    layer.addTo(map);
    layer.pm.enable({allowSelfIntersection: true, snappable: true, snapDistance: 15});
    layer.on("pm:edit", function () { S.sel.geomDirty = true; pending(); });
    S.sel.layer = layer;
    if (S.sel.id !== null && S.layers[S.sel.id]) { S.group.removeLayer(S.layers[S.sel.id]); }
  }

  function geometry() { return TMShapes.rightHand(S.sel.layer.toGeoJSON(false).geometry); }

  // Drop the selection (and any unsaved change) and show the saved state.
  function stop() {
    if (!S.sel) { return; }
    if (S.sel.layer) { S.sel.layer.pm.disable(); map.removeLayer(S.sel.layer); }
    S.extras.clearLayers();
    var keep = S.sel;
    S.sel = null;
    [keep.id, keep.merge && keep.merge.id].forEach(function (id) {
      if (id !== null && id !== undefined && S.layers[id]) { S.group.addLayer(S.layers[id]); }
    });
  }

  function cancel() {
    if (S.ask) { S.ask(null); return; }
    if (S.busy) { return; }
    if (map.pm.globalDrawModeEnabled()) { map.pm.disableDraw(); S.mode = null; api.status("Drawing cancelled."); return; }
    if (S.mode) { S.mode = null; api.status("Cancelled."); return; }
    closeNotice();
    stop();
    S.problems.clearLayers();
    $("form").hidden = true;
    $("details-hint").hidden = false;
    $("history").hidden = true;
    $("details-title").textContent = "No territory selected";
    api.status("Changes discarded; nothing was saved.");
    list();
  }

  function formOf(f) {
    var p = f.properties, r = p.rules || {};
    return {name: p.name, code: p.code || "", parent: p.parent_id ? String(p.parent_id) : "",
            reps: (p.rep_ids || []).join(", "), industries: (r.industries || []).join(", "),
            products: (r.products || []).join(", "), min: r.min_revenue === null || r.min_revenue === undefined ? "" : String(r.min_revenue),
            max: r.max_revenue === null || r.max_revenue === undefined ? "" : String(r.max_revenue), color: p.color || ""};
  }

  var FIELDS = {name: "f-name", code: "f-code", parent: "f-parent", reps: "f-reps", industries: "f-industries",
                products: "f-products", min: "f-min", max: "f-max", color: "f-color", splitName: "f-split-name"};

  function writeForm(v) {
    var sel = $("f-parent");
    sel.textContent = "";
    sel.appendChild(el("option", {value: ""}, "(none)"));
    Object.keys(S.territories).forEach(function (k) {
      var t = S.territories[k];
      if (!S.sel || t.id !== S.sel.id) { sel.appendChild(el("option", {value: String(t.id)}, t.properties.name + " (#" + t.id + ")")); }
    });
    Object.keys(FIELDS).forEach(function (k) { $(FIELDS[k]).value = v[k] || ""; });
    repNames();
  }

  function readForm() {
    var v = {};
    Object.keys(FIELDS).forEach(function (k) { v[k] = $(FIELDS[k]).value.trim(); });
    return v;
  }

  function repNames() {
    var ids = $("f-reps").value.split(/[\s,;]+/).filter(Boolean);
    $("f-reps-names").textContent = ids.map(function (id, i) {
      var r = S.reps[id];
      return (r ? r.name : "unknown rep " + id) + (i === 0 ? " (primary)" : "");
    }).join(", ");
  }

  function words(s) { return s ? s.split(",").map(function (w) { return w.trim(); }).filter(Boolean) : null; }
  function num(s) { return s === "" ? null : Number(s); }

  // The Feature to send, or null (with the reason shown) when the form is incomplete.
  function collect() {
    var v = readForm();
    var reps = v.reps.split(/[\s,;]+/).filter(Boolean).map(Number);
    var bad = !v.name ? ["f-name", "A territory needs a name."]
      : reps.some(function (r) { return !Number.isInteger(r) || r < 1; }) ? ["f-reps", "Reps are rep ids (whole numbers), separated by commas."]
      : (isNaN(num(v.min)) || isNaN(num(v.max))) ? ["f-min", "Revenues must be numbers."] : null;
    if (bad) { api.status(bad[1], "error"); $(bad[0]).focus(); return null; }
    var rules = {industries: words(v.industries), products: words(v.products), min_revenue: num(v.min), max_revenue: num(v.max)};
    return {type: "Feature", geometry: geometry(), properties: {
      name: v.name, code: v.code || null, parent_id: v.parent ? Number(v.parent) : null, rep_ids: reps,
      rules: rules, color: v.color || null}};
  }

  function pending() {
    var s = S.sel, out = [];
    if (s.merge) { out.push("Saving deletes \u201c" + s.merge.name + "\u201d and gives its area to this territory."); }
    if (s.split) { out.push("Saving also creates the dashed piece as a new territory (" + s.split.pieces + " piece(s) cut off)."); }
    $("pending").textContent = out.join(" ");
    $("pending").hidden = !out.length;
    $("split-row").hidden = !s.split;
  }

  // ---- saving -----------------------------------------------------------
  function save() {
    if (!S.sel || S.busy) { return; }
    var feature = collect();
    if (!feature) { return; }
    busy(true);
    closeNotice();
    S.problems.clearLayers();
    var sel = S.sel, saved = [];
    var chain = sel.merge ? removeMerged(sel) : Promise.resolve(true);
    chain.then(function (go) {
      if (!go) { return null; }
      if (!sel.geomDirty && !sel.formDirty && sel.id !== null) { return {body: sel.base}; }
      var policy = sel.geomDirty ? "reject" : "warn";
      return sel.id === null ? send("POST", "/territories", feature, undefined, policy)
        : send("PUT", "/territories/" + sel.id, feature, sel.base.properties.version, policy);
    }).then(function (r) {
      if (!r) { return null; }
      if (r.status) { saved.push(r.body); }
      sel.id = r.body.id; sel.base = r.body; sel.geomDirty = sel.formDirty = false;
      sel.merge = null;
      if (!sel.split) { return r; }
      var piece = {type: "Feature", geometry: sel.split.geometry,
                   properties: Object.assign({}, feature.properties, {name: readForm().splitName || feature.properties.name + " (2)", code: null})};
      return send("POST", "/territories", piece, undefined, "reject").then(function (r2) {
        if (r2) { saved.push(r2.body); sel.split = null; S.extras.clearLayers(); }
        return r2 && r;
      });
    }).then(function (r) {
      if (S.sel === sel) { pending(); }
      if (!r) { busy(false); if (saved.length) { report(saved); } return; }
      // Reload (neighbours and versions may have moved), then say so: the
      // "Saved" status appears only once the page shows the saved state.
      return load().then(function () {
        S.problems.clearLayers();
        edit(S.territories[sel.id], S.territories[sel.id].geometry);
        busy(false);
        report(saved);
      });
    });
  }

  // A write with the overlap dry check: `reject` first, then what the user picks.
  function send(method, path, body, version, policy) {
    var url = path + "?on_overlap=" + policy;
    return api.call(method, url, {body: body, ifMatch: version}).then(function (r) {
      if (r.ok) { return r; }
      if (r.status === 409 && /territory-overlap/.test((r.body || {}).type || "")) {
        return askOverlap(r, body.geometry).then(function (choice) {
          return choice ? send(method, path, body, version, choice) : null;
        });
      }
      failed(r);
      return null;
    });
  }

  function removeMerged(sel) {
    return api.call("GET", "/territories/" + sel.id).then(function (r) {
      if (r.ok && r.body.properties.version !== sel.base.properties.version) { r = {status: 412, body: {current_version: r.body.properties.version, updated_by: r.body.properties.updated_by}}; }
      if (r.status !== 200) { failed(r); return false; }
      return api.call("DELETE", "/territories/" + sel.merge.id, {ifMatch: sel.merge.version}).then(function (d) {
        if (!d.ok) { failed(d, "\u201c" + sel.merge.name + "\u201d could not be deleted"); return false; }
        delete S.territories[sel.merge.id];
        return true;
      });
    });
  }

  function busy(on) {
    S.busy = on;
    $("save").disabled = on;
    if (on) { document.body.dataset.busy = "1"; api.status("Saving\u2026"); } else { delete document.body.dataset.busy; }
  }

  function report(features) {
    var items = [];
    features.forEach(function (f) {
      (f.repairs || []).forEach(function (t) { items.push({reason: t}); });
      (f.warnings || []).forEach(function (w) { items.push(w); });
    });
    var names = features.map(function (f) { return "\u201c" + f.properties.name + "\u201d (version " + f.properties.version + ")"; });
    api.status("Saved " + names.join(" and ") + ".", "ok");
    if (items.length) { notice("ok", "Saved, with notes", "The service changed or flagged this:", items, []); }
  }

  // ---- problems, overlaps, conflicts ------------------------------------
  function failed(r, what) {
    var b = r.body || {};
    if (r.status === 412 && !what) { return conflict(b); }
    var errors = b.errors || [];
    notice("error", (what ? what + ": " : "") + (b.title || "Not saved"), (b.detail || api.describe(r)) + " Nothing was saved.", errors, []);
    api.status("Not saved: " + (b.title || "error") + " (" + r.status + ").", "error");
  }

  function askOverlap(r, shape) {
    return new Promise(function (resolve) {
      Object.keys(S.territories).forEach(function (k) {
        if (S.sel && String(S.sel.id) === k) { return; }
        var o = null;
        try { o = TMShapes.overlap(shape, S.territories[k].geometry); } catch (e) { o = null; }
        if (o) { L.geoJSON(o, {pmIgnore: true, snapIgnore: true, interactive: false, className: "overlap-area",
                               style: {color: "#c0392b", weight: 2, fillColor: "#e74c3c", fillOpacity: 0.5}}).addTo(S.problems); }
      });
      api.status("Not saved yet: the shape overlaps its neighbours.", "error");
      notice("overlap", "This shape would overlap " + r.body.errors.length + " neighbour(s)",
        "Nothing is saved yet. Clip it to the neighbours' edges, keep the overlap, or cancel and edit the shape.",
        r.body.errors,
        [["Clip to neighbours", function () { S.ask("clip"); }, "primary"],
         ["Keep the overlap", function () { S.ask("warn"); }],
         ["Cancel", function () { S.ask(null); }]]);
      S.ask = function (choice) {
        S.ask = null;
        closeNotice();
        if (!choice) { S.problems.clearLayers(); api.status("Not saved; edit the shape and save again."); }
        resolve(choice);
      };
    });
  }

  function conflict(b) {
    var s = S.sel;
    notice("conflict", "Someone else saved this territory",
      "Version " + b.current_version + " was saved by " + (b.updated_by || "someone") + " after you opened version " +
      s.base.properties.version + ". Nothing was overwritten, and your changes are still here.", [],
      [["Load their version", theirs, "primary"], ["Keep editing", closeNotice]]);
    api.status("Not saved: " + (b.updated_by || "someone") + " changed it first.", "error");
  }

  function theirs() {
    var s = S.sel, mine = {geometry: geometry(), form: readForm(), split: s.split, merge: s.merge};
    api.call("GET", "/territories/" + s.id).then(function (r) {
      if (!r.ok) { failed(r); return; }
      S.territories[s.id] = r.body;
      edit(r.body, r.body.geometry);
      S.sel.mine = mine;
      L.geoJSON(mine.geometry, {pmIgnore: true, snapIgnore: true, interactive: false,
        style: {color: "#e67e22", weight: 2, dashArray: "4 4", fill: false}}).addTo(S.extras);
      notice("conflict", "Their version is loaded",
        "Version " + r.body.properties.version + " by " + (r.body.properties.updated_by || "someone") +
        " is on the map; your draft is the orange dashed outline. Re-apply your changes to save them on top, or Cancel to drop them.",
        [], [["Re-apply my changes", reapply, "primary"]]);
      draw();
    });
  }

  function reapply() {
    var mine = S.sel.mine;
    S.extras.clearLayers();
    setGeometry(mine.geometry);
    writeForm(mine.form);
    S.sel.split = mine.split; S.sel.merge = mine.merge; S.sel.geomDirty = S.sel.formDirty = true;
    if (mine.split) { dashed(mine.split.geometry); }
    closeNotice();
    pending();
    api.status("Your changes are back, on top of version " + S.sel.base.properties.version + ". Save when ready.");
  }

  function marker(loc, text) {
    var m = L.marker([loc[1], loc[0]], {icon: L.divIcon({className: "problem-marker", iconSize: [16, 16]}),
                                        keyboard: false, pmIgnore: true, snapIgnore: true});
    m.bindTooltip(el("span", {}, text), {permanent: true, direction: "right", offset: [10, 0], className: "problem-tip"});
    m.addTo(S.problems);
    var e = m.getElement();
    e.dataset.lon = loc[0]; e.dataset.lat = loc[1];
  }

  // The notice panel: a title, a sentence, a list of API errors (with map
  // markers where they have a location) and action buttons.
  function notice(kind, title, detail, errors, actions) {
    $("notice").className = "panel notice " + kind;
    $("notice-title").textContent = title;
    $("notice-detail").textContent = detail;
    var ul = $("notice-list"), acts = $("notice-actions");
    ul.textContent = ""; acts.textContent = "";
    errors.forEach(function (e) {
      var li = el("li", {}, e.reason, e.pointer ? el("code", {}, " " + e.pointer) : null);
      if (e.location) {
        marker(e.location, e.reason);
        li.classList.add("located");
        li.addEventListener("click", function () { map.panTo([e.location[1], e.location[0]]); });
      }
      ul.appendChild(li);
    });
    actions.forEach(function (a) {
      var b = el("button", {type: "button", "class": a[2] || ""}, a[0]);
      b.addEventListener("click", function () { closeNotice(); a[1](); });
      acts.appendChild(b);
    });
    $("notice").hidden = false;
  }

  function closeNotice() { $("notice").hidden = true; }

  // ---- split, merge, delete, history ------------------------------------
  function dashed(g) {
    L.geoJSON(g, {pmIgnore: true, snapIgnore: true, interactive: false,
      style: {color: "#8e44ad", weight: 3, dashArray: "8 5", fillColor: "#c39bd3", fillOpacity: 0.35}}).addTo(S.extras);
  }

  function startSplit() {
    if (!S.sel) { return; }
    S.mode = "split";
    map.pm.enableDraw("Line", {snappable: true, snapDistance: 15});
    api.status("Draw a line across the territory: click to add points, click the last point again to finish (Esc cancels).");
  }

  function splitWith(line) {
    var result = null;
    try { result = TMShapes.split(geometry(), line); } catch (e) { result = null; }
    if (!result) { api.status("The line must cross the territory from one edge to another.", "error"); return; }
    setGeometry(result.kept);
    S.sel.geomDirty = true;
    S.sel.split = {geometry: result.cut, pieces: result.pieces - 1};
    S.extras.clearLayers();
    dashed(result.cut);
    $("f-split-name").value = readForm().name + " (2)";
    pending();
    api.status("Split in two. Name the new piece, then save.");
  }

  function startMerge() {
    if (!S.sel || S.sel.id === null) { return; }
    S.mode = "merge";
    api.status("Click the territory (on the map or in the list) to merge into " + label() + " (Esc cancels).");
  }

  function mergeWith(id) {
    S.mode = null;
    var other = S.territories[id];
    if (!other || id === S.sel.id) { api.status("Pick another territory to merge.", "error"); return; }
    var result = TMShapes.merge(geometry(), other.geometry);
    setGeometry(result.geometry);
    S.sel.geomDirty = true;
    S.sel.merge = {id: other.id, version: other.properties.version, name: other.properties.name};
    S.group.removeLayer(S.layers[other.id]);
    pending();
    api.status(result.parts > 1 ? "Merged, but they do not touch: the result has " + result.parts + " parts. Save or cancel."
                                : "Merged with \u201c" + other.properties.name + "\u201d. Save to keep it.");
  }

  function askDelete() {
    if (!S.sel || S.sel.id === null) { cancel(); return; }
    var s = S.sel;
    notice("conflict", "Delete " + label() + "?", "Its accounts go to the territories that now cover them, or become unassigned. Its history is kept.", [],
      [["Delete", function () {
        api.call("DELETE", "/territories/" + s.id, {ifMatch: s.base.properties.version}).then(function (r) {
          if (!r.ok) { failed(r); return; }
          delete S.territories[s.id];
          S.sel = null;
          cancel();
          api.status("Deleted " + s.base.properties.name + ".", "ok");
          load();
        });
      }, "danger"], ["Keep it", closeNotice]]);
  }

  function history() {
    if (!S.sel || S.sel.id === null) { return; }
    var s = S.sel, ol = $("history-list");
    api.call("GET", "/territories/" + s.id + "/history").then(function (r) {
      if (!r.ok) { failed(r); return; }
      ol.textContent = "";
      r.body.versions.slice().reverse().forEach(function (v) {
        var current = v.version === s.base.properties.version;
        var show = el("button", {type: "button"}, "Show");
        show.addEventListener("click", function () { S.extras.clearLayers(); dashed(v.feature.geometry); });
        var restore = el("button", {type: "button", "data-version": v.version, hidden: current || v.op === "delete"}, "Restore");
        restore.addEventListener("click", function () { restoreVersion(v.version); });
        ol.appendChild(el("li", {}, el("b", {}, "v" + v.version), " " + v.op + " by " + (v.updated_by || "?") +
          ", " + new Date(v.updated_at).toLocaleString() + (current ? " (current)" : ""), el("span", {"class": "actions"}, show, restore)));
      });
      $("history").hidden = false;
    });
  }

  function restoreVersion(version) {
    var s = S.sel;
    if (dirty()) { api.status("Save or cancel your changes before restoring.", "error"); return; }
    api.call("POST", "/territories/" + s.id + "/restore?version=" + version, {ifMatch: s.base.properties.version}).then(function (r) {
      if (!r.ok) { failed(r); return; }
      report([r.body]);
      S.territories[s.id] = r.body;
      S.sel = null;
      load().then(function () { edit(S.territories[s.id], S.territories[s.id].geometry); history(); });
    });
  }

  // ---- wiring -----------------------------------------------------------
  map.on("pm:create", function (e) {
    var g = e.layer.toGeoJSON(false).geometry;
    map.removeLayer(e.layer);
    if (S.mode === "split" && e.shape === "Line") { S.mode = null; splitWith(g); return; }
    S.mode = null;
    if (e.shape !== "Polygon" && e.shape !== "Rectangle") { return; }
    if (dirty()) { api.status("Save or cancel the changes to " + label() + " before drawing another.", "error"); return; }
    closeNotice();
    S.problems.clearLayers();
    edit(null, g);
    api.status("New shape drawn. Name it, then save (Ctrl+S).");
  });
  $("form").addEventListener("submit", function (e) { e.preventDefault(); save(); });
  $("form").addEventListener("input", function () { if (S.sel) { S.sel.formDirty = true; } });
  $("f-reps").addEventListener("input", repNames);
  $("cancel").addEventListener("click", cancel);
  $("split").addEventListener("click", startSplit);
  $("merge").addEventListener("click", startMerge);
  $("delete").addEventListener("click", askDelete);
  $("history-button").addEventListener("click", history);
  $("filter").addEventListener("input", list);
  document.addEventListener("keydown", function (e) {
    if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === "s") { e.preventDefault(); save(); }
    else if (e.key === "Escape") { e.preventDefault(); cancel(); }
  });
  window.addEventListener("beforeunload", function (e) { if (dirty()) { e.preventDefault(); e.returnValue = ""; } });
  api.signIn(load);
})();
