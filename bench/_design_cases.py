"""Cases of ``bench.design``: each returns a dict of figures for the JSON line."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from bench._design_baselines import gerrychain_recom, metis_alone, simple_repair
from bench._design_data import rep_homes
from geo.design import DesignRequest, MetricSpec, TerritorySpec, design_territories
from geo.design.aggregate import aggregate, locate_in_units, travel_hours
from geo.design.flow import min_cost_flows
from geo.design.model import UnitGraph
from geo.design.rebalance import rebalance, tradeoff_curve
from geo.design.report import territory_pieces
from geo.design.state import State
from geo.design.units import h3_units
from geo.model import Account
from geo.travel.visits import TravelSettings

__all__ = ["floor_case", "h3_case", "multi_case", "rebalance_case", "single_case"]


def _request(graph: UnitGraph, weights: np.ndarray, k: int, tol: float, **kw: Any) -> DesignRequest:
    metrics = (MetricSpec("zips", tol),)
    specs = tuple(TerritorySpec(f"t{i}") for i in range(k))
    return DesignRequest(graph, weights[:, None], metrics, specs, **kw)


class Timer:
    """Wall and CPU seconds of one block (the CPU is shared: CPU time is the steadier figure)."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def done(self) -> tuple[float, float]:
        """(wall s, cpu s) since creation."""
        return time.perf_counter() - self.wall, time.process_time() - self.cpu


def figures(
    request: DesignRequest, assignment: np.ndarray, seconds: float | tuple[float, float]
) -> dict[str, Any]:
    """Max deviation (%), cut edges, contiguity and time (wall, cpu) of any assignment."""
    wall, cpu = seconds if isinstance(seconds, tuple) else (seconds, seconds)
    state = State(request, assignment)
    dev = 100.0 * np.abs(state.loads - state.targets) / state.targets
    pieces = territory_pieces(request, state.assign)
    return {
        "max_dev_pct": round(float(dev.max()), 3),
        "cut_edges": state.cut_edges(),
        "contiguous": bool((pieces == 1).all()),
        "s": round(wall, 3),
        "cpu_s": round(cpu, 3),
    }


def single_case(graph: UnitGraph, zips: np.ndarray, k: int, gc_steps: int) -> dict[str, Any]:
    """One metric at k: ours, METIS alone, simple repair after METIS, GerryChain."""
    # A generous budget: the run ends by itself; on a loaded machine a
    # tight wall-clock budget would cut it (and make it seed-dependent).
    request = _request(graph, zips, k, 0.5, seed=1, time_limit_s=60.0)
    t = Timer()
    ours = design_territories(request)
    out: dict[str, Any] = {"ours": figures(request, ours.assignment, t.done())}
    t = Timer()
    metis = metis_alone(graph, zips, k, 1)
    out["metis"] = figures(request, metis, t.done())
    state = State(request, metis)
    simple_repair(state)  # timed from before METIS: the repair includes its start
    out["repair"] = figures(request, state.assign, t.done())
    if gc_steps > 0 and k <= 30:
        t = Timer()
        gc, steps = gerrychain_recom(graph, zips, k, 1, steps=gc_steps)
        out["gerrychain"] = figures(request, gc, t.done()) | {"steps": steps}
    out["cut_ratio_vs_metis"] = round(out["ours"]["cut_edges"] / out["metis"]["cut_edges"], 3)
    again = design_territories(request)
    out["deterministic"] = bool((again.assignment == ours.assignment).all())
    return out


def floor_case(graph: UnitGraph, zips: np.ndarray, limit_s: float) -> dict[str, Any]:
    """k=100: one county alone is far above a territory's share."""
    request = _request(graph, zips, 100, 0.5, seed=1, time_limit_s=limit_s)
    t = Timer()
    result = design_territories(request)
    out = figures(request, result.assignment, t.done())
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
    request = DesignRequest(graph, weights, metrics, specs, seed=1, time_limit_s=120.0)
    t = Timer()
    result = design_territories(request)
    wall, cpu = t.done()
    pieces = territory_pieces(request, result.assignment)
    return {
        "k": k,
        "max_dev_pct": {n: round(v, 3) for n, v in result.max_deviation_pct.items()},
        "contiguous": bool((pieces == 1).all()),
        "cut_edges": result.cut_edges,
        "s": round(wall, 3),
        "cpu_s": round(cpu, 3),
    }


def h3_case(accounts: list[Account], reps: int, resolution: int) -> dict[str, Any]:
    """Workload with travel from each rep's home, on H3 cells; times units and aggregation too."""
    gaps: list[float] = []
    cpu_gaps: list[float] = []
    last = [time.perf_counter(), time.process_time()]

    def progress(_: float) -> None:
        now = time.perf_counter(), time.process_time()
        gaps.append(now[0] - last[0])
        cpu_gaps.append(now[1] - last[1])
        last[:] = now

    t = Timer()
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
    request = DesignRequest(graph, weights, metrics, specs, extra=extra, seed=1, time_limit_s=120.0)
    last[:] = [time.perf_counter(), time.process_time()]  # gaps of the design run only
    result = design_territories(request, progress=progress)
    wall, cpu = t.done()
    homes_inside = all(result.assignment[s.home_unit] == i for i, s in enumerate(specs))
    return {
        "accounts": len(accounts),
        "reps": reps,
        "units": graph.n,
        "max_dev_pct": round(result.max_deviation_pct["workload_hours"], 3),
        "contiguous": all(result.contiguous),
        "homes_inside": homes_inside,
        "max_progress_gap_s": round(max(gaps), 3),
        "max_progress_gap_cpu_s": round(max(cpu_gaps), 3),
        "s": round(wall, 3),
        "cpu_s": round(cpu, 3),
    }


def rebalance_case(
    graph: UnitGraph, zips: np.ndarray, states: np.ndarray, shift: dict[str, float]
) -> dict[str, Any]:
    """A k=30 plan, then a demand shift by state; rebalance to 1% moving few units."""
    base = design_territories(_request(graph, zips, 30, 0.5, seed=1, time_limit_s=60.0))
    factor = np.ones(graph.n)
    for fips, f in shift.items():
        factor[states == fips] = f
    request = _request(graph, zips * factor, 30, 1.0, seed=1, time_limit_s=60.0)
    state = State(request, base.assignment)
    needed = sum(min_cost_flows(state, 0).values())
    before = figures(request, base.assignment, 0.0)
    t = Timer()
    result = rebalance(request, base.assignment, max_moved_pct=10.0)
    after = figures(request, result.assignment, t.done())
    moved_load = float((zips * factor)[result.assignment != base.assignment].sum())
    curve = tradeoff_curve(request, base.assignment)
    return {
        "shift": shift,
        "before_max_dev_pct": before["max_dev_pct"],
        "after": after,
        "moved_units_pct": round(100.0 * result.moved_units / graph.n, 3),
        "moved_zips": round(moved_load, 1),
        "min_flow_zips": round(needed, 1),
        "curve": [
            {
                "cap_pct": p.cap_pct,
                "moved_pct": round(p.moved_pct, 3),
                "max_dev_pct": round(p.max_deviation_pct, 3),
            }
            for p in curve
        ],
    }
