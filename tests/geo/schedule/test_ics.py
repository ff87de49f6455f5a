"""The schedule as iCalendar: parsed back with icalendar, the same events come out."""

from __future__ import annotations

from datetime import UTC, datetime, time

from icalendar import Calendar

from geo.schedule.ics import PRODID, contact_uid, schedule_ics
from geo.schedule.model import ContactNeed, WorkCalendar
from geo.schedule.planner import plan_schedule

from .books import MONDAY, points, request

STAMP = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def _schedule(timezone: str = "America/Chicago"):  # type: ignore[no-untyped-def]
    where = points(4, 21)
    needs = [
        ContactNeed(
            f"acct-{i}",
            "visit",
            7,
            6,
            8,
            45,
            p,
            name=f"Shop {i}",
            address=f"{i} Congress Ave, Austin",
        )
        for i, p in enumerate(where)
    ] + [
        ContactNeed("acct-9", "phone", 14, 12, 16, 15, name="Call centre"),
        ContactNeed("acct-8", "email", 7, 6, 8, 5),
    ]
    calendar = WorkCalendar(MONDAY, 2, day_start=time(8, 30), timezone=timezone)
    return plan_schedule(request(needs, calendar=calendar))


def test_ics_round_trip_gives_the_same_events_and_tasks() -> None:
    s = _schedule()
    cal = Calendar.from_ical(schedule_ics(s, STAMP, name="Rep 1"))
    assert str(cal["prodid"]) == PRODID and str(cal["version"]) == "2.0"
    assert [str(tz["tzid"]) for tz in cal.walk("VTIMEZONE")] == ["America/Chicago"]
    events = {str(e["uid"]): e for e in cal.walk("VEVENT")}
    todos = {str(t["uid"]): t for t in cal.walk("VTODO")}
    visits = [c for c in s.contacts if c.channel == "visit"]
    remote = [c for c in s.contacts if c.channel != "visit"]
    assert set(events) == {contact_uid(s.rep_id, c) for c in visits}
    assert set(todos) == {contact_uid(s.rep_id, c) for c in remote}
    for c in visits:
        e = events[contact_uid(s.rep_id, c)]
        assert e.decoded("dtstart") == c.start and e.decoded("dtend") == c.end
        assert e.decoded("dtstart").tzinfo.key == "America/Chicago"
        assert str(e["location"]) == c.address and str(e["summary"]) == f"Visit {c.name}"
        assert c.location is not None
        assert (e["geo"].latitude, e["geo"].longitude) == (
            round(c.location[1], 6),
            round(c.location[0], 6),
        )
        assert f"mlat={c.location[1]:.6f}&mlon={c.location[0]:.6f}" in str(e["url"])
        assert f"geo:{c.location[1]:.6f},{c.location[0]:.6f}" in str(e["description"])
        assert e.decoded("dtstamp") == STAMP
    for c in remote:
        t = todos[contact_uid(s.rep_id, c)]
        assert t.decoded("dtstart") == c.start and t.decoded("due") == c.end
        assert str(t["status"]) == "NEEDS-ACTION"


def test_ics_is_stable_and_utc_calendars_use_z_times() -> None:
    s = _schedule("UTC")
    first = schedule_ics(s, STAMP)
    assert first == schedule_ics(s, STAMP)  # same schedule, same bytes: UIDs are stable
    cal = Calendar.from_ical(first)
    assert not cal.walk("VTIMEZONE")
    starts = [line for line in first.split(b"\r\n") if line.startswith(b"DTSTART")]
    assert starts and all(line.endswith(b"Z") and b"TZID" not in line for line in starts)


def test_ics_leaves_out_done_contacts() -> None:
    s = _schedule()
    uids = {str(c["uid"]) for c in Calendar.from_ical(schedule_ics(s, STAMP)).walk() if "uid" in c}
    assert len(uids) == sum(c.status != "done" for c in s.contacts)
