/* Scenarios in the editor: a picker (the live plan or a draft scenario, or a
   new one copied from live), a banner that says which plan is on screen, the
   compare panel (refreshed after every load, so after every save), and Apply
   and Rebase for admins and managers. While a scenario is open every
   territory read and write goes to /scenarios/{id}/... (state.planPath). */
import {S, $, api, el, isStaff, nameOf, quoted} from "./state.js";
import {ask, closeNotice, failed, notice} from "./notice.js";
import {close, dirty, load} from "./select.js";
import {unitsFollowPlan} from "./units.js";

let listed = false;

export function setupScenarios() {
  S.afterLoad = afterLoad;
  $("plan-picker").addEventListener("change", () => open($("plan-picker").value));
  $("plan-new").addEventListener("submit", (e) => { e.preventDefault(); create(); });
  $("plan-apply").addEventListener("click", apply);
  $("plan-rebase").addEventListener("click", () => rebase("fail"));
}

// After each load: the first time, list the scenarios (staff only); in a
// scenario, refresh the compare figures.
function afterLoad() {
  $("plan").hidden = !isStaff();
  unitsFollowPlan();
  if (!isStaff()) { return; }
  if (!listed) { listed = true; scenarios().then(banner); }
  banner();
  if (S.plan) { compare(); }
}

// Every scenario the caller may see (names for the history), drafts in the picker.
function scenarios() {
  return api.all("/scenarios?limit=1000", "scenarios").then((r) => {
    if (!r.ok) { return r; }
    S.scenarios = {};
    r.body.forEach((s) => { S.scenarios[s.id] = s; });
    const pick = $("plan-picker"), current = S.plan ? String(S.plan.id) : "";
    pick.textContent = "";
    pick.appendChild(el("option", {value: ""}, "Live plan"));
    r.body.filter((s) => s.status === "draft").forEach((s) => {
      pick.appendChild(el("option", {value: String(s.id)}, "Scenario: " + s.name + (s.stale ? " (live plan moved on)" : "")));
    });
    pick.value = current;
    return r;
  });
}

function open(value) {
  const next = value ? S.scenarios[Number(value)] : null;
  if (dirty()) {
    $("plan-picker").value = S.plan ? String(S.plan.id) : "";
    api.status("Save or discard the changes first, then switch plans.", "error");
    return Promise.resolve();
  }
  close();
  S.plan = next || null;
  S.fitted = false;
  $("compare").hidden = !S.plan;
  banner();
  unitsFollowPlan();
  api.status(S.plan ? "Opened scenario " + quoted(S.plan.name) + "; edits stay in it until applied." : "The live plan is on screen.");
  return load();
}

// The banner, the buttons and the links follow the plan on screen.
function banner() {
  const b = $("plan-banner"), sc = S.plan;
  const due = pending();
  b.textContent = sc ? "Scenario " + quoted(sc.name) + " (draft): edits here do not touch the live plan"
                     : "Live plan: edits here change what the field sees" +
                       due.map((p) => ". Pending change: " + quoted(p.name) + " takes effect on " + p.effective_date).join("");
  if (!sc && due.length) { b.dataset.pending = due[0].effective_date; } else { delete b.dataset.pending; }
  b.className = "plan-banner " + (sc ? "scenario" : "live");
  b.hidden = !isStaff();
  document.body.classList.toggle("in-scenario", !!sc);
  $("plan-actions").hidden = !sc || !isStaff();
  const base = sc ? "/scenarios/" + sc.id : "";
  document.querySelectorAll("#who a[href$='/maps/coverage']").forEach((a) => { a.href = base + "/maps/coverage"; });
  document.querySelectorAll("#who a[href$='/dashboards']").forEach((a) => { a.href = base + "/dashboards"; });
  if (sc) { $("compare-map").href = "/maps/scenarios/" + sc.id + "/compare"; }
}

async function create() {
  const name = $("plan-new-name").value.trim();
  if (!name) { $("plan-new-name").focus(); return; }
  const r = await api.call("POST", "/scenarios", {body: {name: name, from: "live"}});
  if (!r.ok) { failed(r); return; }
  $("plan-new-name").value = "";
  await scenarios();
  $("plan-picker").value = String(r.body.id);
  await open(String(r.body.id));
  $("plan-picker").focus();
}

// ---- the compare panel -------------------------------------------------
function compare() {
  const sc = S.plan;
  $("compare").setAttribute("aria-busy", "true");
  return api.call("GET", "/scenarios/" + sc.id + "/compare?travel=true").then((r) => {
    $("compare").setAttribute("aria-busy", "false");
    if (!r.ok || S.plan !== sc) { return; }
    const c = r.body, balance = c.balance || {};
    $("compare-summary").textContent = c.moved_count + " account(s) move, " + api.fmt(c.moved_revenue, 0) +
      " revenue/year. Balance index (" + (balance.metric || "revenue") + ", lower is more even): " +
      api.fmt(balance.before, 3) + " \u2192 " + api.fmt(balance.after, 3) + ".";
    const body = $("compare-reps").tBodies[0];
    body.textContent = "";
    (c.reps || []).forEach((rep) => {
      body.appendChild(el("tr", {}, el("th", {scope: "row"}, rep.name),
        el("td", {}, pair(rep.accounts, 0)), el("td", {}, pair(rep.load_pct, 1))));
    });
    if (!(c.reps || []).length) { body.appendChild(el("tr", {}, el("td", {colspan: "3"}, "No rep's book changes."))); }
    $("compare").dataset.moved = String(c.moved_count);
    $("compare").hidden = false;
  });
}

function pair(p, digits) { return api.fmt(p.before, digits) + " \u2192 " + api.fmt(p.after, digits); }

// ---- apply and rebase --------------------------------------------------
async function apply() {
  const sc = S.plan;
  if (!sc || S.busy) { return; }
  if (dirty()) { api.status("Save or discard the changes first, then apply.", "error"); return; }
  const go = await ask("ask", "Apply " + quoted(sc.name) + " to the live plan?",
    "Every territory the scenario changed (and its goals) is written to the live plan as one change, in one step; " +
    "its accounts move at once. The change can be reverted. Give a later date to schedule it instead.", [],
    [["Apply to the live plan", "go", "primary"]], undefined, whenField());
  if (!go) { api.status("Not applied; nothing changed."); return; }
  const when = $("apply-date").value;
  // The live plan's ETag as of now: a live edit since is a 412, not lost.
  const live = await api.call("GET", "/plan");
  const tag = String(live.etag || "").replace(/^W\//, "").replace(/"/g, "");
  const body = when ? {on_overlap: "warn", effective_date: when} : {on_overlap: "warn"};
  const r = await api.call("POST", "/scenarios/" + sc.id + "/apply", {ifMatch: tag, body: body});
  if (r.status === 412) { staleApply(r); return; }
  if (!r.ok) { failed(r); return; }
  await scenarios();
  $("plan-picker").value = "";
  await open("");
  if (r.status === 202) {
    api.status("Scheduled " + quoted(sc.name) + ": the live plan switches to it on " + r.body.effective_date +
               ". Until then the live plan stays as it is, with the pending change shown.", "ok");
    return;
  }
  api.status("Applied " + quoted(sc.name) + " to the live plan (" + r.body.operations + " territory change(s), " +
             r.body.reassigned + " account(s) moved). The live plan is on screen.", "ok");
}

// The apply dialog's optional day for the live plan to switch (empty: now).
function whenField() {
  const tomorrow = new Date(Date.now() + 86400000).toISOString().slice(0, 10);
  return el("p", {"class": "apply-when"},
    el("label", {"for": "apply-date"}, "Take effect on (optional; empty applies now) "),
    el("input", {type: "date", id: "apply-date", name: "effective_date", min: tomorrow}));
}

// The live plan's banner names what is scheduled to replace it, and when.
function pending() {
  return Object.values(S.scenarios || {}).filter((s) => s.status === "scheduled" && s.effective_date)
    .sort((a, b) => (a.effective_date < b.effective_date ? -1 : 1));
}

function staleApply(r) {
  const b = r.body || {};
  const changed = (b.changed || []).map((c) => ({reason: nameOf(c.territory_id) + ": " + c.change + " in the live plan"}));
  notice("conflict", "The live plan changed since this scenario was taken",
    "Nothing was applied. Rebase carries the scenario's edits onto the current live plan; then apply again.",
    changed, [["Rebase on the live plan", () => rebase("fail"), "primary"], ["Not now", closeNotice]]);
  api.status("Not applied: the live plan moved on (412).", "error");
}

async function rebase(onConflict) {
  const sc = S.plan;
  if (!sc) { return; }
  if (dirty()) { api.status("Save or discard the changes first, then rebase.", "error"); return; }
  const r = await api.call("POST", "/scenarios/" + sc.id + "/rebase", {body: {on_conflict: onConflict}});
  if (r.status === 409 && /rebase-conflict/.test((r.body || {}).type || "")) {
    const choice = await ask("conflict", "Both plans changed the same territories",
      "Nothing was written. Keep the live plan's version or the scenario's for each of them:",
      (r.body.errors || []).map((e) => ({reason: e.reason, pointer: e.pointer})),
      [["Keep the live versions", "keep_live"], ["Keep the scenario's", "keep_scenario", "primary"]]);
    if (choice) { await rebase(choice); } else { api.status("Not rebased; nothing changed."); }
    return;
  }
  if (!r.ok) { failed(r); return; }
  await scenarios();
  S.plan = S.scenarios[sc.id] || sc;
  await load();
  const kept = (r.body.conflicts || []).length;
  api.status("Rebased " + quoted(sc.name) + " on the live plan: " + r.body.carried + " edit(s) carried" +
             (kept ? ", " + kept + " conflict(s) settled" : "") + ". Apply when ready.", "ok");
}
