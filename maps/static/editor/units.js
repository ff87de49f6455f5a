/* Unit-level editing in a draft scenario: the units of the scenario's design
   (GET /scenarios/{id}/design/units) coloured by territory; click a unit,
   then a "Move to ..." button or a unit of a touching territory, and the
   unit moves (POST /scenarios/{id}/design/moves: both territories are
   rewritten as unions of their units, as one change set with their
   versions). The answer's figures fill the balance table at once; the
   territories and units are then read again (versions moved). */
import {S, $, el, api, isStaff, nameOf, quoted} from "./state.js";
import {map, colour} from "./map.js";
import {closeNotice, failed} from "./notice.js";
import {load} from "./select.js";

const U = {on: false, plan: null, layer: null, features: {}, paths: {}, picked: null, moves: 0, busy: false};

export function setupUnits() {
  $("units-toggle").addEventListener("click", () => (U.on ? hide() : show()));
}

// After each load and plan switch: the section only in a scenario, for staff;
// a switch of plan leaves units mode.
export function unitsFollowPlan() {
  const here = !!S.plan && isStaff();
  $("units").hidden = !here;
  if (!here || (U.plan && U.plan.id !== S.plan.id)) { hide(); return; }
  if (U.layer) { U.layer.bringToFront(); }  // over the territories drawn again by the load
}

async function show() {
  const r = await api.call("GET", "/scenarios/" + S.plan.id + "/design/units");
  if (!r.ok) { failed(r); api.status("Units cannot be shown: " + ((r.body || {}).detail || r.status), "error"); return; }
  U.on = true;
  U.plan = S.plan;
  $("units-toggle").setAttribute("aria-pressed", "true");
  $("units-toggle").textContent = "Hide units";
  $("units-body").hidden = false;
  draw(r.body);
  figures(r.body.figures);
  api.status("Units shown: click a unit, then a touching territory (or its button) to move it there.");
}

function hide() {
  U.on = false;
  U.plan = null;
  U.picked = null;
  if (U.layer) { map.removeLayer(U.layer); U.layer = null; }
  $("units-toggle").setAttribute("aria-pressed", "false");
  $("units-toggle").textContent = "Show units";
  $("units-body").hidden = true;
}

function draw(collection) {
  if (U.layer) { map.removeLayer(U.layer); }
  U.features = {};
  U.paths = {};
  U.layer = L.geoJSON(collection, {
    style: (f) => style(f, false),
    onEachFeature: (f, layer) => {
      U.features[f.id] = f;
      U.paths[f.id] = layer;
      layer.on("click", (e) => { L.DomEvent.stopPropagation(e); clicked(f.id); });
    },
  }).addTo(map);
  if (U.picked && U.features[U.picked]) { pick(U.picked); } else { U.picked = null; target(); }
  $("units").dataset.units = String(collection.features.length);
}

function style(f, picked) {
  const t = S.territories[f.properties.territory_id];
  return {color: picked ? "#000" : "#444", weight: picked ? 3 : 0.6, dashArray: f.properties.locked ? "3 3" : null,
          fillColor: t ? colour(t) : "#999", fillOpacity: picked ? 0.75 : 0.45};
}

// A click on a unit: pick it, or (one is picked) move the picked one into
// this unit's territory when that territory touches it.
function clicked(id) {
  const picked = U.picked && U.features[U.picked];
  const to = U.features[id].properties.territory_id;
  if (picked && to !== picked.properties.territory_id && picked.properties.neighbours.indexOf(to) >= 0) {
    move(picked, to);
    return;
  }
  pick(id);
}

function pick(id) {
  if (U.picked && U.paths[U.picked]) { U.paths[U.picked].setStyle(style(U.features[U.picked], false)); }
  U.picked = id;
  U.paths[id].setStyle(style(U.features[id], true));
  U.paths[id].bringToFront();
  target();
}

// The panel for the picked unit: where it is and a button per touching territory.
function target() {
  const box = $("units-targets"), f = U.picked && U.features[U.picked];
  box.textContent = "";
  if (!f) { $("units-selected").textContent = "No unit picked: click one on the map."; return; }
  const p = f.properties, name = p.name && p.name !== f.id ? p.name + " (" + f.id + ")" : f.id;
  $("units-selected").textContent = "Unit " + quoted(name) + " is in " + nameOf(p.territory_id) +
    (p.locked ? "; it is locked there." : p.neighbours.length ? ". Move it to:" : "; it touches no other territory.");
  if (p.locked) { return; }
  p.neighbours.forEach((tid) => {
    const b = el("button", {type: "button"}, "Move to " + nameOf(tid));
    b.addEventListener("click", () => move(f, tid));
    box.appendChild(b);
  });
}

async function move(f, to) {
  if (U.busy) { return; }
  const from = f.properties.territory_id, sc = S.plan;
  const version = (id) => '"' + (S.territories[id] ? S.territories[id].properties.version : 0) + '"';
  U.busy = true;
  document.body.dataset.busy = "1";
  api.status("Moving unit " + f.id + " to " + nameOf(to) + "\u2026");
  const r = await api.call("POST", "/scenarios/" + sc.id + "/design/moves",
    {body: {unit_id: f.id, to_territory_id: to, from_if_match: version(from), to_if_match: version(to)}});
  if (!r.ok) {
    U.busy = false;
    delete document.body.dataset.busy;
    failed(r);
    return;
  }
  closeNotice();
  figures(r.body.after);
  U.moves += 1;
  $("units").dataset.moves = String(U.moves);
  // Versions and shapes moved: read the territories and the units again;
  // the next click picks afresh (it would otherwise move this unit on).
  U.picked = null;
  await load();
  const again = await api.call("GET", "/scenarios/" + sc.id + "/design/units");
  if (again.ok && U.on) { draw(again.body); }
  U.busy = false;
  delete document.body.dataset.busy;
  api.status("Moved unit " + f.id + " from " + nameOf(from) + " to " + nameOf(to) + ". " + balanceWords(r.body.after), "ok");
}

// The balance table: each territory's deviation from its target, and one part or not.
function figures(fig) {
  const metric = fig.metrics[0], body = $("units-figures").tBodies[0];
  $("units-metric").textContent = metric.name.replace("_", " ");
  body.textContent = "";
  fig.territories.forEach((t) => {
    const m = t.metrics[metric.name];
    body.appendChild(el("tr", {"data-id": String(t.id)}, el("th", {scope: "row"}, t.name),
      el("td", {}, api.fmt(m.load, 1) + " / " + api.fmt(m.target, 1)),
      el("td", {}, (m.deviation_pct > 0 ? "+" : "") + api.fmt(m.deviation_pct, 1) + "%"),
      el("td", {}, t.contiguous ? "yes" : "no: in parts")));
  });
  $("units-balance").textContent = balanceWords(fig);
  $("units-balance").dataset.index = String(fig.balance_index);
}

function balanceWords(fig) {
  const worst = fig.metrics.map((m) => m.name.replace("_", " ") + " " + api.fmt(m.max_deviation_pct, 1) +
    "% (tolerance " + api.fmt(m.tolerance_pct, 0) + "%)").join(", ");
  return "Balance index " + api.fmt(fig.balance_index, 1) + "; worst deviation: " + worst + "; " +
    (fig.contiguous ? "every territory in one part." : "some territory is in several parts.");
}
