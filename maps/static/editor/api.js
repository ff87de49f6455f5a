/* Territory Mapper pages: sign-in with a token, calls to the API, small DOM helpers.
   Shared by /editor and /me. The token lives in sessionStorage (this tab only)
   and goes out only as an Authorization header to this origin. Every string
   that came from the API is put into the page as text, never as HTML. */
var TMApi = (function () {
  "use strict";
  var KEY = "territory-mapper-token";

  function token() { return sessionStorage.getItem(KEY); }

  // One API call: {status, ok, body, etag}. Problem bodies are parsed too.
  function call(method, path, options) {
    var opts = options || {}, headers = {"Accept": "application/json, application/geo+json"};
    if (token()) { headers.Authorization = "Bearer " + token(); }
    if (opts.ifMatch !== undefined) { headers["If-Match"] = '"' + opts.ifMatch + '"'; }
    var init = {method: method, headers: headers, cache: "no-store"};
    if (opts.body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(opts.body);
    }
    return fetch(path, init).then(function (r) {
      return r.text().then(function (text) {
        var body = null;
        try { body = text ? JSON.parse(text) : null; } catch (e) { body = {detail: text}; }
        return {status: r.status, ok: r.ok, body: body, etag: r.headers.get("ETag")};
      });
    }, function () {
      return {status: 0, ok: false, body: {title: "Network error", detail: "The service did not answer."}};
    });
  }

  // Every page of a collection, following `next` links (same origin only).
  function all(path, key, cap) {
    var out = [];
    function page(p) {
      return call("GET", p).then(function (r) {
        if (!r.ok) { return r; }
        out = out.concat(r.body[key] || []);
        var next = (r.body.links || []).filter(function (l) { return l.rel === "next"; })[0];
        if (next && out.length < (cap || 10000)) {
          var u = new URL(next.href, location.href);
          return page(u.pathname + u.search);
        }
        return {status: r.status, ok: true, body: out};
      });
    }
    return page(path);
  }

  // A one-line description of a failed answer.
  function describe(r) {
    var b = r.body || {};
    var text = (b.title || ("HTTP " + r.status)) + (b.detail ? ": " + b.detail : "");
    return r.status ? text + " (" + r.status + ")" : text;
  }

  // el("li", {class: "x", "data-id": 3}, "text", child...)
  function el(tag, attrs) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "hidden") { node.hidden = !!attrs[k]; } else { node.setAttribute(k, attrs[k]); }
    });
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined) { continue; }
      node.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  function status(text, kind) {
    var s = document.getElementById("status");
    s.textContent = text || "";
    s.className = "status" + (kind ? " " + kind : "");
  }

  // Wire the sign-in bar. `onReady` runs with a signed-in session; it must
  // answer the first API response so a refused token signs out again.
  function signIn(onReady) {
    var form = document.getElementById("signin"), who = document.getElementById("who");
    function show(signedIn) { form.hidden = signedIn; who.hidden = !signedIn; }
    // Who is signed in, and the header links their role may open (a rep's
    // header must not offer pages that answer them 403).
    function showWho(who) {
      document.getElementById("who-text").textContent = who ? "Signed in: " + who.name + " (" + who.role + ")" : "Signed in";
      Array.prototype.forEach.call(document.querySelectorAll("#who a[data-roles]"), function (a) {
        a.hidden = !who || a.dataset.roles.split(" ").indexOf(who.role) < 0;
      });
    }
    function start() {
      show(true);
      showWho(null);
      call("GET", "/session").then(function (r) { if (r.ok) { showWho(r.body); } });
      onReady().then(function (r) {
        if (r && (r.status === 401)) { signOut(); status(describe(r), "error"); }
      });
    }
    function signOut() {
      sessionStorage.removeItem(KEY);
      // Also end the browser session that opens map and dashboard pages.
      fetch("/session", {method: "DELETE", credentials: "same-origin"});
      show(false);
      document.getElementById("token").value = "";
    }
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var value = document.getElementById("token").value.trim();
      if (!value) { return; }
      sessionStorage.setItem(KEY, value);
      document.getElementById("token").value = "";
      // A read-only session cookie lets /maps/* and /dashboards open in a tab.
      fetch("/session", {
        method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json"}, body: JSON.stringify({token: value})
      });
      start();
    });
    document.getElementById("signout").addEventListener("click", function () {
      signOut(); location.reload();
    });
    if (token()) { start(); } else { show(false); }
  }

  // Leaflet map without tiles unless the page was given a tile URL.
  function baseMap(id, options) {
    var div = document.getElementById(id);
    var map = L.map(div, Object.assign({zoomSnap: 0.25, preferCanvas: false}, options || {}));
    if (div.dataset.tiles) {
      L.tileLayer(div.dataset.tiles, {maxZoom: 19, attribution: div.dataset.attribution}).addTo(map);
    }
    map.setView([39.5, -98.35], 4);
    return map;
  }

  function fmt(v, digits) {
    if (v === null || v === undefined || v === "") { return "\u2013"; }
    if (typeof v === "number") { return v.toLocaleString("en-US", {maximumFractionDigits: digits === undefined ? 1 : digits}); }
    return String(v);
  }

  return {call: call, all: all, describe: describe, el: el, status: status, signIn: signIn,
          baseMap: baseMap, fmt: fmt, token: token};
})();
