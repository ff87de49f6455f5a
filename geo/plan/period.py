"""Planning periods: a year ("2026"), a quarter ("2026-Q3") or a month ("2026-07").

A period is the half-open range of calendar dates ``[start, end)``. "Today"
is always an argument, never read from the clock, so every answer can be
tested at year and leap-year boundaries.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from geo.errors import InvalidInputError, Issue

__all__ = ["MAX_YEAR", "MIN_YEAR", "Period", "check_today", "one_year_earlier", "parse_period"]

MIN_YEAR = 1900
MAX_YEAR = 2200
_PATTERN = re.compile(r"(\d{4})(?:-Q([1-4])|-(0[1-9]|1[0-2]))?", re.ASCII | re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Period:
    """The dates ``start <= d < end`` named by ``label``."""

    label: str
    start: date
    end: date

    @property
    def days(self) -> int:
        """Calendar days in the period (leap days count)."""
        return (self.end - self.start).days

    @property
    def months(self) -> int:
        """Calendar months in the period: 12, 3 or 1."""
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month

    @property
    def years(self) -> float:
        """The period as a fraction of a year, by months (a quarter is 0.25).

        Used to scale annual figures (quota, cost to serve) to the period.
        """
        return self.months / 12.0

    def contains(self, day: date | None) -> bool:
        """True when ``day`` lies in the period."""
        return day is not None and self.start <= day < self.end

    def elapsed_share(self, today: date) -> float:
        """Share of the period's days elapsed by the end of ``today``, in [0, 1].

        Today counts as elapsed, so on the last day of a period it is 1.0.

        >>> q1 = parse_period("2024-Q1")
        >>> round(q1.elapsed_share(date(2024, 2, 29)), 4)  # 60 of 91 days (leap year)
        0.6593
        >>> q1.elapsed_share(date(2023, 12, 31)), q1.elapsed_share(date(2024, 3, 31))
        (0.0, 1.0)
        """
        done = (min(max(today + timedelta(days=1), self.start), self.end) - self.start).days
        return done / self.days

    def to_date_end(self, today: date) -> date:
        """The exclusive end of the part of the period up to and including ``today``."""
        return min(max(today + timedelta(days=1), self.start), self.end)

    def year_ago(self) -> Period:
        """The same period one year earlier ("2026-Q3" -> "2025-Q3").

        >>> parse_period("2025-02").year_ago()
        Period(label='2024-02', start=datetime.date(2024, 2, 1), end=datetime.date(2024, 3, 1))
        """
        year = self.start.year - 1
        label = str(year) + self.label[4:]
        # Periods start on the 1st of a month, so replacing the year is exact.
        return Period(
            label, self.start.replace(year=year), self.end.replace(year=self.end.year - 1)
        )

    def month_starts(self) -> list[date]:
        """The first day of every month in the period."""
        out, day = [], self.start
        while day < self.end:
            out.append(day)
            day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
        return out


def parse_period(text: str, *, pointer: str = "period") -> Period:
    """Parse ``"2026"``, ``"2026-Q3"`` or ``"2026-07"`` into a :class:`Period`.

    Parameters
    ----------
    text : str
        The period label; years from 1900 to 2200.
    pointer : str, default "period"
        Where the label came from, for the error's issue.

    Returns
    -------
    Period

    Raises
    ------
    InvalidInputError
        When the label is not one of the three forms or the year is out of range.

    Examples
    --------
    >>> p = parse_period("2026-Q4")
    >>> p.start, p.end, p.months
    (datetime.date(2026, 10, 1), datetime.date(2027, 1, 1), 3)
    >>> parse_period("2024").days
    366
    """
    match = _PATTERN.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise InvalidInputError(
            "The period is invalid.",
            [Issue(pointer, "expected a year (2026), a quarter (2026-Q3) or a month (2026-07)")],
        )
    year = int(match.group(1))
    _check_year(year, pointer)
    if match.group(2):
        first = 3 * (int(match.group(2)) - 1) + 1
        start, months, label = date(year, first, 1), 3, f"{year}-Q{match.group(2)}"
    elif match.group(3):
        start, months, label = date(year, int(match.group(3)), 1), 1, f"{year}-{match.group(3)}"
    else:
        start, months, label = date(year, 1, 1), 12, str(year)
    index = start.month - 1 + months
    return Period(label, start, date(year + index // 12, index % 12 + 1, 1))


def _check_year(year: int, pointer: str, what: str = "period") -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidInputError(
            f"The {what} is invalid.",
            [Issue(pointer, f"the year must lie in {MIN_YEAR}..{MAX_YEAR}")],
        )


def check_today(today: date, *, pointer: str = "today") -> date:
    """``today`` if its year is in range, else :class:`InvalidInputError`."""
    _check_year(today.year, pointer, "date")
    return today


def one_year_earlier(day: date) -> date:
    """The same calendar day a year earlier; 29 February becomes the 28th.

    >>> one_year_earlier(date(2024, 2, 29)), one_year_earlier(date(2025, 3, 1))
    (datetime.date(2023, 2, 28), datetime.date(2024, 3, 1))
    """
    year = day.year - 1
    return date(year, day.month, min(day.day, calendar.monthrange(year, day.month)[1]))
