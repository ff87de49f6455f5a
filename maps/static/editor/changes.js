/* Change sets (POST /territories/changes): what the editor sends, the
   overlap check as a dry run of the very same change set, and the overlap
   prompt. Nothing is written until the manager has chosen. */
import {S, api, nameOf, planPath, SLIVER_KM2} from "./state.js";
import {draftGeometry, overlapsOf, overlapArea} from "./map.js";
import {properties, changedProperties} from "./form.js";
import {ask, clearProblems} from "./notice.js";

export function etag(version) { return '"' + version + '"'; }

function feature(geometry, props) { return {type: "Feature", geometry: geometry, properties: props}; }

// The operations that turn the opened version into what the manager sees:
// a patch of only the changed properties when the shape is as it was, a
// replace when the shape changed; a merge also deletes the partner, a split
// also creates the cut-off piece. Empty when nothing changed.
export function operations(sel, v) {
  const geometry = draftGeometry(), props = properties(v);
  if (!sel.base) { return [{op: "create", feature: feature(geometry, props)}]; }
  const ops = [], tag = etag(sel.base.properties.version);
  // The partner goes first, so the grown shape never meets it.
  if (sel.merge) { ops.push({op: "delete", id: sel.merge.id, if_match: etag(sel.merge.version)}); }
  const changed = changedProperties(sel.base, v);
  if (!TMShapes.same(geometry, sel.base.geometry)) {
    ops.push({op: "replace", id: sel.id, if_match: tag, feature: feature(geometry, props)});
  } else if (Object.keys(changed).length) {
    ops.push({op: "patch", id: sel.id, if_match: tag, properties: changed});
  }
  if (sel.split) {
    const name = v.splitName || v.name + " (2)";
    ops.push({op: "create", feature: feature(sel.split.cut, Object.assign({}, props, {name: name, code: null}))});
  }
  return ops;
}

export function changesShape(ops) { return ops.some((o) => o.op === "create" || o.op === "replace"); }

// Send `ops` as one change set: {ok, status, body}.
export function post(ops, policy, dryRun) {
  const body = {operations: ops, on_overlap: policy, repair: false, dry_run: dryRun};
  return api.call("POST", planPath("/territories/changes"), {body: body});
}

export function isOverlap(r) {
  const b = r.body || {};
  return r.status === 409 && (/overlap/.test(b.type || "") ||
    (b.errors || []).some((e) => e.code === "territory-overlap" || /overlap/i.test(e.reason || "")));
}

// Dry run (when the shape changes), then the write with the policy the
// manager chose. Answers the final response, or null when they cancelled.
export async function submit(ops, sel) {
  let policy = "warn";
  if (changesShape(ops)) {
    policy = "reject";
    const dry = await post(ops, "reject", true);
    if (!dry.ok && !isOverlap(dry)) { return dry; }
    if (isOverlap(dry)) {
      policy = await overlapChoice(dry, ops, sel);
      if (!policy) { return null; }
    }
  }
  let r = await post(ops, policy, false);
  if (isOverlap(r)) {  // a neighbour moved between the dry run and now
    policy = await overlapChoice(r, ops, sel);
    if (!policy) { return null; }
    r = await post(ops, policy, false);
  }
  return r;
}

// Overlaps the server named: [{id, km2}] from "Overlaps territory 8 ('East') by 1.5 km2".
function named(r) {
  return ((r.body || {}).errors || []).map((e) => {
    const id = /territory (\d+)/.exec(e.reason || ""), km2 = /by (\d+(?:\.\d+)?) km2/.exec(e.reason || "");
    return id ? {id: Number(id[1]), km2: km2 ? Number(km2[1]) : Infinity} : null;
  }).filter(Boolean);
}

// "clip", "warn" or null. Overlaps the manager already kept, or smaller
// than a sliver, go through as warnings without asking again.
async function overlapChoice(r, ops, sel) {
  const own = ops.filter((o) => o.op === "create" || o.op === "replace").map((o) => o.feature.geometry);
  const seen = own.map((g) => overlapsOf(g, sel.id)).reduce((a, b) => a.concat(b), [])
    .filter((o) => !sel.merge || o.id !== sel.merge.id);
  const server = named(r), found = server.length ? server : seen;
  const fresh = found.filter((o) => !sel.kept.has(o.id) && o.km2 >= SLIVER_KM2);
  if (found.length && !fresh.length) { return "warn"; }
  clearProblems();
  seen.forEach((o) => overlapArea(o.geometry));
  api.status("Not saved yet: the shape overlaps its neighbours.", "error");
  const who = found.map((o) => nameOf(o.id)).join(", ");
  const choice = await ask("overlap", "This shape would overlap " + (found.length || "some") + " neighbour(s)" + (who ? ": " + who : ""),
    "Nothing is saved yet. Clip it to the neighbours' edges, keep the overlap, or cancel and edit the shape.",
    (r.body || {}).errors || [], [["Clip to neighbours", "clip", "primary"], ["Keep the overlap", "warn"]], ops);
  if (!choice) { clearProblems(); api.status("Not saved; nothing was written. Edit the shape and save again."); }
  if (choice === "warn") { found.forEach((o) => sel.kept.add(o.id)); }
  return choice;
}
