"""The manager's territory editor: an HTML shell that works through the API.

The page holds no data. Its ES modules (``static/editor/main.js`` and the
modules it imports: state, map, form, changes, conflicts, select, history,
notice) sign in with a token the user types, load territories from
``/territories`` and save every edit as one change set
(``POST /territories/changes``) with each territory's ``if_match``, checked
first by a dry run of the same set. Drawing and vertex editing come from
Leaflet-Geoman, split and merge previews from JSTS, all served from
``static/vendor`` so the page works offline. A rep's token gets a read-only
view. Admins and managers may open a draft scenario instead of the live
plan (``scenario.js``): every territory read and write then goes to
``/scenarios/{id}/...``, a banner says which plan is on screen, and the
side panel shows the scenario's comparison with live, with Apply and Rebase, and an
"Edit by unit" mode (``units.js``): the units of the scenario's design coloured by
territory, a click moves one to a touching territory, the balance updates at once. This module also builds
the pieces the ``/me`` page shares: the page shell, the base-map choice and
the Content-Security-Policy that goes with them.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from urllib.parse import urlsplit

from maps.pages.links import PAGE_LINKS

LEAFLET = "leaflet-1.9.4"
GEOMAN = "leaflet-geoman-free-2.20.2"
JSTS = "jsts-2.12.1"

# Folium's short name for the one tile set people ask for by name.
_NAMED_TILES = {"openstreetmap": "https://tile.openstreetmap.org/{z}/{x}/{y}.png"}
_OSM_ATTRIBUTION = "\u00a9 OpenStreetMap contributors"


@dataclass(frozen=True, slots=True)
class BaseMap:
    """A tile layer for the pages: URL template, attribution and CSP source."""

    url: str | None = None
    attribution: str = ""
    csp_source: str | None = None


def base_map(tiles: str | None) -> BaseMap:
    """The base map for ``tiles``: an http(s) URL template or ``OpenStreetMap``.

    Anything else (``None``, another Folium name) means no base map, which
    is the offline default.

    >>> base_map(None).url is None
    True
    >>> base_map("https://{s}.tile.example.org/{z}/{x}/{y}.png").csp_source
    'https://*.tile.example.org'
    """
    if not tiles:
        return BaseMap()
    url = _NAMED_TILES.get(tiles.strip().lower(), tiles.strip())
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or "{z}" not in url:
        return BaseMap()
    host = parts.netloc.replace("{s}", "*")
    # A template with other placeholders in its host cannot be named exactly.
    source = f"{parts.scheme}://{host}" if "{" not in host else f"{parts.scheme}:"
    attribution = _OSM_ATTRIBUTION if "openstreetmap" in parts.netloc else f"Tiles: {parts.netloc}"
    return BaseMap(url, attribution, source)


def content_security_policy(tiles: str | None) -> str:
    """The Content-Security-Policy of the pages: only our own scripts and API.

    Images may also come from ``data:`` (Geoman's toolbar icons) and from the
    tile server when one is configured.

    >>> "script-src 'self'" in content_security_policy(None)
    True
    """
    images = " ".join(s for s in ("'self'", "data:", base_map(tiles).csp_source) if s)
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; "
        f"img-src {images}; connect-src 'self'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    )


def page_shell(
    *,
    title: str,
    body: str,
    styles: list[str],
    scripts: list[str],
    static_base: str = "/static",
    modules: tuple[str, ...] = (),
) -> str:
    """A complete HTML document around ``body`` (already escaped markup).

    ``styles``, ``scripts`` and ``modules`` are paths under ``static_base``;
    vendored Leaflet comes first, then the page's own files. ``modules`` are
    ES modules: they run after the classic scripts, which they may use.
    """
    base = static_base.rstrip("/")
    css = [f"vendor/{LEAFLET}/leaflet.css", *styles]
    js = [f"vendor/{LEAFLET}/leaflet.js", *scripts]
    links = "\n".join(f'<link rel="stylesheet" href="{_attr(f"{base}/{p}")}">' for p in css)
    tags = "\n".join(
        [f'<script src="{_attr(f"{base}/{p}")}"></script>' for p in js]
        + [f'<script type="module" src="{_attr(f"{base}/{p}")}"></script>' for p in modules]
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        # An empty icon: browsers stop asking for /favicon.ico.
        f'<title>{html.escape(title)}</title>\n<link rel="icon" href="data:,">\n{links}\n'
        f"</head>\n<body>\n{body}\n{tags}\n</body>\n</html>\n"
    )


def map_div(tiles: str | None, element_id: str = "map") -> str:
    """The map element, carrying the base-map settings as data attributes.

    >>> map_div(None)
    '<div id="map" class="map" data-tiles="" data-attribution=""></div>'
    """
    bm = base_map(tiles)
    return (
        f'<div id="{_attr(element_id)}" class="map" data-tiles="{_attr(bm.url or "")}" '
        f'data-attribution="{_attr(bm.attribution)}"></div>'
    )


def signin_bar(heading: str) -> str:
    """The page header: title, token sign-in, who is signed in, status line."""
    return f"""<header class="bar">
  <h1>{html.escape(heading)}</h1>
  <form id="signin" class="signin" autocomplete="off">
    <label for="token">Access token</label>
    <input id="token" name="token" type="password" placeholder="tm_..." required>
    <button type="submit">Sign in</button>
  </form>
  <div id="who" class="who" hidden><span id="who-text"></span>
    {_header_links()}
    <button type="button" id="signout">Sign out</button></div>
  <p id="status" class="status" role="status" aria-live="polite"></p>
</header>"""


def _header_links() -> str:
    # Hidden until the page knows the role (api.js shows those it may open).
    return "\n    ".join(
        f'<a href="{href}" target="_blank" rel="noopener" data-roles="{" ".join(roles)}" hidden>'
        f"{html.escape(label)}</a>"
        for href, label, _, roles in PAGE_LINKS
        if href in ("/maps/coverage", "/dashboards")
    )


def plan_banner() -> str:
    """The line under the header that says which plan is on screen (the editor fills it in)."""
    return '<p id="plan-banner" class="plan-banner live" role="status" hidden></p>'


def render_editor_page(*, tiles: str | None = None, static_base: str = "/static") -> str:
    """The editor page's HTML.

    Parameters
    ----------
    tiles : str or None
        Tile URL template (``{z}/{x}/{y}``) or ``"OpenStreetMap"``; ``None``
        draws no base map, so the page needs nothing from the internet.
    static_base : str
        Where the service serves :data:`maps.assets.STATIC_DIR`.

    Returns
    -------
    str
        A complete HTML document; it contains no territory data.

    Notes
    -----
    Coordinates go to and from the API as GeoJSON, lon/lat in WGS84
    (EPSG:4326); the script converts to Leaflet's lat/lon only for display.

    >>> page = render_editor_page()
    >>> "leaflet-geoman.min.js" in page and 'type="module"' in page
    True
    """
    body = (
        signin_bar("Territory editor")
        + plan_banner()
        + '\n<main class="layout">\n'
        + map_div(tiles)
        + _EDITOR_SIDE
    )
    return page_shell(
        title="Territory editor \u00b7 Territory Mapper",
        body=body + "\n</main>",
        styles=[f"vendor/{GEOMAN}/leaflet-geoman.css", "editor/editor.css"],
        scripts=[
            f"vendor/{GEOMAN}/leaflet-geoman.min.js",
            f"vendor/{JSTS}/jsts.min.js",
            "editor/api.js",
            "editor/shapes.js",
        ],
        modules=("editor/main.js",),
        static_base=static_base,
    )


def _attr(value: str) -> str:
    return html.escape(value, quote=True)


_EDITOR_SIDE = """
<aside class="side" aria-label="Territory details">
  <section id="plan" class="panel plan" aria-labelledby="plan-heading" hidden>
    <h2 id="plan-heading">Live plan and scenarios</h2>
    <label for="plan-picker" class="sr-only">Plan on screen</label>
    <select id="plan-picker"><option value="">Live plan</option></select>
    <form id="plan-new" class="plan-new" autocomplete="off">
      <label for="plan-new-name">New scenario, copied from the live plan</label>
      <div class="rep-add"><input id="plan-new-name" maxlength="200" placeholder="Scenario name">
        <button type="submit">Create</button></div>
    </form>
    <section id="compare" class="compare" aria-labelledby="compare-heading" aria-live="polite" hidden>
      <h3 id="compare-heading">Compared with the live plan</h3>
      <p id="compare-summary"></p>
      <table id="compare-reps">
        <caption class="sr-only">Each rep whose book changes: accounts and load, live plan then scenario</caption>
        <thead><tr><th scope="col">Rep</th><th scope="col">Accounts</th><th scope="col">Load %</th></tr></thead>
        <tbody></tbody>
      </table>
      <p><a id="compare-map" href="#" target="_blank" rel="noopener">Open the compare map</a></p>
    </section>
    <section id="units" class="units" aria-labelledby="units-heading" hidden>
      <h3 id="units-heading">Edit by unit</h3>
      <button type="button" id="units-toggle" aria-pressed="false">Show units</button>
      <div id="units-body" hidden>
        <p id="units-selected" aria-live="polite"></p>
        <div id="units-targets" class="actions"></div>
        <p id="units-balance" aria-live="polite"></p>
        <table id="units-figures">
          <caption class="sr-only">Each territory: its load against its target, the deviation, and whether it is one part</caption>
          <thead><tr><th scope="col">Territory</th><th scope="col"><span id="units-metric">load</span> / target</th>
            <th scope="col">Deviation</th><th scope="col">One part</th></tr></thead>
          <tbody></tbody>
        </table>
      </div>
    </section>
    <div id="plan-actions" class="actions" hidden>
      <button type="button" id="plan-apply" class="primary">Apply to the live plan</button>
      <button type="button" id="plan-rebase">Rebase on the live plan</button>
    </div>
  </section>
  <section id="notice" class="panel notice" role="alert" hidden>
    <h2 id="notice-title"></h2>
    <p id="notice-detail"></p>
    <ul id="notice-list"></ul>
    <div id="notice-extra"></div>
    <div id="notice-actions" class="actions"></div>
  </section>
  <section id="details" class="panel">
    <h2><span id="details-title" tabindex="-1">No territory selected</span>
      <span id="unsaved" class="unsaved" hidden>\u25cf Unsaved changes</span></h2>
    <p id="details-meta" class="hint"></p>
    <p id="readonly-note" class="hint" hidden>Read-only: your token may view territories
      but not change them. Ask a manager to make changes.</p>
    <p id="details-hint" class="hint">Sign in, then pick a territory on the map or in the list,
      or draw a new one with the polygon or rectangle tool at the top left of the map.</p>
    <form id="form" class="form" hidden novalidate>
      <label>Name <input id="f-name" name="name" maxlength="200" required></label>
      <div class="pair">
        <label>Code
          <input id="f-code" name="code" maxlength="100" pattern="[A-Za-z0-9._\\-]+"></label>
        <label>Colour
          <input id="f-color" placeholder="auto, or #1f77b4" pattern="#[0-9a-fA-F]{6}"></label>
      </div>
      <label>Parent <select id="f-parent" name="parent_id"></select></label>
      <fieldset class="reps"><legend>Reps, primary first</legend>
        <ul id="f-reps" class="chips" aria-live="polite"></ul>
        <div class="rep-add">
          <label for="f-rep-search" class="sr-only">Add a rep by name</label>
          <input id="f-rep-search" type="search" list="rep-options" autocomplete="off"
            placeholder="Add a rep: type a name">
          <button type="button" id="f-rep-add">Add</button>
        </div>
        <datalist id="rep-options"></datalist>
      </fieldset>
      <fieldset><legend>Rules (empty means any)</legend>
        <label>Industries <input id="f-industries" placeholder="comma-separated"></label>
        <label>Products <input id="f-products" placeholder="comma-separated"></label>
        <div class="pair">
          <label>Min revenue <input id="f-min" type="number" min="0" step="any"></label>
          <label>Max revenue <input id="f-max" type="number" min="0" step="any"></label>
        </div>
      </fieldset>
      <label id="split-row" hidden>Name of the new piece
        <input id="f-split-name" maxlength="200"></label>
      <section id="pending" class="pending" tabindex="-1" hidden aria-label="What Save writes">
        <strong>Save writes:</strong><ul id="pending-list"></ul></section>
      <div id="more-actions" class="actions secondary">
        <button type="button" id="split">Split with a line</button>
        <button type="button" id="merge">Merge with\u2026</button>
        <button type="button" id="history-button">History</button>
        <button type="button" id="delete" class="danger">Delete</button>
      </div>
      <div id="actions-bar" class="actions action-bar">
        <button type="submit" id="save" class="primary">Save <kbd>Ctrl+S</kbd></button>
        <button type="button" id="cancel">Cancel <kbd>Esc</kbd></button>
      </div>
    </form>
  </section>
  <section id="history" class="panel" hidden>
    <h2>History</h2>
    <ul id="history-list"></ul>
  </section>
  <section class="panel list">
    <h2>Territories <span id="count" class="count"></span></h2>
    <input id="filter" type="search" placeholder="Filter by name or code"
      aria-label="Filter territories">
    <ul id="territory-list"></ul>
  </section>
</aside>"""
