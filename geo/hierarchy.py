"""The territory tree: which territories are leaves, and which lie under which.

One rule, used everywhere: a territory is a *leaf* when no other territory
names it as ``parent_id``, and only leaves own accounts. Parents (regions)
group leaves; their shapes are drawn and checked but never assign.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from geo.model import Territory

__all__ = ["in_subtree", "is_leaf", "leaf_territories", "parent_ids"]


def parent_ids(tree: Iterable[Territory] | Mapping[int, int | None]) -> set[int]:
    """The ids some territory names as its parent.

    ``tree`` is the territories, or a mapping of territory id to parent id
    (what the store reads without geometry).

    >>> import shapely
    >>> box = shapely.box(0, 0, 1, 1)
    >>> sorted(parent_ids([Territory(1, "R", box), Territory(2, "T", box, parent_id=1)]))
    [1]
    >>> sorted(parent_ids({1: None, 2: 1, 3: 1}))
    [1]
    """
    links = tree.values() if isinstance(tree, Mapping) else (t.parent_id for t in tree)
    return {parent for parent in links if parent is not None}


def is_leaf(territory: Territory, parents: set[int]) -> bool:
    """Whether ``territory`` owns accounts, given :func:`parent_ids` of the whole tree."""
    return territory.id not in parents


def leaf_territories(territories: Sequence[Territory]) -> list[Territory]:
    """The territories that own accounts: those no other territory names as parent.

    Parameters
    ----------
    territories : sequence of Territory
        The whole tree (leaf-ness is decided on it, so pass every territory
        before filtering by place).

    Returns
    -------
    list of Territory
        The leaves, in the input order.

    Examples
    --------
    >>> import shapely
    >>> box = shapely.box(0, 0, 1, 1)
    >>> region, leaf = Territory(1, "R", box), Territory(2, "T", box, parent_id=1)
    >>> [t.id for t in leaf_territories([region, leaf])]
    [2]
    """
    parents = parent_ids(territories)
    return [t for t in territories if is_leaf(t, parents)]


def in_subtree(
    territory_id: int | None, root_id: int | None, parents: Mapping[int, int | None]
) -> bool:
    """True when ``territory_id`` is ``root_id`` or one of its descendants.

    Parameters
    ----------
    territory_id : int or None
        Where to start walking up.
    root_id : int or None
        The subtree's root; None is nobody's ancestor.
    parents : mapping of int to int or None
        Territory id to parent id, for every territory. A cycle ends the
        walk (False) instead of looping.

    Examples
    --------
    >>> tree = {1: None, 2: 1, 3: 2}
    >>> in_subtree(3, 1, tree), in_subtree(1, 3, tree), in_subtree(2, 2, tree)
    (True, False, True)
    """
    seen: set[int] = set()
    current = territory_id
    while current is not None and current not in seen:
        if current == root_id:
            return True
        seen.add(current)
        current = parents.get(current)
    return False
