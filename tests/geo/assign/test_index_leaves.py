"""Leaves that come and go patch the index's grid: the answers equal a fresh build's.

A territory created or deleted (or a leaf that gains its first child and
leaves the index) is patched in where its shape lies, as a reshape is
(``test_index_patch.py``): the places of the other leaves shift, and every
cell, candidate list and resolver entry kept must follow them. Random
overlapping shapes come in with ids between the held ones', go, are reshaped
and given other reps, several at a time and in sequences.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import shapely

from geo.assign.index import TerritoryIndex
from geo.errors import InvalidGeometryError
from geo.model import Territory
from tests.geo.assign.test_index import _probe_points, _random_shapes, _territory
from tests.geo.assign.test_index_patch import _reshaped, _same_answers, patch_cases

# One step's edit of a territory: (which held one, what): 0 delete, 1 reshape,
# 2 new reps with the same shape, 3 a new territory beside it (an id just above).
Edit = tuple[int, int]


def _step(
    rng: np.random.Generator, leaves: list[Territory], edits: list[Edit]
) -> tuple[list[Territory], set[int]]:
    """``leaves`` after ``edits``, and the ids touched (those that stayed and changed)."""
    by_id = {t.id: t for t in leaves}
    touched: set[int] = set()
    for which, what in edits:
        old = leaves[which % len(leaves)]
        if what == 0:
            by_id.pop(old.id, None)
        elif what == 1 and old.id in by_id:
            by_id[old.id] = _territory(old.id, _reshaped(rng, old.geometry, int(rng.integers(5))))
            touched.add(old.id)
        elif what == 2 and old.id in by_id:
            by_id[old.id] = dataclasses.replace(by_id[old.id], rep_ids=(int(rng.integers(99)),))
            touched.add(old.id)
        elif what == 3:
            new_id = old.id * 10 + int(rng.integers(1, 9))  # between the held ids
            if new_id in by_id:  # ids are never reused
                continue
            shape = _random_shapes(rng, 4)[int(rng.integers(4))]
            by_id[new_id] = _territory(new_id, shape, rep_ids=(new_id % 97,))
    return sorted(by_id.values(), key=lambda t: t.id), touched


@patch_cases(which=40, how=3, per_step=4)
def test_leaves_that_come_and_go_answer_as_a_fresh_build(
    seed: int, cell_deg: float | None, edits: list[list[Edit]]
) -> None:
    rng = np.random.default_rng(seed)
    leaves = [_territory(10 * (i + 1), s) for i, s in enumerate(_random_shapes(rng, 12))]
    index = TerritoryIndex.build(leaves, cell_deg=cell_deg)
    for step in edits:
        after, touched = _step(rng, leaves, step)
        if not after:
            return
        new = index.with_leaves(after, touched)
        shapes = [t.geometry for t in leaves + after]
        xy = _probe_points(rng, shapes, 800)
        leaves = after
        if new is None:  # a shape left the frame: the caller builds anew
            index = TerritoryIndex.build(leaves, cell_deg=cell_deg)
            continue
        assert [t.id for t in new.territories] == [t.id for t in leaves]
        assert [t.rep_ids for t in new.territories] == [t.rep_ids for t in leaves]
        _same_answers(new, leaves, xy)
        index = new


def test_a_county_created_and_deleted_patches_a_few_cells() -> None:
    tiles = [shapely.box(x, y, x + 1, y + 1) for x in range(30) for y in range(30)]
    leaves = [_territory(2 * i + 2, t) for i, t in enumerate(tiles)]
    index = TerritoryIndex.build(leaves)
    inner = _territory(931, shapely.box(15.2, 15.2, 15.8, 15.8), rep_ids=(7,))
    created = index.with_leaves([*leaves, inner], ())
    assert created is not None
    assert created.locate(15.5, 15.5).rep_ids == (7,)
    assert created.locate(15.5, 15.5).candidates == (931, 932)  # inside both: a conflict
    changed = _cell_owners(index) != _cell_owners(created)
    assert 0 < changed.sum() < changed.size / 100  # the places shifted; the owners did not
    deleted = created.with_leaves([t for t in leaves if t.id != 932] + [inner], ())
    assert deleted is not None
    assert deleted.locate(15.1, 15.1).territory_id is None  # the county's rest: no one's
    assert deleted.locate(15.5, 15.5).territory_id == 931
    assert deleted.locate(14.5, 15.5).territory_id == 872  # its neighbour, at its new place


def _cell_owners(index: TerritoryIndex) -> np.ndarray:
    """Each cell's one territory id, -1 for none, -2 for a cell with candidates."""
    codes = index.grid.codes
    owners: np.ndarray = np.where(
        codes >= 0, index.ids[np.maximum(codes, 0)], np.maximum(codes, -2)
    )
    return owners


def test_a_leaf_that_comes_in_outside_the_frame_asks_for_a_build() -> None:
    index = TerritoryIndex.build([_territory(1, shapely.box(0, 0, 1, 1))])
    far = _territory(2, shapely.box(5, 5, 6, 6))
    assert index.with_leaves([index.territories[0], far], ()) is None
    assert index.with_leaves([], ()) is None  # nothing left to patch


def test_a_leaf_that_comes_in_is_checked_as_a_build_checks_it() -> None:
    index = TerritoryIndex.build([_territory(1, shapely.box(0, 0, 2, 2))])
    bowtie = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    with pytest.raises(InvalidGeometryError) as refused:
        index.with_leaves([index.territories[0], _territory(2, bowtie)], ())
    assert refused.value.issues[0].pointer == "/1/geometry"
    assert "Self-intersection" in refused.value.issues[0].reason
