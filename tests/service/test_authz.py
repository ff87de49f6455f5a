"""Every route, every kind of caller, checked against the access rule.

The rule (issue: authentication, roles and the rep's own book): admins may
do everything; managers read everything and write territories, reps and
accounts, a regional manager only inside their region; reps read their own
accounts, travel and route, the territories they belong to, ``/locate`` and
``/geocode``, and nothing else. ``RULES`` below states it per route,
independently of the code; a route missing from ``RULES`` fails the test.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import shapely
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import Settings
from service.storage import Store
from service.tokens import create_token
from tests.conftest import ADMIN_TOKEN, make_settings

PUBLIC, ANY, STAFF, ADMIN = "public", "any", "staff", "admin"

RULES: dict[tuple[str, str], str] = {
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/territories"): ANY,
    ("POST", "/territories"): STAFF,
    ("GET", "/territories/{territory_id}"): ANY,
    ("PUT", "/territories/{territory_id}"): STAFF,
    ("PATCH", "/territories/{territory_id}"): STAFF,
    ("DELETE", "/territories/{territory_id}"): STAFF,
    ("GET", "/territories/{territory_id}/history"): STAFF,
    ("POST", "/territories/{territory_id}/restore"): STAFF,
    ("GET", "/reps"): ANY,
    ("POST", "/reps"): STAFF,
    ("GET", "/reps/{rep_id}"): ANY,
    ("PUT", "/reps/{rep_id}"): STAFF,
    ("PATCH", "/reps/{rep_id}"): STAFF,
    ("DELETE", "/reps/{rep_id}"): STAFF,
    ("GET", "/accounts"): ANY,
    ("POST", "/accounts"): STAFF,
    ("GET", "/accounts/{account_id}"): ANY,
    ("PUT", "/accounts/{account_id}"): STAFF,
    ("PATCH", "/accounts/{account_id}"): STAFF,
    ("DELETE", "/accounts/{account_id}"): STAFF,
    ("POST", "/accounts/import"): STAFF,
    ("POST", "/territories/import"): STAFF,
    ("GET", "/tiles/{collection}/{z}/{x}/{y}.mvt"): ANY,
    ("GET", "/locate"): ANY,
    ("GET", "/geocode"): ANY,
    ("GET", "/analysis/overlaps"): STAFF,
    ("GET", "/analysis/gaps"): STAFF,
    ("GET", "/analysis/too-far"): STAFF,
    ("GET", "/reps/{rep_id}/travel"): ANY,
    ("GET", "/reps/{rep_id}/route"): ANY,
    ("GET", "/analysis/travel"): STAFF,
    ("GET", "/analysis/balance"): STAFF,
    ("POST", "/tokens"): ADMIN,
    ("GET", "/tokens"): ADMIN,
    ("DELETE", "/tokens/{token_id}"): ADMIN,
    ("GET", "/audit"): ADMIN,
    ("GET", "/territories/{territory_id}/accounts"): ANY,
    ("GET", "/reps/{rep_id}/accounts"): ANY,
    ("GET", "/maps/coverage"): STAFF,
    ("GET", "/maps/coverage.png"): STAFF,
    ("GET", "/maps/reps/{rep_id}"): ANY,
    ("GET", "/maps/territories/{territory_id}"): ANY,
    ("GET", "/"): PUBLIC,
    ("GET", "/editor"): PUBLIC,
    ("GET", "/me"): PUBLIC,
    ("POST", "/pipeline/import"): STAFF,
    ("GET", "/pipeline"): STAFF,
    ("GET", "/analysis/accounts"): STAFF,
    ("GET", "/analysis/territories"): STAFF,
    ("GET", "/analysis/reps"): STAFF,
    ("GET", "/analysis/goals"): STAFF,
    ("GET", "/analysis/review"): STAFF,
    ("GET", "/analysis/conflicts"): STAFF,
    ("PUT", "/territories/{territory_id}/goals"): STAFF,
    ("GET", "/territories/{territory_id}/goals"): STAFF,
    ("POST", "/session"): PUBLIC,
    ("GET", "/session"): ANY,
    ("DELETE", "/session"): PUBLIC,
    ("GET", "/dashboards"): STAFF,
    ("GET", "/reports/territories/{territory_id}.pdf"): STAFF,
    ("GET", "/reports/reps/{rep_id}.pdf"): ANY,
    ("GET", "/dashboards/territories/{territory_id}"): STAFF,
    ("GET", "/jobs/{job_id}"): ANY,
    ("DELETE", "/jobs/{job_id}"): ANY,
    ("POST", "/territories/changes"): STAFF,
    ("POST", "/territories/changes/{change_set_id}/revert"): STAFF,
    ("POST", "/territories/{territory_id}/split"): STAFF,
    ("POST", "/territories/{territory_id}/merge"): STAFF,
    ("GET", "/plan"): STAFF,
    ("PUT", "/territories/{territory_id}/cadence"): STAFF,
    ("GET", "/territories/{territory_id}/cadence"): STAFF,
    ("GET", "/accounts/{account_id}/cadence"): ANY,
    ("POST", "/contacts"): ANY,
    ("GET", "/contacts"): ANY,
    ("POST", "/reps/{rep_id}/schedule"): ANY,
    ("GET", "/reps/{rep_id}/schedule"): ANY,
    ("GET", "/reps/{rep_id}/schedule.ics"): ANY,
    ("GET", "/schedules"): ANY,
    ("GET", "/analysis/seasonality"): STAFF,
    ("GET", "/conformance"): PUBLIC,
    ("GET", "/api"): PUBLIC,
    ("GET", "/collections"): ANY,
    ("GET", "/collections/{collectionId}"): ANY,
    ("GET", "/collections/{collectionId}/queryables"): ANY,
    ("GET", "/collections/territories/items"): ANY,
    ("GET", "/collections/territories/items/{featureId}"): ANY,
    ("GET", "/collections/accounts/items"): ANY,
    ("GET", "/collections/accounts/items/{featureId}"): ANY,
    ("GET", "/collections/reps/items"): ANY,
    ("GET", "/collections/reps/items/{featureId}"): ANY,
    ("POST", "/collections/territories/items"): STAFF,
    ("PUT", "/collections/territories/items/{featureId}"): STAFF,
    ("PATCH", "/collections/territories/items/{featureId}"): STAFF,
    ("DELETE", "/collections/territories/items/{featureId}"): STAFF,
}
# Scenarios (issue 15): staff only (a regional manager only their region's),
# and the plan's territory and read routes again inside a scenario, under the
# staff rule (reps see no scenario) with the live routes' own region checks.
SCENARIO = "/scenarios/{scenario_id}"
RULES |= {
    ("POST", "/scenarios"): STAFF,
    ("GET", "/scenarios"): STAFF,
    ("GET", SCENARIO): STAFF,
    ("PATCH", SCENARIO): STAFF,
    ("DELETE", SCENARIO): STAFF,
    ("GET", SCENARIO + "/compare"): STAFF,
    ("POST", SCENARIO + "/apply"): STAFF,
    ("POST", SCENARIO + "/rebase"): STAFF,
    # Territory design (issue 16): units and design jobs are staff's.
    ("POST", SCENARIO + "/design"): STAFF,
    ("GET", SCENARIO + "/design/report"): STAFF,
    ("GET", SCENARIO + "/design/units"): STAFF,
    ("POST", SCENARIO + "/design/moves"): STAFF,
    ("POST", "/units/import"): STAFF,
    ("GET", "/units"): STAFF,
    ("GET", "/maps/scenarios/{scenario_id}/compare"): STAFF,
}
NESTED_IN_SCENARIO = {
    p
    for _, p in RULES
    if p.startswith("/territories")
    and not p.endswith("/cadence")
    or p
    in (
        "/accounts",
        "/reps/{rep_id}/accounts",
        "/maps/coverage",
        "/maps/coverage.png",
        "/maps/reps/{rep_id}",
        "/maps/territories/{territory_id}",
        "/dashboards",
        "/dashboards/territories/{territory_id}",
        "/locate",
        "/analysis/overlaps",
        "/analysis/gaps",
        "/analysis/too-far",
        "/analysis/travel",
        "/analysis/balance",
        "/analysis/territories",
        "/analysis/reps",
        "/analysis/goals",
    )
}
# Accounts and reps are shared: inside a scenario their lists only read.
RULES |= {
    (m, SCENARIO + p): STAFF
    for m, p in list(RULES)
    if p in NESTED_IN_SCENARIO and (m == "GET" or not p.endswith("/accounts"))
}
OGC_TERRITORY = "/collections/territories/items/{featureId}"
# Documentation routes FastAPI adds itself.
FRAMEWORK = {
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"),
}
# Routes whose object a rep must own (else 403), and territory writes a
# regional manager may make only inside the region.
REP_SCOPED_PARAMS = ("rep_id", "account_id", "territory_id")
TERRITORY_WRITES = {
    m
    for m in RULES
    if m[0] in ("PUT", "PATCH", "DELETE", "POST")
    and ("{territory_id}" in m[1] or m[1] == OGC_TERRITORY)
    and not m[1].endswith("/goals")
}
# Writes to an account or rep of another region (issue 13); the PUTs here send
# an empty body, refused (422) before any object is looked at.
REGION_WRITES = {
    m
    for m in RULES
    if m[0] in ("PATCH", "DELETE") and m[1] in ("/accounts/{account_id}", "/reps/{rep_id}")
}
# Writes over every region at once (the shared unit layer, issue 16): an
# admin's or an unconfined manager's, never a regional manager's (both
# manager personas here have a region).
UNCONFINED_WRITES = {("POST", "/units/import")}
# Where existence itself is private, "not yours" answers as "does not exist".
HIDDEN_FROM_REPS = {("GET", "/accounts/{account_id}")}

SQUARE = json.loads(shapely.to_geojson(shapely.box(-83.2, 39.2, -83.1, 39.3)))
BODIES: dict[tuple[str, str], Any] = {
    ("PUT", "/territories/{territory_id}"): {
        "type": "Feature",
        "geometry": SQUARE,
        "properties": {"name": "X"},
    },
    ("PATCH", "/territories/{territory_id}"): {"properties": {"name": "Y"}},
    ("PUT", OGC_TERRITORY): {"type": "Feature", "geometry": SQUARE, "properties": {"name": "X"}},
    ("PATCH", OGC_TERRITORY): {"properties": {"name": "Y"}},
    # A line that cuts T1 (inside the region); T2 (outside) must be refused before the cut.
    ("POST", "/territories/{territory_id}/split"): {
        "line": {"type": "LineString", "coordinates": [[-83.5, 38.5], [-83.5, 40.5]]},
        "if_match": "*",
    },
    ("POST", "/territories/{territory_id}/merge"): {
        "if_match": "*",
        "others": [{"id": 1, "if_match": "*"}],
    },
}
QUERIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/territories/{territory_id}/restore"): {"version": 1},
}
BODIES |= {(m, SCENARIO + p): b for (m, p), b in list(BODIES.items())}
QUERIES |= {(m, SCENARIO + p): q for (m, p), q in list(QUERIES.items())}


class World:
    """A seeded database copied per route: reps A and B, region R > T1 (A), T2 (B) outside R."""

    def __init__(self, base: Path) -> None:
        self.template = base / "template.db"
        store = Store.open(f"sqlite:///{self.template}")
        self.tokens = _seed(store)
        store.dispose()

    def client(self, tmp: Path) -> TestClient:
        db = tmp / "route.db"
        shutil.copy(self.template, db)
        return TestClient(create_app(_settings(db)))


def _settings(db: Path) -> Settings:
    return make_settings(f"sqlite:///{db}")


def _seed(store: Store) -> dict[str, str]:
    with TestClient(create_app(_settings(Path(str(store.backend.engine.url.database))))) as c:
        h = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        for name, home in (("A", [-83.5, 39.5]), ("B", [-80.5, 39.5])):
            c.post(
                "/reps",
                json={"name": name, "home": {"type": "Point", "coordinates": home}},
                headers=h,
            ).raise_for_status()

        def terr(name: str, box: tuple[float, ...], **p: Any) -> None:
            geo = json.loads(shapely.to_geojson(shapely.box(*box)))
            c.post(
                "/territories",
                json={"type": "Feature", "geometry": geo, "properties": {"name": name, **p}},
                headers=h,
            ).raise_for_status()

        terr("R", (-84, 39, -83, 40))
        terr("T1", (-84, 39, -83, 40), parent_id=1, rep_ids=[1])
        terr("T2", (-81, 39, -80, 40), rep_ids=[2])
        csv = "id,lon,lat\na1,-83.5,39.5\nb1,-80.5,39.5\n"
        c.post(
            "/accounts/import", content=csv, headers={**h, "Content-Type": "text/csv"}
        ).raise_for_status()
    tokens = {
        "rep": create_token(store, role="rep", owner="rep-a", rep_id=1, actor="t")[0],
        "manager": create_token(store, role="manager", owner="mgr-r", region_id=1, actor="t")[0],
        "expired": create_token(
            store,
            role="admin",
            owner="old",
            expires_at=datetime.now(UTC) - timedelta(days=1),
            actor="t",
        )[0],
    }
    with store.write() as tx:  # scenario 1: a copy of the plan, in the manager's region
        tx.create_scenario("s", source=None, owner="mgr-r", region_id=1, notes=None)
    revoked, record = create_token(store, role="admin", owner="gone", actor="t")
    with store.write() as tx:
        tx.revoke_token(record.id)
    tokens["revoked"] = revoked
    tokens["admin"] = ADMIN_TOKEN
    return tokens


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return World(tmp_path_factory.mktemp("authz"))


def _api_routes() -> list[tuple[str, str]]:
    app = create_app(make_settings("sqlite:///:memory:"))
    paths = app.openapi()["paths"]
    return sorted((m.upper(), p) for p, ops in paths.items() for m in ops if m.upper() != "HEAD")


ROUTES = _api_routes()


def test_every_route_has_a_rule() -> None:
    missing = [r for r in ROUTES if r not in RULES and r not in FRAMEWORK]
    assert not missing, f"routes without an access rule in this test: {missing}"


# (persona, token key or raw header, rep-scoped ids to use, territory for manager)
PERSONAS = {
    "no-token": (None, "own"),
    "bad-token": ("tm_not-a-real-token", "own"),
    "malformed-header": ("Basic abc", "own"),
    "expired": ("expired", "own"),
    "revoked": ("revoked", "own"),
    "rep-own": ("rep", "own"),
    "rep-other": ("rep", "other"),
    "manager-inside": ("manager", "own"),
    "manager-outside": ("manager", "other"),
    "admin": ("admin", "own"),
}
IDS = {
    "own": {
        "rep_id": "1",
        "account_id": "a1",
        "territory_id": "2",
        "token_id": "1",
        "job_id": "0" * 32,
        "change_set_id": "1",
        "scenario_id": "1",
        "collection": "accounts",
        "z": "0",
        "x": "0",
        "y": "0",
        "featureId": "2",
        "collectionId": "accounts",
    },
    "other": {
        "rep_id": "2",
        "account_id": "b1",
        "territory_id": "3",
        "token_id": "1",
        "job_id": "0" * 32,
        "change_set_id": "1",
        "scenario_id": "1",
        "collection": "accounts",
        "z": "0",
        "x": "0",
        "y": "0",
        "featureId": "3",
        "collectionId": "accounts",
    },
}
ROLE_OF = {
    "rep-own": "rep",
    "rep-other": "rep",
    "manager-inside": "manager",
    "manager-outside": "manager",
    "admin": "admin",
}
ALLOWED = {ANY: {"admin", "manager", "rep"}, STAFF: {"admin", "manager"}, ADMIN: {"admin"}}


def _expected(route: tuple[str, str], persona: str) -> str:
    rule = RULES[route]
    if rule == PUBLIC:
        return "allowed"
    if persona not in ROLE_OF:
        return "401"
    role = ROLE_OF[persona]
    if role not in ALLOWED[rule]:
        return "403"
    scoped = any(f"{{{p}}}" in route[1] for p in REP_SCOPED_PARAMS)
    if persona == "rep-other" and scoped:
        return "404" if route in HIDDEN_FROM_REPS else "403"
    if role == "manager" and route in UNCONFINED_WRITES:
        return "403"
    if persona == "manager-outside" and route in TERRITORY_WRITES | REGION_WRITES:
        return "403"
    return "allowed"


@pytest.mark.parametrize(
    "route", [r for r in ROUTES if r not in FRAMEWORK], ids=lambda r: f"{r[0]} {r[1]}"
)
def test_route_answers_each_caller_by_the_rule(
    world: World, tmp_path: Path, route: tuple[str, str]
) -> None:
    method, template = route
    with world.client(tmp_path) as client:
        for persona, (token_key, ids_key) in PERSONAS.items():
            path = template.format(**IDS[ids_key])
            headers = _auth_header(world, token_key)
            if method in ("PUT", "PATCH", "DELETE", "POST") and (
                "{territory_id}" in template or template == OGC_TERRITORY
            ):
                headers["If-Match"] = "*"
            body = BODIES.get(route)
            r = client.request(
                method,
                path,
                headers=headers,
                params=QUERIES.get(route),
                json=body
                if body is not None
                else ({} if method in ("POST", "PUT", "PATCH") else None),
            )
            expected = _expected(route, persona)
            if expected == "allowed":
                assert r.status_code not in (401, 403), (persona, path, r.status_code, r.text[:300])
            else:
                assert str(r.status_code) == expected, (persona, path, r.status_code, r.text[:300])
                assert r.headers["content-type"] == "application/problem+json"
                assert not any(t and t in r.text for t in world.tokens.values()), (
                    "a token leaked into a body"
                )


def _auth_header(world: World, token_key: str | None) -> dict[str, str]:
    if token_key is None:
        return {}
    if token_key.startswith("Basic"):
        return {"Authorization": token_key}
    token = world.tokens.get(token_key, token_key)
    return {"Authorization": f"Bearer {token}"}


def test_rep_lists_show_only_their_own(world: World, tmp_path: Path) -> None:
    with world.client(tmp_path) as client:
        h = {"Authorization": f"Bearer {world.tokens['rep']}"}
        assert [f["id"] for f in client.get("/accounts", headers=h).json()["features"]] == ["a1"]
        assert [f["id"] for f in client.get("/territories", headers=h).json()["features"]] == [2]
        assert [r["id"] for r in client.get("/reps", headers=h).json()["items"]] == [1]
        assert [
            f["id"]
            for f in client.get("/accounts", params={"bbox": "-180,-90,180,90"}, headers=h).json()[
                "features"
            ]
        ] == ["a1"]


def test_tokens_are_stored_only_as_hashes_and_never_logged(
    world: World, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    raw = world.template.read_bytes()
    for token in world.tokens.values():
        if token != ADMIN_TOKEN:
            assert token.encode() not in raw
    with world.client(tmp_path) as client:
        client.get("/territories", headers={"Authorization": f"Bearer {world.tokens['rep']}"})
        client.get("/territories", headers={"Authorization": "Bearer tm_wrong"})
    assert not any(t in caplog.text for t in world.tokens.values())


def test_rate_limit_answers_429_with_retry_after(tmp_path: Path) -> None:
    settings = make_settings(f"sqlite:///{tmp_path / 'rl.db'}", rate_limit_per_minute=3)
    with TestClient(create_app(settings)) as client:
        h = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        codes = [client.get("/territories", headers=h).status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3] == 429
    assert client  # the last answer carried Retry-After:
    with TestClient(create_app(settings)) as client:
        for _ in range(3):
            client.get("/territories", headers=h)
        r = client.get("/territories", headers=h)
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        assert r.headers["content-type"] == "application/problem+json"


def test_cors_exposes_etag_and_allows_if_match_for_configured_origins(tmp_path: Path) -> None:
    settings = make_settings(f"sqlite:///{tmp_path / 'c.db'}", cors_origins=["https://app.example"])
    with TestClient(create_app(settings)) as client:
        pre = client.options(
            "/territories/1",
            headers={
                "Origin": "https://app.example",
                "Access-Control-Request-Method": "PUT",
                "Access-Control-Request-Headers": "if-match,authorization,idempotency-key",
            },
        )
        assert pre.status_code == 200
        assert "if-match" in pre.headers["access-control-allow-headers"].lower()
        got = client.get("/healthz", headers={"Origin": "https://app.example"})
        assert "etag" in got.headers["access-control-expose-headers"].lower()
        other = client.get("/healthz", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
    with TestClient(create_app(make_settings(f"sqlite:///{tmp_path / 'd.db'}"))) as client:
        assert (
            "access-control-allow-origin"
            not in client.get("/healthz", headers={"Origin": "https://app.example"}).headers
        )


def test_admin_reads_the_audit_log_with_filters(world: World, tmp_path: Path) -> None:
    with world.client(tmp_path) as client:
        h = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        client.post("/reps", json={"name": "C"}, headers=h).raise_for_status()
        entries = client.get(
            "/audit", params={"entity": "rep", "action": "create"}, headers=h
        ).json()
        assert entries and all(e["entity"] == "rep" and e["action"] == "create" for e in entries)
        assert entries[-1]["actor"] == "bootstrap-admin"
        assert client.get("/audit", params={"entity": "token"}, headers=h).json()
