"""Day tours and a rep's monthly load: ours against OR-Tools, in one process.

Part 1, day tours: random instances (fixed seeds) of 10-200 stops uniform in a
100 km x 100 km square (WGS84 lon/lat around 39N 97.5W), home at its centre,
WGS84 geodesic km. Ours is ``geo.travel.tour.solve_tour`` (nearest neighbour + 2-opt
+ Or-opt above 10 points); the baseline is OR-Tools routing with guided local
search and a time limit (2 s; it always runs to the limit). Per instance,
round-robin after a warm-up: ours 3 times (median) then OR-Tools once. Gap =
ours / OR-Tools - 1; the time ratio is OR-Tools' time over ours.

Part 2, monthly load: one rep with 2,000 accounts in an 80 km x 80 km square
around Austin, TX (mixed stages, 10 % remote, 30-90 min visits).
``estimate_travel_load`` runs 3 times after a warm-up, its memos cleared
before each, and must give the same answer each time. The baseline plans the same month with OR-Tools solving
every day's tour (``use_ortools``, short limit); the km must agree.

Run: ``python3 -m bench.travel`` (50 instances, 2 s) or ``--quick`` (5, 0.5 s).
The last line of output is one JSON object with the figures and ratios.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from geo.model import Account, Rep
from geo.travel.dayplan import PLANS
from geo.travel.load import LOADS, TravelLoad, TravelSettings, estimate_travel_load
from geo.travel.matrix import geodesic_km_matrix
from geo.travel.tour import solve_tour, tour_length_km

TOUR_CENTRE = (-97.5, 39.0)
MONTH_HOME = (-97.74, 30.27)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run both parts, print a summary and the JSON line; return the figures."""
    args = _parse(argv)
    tours = _bench_tours(args.instances, args.time_limit, args.min_stops, args.max_stops)
    month = _bench_month(args.accounts, args.month_ortools_limit)
    result = {"bench": "travel", "quick": args.quick, "tours": tours, "month": month}
    print(json.dumps(result, sort_keys=True))
    return result


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--quick", action="store_true", help="5 instances, 0.5 s, 500 accounts")
    p.add_argument("--instances", type=int, default=None, help="tour instances (default 50)")
    p.add_argument("--time-limit", type=float, default=None, help="OR-Tools s/instance (2.0)")
    p.add_argument("--min-stops", type=int, default=10)
    p.add_argument("--max-stops", type=int, default=200)
    p.add_argument("--accounts", type=int, default=None, help="accounts of the rep (2000)")
    p.add_argument("--month-ortools-limit", type=float, default=None, help="s per day (0.05)")
    args = p.parse_args(argv)
    quick_defaults = {
        "instances": 5,
        "time_limit": 0.5,
        "accounts": 500,
        "month_ortools_limit": 0.02,
    }
    full_defaults = {
        "instances": 50,
        "time_limit": 2.0,
        "accounts": 2000,
        "month_ortools_limit": 0.05,
    }
    for key, value in (quick_defaults if args.quick else full_defaults).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    return args


# -- part 1: day tours -------------------------------------------------------------


def _tour_instance(seed: int, min_stops: int, max_stops: int) -> np.ndarray:
    """Home at the centre plus n stops uniform in a 100 km square; geodesic km matrix."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(min_stops, max_stops + 1))
    half_lon = 50.0 / (111.32 * np.cos(np.radians(TOUR_CENTRE[1])))
    half_lat = 50.0 / 110.57
    stops = np.column_stack(
        [
            TOUR_CENTRE[0] + rng.uniform(-half_lon, half_lon, n),
            TOUR_CENTRE[1] + rng.uniform(-half_lat, half_lat, n),
        ]
    )
    return geodesic_km_matrix(np.vstack([TOUR_CENTRE, stops]))


def _timed(fn: Callable[[], list[int]]) -> tuple[list[int], float]:
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def _check_tour(tour: list[int], n: int) -> None:
    if tour[0] != 0 or tour[-1] != 0 or sorted(tour[:-1]) != list(range(n)):
        raise AssertionError(f"not a valid round trip over {n} points: {tour[:10]}...")


def _bench_tours(instances: int, time_limit: float, lo: int, hi: int) -> dict[str, Any]:
    warm = _tour_instance(0, lo, hi)
    solve_tour(warm)
    solve_tour(warm, method="ortools", time_limit_s=min(time_limit, 0.2))
    rows = []
    for i in range(instances):
        d = _tour_instance(1000 + i, lo, hi)
        runs = [_timed(lambda: solve_tour(d)) for _ in range(3)]  # noqa: B023 (called at once)
        ours, ours_s = runs[0][0], statistics.median(t for _, t in runs)
        ref, ref_s = _timed(lambda: solve_tour(d, method="ortools", time_limit_s=time_limit))  # noqa: B023
        _check_tour(ours, len(d))
        _check_tour(ref, len(d))
        nn = solve_tour(d, method="nearest_neighbour")
        ours_km, ref_km = tour_length_km(d, ours), tour_length_km(d, ref)
        rows.append(
            {
                "stops": len(d) - 1,
                "gap_pct": 100.0 * (ours_km / ref_km - 1.0),
                "nn_gap_pct": 100.0 * (tour_length_km(d, nn) / ref_km - 1.0),
                "ours_s": ours_s,
                "ortools_s": ref_s,
                "ratio": ref_s / ours_s,
            }
        )
        print(
            f"tour {i:3d}: {rows[-1]['stops']:3d} stops  gap {rows[-1]['gap_pct']:+6.2f} %  "
            f"ours {ours_s * 1e3:7.2f} ms  OR-Tools {ref_s:5.2f} s  x{rows[-1]['ratio']:7.1f}"
        )
    return _tour_summary(rows, time_limit)


def _tour_summary(rows: list[dict[str, Any]], time_limit: float) -> dict[str, Any]:
    gaps = [r["gap_pct"] for r in rows]
    ratios = [r["ratio"] for r in rows]
    return {
        "instances": len(rows),
        "stops_min": min(r["stops"] for r in rows),
        "stops_max": max(r["stops"] for r in rows),
        "ortools_time_limit_s": time_limit,
        "median_gap_pct": round(statistics.median(gaps), 3),
        "worst_gap_pct": round(max(gaps), 3),
        "best_gap_pct": round(min(gaps), 3),
        "instances_ours_shorter": sum(g < -1e-9 for g in gaps),
        "nn_only_median_gap_pct": round(statistics.median(r["nn_gap_pct"] for r in rows), 3),
        "median_ours_ms": round(1e3 * statistics.median(r["ours_s"] for r in rows), 3),
        "max_ours_ms": round(1e3 * max(r["ours_s"] for r in rows), 3),
        "median_ortools_s": round(statistics.median(r["ortools_s"] for r in rows), 3),
        "median_time_ratio": round(statistics.median(ratios), 1),
        "min_time_ratio": round(min(ratios), 1),
        "target_gap_met": statistics.median(gaps) <= 3.0,
        "target_ratio_met": statistics.median(ratios) >= 20.0,
    }


# -- part 2: a rep's month -----------------------------------------------------------


def _month_book(n: int, seed: int = 42) -> tuple[Rep, list[Account]]:
    rng = np.random.default_rng(seed)
    half_lon = 40.0 / (111.32 * np.cos(np.radians(MONTH_HOME[1])))
    half_lat = 40.0 / 110.57
    lon = MONTH_HOME[0] + rng.uniform(-half_lon, half_lon, n)
    lat = MONTH_HOME[1] + rng.uniform(-half_lat, half_lat, n)
    stage = rng.choice(["lead", "opportunity", "customer"], n, p=[0.2, 0.2, 0.6])
    accounts = [
        Account(
            id=f"ACC{i:05d}",
            location=(float(lon[i]), float(lat[i])),
            stage=str(stage[i]),
            visit_minutes=float(rng.choice([30.0, 45.0, 60.0, 90.0])),
            remote=bool(rng.random() < 0.1),
        )
        for i in range(n)
    ]
    return Rep(1, "Bench rep", home=MONTH_HOME, avg_speed_kmh=55.0), accounts


def _bench_month(n: int, ortools_limit: float) -> dict[str, Any]:
    rep, accounts = _month_book(n)
    estimate_travel_load(rep, accounts[:50])  # warm-up: imports, caches
    loads: list[TravelLoad] = []
    times = []
    for _ in range(3):
        # Each run plans: the memos would make runs 2 and 3 (and so the
        # median and the OR-Tools ratio) a lookup.
        LOADS.clear()
        PLANS.clear()
        start = time.perf_counter()
        loads.append(estimate_travel_load(rep, accounts))
        times.append(time.perf_counter() - start)
    identical = all(load == loads[0] for load in loads[1:])
    if not identical:
        raise AssertionError("estimate_travel_load gave different answers on the same input")
    settings = TravelSettings(use_ortools=True, ortools_time_limit_s=ortools_limit)
    start = time.perf_counter()
    ref = estimate_travel_load(rep, accounts, settings)
    ref_s = time.perf_counter() - start
    load = loads[0]
    assert load.km_per_month is not None and ref.km_per_month is not None
    km_diff_pct = 100.0 * (load.km_per_month / ref.km_per_month - 1.0)
    print(
        f"month: {n} accounts, {load.working_days_needed:.1f} days, {load.km_per_month:.0f} km, "
        f"{statistics.median(times):.3f} s (OR-Tools days: {ref_s:.1f} s, "
        f"km diff {km_diff_pct:+.3f} %)"
    )
    return {
        "accounts": n,
        "visits_per_month": round(load.visits_per_month, 2),
        "planned_visits": load.assumptions["planned_visits"],
        "working_days_needed": round(load.working_days_needed or 0.0, 3),
        "km_per_month": round(load.km_per_month, 3),
        "total_hours": round(load.total_hours or 0.0, 3),
        "status": load.status,
        "runs": len(times),
        "identical_every_run": identical,
        "median_s": round(statistics.median(times), 4),
        "max_s": round(max(times), 4),
        "ortools_days_time_limit_s": ortools_limit,
        "ortools_days_s": round(ref_s, 3),
        "ortools_km_per_month": round(ref.km_per_month, 3),
        "km_diff_pct": round(km_diff_pct, 4),
        "km_agree": abs(km_diff_pct) <= 0.5,
        "time_ratio_vs_ortools_days": round(ref_s / statistics.median(times), 1),
    }


if __name__ == "__main__":
    main()
