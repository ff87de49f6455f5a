"""The hot reads' doors (service/routers/fast_reads.py) answer exactly as the FastAPI routes.

Two apps on one database, one with the doors and one without, get the same
requests: plain ones (the doors take them), and every near miss a client or
an attacker sends (they must go on to FastAPI and get its answer, 422s
included). Status, headers and body must be byte for byte the same, for
each kind of caller. Which requests the doors take is checked apart, so the
comparison cannot pass by the doors taking nothing.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import shapely
from sqlalchemy import event
from starlette.testclient import TestClient

from service.app import create_app
from service.routers import fast_reads
from service.routers.fast_reads import FastRead
from service.routers.territories import get_territory
from service.storage import Store
from service.tokens import create_token
from service.web.lanes import WRITES
from tests.conftest import ADMIN_TOKEN, make_settings, wait_until_ready

ACCOUNT_IDS = ["a1", "a2", "b1", "é/ü 1", "z" * 200]

LOCATE = [
    "lon=-83.5&lat=39.5",  # inside T1
    "lon=-80.5&lat=39.5",  # inside T2
    "lon=10&lat=10",  # no territory
    "lon=180&lat=90",
    "lon=-180&lat=-90",
    "lon=-0&lat=0.0",
    "lon=-83.50000000000000000001&lat=39.5",
    "lat=39.5&lon=-83.5",
]
LOCATE_NEAR_MISSES = [
    "lon=180.0000001&lat=0",
    "lon=-181&lat=0",
    "lon=0&lat=90.5",
    "lon=1e2&lat=0",
    "lon=%205&lat=0",
    "lon=+5&lat=0",
    "lon=5.&lat=0",
    "lon=.5&lat=0",
    "lon=0005&lat=0",
    "lon=nan&lat=0",
    "lon=inf&lat=0",
    "lon=&lat=0",
    "lon=abc&lat=0",
    "lon=-83.5",
    "",
    "lon=1&lon=2&lat=0",
    "lon=-83.5&lat=39.5&industry=retail",
    "lon=-83.5&lat=39.5&product=a&product=b",
    "lon=-83.5&lat=39.5&revenue=-1",
    "lon=-83.5&lat=39.5&unknown=1",
    "lon=-83.5;lat=39.5",
]
PAGES = [
    "",
    "limit=1",
    "limit=2&after=a1",
    "after=a2",
    "limit=1000",
    "after=%C3%A9%2F%C3%BC%201",
    "after=" + "z" * 200,
    "after=zzzz&limit=5",
]
PAGE_NEAR_MISSES = [
    "limit=0",
    "limit=1001",
    "limit=01",
    "limit=-1",
    "limit=abc",
    "limit=",
    "after=",
    "after=" + "z" * 201,
    "limit=1&limit=2",
    "limit=1&territory_id=2",
    "rep_id=1",
    "assignment=geometry",
    "industry=retail",
    "bbox=-84,39,-83,40",
    "f=geojson",
    "f=csv",
    "limit=1&after=a1&extra=1",
]
TERRITORIES = [
    "/territories/1",
    "/territories/2",
    "/territories/3",
    "/territories/999",
    "/territories/2147483647",
]
TERRITORY_NEAR_MISSES = [
    "/territories/0",
    "/territories/-1",
    "/territories/01",
    "/territories/2147483648",
    "/territories/99999999999",
    "/territories/2?include=flags",
    "/territories/2?x=1",
    "/territories/2/",
    "/territories/ 2",
]
REQUESTS = (
    [(f"/locate?{q}", True) for q in LOCATE]
    + [(f"/locate?{q}", False) for q in LOCATE_NEAR_MISSES]
    + [(f"/accounts?{q}".rstrip("?"), True) for q in PAGES]
    + [(f"/accounts?{q}", False) for q in PAGE_NEAR_MISSES]
    + [(p, True) for p in TERRITORIES]
    + [(p, False) for p in TERRITORY_NEAR_MISSES]
)
CALLERS = ["admin", "manager", "rep", "rep-b", "expired", "bad", "none"]


@pytest.fixture(scope="module")
def tokens(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str | None]:
    db = tmp_path_factory.mktemp("fast_reads") / "plan.db"
    with TestClient(create_app(make_settings(f"sqlite:///{db}"))) as c:
        h = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        c.post("/reps", json={"name": "A"}, headers=h).raise_for_status()
        c.post("/reps", json={"name": "B"}, headers=h).raise_for_status()
        for name, box, extra in (
            ("R", (-84, 39, -83, 40), {}),
            ("T1", (-84, 39, -83, 40), {"parent_id": 1, "rep_ids": [1]}),
            ("T2", (-81, 39, -80, 40), {"rep_ids": [2]}),
        ):
            geometry = json.loads(shapely.to_geojson(shapely.box(*box)))
            feature = {"type": "Feature", "geometry": geometry, "properties": {"name": name}}
            feature["properties"] |= extra
            c.post("/territories", json=feature, headers=h).raise_for_status()
        rows = [(i, -83.5, 39.5) if i != "b1" else (i, -80.5, 39.5) for i in ACCOUNT_IDS]
        csv = "id,lon,lat\n" + "".join(f'"{i}",{x},{y}\n' for i, x, y in rows)
        c.post(
            "/accounts/import", content=csv.encode(), headers={**h, "Content-Type": "text/csv"}
        ).raise_for_status()
    store = Store.open(f"sqlite:///{db}")
    try:
        made: dict[str, str | None] = {
            "admin": ADMIN_TOKEN,
            "manager": create_token(store, role="manager", owner="m", region_id=1, actor="t")[0],
            "rep": create_token(store, role="rep", owner="r", rep_id=1, actor="t")[0],
            "rep-b": create_token(store, role="rep", owner="rb", rep_id=2, actor="t")[0],
            "expired": create_token(
                store,
                role="admin",
                owner="old",
                expires_at=datetime.now(UTC) - timedelta(days=1),
                actor="t",
            )[0],
            "bad": "tm_not-a-real-token",
            "none": None,
        }
    finally:
        store.dispose()
    made["db"] = str(db)
    return made


def _client(db: str, fast: bool, **overrides: Any) -> TestClient:
    return TestClient(create_app(make_settings(f"sqlite:///{db}", fast_reads=fast, **overrides)))


@pytest.fixture(scope="module")
def pair(tokens: dict[str, str | None]) -> Iterator[tuple[TestClient, TestClient]]:
    db = str(tokens["db"])
    with _client(db, True) as fast, _client(db, False) as slow:
        wait_until_ready(fast)
        wait_until_ready(slow)
        yield fast, slow


def _answer(client: TestClient, url: str, token: str | None) -> tuple[int, list[Any], bytes]:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    r = client.get(url, headers=headers)
    return r.status_code, sorted(r.headers.multi_items()), r.content


@pytest.mark.parametrize("caller", CALLERS)
def test_every_request_gets_the_fastapi_routes_answer_byte_for_byte(
    pair: tuple[TestClient, TestClient], tokens: dict[str, str | None], caller: str
) -> None:
    fast, slow = pair
    statuses = set()
    for url, _ in REQUESTS:
        want = _answer(slow, url, tokens[caller])
        assert _answer(fast, url, tokens[caller]) == want, url
        statuses.add(want[0])
    if caller in ("admin", "manager", "rep", "rep-b"):
        assert {200, 404, 422} <= statuses  # the catalogue reaches answers and refusals
    else:
        assert 401 in statuses


def test_the_doors_take_the_plain_requests_and_nothing_else(
    pair: tuple[TestClient, TestClient],
) -> None:
    fast, slow = pair
    doors = [r for r in fast.app.router.routes if isinstance(r, FastRead)]  # type: ignore[attr-defined]
    assert len(doors) == 3 and fast.app.router.routes[:3] == doors  # type: ignore[attr-defined]
    assert not any(isinstance(r, FastRead) for r in slow.app.router.routes)  # type: ignore[attr-defined]
    for url, plain in REQUESTS:
        path, _, query = url.partition("?")
        for method in ("GET", "HEAD", "POST"):
            scope: dict[str, Any] = {"type": "http", "method": method, "path": path}
            scope |= {"root_path": "", "query_string": query.encode()}
            taken = [d for d in doors if d.matches(scope)[0].name == "FULL"]
            assert len(taken) == (1 if plain and method == "GET" else 0), (method, url)


def test_the_rate_limit_counts_a_door_as_it_counts_a_route(
    tokens: dict[str, str | None],
) -> None:
    db, token = str(tokens["db"]), tokens["rep"]
    answers = []
    for fast in (True, False):
        with _client(db, fast, rate_limit_per_minute=4) as c:
            wait_until_ready(c)
            urls = ("/locate?lon=1&lat=1", "/accounts", "/territories/2") * 2
            answers.append([_answer(c, url, token) for url in urls])
    # Retry-After counts down the window's seconds: the two apps ran apart.
    waits = [[dict(h).pop("retry-after", None) for _, h, _ in run] for run in answers]
    assert all(w is not None for w in waits[0][4:] + waits[1][4:])
    same = [[(s, [x for x in h if x[0] != "retry-after"], b) for s, h, b in run] for run in answers]
    assert same[0] == same[1]
    assert [s for s, _, _ in answers[0]] == [200, 200, 200, 200, 429, 429]


def test_a_write_names_its_territory_by_url_with_the_doors_in_place(
    pair: tuple[TestClient, TestClient],
) -> None:
    fast, _ = pair
    h = {"Authorization": f"Bearer {ADMIN_TOKEN}", "If-Match": "*"}
    r = fast.patch("/territories/3", json={"properties": {"color": "#112233"}}, headers=h)
    assert r.status_code == 200, r.text
    assert r.headers["Location"].endswith("/territories/3")


def test_a_scenarios_reads_still_take_the_scenario_routes(
    pair: tuple[TestClient, TestClient],
) -> None:
    fast, slow = pair
    h = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    made = fast.post("/scenarios", json={"name": "s", "from": "live"}, headers=h)
    assert made.status_code == 201, made.text
    sid = made.json()["id"]
    for url in (f"/scenarios/{sid}/locate?lon=-83.5&lat=39.5", f"/scenarios/{sid}/accounts"):
        assert _answer(fast, url, ADMIN_TOKEN) == _answer(slow, url, ADMIN_TOKEN), url


# --- GET /territories/{id} from the index cache ------------------------------------


def _feature(box: tuple[float, float, float, float], **properties: Any) -> dict[str, Any]:
    geometry = json.loads(shapely.to_geojson(shapely.box(*box)))
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def _statements(client: TestClient) -> list[str]:
    """Every statement the app's engine runs from now on (the probe has its own connection)."""
    seen: list[str] = []
    engine = client.app.state.store.backend.engine  # type: ignore[attr-defined]
    event.listen(engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    return seen


def test_a_held_territory_follows_every_write_made_in_another_worker(database_url: str) -> None:
    """Three apps on one database, three workers: one writes, one reads through the
    doors (the territory from its index cache), one through FastAPI (from the store).
    After each write the two readers' answers are the same bytes, at the new version."""
    h = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    settings = make_settings(database_url, warm_travel_figures=False)
    with (
        TestClient(create_app(settings), headers=h) as writer,
        TestClient(create_app(settings), headers=h) as held,
        TestClient(
            create_app(settings.model_copy(update={"fast_reads": False})), headers=h
        ) as read,
    ):
        writer.post("/reps", json={"name": "A"}).raise_for_status()
        made = writer.post("/territories", json=_feature((0, 0, 1, 1), name="T"))
        tid = made.json()["id"]
        wait_until_ready(held)
        url = f"/territories/{tid}"
        assert held.get(url).status_code == 200  # the index is current: the next GET is held
        ran = _statements(held)
        assert _answer(held, url, ADMIN_TOKEN) == _answer(read, url, ADMIN_TOKEN)
        assert ran == []  # answered from memory: no transaction, no row read
        plus = {"If-Match": "*"}
        writes = [
            {"properties": {"color": "#123456"}},
            {"properties": {"name": "Renamed", "rep_ids": [1]}},
            {"geometry": _feature((0, 0, 2, 1))["geometry"]},
            {"properties": {"attributes": {"quota": 3}}},
        ]
        for version, body in enumerate(writes, start=2):
            assert writer.patch(url, json=body, headers=plus).status_code == 200
            answer = _answer(held, url, ADMIN_TOKEN)
            assert answer == _answer(read, url, ADMIN_TOKEN), body
            assert dict(answer[1])["etag"] == f'"{version}"'
        other = writer.post("/territories", json=_feature((5, 5, 6, 6), name="New")).json()["id"]
        assert _answer(held, f"/territories/{other}", ADMIN_TOKEN)[0] == 200
        assert writer.delete(url, headers=plus).status_code == 204
        gone = _answer(held, url, ADMIN_TOKEN)
        assert gone == _answer(read, url, ADMIN_TOKEN) and gone[0] == 404


def test_reads_sent_to_the_lane_while_a_write_is_about_follow_another_workers_writes(
    database_url: str,
) -> None:
    """With writes queued up, /locate and one territory take the read lane; each answer
    there is as of the write another worker made just before."""
    h = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    settings = make_settings(database_url, warm_travel_figures=False)
    with (
        TestClient(create_app(settings), headers=h) as writer,
        TestClient(create_app(settings), headers=h) as held,
    ):
        writer.post("/reps", json={"name": "A"}).raise_for_status()
        tid = writer.post("/territories", json=_feature((0, 0, 1, 1), name="T")).json()["id"]
        wait_until_ready(held)
        outside = {"lon": 1.5, "lat": 0.5}
        assert held.get("/locate", params=outside).json()["territory_id"] is None
        url, plus = f"/territories/{tid}", {"If-Match": "*"}
        with contextlib.ExitStack() as queued:  # writes queued: the doors send reads to the lane
            for _ in range(fast_reads.LOOP_READS_WITH_WRITES + 1):
                assert fast_reads._on_loop()
                queued.enter_context(WRITES.expecting())
            assert not fast_reads._on_loop()
            assert held.get("/locate", params=outside).json()["territory_id"] is None
            assert held.get(url).headers["etag"] == '"1"'
            for version, body in enumerate(
                [
                    {"properties": {"color": "#123456"}},
                    {"geometry": _feature((0, 0, 2, 1))["geometry"]},
                ],
                start=2,
            ):
                assert writer.patch(url, json=body, headers=plus).status_code == 200
                answer = held.get(url)
                assert answer.headers["etag"] == f'"{version}"', body
                assert answer.json()["properties"].get("color") == "#123456"
            assert held.get("/locate", params=outside).json()["territory_id"] == tid


def test_an_id_not_held_and_a_scheduled_scenario_go_to_the_store(
    pair: tuple[TestClient, TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, _ = pair
    fast.get("/territories/2", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    reads: list[int] = []
    real = get_territory  # the route fast_reads sends a territory not held to

    async def counted(**kwargs: Any) -> Any:
        reads.append(kwargs["territory_id"])
        return await real(**kwargs)

    monkeypatch.setattr(fast_reads, "get_territory", counted)
    for tid in (2, 999, 2):
        fast.get(f"/territories/{tid}", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert reads == [999]  # 2 is held; 999 is not, and the store says 404
    switches = fast.app.state.switches  # type: ignore[attr-defined]
    monkeypatch.setattr(switches, "anything_scheduled", lambda: True)
    fast.get("/territories/2", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert reads == [999, 2]  # the pending changes are in the store only
