"""One-page PDF reports of a territory and of a rep, from the plan's evaluations."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import maps
from geo.model import Account, Rep, Territory
from geo.plan.evaluate import evaluate_territories
from geo.plan.goals import GoalResult, evaluate_goals
from geo.plan.reps import RepScore
from maps.dashboard.parts import METRIC_LABELS, goal_figure, money, pct
from maps.report_pdf import OnePager, Table, render_report_pdf
from service.settings import Settings
from service.storage.errors import NotFoundError
from service.usecases.plan_context import PlanView, rep_scores_of
from service.views.map_pages import with_reach

_TOP_ACCOUNTS = 8
_MAP_PX = (1200, 440)


def territory_report_pdf(view: PlanView, territory_id: int, settings: Settings) -> bytes:
    """The one-pager of a leaf territory; 404 when there is no such leaf."""
    data = view.data
    territory = data.territory_by_id.get(territory_id)
    if territory is None:
        raise NotFoundError(
            f"Territory {territory_id} does not exist or has child territories (no report)."
        )
    accounts = data.accounts_of_territory(territory_id)
    reps = [data.rep_by_id[r] for r in territory.rep_ids if r in data.rep_by_id]
    funnel = next(
        f for f in evaluate_territories(data, view.period) if f.territory_id == territory_id
    )
    goals = [g for g in _goals(view, settings, territory.rep_ids) if g.territory_id == territory_id]
    kpis = [
        *_book_kpis(accounts),
        ("Reps", ", ".join(r.name for r in reps) or "none"),
        ("Leads", f"{funnel.leads:,}"),
        ("Opportunities", f"{funnel.opportunities:,}"),
        ("Won deals", f"{funnel.won:,}"),
        ("Won revenue", money(funnel.won_revenue)),
        ("Conversion rate", pct(funnel.conversion_rate_pct, funnel.leads)),
    ]
    report = OnePager(
        title=territory.name + (f" ({territory.code})" if territory.code else ""),
        subtitle=f"Territory report · period {view.period.label} · as of {view.today.isoformat()}",
        kpis=kpis,
        tables=(_goals_table(goals), _accounts_table(accounts, data.rep_by_id)),
        footer=_footer(),
    )
    picture = _map_png(
        view, [territory], accounts, with_reach(reps, settings.default_max_service_km)
    )
    return render_report_pdf(report, picture)


def rep_report_pdf(view: PlanView, rep_id: int, settings: Settings) -> bytes:
    """The one-pager of a rep: their book, load, goals of their territories."""
    data = view.data
    rep = data.rep_by_id.get(rep_id)
    if rep is None:
        raise NotFoundError(f"Rep {rep_id} does not exist.")
    accounts = data.accounts_of_rep(rep_id)
    territories = [t for t in data.territories if rep_id in t.rep_ids]
    score = next(s for s in rep_scores_of(view, settings, (rep_id,)) if s.rep_id == rep_id)
    own = {t.id for t in territories}
    goals = [g for g in _goals(view, settings, (rep_id,)) if g.territory_id in own]
    report = OnePager(
        title=rep.name,
        subtitle=f"Rep report · period {view.period.label} · as of {view.today.isoformat()}",
        kpis=[*_book_kpis(accounts), *_rep_kpis(score, territories)],
        tables=(_goals_table(goals), _accounts_table(accounts, data.rep_by_id)),
        footer=_footer(),
    )
    reach = with_reach([rep], settings.default_max_service_km)
    return render_report_pdf(report, _map_png(view, territories, accounts, reach))


def _book_kpis(accounts: Sequence[Account]) -> list[tuple[str, str]]:
    revenue = sum(a.annual_revenue or 0.0 for a in accounts)
    cost = sum(a.cost_to_serve or 0.0 for a in accounts)
    return [
        ("Accounts", f"{len(accounts):,}"),
        ("Annual revenue", money(revenue)),
        ("Net profit", money(revenue - cost)),
    ]


def _rep_kpis(score: RepScore, territories: Sequence[Territory]) -> list[tuple[str, str]]:
    load = score.travel
    hours = "–" if load.total_hours is None else f"{load.total_hours:,.1f} h/month"
    km = "–" if load.km_per_month is None else f"{load.km_per_month:,.0f} km/month"
    return [
        ("Territories", ", ".join(t.name for t in territories) or "none"),
        ("Workload", hours),
        ("Capacity", f"{load.capacity_hours:,.1f} h/month"),
        ("Load", "–" if load.load_pct is None else f"{load.load_pct:.1f}% ({load.status})"),
        ("Driving", km),
        ("Won revenue", money(score.won_revenue)),
        ("Quota attainment", pct(score.quota_attainment_pct)),
    ]


def _goals_table(goals: Iterable[GoalResult]) -> Table:
    rows = [
        (
            METRIC_LABELS.get(g.metric, g.metric) + (f": {g.product}" if g.product else ""),
            goal_figure(g.metric, g.goal),
            "no data" if g.actual is None else goal_figure(g.metric, g.actual),
            pct(g.progress_pct),
            g.status,
        )
        for g in goals
    ]
    header = ("Goal", "Target", "Actual", "Progress", "Status")
    return Table("Goals", header, rows, empty="No goals set for this period.")


def _accounts_table(accounts: Sequence[Account], reps: dict[int, Rep]) -> Table:
    top = sorted(accounts, key=lambda a: (-(a.annual_revenue or 0.0), a.id))[:_TOP_ACCOUNTS]
    rows = [
        (
            a.name or a.id,
            a.city or "–",
            money(a.annual_revenue),
            money((a.annual_revenue or 0.0) - (a.cost_to_serve or 0.0)),
        )
        for a in top
    ]
    header = ("Account", "City", "Annual revenue", "Net profit")
    return Table(f"Top {len(rows)} accounts by revenue", header, rows, empty="No accounts.")


def _map_png(
    view: PlanView,
    territories: Sequence[Territory],
    accounts: Sequence[Account],
    reps: Sequence[Rep],
) -> bytes | None:
    if not territories and not accounts:
        return None
    ids = {a.id for a in accounts}
    assignments = [s for s in view.data.assignments if s.account_id in ids]
    width, height = _MAP_PX
    return maps.render_coverage_png(
        territories, accounts, assignments, reps=reps, width_px=width, height_px=height
    )


def _goals(view: PlanView, settings: Settings, rep_ids: Sequence[int]) -> list[GoalResult]:
    scores = rep_scores_of(view, settings, rep_ids)
    return evaluate_goals(view.data, view.period, today=view.today, rep_scores=scores)


def _footer() -> str:
    return (
        "Net profit is annual revenue minus cost to serve. Workload counts on-site time and "
        "driving from the rep's home (geodesic km × road circuity). Made by Territory Mapper."
    )
