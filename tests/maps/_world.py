"""A small world for the map tests: two territories that share a wiggly edge.

West and East are unit squares near (-100, 40) whose shared border zig-zags
through 41 identical vertices, so a simplifier that treats them one by one
would open gaps or overlaps. Accounts sit on a grid inside each, plus one
outside both (unassigned) and flagged ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import folium
import shapely

from geo.model import Account, Assignment, Rep, Territory
from maps.inputs import OverlapShape

XSS = "<img src=x onerror=alert(1)>"
LON0, LAT0 = -100.0, 40.0


def wiggly_squares(
    points: int = 41, amplitude: float = 0.04
) -> tuple[shapely.Polygon, shapely.Polygon]:
    """Two squares whose shared edge zig-zags around x = LON0 + 1."""
    edge = [
        (
            LON0 + 1 + amplitude * math.sin(7 * math.pi * i / (points - 1)) * (0 < i < points - 1),
            LAT0 + i / (points - 1),
        )
        for i in range(points)
    ]
    west = shapely.Polygon([(LON0, LAT0), *edge, (LON0, LAT0 + 1)])
    east = shapely.Polygon([*edge, (LON0 + 2, LAT0 + 1), (LON0 + 2, LAT0)])
    return shapely.normalize(west), shapely.normalize(east)


@dataclass
class World:
    territories: list[Territory]
    reps: list[Rep]
    accounts: list[Account]
    assignments: list[Assignment]
    flags: dict[str, list[str]] = field(default_factory=dict)
    overlaps: list[OverlapShape] = field(default_factory=list)


def build_world(
    west_name: str = "West", rep_name: str = "Ann", account_name: str = "Shop"
) -> World:
    """The world, with names that tests may replace by hostile ones."""
    west_shape, east_shape = wiggly_squares()
    territories = [
        Territory(1, west_name, west_shape, code="W1", rep_ids=(10,)),
        Territory(2, "East", east_shape, code="E1", rep_ids=(20,), color="#123456"),
    ]
    reps = [
        Rep(10, rep_name, home=(LON0 + 0.5, LAT0 + 0.5), max_service_km=40.0),
        Rep(20, "Bob", home=(LON0 + 1.5, LAT0 + 0.5), max_service_km=60.0),
    ]
    accounts, assignments = [], []
    for i in range(12):
        territory = territories[i % 2]
        lon = LON0 + 0.1 + 0.15 * (i // 2) + (1.0 if territory.id == 2 else 0.0) - 0.05
        lat = LAT0 + 0.2 + 0.05 * i
        account_id = f"A{i:02d}"
        accounts.append(
            Account(
                account_id,
                f"{account_name} {i}",
                (lon, lat),
                annual_revenue=1000.0 * (i + 1),
                cost_to_serve=100.0,
            )
        )
        assignments.append(Assignment(account_id, territory.id, territory.rep_ids[0], "geometry"))
    accounts.append(Account("OUT", "Far away", (LON0 + 3.0, LAT0 + 0.5)))
    assignments.append(Assignment("OUT", None, None, "unassigned:outside-all"))
    accounts.append(Account("NOLOC", "No location"))
    assignments.append(Assignment("NOLOC", None, None, "unassigned:no-location"))
    overlap = shapely.box(LON0 + 0.9, LAT0 + 0.4, LON0 + 1.1, LAT0 + 0.6)
    return World(
        territories=territories,
        reps=reps,
        accounts=accounts,
        assignments=assignments,
        flags={"A00": ["too-far"], "A03": ["overlap"]},
        overlaps=[OverlapShape(overlap, west_name, "East", 123.45)],
    )


def layers(m: folium.Map) -> dict[str, folium.map.Layer]:
    """The map's layer-control entries by name."""
    return {
        c.layer_name: c
        for c in m._children.values()
        if isinstance(c, folium.map.Layer) and c.control
    }
