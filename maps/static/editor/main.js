/* The territory editor: draw, edit, split, merge, delete, restore; every
   save is one change set with If-Match versions, checked by a dry run.
   Modules: state (shared), map (layers, drawing), form (fields, reps, diff),
   changes (change sets, overlap prompt), conflicts (stale saves), select
   (loading, the draft's lifecycle), history (versions, restore). */
import {S, $, api, label, readOnly, planPath} from "./state.js";
import * as M from "./map.js";
import * as F from "./form.js";
import {operations, submit} from "./changes.js";
import {closeNotice, clearProblems, failed, notice, report} from "./notice.js";
import {stale} from "./conflicts.js";
import {changed, close, dirty, escape, list, load, pick, startEdit} from "./select.js";
import {history} from "./history.js";
import {setupScenarios} from "./scenario.js";
import {setupUnits} from "./units.js";

window.TMEditor = {map: M.map, state: S};  // for tests and the console

// ---- saving -----------------------------------------------------------
async function save() {
  if (!S.sel || S.busy || readOnly()) { return; }
  const v = F.read(), bad = F.problem(v);
  if (bad) { api.status(bad[1], "error"); $(bad[0]).focus(); return; }
  const sel = S.sel, ops = operations(sel, v);
  if (!ops.length) { api.status("Nothing to save: " + label() + " is as it was saved.", "ok"); return; }
  busy(true);
  closeNotice();
  clearProblems();
  const r = await submit(ops, sel);
  if (!r) { busy(false); return; }
  if (!r.ok) { busy(false); failed(r, () => stale(sel), ops); return; }
  const results = r.body.results || [];
  const main = results.find((x) => x.op !== "delete" && (sel.id === null || x.id === sel.id)) || results[0];
  // Reload (neighbours and versions may have moved), then say so: the
  // "Saved" status appears only once the page shows the saved state. A save
  // ends the edit: the shape shows as saved, with its label, as in any map
  // editor; choosing it again edits the saved version.
  await load();
  close();
  busy(false);
  focusSaved(main ? main.id : sel.id);
  report(results.filter((x) => x.op !== "delete").map((x) => ({
    name: S.territories[x.id] ? S.territories[x.id].properties.name : "#" + x.id, version: x.version,
    warnings: x.warnings, repairs: x.repairs})));
}

// The form just closed under the focus: it goes to the saved territory in
// the list (Enter opens it again), not to <body>.
function focusSaved(id) {
  const b = document.querySelector("#territory-list button[data-id='" + id + "']");
  (b || $("details-title")).focus();
}

function busy(on) {
  S.busy = on;
  $("save").disabled = on;
  if (on) { document.body.dataset.busy = "1"; api.status("Saving\u2026"); } else { delete document.body.dataset.busy; }
}

// ---- split, merge, delete ---------------------------------------------
function startSplit() {
  if (!S.sel || S.sel.id === null) { return; }
  if (S.sel.merge || S.sel.split) { api.status("Save or discard the pending merge or split first.", "error"); return; }
  S.mode = "split";
  M.map.pm.enableDraw("Line", {snappable: true, snapDistance: 15});
  api.status("Draw a line across the territory: click to add points, click the last point again to finish (Esc cancels).");
}

function splitWith(line, name) {
  let result = null;
  try { result = TMShapes.split(M.draftGeometry(), line); } catch (e) { result = null; }
  if (!result) { api.status("The line must cross the territory from one edge to another.", "error"); return; }
  M.setDraft(result.kept);
  S.sel.split = {line: line, cut: result.cut, pieces: result.pieces - 1};
  M.extras.clearLayers();
  M.dashed(result.cut);
  $("f-split-name").value = name || F.read().name + " (2)";
  changed();
  api.status("Split in two. Name the new piece, then save.");
}

function startMerge() {
  if (!S.sel || S.sel.id === null) { return; }
  if (S.sel.merge || S.sel.split) { api.status("Save or discard the pending merge or split first.", "error"); return; }
  S.mode = "merge";
  api.status("Click the territory (on the map or in the list) to merge into " + label() + " (Esc cancels).");
}

function mergeWith(id) {
  S.mode = null;
  const other = S.territories[id];
  if (!other || id === S.sel.id) { api.status("Pick another territory to merge.", "error"); return; }
  const result = TMShapes.merge(M.draftGeometry(), other.geometry);
  M.setDraft(result.geometry);
  S.sel.merge = {id: other.id, version: other.properties.version, name: other.properties.name};
  M.hideSaved(other.id);
  changed();
  api.status(result.parts > 1 ? "Merged, but they do not touch: the result has " + result.parts + " parts. Save or cancel."
                              : "Merged with \u201c" + other.properties.name + "\u201d. Save to keep it.");
}

function askDelete() {
  if (!S.sel || S.sel.id === null) { escape(); return; }
  const s = S.sel;
  notice("ask", "Delete " + label() + "?", "Its accounts go to the territories that now cover them, or become unassigned. Its history is kept.", [],
    [["Keep it", closeNotice, "primary"], ["Delete", () => {
      api.call("DELETE", planPath("/territories/" + s.id), {ifMatch: s.base.properties.version}).then((r) => {
        if (!r.ok) { failed(r, () => stale(s)); return; }
        // Gone before close(), which then drops the draft and its handles
        // without bringing the deleted shape back.
        delete S.territories[s.id];
        close();
        $("details-title").focus();
        api.status("Deleted " + s.base.properties.name + ".", "ok");
        load();
      });
    }, "danger"]]);
}

// ---- wiring -----------------------------------------------------------
S.onMerge = mergeWith;
S.onSplit = splitWith;
M.setup(pick, changed);
M.map.on("pm:create", (e) => {
  const g = e.layer.toGeoJSON(false).geometry;
  M.map.removeLayer(e.layer);
  if (S.mode === "split" && e.shape === "Line") { S.mode = null; splitWith(g); return; }
  S.mode = null;
  if (e.shape !== "Polygon" && e.shape !== "Rectangle") { return; }
  if (dirty()) { api.status("Save or discard the changes to " + label() + " before drawing another.", "error"); return; }
  closeNotice();
  clearProblems();
  startEdit(null, g);
  $("f-name").focus();
  api.status("New shape drawn. Name it, then save (Ctrl+S).");
});
$("form").addEventListener("submit", (e) => { e.preventDefault(); save(); });
$("form").addEventListener("input", changed);
$("form").addEventListener("change", changed);
$("f-rep-search").addEventListener("change", () => F.addRep());
$("f-rep-search").addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); F.addRep(); } });
$("f-rep-add").addEventListener("click", () => F.addRep());
$("cancel").addEventListener("click", escape);
$("split").addEventListener("click", startSplit);
$("merge").addEventListener("click", startMerge);
$("delete").addEventListener("click", askDelete);
$("history-button").addEventListener("click", history);
$("filter").addEventListener("input", list);

function typing(target) {
  return !!target && (/^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName) || target.isContentEditable);
}

document.addEventListener("keydown", (e) => {
  if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === "s") { e.preventDefault(); save(); return; }
  if (e.key !== "Escape") { return; }
  // Esc in a field belongs to the field (clearing a search, closing a list).
  if (typing(e.target) && !S.ask && !S.mode && !M.map.pm.globalDrawModeEnabled()) { return; }
  e.preventDefault();
  escape();
});
window.addEventListener("beforeunload", (e) => { if (dirty()) { e.preventDefault(); e.returnValue = ""; } });
setupScenarios();
setupUnits();
api.signIn(load);
