"""The form that sets a territory's goals from its dashboard.

It sends ``PUT /territories/{id}/goals`` (through ``static/dashboard/goals.js``)
with every goal of the period: the ones typed here, and the stored ones the
form does not show (a CLV goal set through the API survives a save from the
page). A goal left empty is removed. The bearer token comes from the tab's
sign-in (the editor's), or is typed once into the form: the read-only
browser session never writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from geo.plan.goals import GoalResult
from maps.markup import script_json

#: Goals the form offers, in order, with the unit people type them in.
FORM_METRICS: tuple[tuple[str, str, str], ...] = (
    ("total_revenue", "Total revenue", "USD"),
    ("new_customer_revenue", "New-customer revenue", "USD"),
    ("existing_customer_revenue", "Existing-customer revenue", "USD"),
    ("net_profit", "Net profit", "USD"),
    ("yoy_growth_pct", "Growth year on year", "%"),
    ("nps", "NPS", "score"),
)
_PRODUCT_ROWS = 3  # empty product rows beside the stored ones


def goals_form_html(territory_id: int, period: str, goals: Sequence[GoalResult]) -> str:
    """The form, pre-filled with the period's goals.

    >>> html = goals_form_html(7, "2026", [])
    >>> 'data-territory="7"' in html and 'name="total_revenue"' in html
    True
    """
    stored = {(g.metric, g.product): g for g in goals}
    rows = [
        _metric_row(key, label, unit, stored.get((key, None))) for key, label, unit in FORM_METRICS
    ]
    products = [g for g in goals if g.metric == "product_revenue"]
    product_rows = [_product_row(i, g) for i, g in enumerate(products)]
    product_rows += [_product_row(len(products) + i, None) for i in range(_PRODUCT_ROWS)]
    shown = {key for key, _, _ in FORM_METRICS} | {"product_revenue"}
    kept = [_as_body(g) for g in goals if g.metric not in shown]
    return (
        f'<details class="goal-form"{" open" if not goals else ""}>'
        f"<summary>Set goals for {escape(period)}</summary>"
        f'<form id="goals-form" data-territory="{territory_id}" data-period="{escape(period)}" '
        f"data-kept='{escape(script_json(kept), quote=True)}' novalidate>"
        f"<fieldset><legend>Targets</legend>{''.join(rows)}</fieldset>"
        f"<fieldset><legend>Revenue by product (USD)</legend>{''.join(product_rows)}</fieldset>"
        '<p class="token-row" hidden><label for="goals-token">Manager access token</label>'
        '<input id="goals-token" type="password" autocomplete="off" placeholder="tm_..."></p>'
        '<p class="actions"><button type="submit">Save goals</button> '
        '<span id="goals-status" role="status" aria-live="polite"></span></p>'
        "<p class=hint>Leave a field empty to remove that goal.</p>"
        "</form></details>"
    )


def _metric_row(key: str, label: str, unit: str, goal: GoalResult | None) -> str:
    value = "" if goal is None else f"{goal.goal:g}"
    field = f"goal-{key}"
    return (
        f'<p class="goal-row"><label for="{field}">{escape(label)} ({escape(unit)})</label>'
        f'<input id="{field}" name="{key}" inputmode="decimal" value="{value}"></p>'
    )


def _product_row(index: int, goal: GoalResult | None) -> str:
    product = "" if goal is None else escape(goal.product or "", quote=True)
    value = "" if goal is None else f"{goal.goal:g}"
    return (
        f'<p class="goal-row product"><label for="product-{index}">Product {index + 1}</label>'
        f'<input id="product-{index}" name="product" value="{product}" '
        'placeholder="Product name">'
        f'<label class="sr" for="product-value-{index}">Product {index + 1} revenue (USD)</label>'
        f'<input id="product-value-{index}" name="product_value" inputmode="decimal" '
        f'value="{value}" placeholder="USD"></p>'
    )


def _as_body(g: GoalResult) -> dict[str, object]:
    body: dict[str, object] = {"metric": g.metric, "value": g.goal}
    if g.product is not None:
        body["product"] = g.product
    if g.actual_source == "provided" and g.actual is not None:
        body["actual"] = g.actual
    return body
