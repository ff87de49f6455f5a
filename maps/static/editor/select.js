/* Loading, choosing a territory, and the draft's lifecycle: opened, changed
   (the unsaved marker and the pending-changes list), discarded. */
import {S, $, api, el, label, readOnly, km2, planPath} from "./state.js";
import * as M from "./map.js";
import * as F from "./form.js";
import {operations} from "./changes.js";
import {closeNotice, clearProblems, notice} from "./notice.js";

export function load() {
  return Promise.all([api.all(planPath("/territories?limit=1000"), "features"), api.all("/reps?limit=1000", "items"),
                      api.call("GET", "/session")]).then(([t, r, who]) => {
    if (!t.ok) { api.status(api.describe(t), "error"); return t; }
    S.territories = {};
    t.body.forEach((f) => { S.territories[f.id] = f; });
    S.reps = {};
    (r.ok ? r.body : []).forEach((rep) => { S.reps[rep.id] = rep; });
    if (who.ok) { S.who = who.body; }
    F.repOptions();
    mode();
    M.drawAll();
    list();
    document.body.dataset.ready = "1";
    if (S.afterLoad) { S.afterLoad(); }
    return t;
  });
}

// A rep sees the editor read-only: no draw tools, no inputs, no save.
function mode() {
  const ro = readOnly();
  document.body.classList.toggle("read-only", ro);
  M.tools(!ro);
  $("readonly-note").hidden = !ro;
  document.querySelectorAll("#form input, #form select").forEach((i) => { i.disabled = ro; });
  ["actions-bar", "more-actions"].forEach((id) => { $(id).hidden = ro; });
}

export function list() { M.territoryList($("filter").value.trim().toLowerCase()); }

// `byKeyboard`: focus goes to the first field; a pointer choice focuses the
// panel's heading instead, so a phone does not pop its keyboard up.
export function pick(id, zoom, byKeyboard) {
  if (map().pm.globalDrawModeEnabled()) { return; }
  if (S.mode === "merge") { S.onMerge(id); return; }
  if (S.sel && S.sel.id === id) { $("f-name").focus(); return; }
  if (dirty()) { api.status("Save or discard the changes to " + label() + " first.", "error"); return; }
  startEdit(S.territories[id], S.territories[id].geometry);
  if (zoom) { M.zoomTo(S.sel.layer); }
  (byKeyboard ? $("f-name") : $("details-title")).focus();  // never left on <body>
}

function map() { return M.map; }

// Start editing `base` (a Feature, or null for a new one) with `geometry`.
export function startEdit(base, geometry, values) {
  stop();
  S.sel = {id: base ? base.id : null, base: base, split: null, merge: null, kept: new Set(), layer: null};
  M.setDraft(geometry);
  // Overlaps the stored shape already has were kept by someone: no prompt for them.
  if (base) { M.overlapsOf(base.geometry, base.id).forEach((o) => S.sel.kept.add(o.id)); }
  F.write(values || (base ? F.valuesOf(base) : defaults()));
  $("form").hidden = false;
  $("details-hint").hidden = true;
  $("history").hidden = true;
  title();
  changed();
  list();
}

// A new territory starts under the manager's region: the only place a
// regional manager may create one.
function defaults() {
  const region = S.who && S.who.region_id;
  return {parent: region && S.territories[region] ? String(region) : "", reps: []};
}

function title() {
  const b = S.sel.base;
  $("details-title").textContent = b ? b.properties.name : "New territory";
  $("details-meta").textContent = (b ? "#" + b.id + " \u00b7 version " + b.properties.version + " \u00b7 " : "") +
    km2(TMShapes.areaKm2(M.draftGeometry()));
}

export function dirty() {
  if (!S.sel || readOnly()) { return false; }
  return !S.sel.base || operations(S.sel, F.read()).length > 0;
}

// The unsaved marker (page title and panel) and, in words, what Save writes.
export function changed() {
  if (!S.sel) { return; }
  const d = dirty(), lines = [];
  if (S.sel.base) {
    const diff = F.changedProperties(S.sel.base, F.read());
    lines.push(...F.describe(S.sel.base, diff));
    if (!TMShapes.same(M.draftGeometry(), S.sel.base.geometry)) { lines.push("Shape: your edited shape (" + km2(TMShapes.areaKm2(M.draftGeometry())) + ")"); }
  }
  if (S.sel.merge) { lines.push("Deletes \u201c" + S.sel.merge.name + "\u201d and gives its area to this territory."); }
  if (S.sel.split) { lines.push("Creates the dashed piece as a new territory (" + S.sel.split.pieces + " piece(s) cut off)."); }
  const ul = $("pending-list");
  ul.textContent = "";
  lines.forEach((t) => ul.appendChild(el("li", {}, t)));
  $("pending").hidden = !lines.length || !S.sel.base;
  $("split-row").hidden = !S.sel.split;
  $("unsaved").hidden = !d;
  document.title = (d ? "\u2022 " : "") + document.title.replace(/^\u2022 /, "");
  if (S.sel.base) { $("details-meta").textContent = "#" + S.sel.base.id + " \u00b7 version " + S.sel.base.properties.version + " \u00b7 " + km2(TMShapes.areaKm2(M.draftGeometry())); }
}

// Drop the draft and show the saved state.
export function stop() {
  if (!S.sel) { return; }
  M.dropDraft();
  const keep = S.sel;
  S.sel = null;
  // A territory just deleted has no saved shape to go back to.
  [keep.id, keep.merge && keep.merge.id].forEach((id) => { if (S.territories[id]) { M.showSaved(id); } });
  M.declutter();
}

export function close(message) {
  closeNotice();
  stop();
  clearProblems();
  $("form").hidden = true;
  $("details-hint").hidden = false;
  $("history").hidden = true;
  $("details-title").textContent = "No territory selected";
  $("details-meta").textContent = "";
  $("unsaved").hidden = true;
  document.title = document.title.replace(/^\u2022 /, "");
  if (message) { api.status(message); }
  list();
}

// Esc: leave a mode first; with unsaved changes, ask before dropping them.
export function escape() {
  if (S.ask) { S.ask(null); return; }
  if (S.busy) { return; }
  if (map().pm.globalDrawModeEnabled()) { map().pm.disableDraw(); S.mode = null; api.status("Drawing cancelled."); return; }
  if (S.mode) { S.mode = null; api.status("Cancelled."); return; }
  if (!S.sel) { return; }
  if (!dirty()) { close("Closed " + label() + "; nothing to save."); return; }
  notice("ask", "Discard your changes to " + label() + "?", "Nothing has been saved yet. Discarding brings back the saved version.",
    [], [["Keep editing", () => $("f-name").focus(), "primary"],
         ["Discard changes", () => close("Changes discarded; nothing was saved."), "danger"]]);
}
