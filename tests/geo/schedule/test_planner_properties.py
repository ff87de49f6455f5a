"""Properties every schedule keeps, on random small books and calendars (Hypothesis)."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.schedule.model import ContactNeed, ScheduleSettings, WorkCalendar
from geo.schedule.planner import plan_schedule

from .books import MONDAY, points, request

REASONS = {"no-location", "no-working-day", "over-capacity", "beyond-a-day-trip"}
QUICK = ScheduleSettings(time_limit_s=5.0, max_passes=3, max_rounds=3)


@st.composite
def books(draw: st.DrawFn) -> tuple[list[ContactNeed], WorkCalendar]:
    seed = draw(st.integers(0, 10_000))
    every = draw(st.lists(st.sampled_from([3, 7, 10, 14, 28]), min_size=1, max_size=25))
    minutes = draw(st.sampled_from([20.0, 45.0, 90.0, 200.0]))
    where = points(len(every), seed, half_deg=draw(st.sampled_from([0.05, 0.3, 0.8])))
    needs = []
    for i, (days, p) in enumerate(zip(every, where, strict=True)):
        slack = max(1, round(days * 0.15))
        channel = draw(st.sampled_from(["visit", "visit", "phone", "email"]))
        needs.append(
            ContactNeed(f"a{i}", channel, days, max(1, days - slack), days + slack, minutes, p)
        )
    closed = draw(st.lists(st.integers(0, 20), max_size=6, unique=True))
    hours = draw(st.sampled_from([4.0, 8.0]))
    calendar = WorkCalendar(
        MONDAY, 3, day_hours=hours, holidays=tuple(MONDAY + timedelta(days=d) for d in closed)
    )
    return needs, calendar


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(books())
def test_schedule_never_overfills_a_day_and_accounts_for_every_contact(
    book: tuple[list[ContactNeed], WorkCalendar],
) -> None:
    needs, calendar = book
    s = plan_schedule(request(needs, calendar=calendar, settings=QUICK))
    assert s.over_capacity_days == 0
    assert all(d.hours <= calendar.day_hours + 1e-6 for d in s.days)
    assert not {c.day for c in s.contacts} & set(calendar.holidays)
    by_day: dict[object, list[tuple[object, object]]] = {}
    for c in s.contacts:
        by_day.setdefault(c.day, []).append((c.start, c.end))
    for slots in by_day.values():
        ordered = sorted(slots)  # type: ignore[type-var]
        assert all(a[1] <= b[0] for a, b in zip(ordered, ordered[1:], strict=False))  # type: ignore[operator]
    assert {u.reason for u in s.unplaced} <= REASONS
    assert 0 <= s.compliance.in_window <= s.compliance.due
    # Visits no day can hold (no location, beyond a day trip) are reported, not counted as due.
    unroutable = ("no-location", "beyond-a-day-trip")
    assert s.compliance.due >= len([u for u in s.unplaced if u.reason not in unroutable])
    if s.stretch:
        assert len({x.factor for x in s.stretch}) == 1
