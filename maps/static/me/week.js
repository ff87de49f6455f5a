/* "My week" on /me: the rep's stored schedule as a week calendar (days as
   columns on a wide screen, a list of days on a phone: the CSS decides) and
   today's route on the map, home -> stops in visiting order -> home.
   Reads GET /schedules?rep_id=; an empty list means none was planned yet, and
   the page says so and offers to plan one (POST /reps/{id}/schedule).
   Dates are the schedule's own ISO dates (the rep's calendar days), compared
   as strings, so the browser's time zone never moves a contact to another day. */
var TMWeek = (function () {
  "use strict";
  var api = TMApi, el = TMApi.el, $ = function (id) { return document.getElementById(id); };
  var CHANNEL = {visit: "Visit", phone: "Phone", email: "E-mail", video: "Video"};
  var DAY_MS = 86400000;
  var S = {repId: null, home: null, schedule: null, monday: null, layer: null, map: null};

  // ?today=YYYY-MM-DD pins "today" (demos, tests); else the browser's date.
  function today() {
    var given = new URLSearchParams(location.search).get("today");
    if (given && /^\d{4}-\d{2}-\d{2}$/.test(given)) { return given; }
    var d = new Date();
    return iso(Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()));
  }
  function iso(ms) { return new Date(ms).toISOString().slice(0, 10); }
  function ms(day) { return Date.parse(day + "T00:00:00Z"); }
  function monday(day) { var t = ms(day), wd = (new Date(t).getUTCDay() + 6) % 7; return iso(t - wd * DAY_MS); }
  function addDays(day, n) { return iso(ms(day) + n * DAY_MS); }
  function label(day, opts) { return new Date(ms(day)).toLocaleDateString("en-GB", Object.assign({timeZone: "UTC"}, opts)); }
  function clock(stamp) { return stamp ? stamp.slice(11, 16) : null; }

  function show(repId, home, map, layer) {
    S.repId = repId; S.home = home; S.map = map; S.layer = layer; S.schedule = null;
    $("week").hidden = false;
    // The collection answers an empty list (not a 404) while nothing is planned.
    return api.call("GET", "/schedules?rep_id=" + repId).then(function (r) {
      if (!r.ok) { empty("The schedule could not be read: " + api.describe(r)); return null; }
      if (!r.body.items.length) { empty(); return null; }
      S.schedule = r.body.items[0];
      var first = S.schedule.start, last = addDays(first, 7 * S.schedule.weeks - 1), now = today();
      S.monday = monday(now >= first && now <= last ? now : first);
      draw();
      return S.schedule;
    });
  }

  function empty(why) {
    S.layer.clearLayers();
    $("week-days").textContent = "";
    $("week-summary").textContent = "";
    $("week-range").textContent = "";
    $("week-range").hidden = $("week-prev").hidden = $("week-next").hidden = true;
    $("today").hidden = true;
    $("plan-schedule").hidden = false;
    $("week-empty").hidden = false;
    $("week-empty").textContent = why || ("No schedule has been planned yet. Press \u201cPlan 4 weeks\u201d " +
      "(or ask your manager) to plan your visits, calls and e-mails from today; the planner follows your " +
      "territory's contact rotation.");
  }

  function plan() {
    var btn = $("plan-schedule");
    btn.disabled = true;
    $("week-empty").textContent = "Planning your next 4 weeks\u2026";
    var given = new URLSearchParams(location.search).get("today");
    var q = "?weeks=4" + (given ? "&start=" + encodeURIComponent(today()) : "");
    return api.call("POST", "/reps/" + S.repId + "/schedule" + q).then(function (r) {
      btn.disabled = false;
      if (!r.ok) { empty("Planning failed: " + api.describe(r)); return; }
      return show(S.repId, S.home, S.map, S.layer);
    });
  }

  function contactsOn(day) {
    return S.schedule.contacts.filter(function (c) { return c.day === day; }).sort(function (a, b) {
      return (a.start || "~").localeCompare(b.start || "~") || a.sequence - b.sequence || a.account_id.localeCompare(b.account_id);
    });
  }

  function dayPlan(day) { return S.schedule.days.filter(function (d) { return d.day === day; })[0] || null; }

  function draw() {
    var sch = S.schedule, first = sch.start, last = addDays(first, 7 * sch.weeks - 1);
    var sunday = addDays(S.monday, 6);
    $("week-empty").hidden = true;
    $("plan-schedule").hidden = true;
    $("week-range").hidden = $("week-prev").hidden = $("week-next").hidden = false;
    $("week-prev").disabled = S.monday <= first;
    $("week-next").disabled = sunday >= last;
    $("week-range").textContent = label(S.monday, {day: "numeric", month: "short"}) + " \u2013 " +
      label(sunday, {day: "numeric", month: "short", year: "numeric"});
    var list = $("week-days");
    list.textContent = "";
    var visits = 0, km = 0, hours = 0;
    for (var i = 0; i < 7; i++) {
      var day = addDays(S.monday, i), contacts = contactsOn(day), plan = dayPlan(day);
      if (i >= 5 && !contacts.length && !plan) { continue; }  // an empty weekend takes no column
      list.appendChild(dayItem(day, contacts, plan));
      visits += contacts.filter(function (c) { return c.channel === "visit"; }).length;
      if (plan) { km += plan.drive_km; hours += plan.drive_hours; }
    }
    $("week-summary").textContent = visits + (visits === 1 ? " visit" : " visits") + " \u00b7 " + api.fmt(km) + " km \u00b7 " + api.fmt(hours) +
      " h driving this week \u00b7 cadence kept for " + Math.round(100 * sch.compliance.ratio) + " % of contacts due" +
      (sch.unplaced.length ? " \u00b7 " + sch.unplaced.length + " could not be placed" : "");
    route(today());
  }

  function dayItem(day, contacts, plan) {
    var isToday = day === today();
    var head = el("h3", {}, label(day, {weekday: "short", day: "numeric", month: "short"}), isToday ? el("span", {"class": "today-tag"}, " today") : null);
    var facts = plan && plan.route.length ? api.fmt(plan.drive_km) + " km \u00b7 " + api.fmt(plan.drive_hours) + " h driving" : "";
    var over = plan && plan.overtime_hours > 0 ? el("p", {"class": "warn"}, "Over the working day by " + api.fmt(plan.overtime_hours) + " h") : null;
    var ul = el("ul", {"class": "contacts"});
    contacts.forEach(function (c) { ul.appendChild(contactItem(c)); });
    if (!contacts.length) { ul.appendChild(el("li", {"class": "none"}, "Nothing planned")); }
    return el("li", {"class": "day" + (isToday ? " is-today" : ""), "data-day": day},
      head, facts ? el("p", {"class": "day-facts"}, facts) : null, over, ul);
  }

  function contactItem(c) {
    var when = clock(c.start);
    return el("li", {"class": "contact channel-" + c.channel + (c.status === "done" ? " done" : ""), "data-account": c.account_id},
      el("span", {"class": "when"}, when ? el("time", {datetime: c.start}, when) : "any time", " ",
         el("span", {"class": "channel"}, CHANNEL[c.channel] || c.channel), c.status === "done" ? " \u2713 done" : ""),
      el("span", {"class": "who"}, c.name || c.account_id),
      c.address ? el("span", {"class": "where"}, c.address) : null,
      c.in_window ? null : el("span", {"class": "warn"}, "outside its cadence window"));
  }

  // Today's visits in route order, drawn from home and back on the map.
  function route(day) {
    S.layer.clearLayers();
    var plan = dayPlan(day);
    $("today").hidden = false;
    var list = $("today-stops");
    list.textContent = "";
    var byId = {};
    contactsOn(day).forEach(function (c) { if (c.channel === "visit") { byId[c.account_id] = c; } });
    var stops = plan ? plan.route.map(function (id) { return byId[id]; }).filter(Boolean) : [];
    if (!stops.length) {
      $("today-summary").textContent = "No visits planned for today (" + label(day, {weekday: "long", day: "numeric", month: "long"}) + ").";
      return;
    }
    $("today-summary").textContent = stops.length + (stops.length === 1 ? " stop" : " stops") + " \u00b7 " + api.fmt(plan.drive_km) + " km \u00b7 " +
      api.fmt(plan.drive_hours) + " h driving, from home and back";
    var line = S.home ? [[S.home[1], S.home[0]]] : [];
    stops.forEach(function (c, i) {
      list.appendChild(el("li", {}, el("strong", {}, (clock(c.start) || "") + " " + (c.name || c.account_id)),
                          c.address ? el("span", {"class": "where"}, " " + c.address) : null));
      if (!c.location) { return; }
      var at = [c.location[1], c.location[0]];
      line.push(at);
      L.marker(at, {icon: L.divIcon({className: "stop-marker today-stop", html: String(i + 1), iconSize: [20, 20]}),
                    title: (i + 1) + ". " + (c.name || c.account_id)}).addTo(S.layer);
    });
    if (S.home) { line.push([S.home[1], S.home[0]]); }
    var path = L.polyline(line, {color: "#6c3483", weight: 4, opacity: 0.85, interactive: false, className: "today-route"}).addTo(S.layer);
    S.map.fitBounds(path.getBounds(), {padding: [30, 30], maxZoom: 13});
  }

  function step(weeks) { S.monday = addDays(S.monday, 7 * weeks); draw(); }

  $("week-prev").addEventListener("click", function () { step(-1); });
  $("week-next").addEventListener("click", function () { step(1); });
  $("plan-schedule").addEventListener("click", plan);
  return {show: show, today: today, state: S};
})();
