"""A server killed while its import's child prepares rows: nothing stored, no process left.

The account import prepares its rows in a child forked from the server
(service.usecases.import_child). A ``kill -9`` of the server mid-import must
leave the store as it was, and the child must end by itself (its pipe to the
dead server breaks) rather than linger with the server's memory. Linux only,
as the fork is.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.live_server import admin_client, serve

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="imports fork on Linux"
)
ROWS = 150_000


def _children(pid: int) -> list[int]:
    """The live (not zombie) processes whose parent is ``pid``, from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended while we looked
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def _ended(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_a_server_killed_mid_import_stores_nothing_and_leaves_no_child(
    database_url: str, tmp_path: Path
) -> None:
    proc, base = serve(database_url, tmp_path, max_import_bytes=2**27)
    rows = "\n".join(
        f"k{i},Acct {i},{-84 + (i % 997) / 1000:.4f},{39 + (i // 997) / 1000:.4f}"
        for i in range(ROWS)
    )
    body = ("id,name,lon,lat\n" + rows + "\n").encode()
    try:
        with admin_client(base) as api:
            rep = api.post("/reps", json={"name": "Ann"}).json()["id"]
            square = {
                "type": "Polygon",
                "coordinates": [[[-84, 39], [-83, 39], [-83, 40], [-84, 40], [-84, 39]]],
            }
            feature = {
                "type": "Feature",
                "geometry": square,
                "properties": {"name": "West", "rep_ids": [rep]},
            }
            assert api.post("/territories", json=feature).status_code == 201

        def send() -> None:
            try:
                with admin_client(base) as api:
                    api.post("/accounts/import", content=body, headers={"Content-Type": "text/csv"})
            except httpx.HTTPError:
                pass  # the server died under the request: expected

        sender = threading.Thread(target=send)
        sender.start()
        deadline = time.monotonic() + 60
        while not (children := _children(proc.pid)):
            assert time.monotonic() < deadline, "the import never forked its child"
            time.sleep(0.02)
        time.sleep(0.3)  # the child is preparing, the server staging
        proc.kill()
        proc.wait(timeout=30)
        sender.join(timeout=60)
        deadline = time.monotonic() + 20
        while not all(_ended(pid) for pid in children):
            assert time.monotonic() < deadline, f"the import's child {children} outlived the server"
            time.sleep(0.05)
        proc, base = serve(database_url, tmp_path, max_import_bytes=2**27)
        with admin_client(base) as api:
            assert api.get("/accounts", params={"limit": 1}).json()["features"] == []
            again = api.post("/accounts/import", content=body, headers={"Content-Type": "text/csv"})
            assert again.status_code == 200 and again.json()["created"] == ROWS, again.text[:300]
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=30)
