"""Days that can happen: a tour longer than the rep's day becomes an overnight trip.

A tour's driving and visits are laid out on consecutive working days of at
most ``day_hours`` each: a drive may stop at a hotel on the way (legs split),
a visit may not (it starts and ends on one day). The hours of each day and
the hotel nights are stated; a tour that needs more nights than allowed, or
a visit longer than a working day, is not reachable and says why.

Written by hand: a few lines of arithmetic over the tour's legs; routing
libraries plan vehicles with time windows, not a rep's hotel nights.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Trip", "lay_out_trip"]

_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class Trip:
    """How a tour fits on working days.

    ``hours_by_day`` are the driving and visit hours of each day of the trip
    (one entry for a day trip); ``nights`` = days - 1 hotel nights.
    ``unreachable`` is None when the trip is allowed, else the reason.
    """

    hours_by_day: tuple[float, ...]
    unreachable: str | None = None

    @property
    def days(self) -> int:
        """Working days the trip takes."""
        return len(self.hours_by_day)

    @property
    def nights(self) -> int:
        """Hotel nights away from home."""
        return len(self.hours_by_day) - 1


def lay_out_trip(
    leg_hours: Sequence[float],
    visit_hours: Sequence[float],
    day_hours: float,
    max_nights: int,
) -> Trip:
    """Lay a tour home -> stops -> home on days of at most ``day_hours``.

    Parameters
    ----------
    leg_hours : sequence of float
        Driving hours of each leg: home to the first stop, ..., last stop to
        home (one more than ``visit_hours``).
    visit_hours : sequence of float
        Hours on site at each stop, in visiting order.
    day_hours : float
        The rep's working day.
    max_nights : int
        Hotel nights a trip may take; beyond, the tour is unreachable.

    Returns
    -------
    Trip

    Examples
    --------
    A visit 642 road km away at 60 km/h (10.7 h each way) with 1 h on site
    takes three 8-hour days and two hotel nights, never a 22.4-hour day:

    >>> trip = lay_out_trip([10.7, 10.7], [1.0], 8.0, max_nights=2)
    >>> trip.nights, [round(h, 1) for h in trip.hours_by_day], trip.unreachable
    (2, [8.0, 8.0, 6.4], None)
    >>> lay_out_trip([10.7, 10.7], [1.0], 8.0, max_nights=1).unreachable
    'needs 2 hotel nights; at most 1 allowed'
    """
    days = [0.0]
    for k, leg in enumerate(leg_hours):
        _drive(days, float(leg), day_hours)
        if k < len(visit_hours):
            visit = float(visit_hours[k])
            if visit > day_hours + _EPS:
                return Trip(tuple(days), f"a visit of {visit:.1f} h is longer than a working day")
            if days[-1] + visit > day_hours + _EPS:
                days.append(0.0)  # the visit waits for the next morning
            days[-1] += visit
    trip = Trip(tuple(days))
    if trip.nights > max_nights:
        reason = f"needs {trip.nights} hotel nights; at most {max_nights} allowed"
        return Trip(trip.hours_by_day, reason)
    return trip


def _drive(days: list[float], hours: float, day_hours: float) -> None:
    """Drive ``hours``, stopping for the night whenever the day is full."""
    while days[-1] + hours > day_hours + _EPS:
        room = day_hours - days[-1]
        days[-1] = day_hours
        hours -= room
        days.append(0.0)
    days[-1] += hours
