"""Answers of the cadence, contact and seasonality routes.

Each mirrors the JSON its view builds (``service.usecases.cadences``,
``service.views.schedules``) member for member, so the OpenAPI document says
what a client gets and the fuzzing checks it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class CadenceRuleOut(BaseModel):
    """One rule as stored, with its effective interval and window."""

    channel: str
    every_days: float | None
    per_month: float | None
    min_days: int | None
    max_days: int | None
    tier: str | None
    stage: str | None
    weekdays: list[int]
    time_window: list[str] | None = Field(description='["HH:MM", "HH:MM"], or null.')
    seasonal: list[float]
    minutes: float | None
    interval_days: float = Field(description="Days between two contacts.")
    window_days: list[int] = Field(description="[min, max] days between two contacts.")


class TerritoryCadenceOut(BaseModel):
    """The rules set on one territory itself."""

    territory_id: int
    rules: list[CadenceRuleOut]


class AppliedRuleOut(BaseModel):
    """The rule that applies on one channel, where it is set and why."""

    rule: CadenceRuleOut
    territory_id: int
    inherited: bool
    why: str


class AccountCadenceOut(BaseModel):
    """The rules that apply to an account (one per channel) and the keys that picked them."""

    account_id: str
    territory_id: int | None
    rep_id: int | None
    tier: str | None
    stage: str | None
    rules: list[AppliedRuleOut]


class ContactOut(BaseModel):
    """One recorded contact."""

    id: int
    account_id: str
    rep_id: int | None
    channel: str
    on: str = Field(description="The day of the contact (YYYY-MM-DD).")
    recorded_at: str
    recorded_by: str | None


class ContactList(BaseModel):
    """Recorded contacts by date."""

    items: list[ContactOut]


class MonthFigureOut(BaseModel):
    """One calendar month of the territory."""

    year: int
    month: int
    won_revenue: float
    won_deals: int
    leads: int


class MonthIndexOut(BaseModel):
    """The seasonal index of one month (1 = an average month) and the years behind it."""

    month: int
    index: float
    years: int


class GoalSplitOut(BaseModel):
    """A yearly goal split by month along the index."""

    total: float
    source: str = Field(description='"query" or "last whole year".')
    by_month: list[float]


class SeasonalityOut(BaseModel):
    """Monthly figures, the seasonal index, slow and busy months and a goal split."""

    territory_id: int
    metric: str
    threshold: float
    monthly: list[MonthFigureOut]
    index: list[MonthIndexOut]
    busy_months: list[int]
    slow_months: list[int]
    goal: GoalSplitOut


class _Open(BaseModel):
    # The scheduler's answer grows with the scheduling work: a member added
    # there passes through (and is not dropped silently) until it is named here.
    model_config = ConfigDict(extra="allow")


class ComplianceOut(_Open):
    """How many due contacts fall inside their window."""

    due: int
    in_window: int
    requested: int
    ratio: float


class PlannedContactOut(_Open):
    """One planned (or done) contact."""

    account_id: str
    name: str | None
    channel: str
    day: str
    status: str
    start: str | None
    end: str | None
    sequence: int
    earliest: str | None
    latest: str | None
    in_window: bool


class ScheduleDayOut(_Open):
    """One working day: the visit route, hours and remote tasks."""

    day: str
    route: list[str] = Field(description="Account ids in visiting order.")
    drive_km: float
    drive_hours: float
    visit_hours: float
    remote_hours: float
    capacity_hours: float
    overtime_hours: float
    tasks: list[PlannedContactOut]


class WeekFiguresOut(_Open):
    """One week's driving and contacts."""

    week_start: str
    drive_km: float
    drive_hours: float
    visits: int
    remote_contacts: int


class StretchOut(_Open):
    """A cadence stretched so that the plan fits the rep's capacity."""

    account_id: str
    channel: str
    interval_days: float
    stretched_days: float
    factor: float


class UnplacedOut(_Open):
    """A due contact the plan could not place, and why."""

    account_id: str
    channel: str
    due: str
    earliest: str
    latest: str
    reason: str


class GapViolationOut(_Open):
    """Two contacts closer or further apart than the rule allows."""

    account_id: str
    channel: str
    first: str
    second: str
    gap_days: int
    kind: str = Field(description='"too-close" or "too-far".')


class ScheduleOut(_Open):
    """A rep's visit and contact schedule over some weeks."""

    rep_id: int
    start: str
    weeks: int
    accounts: int
    compliance: ComplianceOut
    drive_km: float
    overtime_hours: float
    over_capacity_days: int
    stopped: bool
    days: list[ScheduleDayOut]
    week_figures: list[WeekFiguresOut]
    contacts: list[PlannedContactOut]
    stretch: list[StretchOut]
    unplaced: list[UnplacedOut]
    violations: list[GapViolationOut]
    moved_visits: int
    previous_visits: int
    computed_at: str | None = Field(None, description="When it was computed (the GET only).")


class ScheduleList(BaseModel):
    """The latest schedule of every rep the caller may see."""

    items: list[ScheduleOut]
