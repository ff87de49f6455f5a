// Starts ReDoc on the page's OpenAPI document (kept out of the page so the CSP needs no inline script).
// The theme darkens the few greys and reds whose contrast falls under WCAG AA
// (4.5:1) in ReDoc's defaults; the observer names ReDoc's unlabelled
// media-type pickers for screen readers.
"use strict";
(function () {
  const el = document.getElementById("redoc");
  const theme = {
    typography: { code: { color: "#a8231c" } },
    colors: {
      text: { primary: "#1f2428", secondary: "#4a5259" },
      error: { main: "#b3261e" },
      success: { main: "#1b6e24" },
      responses: {
        // Tab text sits on the dark right panel (a selected tab: see a11y.css).
        success: { color: "#1b6e24", backgroundColor: "#e8f3e8", tabTextColor: "#7ed987" },
        error: { color: "#a8231c", backgroundColor: "#fbeceb", tabTextColor: "#ff9c94" },
        redirect: { color: "#8a5a00", backgroundColor: "#fdf3e3", tabTextColor: "#ffc46b" },
        info: { color: "#1f5fa8", backgroundColor: "#e8f0fa", tabTextColor: "#8cc0ff" },
      },
    },
  };
  const name = (root) => root.querySelectorAll("select:not([aria-label])").forEach((s) => {
    s.setAttribute("aria-label", "Media type");
  });
  new MutationObserver(() => name(el)).observe(el, { childList: true, subtree: true });
  Redoc.init(el.dataset.openapiUrl, { theme: theme }, el);
})();
