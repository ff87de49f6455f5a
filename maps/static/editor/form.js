/* The details form: values in and out, reps picked by name, the parent
   choice, and what differs from the version the manager opened. */
import {S, $, el, api, quoted} from "./state.js";

const FIELDS = {name: "f-name", code: "f-code", parent: "f-parent", industries: "f-industries",
                products: "f-products", min: "f-min", max: "f-max", color: "f-color", splitName: "f-split-name"};
const WORDS = {name: "Name", code: "Code", parent_id: "Parent", rep_ids: "Reps", rules: "Rules", color: "Colour"};
let chosen = [];  // rep ids, primary first

export function valuesOf(f) {
  const p = f.properties, r = p.rules || {};
  const num = (v) => (v === null || v === undefined ? "" : String(v));
  return {name: p.name, code: p.code || "", parent: p.parent_id ? String(p.parent_id) : "", reps: (p.rep_ids || []).slice(),
          industries: (r.industries || []).join(", "), products: (r.products || []).join(", "),
          min: num(r.min_revenue), max: num(r.max_revenue), color: p.color || "", splitName: ""};
}

export function write(v) {
  parents();
  Object.keys(FIELDS).forEach((k) => { $(FIELDS[k]).value = v[k] || ""; });
  chosen = (v.reps || []).slice();
  repChips();
}

export function read() {
  const v = {reps: chosen.slice()};
  Object.keys(FIELDS).forEach((k) => { v[k] = $(FIELDS[k]).value.trim(); });
  return v;
}

function parents() {
  const sel = $("f-parent");
  sel.textContent = "";
  sel.appendChild(el("option", {value: ""}, "(none)"));
  Object.values(S.territories).sort((a, b) => a.properties.name.localeCompare(b.properties.name)).forEach((t) => {
    if (!S.sel || t.id !== S.sel.id) { sel.appendChild(el("option", {value: String(t.id)}, t.properties.name)); }
  });
}

// ---- reps, picked by name from GET /reps -------------------------------
function repLabel(r) { return r.name + (r.email ? " \u00b7 " + r.email : "") + " (#" + r.id + ")"; }

export function repOptions() {
  const list = $("rep-options");
  list.textContent = "";
  Object.values(S.reps).sort((a, b) => a.name.localeCompare(b.name))
    .forEach((r) => list.appendChild(el("option", {value: repLabel(r)})));
}

// The rep the search box names: an exact option, or the one rep whose name
// starts with what was typed.
function repFor(text) {
  const q = text.trim().toLowerCase();
  if (!q) { return null; }
  const reps = Object.values(S.reps);
  const exact = reps.filter((r) => repLabel(r).toLowerCase() === q || r.name.toLowerCase() === q);
  if (exact.length === 1) { return exact[0]; }
  const starts = reps.filter((r) => r.name.toLowerCase().startsWith(q));
  return starts.length === 1 ? starts[0] : null;
}

export function addRep() {
  const box = $("f-rep-search"), rep = repFor(box.value);
  if (!rep) { api.status(box.value.trim() ? "No single rep matches \u201c" + box.value.trim() + "\u201d." : "", box.value.trim() ? "error" : ""); return false; }
  if (chosen.indexOf(rep.id) < 0) { chosen.push(rep.id); }
  box.value = "";
  repChips();
  $("form").dispatchEvent(new Event("input", {bubbles: true}));
  return true;
}

function repChips() {
  const ul = $("f-reps");
  ul.textContent = "";
  chosen.forEach((id, i) => {
    const r = S.reps[id], name = r ? r.name : "rep #" + id;
    const drop = el("button", {type: "button", "class": "chip-x", "aria-label": "Remove " + name}, "\u00d7");
    drop.addEventListener("click", () => {
      chosen = chosen.filter((x) => x !== id);
      repChips();
      $("form").dispatchEvent(new Event("input", {bubbles: true}));
    });
    ul.appendChild(el("li", {"data-id": id, "class": "chip"}, name + (i === 0 ? " (primary)" : ""), drop));
  });
}

// ---- properties for the API, and what changed ---------------------------
function words(s) { return s ? s.split(",").map((w) => w.trim()).filter(Boolean) : null; }
function num(s) { return s === "" ? null : Number(s); }

// [field id, reason] when the form cannot be sent, else null.
export function problem(v) {
  if (!v.name) { return ["f-name", "A territory needs a name."]; }
  if (isNaN(num(v.min)) || isNaN(num(v.max))) { return ["f-min", "Revenues must be numbers."]; }
  return null;
}

export function properties(v) {
  return {name: v.name, code: v.code || null, parent_id: v.parent ? Number(v.parent) : null, rep_ids: v.reps.slice(),
          rules: {industries: words(v.industries), products: words(v.products), min_revenue: num(v.min), max_revenue: num(v.max)},
          color: v.color || null};
}

function normalRules(r) {
  const x = r || {}, list = (l) => (l && l.length ? l : null), n = (v) => (v === undefined ? null : v);
  return JSON.stringify([list(x.industries), list(x.products), n(x.min_revenue), n(x.max_revenue)]);
}

function same(key, a, b) {
  if (key === "rules") { return normalRules(a) === normalRules(b); }
  return JSON.stringify(a === undefined ? null : a) === JSON.stringify(b === undefined ? null : b);
}

// The properties of `v` that differ from `base` (a Feature): {key: value}.
export function changedProperties(base, v) {
  const mine = properties(v), out = {};
  Object.keys(mine).forEach((k) => { if (!same(k, mine[k], base.properties[k])) { out[k] = mine[k]; } });
  return out;
}

function shown(key, value) {
  if (value === null || value === undefined || value === "") { return "(none)"; }
  if (key === "parent_id") { return S.territories[value] ? quoted(S.territories[value].properties.name) : "#" + value; }
  if (key === "rep_ids") { return value.length ? value.map((id) => (S.reps[id] ? S.reps[id].name : "#" + id)).join(", ") : "(none)"; }
  if (key === "rules") {
    const r = value, parts = [];
    if (r.industries) { parts.push("industries " + r.industries.join(", ")); }
    if (r.products) { parts.push("products " + r.products.join(", ")); }
    if (r.min_revenue !== null && r.min_revenue !== undefined) { parts.push("revenue \u2265 " + api.fmt(r.min_revenue, 0)); }
    if (r.max_revenue !== null && r.max_revenue !== undefined) { parts.push("revenue \u2264 " + api.fmt(r.max_revenue, 0)); }
    return parts.length ? parts.join("; ") : "any account";
  }
  return quoted(String(value));
}

// One line per changed property: "Name: “West” → “West by Carol”".
export function describe(base, changed) {
  return Object.keys(changed).map((k) => WORDS[k] + ": " + shown(k, base ? base.properties[k] : null) + " \u2192 " + shown(k, changed[k]));
}
