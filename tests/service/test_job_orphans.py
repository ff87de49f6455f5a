"""A job whose server process dies (kill -9) ends as failed, not "running" for ever.

Two real servers share one database. The first runs a long import job and
is killed mid-job; the second must keep reporting the job as running while
the first lives (a slow job is not a dead one) and as failed, with the
reason, once it is gone. The import was atomic, so nothing of it is stored.
A third server started afterwards finds nothing left to sweep.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.live_server import admin_client, serve

pytestmark = pytest.mark.slow
ROWS = 300_000


def _big_csv() -> bytes:
    rows = [
        f"k{i},Acct {i},{-83.9 + (i % 900) / 1000:.4f},{39.5 + (i // 900) / 1000:.4f}"
        for i in range(ROWS)
    ]
    return ("id,name,lon,lat\n" + "\n".join(rows) + "\n").encode()


def _start_import(api: httpx.Client) -> str:
    """Queue an atomic import long enough to be killed in the middle; answers the job's href."""
    r = api.post(
        "/accounts/import",
        params={"async": "true"},
        content=_big_csv(),
        headers={"Content-Type": "text/csv"},
    )
    assert r.status_code == 202, r.text
    return str(r.headers["location"])


def _job(api: httpx.Client, href: str) -> dict[str, Any]:
    r = api.get(href)
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_a_killed_servers_job_is_failed_with_the_reason_and_stores_nothing(
    database_url: str, tmp_path: Path
) -> None:
    doomed, doomed_base = serve(database_url, tmp_path)
    survivor = None
    try:
        with admin_client(doomed_base) as api:
            ring = [[-84.0, 39.4], [-82.9, 39.4], [-82.9, 39.9], [-84.0, 39.9], [-84.0, 39.4]]
            api.post(
                "/territories",
                json={
                    "type": "Feature",
                    "geometry": {"type": "Polygon", "coordinates": [ring]},
                    "properties": {"name": "West"},
                },
            ).raise_for_status()
            href = _start_import(api)
        survivor, survivor_base = serve(database_url, tmp_path)
        with admin_client(survivor_base) as api:
            deadline = time.monotonic() + 60
            while (status := _job(api, href)["status"]) == "queued":
                assert time.monotonic() < deadline, "the job never started"
                time.sleep(0.02)
            # Alive and working: another server must not call it dead.
            assert status == "running", "the import ended before it could be killed"
            assert _job(api, href)["status"] == "running"

            doomed.send_signal(signal.SIGKILL)
            doomed.wait(timeout=30)
            job = _job(api, href)
            assert job["status"] == "failed", job
            assert "stopped" in job["result"]["detail"] and job["finished_at"] is not None
            assert api.get("/accounts", params={"limit": 1}).json()["features"] == []
            assert _job(api, href) == job  # swept once; reading again changes nothing
    finally:
        for proc in (doomed, survivor):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=30)


def test_a_job_left_queued_or_running_by_a_crash_is_swept_when_a_server_starts(
    database_url: str, tmp_path: Path
) -> None:
    doomed, base = serve(database_url, tmp_path)
    try:
        with admin_client(base) as api:
            href = _start_import(api)
    finally:
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(timeout=30)
    # No reader touched the job: the next server's start alone must end it.
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        restarted, base = serve(database_url, tmp_path)
        try:
            with engine.connect() as conn:
                status = conn.execute(
                    text("SELECT status FROM jobs WHERE id = :id"),
                    {"id": href.rsplit("/", 1)[1]},
                ).scalar_one()
            assert status == "failed"
            with admin_client(base) as api:
                assert "stopped" in _job(api, href)["result"]["detail"]
        finally:
            restarted.terminate()
            restarted.wait(timeout=30)
    finally:
        engine.dispose()
