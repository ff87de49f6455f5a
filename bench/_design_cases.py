"""Cases of ``bench.design``: each returns a dict of figures for the JSON line."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from bench._design_baselines import gerrychain_recom, metis_alone, simple_repair
from bench._design_data import rep_homes
from geo.design import DesignRequest, MetricSpec, TerritorySpec, design_territories
from geo.design.aggregate import aggregate, locate_in_units, travel_hours
from geo.design.model import UnitGraph
from geo.design.rebalance import rebalance, tradeoff_curve
from geo.design.report import territory_pieces
from geo.design.state import State
from geo.design.units import h3_units
from geo.model import Account
from geo.visits import TravelSettings

__all__ = ["floor_case", "h3_case", "multi_case", "rebalance_case", "single_case"]


def _request(graph: UnitGraph, weights: np.ndarray, k: int, tol: float, **kw: Any) -> DesignRequest:
    metrics = (MetricSpec("zips", tol),)
    specs = tuple(TerritorySpec(f"t{i}") for i in range(k))
    return DesignRequest(graph, weights[:, None], metrics, specs, **kw)


def figures(request: DesignRequest, assignment: np.ndarray, seconds: float) -> dict[str, Any]:
    """Max deviation (%), cut edges, contiguity and time of any assignment."""
    state = State(request, assignment)
    dev = 100.0 * np.abs(state.loads - state.targets) / state.targets
    pieces = territory_pieces(request, state.assign)
    return {
        "max_dev_pct": round(float(dev.max()), 3),
        "cut_edges": state.cut_edges(),
        "contiguous": bool((pieces == 1).all()),
        "s": round(seconds, 3),
    }


def single_case(graph: UnitGraph, zips: np.ndarray, k: int, gc_steps: int) -> dict[str, Any]:
    """One metric at k: ours, METIS alone, simple repair after METIS, GerryChain."""
    request = _request(graph, zips, k, 0.5, seed=1, time_limit_s=10.0)
    t = time.perf_counter()
    ours = design_territories(request)
    out = {"ours": figures(request, ours.assignment, time.perf_counter() - t)}
    t = time.perf_counter()
    metis = metis_alone(graph, zips, k, 1)
    out["metis"] = figures(request, metis, time.perf_counter() - t)
    t = time.perf_counter()
    state = State(request, metis)
    simple_repair(state)
    out["repair"] = figures(request, state.assign, time.perf_counter() - t + out["metis"]["s"])
    if gc_steps > 0 and k <= 30:
        t = time.perf_counter()
        gc, steps = gerrychain_recom(graph, zips, k, 1, steps=gc_steps)
        out["gerrychain"] = figures(request, gc, time.perf_counter() - t) | {"steps": steps}
    out["cut_ratio_vs_metis"] = round(out["ours"]["cut_edges"] / out["metis"]["cut_edges"], 3)
    again = design_territories(request)
    out["deterministic"] = bool((again.assignment == ours.assignment).all())
    return out


def floor_case(graph: UnitGraph, zips: np.ndarray, limit_s: float) -> dict[str, Any]:
    """k=100: one county alone is far above a territory's share."""
    request = _request(graph, zips, 100, 0.5, seed=1, time_limit_s=limit_s)
    t = time.perf_counter()
    result = design_territories(request)
    out = figures(request, result.assignment, time.perf_counter() - t)
    floor = [f for f in result.findings if f.kind == "granularity_floor"]
    out["floor_pct"] = round(floor[0].value or 0.0, 3) if floor else None
    out["floor_unit"] = floor[0].units[0] if floor else None
    out["floor_unit_name"] = graph.names[graph.ids.index(floor[0].units[0])] if floor else None
    out["above_floor_points"] = round(out["max_dev_pct"] - (out["floor_pct"] or 0.0), 3)
    return out


def multi_case(graph: UnitGraph, accounts: list[Account], k: int) -> dict[str, Any]:
    """Workload (1%), revenue and account count (3%) at once, on counties."""
    um = aggregate(graph, accounts, TravelSettings())
    names = ("workload_hours", "revenue", "accounts")
    weights = np.stack([um.column(n) for n in names], axis=1)
    metrics = (MetricSpec(names[0], 1.0), MetricSpec(names[1], 3.0), MetricSpec(names[2], 3.0))
    specs = tuple(TerritorySpec(f"t{i}") for i in range(k))
    request = DesignRequest(graph, weights, metrics, specs, seed=1, time_limit_s=10.0)
    t = time.perf_counter()
    result = design_territories(request)
    seconds = time.perf_counter() - t
    pieces = territory_pieces(request, result.assignment)
    return {
        "k": k,
        "max_dev_pct": {n: round(v, 3) for n, v in result.max_deviation_pct.items()},
        "contiguous": bool((pieces == 1).all()),
        "cut_edges": result.cut_edges,
        "s": round(seconds, 3),
    }


def h3_case(accounts: list[Account], reps: int, resolution: int) -> dict[str, Any]:
    """Workload with travel from each rep's home, on H3 cells; times units and aggregation too."""
    gaps: list[float] = []
    last = [time.perf_counter()]

    def progress(_: float) -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    t = time.perf_counter()
    lonlat = np.array([a.location for a in accounts], dtype=np.float64)
    graph, unit_of = h3_units(lonlat, resolution)
    settings = TravelSettings()
    um = aggregate(graph, accounts, settings, unit_of)
    homes = rep_homes(accounts, reps, 1)
    home_units = locate_in_units(graph, homes)
    specs = tuple(
        TerritorySpec(f"r{i}", home=(float(h[0]), float(h[1])), home_unit=int(u))
        for i, (h, u) in enumerate(zip(homes, home_units, strict=True))
    )
    extra = travel_hours(graph, um.visits, specs, settings)[:, :, None]
    weights = um.column("workload_hours")[:, None]
    metrics = (MetricSpec("workload_hours", 5.0),)
    request = DesignRequest(graph, weights, metrics, specs, extra=extra, seed=1, time_limit_s=25.0)
    result = design_territories(request, progress=progress)
    seconds = time.perf_counter() - t
    homes_inside = all(result.assignment[s.home_unit] == i for i, s in enumerate(specs))
    return {
        "accounts": len(accounts),
        "reps": reps,
        "units": graph.n,
        "max_dev_pct": round(result.max_deviation_pct["workload_hours"], 3),
        "contiguous": all(result.contiguous),
        "homes_inside": homes_inside,
        "max_progress_gap_s": round(max(gaps), 3),
        "s": round(seconds, 3),
    }


def rebalance_case(
    graph: UnitGraph, zips: np.ndarray, states: np.ndarray, shift: dict[str, float]
) -> dict[str, Any]:
    """A k=30 plan, then a demand shift by state; rebalance to 1% moving few units."""
    base = design_territories(_request(graph, zips, 30, 0.5, seed=1, time_limit_s=10.0))
    factor = np.ones(graph.n)
    for fips, f in shift.items():
        factor[states == fips] = f
    request = _request(graph, zips * factor, 30, 1.0, seed=1, time_limit_s=10.0)
    before = figures(request, base.assignment, 0.0)
    t = time.perf_counter()
    result = rebalance(request, base.assignment, max_moved_pct=10.0)
    seconds = time.perf_counter() - t
    after = figures(request, result.assignment, seconds)
    curve = tradeoff_curve(request, base.assignment)
    return {
        "before_max_dev_pct": before["max_dev_pct"],
        "after": after,
        "moved_units_pct": round(100.0 * result.moved_units / graph.n, 3),
        "curve": [
            {
                "cap_pct": p.cap_pct,
                "moved_pct": round(p.moved_pct, 3),
                "max_dev_pct": round(p.max_deviation_pct, 3),
            }
            for p in curve
        ],
    }
