"""Design balanced, contiguous territories from units: the public entry point.

Method (each step a well-kept library or a small, documented routine):

1. start: METIS with contiguous parts (``pymetis``), or growth from the
   reps' homes and locked units when there are any;
2. balance: chains of border-unit moves from the worst territory to one on
   the other side of its target (:mod:`geo.design.local_search`), with a
   ReCom merge-and-split (:mod:`geo.design.recom`) when chains stall;
3. compactness: moves that cut fewer unit edges within tolerance, then a
   last balance pass;
4. report: figures and findings (:mod:`geo.design.report`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import numpy as np

from geo.design.control import Clock
from geo.design.local_search import chain_push, tighten
from geo.design.model import DesignRequest, DesignResult, Finding, Progress, ShouldStop
from geo.design.partition import start_partition
from geo.design.recom import recombine
from geo.design.report import pre_findings, summarize
from geo.design.state import State

__all__ = ["design_territories", "improve"]

RECOM_TREES = 12  # random spanning trees tried per pair (5-10 ms each), +4 per effort step
RECOM_PAIRS = 4  # neighbours of a stuck territory tried, +2 per effort step
MAX_EFFORT = 4  # widening steps before a stuck search gives up
OK, FAILED, CAPPED = 1, 0, -1
STALL_GAIN = 1e-3  # least relative energy gain over a window of rounds to go on


def design_territories(
    request: DesignRequest,
    *,
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
    start: np.ndarray | None = None,
) -> DesignResult:
    """Partition the units into ``request.k`` balanced, contiguous territories.

    Parameters
    ----------
    request : DesignRequest
    progress : callable, optional
        Called with a fraction in [0, 1] at least every 0.2 s while running.
    should_stop : callable, optional
        Polled between moves; when it answers true the run stops within a
        few milliseconds and returns the best plan so far, with a
        ``stopped`` finding.
    start : ndarray of int, optional
        A starting assignment; METIS or seeded growth otherwise.

    Notes
    -----
    Deterministic for a given request and ``seed`` as long as the run ends
    by itself (tolerance met, or stalled); a run cut by ``time_limit_s`` or
    a cancel depends on where the clock stopped it. Distances are geodesic
    km (WGS84); loads are in the units of each metric column.

    Returns
    -------
    DesignResult

    Examples
    --------
    >>> import shapely
    >>> from geo.design.model import MetricSpec, TerritorySpec
    >>> from geo.design.units import unit_graph
    >>> boxes = [shapely.box(x, 0, x + 1, 1) for x in range(4)]
    >>> g = unit_graph(list("abcd"), boxes)
    >>> req = DesignRequest(g, np.ones((4, 1)), (MetricSpec("accounts", 1.0),),
    ...                     (TerritorySpec("east"), TerritorySpec("west")))
    >>> design_territories(req).max_deviation_pct
    {'accounts': 0.0}
    """
    clock = Clock(progress, should_stop, request.time_limit_s)
    clock.report(0.0)
    state = State(request, start if start is not None else start_partition(request))
    _seed_empty(state)
    findings = pre_findings(request, state.allowed)
    clock.report(0.05)
    rng = np.random.default_rng(request.seed)
    iterations = improve(state, clock, rng)
    if tighten(state, clock):
        # Compactness moves keep every territory within tolerance, but with
        # travel in the metric they shift the total and so every target:
        # one more balance pass settles that.
        iterations += improve(state, clock, rng)
    findings += _stop_findings(clock)
    result = summarize(state, findings, iterations=iterations)
    clock.report(1.0)
    return result


def improve(
    state: State,
    clock: Clock,
    rng: np.random.Generator,
    *,
    cap: Callable[[State], float] | None = None,
) -> int:
    """Lower the worst deviation until every territory is within tolerance or stuck.

    A territory is stuck when neither a chain nor a recombination helps it;
    an accepted change un-sticks all (partners and paths are global). The
    loop also ends when ``sum z**4`` gained less than 0.1% over the last
    ``2k + 30`` rounds: an unreachable tolerance ends in a report, not a
    run to the time limit. ``cap(state)`` is the budget left (rebalancing
    under ``max_moved_pct``): a change that takes it below 0 is undone; the
    loop ends when it reaches 0 or after ``k`` undos in a row.
    Returns the number of rounds.
    """
    stuck = {t for t in range(state.k) if _hopeless(state, t)}
    floor = set(stuck)
    state.refresh_targets(floor)
    rounds, effort, capped = 0, 1, 0
    window = 2 * state.k + 30
    history: deque[float] = deque(maxlen=window)
    while not clock.stopped():
        rounds += 1
        history.append(_open_energy(state, stuck))
        if len(history) == window and history[-1] > history[0] * (1.0 - STALL_GAIN):
            break  # no real gain for a while: the tolerance is out of reach
        if state.extra is not None:
            state.refresh_targets(floor)
        worst = _worst(state, stuck)
        clock.report(0.05 + 0.85 * max(clock.budget_fraction(), _within_share(state)))
        if worst is None and effort < MAX_EFFORT and _outside(state, stuck):
            # Everything left is stuck at this effort: look wider (more
            # partners, paths, trees) before giving up.
            effort += 1
            stuck = {t for t in range(state.k) if _hopeless(state, t)}
            continue
        if worst is None:
            break
        outcome = _step(state, worst, rng, cap, effort, clock)
        if outcome == OK:
            stuck = {t for t in range(state.k) if _hopeless(state, t)}
            if not stuck <= floor:
                floor |= stuck
                state.refresh_targets(floor)
        else:
            stuck.add(worst)
        capped = capped + 1 if outcome == CAPPED else 0
        if capped > state.k or (cap is not None and cap(state) <= 0.0):
            break  # the budget is spent
    state.refresh_targets()
    return rounds


def _outside(state: State, stuck: set[int]) -> bool:
    """Whether a territory outside tolerance is stuck for a reason effort could change."""
    z = np.abs(state.z()).max(axis=1)
    return any(z[t] > 1.0 and not _hopeless(state, t) for t in stuck)


def _open_energy(state: State, stuck: set[int]) -> float:
    """``sum z**4`` over territories that can still change (not hopeless)."""
    z4 = (state.z() ** 4).sum(axis=1)
    hopeless = [t for t in stuck if _hopeless(state, t)]
    z4[hopeless] = 0.0
    return float(z4.sum())


def _hopeless(state: State, t: int) -> bool:
    """Over target with nothing it could give away (one unit, or all locked)."""
    if (state.z(t) <= 1.0).all():
        return False
    members = np.flatnonzero(state.assign == t)
    return bool(len(members) <= 1 or state.frozen[members].all())


def _step(
    state: State,
    worst: int,
    rng: np.random.Generator,
    cap: Callable[[State], float] | None,
    effort: int,
    clock: Clock,
) -> int:
    """One chain or recombination for ``worst``: ``OK``, ``FAILED`` or ``CAPPED`` (undone)."""
    before = state.assign.copy() if cap is not None else None
    ok = chain_push(state, worst, rng, effort=effort, clock=clock) or _recombine_around(
        state, worst, rng, effort, clock
    )
    if ok and before is not None and cap is not None and cap(state) < 0.0:
        for u in np.flatnonzero(state.assign != before).tolist():
            state.move(u, int(before[u]))
        return CAPPED
    return OK if ok else FAILED


def _worst(state: State, stuck: set[int]) -> int | None:
    z = np.abs(state.z()).max(axis=1)
    for t in np.argsort(-z, kind="stable").tolist():
        if z[t] <= 1.0:
            return None
        if t not in stuck:
            return int(t)
    return None


def _within_share(state: State) -> float:
    return float((np.abs(state.z()).max(axis=1) <= 1.0).mean())


def _recombine_around(
    state: State, worst: int, rng: np.random.Generator, effort: int, clock: Clock
) -> bool:
    z = state.z()
    metric = int(np.argmax(np.abs(z[worst])))
    sign = np.sign(z[worst, metric])
    nbrs = sorted(state.territory_neighbours()[worst], key=lambda t: (sign * z[t, metric], t))
    trees = RECOM_TREES + 4 * (effort - 1)
    pairs = nbrs[: RECOM_PAIRS + 2 * (effort - 1)]
    return any(recombine(state, worst, t, rng, trees=trees, clock=clock) for t in pairs)


def _seed_empty(state: State) -> None:
    """Give every empty territory one unit (METIS may leave a part empty).

    The unit comes from the territory furthest above target, the first of
    its units (lowest position) that can leave without splitting it.
    """
    for t in np.flatnonzero(state.sizes == 0).tolist():
        for donor in np.argsort(-state.z().max(axis=1), kind="stable").tolist():
            members = np.flatnonzero((state.assign == donor) & ~state.frozen)
            unit = next((int(u) for u in members if state.movable(int(u), t)), None)
            if unit is not None:
                state.move(unit, t)
                break


def _stop_findings(clock: Clock) -> list[Finding]:
    if clock.cancelled:
        return [Finding("stopped", "cancelled; the plan is the best found before the cancel")]
    if clock.stopped():
        return [Finding("stopped", "time limit reached; the plan is the best found so far")]
    return []
