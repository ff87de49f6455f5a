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
    idx, lon1, lat1, lon2, lat2 = [], [], [], [], []
    for i, s in enumerate(items):
        rep = reps.get(s.assignment.rep_id) if s.assignment.rep_id is not None else None
        if rep is None or rep.home is None or s.account.location is None:
            continue
        idx.append(i)
        lon1.append(rep.home[0])
        lat1.append(rep.home[1])
        lon2.append(s.account.location[0])
        lat2.append(s.account.location[1])
    out: list[float | None] = [None] * len(items)
    if idx:
        d = np.atleast_1d(
            geodesic_km(np.array(lon1), np.array(lat1), np.array(lon2), np.array(lat2))
        )
        for i, km in zip(idx, d, strict=True):
            out[i] = float(km)
    return out


def account_flags(
    s: StoredAccount, distance_km: float | None, reps: Mapping[int, Rep], default_max_km: float
) -> list[str]:
    """Flag names for one account: unassigned, conflict, too-far."""
    flags = []
    if s.assignment.assignment.startswith("unassigned"):
        flags.append("unassigned")
    if s.assignment.assignment == "conflict":
        flags.append("overlap")
    rep = reps.get(s.assignment.rep_id) if s.assignment.rep_id is not None else None
    if is_too_far(distance_km, rep, default_max_km, remote=s.account.remote):
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
