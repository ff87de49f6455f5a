/* What every editor module shares: the page state, the API helpers (api.js,
   a classic script loaded first) and a few words for people. */
export const api = window.TMApi;
export const el = api.el;
export const $ = (id) => document.getElementById(id);

// territories: id -> Feature as last read; sel: the territory being edited
// (see form.js `startEdit`); who: GET /session (role, name, region_id);
// plan: the scenario on screen (null: the live plan); scenarios: id -> scenario
// as listed; afterLoad: what runs after each load (the compare panel).
export const S = {territories: {}, layers: {}, reps: {}, sel: null, mode: null, busy: false,
                  fitted: false, ask: null, who: null, plan: null, scenarios: {}, afterLoad: null};

// A plan route: the live path, or the same path inside the scenario on screen.
export function planPath(path) { return (S.plan ? "/scenarios/" + S.plan.id : "") + path; }

export function isStaff() { return !!S.who && (S.who.role === "admin" || S.who.role === "manager"); }

export const SLIVER_KM2 = 0.05;  // geo.flags.overlaps' default sliver size

export function readOnly() { return !!S.who && S.who.role === "rep"; }

export function quoted(name) { return "\u201c" + name + "\u201d"; }

export function label() { return S.sel && S.sel.base ? quoted(S.sel.base.properties.name) : "the new territory"; }

export function nameOf(id) {
  const t = S.territories[id];
  return t ? quoted(t.properties.name) : "territory " + id;
}

// 1234.5678 -> "1,234.6 km²": areas as people read them.
export function km2(value) {
  return Number(value).toLocaleString("en-US", {minimumFractionDigits: 1, maximumFractionDigits: 1}) + " km\u00b2";
}

// Server reasons print areas as "0.1234 km2" and name territories by id
// ("territory 2 ('East')", "territories [3, 4]"); say both as people do.
export function humanReason(text) {
  return String(text || "")
    .replace(/(-?\d+(?:\.\d+)?)\s*km2\b/g, (m, v) => km2(Number(v)))
    .replace(/territory (\d+) \((['"])(.*?)\2\)/g, (m, id, q, name) => quoted(name))
    .replace(/territories \[([\d, ]+)\]/g, (m, ids) => ids.split(",").map((i) => nameOf(Number(i))).join(", "));
}

const FIELD_WORDS = {name: "Name", code: "Code", parent_id: "Parent", rep_ids: "Reps", rules: "Rules",
                     industries: "Industries", products: "Products", min_revenue: "Min revenue",
                     max_revenue: "Max revenue", color: "Colour", geometry: "Shape", feature: "Territory",
                     line: "Split line", others: "Merged territory", if_match: "Version"};
const OP_WORDS = {create: "the new territory", replace: "the territory", patch: "the territory", delete: "the removed territory"};

// "/operations/1/feature/properties/rep_ids/0" -> "the removed territory, Reps (1st)".
// `ops` is the change set that was sent, so an index names what it was.
export function pointerWords(pointer, ops) {
  const parts = String(pointer || "").split("/").filter(Boolean);
  const out = [];
  if (parts[0] === "operations" && parts.length > 1) {
    const op = (ops || [])[Number(parts[1])];
    out.push(op ? (op.id ? nameOf(op.id) : OP_WORDS[op.op] || "a change") : "change " + (Number(parts[1]) + 1));
    parts.splice(0, 2);
  }
  const fields = parts.filter((p) => FIELD_WORDS[p] && p !== "feature").map((p) => FIELD_WORDS[p]);
  // An index counts only in lists people made: the third rep, not a coordinate.
  const last = parts[parts.length - 1], owner = parts[parts.length - 2];
  const listed = /^\d+$/.test(last || "") && ["rep_ids", "industries", "products"].indexOf(owner) >= 0;
  const index = listed ? " (entry " + (Number(last) + 1) + ")" : "";
  if (fields.length) { out.push(fields[fields.length - 1] + index); }
  return out.join(", ");
}
