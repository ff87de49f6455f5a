"""Existing relationships as locks: a customer's unit stays with the rep serving it today.

An owner override needs no lock (the account counts for its rep wherever
its unit goes, see :func:`geo.design.aggregate.aggregate`), but a customer
kept by geometry stays with its rep only if its unit does. When one unit
holds customers of two reps it cannot stay with both: it goes to the rep
with the most of them there (ties: the earlier territory), and the clash is
reported. A lock the caller gave explicitly wins over a relationship.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from geo.design.model import Finding, TerritorySpec, UnitGraph

__all__ = ["relationship_locks"]


def relationship_locks(
    graph: UnitGraph,
    unit_of: np.ndarray,
    served_by: np.ndarray,
    territories: Sequence[TerritorySpec],
    given: Mapping[int, int],
) -> tuple[dict[int, int], list[Finding]]:
    """Locks (unit -> territory position) keeping every related account with its rep.

    Parameters
    ----------
    graph : UnitGraph
    unit_of : ndarray of int, shape (a,)
        Unit of each account (-1: in none).
    served_by : ndarray of int, shape (a,)
        Territory position of the rep serving each account today, -1 for
        accounts without a relationship to keep.
    territories : sequence of TerritorySpec
        Names the territories in the findings.
    given : mapping of int to int
        Locks asked for explicitly; they win.

    Returns
    -------
    locks : dict of int to int
        ``given`` plus the relationships' units.
    findings : list of Finding
        ``relationship_conflict`` per unit whose customers have several reps.

    Examples
    --------
    >>> import shapely
    >>> from geo.design.units import unit_graph
    >>> g = unit_graph(["a", "b"], [shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)])
    >>> specs = [TerritorySpec("ann"), TerritorySpec("bob")]
    >>> locks, found = relationship_locks(g, np.array([1, 1, 1]), np.array([0, 1, 1]), specs, {})
    >>> locks, [f.units for f in found]
    ({1: 1}, [('b',)])
    """
    keep = (served_by >= 0) & (unit_of >= 0)
    pairs = np.unique(
        np.stack([unit_of[keep], served_by[keep]], axis=1), axis=0, return_counts=True
    )
    by_unit: dict[int, list[tuple[int, int]]] = {}
    for (u, t), count in zip(pairs[0].tolist(), pairs[1].tolist(), strict=True):
        by_unit.setdefault(u, []).append((-count, t))
    locks = dict(given)
    findings = []
    for u, wanted in sorted(by_unit.items()):
        owner = locks.get(u, min(wanted)[1])
        locks[u] = owner
        reps = sorted({t for _, t in wanted} | {owner})
        if len(reps) > 1:
            findings.append(_clash(graph, u, owner, reps, territories))
    return locks, findings


def _clash(
    graph: UnitGraph, u: int, owner: int, reps: list[int], territories: Sequence[TerritorySpec]
) -> Finding:
    names = tuple(territories[t].id for t in reps)
    msg = (
        f"unit {graph.names[u]} holds customers of {len(reps)} reps; it stays with "
        f"{territories[owner].id}, the others' customers there change rep"
    )
    return Finding("relationship_conflict", msg, units=(graph.ids[u],), territories=names)
