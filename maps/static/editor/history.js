/* A territory's history, and restoring an old version: asked first, with a
   dry run that names the overlaps the restore would bring back. */
import {S, $, api, el, label, nameOf, planPath, quoted} from "./state.js";
import * as M from "./map.js";
import {post, etag} from "./changes.js";
import {ask, failed, report} from "./notice.js";
import {dirty, load, startEdit} from "./select.js";
import {stale} from "./conflicts.js";

export function history() {
  if (!S.sel || S.sel.id === null) { return; }
  const s = S.sel, ol = $("history-list");
  api.call("GET", planPath("/territories/" + s.id + "/history")).then((r) => {
    if (!r.ok) { failed(r); return; }
    ol.textContent = "";
    r.body.versions.slice().reverse().forEach((v) => {
      const current = v.version === s.base.properties.version;
      const show = el("button", {type: "button", "aria-label": "Show version " + v.version + " on the map"}, "Show");
      show.addEventListener("click", () => { M.extras.clearLayers(); M.dashed(v.feature.geometry); });
      const restore = el("button", {type: "button", "data-version": v.version, hidden: current || v.op === "delete",
                                    "aria-label": "Restore version " + v.version}, "Restore");
      restore.addEventListener("click", () => restoreVersion(v));
      ol.appendChild(el("li", {}, el("b", {}, "v" + v.version), " " + v.op + " by " + (v.updated_by || "?") +
        ", " + new Date(v.updated_at).toLocaleString() + source(v.change_set_kind) + (current ? " (current)" : ""), el("span", {"class": "actions"}, show, restore)));
    });
    $("history").hidden = false;
  });
}

async function restoreVersion(v) {
  const s = S.sel;
  if (dirty()) { api.status("Save or discard your changes before restoring.", "error"); return; }
  const old = v.feature, props = old.properties;
  const op = {op: "replace", id: s.id, if_match: etag(s.base.properties.version), feature: {type: "Feature",
    geometry: old.geometry, properties: {name: props.name, code: props.code, parent_id: props.parent_id,
      rep_ids: props.rep_ids, rules: props.rules, color: props.color}}};
  progress(true, "Checking what restoring version " + v.version + " would do\u2026");
  const dry = await post([op], "warn", true);
  progress(false);
  const overlaps = dry.ok ? overlapWarnings(dry.body) : M.overlapsOf(old.geometry, s.id).map((o) => ({
    reason: "Would overlap " + nameOf(o.id) + " by " + o.km2.toFixed(4) + " km2."}));
  const choice = await ask(overlaps.length ? "overlap" : "ask", "Restore version " + v.version + " of " + label() + "?",
    "This makes version " + v.version + " (saved by " + (v.updated_by || "someone") + ") current again as a new version; " +
    "the history keeps everything." + (overlaps.length ? " It would overlap its neighbours:" : ""),
    overlaps, [["Restore version " + v.version, "go", "primary"]]);
  if (!choice) { api.status("Not restored; nothing changed."); return; }
  progress(true, "Restoring version " + v.version + "\u2026");
  const r = await api.call("POST", planPath("/territories/" + s.id + "/restore?version=" + v.version), {ifMatch: s.base.properties.version});
  if (!r.ok) { progress(false); failed(r, () => stale(s)); return; }
  await load();
  startEdit(S.territories[s.id], S.territories[s.id].geometry);
  progress(false);
  report([{name: r.body.properties.name, version: r.body.properties.version, warnings: r.body.warnings, repairs: r.body.repairs}]);
  history();
}

// " · from scenario “Q3 draft”" for a version an applied scenario wrote.
function source(kind) {
  const m = /^scenario:(\d+)$/.exec(kind || "");
  if (!m) { return ""; }
  const sc = S.scenarios[Number(m[1])];
  return " \u00b7 from scenario " + (sc ? quoted(sc.name) : "#" + m[1]);
}

function overlapWarnings(body) {
  return ((body && body.results) || []).map((x) => x.warnings || []).reduce((a, b) => a.concat(b), [])
    .filter((w) => w.code === "territory-overlap" && !w.is_sliver);
}

function progress(on, text) {
  S.busy = on;
  $("history").setAttribute("aria-busy", on ? "true" : "false");
  document.querySelectorAll("#history-list button").forEach((b) => { b.disabled = on; });
  if (on) { document.body.dataset.busy = "1"; api.status(text); } else { delete document.body.dataset.busy; }
}
