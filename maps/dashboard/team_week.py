"""The overview's "Team week": each rep's planned week and cadence compliance.

One row per rep the manager may see: the days of the week with their visits,
calls and driving; contacts placed in their cadence window against contacts
due; overtime; and the contacts that could not be placed, with the reason.
A rep without a schedule says so. Every string from a user is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from html import escape

from maps.dashboard.parts import card, empty

__all__ = ["DayCell", "RepWeek", "UnplacedContact", "team_week_html"]

_REASONS = {
    "no-location": "the account has no location",
    "beyond-a-day-trip": "longer than a working day from home: an overnight trip",
    "no-working-day": "no working day in its window",
    "over-capacity": "no day in its window had room",
    "past-horizon": "its window ends after the plan",
}


@dataclass(frozen=True, slots=True)
class DayCell:
    """One day of a rep's week: contacts by kind, road km and hours over the day."""

    day: date
    visits: int
    remote: int
    drive_km: float
    overtime_hours: float


@dataclass(frozen=True, slots=True)
class UnplacedContact:
    """A due contact the planner found no day for."""

    account: str
    channel: str
    due: date
    reason: str


@dataclass(frozen=True, slots=True)
class RepWeek:
    """A rep's week as planned; ``planned`` False when no schedule was computed."""

    rep_id: int
    name: str
    planned: bool
    days: Sequence[DayCell] = ()
    due: int = 0
    in_window: int = 0
    requested: int = 0  # what the cadence asked before a stretch to fit the rep's time
    overtime_hours: float = 0.0
    unplaced: Sequence[UnplacedContact] = ()
    span: tuple[date, date] | None = None  # first and last day the schedule covers


def team_week_html(reps: Sequence[RepWeek], monday: date) -> str:
    """The "Team week" card for the week starting ``monday``.

    >>> "No schedule planned yet" in team_week_html([RepWeek(1, "Ann", False)], date(2026, 3, 2))
    True
    """
    if not reps:
        return card("Team week", empty("No reps to show."), "wide team-week")
    days = [monday + timedelta(days=i) for i in range(7)]
    busy = {c.day for r in reps for c in r.days if c.visits or c.remote}
    shown = [d for d in days if d.weekday() < 5 or d in busy]  # an empty weekend takes no column
    head = (
        "<tr><th scope=col>Rep</th>"
        + "".join(f"<th scope=col>{d.strftime('%a %d %b')}</th>" for d in shown)
        + "<th scope=col class=n>Cadence kept</th><th scope=col class=n>Overtime h</th>"
        "<th scope=col class=n>Unplaced</th></tr>"
    )
    rows = "".join(_row(r, shown) for r in reps)
    table = (
        '<div class="scroll" role="region" aria-label="Team week" tabindex="0">'
        f"<table class=team>{head}{rows}</table></div>"
    )
    label = f"Team week of {monday.strftime('%d %b %Y')}"
    return card(label, table + _unplaced_lists(reps), "wide team-week")


def _row(r: RepWeek, days: Sequence[date]) -> str:
    span = (
        f"<br><small>plan {r.span[0].strftime('%d %b')} \u2013 {r.span[1].strftime('%d %b %Y')}"
        "</small>"
        if r.span
        else ""
    )
    name = f'<th scope=row data-rep="{r.rep_id}">{escape(r.name)}{span}</th>'
    if not r.planned:
        plan = f'<a href="/me?rep={r.rep_id}">plan it on the rep\'s page</a>'
        return (
            f'<tr class=unplanned>{name}<td colspan="{len(days) + 3}">'
            f"<span>No schedule planned yet: {plan}.</span></td></tr>"
        )
    by_day = {c.day: c for c in r.days}
    cells = "".join(_day(by_day.get(d)) for d in days)
    kept = f"{r.in_window} / {r.due}" + (f" ({100 * r.in_window / r.due:.0f}%)" if r.due else "")
    if r.requested > r.due:
        kept += f"<br><small>stretched: the cadence asks {r.requested}</small>"
    over = f"{r.overtime_hours:.1f}"
    return (
        f"<tr>{name}{cells}<td class=n>{kept}</td>"
        f"<td class=n{' data-over' if r.overtime_hours > 0 else ''}>{over}</td>"
        f"<td class=n>{len(r.unplaced)}</td></tr>"
    )


def _day(c: DayCell | None) -> str:
    if c is None or not (c.visits or c.remote):
        return "<td class=free>\u2013</td>"
    parts = []
    if c.visits:
        parts.append(f"{c.visits} visit{'s' if c.visits != 1 else ''}")
    if c.remote:
        parts.append(f"{c.remote} call{'s' if c.remote != 1 else ''}/e-mail")
    km = f"<small>{c.drive_km:,.0f} km</small>" if c.visits else ""
    warn = f" <b class=over>+{c.overtime_hours:.1f} h</b>" if c.overtime_hours > 0 else ""
    return f"<td>{', '.join(parts)}{warn}<br>{km}</td>"


def _unplaced_lists(reps: Sequence[RepWeek]) -> str:
    out = []
    for r in reps:
        if not r.unplaced:
            continue
        items = "".join(
            f"<li>{escape(u.account)} \u00b7 {escape(u.channel)} due {u.due.isoformat()}: "
            f"{escape(_REASONS.get(u.reason, u.reason))}</li>"
            for u in r.unplaced[:50]
        )
        more = f"<li>\u2026 and {len(r.unplaced) - 50} more</li>" if len(r.unplaced) > 50 else ""
        out.append(
            f"<details class=unplaced><summary>{escape(r.name)}: {len(r.unplaced)} contact"
            f"{'s' if len(r.unplaced) != 1 else ''} not placed</summary><ul>{items}{more}</ul></details>"
        )
    return "".join(out)
