"""Records of the territory plan: pipeline, activities and goals.

Frozen dataclasses like :mod:`geo.model`, kept apart from it because only the
plan's evaluations use them. Instants are timezone-aware datetimes; the
evaluations bucket them by their UTC calendar date.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property

from geo.model import Account, Assignment, Rep, Territory

__all__ = [
    "ACTIVITY_KINDS",
    "PIPELINE_STAGES",
    "OPPORTUNITY_STAGES",
    "Activity",
    "Goal",
    "PipelineRecord",
    "PlanData",
    "utc_date",
]

#: Stages of a pipeline record. ``lost`` is a lost *opportunity*; a lead that
#: is dropped before it became an opportunity stays ``lead`` (or is deleted).
PIPELINE_STAGES: tuple[str, ...] = ("lead", "opportunity", "won", "lost")
#: Stages that mean the record reached the opportunity step of the funnel.
OPPORTUNITY_STAGES: frozenset[str] = frozenset({"opportunity", "won", "lost"})
ACTIVITY_KINDS: tuple[str, ...] = ("call", "demo", "visit", "email")


def utc_date(instant: datetime) -> date:
    """The UTC calendar date of an instant; a naive datetime is taken as UTC.

    >>> from datetime import timedelta, timezone
    >>> utc_date(datetime(2026, 1, 1, 1, 30, tzinfo=timezone(timedelta(hours=2))))
    datetime.date(2025, 12, 31)
    """
    if instant.tzinfo is None:
        return instant.date()
    return instant.astimezone(UTC).date()


@dataclass(frozen=True, slots=True)
class PipelineRecord:
    """A lead, opportunity or deal on one account.

    Every record enters the funnel as a lead at ``created_at``; ``won`` and
    ``lost`` records carry ``closed_at``. ``amount`` is the deal's value in
    the account currency (the revenue when won).
    """

    id: str
    account_id: str
    stage: str
    created_at: datetime
    amount: float | None = None
    product: str | None = None
    closed_at: datetime | None = None
    rep_id: int | None = None
    source: str | None = None

    @property
    def created_on(self) -> date:
        """UTC date the record was created."""
        return utc_date(self.created_at)

    @property
    def closed_on(self) -> date | None:
        """UTC date the record was closed, if it was."""
        return None if self.closed_at is None else utc_date(self.closed_at)


@dataclass(frozen=True, slots=True)
class Activity:
    """A conversation with an account: a call, demo, visit or e-mail."""

    id: str
    account_id: str
    kind: str
    at: datetime
    rep_id: int | None = None

    @property
    def on(self) -> date:
        """UTC date of the activity."""
        return utc_date(self.at)


@dataclass(frozen=True, slots=True)
class Goal:
    """One target of a territory for a period.

    ``product`` is set only for ``product_revenue``; ``actual`` is a value the
    manager provided (for metrics without a data source, such as NPS).
    """

    territory_id: int
    period: str
    metric: str
    value: float
    product: str | None = None
    actual: float | None = None


@dataclass(frozen=True)
class PlanData:
    """Everything the plan's evaluations read, with lookups built once.

    ``territories`` are the leaf territories (they own accounts);
    ``assignments`` is parallel to ``accounts``.
    """

    territories: Sequence[Territory]
    reps: Sequence[Rep]
    accounts: Sequence[Account]
    assignments: Sequence[Assignment]
    pipeline: Sequence[PipelineRecord] = ()
    activities: Sequence[Activity] = ()
    goals: Sequence[Goal] = field(default_factory=tuple)
    # The accounts by territory and by rep (lists in account order), when the
    # caller keeps them across reads (the service patches them per write):
    # grouping 100,000 accounts per read is most of a warm evaluation.
    grouped: tuple[dict[int, list[Account]], dict[int, list[Account]]] | None = field(
        default=None, compare=False, repr=False
    )

    @cached_property
    def account_by_id(self) -> dict[str, Account]:
        """Accounts keyed by id."""
        return {a.id: a for a in self.accounts}

    @cached_property
    def assignment_by_account(self) -> dict[str, Assignment]:
        """Assignments keyed by account id."""
        return {s.account_id: s for s in self.assignments}

    @cached_property
    def rep_by_id(self) -> dict[int, Rep]:
        """Reps keyed by id."""
        return {r.id: r for r in self.reps}

    @cached_property
    def territory_by_id(self) -> dict[int, Territory]:
        """Territories keyed by id."""
        return {t.id: t for t in self.territories}

    def territory_of(self, account_id: str) -> int | None:
        """The territory that owns an account now, or None."""
        s = self.assignment_by_account.get(account_id)
        return None if s is None else s.territory_id

    def owner_of(self, account_id: str) -> int | None:
        """The rep who owns an account now, or None."""
        s = self.assignment_by_account.get(account_id)
        return None if s is None else s.rep_id

    @cached_property
    def first_won_on(self) -> dict[str, date]:
        """Per account, the UTC date its first won deal closed."""
        first: dict[str, date] = {}
        for r in self.pipeline:
            if r.stage == "won" and (closed := r.closed_on) is not None:
                if r.account_id not in first or closed < first[r.account_id]:
                    first[r.account_id] = closed
        return first

    @cached_property
    def _grouped(self) -> tuple[dict[int, list[Account]], dict[int, list[Account]]]:
        if self.grouped is not None:
            return self.grouped
        by_territory: dict[int, list[Account]] = {}
        by_rep: dict[int, list[Account]] = {}
        for s in self.assignments:
            account = self.account_by_id.get(s.account_id)
            if account is None:
                continue
            if s.territory_id is not None:
                by_territory.setdefault(s.territory_id, []).append(account)
            if s.rep_id is not None:
                by_rep.setdefault(s.rep_id, []).append(account)
        return by_territory, by_rep

    def accounts_of_territory(self, territory_id: int) -> list[Account]:
        """The accounts a territory owns now."""
        return self._grouped[0].get(territory_id, [])

    def accounts_of_rep(self, rep_id: int) -> list[Account]:
        """The accounts a rep owns now."""
        return self._grouped[1].get(rep_id, [])
