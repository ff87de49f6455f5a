"""Turn the laid tracks and days into the `Schedule` answer.

Internal to the scheduler. Definitions stated in every answer:

- a contact is *in its window* when it falls ``min_days``..``max_days``
  (stretched) after the account's previous contact on that channel (done,
  frozen or planned), and was not already overdue when planning started;
- *due*: contacts the stretched cadence asks for whose window closes inside
  the horizon (plus those placed); *requested*: the same count for the
  cadence as written; visits no day can hold (no location, or a round trip
  longer than a working day) are listed as unplaced with that reason and
  are in neither count;
- a *gap violation* is two consecutive contacts closer than ``min_days`` or
  further apart than ``max_days``;
- *moved*: visits of the previous plan after the frozen days that are not in
  the new plan on the same day.
"""

from __future__ import annotations

from datetime import timedelta

from geo.schedule.chain import Occ, Track
from geo.schedule.days import Days
from geo.schedule.horizon import Horizon
from geo.schedule.model import ContactDate, ContactNeed, ScheduleRequest
from geo.schedule.result import (
    Compliance,
    DayPlan,
    GapViolation,
    Schedule,
    ScheduledContact,
    Stretch,
    Unplaced,
    WeekFigures,
)
from geo.schedule.timeline import Slot, time_day

__all__ = ["build_schedule"]


def build_schedule(
    request: ScheduleRequest,
    hz: Horizon,
    tracks: list[Track],
    days: Days,
    frozen: list[ContactDate],
    stretch: float,
    stopped: bool,
) -> Schedule:
    """Assemble the answer; see the module docstring for the definitions."""
    occ_at = {(t.index, o.day): o for t in tracks for o in t.occs if o.day >= 0}
    need_of = {(n.account_id, n.channel): i for i, n in enumerate(request.needs)}
    frozen_at = {(need_of[(c.account_id, c.channel)], hz.index(c.on)) for c in frozen}
    violations = _violations(request, hz, tracks, frozen)
    contacts, day_plans = _contacts_and_days(request, hz, days, occ_at, frozen_at)
    late_frozen = {(v.account_id, v.channel, v.second) for v in violations}
    frozen_ok = sum(
        (request.needs[i].account_id, request.needs[i].channel, hz.dates[d]) not in late_frozen
        for i, d in frozen_at
    )
    due = sum(len(t.occs) for t in tracks) + len(frozen_at)
    in_window = frozen_ok + sum(_in_window(o) for t in tracks for o in t.occs if o.day >= 0)
    previous, moved = _moved(request, hz, contacts)
    return Schedule(
        rep_id=request.rep_id,
        contacts=tuple(contacts),
        days=tuple(day_plans),
        weeks=_weeks(request, hz, day_plans, contacts),
        compliance=Compliance(due, in_window, _requested(request, hz, tracks)),
        stretch=_stretches(request, stretch),
        unplaced=_unplaced(request, hz, tracks),
        violations=tuple(violations),
        moved_visits=moved,
        previous_visits=previous,
        stopped=stopped,
    )


def _in_window(o: Occ) -> bool:
    return not o.late and o.lo <= o.day <= o.hi


def _contacts_and_days(
    request: ScheduleRequest,
    hz: Horizon,
    days: Days,
    occ_at: dict[tuple[int, int], Occ],
    frozen_at: set[tuple[int, int]],
) -> tuple[list[ScheduledContact], list[DayPlan]]:
    needs = request.needs
    need_of_node = {node: i for i, node in hz.node_of.items()}
    remote: dict[int, list[int]] = {}
    for i, d in sorted({*occ_at, *frozen_at}, key=lambda k: (k[1], needs[k[0]].priority, k[0])):
        if needs[i].remote:
            remote.setdefault(d, []).append(i)
    known = {n.account_id: n for n in reversed(needs)}  # the first need of each account
    contacts = [
        _done(known.get(c.account_id), c)
        for c in request.done
        if 0 <= hz.index(c.on) < len(hz.dates)
    ]
    plans = []
    for d in range(hz.today, len(hz.dates)):
        if not hz.working[d]:
            continue
        slots, plan = time_day(
            hz.dates[d],
            request.calendar,
            needs,
            remote.get(d, []),
            days.tours[d],
            need_of_node,
            hz.matrix_km,
            request.speed_kmh,
        )
        plans.append(plan)
        contacts += [_contact(request, hz, s, d, occ_at, frozen_at) for s in slots]
    return contacts, plans


def _done(n: ContactNeed | None, c: ContactDate) -> ScheduledContact:
    """A contact that happened, with the account's name and place when a need knows them."""
    if n is None:
        return ScheduledContact(c.account_id, c.channel, c.on, "done")
    return ScheduledContact(
        c.account_id, c.channel, c.on, "done", name=n.name, address=n.address, location=n.location
    )


def _contact(
    request: ScheduleRequest,
    hz: Horizon,
    s: Slot,
    d: int,
    occ_at: dict[tuple[int, int], Occ],
    frozen_at: set[tuple[int, int]],
) -> ScheduledContact:
    n = request.needs[s.need]
    o = occ_at.get((s.need, d))
    in_time = None
    if n.time_window is not None:
        in_time = n.time_window[0] <= s.start.time() and s.end.time() <= n.time_window[1]
    return ScheduledContact(
        account_id=n.account_id,
        channel=n.channel,
        day=hz.dates[d],
        status="frozen" if (s.need, d) in frozen_at else "planned",
        start=s.start,
        end=s.end,
        sequence=s.sequence,
        earliest=None if o is None else hz.dates[0] + timedelta(days=o.lo),
        latest=None if o is None else hz.dates[0] + timedelta(days=o.hi),
        in_window=True if o is None else _in_window(o),
        in_time_window=in_time,
        name=n.name,
        address=n.address,
        location=n.location,
    )


def _violations(
    request: ScheduleRequest, hz: Horizon, tracks: list[Track], frozen: list[ContactDate]
) -> list[GapViolation]:
    history: dict[tuple[str, str], set[int]] = {}
    for c in (*request.done, *frozen):
        history.setdefault((c.account_id, c.channel), set()).add(hz.index(c.on))
    out = []
    for t in tracks:
        n = request.needs[t.index]
        seq = sorted(
            history.get((n.account_id, n.channel), set()) | {o.day for o in t.occs if o.day >= 0}
        )
        for a, b in zip(seq[:-1], seq[1:], strict=True):
            gap, (lo, hi) = b - a, t.window(a)
            if b >= 0 and not lo <= gap <= hi:
                kind = "too-close" if gap < lo else "too-far"
                first, second = hz.dates[0] + timedelta(days=a), hz.dates[0] + timedelta(days=b)
                out.append(GapViolation(n.account_id, n.channel, first, second, gap, lo, hi, kind))
    return out


def _unplaced(request: ScheduleRequest, hz: Horizon, tracks: list[Track]) -> tuple[Unplaced, ...]:
    start = hz.dates[0]
    out = []
    for t in tracks:
        n = request.needs[t.index]
        for o in t.occs:
            if o.day < 0:
                at = [start + timedelta(days=v) for v in (o.target, o.lo, o.hi)]
                out.append(
                    Unplaced(
                        n.account_id, n.channel, at[0], at[1], at[2], o.reason or "over-capacity"
                    )
                )
    first = hz.dates[min(hz.first_free, len(hz.dates) - 1)]
    for i, n in enumerate(request.needs):
        if n.channel == "visit" and i not in hz.node_of:
            why = "beyond-a-day-trip" if i in hz.beyond_day else "no-location"
            out.append(Unplaced(n.account_id, n.channel, first, first, hz.dates[-1], why))
    return tuple(out)


def _requested(request: ScheduleRequest, hz: Horizon, tracks: list[Track]) -> int:
    """Contacts the cadence as written asks for: windows (unstretched) closing in the horizon."""
    total = 0
    for t in tracks:
        n = request.needs[t.index]
        if t.last is None:
            close = hz.first_free + n.interval_on(hz.dates[0]) - 1
        else:
            close = t.last + n.max_days * n.interval_on(hz.dates[0]) / n.interval_days
        while close < len(hz.dates):
            total += 1
            close += n.interval_on(hz.dates[max(0, int(close))])
    return total


def _stretches(request: ScheduleRequest, stretch: float) -> tuple[Stretch, ...]:
    if stretch <= 1.0:
        return ()
    return tuple(
        Stretch(n.account_id, n.channel, n.interval_days, n.interval_days * stretch, stretch)
        for n in request.needs
    )


def _weeks(
    request: ScheduleRequest, hz: Horizon, plans: list[DayPlan], contacts: list[ScheduledContact]
) -> tuple[WeekFigures, ...]:
    out = []
    for w in range(request.calendar.weeks):
        lo, hi = hz.dates[7 * w], hz.dates[7 * w] + timedelta(days=7)
        mine = [p for p in plans if lo <= p.day < hi]
        planned = [c for c in contacts if lo <= c.day < hi and c.status != "done"]
        out.append(
            WeekFigures(
                week_start=lo,
                drive_km=sum(p.drive_km for p in mine),
                drive_hours=sum(p.drive_hours for p in mine),
                visits=sum(c.channel == "visit" for c in planned),
                remote_contacts=sum(c.channel != "visit" for c in planned),
            )
        )
    return tuple(out)


def _moved(
    request: ScheduleRequest, hz: Horizon, contacts: list[ScheduledContact]
) -> tuple[int, int]:
    old = {
        (c.account_id, c.on)
        for c in request.previous
        if c.channel == "visit" and hz.index(c.on) >= hz.first_free
    }
    new = {
        (c.account_id, c.day) for c in contacts if c.channel == "visit" and c.status == "planned"
    }
    return len(old), len(old - new)
