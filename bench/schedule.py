"""Visit schedules: ours against the reps' weekday-zones habit and PyVRP, in one run.

Part 1, one rep: 300 accounts in a 60 km x 60 km square around Austin, TX
(tier A 10 %: visit every 14 days; B 30 %: visit or phone every 28 days;
C 60 %: phone or e-mail every 28 days; 20-60 min on site; 8-hour days, Mon-Fri),
4 weeks, no history. Checks: 0 spacing violations, 0 over-capacity days
(or a proportional stretch, reported), drive km against the weekday-zones
baseline run on the same visits (5 angular zones around home, one per
weekday, neighbours share a week), and every day's route against PyVRP
(0.14, one vehicle, same stops, a short time limit) on the same road-km
matrix (WGS84 geodesic x 1.3).

Part 2, re-plan: a week of "real" contacts (90 % as planned, 5 % a day late,
5 % missed), then a re-plan from day 8 with 2 frozen days; share of the
previous plan's later visits that moved.

Part 3, the team: 50 reps x 300 accounts x 13 weeks, one process per core
(``multiprocessing``), a shorter search per rep; wall time for the team.

Run: ``python3 -m bench.schedule`` or ``--quick`` (4 reps, shorter limits).
Figures are noisy: the machine's cores are shared. The last line of output is
one JSON object with every figure and ratio.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any

from bench._schedule_parts import START, book, pyvrp_day_gaps, week_of_real_contacts, zones_baseline
from geo.schedule.model import ContactDate, ScheduleSettings
from geo.schedule.planner import plan_schedule
from geo.schedule.result import Schedule

TEAM_SETTINGS = ScheduleSettings(time_limit_s=6.0, max_passes=6, max_rounds=0)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the three parts, print a summary and the JSON line; return the figures."""
    args = _parse(argv)
    rep, schedule = _bench_rep(args.accounts, args.pyvrp_seconds)
    replan = _bench_replan(schedule)
    team = _bench_team(args.reps, args.accounts, args.team_weeks)
    result = {"bench": "schedule", "quick": args.quick, "rep": rep, "replan": replan, "team": team}
    result["targets_met"] = {
        "no_spacing_violations": rep["spacing_violations"] == 0,
        "no_over_capacity_days": rep["over_capacity_days"] == 0,
        "driving_10pct_below_zones": rep["km_saved_vs_zones"] >= 0.10,
        "routes_within_3pct_of_pyvrp": rep["pyvrp_max_gap"] <= 0.03,
        "rep_under_30s": rep["seconds"] < 30.0,
        "replan_moves_under_10pct": replan["moved_share"] <= 0.10,
        "team_under_5min": team["seconds"] < 300.0,
    }
    print(json.dumps(result, sort_keys=True))
    return result


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--quick", action="store_true", help="4 reps in the team, 0.05 s PyVRP")
    p.add_argument("--accounts", type=int, default=300)
    p.add_argument("--reps", type=int, default=None, help="reps in the team (50)")
    p.add_argument("--team-weeks", type=int, default=13)
    p.add_argument("--pyvrp-seconds", type=float, default=None, help="per day (0.2)")
    args = p.parse_args(argv)
    if args.reps is None:
        args.reps = 4 if args.quick else 50
    if args.pyvrp_seconds is None:
        args.pyvrp_seconds = 0.05 if args.quick else 0.2
    return args


def _bench_rep(accounts: int, pyvrp_seconds: float) -> tuple[dict[str, Any], Schedule]:
    request = book(accounts, 4, seed=7)
    started = time.perf_counter()
    schedule = plan_schedule(request)
    seconds = time.perf_counter() - started
    zones = zones_baseline(request, schedule)
    gaps = pyvrp_day_gaps(request, schedule, pyvrp_seconds)
    visits = sum(c.channel == "visit" for c in schedule.contacts)
    assert zones["visits"] == visits, "the baseline must serve the same visits"
    figures = {
        "accounts": accounts,
        "seconds": round(seconds, 2),
        "visits": visits,
        "remote_contacts": sum(c.channel != "visit" for c in schedule.contacts),
        "compliance": round(schedule.compliance.ratio, 4),
        "due": schedule.compliance.due,
        "requested": schedule.compliance.requested,
        "spacing_violations": len(schedule.violations),
        "over_capacity_days": schedule.over_capacity_days,
        "overtime_hours": round(schedule.overtime_hours, 3),
        "stretch_factor": schedule.stretch[0].factor if schedule.stretch else 1.0,
        "unplaced": len(schedule.unplaced),
        "drive_km": round(schedule.drive_km, 1),
        "drive_km_per_week": [round(w.drive_km, 1) for w in schedule.weeks],
        "drive_hours_per_week": [round(w.drive_hours, 2) for w in schedule.weeks],
        "max_day_hours": round(max(d.hours for d in schedule.days), 3),
        "zones_drive_km": round(zones["drive_km"], 1),
        "zones_over_capacity_days": zones["over_capacity_days"],
        "km_saved_vs_zones": round(1.0 - schedule.drive_km / zones["drive_km"], 4),
        "pyvrp_days": len(gaps),
        "pyvrp_max_gap": round(max(gaps, default=0.0), 4),
        "pyvrp_mean_gap": round(sum(gaps) / len(gaps), 4) if gaps else 0.0,
        "stopped": schedule.stopped,
    }
    return figures, schedule


def _bench_replan(first: Schedule) -> dict[str, Any]:
    request = book(len({c.account_id for c in first.contacts}) or 300, 4, seed=7)
    done = week_of_real_contacts(first, seed=11)
    previous = tuple(ContactDate(c.account_id, c.channel, c.day) for c in first.contacts)
    replan_from = START + timedelta(days=7)
    again = replace(request, done=done, previous=previous, replan_from=replan_from)
    started = time.perf_counter()
    schedule = plan_schedule(again)
    seconds = time.perf_counter() - started
    kept_done = sum(c.status == "done" for c in schedule.contacts)
    return {
        "seconds": round(seconds, 2),
        "done_contacts": len(done),
        "done_kept": kept_done,
        "frozen": sum(c.status == "frozen" for c in schedule.contacts),
        "previous_future_visits": schedule.previous_visits,
        "moved_visits": schedule.moved_visits,
        "moved_share": round(schedule.moved_visits / max(schedule.previous_visits, 1), 4),
        "spacing_violations": len(schedule.violations),
        "over_capacity_days": schedule.over_capacity_days,
    }


def _one_rep(args: tuple[int, int, int]) -> dict[str, float]:
    rep_id, accounts, weeks = args
    request = replace(
        book(accounts, weeks, seed=100 + rep_id, rep_id=rep_id), settings=TEAM_SETTINGS
    )
    s = plan_schedule(request)
    return {
        "drive_km": s.drive_km,
        "compliance": s.compliance.ratio,
        "over_capacity_days": s.over_capacity_days,
        "violations": len(s.violations),
    }


def _bench_team(reps: int, accounts: int, weeks: int) -> dict[str, Any]:
    processes = os.cpu_count() or 1
    started = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        rows = pool.map(_one_rep, [(r, accounts, weeks) for r in range(1, reps + 1)], chunksize=1)
    seconds = time.perf_counter() - started
    return {
        "reps": reps,
        "accounts_per_rep": accounts,
        "weeks": weeks,
        "processes": processes,
        "seconds": round(seconds, 1),
        "seconds_per_rep": round(seconds * processes / max(reps, 1), 2),
        "min_compliance": round(min(r["compliance"] for r in rows), 4),
        "over_capacity_days": sum(int(r["over_capacity_days"]) for r in rows),
        "spacing_violations": sum(int(r["violations"]) for r in rows),
        "drive_km_total": round(sum(r["drive_km"] for r in rows), 1),
    }


if __name__ == "__main__":
    main()
