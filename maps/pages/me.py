"""A rep's own page: their accounts as a sortable list beside a map, and their load.

Like the editor, the page holds no data. Its script
(``static/me/me.js``) signs in with the rep's token and reads
``/reps``, ``/accounts``, ``/territories``, ``/reps/{id}/travel``,
``/reps/{id}/route`` and the rep's stored schedule (``/reps/{id}/schedule``,
drawn by ``static/me/week.js`` as the week's calendar and today's route);
the API decides what the token may see, so a rep's page shows their own
book and nothing else.
"""

from __future__ import annotations

from maps.pages.editor import map_div, page_shell, signin_bar


def render_me_page(*, tiles: str | None = None, static_base: str = "/static") -> str:
    """The "my accounts" page's HTML.

    Parameters
    ----------
    tiles : str or None
        Tile URL template or ``"OpenStreetMap"``; ``None`` draws no base map.
    static_base : str
        Where the service serves :data:`maps.assets.STATIC_DIR`.

    Returns
    -------
    str
        A complete HTML document; it contains no account data.

    Notes
    -----
    Distances shown are the API's ``distance_km`` (geodesic on WGS84, km)
    from the rep's home to each account; travel figures are hours per month.

    >>> "me/me.js" in render_me_page()
    True
    """
    body = (
        signin_bar("My accounts")
        + '\n<main class="layout me">\n'
        + _SIDE
        + "\n"
        + map_div(tiles)
        + "\n</main>"
    )
    return page_shell(
        title="My accounts \u00b7 Territory Mapper",
        body=body,
        styles=["editor/editor.css", "me/me.css"],
        scripts=["editor/api.js", "me/week.js", "me/me.js"],
        static_base=static_base,
    )


_COLUMNS = (
    ("name", "Account", "text"),
    ("distance_km", "Distance km", "num"),
    ("annual_revenue", "Revenue", "num"),
    ("visits_per_month", "Visits / month", "num"),
    ("flags", "Flags", "text"),
)


def _header() -> str:
    cells = "".join(
        f'<th scope="col" class="{kind}" aria-sort="none">'
        f'<button type="button" data-key="{key}">{label}</button></th>'
        for key, label, kind in _COLUMNS
    )
    return f"<thead><tr>{cells}</tr></thead>"


_SIDE = f"""<aside class="side" aria-label="My accounts and load">
  <section id="notice" class="panel notice error" role="alert" hidden>
    <h2 id="notice-title"></h2><p id="notice-detail"></p>
  </section>
  <section class="panel rep">
    <h2 id="rep-name">Sign in to see your accounts</h2>
    <label id="rep-pick" hidden>Rep <select id="rep-select"></select></label>
    <button type="button" id="map-toggle" class="map-toggle" aria-controls="map"
      aria-expanded="true">Hide map</button>
  </section>
  <section id="week" class="panel week" aria-labelledby="week-title" hidden>
    <h2 id="week-title">My week</h2>
    <div class="week-nav">
      <button type="button" id="week-prev" aria-label="Previous week">&#8249;</button>
      <span id="week-range" class="week-range"></span>
      <button type="button" id="week-next" aria-label="Next week">&#8250;</button>
      <button type="button" id="plan-schedule" class="primary">Plan 4 weeks</button>
    </div>
    <p id="week-empty" class="hint" hidden></p>
    <p id="week-summary" class="hint"></p>
    <ol id="week-days" class="week-days"></ol>
  </section>
  <section id="today" class="panel today" aria-labelledby="today-title" hidden>
    <h2 id="today-title">Today's route</h2>
    <p id="today-summary" class="hint"></p>
    <ol id="today-stops" class="today-stops"></ol>
  </section>
  <section id="load" class="panel load" hidden>
    <h2>Travel load <span id="load-status" class="badge"></span></h2>
    <dl id="load-figures" class="figures"></dl>
    <p id="load-reason" class="hint"></p>
    <details class="method"><summary>How this is estimated</summary>
      <p id="load-note" class="hint"></p></details>
    <div id="route-row" class="route-row" hidden>
      <label>Planned day <select id="day"></select></label>
      <span id="day-summary" class="hint"></span>
    </div>
    <p id="day-warning" class="warn trip-warning" hidden></p>
  </section>
  <section class="panel accounts">
    <h2>Accounts <span id="count" class="count"></span></h2>
    <input id="filter" type="search" placeholder="Filter by name, city or flag"
      aria-label="Filter accounts">
    <table id="accounts" class="accounts">{_header()}<tbody></tbody></table>
  </section>
</aside>"""
