"""What a contact schedule is planned from: needs, history, the rep's calendar.

Frozen dataclasses in, frozen dataclasses out (see ``geo.schedule.result``),
so a job runner can pickle a request to a worker process and store the answer.
Days are calendar dates in the rep's timezone; distances are road km
(WGS84 geodesic km times a circuity factor, ``geo.travel.matrix.GeodesicMatrix``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from geo.errors import InvalidInputError, Issue
from geo.model import LonLat

__all__ = [
    "CHANNELS",
    "DEFAULT_MINUTES",
    "MAX_WEEKS",
    "REMOTE_CHANNELS",
    "ContactDate",
    "ContactNeed",
    "ScheduleRequest",
    "ScheduleSettings",
    "WorkCalendar",
]

CHANNELS: tuple[str, ...] = ("visit", "phone", "email", "video")
REMOTE_CHANNELS: frozenset[str] = frozenset({"phone", "email", "video"})
#: Minutes a contact takes when neither the rule nor the account says.
DEFAULT_MINUTES: dict[str, float] = {"visit": 60.0, "phone": 15.0, "video": 30.0, "email": 5.0}
MAX_WEEKS = 13


@dataclass(frozen=True, slots=True)
class ContactNeed:
    """One account's cadence on one channel, resolved from its rule.

    ``interval_days`` is the target spacing; a contact is inside its window
    when it falls ``min_days``..``max_days`` after the previous one.
    ``seasonal`` holds 12 monthly multipliers of the contact rate (2.0 in a
    month halves the interval), or is empty. ``weekdays`` (0 = Monday) are
    preferred days; ``time_window`` a preferred time of day. ``priority`` 0
    is served first when capacity runs short (tier A).
    """

    account_id: str
    channel: str
    interval_days: float
    min_days: int
    max_days: int
    minutes: float
    location: LonLat | None = None
    weekdays: tuple[int, ...] = ()
    time_window: tuple[time, time] | None = None
    seasonal: tuple[float, ...] = ()
    priority: int = 0
    name: str | None = None
    address: str | None = None

    @property
    def remote(self) -> bool:
        """True for phone, e-mail and video contacts (no travel)."""
        return self.channel in REMOTE_CHANNELS

    def interval_on(self, day: date, stretch: float = 1.0) -> float:
        """Target days to the next contact when the previous one is on ``day``.

        >>> ContactNeed("a", "visit", 14, 12, 16, 30, seasonal=(1,) * 6 + (2,) * 6
        ...             ).interval_on(date(2026, 7, 1))
        7.0
        """
        rate = self.seasonal[day.month - 1] if self.seasonal else 1.0
        return float(self.interval_days) * stretch / rate


@dataclass(frozen=True, slots=True)
class ContactDate:
    """An account contacted on a channel on a date.

    Used for contacts that happened (recorded, or imported from the CRM's
    activities) and for the dates of a schedule being re-planned.
    """

    account_id: str
    channel: str
    on: date


@dataclass(frozen=True, slots=True)
class WorkCalendar:
    """The rep's working time over the planned horizon.

    ``weekdays`` are the working weekdays (0 = Monday); a working day starts
    at ``day_start`` and lasts ``day_hours`` (driving, visits and remote
    contacts together). ``holidays`` and ``time_off`` are closed dates.
    Times are local to ``timezone`` (an IANA name).
    """

    start: date
    weeks: int
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    day_start: time = time(8, 0)
    day_hours: float = 8.0
    holidays: tuple[date, ...] = ()
    time_off: tuple[date, ...] = ()
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        issues = [Issue(f"/{name}", reason) for name, reason in _calendar_problems(self)]
        if issues:
            raise InvalidInputError("invalid work calendar", issues)

    @property
    def days(self) -> tuple[date, ...]:
        """Every calendar date of the horizon, working or not."""
        return tuple(self.start + timedelta(days=i) for i in range(7 * self.weeks))

    def is_working(self, day: date) -> bool:
        """True on a working weekday that is neither a holiday nor time off."""
        closed = set(self.holidays) | set(self.time_off)
        return day.weekday() in self.weekdays and day not in closed

    @property
    def zone(self) -> tzinfo:
        """The calendar's timezone (``datetime.UTC`` for "UTC", so times print with Z)."""
        return UTC if self.timezone in ("UTC", "Etc/UTC") else ZoneInfo(self.timezone)


def _calendar_problems(c: WorkCalendar) -> list[tuple[str, str]]:
    out = []
    if not 1 <= c.weeks <= MAX_WEEKS:
        out.append(("weeks", f"must be 1..{MAX_WEEKS}, got {c.weeks}"))
    if not c.weekdays or any(not 0 <= d <= 6 for d in c.weekdays):
        out.append(("weekdays", "need at least one weekday, each 0 (Monday)..6"))
    if not (math.isfinite(c.day_hours) and 0 < c.day_hours <= 24):
        out.append(("day_hours", "must be in (0, 24]"))
    try:
        ZoneInfo(c.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        out.append(("timezone", f"unknown timezone {c.timezone!r}"))
    return out


@dataclass(frozen=True, slots=True)
class ScheduleSettings:
    """Knobs of the scheduler; the defaults are what the service ships.

    ``max_stretch`` caps the proportional stretch of every interval when the
    cadence does not fit; ``freeze_days`` working days after a re-plan date
    keep their contacts; ``move_penalty_km`` is what moving one already
    planned contact costs in the search (so a re-plan changes little);
    ``balance_km_per_h2`` weighs the square of each day's hours (so days
    even out); ``time_limit_s`` bounds the local search, ``max_passes`` its
    one-pattern passes and ``max_rounds`` its ruin-and-recreate rounds.
    """

    time_limit_s: float = 20.0
    max_passes: int = 30
    max_rounds: int = 200
    max_stretch: float = 3.0
    freeze_days: int = 2
    move_penalty_km: float = 60.0
    balance_km_per_h2: float = 0.5
    weekday_penalty_km: float = 40.0

    def __post_init__(self) -> None:
        numbers = {
            "time_limit_s": self.time_limit_s,
            "move_penalty_km": self.move_penalty_km,
            "balance_km_per_h2": self.balance_km_per_h2,
            "weekday_penalty_km": self.weekday_penalty_km,
            "max_passes": self.max_passes,
            "max_rounds": self.max_rounds,
            "freeze_days": self.freeze_days,
        }
        issues = [
            Issue(f"/{k}", "must be a number >= 0")
            for k, v in numbers.items()
            if not (math.isfinite(v) and v >= 0)
        ]
        if not (math.isfinite(self.max_stretch) and self.max_stretch >= 1):
            issues.append(Issue("/max_stretch", "must be >= 1 (1: never stretch)"))
        if issues:
            raise InvalidInputError("invalid schedule settings", issues)


@dataclass(frozen=True, slots=True)
class ScheduleRequest:
    """Everything one rep's schedule is planned from.

    ``done`` lists contacts that happened (any date); ``previous`` is the
    schedule being re-planned (its contacts in ``replan_from`` plus
    ``freeze_days`` working days are kept). ``home`` is (lon, lat) WGS84.
    """

    rep_id: int
    home: LonLat
    calendar: WorkCalendar
    needs: tuple[ContactNeed, ...]
    done: tuple[ContactDate, ...] = ()
    previous: tuple[ContactDate, ...] = ()
    replan_from: date | None = None
    speed_kmh: float = 60.0
    circuity: float = 1.3
    settings: ScheduleSettings = field(default_factory=ScheduleSettings)
