"""Fixtures for the map tests; the world itself is built in ``_world.py``."""

from __future__ import annotations

import pytest

from maps.inputs import RouteInput, RouteStop
from tests.maps._world import World, build_world


@pytest.fixture
def world() -> World:
    return build_world()


@pytest.fixture
def route(world: World) -> RouteInput:
    stops = tuple(
        RouteStop(a.location[0], a.location[1], a.name or a.id)
        for a in world.accounts[:6:2]
        if a.location is not None
    )
    return RouteInput(stops, day=2, distance_km=87.5, duration_hours=6.5)
