"""The planning review: who stands out, who is overloaded, which big accounts sit with juniors.

Outliers are z-scores against all peers with data (population standard
deviation); a peer beyond ``z_threshold`` (1.5 by default) stands out.
Fewer than ``min_peers`` peers, or peers that are all equal, give no
outliers: there is no "rest" to stand out from.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence

from geo.model import Account, Assignment, Rep
from geo.plan.evaluate import TerritoryFunnel
from geo.plan.model import PlanData
from geo.plan.reps import RepScore
from geo.plan.review_types import (
    LargeAccount,
    Outlier,
    Review,
    ReviewSettings,
    SuccessGap,
    TerritoryMetrics,
    Verdict,
)

__all__ = [
    "LargeAccount",
    "Outlier",
    "Review",
    "ReviewSettings",
    "SuccessGap",
    "TerritoryMetrics",
    "Verdict",
    "large_account_with_junior",
    "review",
    "zscores",
]


def zscores(
    values: Mapping[int, float], *, min_peers: int = 3
) -> dict[int, tuple[float, float, float]]:
    """``(z, mean, std)`` per key, or ``{}`` with fewer than ``min_peers`` values or no spread.

    >>> {k: round(v[0], 2) for k, v in zscores({1: 10.0, 2: 10.0, 3: 10.0, 4: 30.0}).items()}
    {1: -0.58, 2: -0.58, 3: -0.58, 4: 1.73}
    """
    if len(values) < max(min_peers, 2):
        return {}
    mean = statistics.fmean(values.values())
    std = statistics.pstdev(values.values(), mu=mean)
    if std == 0:
        return {}
    return {k: ((v - mean) / std, mean, std) for k, v in values.items()}


def review(
    data: PlanData,
    funnels: Sequence[TerritoryFunnel],
    scores: Sequence[RepScore],
    settings: ReviewSettings | None = None,
    large_accounts: Sequence[LargeAccount] | None = None,
) -> Review:
    """Answer the evaluation questions of the planning cycle.

    Parameters
    ----------
    data : PlanData
        Territories (with ``rep_ids``), reps, accounts with assignments.
    funnels : sequence of TerritoryFunnel
        The territories' evaluation for the period (:func:`geo.plan.evaluate.evaluate_territories`).
    scores : sequence of RepScore
        The reps' evaluation for the period (:func:`geo.plan.reps.evaluate_reps`).
    settings : ReviewSettings, optional
        Thresholds.
    large_accounts : sequence of LargeAccount, optional
        The large accounts held by juniors under ``settings``, when the caller
        keeps them (:func:`large_account_with_junior` of every account, by
        revenue descending, then id); else found here.

    Returns
    -------
    Review
        Territory outliers on conversion, revenue per rep and load; the spread
        of win rates; reps struggling or excelling; territories under- or
        over-served; large accounts held by junior reps.

    Notes
    -----
    A territory's load is the total monthly hours of its reps over their
    total capacity (:mod:`geo.travel.load`), so a rep shared by two territories
    weighs in both.
    """
    s = settings or ReviewSettings()
    metrics = _territory_metrics(data, funnels, scores)
    rates = {m.territory_id: m.win_rate_pct for m in metrics if m.win_rate_pct is not None}
    return Review(
        territories=metrics,
        territory_outliers=_territory_outliers(metrics, s),
        success_rates=rates,
        success_gap=_success_gap(rates, s),
        reps=_rep_verdicts(scores, s),
        rep_outliers=_rep_outliers(scores, s),
        service=_service(metrics, s),
        large_accounts_with_juniors=list(large_accounts)
        if large_accounts is not None
        else _large_with_juniors(data, s),
    )


def _territory_metrics(
    data: PlanData, funnels: Sequence[TerritoryFunnel], scores: Sequence[RepScore]
) -> list[TerritoryMetrics]:
    by_rep = {r.rep_id: r for r in scores}
    out = []
    for f in funnels:
        territory = data.territory_by_id[f.territory_id]
        reps = [by_rep[r] for r in dict.fromkeys(territory.rep_ids) if r in by_rep]
        loads = [r.travel for r in reps if r.travel.total_hours is not None]
        capacity = sum(t.capacity_hours for t in loads)
        accounts = len(data.accounts_of_territory(f.territory_id))
        out.append(
            TerritoryMetrics(
                territory_id=f.territory_id,
                name=f.name,
                conversion_rate_pct=f.conversion_rate_pct if f.leads else None,
                win_rate_pct=f.win_rate_pct if f.opportunities else None,
                revenue_per_rep=f.won_revenue / len(reps) if reps else None,
                load_pct=100.0 * sum(t.total_hours or 0.0 for t in loads) / capacity
                if capacity > 0
                else None,
                accounts=accounts,
                reps=len(reps),
                accounts_per_rep=accounts / len(reps) if reps else None,
            )
        )
    return out


_ASSESS = {"load_pct": ("heavier", "lighter")}


def _outliers(
    rows: Mapping[int, tuple[str, Mapping[str, float | None]]], metric: str, s: ReviewSettings
) -> list[Outlier]:
    values: dict[int, float] = {}
    for key, (_, figures) in rows.items():
        if (value := figures[metric]) is not None:
            values[key] = value
    up, down = _ASSESS.get(metric, ("better", "worse"))
    return [
        Outlier(
            key,
            rows[key][0],
            metric,
            values[key],
            mean,
            std,
            z,
            "above" if z > 0 else "below",
            up if z > 0 else down,
        )  # fmt: skip
        for key, (z, mean, std) in zscores(values, min_peers=s.min_peers).items()
        if abs(z) > s.z_threshold
    ]


def _territory_outliers(metrics: Sequence[TerritoryMetrics], s: ReviewSettings) -> list[Outlier]:
    rows = {
        m.territory_id: (
            m.name,
            {
                "conversion_rate_pct": m.conversion_rate_pct,
                "revenue_per_rep": m.revenue_per_rep,
                "load_pct": m.load_pct,
            },
        )
        for m in metrics
    }
    return [
        o
        for metric in ("conversion_rate_pct", "revenue_per_rep", "load_pct")
        for o in _outliers(rows, metric, s)
    ]


def _success_gap(rates: Mapping[int, float], s: ReviewSettings) -> SuccessGap | None:
    if len(rates) < 2:
        return None
    best = max(rates, key=lambda k: (rates[k], -k))
    worst = min(rates, key=lambda k: (rates[k], k))
    gap = rates[best] - rates[worst]
    return (
        SuccessGap(best, rates[best], worst, rates[worst], gap)
        if gap >= s.success_gap_pct
        else None
    )


_REP_METRICS = ("quota_pace_pct", "lead_to_opportunity_pct", "opportunity_to_deal_pct")


def _rep_rows(scores: Sequence[RepScore]) -> dict[int, tuple[str, dict[str, float | None]]]:
    return {
        r.rep_id: (
            r.name,
            {
                "quota_pace_pct": r.quota_pace_pct,
                "lead_to_opportunity_pct": r.lead_to_opportunity_pct if r.leads else None,
                "opportunity_to_deal_pct": r.opportunity_to_deal_pct if r.opportunities else None,
            },
        )
        for r in scores
    }


def _rep_outliers(scores: Sequence[RepScore], s: ReviewSettings) -> list[Outlier]:
    rows = _rep_rows(scores)
    return [o for metric in _REP_METRICS for o in _outliers(rows, metric, s)]


def _rep_verdicts(scores: Sequence[RepScore], s: ReviewSettings) -> list[Verdict]:
    up: dict[int, list[str]] = {}
    down: dict[int, list[str]] = {}
    for r in scores:
        if r.quota_pace_pct is not None and r.quota_pace_pct < s.struggling_pace_pct:
            down.setdefault(r.rep_id, []).append(
                f"quota pace {r.quota_pace_pct:.0f}% < {s.struggling_pace_pct:g}%"
            )
        if r.quota_pace_pct is not None and r.quota_pace_pct >= s.excelling_pace_pct:
            up.setdefault(r.rep_id, []).append(
                f"quota pace {r.quota_pace_pct:.0f}% >= {s.excelling_pace_pct:g}%"
            )
    for o in _rep_outliers(scores, s):
        side = up if o.direction == "above" else down
        side.setdefault(o.subject_id, []).append(
            f"{o.metric} {o.value:.1f} is {abs(o.z):.1f} sd {o.direction} the mean"
        )
    names = {r.rep_id: r.name for r in scores}
    return [
        _verdict(k, names[k], up.get(k, []), down.get(k, []), ("excelling", "struggling"))
        for k in sorted(set(up) | set(down))
    ]


def _verdict(
    key: int, name: str, up: list[str], down: list[str], words: tuple[str, str]
) -> Verdict:
    word = "mixed" if up and down else (words[0] if up else words[1])
    return Verdict(key, name, word, tuple(up + down))


def _service(metrics: Sequence[TerritoryMetrics], s: ReviewSettings) -> list[Verdict]:
    under: dict[int, list[str]] = {}
    over: dict[int, list[str]] = {}
    for m in metrics:
        if m.reps == 0 and m.accounts > 0:
            under.setdefault(m.territory_id, []).append(f"{m.accounts} accounts and no rep")
        elif m.load_pct is not None and m.load_pct > s.over_pct:
            under.setdefault(m.territory_id, []).append(
                f"reps' load {m.load_pct:.0f}% > {s.over_pct:g}%"
            )
        elif m.load_pct is not None and m.load_pct < s.under_pct:
            over.setdefault(m.territory_id, []).append(
                f"reps' load {m.load_pct:.0f}% < {s.under_pct:g}%"
            )
    rows = {m.territory_id: (m.name, {"accounts_per_rep": m.accounts_per_rep}) for m in metrics}
    for o in _outliers(rows, "accounts_per_rep", s):
        side = under if o.direction == "above" else over
        side.setdefault(o.subject_id, []).append(
            f"{o.value:.1f} accounts per rep is {abs(o.z):.1f} sd {o.direction} the mean"
        )
    names = {m.territory_id: m.name for m in metrics}
    return [
        _verdict(k, names[k], under.get(k, []), over.get(k, []), ("under-served", "over-served"))
        for k in sorted(set(under) | set(over))
    ]


def large_order(a: LargeAccount | Account) -> tuple[float, str]:
    """The order of the large accounts: revenue descending, then id."""
    if isinstance(a, LargeAccount):
        return (-a.annual_revenue, a.account_id)
    return (-(a.annual_revenue or 0.0), a.id)


def _large_with_juniors(data: PlanData, s: ReviewSettings) -> list[LargeAccount]:
    out = []
    for a in sorted(data.accounts, key=large_order):
        found = large_account_with_junior(
            a, data.assignment_by_account.get(a.id), data.rep_by_id, s
        )
        if found is not None:
            out.append(found)
    return out


def large_account_with_junior(
    a: Account, assigned: Assignment | None, reps: Mapping[int, Rep], s: ReviewSettings
) -> LargeAccount | None:
    """``a`` as a large account held by a junior rep, or None when it is not one."""
    owner = assigned.rep_id if assigned is not None else None
    rep = reps.get(owner) if owner is not None else None
    if (
        a.annual_revenue is not None
        and a.annual_revenue >= s.large_account_revenue
        and rep is not None
        and (rep.experience or "").casefold() == "junior"
    ):
        territory = assigned.territory_id if assigned is not None else None
        return LargeAccount(a.id, a.name, a.annual_revenue, rep.id, rep.name, territory)
    return None
