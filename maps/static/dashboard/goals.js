// The dashboard's goals form: PUT /territories/{id}/goals with a bearer token
// (the tab's sign-in, or one typed here). Problems show beside their field.
"use strict";
(function () {
  const form = document.getElementById("goals-form");
  if (!form) return;
  const KEY = "territory-mapper-token";
  const status = document.getElementById("goals-status");
  const tokenRow = form.querySelector(".token-row");
  if (!sessionStorage.getItem(KEY)) tokenRow.hidden = false;

  function say(text, bad) {
    status.textContent = text;
    status.className = bad ? "error" : "";
  }

  // Every goal of the period, and the input each one came from.
  function collect() {
    const goals = JSON.parse(form.dataset.kept || "[]");
    const sources = goals.map(() => null);
    const problems = [];
    const number = (input) => {
      const text = input.value.trim().replace(/,/g, "");
      if (text === "") return null;
      const n = Number(text);
      if (!Number.isFinite(n)) problems.push([input, "Type a number."]);
      return n;
    };
    form.querySelectorAll(".goal-row:not(.product) input").forEach((input) => {
      const value = number(input);
      if (value !== null) { goals.push({ metric: input.name, value: value }); sources.push(input); }
    });
    form.querySelectorAll(".goal-row.product").forEach((row) => {
      const [name, amount] = row.querySelectorAll("input");
      const value = number(amount), product = name.value.trim();
      if (value === null && !product) return;
      if (!product) { problems.push([name, "Name the product."]); return; }
      if (value === null) { problems.push([amount, "Type the product's revenue goal."]); return; }
      goals.push({ metric: "product_revenue", product: product, value: value });
      sources.push(amount);
    });
    return { goals, sources, problems };
  }

  function mark(input, message) {
    input.setAttribute("aria-invalid", "true");
    const note = document.createElement("span");
    note.className = "field-error";
    note.textContent = message;
    input.insertAdjacentElement("afterend", note);
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    form.querySelectorAll(".field-error").forEach((n) => n.remove());
    form.querySelectorAll("[aria-invalid]").forEach((n) => n.removeAttribute("aria-invalid"));
    const { goals, sources, problems } = collect();
    if (problems.length) {
      problems.forEach(([input, message]) => mark(input, message));
      problems[0][0].focus();
      say("Fix the marked fields; nothing was saved.", true);
      return;
    }
    const typed = document.getElementById("goals-token").value.trim();
    const token = typed || sessionStorage.getItem(KEY);
    if (!token) { tokenRow.hidden = false; say("Type a manager's access token to save.", true); return; }
    say("Saving…");
    const r = await fetch(`/territories/${form.dataset.territory}/goals`, {
      method: "PUT",
      headers: { "Content-Type": "application/json", Accept: "application/json",
                 Authorization: `Bearer ${token}` },
      body: JSON.stringify({ period: form.dataset.period, goals: goals }),
    });
    if (r.ok) {
      if (typed) sessionStorage.setItem(KEY, typed);
      say("Saved.");
      location.reload();
      return;
    }
    const problem = await r.json().catch(() => ({}));
    (problem.errors || []).forEach((e) => {
      const m = /^\/goals\/(\d+)/.exec(e.pointer || "");
      const input = m && sources[Number(m[1])];
      if (input) mark(input, e.detail || e.message || "Not accepted.");
    });
    if (r.status === 401 || r.status === 403) tokenRow.hidden = false;
    say(`Not saved: ${problem.detail || problem.title || r.status}`, true);
  });
})();
