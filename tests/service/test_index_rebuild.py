"""A territory write's catch-up follows the write: what it carries over equals a fresh build.

After a write the index cache patches the territories it holds
(:func:`service.held_territories.patched`), the derived lookups of
:class:`~service.held_territories.Held` and the index
(:func:`service.index_rebuild.rebuilt`) with the changed territories only.
Each is held here against the same thing made from scratch, over random
writes: colours, reps, rules, a parent moved, a shape moved.
"""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np
import pytest
import shapely

from geo.assign.index import TerritoryIndex
from geo.model import Rules, Territory
from service.held_territories import Held
from service.index_rebuild import rebuilt

SIDE = 6  # a 6 x 6 grid of leaves under four parents


def _territories() -> tuple[Territory, ...]:
    parents = [Territory(1000 + p, f"region {p}", shapely.box(-1, -1, 0, 0)) for p in range(4)]
    leaves = [
        Territory(
            i + 1,
            f"t{i + 1}",
            shapely.box(i % SIDE, i // SIDE, i % SIDE + 1, i // SIDE + 1),
            parent_id=1000 + i % 4,
            rep_ids=(i % 7,),
            version=1,
        )
        for i in range(SIDE * SIDE)
    ]
    # Held keeps the store's order (by id); parents after leaves here.
    return (*leaves, *parents)


def _derived(held: Held) -> tuple[object, ...]:
    return (
        held.positions,
        held.by_id,
        held.parents,
        [t.id for t in held.near((1.5, 1.5, 3.5, 2.5))],
        held._bounds.tolist(),
    )


def _write(rng: random.Random, t: Territory) -> Territory:
    kind = rng.choice(["color", "reps", "rules", "parent", "shape"])
    if kind == "color":
        return replace(t, color=f"#{rng.randrange(1 << 24):06x}", version=t.version + 1)
    if kind == "reps":
        return replace(t, rep_ids=(rng.randrange(50),), version=t.version + 1)
    if kind == "rules":
        return replace(t, rules=Rules(industries=("retail",)), version=t.version + 1)
    if kind == "parent" and t.parent_id is not None:
        return replace(t, parent_id=1000 + rng.randrange(4), version=t.version + 1)
    moved = shapely.affinity.translate(t.geometry, xoff=0.25)
    return replace(t, geometry=moved, version=t.version + 1)


def _patched(before: tuple[Territory, ...], changes: dict[int, Territory]) -> tuple[Territory, ...]:
    return tuple(changes.get(t.id, t) for t in before)


@pytest.mark.parametrize("seed", range(12))
def test_held_territories_patched_derive_as_a_fresh_read(seed: int) -> None:
    rng = random.Random(seed)
    held = Held(_territories())
    _derived(held)  # everything derived once, as a busy worker has
    for _ in range(6):
        leaves = [t for t in held.territories if t.id < 1000]
        changes = {t.id: _write(rng, t) for t in rng.sample(leaves, rng.randint(1, 3))}
        after = _patched(held.territories, changes)
        held = held.patched(after, frozenset(changes))
        assert _derived(held) == _derived(Held(after))


@pytest.mark.parametrize("seed", range(12))
def test_the_index_patched_for_a_write_answers_as_a_fresh_build(seed: int) -> None:
    rng = random.Random(100 + seed)
    held = Held(_territories())
    index = TerritoryIndex.build(held.territories)
    xs, ys = np.meshgrid(np.arange(0.1, SIDE, 0.4), np.arange(0.1, SIDE, 0.4))
    for _ in range(6):
        leaves = [t for t in held.territories if t.id < 1000]
        changes = {t.id: _write(rng, t) for t in rng.sample(leaves, rng.randint(1, 3))}
        after = _patched(held.territories, changes)
        new = rebuilt(index, held, after, frozenset(changes))
        fresh = TerritoryIndex.build(after)
        assert [t.id for t in new.territories] == [t.id for t in fresh.territories]
        for ours, theirs in zip(new.territories, fresh.territories, strict=True):
            assert replace(ours, geometry=None) == replace(theirs, geometry=None)  # type: ignore[arg-type]
            assert shapely.equals_exact(ours.geometry, theirs.geometry, tolerance=0.0)
        for industry in (None, "retail"):
            for x, y in zip(xs.ravel().tolist(), ys.ravel().tolist(), strict=True):
                assert new.locate(x, y, industry=industry) == fresh.locate(x, y, industry=industry)
        held, index = held.patched(after, frozenset(changes)), new


def test_a_colour_write_keeps_the_grid_and_every_other_leaf() -> None:
    held = Held(_territories())
    index = TerritoryIndex.build(held.territories)
    t = held.by_id[8]
    after = _patched(held.territories, {8: replace(t, color="#abcdef", version=2)})
    new = rebuilt(index, held, after, frozenset({8}))
    assert new.grid is index.grid  # not rebuilt
    assert sum(a is not b for a, b in zip(new.territories, index.territories, strict=True)) == 1
    assert new.territories[7].color == "#abcdef"
    assert new.territories[7].geometry is index.territories[7].geometry  # prepared, kept
    assert index.territories[7].color is None  # the old index is untouched


def test_a_parent_write_changes_no_leaf_record() -> None:
    held = Held(_territories())
    index = TerritoryIndex.build(held.territories)
    parent = held.by_id[1001]
    after = _patched(held.territories, {1001: replace(parent, name="renamed", version=2)})
    new = rebuilt(index, held, after, frozenset({1001}))
    assert new.territories == index.territories
    assert new.grid is index.grid


def test_a_reshaped_leaf_patches_the_grid_where_it_lies() -> None:
    held = Held(_territories())
    index = TerritoryIndex.build(held.territories)
    t = held.by_id[15]  # inside the grid: its new shape stays in the frame
    shrunk = shapely.affinity.scale(t.geometry, 0.5, 0.5)
    after = _patched(held.territories, {15: replace(t, geometry=shrunk, version=2)})
    new = rebuilt(index, held, after, frozenset({15}))
    g, h = index.grid, new.grid
    assert h is not g and (h.x0, h.y0, h.cell_deg, h.nx, h.ny) == (
        g.x0,
        g.y0,
        g.cell_deg,
        g.nx,
        g.ny,
    )
    far = np.flatnonzero(g.codes >= 0)[:10]  # cells of the first leaves, far from 15
    assert np.array_equal(h.codes[far], g.codes[far])
    corner = np.array(t.geometry.bounds[:2]) + 0.01  # in 15's old square, not in the new
    assert new.locate(*corner).territory_id is None
    assert index.locate(*corner).territory_id == 15  # the old index is untouched


def _come_or_go(
    rng: random.Random, held: Held, next_id: int
) -> tuple[dict[int, Territory], frozenset[int]]:
    """A random write that creates or deletes a territory, as the log and a read report it:
    the rows read again (``fresh``) and the ids no longer there (``gone``)."""
    kind = rng.choice(["leaf", "child", "delete", "write"])
    leaves = [t for t in held.territories if not 1000 <= t.id < 1004]  # all but the regions
    if kind == "leaf":  # a new leaf under a region, overlapping others
        x, y = rng.uniform(0, SIDE - 1.5), rng.uniform(0, SIDE - 1.5)  # in the frame
        box = shapely.box(x, y, x + rng.uniform(0.3, 1.5), y + rng.uniform(0.3, 1.5))
        return {next_id: Territory(next_id, "new", box, parent_id=1000, rep_ids=(9,))}, frozenset()
    if kind == "child":  # a leaf gains a child: it becomes a parent and leaves the index
        t = rng.choice(leaves)
        inner = shapely.affinity.scale(t.geometry, 0.5, 0.5)
        return {next_id: Territory(next_id, "child", inner, parent_id=t.id)}, frozenset()
    if kind == "delete":  # a parent whose last child goes becomes a leaf again
        childless = [t for t in leaves if t.id not in held.parents.values()]
        return {}, frozenset({rng.choice(childless).id})
    t = rng.choice(leaves)
    return {t.id: _write(rng, t)}, frozenset()


@pytest.mark.parametrize("seed", range(16))
def test_territories_that_come_and_go_patch_as_a_fresh_read_and_build(seed: int) -> None:
    from service.held_territories import replaced

    rng = random.Random(500 + seed)
    held = Held(_territories())
    _derived(held)
    index = TerritoryIndex.build(held.territories)
    xs, ys = np.meshgrid(np.arange(0.1, SIDE, 0.3), np.arange(0.1, SIDE, 0.3))
    for step in range(10):
        fresh, gone = _come_or_go(rng, held, 2000 + step)
        after, changed = replaced(held, fresh, gone)
        expected = {t.id: t for t in held.territories if t.id not in gone} | fresh
        assert after == tuple(expected[i] for i in sorted(expected))  # in id order
        assert changed == frozenset(fresh) | gone
        new = rebuilt(index, held, after, changed)
        built = TerritoryIndex.build(after)
        assert [t.id for t in new.territories] == [t.id for t in built.territories]
        assert new.grid.nx == index.grid.nx  # patched, not built (every shape in the frame)
        for x, y in zip(xs.ravel().tolist(), ys.ravel().tolist(), strict=True):
            assert new.locate(x, y) == built.locate(x, y), (step, x, y)
        held, index = held.patched(after, changed), new
        assert _derived(held) == _derived(Held(after))
