"""Browser sessions: a cookie that opens pages and reads, and never writes."""

from __future__ import annotations

from fastapi.testclient import TestClient

from service.app import create_app
from tests.conftest import ADMIN_TOKEN, ApiClient, make_settings
from tests.service.test_accounts_api import import_csv, rep, square, territory


def test_session_cookie_reads_as_its_token_and_never_writes(sqlite_url: str) -> None:
    settings = make_settings(sqlite_url)
    with TestClient(
        create_app(settings), headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    ) as admin:
        ann = rep(admin, "Ann", (-83.5, 39.5))  # type: ignore[arg-type]
        bob = rep(admin, "Bob", (-82.5, 39.5))  # type: ignore[arg-type]
        territory(admin, "A", square(-84, 39), rep_ids=[ann])  # type: ignore[arg-type]
        territory(admin, "B", square(-83, 39), rep_ids=[bob])  # type: ignore[arg-type]
        import_csv(admin, "id,lon,lat\na,-83.5,39.5\nb,-82.5,39.5\n").raise_for_status()  # type: ignore[arg-type]
        token = admin.post("/tokens", json={"role": "rep", "owner": "ann", "rep_id": ann}).json()[
            "token"
        ]
    with TestClient(create_app(settings)) as browser:
        assert browser.post("/session", json={"token": "tm_wrong"}).status_code == 401
        assert "tm_session" not in browser.cookies
        signed = browser.post("/session", json={"token": token})
        assert signed.status_code == 200 and signed.json()["role"] == "rep"
        cookie = signed.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        assert browser.get("/session").json() == {
            "role": "rep",
            "name": "ann",
            "rep_id": ann,
            "region_id": None,
        }
        assert [f["id"] for f in browser.get("/accounts").json()["features"]] == ["a"]
        assert browser.get(f"/maps/reps/{ann}").status_code == 200
        assert browser.get(f"/maps/reps/{bob}").status_code == 403
        assert browser.post("/reps", json={"name": "X"}).status_code == 401
        assert browser.patch("/accounts/a", json={"properties": {"name": "x"}}).status_code == 401
        assert browser.delete("/session").status_code == 204
        assert browser.get("/accounts").status_code == 401


def test_refusals_of_a_session_id_and_a_nameless_rep_point_at_the_field(client: ApiClient) -> None:
    r = client.post("/session", json={"token": "tms_not-a-token"})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert [e["pointer"] for e in r.json()["errors"]] == ["/token"]
    rep = client.post("/reps", json={"name": "Ana"})
    assert rep.status_code == 201, rep.text
    patched = client.patch(f"/reps/{rep.json()['id']}", json={"name": None})
    assert (
        patched.status_code == 422 and patched.headers["content-type"] == "application/problem+json"
    )
    assert [e["pointer"] for e in patched.json()["errors"]] == ["/name"]
    assert client.get(f"/reps/{rep.json()['id']}").json()["name"] == "Ana"


def test_revoking_a_token_ends_every_session_opened_with_it(database_url: str) -> None:
    # Two workers on one database: the browser's worker keeps no cached record.
    admin_app = create_app(make_settings(database_url))
    other_app = create_app(make_settings(database_url, token_cache_seconds=0))
    # One started client per app: a second ``with`` on the same app ran its
    # start-up again, and the second set of background threads outlived it.
    here = TestClient(admin_app)
    with (
        TestClient(admin_app, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as admin,
        TestClient(other_app) as there,
    ):
        made = admin.post("/tokens", json={"role": "manager", "owner": "vic"}).json()
        kept = admin.post("/tokens", json={"role": "manager", "owner": "kim"}).json()
        for browser in (here, there):
            assert browser.post("/session", json={"token": made["token"]}).status_code == 200
            assert browser.get("/session").status_code == 200
        other = TestClient(admin_app)
        assert other.post("/session", json={"token": kept["token"]}).status_code == 200
        assert admin.delete(f"/tokens/{made['id']}").status_code == 204
        assert here.get("/session").status_code == 401
        assert there.get("/session").status_code == 401
        assert other.get("/session").json()["name"] == "kim"
        with admin_app.state.store.read() as tx:
            sessions = [t for t in tx.find_tokens() if t.parent_id == made["id"]]
        assert len(sessions) == 2 and all(t.revoked_at is not None for t in sessions)
