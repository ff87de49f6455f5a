"""HTML dashboards of the territory plan: one page per territory, and an overview.

Pages are self-contained: the stylesheet and the charts (matplotlib SVG) are
inline, the map is the territory map's own page in an ``<iframe srcdoc>``
(its Leaflet comes from the service's ``/static``), and no script or font
is fetched from anywhere. Every string that came from a user is escaped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

from geo.model import Territory
from geo.plan.dashboard import Attention, MonthRevenue
from geo.plan.evaluate import TerritoryFunnel
from geo.plan.goals import GoalResult
from geo.plan.period import Period
from geo.plan.reps import RepScore
from geo.schedule.seasonality import Seasonality
from maps.dashboard.charts import (
    funnel_svg,
    monthly_revenue_svg,
    product_revenue_svg,
    seasonal_index_svg,
)
from maps.dashboard.goals_form import goals_form_html
from maps.dashboard.parts import (
    METRIC_LABELS,
    attention_html,
    card,
    empty,
    goals_html,
    money,
    page,
    pct,
)

_DASH = "\u2013"
__all__ = [
    "METRIC_LABELS",
    "OverviewRow",
    "TerritoryDashboard",
    "render_overview",
    "render_territory_dashboard",
]


@dataclass(frozen=True)
class TerritoryDashboard:
    """Everything one territory's page shows, computed by ``geo.plan.evaluate*``."""

    territory: Territory
    period: Period
    today: date
    funnel: TerritoryFunnel
    goals: Sequence[GoalResult]
    reps: Sequence[RepScore]
    accounts: int
    annual_net_profit: float
    products: Sequence[tuple[str, float]]
    months: Sequence[MonthRevenue]
    attention: Attention
    account_names: Mapping[str, str | None]
    rep_names: Mapping[int, str]
    season: Seasonality | None = None  # None: no whole year of sales to measure it


@dataclass(frozen=True, slots=True)
class OverviewRow:
    """One territory's line in the overview."""

    funnel: TerritoryFunnel
    accounts: int
    reps: int
    goals_met: int
    goals_on_track: int
    goals_behind: int
    goals_no_data: int


def render_territory_dashboard(
    d: TerritoryDashboard, *, map_html: str | None, overview_url: str = "/dashboards"
) -> str:
    """The dashboard page of one territory.

    Parameters
    ----------
    d : TerritoryDashboard
        The figures to show.
    map_html : str or None
        A complete map page (e.g. ``maps.to_html(render_territory_map(...))``)
        shown in an iframe; None leaves the map out.
    overview_url : str
        Where the "all territories" link points.

    Returns
    -------
    str
        A complete HTML document.

    Notes
    -----
    Money is shown as given (the accounts' currency); distances in km.
    """
    title = f"{d.territory.name} \u2014 {d.period.label}"
    year = d.months[0].month.year
    body = "".join(
        (
            _header(d, overview_url),
            "<main>",
            _kpis(d),
            '<div class="grid">',
            card("Map", _map(map_html, d.territory.name), "map"),
            card(
                "Goals",
                goals_html(d.goals) + goals_form_html(d.territory.id, d.period.label, d.goals),
            ),
            card("Funnel (records created in the period)", _funnel(d.funnel)),
            card(
                "Won revenue by product",
                product_revenue_svg(d.products) if d.products else empty(),
            ),
            card(
                f"Won revenue by month: {year} against {year - 1}",
                monthly_revenue_svg(d.months, today=d.today),
                "wide",
            ),
            card("Seasonal index of won revenue", _season(d.season), "wide season"),
            card(
                "Accounts needing attention",
                attention_html(d.attention, d.account_names),
                "wide attention",
            ),
            "</div></main>",
            '<script src="/static/dashboard/goals.js"></script>',
            '<script src="/static/dashboard/tables.js"></script>',
        )
    )
    return page(title, body)


def render_overview(
    rows: Sequence[OverviewRow],
    period: Period,
    today: date,
    *,
    link: Callable[[int], str],
    team: str = "",
) -> str:
    """The overview page: every territory's headline figures, linking to its dashboard.

    ``team`` is more cards (safe HTML, e.g. the team's week) shown below them.
    """
    head = (
        "<tr><th>Rank</th><th>Territory</th><th class=n>Accounts</th><th class=n>Reps</th>"
        "<th class=n>Leads</th><th class=n>Conversion</th><th class=n>Won revenue</th>"
        "<th class=n>Pipeline</th><th>Goals</th></tr>"
    )
    lines = [_overview_line(r, link(r.funnel.territory_id)) for r in rows]
    # A phone scrolls the table, not the page; the region takes keyboard focus to scroll.
    table = (
        '<div class="scroll" role="region" aria-label="Territories" tabindex="0">'
        f"<table>{head}{''.join(lines)}</table></div>"
        if rows
        else empty("No territories yet.")
    )
    header = (
        f"<header><h1>Territory dashboards</h1><p>Period {escape(period.label)} \u00b7 as of "
        f"{today.isoformat()} ({100 * period.elapsed_share(today):.0f}% elapsed)</p></header>"
    )
    return page(
        f"Territory dashboards \u2014 {period.label}",
        f"{header}<main>{card('Territories', table, 'wide')}{team}</main>"
        '<script src="/static/dashboard/tables.js"></script>',
    )


def _overview_line(r: OverviewRow, href: str) -> str:
    f = r.funnel
    cells = [
        str(f.rank or _DASH),
        f'<a href="{escape(href)}">{escape(f.name)}</a>',
        str(r.accounts),
        str(r.reps),
        str(f.leads),
        pct(f.conversion_rate_pct, f.leads),
        money(f.won_revenue),
        money(f.pipeline_value),
        _goal_counts(r),
    ]
    numeric = {2, 3, 4, 5, 6, 7}
    return (
        "<tr>"
        + "".join(f"<td{' class=n' if i in numeric else ''}>{c}</td>" for i, c in enumerate(cells))
        + "</tr>"
    )


def _header(d: TerritoryDashboard, overview_url: str) -> str:
    reps = (
        ", ".join(escape(d.rep_names.get(r, f"rep {r}")) for r in d.territory.rep_ids) or "no rep"
    )
    return (
        f'<header><a href="{escape(overview_url)}">\u2190 All territories</a>'
        f"<h1>{escape(d.territory.name)}</h1><p>Period {escape(d.period.label)} \u00b7 as of "
        f"{d.today.isoformat()} ({100 * d.period.elapsed_share(d.today):.0f}% elapsed) "
        f"\u00b7 reps: {reps}</p></header>"
    )


def _kpis(d: TerritoryDashboard) -> str:
    f = d.funnel
    loads = [
        r.travel.load_pct
        for r in d.reps
        if r.rep_id in d.territory.rep_ids and r.travel.load_pct is not None
    ]
    tiles = [
        ("Won revenue", money(f.won_revenue), f"{f.won} deals won from this period's leads"),
        ("Accounts", str(d.accounts), f"annual net profit {money(d.annual_net_profit)}"),
        ("Leads", str(f.leads), f"{f.opportunities} opportunities"),
        (
            "Conversion",
            pct(f.conversion_rate_pct, f.leads),
            f"{f.new_accounts} new accounts / leads",
        ),
        ("Pipeline value", money(f.pipeline_value), "open opportunities"),
        (
            "Sales cycle",
            "\u2013" if f.sales_cycle_days is None else f"{f.sales_cycle_days:.0f} d",
            "created to won",
        ),
        (
            "Travel load",
            "\u2013" if not loads else f"{max(loads):.0f}%",
            "busiest rep, of capacity",
        ),
    ]
    return (
        '<section class="kpis">'
        + "".join(
            f'<div class="kpi"><span>{escape(label)}</span><b>{escape(value)}</b>'
            f"<small>{escape(hint)}</small></div>"
            for label, value, hint in tiles
        )
        + "</section>"
    )


def _map(map_html: str | None, name: str) -> str:
    if map_html is None:
        return empty("No map.")
    return (
        f'<iframe title="Map of {escape(name)}" srcdoc="{escape(map_html, quote=True)}"></iframe>'
    )


def _season(s: Seasonality | None) -> str:
    if s is None:
        return empty(
            "No whole year of sales yet, so the season cannot be measured: "
            "pace is judged against a flat line."
        )
    names = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    busy = ", ".join(names[m - 1] for m in s.busy_months) or "none"
    slow = ", ".join(names[m - 1] for m in s.slow_months) or "none"
    return (
        seasonal_index_svg(s.index, s.years, s.busy_months, s.slow_months)
        + f'<p class="season-note">Busy months: {busy} · slow months: {slow} · '
        f"from {max(s.years)} whole year{'s' if max(s.years) != 1 else ''} of sales "
        f"(month over the year's monthly mean, averaged across years). Pace is judged "
        f"against this season, not a flat line.</p>"
    )


def _funnel(f: TerritoryFunnel) -> str:
    if not f.has_data:
        return empty()
    return funnel_svg(f.leads, f.opportunities, f.won, f.new_accounts)


def _goal_counts(r: OverviewRow) -> str:
    parts = [
        (r.goals_met, "met"),
        (r.goals_on_track, "on track"),
        (r.goals_behind, "behind"),
        (r.goals_no_data, "no data"),
    ]
    chips = [f'<span class="status {s.replace(" ", "-")}">{n} {s}</span>' for n, s in parts if n]
    return " ".join(chips) or "\u2013"
