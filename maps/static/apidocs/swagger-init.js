// Starts Swagger UI on the page's OpenAPI document (kept out of the page so the CSP needs no inline script).
"use strict";
(function () {
  const el = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: el.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    // Deep links would make each operation's path a link inside its toggle button
    // (nested interactive controls, which screen readers cannot reach).
    deepLinking: false,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    persistAuthorization: false,
  });
})();
