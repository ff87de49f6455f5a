// The front door: who is signed in (the session cookie), and the links their role may open.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const ROLE_WORDS = { admin: "administrator", manager: "sales manager", rep: "sales rep" };

  function status(text, isError) {
    const el = $("status");
    el.textContent = text || "";
    el.className = isError ? "error" : "";
  }

  function show(who) {
    $("signin-panel").hidden = !!who;
    $("who-panel").hidden = !who;
    $("links").hidden = !who;
    for (const li of document.querySelectorAll("#links li")) {
      li.hidden = !who || !li.dataset.roles.split(" ").includes(who.role);
    }
    if (!who) { $("token").focus(); return; }
    const role = ROLE_WORDS[who.role] || who.role;
    $("who-text").textContent = `${who.name || "Signed in"} (${role})`;
  }

  // The server puts the signed-in caller (or null) on <body>: no request, no 401 in the console.
  function initialWho() {
    try { return JSON.parse(document.body.dataset.who || "null"); } catch (e) { return null; }
  }

  $("signin").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    status("Signing in…");
    const r = await fetch("/session", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ token: $("token").value.trim() }),
    });
    $("token").value = "";
    if (!r.ok) {
      status(r.status === 429 ? "Too many attempts: wait a minute." : "That token was not accepted.", true);
      return;
    }
    status("");
    show(await r.json());
    // Back to the page that sent the browser here (a path on this site only).
    const next = new URLSearchParams(location.search).get("next");
    if (next && /^\/(?![\/\\])/.test(next)) location.assign(next);
  });

  $("signout").addEventListener("click", async () => {
    await fetch("/session", { method: "DELETE", credentials: "same-origin" });
    status("Signed out.");
    show(null);
  });

  show(initialWho());
})();
