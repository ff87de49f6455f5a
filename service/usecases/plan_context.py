"""What the plan's routes share: reading the plan's data, periods, settings.

One read transaction loads territories, reps, accounts with assignments,
pipeline records, activities and goals; the evaluations in ``geo.plan.evaluate*`` run
on that snapshot after the transaction is closed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, TypeVar

from fastapi import Query
from pydantic import BeforeValidator

from geo.plan.evaluate import TerritoryFunnel, evaluate_territories
from geo.plan.model import PlanData
from geo.plan.period import Period, check_today, parse_period
from geo.plan.reps import RepScore, evaluate_reps
from geo.plan.review import ReviewSettings
from service.settings import Settings
from service.storage import Store
from service.travel_config import travel_settings
from service.usecases.snapshot import Part, Snapshot, load_snapshot
from service.usecases.snapshot_groups import kept_groups, kept_travel_loads

T = TypeVar("T")

PeriodQuery = Annotated[
    str | None,
    Query(
        max_length=10,
        pattern=r"^\d{4}(-Q[1-4]|-(0[1-9]|1[0-2]))?$",
        description="A year (2026), quarter (2026-Q3) or month (2026-07); "
        "default: the current year.",
    ),
]


def _calendar_date(value: object) -> object:
    # pydantic reads a bare number as a Unix timestamp (today=0 became
    # 1970-01-01); the document promises a calendar date, so hold to it.
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("expected a date as YYYY-MM-DD")
    return value


TodayQuery = Annotated[
    date | None,
    BeforeValidator(_calendar_date),
    Query(description="The date the period is judged at (YYYY-MM-DD); default: today (UTC)."),
]


@dataclass(frozen=True)
class PlanView:
    """The plan's data for one request, with the period and day it is judged at."""

    data: PlanData
    snapshot: Snapshot
    period: Period
    today: date


def resolve_period(period: str | None, today: date | None) -> tuple[Period, date]:
    """The period asked for (default: the year of ``today``) and the day to judge it at."""
    day = (
        check_today(today, pointer="query:today") if today is not None else datetime.now(UTC).date()
    )
    label = period if period is not None else str(day.year)
    return parse_period(label, pointer="query:period" if period is not None else "query:today"), day


def load_plan(store: Store, period: str | None = None, today: date | None = None) -> PlanView:
    """Read everything the plan's evaluations need, in one consistent read."""
    resolved, day = resolve_period(period, today)
    with store.read() as tx:
        snap = load_snapshot(tx)
        pipeline = tx.find_pipeline()
        activities = tx.find_activities()
        goals = tx.find_goals(period=resolved.label)
    data = PlanData(
        territories=snap.leaves,
        reps=snap.reps,
        accounts=snap.accounts,
        assignments=snap.assignments,
        pipeline=pipeline,
        activities=activities,
        goals=goals,
        # Kept with the snapshot and patched per write: not regrouped per read.
        grouped=kept_groups(snap),
    )
    return PlanView(data, snap, resolved, day)


def review_settings(
    settings: Settings, large_account_revenue: float | None = None
) -> ReviewSettings:
    """The review's thresholds; ``large_account_revenue`` from the query, else settings."""
    # The setting may not exist yet in every deployment's Settings; the
    # review's own default applies then.
    configured = getattr(settings, "large_account_revenue", None)
    threshold = large_account_revenue if large_account_revenue is not None else configured
    base = ReviewSettings(under_pct=settings.load_under_pct, over_pct=settings.load_over_pct)
    if threshold is None:
        return base
    return ReviewSettings(
        under_pct=base.under_pct, over_pct=base.over_pct, large_account_revenue=float(threshold)
    )


def rep_scores(view: PlanView, settings: Settings) -> list[RepScore]:
    """The reps' evaluation for the view's period."""
    model = travel_settings(settings)
    # The loads of the snapshot's books are kept with it (carried over the
    # books a write left); a narrowed view's books are not those.
    whole = view.data.accounts is view.snapshot.accounts
    return evaluate_reps(
        view.data,
        view.period,
        today=view.today,
        travel_settings=model,
        travel_loads=kept_travel_loads(view.snapshot, model) if whole else None,
    )


def kept(
    view: PlanView, key: Hashable, compute: Callable[[], T], *, depends_on: tuple[Part, ...] = ()
) -> T:
    """``compute()`` kept with the view's snapshot (per revision) when the view is whole.

    A view straight from :func:`load_plan` is covered by its snapshot's
    revision: the pipeline, activities and goals were read in the same
    transaction, and every write moves the revision. A narrowed view (its
    accounts are not the snapshot's) computes afresh. ``key`` must name
    everything ``compute`` depends on besides the plan's data; ``depends_on``
    names the parts of the snapshot it reads when those are all it reads (see
    :meth:`Snapshot.derived`: then it is carried over a write that left them).
    """
    if view.data.accounts is not view.snapshot.accounts:
        return compute()
    return view.snapshot.derived(key, compute, depends_on=depends_on)


def kept_rep_scores(view: PlanView, settings: Settings) -> list[RepScore]:
    """:func:`rep_scores`, kept per revision (see :func:`kept`)."""
    key = ("rep_scores", view.period, view.today, repr(travel_settings(settings)))
    return kept(view, key, lambda: rep_scores(view, settings))


def kept_funnels(view: PlanView) -> list[TerritoryFunnel]:
    """:func:`evaluate_territories` of the view, kept per revision (see :func:`kept`)."""
    return kept(
        view, ("funnels", view.period), lambda: evaluate_territories(view.data, view.period)
    )


def rep_scores_of(view: PlanView, settings: Settings, rep_ids: Iterable[int]) -> list[RepScore]:
    """The evaluation of ``rep_ids`` only: travel planning for every rep would be wasted."""
    wanted = set(rep_ids)
    data = view.data
    narrowed = PlanData(
        data.territories,
        [r for r in data.reps if r.id in wanted],
        data.accounts,
        data.assignments,
        data.pipeline,
        data.activities,
        data.goals,
        data.grouped,
    )
    return rep_scores(PlanView(narrowed, view.snapshot, view.period, view.today), settings)
