"""Design balanced, contiguous territories from units: the public entry point.

Method (each step a well-kept library or a small, documented routine):

1. start: METIS with contiguous parts (``pymetis``), or growth from the
   reps' homes and locked units when there are any; up to eight METIS
   seeds, each searched with a small deterministic budget of chains and
   trees, the first within tolerance kept (METIS takes 20 ms; a start that
   boxes a heavy unit in with heavy neighbours wastes seconds of search);
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
from dataclasses import replace

import numpy as np

from geo.design.control import Clock
from geo.design.local_search import chain_push, tighten
from geo.design.model import DesignRequest, DesignResult, Finding, Progress, ShouldStop
from geo.design.partition import grows_from_seeds, start_partition
from geo.design.recom import recombine
from geo.design.report import pre_findings, summarize
from geo.design.state import State

__all__ = ["design_territories", "improve"]

RECOM_TREES = 12  # random spanning trees tried per pair (5-10 ms each), +4 per effort step
RECOM_PAIRS = 4  # neighbours of a stuck territory tried, +2 per effort step
MAX_EFFORT = 4  # widening steps before a stuck search gives up
OK, FAILED, CAPPED = 1, 0, -1
ATTEMPTS = 8  # starts tried (seed, seed + 1, ...) while the tolerance is not met
SEEDED_ATTEMPTS = 3  # full searches from homes and locks (another rng each)
ATTEMPT_WORK_PER_TERRITORY = 1  # chains and trees an attempt may try, per territory (+20)
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
    # Many budgeted METIS starts; a given start, or growth from homes and
    # locks (the same whatever the seed), gets a few full searches instead.
    metis = start is None and not grows_from_seeds(request)
    budget = ATTEMPT_WORK_PER_TERRITORY * request.k + 20 if metis else None
    tries = ATTEMPTS if metis else 1 if start is not None else SEEDED_ATTEMPTS
    best: tuple[float, State, int] | None = None
    for attempt in range(tries):
        state, rounds = _attempt(request, clock, attempt, start, budget)
        worst = float(np.abs(state.z()).max())
        if best is None or worst < best[0]:
            best = (worst, state, rounds)
        if worst <= 1.0 or clock.stopped():
            break
    assert best is not None
    worst, state, rounds = best
    if worst > 1.0 and budget is not None:
        # No start met the tolerance within its budget: the best one gets
        # the full search (wider efforts, no budget) before the report.
        rounds += _polish(state, clock, np.random.default_rng(request.seed))
    findings = pre_findings(request, state.allowed) + _stop_findings(clock)
    result = summarize(state, findings, iterations=rounds)
    clock.report(1.0)
    return result


def _attempt(
    request: DesignRequest,
    clock: Clock,
    attempt: int,
    start: np.ndarray | None,
    budget: int | None,
) -> tuple[State, int]:
    """One start and a search of at most ``budget`` chains and trees.

    Later attempts use the next seeds (still deterministic). A search that
    stalls outside tolerance usually stalls on a few heavy units in one
    corner (Los Angeles county at k = 50 leaves its territory a few ZIP
    codes off whatever its neighbours do); another METIS start puts the
    borders elsewhere, and is cheaper than widening the search there.
    """
    seeded = replace(request, seed=request.seed + attempt)
    state = State(request, start if start is not None else start_partition(seeded))
    _seed_empty(state)
    rng = np.random.default_rng(seeded.seed)
    iterations = improve(state, clock, rng, work_limit=budget)
    if budget is None or float(np.abs(state.z()).max()) <= 1.0:
        iterations += _polish(state, clock, rng, balance=False)
    return state, iterations


def _polish(state: State, clock: Clock, rng: np.random.Generator, *, balance: bool = True) -> int:
    """Balance without a budget (when asked), then compactness, then balance again."""
    iterations = improve(state, clock, rng) if balance else 0
    if tighten(state, clock):
        # Compactness moves keep every territory within tolerance, but with
        # travel in the metric they shift the total and so every target:
        # one more balance pass settles that.
        iterations += improve(state, clock, rng)
    return iterations


def improve(
    state: State,
    clock: Clock,
    rng: np.random.Generator,
    *,
    cap: Callable[[State], float] | None = None,
    max_effort: int = MAX_EFFORT,
    work_limit: int | None = None,
) -> int:
    """Lower the worst deviation until every territory is within tolerance or stuck.

    A territory is stuck when neither a chain nor a recombination helps it;
    an accepted change un-sticks all (partners and paths are global). The
    loop also ends when ``sum z**4`` gained less than 0.1% over the last
    ``2k + 30`` rounds: an unreachable tolerance ends in a report, not a
    run to the time limit. ``cap(state)`` is the budget left (rebalancing
    under ``max_moved_pct``): a change that takes it below 0 is undone; the
    loop ends when it reaches 0 or after ``k`` undos in a row.
    ``max_effort`` caps the widening; ``work_limit`` the chains and trees
    tried (``State.work``, deterministic unlike a clock).
    Returns the number of rounds.
    """
    stuck = {t for t in range(state.k) if _hopeless(state, t)}
    floor = set(stuck)
    state.refresh_targets(floor)
    rounds, effort, capped = 0, 1, 0
    window = 2 * state.k + 30
    history: deque[float] = deque(maxlen=window)
    while not clock.stopped() and (work_limit is None or state.work < work_limit):
        rounds += 1
        history.append(_open_energy(state, stuck))
        if len(history) == window and history[-1] > history[0] * (1.0 - STALL_GAIN):
            break  # no real gain for a while: the tolerance is out of reach
        if state.extra is not None:
            state.refresh_targets(floor)
        worst = _worst(state, stuck)
        clock.report(0.05 + 0.85 * max(clock.budget_fraction(), _within_share(state)))
        if worst is None and effort < max_effort and _outside(state, stuck):
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
