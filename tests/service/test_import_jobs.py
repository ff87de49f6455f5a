"""Import jobs (``?async=true`` / ``Prefer: respond-async``) and replays of every import route."""

from __future__ import annotations

import time
from typing import Any

import pytest

from service.tokens import create_token
from service.usecases import account_import, jobs
from tests.conftest import ApiClient
from tests.service.test_accounts_api import rep, square, territory


def _csv(n: int, prefix: str = "j") -> str:
    rows = [f"{prefix}-{i},Acct {i},{-83.9 + (i % 90) / 100:.4f},39.5" for i in range(n)]
    return "id,name,lon,lat\n" + "\n".join(rows) + "\n"


def _wait(client: ApiClient, href: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(href).json()
        if job["status"] in ("done", "failed", "cancelled"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {href} did not finish")


@pytest.fixture
def west(client: ApiClient) -> int:
    return territory(client, "West", square(-84, 39), rep_ids=[rep(client, "Ann")])


def test_async_import_answers_202_with_a_job_whose_result_is_the_report(
    client: ApiClient, west: int
) -> None:
    r = client.post(
        "/accounts/import",
        content=_csv(300),
        headers={"Content-Type": "text/csv", "Prefer": "respond-async"},
    )
    assert r.status_code == 202, r.text
    assert r.headers["location"] == r.json()["href"]
    assert r.json()["status"] in ("queued", "running", "done")
    job = _wait(client, r.headers["location"])
    assert job["status"] == "done" and job["progress"] == 1.0
    assert (job["rows_done"], job["rows_total"]) == (300, 300)
    assert job["result"]["created"] == 300 and job["result"]["stored"] is True
    assert client.get("/accounts/j-299").json()["properties"]["territory_id"] == west


def test_job_progress_moves_as_batches_are_staged(
    client: ApiClient, west: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(account_import, "CHUNK_ROWS", 100)
    monkeypatch.setattr(jobs, "POLL_S", 0.0)
    seen: list[tuple[int, float]] = []
    real = jobs.JobContext.progress

    def spy(self: jobs.JobContext, done: int, total: int | None) -> None:
        real(self, done, total)
        stored = client.get(f"/jobs/{self.job_id}").json()
        seen.append((stored["rows_done"], stored["progress"]))

    monkeypatch.setattr(jobs.JobContext, "progress", spy)
    r = client.post(
        "/accounts/import",
        params={"async": "true"},
        content=_csv(500),
        headers={"Content-Type": "text/csv"},
    )
    assert _wait(client, r.headers["location"])["status"] == "done"
    assert [d for d, _ in seen] == [100, 200, 300, 400, 500]
    fractions = [p for _, p in seen]
    assert fractions == sorted(fractions) and 0 < fractions[0] < fractions[-1] < 1


def test_cancel_during_an_import_stores_nothing(
    client: ApiClient, west: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(account_import, "CHUNK_ROWS", 100)
    real = jobs.JobContext.progress
    answers: list[dict[str, Any]] = []

    def cancel_on_first_batch(self: jobs.JobContext, done: int, total: int | None) -> None:
        real(self, done, total)
        if not answers:
            answers.append(client.delete(f"/jobs/{self.job_id}").json())

    monkeypatch.setattr(jobs.JobContext, "progress", cancel_on_first_batch)
    r = client.post(
        "/accounts/import",
        params={"async": "true"},
        content=_csv(1000),
        headers={"Content-Type": "text/csv"},
    )
    job = _wait(client, r.headers["location"])
    assert job["status"] == "cancelled" and job["finished_at"] is not None
    assert answers and answers[0]["status"] in ("running", "cancelled")
    assert client.get("/accounts", params={"limit": 5}).json()["features"] == []
    # Cancelling a finished job changes nothing.
    again = client.delete(r.headers["location"])
    assert again.status_code == 200 and again.json()["status"] == "cancelled"


def test_a_failed_batch_write_stores_nothing_and_leaves_the_store_usable(
    client: ApiClient, west: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database error while staging a later batch (on PostGIS, on the background thread)."""
    from sqlalchemy.exc import OperationalError

    from service.storage.account_bulk import AccountStaging

    monkeypatch.setattr(account_import, "CHUNK_ROWS", 100)
    pg = client.app.state.store.name == "postgis"  # type: ignore[attr-defined]
    name = "_load_and_insert" if pg else "load"
    real = getattr(AccountStaging, name)
    calls: list[int] = []

    def fail_third(self: AccountStaging, *args: Any) -> None:
        calls.append(1)
        if len(calls) == 3:
            raise OperationalError("COPY", None, Exception("connection lost"))
        real(self, *args)

    monkeypatch.setattr(AccountStaging, name, fail_third)
    r = client.post("/accounts/import", content=_csv(1000), headers={"Content-Type": "text/csv"})
    assert r.status_code == 503 and len(calls) >= 3
    assert client.get("/accounts", params={"limit": 5}).json()["features"] == []
    monkeypatch.setattr(AccountStaging, name, real)
    again = client.post(
        "/accounts/import", content=_csv(1000), headers={"Content-Type": "text/csv"}
    )
    assert again.status_code == 200 and again.json()["created"] == 1000


def test_a_job_is_visible_to_its_owner_and_admins_only(client: ApiClient, west: int) -> None:
    store = client.app.state.store  # type: ignore[attr-defined]
    mine = create_token(store, role="manager", owner="mgr-1", actor="t")[0]
    other = create_token(store, role="manager", owner="mgr-2", actor="t")[0]
    r = client.post(
        "/accounts/import",
        params={"async": "true"},
        content=_csv(10),
        headers={"Content-Type": "text/csv", **client.as_token(mine)},
    )
    assert r.status_code == 202
    href = r.headers["location"]
    assert _wait(client, href)["owner"] == "mgr-1"  # the admin sees it
    assert client.get(href, headers=client.as_token(mine)).status_code == 200
    for method in ("get", "delete"):
        hidden = client.request(method, href, headers=client.as_token(other))
        assert hidden.status_code == 404
        assert hidden.headers["content-type"] == "application/problem+json"
    assert client.get("/jobs/not-a-job").status_code == 422
    assert client.get("/jobs/" + "f" * 32).status_code == 404


def test_an_atomic_import_job_with_bad_rows_fails_with_the_report(
    client: ApiClient, west: int
) -> None:
    body = _csv(5) + "bad,Bad,not-a-number,39.5\n"
    r = client.post(
        "/accounts/import",
        params={"async": "true"},
        content=body,
        headers={"Content-Type": "text/csv"},
    )
    job = _wait(client, r.headers["location"])
    assert job["status"] == "failed"
    assert job["result"]["status"] == 422 and job["result"]["failed"] == 1
    assert client.get("/accounts", params={"limit": 5}).json()["features"] == []


@pytest.mark.parametrize(
    ("path", "good", "bad", "content_type"),
    [
        ("/accounts/import", "id,lon,lat\nr1,-83.5,39.5\n", "id,lon,lat\nr1,x,39.5\n", "text/csv"),
        (
            "/pipeline/import",
            "id,account_id,stage,created_at\np1,r0,lead,2026-01-02\n",
            "id,account_id,stage,created_at\np1,missing,lead,2026-01-02\n",
            "text/csv",
        ),
    ],
    ids=["accounts", "pipeline"],
)
def test_a_replayed_import_answers_exactly_as_the_first_time(
    client: ApiClient, west: int, path: str, good: str, bad: str, content_type: str
) -> None:
    seed = client.post(
        "/accounts/import",
        content="id,lon,lat\nr0,-83.5,39.5\n",
        headers={"Content-Type": "text/csv"},
    )
    assert seed.status_code == 200
    for key, body, status in (("k-good", good, 200), ("k-bad", bad, 422)):
        headers = {"Content-Type": content_type, "Idempotency-Key": key}
        first = client.post(path, content=body, headers=headers)
        again = client.post(path, content=body, headers=headers)
        assert first.status_code == again.status_code == status, first.text
        assert first.headers["content-type"] == again.headers["content-type"]
        expected = "application/json" if status == 200 else "application/problem+json"
        assert first.headers["content-type"] == expected
        assert first.content == again.content
        assert again.headers["idempotent-replayed"] == "true"
        reused = client.post(path, content=body + "\n", headers=headers)
        assert reused.status_code == 422 and reused.json()["type"].endswith("key-reused")


def test_an_async_pipeline_import_finishes_without_waiting_on_its_own_write(
    client: ApiClient, west: int
) -> None:
    # Its progress is noted inside the import's write transaction: a second
    # write transaction there would wait on the first (SQLite: one writer).
    client.post("/accounts/import", content=_csv(3), headers={"Content-Type": "text/csv"})
    rows = [
        {"id": f"p{i}", "account_id": "j-0", "stage": "lead", "created_at": "2026-01-02"}
        for i in range(3)
    ]
    started = time.perf_counter()
    r = client.post("/pipeline/import", params={"async": "true"}, json=rows)
    assert r.status_code == 202, r.text
    job = _wait(client, r.headers["location"], timeout=20)
    assert job["status"] == "done", job
    assert time.perf_counter() - started < 20


@pytest.mark.parametrize(
    ("kind", "content", "content_type"),
    [
        ("pipeline", b"account_id,stage\na1,lead\n", "text/csv"),  # required columns missing
        ("activities", b"", "text/csv"),  # empty
        ("pipeline", b"\xff\xfe\x00garbage", "text/csv"),  # not UTF-8
        ("pipeline", b"id;account_id;stage;created_at\n", "text/csv"),  # wrong separator
        ("pipeline", b"not json at all", "application/json"),
    ],
)
def test_an_async_plan_import_of_a_file_that_can_never_import_starts_no_job(
    client: ApiClient, kind: str, content: bytes, content_type: str
) -> None:
    r = client.post(
        "/pipeline/import",
        params={"async": "true", "kind": kind},
        content=content,
        headers={"Content-Type": content_type},
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert "no job was started" in r.json()["detail"]
    # The same verdict as the file gets without async, row pointers and codes alike.
    sync = client.post(
        "/pipeline/import",
        params={"kind": kind},
        content=content,
        headers={"Content-Type": content_type},
    )
    assert sync.status_code == 422
    assert {(e["pointer"], e["code"]) for e in r.json()["errors"]} <= {
        (e["pointer"], e["code"]) for e in sync.json()["errors"]
    }, (r.json(), sync.json())
