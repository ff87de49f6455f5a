"""Pieces of the dashboard pages: page frame, cards, goal bars, attention tables.

Every string from a user goes through :func:`html.escape` here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from geo.plan.dashboard import Attention
from geo.plan.goals import GOAL_METRICS, GoalResult
from maps.dashboard.style import CSS

__all__ = [
    "METRIC_LABELS",
    "attention_html",
    "card",
    "empty",
    "goal_figure",
    "goals_html",
    "money",
    "page",
    "pct",
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


def page(title: str, body: str) -> str:
    """A complete HTML document with the dashboards' stylesheet."""
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>{body}</body></html>"
    )


def card(title: str, inner: str, cls: str = "") -> str:
    """A titled card around ``inner`` (already safe HTML)."""
    return f'<section class="card {cls}"><h2>{escape(title)}</h2>{inner}</section>'


def empty(text: str = "No data for this period.") -> str:
    """A muted line saying there is nothing to show."""
    return f'<p class="empty">{escape(text)}</p>'


def money(value: float | None) -> str:
    """Whole currency units with thousands separators; a dash for None.

    >>> money(91000.4), money(None)
    ('91,000', '\u2013')
    """
    return "\u2013" if value is None else f"{value:,.0f}"


def pct(value: float | None, denominator: int = 1) -> str:
    """A percentage with one decimal; a dash for None or a zero denominator."""
    return "\u2013" if value is None or not denominator else f"{value:.1f}%"


def goals_html(goals: Sequence[GoalResult]) -> str:
    """Goal progress: bars for cumulative metrics, figures and a status chip for all."""
    if not goals:
        return empty("No goals set for this period yet: set them below.")
    return "".join(_goal(g) for g in goals)


_PACED = ("on track", "behind")  # statuses that depend on how much of the period is expected


def _goal(g: GoalResult) -> str:
    label = METRIC_LABELS.get(g.metric, g.metric) + (f": {g.product}" if g.product else "")
    status = g.status.replace(" ", "-")
    actual = "no data" if g.actual is None else goal_figure(g.metric, g.actual)
    width = 0.0 if g.progress_pct is None else max(0.0, min(100.0, g.progress_pct))
    marker = ""
    seasonal = g.pace_basis == "season"
    if g.expected_by_now is not None and g.goal:
        left = max(0.0, min(100.0, 100 * g.expected_by_now / g.goal))
        expected = "expected by now for the season" if seasonal else "expected by now"
        marker = f'<i style="left:{left:.1f}%" title="{expected}"></i>'
    said = g.status + (" for the season" if seasonal and g.status in _PACED else "")
    said = "behind goal for the season" if seasonal and g.status == "behind" else said
    bar = f'<div class="bar {status}"><span style="width:{width:.1f}%"></span>{marker}</div>'
    if not GOAL_METRICS[g.metric].cumulative:
        bar = ""  # a level metric (growth, NPS, CAC) is compared, not filled up
    return (
        f'<div class="goal"><div class="head"><span>{escape(label)}</span><em>{escape(actual)} of '
        f"{escape(goal_figure(g.metric, g.goal))} "
        f'<span class="status {status}">{escape(said)}</span></em></div>'
        f"{bar}</div>"
    )


def goal_figure(metric: str, value: float) -> str:
    """A goal metric's value as people read it (currency, %, ratio or count).

    >>> goal_figure("total_revenue", 12500.0), goal_figure("yoy_growth_pct", 4.25)
    ('12,500', '+4.2%')
    """
    if metric in ("yoy_growth_pct",):
        return f"{value:+.1f}%"
    if metric in ("nps", "reps_at_quota"):
        return f"{value:g}"
    if metric == "clv_cac_ratio":
        return f"{value:.2f}"
    return money(value)


def attention_html(a: Attention, names: Mapping[str, str | None]) -> str:
    """Three short tables: out of reach, unassigned nearby, high value not visited."""
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
            f"{money(u.annual_revenue)} \u00b7 last visit "
            f"{u.last_visit.isoformat() if u.last_visit else 'never'}",
        )
        for u in a.not_visited
    ]
    return (
        '<div class="three">'
        + "".join(
            f"<div><h3>{escape(title)} ({len(rows)})</h3>"
            f"{_table(rows) if rows else empty('None.')}</div>"
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
    head = "<tr><th>Account</th><th>Detail</th></tr>"
    return f"<table>{head}{shown}{more}</table>"
