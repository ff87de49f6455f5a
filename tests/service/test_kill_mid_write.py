"""A server killed (kill -9) in the middle of a territory write leaves all of it or none of it.

A real server holds two strip territories and many accounts. A PATCH, then a
change set, each moving a thousand accounts, is sent and the server killed
part-way through (after 60% of what the same write took uninterrupted, so
the kill lands before or after the commit). After a restart the store
must agree with itself: every territory's version is its history's latest
and its ETag, ``GET /plan`` names the latest change set, and every stored
account owner is what a fresh point-in-polygon of the stored territories
gives: either all of the write is there or none of it.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import shapely
from sqlalchemy import create_engine, text

from tests.live_server import admin_client, serve

pytestmark = pytest.mark.slow
ROWS = 10_000
WEST, MID, EAST = -84.0, -83.0, -82.0


def _strip(x0: float, x1: float) -> dict[str, Any]:
    ring = [[x0, 39.0], [x1, 39.0], [x1, 40.0], [x0, 40.0], [x0, 39.0]]
    return {"type": "Polygon", "coordinates": [ring]}


def _seed(api: httpx.Client) -> None:
    for name, (x0, x1) in {"West": (WEST, MID), "East": (MID, EAST)}.items():
        rep = api.post("/reps", json={"name": f"{name} rep"})
        rep.raise_for_status()
        api.post(
            "/territories",
            json={
                "type": "Feature",
                "geometry": _strip(x0, x1),
                "properties": {"name": name, "rep_ids": [rep.json()["id"]]},
            },
        ).raise_for_status()
    # A grid whose points never sit on a boundary the tests draw (x.x25, x.x75 ...).
    rows = [
        f"a{i},Acct {i},{WEST + ((i % 400) + 0.5) * 0.005:.4f},{39 + ((i // 400) + 0.5) / 60:.4f}"
        for i in range(ROWS)
    ]
    r = api.post(
        "/accounts/import",
        content=("id,name,lon,lat\n" + "\n".join(rows) + "\n").encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert r.status_code == 200, r.text[:500]


def _versions(api: httpx.Client) -> dict[int, int]:
    return {
        f["id"]: f["properties"]["version"]
        for f in api.get("/territories", params={"limit": 10}).json()["features"]
    }


def _patch_west(api: httpx.Client, edge: float) -> httpx.Response:
    v = _versions(api)[1]
    return api.patch(
        "/territories/1", json={"geometry": _strip(WEST, edge)}, headers={"If-Match": f'"{v}"'}
    )


def _change_set(api: httpx.Client, edge: float) -> httpx.Response:
    v = _versions(api)
    ops = [
        {"op": "patch", "id": 1, "if_match": f'"{v[1]}"', "geometry": _strip(WEST, edge)},
        {"op": "patch", "id": 2, "if_match": f'"{v[2]}"', "geometry": _strip(edge, EAST)},
    ]
    if edge == MID:  # the shrinking territory first: no overlap on the way
        ops.reverse()
    return api.post("/territories/changes", json={"operations": ops, "on_overlap": "warn"})


def _killed_during(proc: Any, base: str, write: Callable[[httpx.Client], Any], at: float) -> None:
    def send() -> None:
        try:
            with admin_client(base) as api:
                write(api)
        except httpx.HTTPError:
            pass  # the server died under the request: expected

    sender = threading.Thread(target=send)
    sender.start()
    time.sleep(at)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    sender.join(timeout=60)


def _assert_whole(database_url: str, base: str) -> dict[int, int]:
    """The stored plan agrees with itself; answers the territories' versions."""
    engine = create_engine(database_url)
    geometry = "ST_AsBinary(geometry)" if database_url.startswith("postgresql") else "geometry"
    try:
        with engine.connect() as conn:
            territories = conn.execute(
                text(f"SELECT id, version, rep_ids, {geometry} FROM territories ORDER BY id")
            ).all()
            history: dict[int, int] = dict(
                conn.execute(
                    text("SELECT territory_id, max(version) FROM territory_versions GROUP BY 1")
                ).all()
            )
            accounts = conn.execute(
                text("SELECT lon, lat, territory_id, rep_id FROM accounts ORDER BY id")
            ).all()
            latest = conn.execute(text("SELECT max(id) FROM change_sets")).scalar()
    finally:
        engine.dispose()
    assert len(accounts) == ROWS
    ids = [int(t[0]) for t in territories]
    versions = {int(t[0]): int(t[1]) for t in territories}
    assert {i: history[i] for i in ids} == versions
    reps = [t[2] if isinstance(t[2], list) else json.loads(t[2]) for t in territories]
    points = shapely.points(np.array([a[0] for a in accounts]), np.array([a[1] for a in accounts]))
    inside = np.stack([shapely.covers(shapely.from_wkb(bytes(t[3])), points) for t in territories])
    assert (inside.sum(axis=0) <= 1).all()  # the writes never overlap: one owner or none
    expected = [
        (ids[int(col.argmax())], reps[int(col.argmax())][0]) if col.any() else (None, None)
        for col in inside.T
    ]
    stored = [(a[2], a[3]) for a in accounts]
    wrong = sum(e != s for e, s in zip(expected, stored, strict=True))
    assert wrong == 0, f"{wrong} accounts disagree with their territories"
    with admin_client(base) as api:
        for i in ids:
            r = api.get(f"/territories/{i}")
            assert r.headers["etag"] == f'"{versions[i]}"'
        assert api.get("/plan").json()["revision"] == latest
    return versions


def test_a_write_killed_mid_way_is_stored_whole_or_not_at_all(
    database_url: str, tmp_path: Path
) -> None:
    proc, base = serve(database_url, tmp_path)
    try:
        with admin_client(base) as api:
            _seed(api)
        before = _assert_whole(database_url, base)
        for send in (_patch_west, _change_set):
            with admin_client(base) as api:
                started = time.monotonic()
                assert send(api, MID - 0.25).status_code == 200  # moves 1,250 accounts
                took = time.monotonic() - started
            before = _assert_whole(database_url, base)
            _killed_during(proc, base, partial(send, edge=MID), took * 0.6)
            proc, base = serve(database_url, tmp_path)
            after = _assert_whole(database_url, base)
            assert {after[i] - before[i] for i in after} <= {0, 1}
            if send is _change_set:  # both territories moved on together, or neither
                assert after[1] - before[1] == after[2] - before[2]
            with admin_client(base) as api:  # the edge back at MID for the next write
                if after[1] == before[1]:
                    assert send(api, MID).status_code == 200
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=30)
