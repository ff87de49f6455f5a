/* The notice panel: a title, a sentence, the service's findings in words
   (with map markers where they have a place) and action buttons. */
import {S, $, el, api, humanReason, pointerWords, SLIVER_KM2} from "./state.js";
import {map, marker, problems, declutter} from "./map.js";

// kind: ok | error | overlap | conflict | ask. errors: [{reason, pointer, location}].
// actions: [[label, fn, class]]. `ops` names change-set operations in pointers.
// `extra`: a form control the question needs (an apply's date), shown above the actions.
export function notice(kind, title, detail, errors, actions, ops, extra) {
  $("notice").className = "panel notice " + kind;
  $("notice-title").textContent = title;
  $("notice-detail").textContent = detail;
  const ul = $("notice-list"), acts = $("notice-actions");
  ul.textContent = ""; acts.textContent = "";
  $("notice-extra").textContent = "";
  if (extra) { $("notice-extra").appendChild(extra); }
  (errors || []).forEach((e) => {
    const where = pointerWords(e.pointer, ops);
    const li = el("li", {}, humanReason(e.reason), where ? el("span", {"class": "where"}, " (" + where + ")") : null);
    if (e.location) {
      marker(e.location, humanReason(e.reason));
      li.classList.add("located");
      li.addEventListener("click", () => map.panTo([e.location[1], e.location[0]]));
    }
    ul.appendChild(li);
  });
  (actions || []).forEach((a) => {
    const b = el("button", {type: "button", "class": a[2] || ""}, a[0]);
    b.addEventListener("click", () => { closeNotice(); a[1](); });
    acts.appendChild(b);
  });
  $("notice").hidden = false;
  const first = acts.querySelector("button");
  if (first && kind !== "ok") { first.focus(); }
}

export function closeNotice() { $("notice").hidden = true; }

export function clearProblems() { problems.clearLayers(); declutter(); }

// Warnings worth a person's time: overlaps under the sliver size are noise.
export function worthShowing(w) {
  if (w.is_sliver) { return false; }
  if (typeof w.overlap_km2 === "number" && w.overlap_km2 < SLIVER_KM2) { return false; }
  return true;
}

// "Saved “West” (version 3)." plus any repairs and warnings worth showing.
export function report(saved) {
  const items = [];
  saved.forEach((f) => {
    (f.repairs || []).forEach((t) => items.push({reason: t}));
    (f.warnings || []).filter(worthShowing).forEach((w) => items.push({reason: w.reason, location: w.location}));
  });
  const names = saved.map((f) => "\u201c" + f.name + "\u201d (version " + f.version + ")");
  api.status(names.length ? "Saved " + names.join(" and ") + "." : "Saved.", "ok");
  if (items.length) { notice("ok", "Saved, with notes", "The service changed or flagged this:", items, []); }
}

// A refused write, in words. A stale version goes to `onStale` instead.
export function failed(r, onStale, ops) {
  const b = r.body || {};
  if (r.status === 412 && onStale) { onStale(b); return; }
  notice("error", b.title || "Not saved", humanReason(b.detail || api.describe(r)) + " Nothing was saved.", b.errors || [], [], ops);
  api.status("Not saved: " + (b.title || "error") + " (" + r.status + ").", "error");
}

// Resolve with what the manager picks: one of `actions` ([label, value, class]),
// or null on Cancel / Esc.
export function ask(kind, title, detail, errors, actions, ops, extra) {
  return new Promise((resolve) => {
    S.ask = (choice) => { S.ask = null; closeNotice(); resolve(choice); };
    notice(kind, title, detail, errors,
      actions.map((a) => [a[0], () => { const f = S.ask; if (f) { f(a[1]); } }, a[2]])
        .concat([["Cancel", () => { const f = S.ask; if (f) { f(null); } }]]), ops, extra);
  });
}
