"""A schedule as an RFC 5545 calendar, so it lands in the rep's own calendar app.

Written with the ``icalendar`` package. One VEVENT per visit (address as
LOCATION, GEO, an OpenStreetMap link as URL and a ``geo:`` URI (RFC 5870)
in the description), one VTODO per phone, e-mail or video contact (with
DTSTART and DUE). Times are in the rep's timezone with its VTIMEZONE (UTC
times end in ``Z``). UIDs are stable (rep, account, channel, day), so
re-importing an updated schedule updates events instead of duplicating
them; DTSTAMP is the given generation time, so the same schedule gives the
same bytes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from icalendar import Event, Todo

from geo.schedule.result import Schedule, ScheduledContact

__all__ = ["PRODID", "contact_uid", "schedule_ics"]

PRODID = "-//Territory Mapper//Contact schedule//EN"
_VERB = {"phone": "Call", "email": "E-mail", "video": "Video call", "visit": "Visit"}


def contact_uid(rep_id: int, contact: ScheduledContact) -> str:
    """Stable UID of a contact (RFC 5545 section 3.8.4.7).

    >>> from datetime import date
    >>> contact_uid(3, ScheduledContact("ACME-1", "visit", date(2026, 1, 5), "planned"))
    'rep3-ACME-1-visit-20260105@territory-mapper'
    """
    return (
        f"rep{rep_id}-{contact.account_id}-{contact.channel}-{contact.day:%Y%m%d}@territory-mapper"
    )


def schedule_ics(schedule: Schedule, generated_at: datetime, *, name: str | None = None) -> bytes:
    """The schedule's planned and frozen contacts as iCalendar bytes.

    Parameters
    ----------
    schedule : Schedule
        From ``geo.schedule.planner.plan_schedule``; done contacts are left out.
    generated_at : datetime
        DTSTAMP of every component (aware; converted to UTC).
    name : str, optional
        Calendar name (``X-WR-CALNAME``, shown by most calendar apps).

    Notes
    -----
    GEO carries latitude;longitude (RFC 5545 order), the map link OSM's
    ``mlat``/``mlon``; the project's (lon, lat) order stays inside ``geo``.
    """
    # icalendar costs half a second of imports: loaded with the first calendar.
    from icalendar import Calendar

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if name:
        cal.add("x-wr-calname", name)
    stamp = generated_at.astimezone(UTC)
    for c in schedule.contacts:
        if c.status == "done" or c.start is None or c.end is None:
            continue
        cal.add_component(_component(schedule.rep_id, c, stamp))
    cal.add_missing_timezones()
    ical: bytes = cal.to_ical()
    return ical


def _component(rep_id: int, c: ScheduledContact, stamp: datetime) -> Event | Todo:
    from icalendar import Event, Todo

    who = c.name or c.account_id
    item: Event | Todo = Event() if c.channel == "visit" else Todo()
    item.add("uid", contact_uid(rep_id, c))
    item.add("dtstamp", stamp)
    item.add("dtstart", c.start)
    item.add("dtend" if c.channel == "visit" else "due", c.end)
    item.add("summary", f"{_VERB.get(c.channel, c.channel)} {who}")
    item.add("categories", [c.channel])
    item.add("description", _description(c))
    if c.channel == "visit":
        item.add("transp", "OPAQUE")
        if c.address:
            item.add("location", c.address)
        if c.location is not None:
            lon, lat = c.location
            item.add("geo", (round(lat, 6), round(lon, 6)))  # ~0.1 m, as the map link
            item.add(
                "url",
                f"https://www.openstreetmap.org/?mlat={lat:.6f}&mlon={lon:.6f}#map=16/{lat:.6f}/{lon:.6f}",
            )
    else:
        item.add("status", "NEEDS-ACTION")
    return item


def _description(c: ScheduledContact) -> str:
    lines = [f"Account {c.account_id} ({c.channel})"]
    if c.sequence:
        lines.append(f"Stop {c.sequence} of the day's route")
    if c.earliest is not None and c.latest is not None:
        lines.append(f"Cadence window {c.earliest.isoformat()} to {c.latest.isoformat()}")
    if c.location is not None:
        lines.append(f"geo:{c.location[1]:.6f},{c.location[0]:.6f}")
    return "\n".join(lines)
