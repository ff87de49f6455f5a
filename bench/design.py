"""Territory design on the 3,108 contiguous-US counties, against METIS, a repair and GerryChain.

Data: counties from the ``plotly-geo`` wheel weighted by ZIP codes per
county (``zipcodes``); 100,000 synthetic accounts at jittered ZIP points for
the multi-metric and H3 cases. Every method's answer is scored by the same
function (max deviation from target, cut edges, contiguity). The machine's
cores are shared, so times are noisy.

Cases: one metric at k = 10, 30, 50 (0.5% tolerance); three metrics at
k = 30; the k = 100 granularity floor; workload with travel for 50 reps on
H3 cells; rebalancing a k = 30 plan after a demand shift, with the curve of
balance against units moved.

Run: ``python3 -m bench.design`` or ``--quick`` (fewer GerryChain steps,
20,000 accounts, k = 10 and 30 only). The last line is one JSON object.
Times are wall (``s``) and CPU (``cpu_s``) seconds; with other jobs on the
machine the CPU figure is the one to compare, and the time checks use it
except ``single_under_2s`` (wall).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from bench._design_cases import floor_case, h3_case, multi_case, rebalance_case, single_case
from bench._design_data import county_units, synthetic_accounts

# +30% in Texas, Colorado and Washington, -20% in Ohio: pushes the k=30
# plan to about 27% max deviation, as in the issue.
SHIFT = {"48": 1.3, "08": 1.3, "53": 1.3, "39": 0.8}
# The three largest states up at once (+30% CA, TX, FL, -20% NY): a
# min-cost flow says about 7,200 ZIP codes must cross borders, while the
# 232 counties on the borders it crosses hold about 4,000; the cap binds
# (about 11.5% of counties reach 0.75%). A harder shift than the issue's
# example, so it is reported beside the checks (``stress``), against the
# same target, to keep the gap in sight.
SHIFT_LARGE = {"06": 1.3, "48": 1.3, "12": 1.3, "36": 0.8}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run every case and print one JSON line."""
    args = _parse(argv)
    t = time.perf_counter()
    graph, zips, states = county_units()
    out: dict[str, Any] = {"units": graph.n, "graph_s": round(time.perf_counter() - t, 2)}
    ks = (10, 30) if args.quick else (10, 30, 50)
    for k in ks:
        out[f"single_k{k}"] = single_case(graph, zips, k, 5 if args.quick else 40)
    accounts = synthetic_accounts(20_000 if args.quick else 100_000, seed=1)
    out["multi_k30"] = multi_case(graph, accounts, 30)
    out["floor_k100"] = floor_case(graph, zips, 3.0 if args.quick else 20.0)
    out["h3_workload"] = h3_case(accounts, 50, 4)
    out["rebalance_k30"] = rebalance_case(graph, zips, states, SHIFT)
    if not args.quick:
        out["rebalance_k30_large_states"] = rebalance_case(graph, zips, states, SHIFT_LARGE)
    out["checks"] = _checks(out, ks)
    if "rebalance_k30_large_states" in out:
        out["stress"] = {
            "rebalance_large_states_1pct_moving_le_10pct": _rebalanced(
                out["rebalance_k30_large_states"]
            )
        }
    print(json.dumps(out))
    return out


def _checks(out: dict[str, Any], ks: tuple[int, ...]) -> dict[str, bool]:
    single = [out[f"single_k{k}"] for k in ks]
    multi, h3, reb, floor = (
        out["multi_k30"],
        out["h3_workload"],
        out["rebalance_k30"],
        out["floor_k100"],
    )
    checks = {
        "single_within_0_5pct": all(s["ours"]["max_dev_pct"] <= 0.5 for s in single),
        "single_contiguous": all(s["ours"]["contiguous"] for s in single),
        "single_cut_le_1_2x_metis": all(s["cut_ratio_vs_metis"] <= 1.2 for s in single),
        "single_under_2s": all(s["ours"]["s"] < 2.0 for s in single),
        "single_under_2s_cpu": all(s["ours"]["cpu_s"] < 2.0 for s in single),
        "single_deterministic": all(s["deterministic"] for s in single),
        "single_beats_repair": all(
            s["ours"]["max_dev_pct"] <= s["repair"]["max_dev_pct"] for s in single
        ),
        "multi_ok": multi["max_dev_pct"]["workload_hours"] <= 1.0
        and max(multi["max_dev_pct"]["revenue"], multi["max_dev_pct"]["accounts"]) <= 3.0
        and multi["cpu_s"] < 10.0,
        "floor_within_0_5_points": floor["above_floor_points"] <= 0.5
        and floor["floor_unit"] is not None,
        "h3_within_5pct_under_30s": h3["max_dev_pct"] <= 5.0
        and h3["s"] < 30.0
        and h3["homes_inside"],
        "rebalance_1pct_moving_le_10pct": _rebalanced(reb),
    }
    return checks


def _rebalanced(case: dict[str, Any]) -> bool:
    """The issue's rebalance target: 1% max deviation moving at most 10% of units."""
    return bool(case["after"]["max_dev_pct"] <= 1.0 and case["moved_units_pct"] <= 10.0)


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    return parser.parse_args(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
