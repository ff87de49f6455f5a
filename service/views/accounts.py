"""Accounts as the API returns them: owner, distance to the rep, flags."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from geo.distance import geodesic_km
from geo.flags.too_far import is_too_far
from geo.model import Rep
from service.storage.account_rows import StoredAccount
from service.views.serialize import account_feature


def distances_km(items: Sequence[StoredAccount], reps: Mapping[int, Rep]) -> list[float | None]:
    """Geodesic km from each account to its rep's home (None when either is unknown)."""
    return legs_km(
        [
            (
                reps.get(s.assignment.rep_id) if s.assignment.rep_id is not None else None,
                s.account.location,
            )
            for s in items
        ]
    )


def legs_km(legs: Sequence[tuple[Rep | None, tuple[float, float] | None]]) -> list[float | None]:
    """Geodesic km of each (rep, account location) leg: None when either end is unknown.

    One vectorised call for all of them: a page of a hundred accounts at once.
    """
    idx, lon1, lat1, lon2, lat2 = [], [], [], [], []
    for i, (rep, location) in enumerate(legs):
        if rep is None or rep.home is None or location is None:
            continue
        idx.append(i)
        lon1.append(rep.home[0])
        lat1.append(rep.home[1])
        lon2.append(location[0])
        lat2.append(location[1])
    out: list[float | None] = [None] * len(legs)
    if idx:
        d = np.atleast_1d(
            geodesic_km(np.array(lon1), np.array(lat1), np.array(lon2), np.array(lat2))
        )
        # tolist: Python floats in one call, not a numpy scalar each.
        for i, km in zip(idx, d.tolist(), strict=True):
            out[i] = km
    return out


def account_flags(
    s: StoredAccount, distance_km: float | None, reps: Mapping[int, Rep], default_max_km: float
) -> list[str]:
    """Flag names for one account: unassigned, conflict, too-far."""
    rep = reps.get(s.assignment.rep_id) if s.assignment.rep_id is not None else None
    return flag_names(s.assignment.assignment, s.account.remote, rep, distance_km, default_max_km)


def flag_names(
    assignment: str,
    remote: bool,
    rep: Rep | None,
    distance_km: float | None,
    default_max_km: float,
) -> list[str]:
    """Flag names of an account assigned as ``assignment`` to ``rep``, ``distance_km`` away."""
    flags = []
    if assignment.startswith("unassigned"):
        flags.append("unassigned")
    if assignment == "conflict":
        flags.append("overlap")
    if is_too_far(distance_km, rep, default_max_km, remote=remote):
        flags.append("too-far")
    return flags


def account_features(
    items: Sequence[StoredAccount], reps: Mapping[int, Rep], default_max_km: float
) -> list[dict[str, Any]]:
    """GeoJSON Features for ``items``, with distance and flags."""
    dists = distances_km(items, reps)
    return [
        account_feature(
            s.account,
            s.assignment,
            distance_km=d,
            flags=account_flags(s, d, reps, default_max_km),
            version=s.version,
        )
        for s, d in zip(items, dists, strict=True)
    ]
