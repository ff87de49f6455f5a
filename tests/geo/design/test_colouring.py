"""Map colouring: neighbours never share a class, and few classes are used."""

from __future__ import annotations

import pytest
import shapely

from geo.design.colouring import colour_classes, neighbour_pairs


def _grid(n: int) -> list[shapely.Polygon]:
    return [shapely.box(x, y, x + 1, y + 1) for y in range(n) for x in range(n)]


CASES = {
    "nothing": [],
    "one": [shapely.box(0, 0, 1, 1)],
    "row": [shapely.box(i, 0, i + 1, 1) for i in range(6)],
    "grid": _grid(8),
    "wheel": [
        shapely.Polygon([(0, 0), (2 * dx, 2 * dy), (2 * ex, 2 * ey)])
        for (dx, dy), (ex, ey) in zip(
            [(1, 0), (0, 1), (-1, 0), (0, -1), (1, 0)][:-1],
            [(1, 0), (0, 1), (-1, 0), (0, -1), (1, 0)][1:],
            strict=True,
        )
    ]
    + [shapely.box(-3, -3, 3, 3).difference(shapely.box(-2, -2, 2, 2))],
    "overlapping": [shapely.box(0, 0, 2, 2), shapely.box(1, 1, 3, 3), shapely.box(5, 5, 6, 6)],
}


@pytest.mark.parametrize("name", list(CASES))
def test_neighbours_never_share_a_colour_class(name: str) -> None:
    shapes = CASES[name]
    classes = colour_classes(shapes)
    assert len(classes) == len(shapes)
    for i, j in neighbour_pairs(shapes):
        assert classes[i] != classes[j], (name, i, j)
    assert max(classes, default=0) < 6, "a plane tiling needs at most six classes"


def test_territories_meeting_at_a_corner_only_are_not_neighbours() -> None:
    corner = [shapely.box(0, 0, 1, 1), shapely.box(1, 1, 2, 2)]
    assert neighbour_pairs(corner) == []
    assert colour_classes(corner) == [0, 0]


def test_the_same_territories_always_get_the_same_classes() -> None:
    assert colour_classes(_grid(6)) == colour_classes(_grid(6))
