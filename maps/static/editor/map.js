/* The map: territories as layers, the editable shape, overlays (dashed
   previews, problem markers), draw tools and labels that do not collide.
   GeoJSON is lon/lat; Leaflet wants lat/lon. */
import {S, $, el, api, readOnly} from "./state.js";
import {keyboardHandles, dropHandles} from "./handles.js";

const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                 "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
const TOOL_NAMES = {polygon: "Draw a territory as a polygon", rectangle: "Draw a territory as a rectangle"};

export const map = api.baseMap("map");
export const group = L.featureGroup().addTo(map);
export const extras = L.layerGroup().addTo(map);
export const problems = L.layerGroup().addTo(map);
let onPick = () => {};
let onEdit = () => {};

export function setup(pick, edited) {
  onPick = pick;
  onEdit = edited;
  map.pm.setGlobalOptions({snappable: true, snapDistance: 15, allowSelfIntersection: true});
  map.on("zoomend moveend", declutter);
}

// Draw tools only for people who may write; each gets an accessible name.
export function tools(on) {
  map.pm.removeControls();
  if (!on) { return; }
  map.pm.addControls({position: "topleft", drawMarker: false, drawCircleMarker: false,
    drawPolyline: false, drawCircle: false, drawText: false, editMode: false, dragMode: false,
    cutPolygon: false, removalMode: false, rotateMode: false});
  document.querySelectorAll(".leaflet-pm-toolbar .button-container").forEach((box) => {
    const a = box.querySelector("a.leaflet-buttons-control-button");
    const icon = box.querySelector(".control-icon");
    const kind = icon && Object.keys(TOOL_NAMES).find((k) => icon.classList.contains("leaflet-pm-icon-" + k));
    const name = (kind && TOOL_NAMES[kind]) || box.getAttribute("title") || "Map tool";
    if (a) { a.setAttribute("aria-label", name); a.setAttribute("title", name); }
  });
}

export function colour(f) { return f.properties.color || PALETTE[f.id % PALETTE.length]; }

function parentIds() {
  const out = {};
  Object.values(S.territories).forEach((f) => { if (f.properties.parent_id) { out[f.properties.parent_id] = true; } });
  return out;
}

// Every territory as a layer, except those being edited (their draft shows instead).
export function drawAll() {
  group.clearLayers();
  S.layers = {};
  const parents = parentIds();
  Object.values(S.territories).forEach((f) => {
    const layer = L.GeoJSON.geometryToLayer(f);
    // Regions (territories with children) as outlines, so their children show.
    layer.setStyle(parents[f.id] ? {color: "#555", weight: 2, dashArray: "2 4", fillColor: colour(f), fillOpacity: 0.06}
                                 : {color: "#333", weight: 1, fillColor: colour(f), fillOpacity: 0.35});
    layer.bindTooltip(el("span", {}, f.properties.name), {permanent: true, direction: "center", className: "territory-label"});
    layer.on("click", () => onPick(f.id, false));
    S.layers[f.id] = layer;
    if (!hidden(f.id)) { group.addLayer(layer); }
  });
  Object.keys(parents).forEach((id) => { if (S.layers[id] && group.hasLayer(S.layers[id])) { S.layers[id].bringToBack(); } });
  if (!S.fitted && group.getLayers().length) { map.fitBounds(group.getBounds(), {padding: [20, 20]}); S.fitted = true; }
  declutter();
}

function hidden(id) {
  return !!S.sel && (S.sel.id === id || (!!S.sel.merge && S.sel.merge.id === id));
}

export function showSaved(id) { if (S.layers[id] && !group.hasLayer(S.layers[id])) { group.addLayer(S.layers[id]); } }
// Its label goes with it, which may make room for a label it covered.
export function hideSaved(id) { if (S.layers[id]) { group.removeLayer(S.layers[id]); declutter(); } }

// Labels leaves before regions, larger territories first; a label that
// would cover one already shown is hidden until zooming makes room. (A
// region's label sits at its centre, inside one of its leaves: by size alone
// it hid the name of the leaf under it.)
export function declutter() {
  // Problem notes on the map outrank names: those still on it, not the ones
  // fading out for 200 ms after clearProblems(), which hid names for good.
  const shown = problems.getLayers().filter((m) => m.getTooltip() && m.getTooltip().getElement())
    .map((m) => m.getTooltip().getElement().getBoundingClientRect());
  const parents = parentIds();
  const labelled = Object.entries(S.layers).filter(([, l]) => group.hasLayer(l) && l.getTooltip());
  labelled.sort(([ia, a], [ib, b]) => (!!parents[ia] - !!parents[ib]) || (area(b) - area(a)));
  labelled.forEach(([, layer]) => {
    const node = layer.getTooltip().getElement();
    if (!node) { return; }
    node.style.visibility = "";
    const r = labelBox(layer, node);
    const clash = shown.some((s) => r.left < s.right && s.left < r.right && r.top < s.bottom && s.top < r.bottom);
    if (clash) { node.style.visibility = "hidden"; } else { shown.push(r); }
  });
}

// Where Leaflet centres the label, worked out from the map rather than read
// from the node: a label added in the same task as the measuring (a save's
// reload) measured at the map's corner, so two fresh labels "clashed" there.
function labelBox(layer, node) {
  const at = map.latLngToContainerPoint(layer.getTooltip().getLatLng()), m = map.getContainer().getBoundingClientRect();
  const left = m.left + at.x - node.offsetWidth / 2, top = m.top + at.y - node.offsetHeight / 2;
  return {left: left, top: top, right: left + node.offsetWidth, bottom: top + node.offsetHeight};
}

function area(layer) {
  const b = layer.getBounds();
  return (b.getEast() - b.getWest()) * (b.getNorth() - b.getSouth());
}

// The editable draft of the selected territory.
export function setDraft(geometry) {
  if (S.sel.layer) { S.sel.layer.pm.disable(); map.removeLayer(S.sel.layer); }
  const layer = L.GeoJSON.geometryToLayer({type: "Feature", properties: {}, geometry: geometry});
  layer.setStyle({color: "#0b4f9c", weight: 3, dashArray: "6 4", fillColor: "#4f8fd8", fillOpacity: 0.3});
  layer.addTo(map);
  if (!readOnly()) {
    layer.pm.enable({allowSelfIntersection: true, snappable: true, snapDistance: 15});
    layer.on("pm:edit", () => onEdit());
    keyboardHandles(map, layer);
  }
  S.sel.layer = layer;
  if (S.sel.id !== null) { hideSaved(S.sel.id); }
}

export function dropDraft() {
  dropHandles();
  if (S.sel && S.sel.layer) { S.sel.layer.pm.disable(); map.removeLayer(S.sel.layer); S.sel.layer = null; }
  extras.clearLayers();
}

export function draftGeometry() { return TMShapes.rightHand(S.sel.layer.toGeoJSON(false).geometry); }

export function dashed(g) {
  L.geoJSON(g, {pmIgnore: true, snapIgnore: true, interactive: false,
    style: {color: "#8e44ad", weight: 3, dashArray: "8 5", fillColor: "#c39bd3", fillOpacity: 0.35}}).addTo(extras);
}

export function outline(g) {
  L.geoJSON(g, {pmIgnore: true, snapIgnore: true, interactive: false,
    style: {color: "#e67e22", weight: 2, dashArray: "4 4", fill: false}}).addTo(extras);
}

export function overlapArea(g) {
  L.geoJSON(g, {pmIgnore: true, snapIgnore: true, interactive: false, className: "overlap-area",
    style: {color: "#c0392b", weight: 2, fillColor: "#e74c3c", fillOpacity: 0.5}}).addTo(problems);
}

export function marker(loc, text) {
  const m = L.marker([loc[1], loc[0]], {icon: L.divIcon({className: "problem-marker", iconSize: [16, 16]}),
                                        keyboard: false, pmIgnore: true, snapIgnore: true});
  m.bindTooltip(el("span", {}, text), {permanent: true, direction: "right", offset: [10, 0], className: "problem-tip"});
  m.addTo(problems);
  const e = m.getElement();
  e.dataset.lon = loc[0]; e.dataset.lat = loc[1];
  declutter();
}

export function zoomTo(layer) { map.fitBounds(layer.getBounds(), {padding: [40, 40], maxZoom: 14}); }

// The leaf territories (other than `ownId`) a shape overlaps, by client-side
// geometry: drawn for the manager and used to recognise overlaps already kept.
export function overlapsOf(geometry, ownId) {
  const parents = parentIds(), out = [];
  Object.values(S.territories).forEach((t) => {
    if (t.id === ownId || parents[t.id]) { return; }
    let o = null;
    try { o = TMShapes.overlap(geometry, t.geometry); } catch (e) { o = null; }
    if (o) { out.push({id: t.id, geometry: o, km2: TMShapes.areaKm2(o)}); }
  });
  return out;
}

export function territoryList(q) {
  const ul = $("territory-list");
  const items = Object.values(S.territories).sort((a, b) => a.properties.name.localeCompare(b.properties.name));
  ul.textContent = "";
  items.forEach((f) => {
    const p = f.properties, text = (p.name + " " + (p.code || "")).toLowerCase();
    if (q && text.indexOf(q) < 0) { return; }
    const b = el("button", {type: "button", "data-id": f.id}, el("span", {"class": "swatch"}),
                 p.name, p.code ? el("small", {}, " " + p.code) : null, el("small", {"class": "ver"}, " v" + p.version));
    b.querySelector(".swatch").style.background = colour(f);
    // A click with detail 0 came from the keyboard (Enter or Space).
    b.addEventListener("click", (e) => onPick(f.id, true, e.detail === 0));
    ul.appendChild(el("li", S.sel && S.sel.id === f.id ? {"class": "active"} : {}, b));
  });
  $("count").textContent = "(" + items.length + ")";
}
