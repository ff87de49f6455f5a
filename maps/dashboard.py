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
from geo.plan import TerritoryFunnel
from geo.plan_dashboard import Attention, MonthRevenue
from geo.plan_goals import GOAL_METRICS, GoalResult
from geo.plan_period import Period
from geo.plan_reps import RepScore
from maps.dashboard_charts import funnel_svg, monthly_revenue_svg, product_revenue_svg
from maps.dashboard_style import CSS

_DASH = "\u2013"
__all__ = [
    "METRIC_LABELS",
    "OverviewRow",
    "TerritoryDashboard",
    "render_overview",
    "render_territory_dashboard",
]

METRIC_LABELS: dict[str, str] = {
    "total_revenue": "Total revenue",
    "product_revenue": "Revenue",
    "new_customer_revenue": "New-customer revenue",
    "existing_customer_revenue": "Existing-customer revenue",
    "net_profit": "Net profit",
    "yoy_growth_pct": "Growth year on year (%)",
    "clv": "Customer lifetime value",
    "cac": "Acquisition cost (CAC)",
    "clv_cac_ratio": "CLV / CAC",
    "nps": "NPS",
    "reps_at_quota": "Reps at quota",
}


@dataclass(frozen=True)
class TerritoryDashboard:
    """Everything one territory's page shows, computed by ``geo.plan*``."""

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
            _card("Map", _map(map_html, d.territory.name), "map"),
            _card("Goals", _goals(d.goals)),
            _card("Funnel (records created in the period)", _funnel(d.funnel)),
            _card(
                "Won revenue by product",
                product_revenue_svg(d.products) if d.products else _empty(),
            ),
            _card(
                f"Won revenue by month: {year} against {year - 1}",
                monthly_revenue_svg(d.months, today=d.today),
                "wide",
            ),
            _card("Accounts needing attention", _attention(d), "wide attention"),
            "</div></main>",
        )
    )
    return _page(title, body)


def render_overview(
    rows: Sequence[OverviewRow], period: Period, today: date, *, link: Callable[[int], str]
) -> str:
    """The overview page: every territory's headline figures, linking to its dashboard."""
    head = (
        "<tr><th>Rank</th><th>Territory</th><th class=n>Accounts</th><th class=n>Reps</th>"
        "<th class=n>Leads</th><th class=n>Conversion</th><th class=n>Won revenue</th>"
        "<th class=n>Pipeline</th><th>Goals</th></tr>"
    )
    lines = [_overview_line(r, link(r.funnel.territory_id)) for r in rows]
    table = f"<table>{head}{''.join(lines)}</table>" if rows else _empty("No territories yet.")
    header = (
        f"<header><h1>Territory dashboards</h1><p>Period {escape(period.label)} \u00b7 as of "
        f"{today.isoformat()} ({100 * period.elapsed_share(today):.0f}% elapsed)</p></header>"
    )
    return _page(
        f"Territory dashboards \u2014 {period.label}",
        f"{header}<main>{_card('Territories', table, 'wide')}</main>",
    )


def _overview_line(r: OverviewRow, href: str) -> str:
    f = r.funnel
    cells = [
        str(f.rank or _DASH),
        f'<a href="{escape(href)}">{escape(f.name)}</a>',
        str(r.accounts),
        str(r.reps),
        str(f.leads),
        _pct(f.conversion_rate_pct, f.leads),
        _money(f.won_revenue),
        _money(f.pipeline_value),
        _goal_counts(r),
    ]
    numeric = {2, 3, 4, 5, 6, 7}
    return (
        "<tr>"
        + "".join(f"<td{' class=n' if i in numeric else ''}>{c}</td>" for i, c in enumerate(cells))
        + "</tr>"
    )


def _page(title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>{body}</body></html>"
    )


def _card(title: str, inner: str, cls: str = "") -> str:
    return f'<section class="card {cls}"><h2>{escape(title)}</h2>{inner}</section>'


def _empty(text: str = "No data for this period.") -> str:
    return f'<p class="empty">{escape(text)}</p>'


def _money(value: float | None) -> str:
    return "\u2013" if value is None else f"{value:,.0f}"


def _pct(value: float | None, denominator: int = 1) -> str:
    return "\u2013" if value is None or not denominator else f"{value:.1f}%"


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
        ("Won revenue", _money(f.won_revenue), f"{f.won} deals won from this period's leads"),
        ("Accounts", str(d.accounts), f"annual net profit {_money(d.annual_net_profit)}"),
        ("Leads", str(f.leads), f"{f.opportunities} opportunities"),
        (
            "Conversion",
            _pct(f.conversion_rate_pct, f.leads),
            f"{f.new_accounts} new accounts / leads",
        ),
        ("Pipeline value", _money(f.pipeline_value), "open opportunities"),
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
        return _empty("No map.")
    return (
        f'<iframe title="Map of {escape(name)}" srcdoc="{escape(map_html, quote=True)}"></iframe>'
    )


def _goals(goals: Sequence[GoalResult]) -> str:
    if not goals:
        return _empty("No goals set for this period (PUT /territories/{id}/goals).")
    return "".join(_goal(g) for g in goals)


def _goal(g: GoalResult) -> str:
    label = METRIC_LABELS.get(g.metric, g.metric) + (f": {g.product}" if g.product else "")
    status = g.status.replace(" ", "-")
    actual = "no data" if g.actual is None else _figure(g.metric, g.actual)
    width = 0.0 if g.progress_pct is None else max(0.0, min(100.0, g.progress_pct))
    marker = ""
    if g.expected_by_now is not None and g.goal:
        left = max(0.0, min(100.0, 100 * g.expected_by_now / g.goal))
        marker = f'<i style="left:{left:.1f}%" title="expected by now"></i>'
    bar = f'<div class="bar {status}"><span style="width:{width:.1f}%"></span>{marker}</div>'
    if not GOAL_METRICS[g.metric].cumulative:
        bar = ""  # a level metric (growth, NPS, CAC) is compared, not filled up
    return (
        f'<div class="goal"><div class="head"><span>{escape(label)}</span><em>{escape(actual)} of '
        f"{escape(_figure(g.metric, g.goal))} "
        f'<span class="status {status}">{escape(g.status)}</span></em></div>'
        f"{bar}</div>"
    )


def _figure(metric: str, value: float) -> str:
    if metric in ("yoy_growth_pct",):
        return f"{value:+.1f}%"
    if metric in ("nps", "reps_at_quota"):
        return f"{value:g}"
    if metric == "clv_cac_ratio":
        return f"{value:.2f}"
    return _money(value)


def _funnel(f: TerritoryFunnel) -> str:
    if not f.has_data:
        return _empty()
    return funnel_svg(f.leads, f.opportunities, f.won, f.new_accounts)


def _attention(d: TerritoryDashboard) -> str:
    a, names = d.attention, d.account_names
    far = [
        (
            names.get(t.account_id) or t.account_id,
            f"{t.distance_km:.0f} km (reach {t.limit_km:.0f} km)",
        )
        for t in a.out_of_reach
    ]
    near = [
        (n.name or n.account_id, f"{n.distance_km:.1f} km \u00b7 {n.reason}")
        for n in a.unassigned_nearby
    ]
    cold = [
        (
            u.name or u.account_id,
            f"{_money(u.annual_revenue)} \u00b7 last visit "
            f"{u.last_visit.isoformat() if u.last_visit else 'never'}",
        )
        for u in a.not_visited
    ]
    return (
        '<div class="three">'
        + "".join(
            f"<div><h3>{escape(title)} ({len(rows)})</h3>"
            f"{_table(rows) if rows else _empty('None.')}</div>"
            for title, rows in (
                ("Out of the rep's reach", far),
                ("Unassigned nearby", near),
                ("High value, not visited lately", cold),
            )
        )
        + "</div>"
    )


def _table(rows: Sequence[tuple[str, str]], limit: int = 15) -> str:
    shown = "".join(f"<tr><td>{escape(a)}</td><td>{escape(b)}</td></tr>" for a, b in rows[:limit])
    more = (
        f"<tr><td colspan=2>\u2026 and {len(rows) - limit} more</td></tr>"
        if len(rows) > limit
        else ""
    )
    return f"<table>{shown}{more}</table>"


def _goal_counts(r: OverviewRow) -> str:
    parts = [
        (r.goals_met, "met"),
        (r.goals_on_track, "on track"),
        (r.goals_behind, "behind"),
        (r.goals_no_data, "no data"),
    ]
    chips = [f'<span class="status {s.replace(" ", "-")}">{n} {s}</span>' for n, s in parts if n]
    return " ".join(chips) or "\u2013"
