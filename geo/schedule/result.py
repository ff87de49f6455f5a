"""What a schedule answers: contacts, day routes, weekly figures and shortfalls.

Every figure is stated with its unit in its name; km are road km (geodesic
times circuity), hours are decimal hours, datetimes are aware (the rep's
timezone).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from geo.model import LonLat

__all__ = [
    "Compliance",
    "DayPlan",
    "GapViolation",
    "Schedule",
    "ScheduledContact",
    "Stretch",
    "Unplaced",
    "WeekFigures",
]


@dataclass(frozen=True, slots=True)
class ScheduledContact:
    """One contact on the calendar.

    ``status``: ``done`` (happened), ``frozen`` (kept from the previous plan
    by a re-plan) or ``planned``. ``earliest``/``latest`` bound its cadence
    window (None for the first contact of an account without history);
    ``sequence`` is the stop number on the day's route (0 for remote).
    """

    account_id: str
    channel: str
    day: date
    status: str
    start: datetime | None = None
    end: datetime | None = None
    sequence: int = 0
    earliest: date | None = None
    latest: date | None = None
    in_window: bool = True
    in_time_window: bool | None = None
    name: str | None = None
    address: str | None = None
    location: LonLat | None = None


@dataclass(frozen=True, slots=True)
class DayPlan:
    """One working day: its route (account ids in visiting order) and its hours."""

    day: date
    route: tuple[str, ...]
    drive_km: float
    drive_hours: float
    visit_hours: float
    remote_hours: float
    capacity_hours: float

    @property
    def hours(self) -> float:
        """Driving, visits and remote contacts together."""
        return self.drive_hours + self.visit_hours + self.remote_hours

    @property
    def overtime_hours(self) -> float:
        """Hours beyond capacity (the scheduler keeps this at 0)."""
        return max(0.0, self.hours - self.capacity_hours - 1e-9)


@dataclass(frozen=True, slots=True)
class WeekFigures:
    """Totals of the 7 days from ``week_start``."""

    week_start: date
    drive_km: float
    drive_hours: float
    visits: int
    remote_contacts: int


@dataclass(frozen=True, slots=True)
class Stretch:
    """An interval lengthened because the cadence did not fit the rep's time."""

    account_id: str
    channel: str
    interval_days: float
    stretched_days: float
    factor: float


@dataclass(frozen=True, slots=True)
class Unplaced:
    """A due contact that has no day, and why.

    Reasons: ``no-location`` (a visit to an account without a location),
    ``beyond-a-day-trip`` (the round trip from home and the visit take longer
    than a working day: an overnight trip, planned by hand),
    ``no-working-day`` (every day of its window is closed or frozen),
    ``over-capacity`` (no day of its window has room), ``past-horizon`` (its
    window ends after the horizon; not counted as due).
    """

    account_id: str
    channel: str
    due: date
    earliest: date
    latest: date
    reason: str


@dataclass(frozen=True, slots=True)
class GapViolation:
    """Two consecutive contacts of an account too close or too far apart."""

    account_id: str
    channel: str
    first: date
    second: date
    gap_days: int
    min_days: int
    max_days: int
    kind: str  # "too-close" or "too-far"


@dataclass(frozen=True, slots=True)
class Compliance:
    """Cadence compliance: contacts inside their window / contacts due.

    ``due`` counts the contacts the (stretched) cadence asks for within the
    horizon from the planning day on; ``requested`` what the cadence as
    written asks for (before any stretch).
    """

    due: int
    in_window: int
    requested: int

    @property
    def ratio(self) -> float:
        """``in_window / due``; 1.0 when nothing is due."""
        return self.in_window / self.due if self.due else 1.0


@dataclass(frozen=True, slots=True)
class Schedule:
    """A rep's contact calendar with everything a manager checks.

    ``moved_visits`` / ``previous_visits``: for a re-plan, how many of the
    previous plan's visits after the frozen days moved or vanished, of how
    many. ``stopped`` is True when ``should_stop`` or the time limit cut the
    search short (the schedule is still whole and valid, only less
    optimised, and may differ from run to run).
    """

    rep_id: int
    contacts: tuple[ScheduledContact, ...]
    days: tuple[DayPlan, ...]
    weeks: tuple[WeekFigures, ...]
    compliance: Compliance
    stretch: tuple[Stretch, ...]
    unplaced: tuple[Unplaced, ...]
    violations: tuple[GapViolation, ...]
    moved_visits: int = 0
    previous_visits: int = 0
    stopped: bool = False

    @property
    def drive_km(self) -> float:
        """Road km over the whole horizon."""
        return sum(d.drive_km for d in self.days)

    @property
    def overtime_hours(self) -> float:
        """Hours beyond capacity over every day (0 by construction)."""
        return sum(d.overtime_hours for d in self.days)

    @property
    def over_capacity_days(self) -> int:
        """Days that exceed their capacity (0 by construction)."""
        return sum(d.overtime_hours > 0 for d in self.days)
