"""Assemble the dashboards: evaluations from ``geo.plan.evaluate*``, the map, then ``maps.dashboard.pages``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

import maps
from geo.plan.dashboard import accounts_needing_attention, monthly_revenue, revenue_by_product
from geo.plan.evaluate import evaluate_territories, records_by_territory
from geo.plan.goals import evaluate_goals
from geo.schedule.seasonality import Seasonality, seasonal_share, seasonality
from maps.dashboard.pages import (
    OverviewRow,
    TerritoryDashboard,
    render_overview,
    render_territory_dashboard,
)
from maps.dashboard.team_week import RepWeek, team_week_html
from service.settings import Settings
from service.storage.errors import NotFoundError
from service.travel_config import travel_settings
from service.usecases.plan_context import (
    PlanView,
    kept,
    kept_funnels,
    kept_rep_scores,
    rep_scores_of,
)
from service.views.team_week import week_monday


def territory_dashboard_html(
    view: PlanView, territory_id: int, settings: Settings, *, query: str = "", base: str = ""
) -> str:
    """The dashboard page of one leaf territory; 404 when there is no such leaf.

    ``query`` (the request's query string) is kept on the link back to the
    overview of the plan whose path prefix is ``base``.
    """
    data = view.data
    territory = data.territory_by_id.get(territory_id)
    if territory is None:
        raise NotFoundError(
            f"Territory {territory_id} does not exist or has child territories (no dashboard)."
        )
    scores = rep_scores_of(view, settings, territory.rep_ids)
    funnel = next(
        f for f in evaluate_territories(data, view.period) if f.territory_id == territory_id
    )
    records = records_by_territory(data).get(territory_id, [])
    accounts = data.accounts_of_territory(territory_id)
    seasons = measured_seasons(view)
    goals = [
        g
        for g in evaluate_goals(
            data,
            view.period,
            today=view.today,
            rep_scores=scores,
            seasonal_shares=seasonal_shares(view, seasons),
        )
        if g.territory_id == territory_id
    ]
    attention = accounts_needing_attention(
        data, territory, today=view.today, default_max_service_km=settings.default_max_service_km
    )
    dashboard = TerritoryDashboard(
        territory=territory,
        period=view.period,
        today=view.today,
        funnel=funnel,
        goals=goals,
        reps=scores,
        accounts=len(accounts),
        annual_net_profit=sum(
            (a.annual_revenue or 0.0) - (a.cost_to_serve or 0.0) for a in accounts
        ),
        products=revenue_by_product(records, view.period),
        months=monthly_revenue(records, view.period.start.year),
        attention=attention,
        account_names={a.id: a.name for a in data.accounts},
        rep_names={r.id: r.name for r in data.reps},
        season=seasons.get(territory_id),
    )
    overview = f"{base}/dashboards" + (f"?{query}" if query else "")
    return render_territory_dashboard(
        dashboard, map_html=_map_html(view, territory_id, settings), overview_url=overview
    )


def _map_html(view: PlanView, territory_id: int, settings: Settings) -> str:
    snap = view.snapshot
    territory = view.data.territory_by_id[territory_id]
    m = maps.render_territory_map(
        territory,
        snap.accounts,
        snap.assignments,
        snap.reps,
        tiles=settings.map_tiles,
        offline=settings.map_offline_assets,
        framed=False,  # inside the dashboard, which has the title
    )
    return maps.to_html(m)


def overview_html(
    view: PlanView,
    settings: Settings,
    *,
    query: str = "",
    base: str = "",
    team: Sequence[RepWeek] = (),
) -> str:
    """The overview page of every leaf territory; links keep ``query`` (period, today).

    ``base`` is the plan's path prefix (a scenario's pages link to its own).
    ``team`` are the reps' weeks (the week of ``view.today``) the reader may see.
    """
    data = view.data
    results = kept(
        view,
        ("seasonal_goals", view.period, view.today, repr(travel_settings(settings))),
        lambda: evaluate_goals(
            data,
            view.period,
            today=view.today,
            rep_scores=kept_rep_scores(view, settings),
            seasonal_shares=seasonal_shares(view, measured_seasons(view)),
        ),
    )
    statuses: dict[int, Counter[str]] = {}
    for r in results:
        statuses.setdefault(r.territory_id, Counter())[r.status] += 1
    rows = []
    for f in kept_funnels(view):
        counts = statuses.get(f.territory_id, Counter())
        rows.append(
            OverviewRow(
                funnel=f,
                accounts=len(data.accounts_of_territory(f.territory_id)),
                reps=len(data.territory_by_id[f.territory_id].rep_ids),
                goals_met=counts["met"],
                goals_on_track=counts["on track"],
                goals_behind=counts["behind"],
                goals_no_data=counts["no data"],
            )
        )
    suffix = f"?{query}" if query else ""
    return render_overview(
        rows,
        view.period,
        view.today,
        link=lambda tid: f"{base}/dashboards/territories/{tid}{suffix}",
        team=team_week_html(team, week_monday(view.today)),
    )


def measured_seasons(view: PlanView) -> dict[int, Seasonality]:
    """Each leaf territory's seasonal index from its won revenue, where a whole year is known.

    Records count for the territory that owns their account now, up to
    ``view.today`` (`geo.schedule.seasonality`).
    """
    owner = {s.account_id: s.territory_id for s in view.data.assignments}
    found = seasonality(view.data.pipeline, owner, as_of=view.today)
    return {tid: s for tid, s in found.items() if max(s.years) > 0}


def seasonal_shares(view: PlanView, seasons: Mapping[int, Seasonality]) -> dict[int, float]:
    """Per territory with a season, the share of the period it expects done by ``view.today``."""
    p = view.period
    return {tid: seasonal_share(s.index, p.start, p.end, view.today) for tid, s in seasons.items()}
