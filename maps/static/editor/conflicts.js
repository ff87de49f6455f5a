/* A stale save (412): load the latest version, then re-apply only what the
   manager changed on top of it, and say what will be written before Save.
   A rename re-applied is a rename; it never carries the old shape back. */
import {S, $, api, quoted, planPath} from "./state.js";
import * as M from "./map.js";
import * as F from "./form.js";
import {notice, closeNotice} from "./notice.js";
import {startEdit, changed, load} from "./select.js";

// What the manager changed relative to the version they opened.
function mine(sel) {
  const v = F.read(), geometry = M.draftGeometry();
  return {values: v, changed: F.changedProperties(sel.base, v), opened: sel.base.properties.version,
          // A split or merge is re-done on the latest shapes, not copied.
          geometry: sel.split || sel.merge || TMShapes.same(geometry, sel.base.geometry) ? null : geometry,
          split: sel.split ? {line: sel.split.line, name: v.splitName} : null,
          merge: sel.merge ? {id: sel.merge.id} : null};
}

export function stale(sel) {
  const opened = sel.base.properties.version;
  api.call("GET", planPath("/territories/" + sel.id)).then((r) => {
    const now = r.ok ? r.body.properties : {};
    const moved = r.ok && now.version !== opened;
    const partner = sel.merge ? quoted(sel.merge.name) : null;
    notice("conflict", moved ? "Someone else saved this territory" : "Someone else changed " + (partner || "a territory in this change"),
      (moved ? "Version " + now.version + " was saved by " + (now.updated_by || "someone") + " after you opened version " + opened + ". "
             : "") + "Nothing was overwritten, and your changes are still here.", [],
      [["Load their version", () => theirs(sel), "primary"], ["Keep editing", closeNotice]]);
    api.status("Not saved: " + (moved ? (now.updated_by || "someone") : "someone") + " changed it first.", "error");
  });
}

function theirs(sel) {
  const m = mine(sel);
  // Everything is re-read: the merge partner may have moved too.
  load().then((r) => {
    const latest = S.territories[sel.id];
    if (!r.ok || !latest) { api.status(latest ? api.describe(r) : "The territory was deleted meanwhile.", "error"); return; }
    startEdit(latest, latest.geometry);
    S.sel.mine = m;
    if (m.geometry) { M.outline(m.geometry); }
    notice("conflict", "Their version is loaded",
      "Version " + latest.properties.version + " by " + (latest.properties.updated_by || "someone") + " is on the map" +
      (m.geometry ? "; your shape is the orange dashed outline" : "") + ". Re-apply your changes to write them on top, or Cancel to drop them.",
      preview(latest, m).map((t) => ({reason: t})), [["Re-apply my changes", reapply, "primary"]]);
  });
}

// In words, what re-applying writes over `latest`.
function preview(latest, m) {
  const onTop = Object.assign({}, latest, {properties: Object.assign({}, latest.properties, m.changed)});
  const lines = F.describe(latest, F.changedProperties(latest, F.valuesOf(onTop)));
  lines.push(m.geometry ? "Shape: yours replaces theirs." : m.split ? "Shape: their shape, split along your line."
             : m.merge ? "Shape: their shape merged with the other territory's latest shape." : "Shape: theirs, unchanged (you did not edit it).");
  if (lines.length === 1 && !m.geometry && !m.split && !m.merge) { lines.unshift("Your changes match theirs: nothing would be written."); }
  return lines;
}

function reapply() {
  const sel = S.sel, m = sel.mine, latest = sel.base;
  const values = Object.assign(F.valuesOf(latest), pick(m.values, m.changed), {splitName: m.split ? m.split.name : ""});
  startEdit(latest, m.geometry || latest.geometry, values);
  if (m.split) { S.onSplit(m.split.line, m.split.name); }
  if (m.merge) { S.onMerge(m.merge.id); }
  closeNotice();
  changed();
  const lines = Array.from($("pending-list").children).map((li) => li.textContent);
  api.status("Your changes are back, on top of version " + latest.properties.version + ". Save writes: " +
             (lines.length ? lines.join("; ") : "nothing") + ".");
  $("pending").focus();
}

// The form values of the fields behind the changed properties.
function pick(values, changedProps) {
  const out = {}, map = {name: ["name"], code: ["code"], parent_id: ["parent"], rep_ids: ["reps"], color: ["color"],
                         rules: ["industries", "products", "min", "max"]};
  Object.keys(changedProps).forEach((k) => (map[k] || []).forEach((f) => { out[f] = values[f]; }));
  return out;
}
