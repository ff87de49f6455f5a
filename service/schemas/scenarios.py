"""Request and response models of /scenarios."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, WithJsonSchema


def _source(value: object) -> Literal["live"] | int:
    """``"live"`` or a scenario id, as one error when it is neither (not one per union member)."""
    if value == "live":
        return "live"
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 2**31 - 1:
        return value
    raise ValueError('must be "live" or the id of a scenario (a positive integer)')


Source = Annotated[
    Literal["live"] | int,
    PlainValidator(_source),
    WithJsonSchema(
        {"anyOf": [{"const": "live"}, {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}]}
    ),
]


class ScenarioIn(BaseModel):
    """A new scenario: a copy of the live plan or of another scenario."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str = Field(min_length=1, max_length=200)
    source: Source = Field(
        "live", alias="from", description='"live" or the id of a scenario to copy.'
    )
    notes: str | None = Field(None, max_length=10_000)


class ScenarioPatch(BaseModel):
    """What may change on a scenario: its name, notes, or archived/draft status."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=200)
    notes: str | None = Field(None, max_length=10_000)
    status: Literal["draft", "archived"] | None = None


class ScenarioOut(BaseModel):
    """One scenario; ``stale`` when the live plan moved on since its copy (or last rebase)."""

    id: int
    name: str
    owner: str | None
    region_id: int | None
    notes: str | None
    status: Literal["draft", "scheduled", "applied", "archived"]
    source: str
    base_revision: int
    live_revision: int
    stale: bool
    territories: int
    created_at: datetime | None
    updated_at: datetime | None
    updated_by: str | None
    version: int
    applied_change_set_id: int | None
    effective_date: date | None = Field(
        None, description="The day a scheduled (or scheduled then applied) scenario takes effect."
    )


class ScenarioList(BaseModel):
    """Scenarios by id, one page."""

    scenarios: list[ScenarioOut]
    links: list[dict[str, str]] = []


class MovedAccountOut(BaseModel):
    """An account whose territory or rep differs between the two plans."""

    id: str
    name: str | None
    from_territory_id: int | None
    to_territory_id: int | None
    from_rep_id: int | None
    to_rep_id: int | None
    annual_revenue: float | None
    visit_hours_per_month: float


class BeforeAfter(BaseModel):
    """A figure in the base plan and in the scenario."""

    before: float | None
    after: float | None


class RepCompareOut(BaseModel):
    """One rep's book before and after; hours and load only with ``travel=true``."""

    rep_id: int
    name: str
    accounts: BeforeAfter
    revenue: BeforeAfter
    net_profit: BeforeAfter
    workload_hours: BeforeAfter
    load_pct: BeforeAfter
    too_far: BeforeAfter


class TerritoryCompareOut(BaseModel):
    """One leaf territory before and after; shape change in km² (equal-area)."""

    territory_id: int
    name: str
    status: Literal["added", "removed", "changed"]
    accounts: BeforeAfter
    revenue: BeforeAfter
    net_profit: BeforeAfter
    workload_hours: BeforeAfter
    added_km2: float
    removed_km2: float


class BalanceCompare(BaseModel):
    """Coefficient of variation of ``metric`` across leaf territories, before and after."""

    metric: Literal["accounts", "revenue", "net_profit", "workload_hours"]
    before: float | None
    after: float | None


class DatedGoalOut(BaseModel):
    """A goal with its period."""

    period: str
    metric: str
    product: str | None
    value: float
    actual: float | None


class GoalCompareOut(BaseModel):
    """A territory whose goals differ: every goal (all periods) before and after."""

    territory_id: int
    before: list[DatedGoalOut]
    after: list[DatedGoalOut]


class CompareOut(BaseModel):
    """What the scenario changes against the live plan or another scenario."""

    scenario_id: int
    compared_with: str
    moved_accounts: list[MovedAccountOut]
    moved_count: int
    moved_revenue: float
    reps: list[RepCompareOut]
    territories: list[TerritoryCompareOut]
    balance: BalanceCompare
    unassigned: BeforeAfter
    goals: list[GoalCompareOut]


class ApplyIn(BaseModel):
    """How the scenario's difference is written to the live plan."""

    model_config = ConfigDict(extra="forbid")

    on_overlap: Literal["warn", "reject", "clip"] = "warn"
    effective_date: date | None = Field(
        None,
        description="A later day (UTC) for the live plan to switch: the answer is 202 and "
        "the scenario `scheduled` until then. Today or earlier applies now.",
    )


class ApplyOut(BaseModel):
    """The live change set the scenario became, or the day it is scheduled for (202)."""

    scenario_id: int
    change_set_id: int | None
    operations: int
    reassigned: int
    status: Literal["applied", "scheduled"] = "applied"
    effective_date: date | None = None


class RebaseIn(BaseModel):
    """What to do with a territory both the scenario and the live plan changed."""

    model_config = ConfigDict(extra="forbid")

    on_conflict: Literal["fail", "keep_live", "keep_scenario"] = "fail"


class ConflictOut(BaseModel):
    """A territory changed both in the live plan and in the scenario since the base."""

    territory_id: int
    live: Literal["changed", "created", "deleted"]
    scenario: Literal["changed", "created", "deleted"]
    kept: Literal["live", "scenario"] | None
    subject: Literal["territory", "goals"] = Field(
        "territory", description="What both changed: the territory itself or its goals."
    )


class RebaseOut(BaseModel):
    """The scenario now sits on the current live plan with its own edits carried over."""

    scenario_id: int
    base_revision: int
    carried: list[int]
    conflicts: list[ConflictOut]
