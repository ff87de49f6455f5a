"""Overlaps measured again after edits, only for the changed leaves, equal a full measurement."""

from __future__ import annotations

from dataclasses import replace

import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.flags.overlaps import find_overlaps, measure_leaves
from geo.model import Rules, Territory

# Boxes on a small grid overlap, touch and nest often.
_box = st.tuples(st.integers(0, 6), st.integers(0, 6), st.integers(1, 3), st.integers(1, 3)).map(
    lambda b: shapely.MultiPolygon(
        [shapely.box(b[0] / 2, b[1] / 2, (b[0] + b[2]) / 2, (b[1] + b[3]) / 2)]
    )
)
_rules = st.sampled_from([Rules(), Rules(industries=("Retail",)), Rules(industries=("Health",))])
_edit = st.tuples(
    st.sampled_from(["move", "rename", "rules", "delete", "add", "parent"]),
    st.integers(1, 8),
    _box,
    _rules,
)
_points = [(f"a{i}", (i % 9) / 2 + 0.25, (i // 9) / 2 + 0.25) for i in range(81)]


def _apply(
    territories: dict[int, Territory], edit: tuple[str, int, shapely.MultiPolygon, Rules]
) -> None:
    kind, tid, box, rules = edit
    old = territories.get(tid)
    if kind == "delete" or (old is None and kind != "add"):
        territories.pop(tid, None)
        for k, t in list(territories.items()):
            if t.parent_id == tid:
                territories[k] = replace(t, parent_id=None)
        return
    if old is None:
        territories[tid] = Territory(tid, f"T{tid}", box, rules=rules)
    elif kind == "move":
        territories[tid] = replace(old, geometry=box)
    elif kind == "rename":
        territories[tid] = replace(old, name=old.name + "x")
    elif kind == "rules":
        territories[tid] = replace(old, rules=rules)
    elif kind == "parent":
        # Another territory becomes its parent: that one stops being a leaf.
        roots = [k for k in sorted(territories) if k != tid and territories[k].parent_id is None]
        territories[tid] = replace(old, parent_id=roots[0] if roots else None)


@settings(max_examples=150, deadline=None)
@given(
    start=st.lists(st.tuples(_box, _rules), min_size=0, max_size=8),
    edits=st.lists(_edit, max_size=6),
    sliver_km2=st.sampled_from([0.0, 0.05, 5000.0]),
)
def test_measuring_only_the_changed_leaves_equals_measuring_all(
    start: list[tuple[shapely.MultiPolygon, Rules]],
    edits: list[tuple[str, int, shapely.MultiPolygon, Rules]],
    sliver_km2: float,
) -> None:
    territories = {
        i + 1: Territory(i + 1, f"T{i + 1}", box, rules=rules)
        for i, (box, rules) in enumerate(start)
    }
    measured = measure_leaves(sorted(territories.values(), key=lambda t: t.id))
    for edit in edits:
        _apply(territories, edit)
        now = sorted(territories.values(), key=lambda t: t.id)
        measured = measure_leaves(now, before=measured)
        assert measured.report(_points, sliver_km2=sliver_km2) == find_overlaps(
            now, _points, sliver_km2=sliver_km2
        )


def test_unchanged_leaves_are_not_measured_again() -> None:
    a, b = (
        Territory(i, f"T{i}", shapely.MultiPolygon([shapely.box(i, 0, i + 1.5, 1)])) for i in (1, 2)
    )
    far = Territory(3, "T3", shapely.MultiPolygon([shapely.box(10, 0, 11, 1)]))
    before = measure_leaves([a, b, far])
    moved = Territory(3, "T3", shapely.MultiPolygon([shapely.box(20, 0, 21, 1)]))
    after = measure_leaves([a, b, moved], before=before)
    # The (1, 2) overlap is the very object measured before: not computed again.
    assert after.shapes[(1, 2)] is before.shapes[(1, 2)]
