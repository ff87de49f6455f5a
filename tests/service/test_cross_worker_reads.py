"""What a worker keeps is never stale at the next request: two real servers on one database.

Each server keeps the token records it resolved and whether a scenario is
scheduled. A revocation, or a scheduling, in one of them (or by the CLI's
transaction) must show in the other's very next answer, with the default
settings (a token record is kept 5 s): no sleeping. Both backends.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.storage import Store
from tests.live_server import REPO, admin_client, serve
from tests.service.test_scenarios_api import box, new_scenario, plan, reshape

FAR_DAY = "2099-01-15"  # never due while the test runs


@pytest.fixture
def two_servers(database_url: str, tmp_path: Path) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    """Admin clients of two servers (two workers) sharing ``database_url``."""
    procs: list[subprocess.Popen[bytes]] = []
    try:
        bases = []
        for _ in range(2):
            proc, base = serve(database_url, tmp_path)
            procs.append(proc)
            bases.append(base)
        with admin_client(bases[0]) as a, admin_client(bases[1]) as b:
            yield a, b
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(30)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _reads(client: httpx.Client, territory_id: int, headers: dict[str, str]) -> list[int]:
    """Statuses of the three fast doors and a FastAPI route, as ``headers``' caller."""
    paths = [
        "/locate?lon=0.5&lat=0.5",
        "/accounts?limit=10",
        f"/territories/{territory_id}",
        "/reps",
    ]
    return [client.get(path, headers=headers).status_code for path in paths]


def _token(client: httpx.Client, owner: str) -> dict[str, Any]:
    made = client.post("/tokens", json={"role": "manager", "owner": owner})
    assert made.status_code == 201, made.text
    return dict(made.json())


def test_a_token_revoked_in_one_worker_is_refused_by_the_next_request_in_another(
    two_servers: tuple[httpx.Client, httpx.Client],
) -> None:
    a, b = two_servers
    tid = plan(a)["a"]
    revoked, kept = _token(a, "vic"), _token(a, "kim")
    session = httpx.Client(base_url=str(b.base_url))
    signed_in = session.post("/session", json={"token": revoked["token"]})
    assert signed_in.status_code == 200, signed_in.text
    for _ in range(2):  # the second round is answered from b's cache
        assert _reads(b, tid, _bearer(revoked["token"])) == [200] * 4
        assert _reads(b, tid, _bearer(kept["token"])) == [200] * 4
        assert session.get("/session").status_code == 200

    assert a.delete(f"/tokens/{revoked['id']}").status_code == 204

    assert _reads(b, tid, _bearer(revoked["token"])) == [401] * 4  # at once, in the other worker
    assert session.get("/session").status_code == 401  # and the session opened with it
    assert _reads(b, tid, _bearer(kept["token"])) == [200] * 4  # the others are read again
    session.close()


def test_a_token_revoked_by_the_cli_is_refused_at_once_by_every_worker(
    two_servers: tuple[httpx.Client, httpx.Client], database_url: str, tmp_path: Path
) -> None:
    a, b = two_servers
    tid = plan(a)["a"]
    token = _token(a, "vic")
    for server in (a, b):
        assert _reads(server, tid, _bearer(token["token"])) == [200] * 4
    revoke = [sys.executable, "-m", "service.cli", "token", "revoke", str(token["id"])]
    done = subprocess.run(
        revoke,
        cwd=tmp_path,
        env={"PYTHONPATH": str(REPO), "TERRITORY_DATABASE_URL": database_url, "PATH": ""},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    for server in (a, b):
        assert _reads(server, tid, _bearer(token["token"])) == [401] * 4


def test_a_scenario_scheduled_in_one_worker_is_named_by_the_next_read_in_another(
    two_servers: tuple[httpx.Client, httpx.Client],
) -> None:
    a, b = two_servers
    p = plan(a)
    sid = new_scenario(a, "Next year")
    reshape(a, f"/scenarios/{sid}", p["a"], box(0, 0, 1.5, 1))
    reshape(a, f"/scenarios/{sid}", p["b"], box(1.5, 0, 2, 1))
    for path in (f"/territories/{p['a']}", f"/territories/{p['a']}?include=flags"):
        assert "pending" not in b.get(path).json()  # b knows nothing is scheduled

    etag = a.get("/plan").headers["etag"]
    scheduled = a.post(
        f"/scenarios/{sid}/apply", json={"effective_date": FAR_DAY}, headers={"If-Match": etag}
    )
    assert scheduled.status_code == 202, scheduled.text

    for path in (f"/territories/{p['a']}", f"/territories/{p['a']}?include=flags"):
        pending = b.get(path).json().get("pending")  # the very next read in b
        assert pending is not None, path
        assert [(c["scenario_id"], c["effective_date"]) for c in pending] == [(sid, FAR_DAY)]

    etag = a.get(f"/scenarios/{sid}").headers["etag"]
    back = a.patch(f"/scenarios/{sid}", json={"status": "draft"}, headers={"If-Match": etag})
    assert back.status_code == 200, back.text
    assert "pending" not in b.get(f"/territories/{p['a']}").json()


def test_the_counters_move_only_with_what_they_count(store: Store) -> None:
    from service.storage.shared_counters import SCHEDULES_CHANGED, TOKENS_REVOKED
    from service.tokens import create_token

    def counters() -> tuple[int, int]:
        with store.read() as tx:
            return tx.shared_counter(TOKENS_REVOKED), tx.shared_counter(SCHEDULES_CHANGED)

    _, record = create_token(store, role="manager", owner="m", actor="t")
    assert counters() == (0, 0)  # a new token is looked up on its first use: nothing moves
    with store.write() as tx:
        tx.revoke_token(record.id)
        tx.bump_revision("none")
    assert counters() == (1, 0)
    with pytest.raises(RuntimeError), store.write() as tx:
        tx.revoke_token(record.id)
        raise RuntimeError("rolled back")
    assert counters() == (1, 0)  # the counter commits with the revocation, or not at all
