// A "Download CSV" link under every table of a dashboard: the table's own
// cells as RFC 4180 CSV, numbers without their thousands separators, built in
// the page (the figures are the ones on screen; nothing is fetched).
"use strict";
(function () {
  const slug = (text) => text.toLowerCase().replace(/\(\d+\)/g, "").trim()
    .replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "table";
  const quote = (text) => (/[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);
  const cell = (c) => {
    const text = c.innerText.trim();
    const plain = text.replace(/,/g, "");
    return c.classList.contains("n") && /^[-+]?\d+(\.\d+)?%?$/.test(plain) ? plain : text;
  };
  const page = slug(document.querySelector("h1") ? document.querySelector("h1").textContent : "");

  document.querySelectorAll("main table").forEach((table) => {
    const holder = table.closest(".scroll") || table;
    const heading = holder.parentElement.querySelector("h3, h2");
    const name = (heading ? heading.textContent : "table").replace(/\s*\(\d+\)\s*$/, "");
    const csv = Array.from(table.rows)
      .map((row) => Array.from(row.cells).map((c) => quote(cell(c))).join(","))
      .join("\r\n") + "\r\n";
    const link = document.createElement("a");
    link.className = "csv";
    // The accessible name starts with the visible words, then says which table.
    link.textContent = "Download CSV";
    const which = document.createElement("span");
    which.className = "sr";
    which.textContent = ` of ${name.replace(/\s+/g, " ").trim()}`;
    link.appendChild(which);
    link.download = `${page}-${slug(name)}.csv`;
    link.href = URL.createObjectURL(new Blob([csv], { type: "text/csv" }));
    holder.insertAdjacentElement("afterend", link);
  });
})();
