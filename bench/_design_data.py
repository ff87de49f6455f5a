"""Data for ``bench.design``: US counties weighted by ZIP codes, synthetic accounts.

Counties come from the ``plotly-geo`` wheel (:mod:`bench._data`), ZIP code
points from the ``zipcodes`` package; nothing is downloaded. Accounts are
drawn at ZIP code points (so their density follows the ZIP density) with a
small jitter, fixed seed.
"""

from __future__ import annotations

import numpy as np
import zipcodes
from scipy.cluster.vq import kmeans2

from bench._data import load_counties
from geo.design.aggregate import locate_in_units
from geo.design.model import UnitGraph
from geo.design.units import unit_graph
from geo.model import Account

__all__ = ["county_units", "rep_homes", "synthetic_accounts", "zip_points"]

STAGES = ("lead", "opportunity", "customer")


def zip_points() -> np.ndarray:
    """Lon/lat of every ZIP code located in the contiguous US box, shape (z, 2)."""
    rows = [r for r in zipcodes.list_all() if r["lat"] and r["long"]]  # type: ignore[no-untyped-call]
    xy = np.array([[float(r["long"]), float(r["lat"])] for r in rows], dtype=np.float64)
    inside = (xy[:, 0] > -125.0) & (xy[:, 0] < -66.0) & (xy[:, 1] > 24.0) & (xy[:, 1] < 50.0)
    return xy[inside]


def county_units() -> tuple[UnitGraph, np.ndarray, np.ndarray]:
    """The 3,108 contiguous-US counties, ZIP codes per county, and each county's state FIPS."""
    frame = load_counties()
    graph = unit_graph(frame["GEOID"].tolist(), frame.geometry.values, frame["NAME"].tolist())
    unit = locate_in_units(graph, zip_points())
    zips = np.bincount(unit[unit >= 0], minlength=graph.n).astype(np.float64)
    return graph, zips, frame["STATEFP"].to_numpy()


def synthetic_accounts(n: int, seed: int) -> list[Account]:
    """``n`` accounts at jittered ZIP points with revenue, cost, stage and visit minutes."""
    rng = np.random.default_rng(seed)
    points = zip_points()
    where = points[rng.integers(0, len(points), n)] + rng.normal(0.0, 0.03, (n, 2))
    revenue = np.round(rng.lognormal(11.0, 1.0, n), 2)
    cost = np.round(revenue * rng.uniform(0.2, 0.7, n), 2)
    stage = rng.choice(len(STAGES), n, p=[0.3, 0.2, 0.5])
    minutes = rng.choice([30.0, 45.0, 60.0, 90.0], n)
    return [
        Account(
            id=f"a{i}",
            location=(float(where[i, 0]), float(where[i, 1])),
            annual_revenue=float(revenue[i]),
            cost_to_serve=float(cost[i]),
            stage=STAGES[int(stage[i])],
            visit_minutes=float(minutes[i]),
        )
        for i in range(n)
    ]


def rep_homes(accounts: list[Account], k: int, seed: int) -> np.ndarray:
    """``k`` home bases: k-means centres of the accounts, moved to the nearest account."""
    xy = np.array([a.location for a in accounts if a.location is not None])
    centres, _ = kmeans2(xy, k, seed=seed, minit="++")
    nearest = ((xy[None, :, :] - centres[:, None, :]) ** 2).sum(-1).argmin(axis=1)
    homes: np.ndarray = xy[nearest]
    return homes
