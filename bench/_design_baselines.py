"""Baselines for ``bench.design``: METIS alone, GerryChain ReCom, and a simple repair.

Each takes the same unit graph and weights as ours and returns an
assignment (unit -> part), so the figures are computed by one function.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

import networkx as nx
import numpy as np
import pymetis

from geo.design.model import UnitGraph
from geo.design.state import State

__all__ = ["gerrychain_recom", "metis_alone", "simple_repair"]


def metis_alone(graph: UnitGraph, weights: np.ndarray, k: int, seed: int) -> np.ndarray:
    """pymetis k-way with ``contig`` and METIS's default imbalance (ufactor 30)."""
    xadj = np.concatenate([[0], np.cumsum([len(a) for a in graph.neighbours])])
    adjacency = pymetis.CSRAdjacency(xadj.tolist(), np.concatenate(graph.neighbours).tolist())
    vweights = np.maximum(1, np.round(weights)).astype(int).tolist()
    _, parts = pymetis.part_graph(
        k, adjacency, vweights=vweights, options=pymetis.Options(contig=True, seed=seed)
    )
    return np.asarray(parts, dtype=np.int64)


def gerrychain_recom(
    graph: UnitGraph, weights: np.ndarray, k: int, seed: int, *, steps: int, epsilon: float = 0.02
) -> tuple[np.ndarray, int]:
    """GerryChain: a recursive-tree start at ``epsilon``, then ``steps`` ReCom steps.

    Returns the best plan seen (lowest max deviation) and the steps run.
    """
    from gerrychain import Graph, MarkovChain, Partition, constraints, updaters
    from gerrychain.accept import always_accept
    from gerrychain.partition.initial_partition_generators import recursive_tree_part
    from gerrychain.proposals import recom

    nxg = nx.Graph()
    for i in range(graph.n):
        nxg.add_node(i, pop=float(weights[i]))
    for i, nb in enumerate(graph.neighbours):
        nxg.add_edges_from((i, int(j)) for j in nb.tolist() if j > i)
    g = Graph.from_networkx(nxg)
    ideal = float(weights.sum()) / k
    rng = random.Random(seed)
    start = recursive_tree_part(g, range(k), ideal, "pop", epsilon, rng=rng)
    part = Partition(g, start, {"pop": updaters.Tally("pop", alias="pop")})
    proposal = _recom(recom, ideal, epsilon, rng)
    chain = MarkovChain(
        proposal,
        constraints.within_percent_of_ideal_population(part, epsilon, pop_key="pop"),
        always_accept,
        part,
        total_steps=steps,
        rng=rng,
    )
    best, best_dev, ran = start, np.inf, 0
    for p in chain:
        ran += 1
        dev = max(abs(v - ideal) for v in p["pop"].values()) / ideal
        if dev < best_dev:
            best, best_dev = dict(p.assignment), dev
    return np.array([best[i] for i in range(graph.n)], dtype=np.int64), ran


def _recom(
    recom: Callable[..., Any], ideal: float, epsilon: float, rng: random.Random
) -> Callable[..., Any]:
    from functools import partial

    return partial(recom, pop_col="pop", pop_target=ideal, epsilon=epsilon, node_repeats=0, rng=rng)


def simple_repair(state: State, *, time_limit_s: float = 30.0) -> int:
    """The issue's repair after METIS: heaviest to lightest, one border unit per hop.

    Along a shortest chain of neighbouring parts, each hop moves the border
    unit whose weight is closest to what the heaviest part has above its
    target (contiguity checked); kept if the max deviation falls. Tries the
    five lightest parts; stops when none helps. Single metric.
    """
    rng = np.random.default_rng(0)
    from geo.design.local_search import territory_path

    start, rounds = time.perf_counter(), 0
    while time.perf_counter() - start < time_limit_s:
        rounds += 1
        dev = state.loads[:, 0] - state.targets[:, 0]
        heavy = int(np.argmax(dev))
        graph = state.territory_neighbours()
        paths = [territory_path(graph, heavy, int(t), rng) for t in np.argsort(dev)[:5]]
        if not any(p and _repair_chain(state, p, float(dev[heavy])) for p in paths):
            break
    return rounds


def _repair_chain(state: State, path: list[int], amount: float) -> bool:
    before = float(np.abs(state.loads[:, 0] / state.targets[:, 0] - 1).max())
    moves = []
    for a, b in zip(path[:-1], path[1:], strict=True):
        cand = state.border(a, b)
        order = np.argsort(np.abs(state.base[cand, 0] - amount), kind="stable")
        unit = next((int(cand[i]) for i in order if state.keeps_connected(int(cand[i]))), None)
        if unit is None:
            break
        moves.append((unit, a))
        state.move(unit, b)
    if moves and float(np.abs(state.loads[:, 0] / state.targets[:, 0] - 1).max()) < before:
        return True
    for u, a in reversed(moves):
        state.move(u, a)
    return False
