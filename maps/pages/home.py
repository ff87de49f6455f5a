"""The front door at ``/``: product name, sign-in, and the pages a role may open.

Like the editor, the page holds no data. Its script asks ``GET /session``
who is signed in (the session cookie) and shows only the links that role
may open; signed out, it shows the sign-in form, which calls
``POST /session``.
"""

from __future__ import annotations

import html
import json

from maps.pages.editor import content_security_policy
from maps.pages.links import PAGE_LINKS


def render_home_page(
    *,
    product: str,
    version: str,
    who: dict[str, object] | None = None,
    static_base: str = "/static",
) -> str:
    """The home page's HTML.

    Parameters
    ----------
    product, version : str
        Shown in the heading and the footer.
    who : dict or None
        The signed-in caller (``role``, ``name``), or ``None``; the script
        starts from it instead of asking the API (no 401 in the console).
    static_base : str
        Where the service serves ``maps/static``.

    Returns
    -------
    str
        A complete HTML document that loads only our own script and stylesheet.

    >>> "Territory Mapper 1.0" in render_home_page(product="Territory Mapper", version="1.0")
    True
    """
    base = html.escape(static_base.rstrip("/"), quote=True)
    name = html.escape(product)
    state = html.escape(json.dumps(who), quote=True)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{name}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{base}/home/home.css">
</head>
<body data-who="{state}">
<header class="top"><h1>{name}</h1><p class="tagline">Sales territories, accounts and coverage on one map.</p></header>
<main id="main">
<section id="signin-panel" class="card" aria-labelledby="signin-h" hidden>
  <h2 id="signin-h">Sign in</h2>
  <p>Paste the access token your administrator gave you (<code>tm_…</code>).</p>
  <form id="signin" autocomplete="off">
    <label for="token">Access token</label>
    <input id="token" name="token" type="password" required autocomplete="off">
    <button type="submit" class="primary">Sign in</button>
  </form>
</section>
<section id="who-panel" class="card" aria-labelledby="who-h" hidden>
  <h2 id="who-h">Signed in</h2>
  <p id="who-text"></p>
  <button type="button" id="signout">Sign out</button>
</section>
<nav id="links" aria-label="Pages" hidden><ul>{_links()}</ul></nav>
<p id="status" role="status" aria-live="polite"></p>
</main>
<footer>{name} {html.escape(version)} · <a href="/openapi.json">OpenAPI document</a></footer>
<script src="{base}/home/home.js"></script>
</body>
</html>
"""


def _links() -> str:
    return "".join(
        f'<li data-roles="{" ".join(roles)}" hidden><a href="{href}">{html.escape(label)}</a>'
        f"<span>{html.escape(hint)}</span></li>"
        for href, label, hint, roles in PAGE_LINKS
    )


def home_security_policy() -> str:
    """The home page's CSP: our own script and stylesheet, the API, nothing else."""
    return content_security_policy(None)
