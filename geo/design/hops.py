"""One hop of a chain: a border unit from ``a`` to ``b``, or an exchange of two.

An exchange (``u`` from ``a`` to ``b`` and ``v`` from ``b`` back to ``a``)
moves the difference of two weights, so it can pass on a few percent of a
unit where every single unit is too heavy: this is what gets county plans
from about 1% to under 0.5% at 50 territories.
"""

from __future__ import annotations

import numpy as np

from geo.design.state import State

__all__ = ["apply_hop"]

CUT_PENALTY = 0.02  # energy units per extra cut edge: compactness breaks ties only
TRIES = 10  # best-scored candidates checked for contiguity per hop
PAIR_SIDE = 12  # units per side considered for exchanges


def apply_hop(state: State, a: int, b: int, *, last: bool, free: bool) -> list[tuple[int, int]]:
    """Make the best hop from ``a`` to ``b``; return the (unit, old territory) moves made.

    The score is ``sum z**4`` of ``a`` after the hop (plus ``b`` on the
    last hop, which ends the chain). Later hops must improve their score;
    the first may overshoot (``free``), since the chain is judged as a whole.
    """
    outs = _candidates(state, a, b)
    if len(outs) == 0:
        return []
    backs = _candidates(state, b, a)
    single, now, _ = _scores(state, outs, np.zeros(0, np.int64), a, b, last)
    options = [
        (float(single[i]), int(outs[i]), -1) for i in np.argsort(single, kind="stable")[:TRIES]
    ]
    if len(backs):
        pair, _, kept = _scores(state, outs, backs, a, b, last)
        flat = pair.ravel()
        for f in np.argsort(flat, kind="stable")[:TRIES].tolist():
            i, j = divmod(f, pair.shape[1])
            options.append((float(flat[f]), int(outs[i]), int(kept[j])))
    options.sort()
    leaves_whole: dict[int, bool] = {}  # the state is unchanged between tries
    for score, u, v in options[:TRIES]:
        if score >= now and not free:
            return []
        if u not in leaves_whole:
            leaves_whole[u] = state.keeps_connected(u)
        made = _try(state, u, v, a, b) if leaves_whole[u] else []
        if made:
            return made
    return []


def _candidates(state: State, a: int, b: int) -> np.ndarray:
    cand = state.border(a, b)
    cand = cand[~state.frozen[cand]]
    if state.allowed is not None:
        cand = cand[state.allowed[cand, b]]
    out: np.ndarray = cand
    return out


def _weights(state: State, units: np.ndarray, t: int) -> np.ndarray:
    w: np.ndarray = state.base[units] + (state.extra[units, t] if state.extra is not None else 0.0)
    return w


def _scores(
    state: State, outs: np.ndarray, backs: np.ndarray, a: int, b: int, last: bool
) -> tuple[np.ndarray, float, np.ndarray]:
    """Scores of single moves (``backs`` empty, shape (U,)) or exchanges (shape (U, V)).

    Also returns the return units kept for exchanges (the lightest few).
    """
    za, zb = state.z(a), state.z(b)
    shift_a = -_weights(state, outs, a) * state.scale[a]  # (U, m)
    shift_b = _weights(state, outs, b) * state.scale[b]
    cut = state.cut_deltas(outs, b)
    if len(backs):
        backs = _nearest(state, backs, a)
        shift_a = shift_a[:, None, :] + (_weights(state, backs, a) * state.scale[a])[None, :, :]
        shift_b = shift_b[:, None, :] - (_weights(state, backs, b) * state.scale[b])[None, :, :]
        cut = cut[:, None] + state.cut_deltas(backs, a)[None, :]
    score = ((za + shift_a) ** 4).sum(axis=-1)
    now = float((za**4).sum())
    if last:
        score = score + ((zb + shift_b) ** 4).sum(axis=-1)
        now += float((zb**4).sum())
    return score + CUT_PENALTY * cut, now, backs


def _nearest(state: State, backs: np.ndarray, a: int) -> np.ndarray:
    """Keep the lightest ``PAIR_SIDE`` return units: exchanges pass small differences."""
    if len(backs) <= PAIR_SIDE:
        return backs
    size = np.abs(_weights(state, backs, a) * state.scale[a]).sum(axis=1)
    return backs[np.argsort(size, kind="stable")[:PAIR_SIDE]]


def _try(state: State, u: int, v: int, a: int, b: int) -> list[tuple[int, int]]:
    """Move ``u`` (known to leave ``a`` whole) and, for an exchange, ``v`` back."""
    state.move(u, b)
    if v < 0:
        return [(u, a)]
    joins_a = bool((state.assign[state.neighbours[v]] == a).any())
    if v != u and joins_a and state.assign[v] == b and state.keeps_connected(v):
        state.move(v, a)
        return [(u, a), (v, b)]
    state.move(u, a)
    return []
