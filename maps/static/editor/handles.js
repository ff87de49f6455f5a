/* The draft's vertex and midpoint handles, for keyboards and screen readers.
   leaflet-geoman makes every handle a focusable role=button <div> with no
   name (axe: aria-command-name), puts every one in the tab order (a county
   has thousands, all before the form) and gives the keyboard nothing to do
   with them. Here each handle says which vertex it is, one handle is a tab
   stop at a time (the roving tabindex of the WAI-ARIA Authoring Practices:
   https://www.w3.org/WAI/ARIA/apg/practices/keyboard-interface/), and keys do
   what the mouse does: arrows move a vertex, Delete removes it, Enter or
   Space on a midpoint adds a vertex there.
   Geoman 2.20.2 internals this reads (pinned in vendor/): `layer.pm._markers`
   (the vertex markers, ring by ring) and `marker._middleMarkerNext` (the
   midpoint after a vertex); it drives the markers through the events Geoman
   listens to: dragstart/move/dragend, contextmenu (removeVertexOn) and click
   (addVertexOn). */
import {api, label} from "./state.js";

const STEP_PX = 1, FAR_PX = 10;  // Shift moves ten times as far, as drawing programs do
const ARROWS = {ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1]};
const HELP = {
  "vertex-help": "Arrow keys move this vertex (with Shift, ten times as far); Delete removes it. " +
                 "Page Down and Page Up go to the next and previous handle.",
  "midpoint-help": "Enter adds a vertex here. Page Down and Page Up go to the next and previous handle.",
};

let known = new WeakMap();  // handle element -> {marker, vertex, ring, index}
let order = [];  // handle elements along the outline: vertex 1, midpoint 1-2, vertex 2, ...
let current = null;  // the handle that is the tab stop
let draft = null;  // {map, layer}

// Name and wire the handles of `layer` (in Geoman's edit mode) on `map`.
export function keyboardHandles(map, layer) {
  if (!document.getElementById("vertex-help")) { setup(map); }
  draft = {map: map, layer: layer};
  current = null;
  let queued = false;
  // Geoman adds, removes and re-creates markers around these events; name
  // them once it is done.
  layer.on("pm:edit pm:vertexadded pm:vertexremoved pm:layerreset", () => {
    if (queued) { return; }
    queued = true;
    queueMicrotask(() => { queued = false; if (draft && draft.layer === layer) { name(); } });
  });
  name();
}

export function dropHandles() { draft = null; order = []; current = null; known = new WeakMap(); }

function setup(map) {
  Object.entries(HELP).forEach(([id, text]) => {
    const p = document.createElement("p");
    p.id = id; p.hidden = true; p.textContent = text;
    document.body.appendChild(p);
  });
  const box = map.getContainer();
  box.addEventListener("keydown", onKey);
  box.addEventListener("focusin", (e) => { if (known.has(e.target)) { rove(e.target); } });
  // Points of a shape being drawn are for the pointer (drawing is by
  // clicking the map); out of the tab order and the accessibility tree.
  map.on("pm:drawstart", (e) => {
    quiet(map);
    if (e.workingLayer) { e.workingLayer.on("pm:vertexadded", () => quiet(map)); }
  });
}

function quiet(map) {
  map.getPane("markerPane").querySelectorAll(".marker-icon").forEach((el) => {
    if (known.has(el)) { return; }
    el.setAttribute("tabindex", "-1");
    el.removeAttribute("role");
    el.setAttribute("aria-hidden", "true");
  });
}

// Rings as [markers, where]: "" for a lone outline, else which part or hole.
function rings(markers) {
  const out = [];
  const parts = Array.isArray(markers[0] && markers[0][0]) ? markers : [markers];
  parts.forEach((part, p) => part.forEach((ring, r) => {
    const where = (parts.length > 1 ? "part " + (p + 1) : "") + (r > 0 ? (parts.length > 1 ? ", " : "") + "hole " + r : "");
    out.push([ring, where]);
  }));
  return out;
}

function name() {
  order = [];
  known = new WeakMap();
  const whose = label();
  rings(draft.layer.pm._markers || []).forEach(([ring, where]) => {
    const n = ring.length, of = " of " + whose + (where ? ", " + where : "");
    ring.forEach((marker, i) => {
      tag(marker, {vertex: true, ring: ring, index: i}, "Vertex " + (i + 1) + " of " + n + of, "vertex-help");
      const mid = marker._middleMarkerNext;
      if (mid && mid.getElement()) {
        tag(mid, {vertex: false, ring: ring, index: i}, "Add a vertex between vertices " + (i + 1) + " and " + ((i + 1) % n + 1) + of,
            "midpoint-help");
      }
    });
  });
  rove(order.indexOf(current) >= 0 ? current : order[0] || null);
}

function tag(marker, info, text, help) {
  const el = marker.getElement();
  if (!el) { return; }
  el.setAttribute("role", "button");
  el.setAttribute("aria-label", text);
  el.setAttribute("aria-describedby", help);
  known.set(el, Object.assign({marker: marker}, info));
  order.push(el);
}

function rove(el) {
  current = el;
  order.forEach((h) => h.setAttribute("tabindex", h === el ? "0" : "-1"));
}

function onKey(e) {
  const h = known.get(e.target);
  if (!h || !draft || e.altKey || e.ctrlKey || e.metaKey) { return; }
  const step = e.shiftKey ? FAR_PX : STEP_PX;
  if (ARROWS[e.key] && h.vertex) { nudge(h.marker, ARROWS[e.key][0] * step, ARROWS[e.key][1] * step); }
  else if ((e.key === "Delete" || e.key === "Backspace") && h.vertex) { remove(h); }
  else if ((e.key === "Enter" || e.key === " ") && !h.vertex) { add(h); }
  else if (e.key === "PageDown" || e.key === "PageUp") { go(e.target, e.key === "PageDown" ? 1 : -1); }
  else { return; }
  e.preventDefault();
  e.stopPropagation();
}

function go(from, by) {
  const i = order.indexOf(from), to = order[(i + by + order.length) % order.length];
  rove(to);
  to.focus();
}

// As a drag of `dx`, `dy` screen pixels, so Geoman updates the shape, the
// midpoints and says pm:edit.
function nudge(marker, dx, dy) {
  const map = draft.map, at = map.latLngToContainerPoint(marker.getLatLng()).add([dx, dy]);
  marker.fire("dragstart");
  marker.setLatLng(map.containerPointToLatLng(at));
  marker.fire("dragend");
  map.panInside(marker.getLatLng(), {padding: [20, 20]});
}

function remove(h) {
  const n = h.ring.length, neighbour = h.ring[(h.index + n - 1) % n];
  h.marker.fire("contextmenu");
  if (h.marker.getElement() && h.marker.getElement().isConnected) {
    api.status("Not removed: a shape needs at least three vertices.", "error");
    return;
  }
  name();
  const next = neighbour.getElement();
  land(next && known.has(next) ? next : order[0]);
  api.status("Vertex " + (h.index + 1) + " removed.");
}

// The midpoint becomes the new vertex (the same element): focus stays on it.
function add(h) {
  h.marker.fire("click");
  name();
  land(h.marker.getElement());
}

function land(el) {
  if (!el || !known.has(el)) { return; }
  rove(el);
  el.focus();
}
