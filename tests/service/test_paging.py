"""One paging envelope for every list route: follow ``next`` and see each item once."""

from __future__ import annotations

from typing import Any

from tests.conftest import ApiClient
from tests.service.test_plan_api import import_csv, pipeline_csv


def _walk(client: ApiClient, path: str, key: str, **params: Any) -> list[Any]:
    """Every item of a list route, following ``next`` links; checks each page's envelope."""
    seen: list[Any] = []
    url: str | None = path
    query: dict[str, Any] | None = params
    while url is not None:
        body = client.get(url, params=query).json()
        items = body.get(key, [])
        links = {link["rel"]: link for link in body["links"]}
        assert "self" in links and len(items) <= params["limit"]
        seen.extend(i["id"] for i in items)
        url, query = (links["next"]["href"], None) if "next" in links else (None, None)
    return seen


def test_reps_page_by_id_and_every_rep_is_seen_once(client: ApiClient) -> None:
    ids = [client.post("/reps", json={"name": f"Rep {n}"}).json()["id"] for n in range(5)]
    assert _walk(client, "/reps", "items", limit=2) == sorted(ids)


def test_accounts_page_with_a_text_key_and_a_geojson_link_type(client: ApiClient) -> None:
    rows = "id,name,lon,lat\n" + "".join(f"A{n},Acc {n},-83.{n},40.0\n" for n in range(5))
    r = import_csv(client, "/accounts/import", rows)
    assert r.status_code == 200, r.text
    assert _walk(client, "/accounts", "features", limit=2) == [f"A{n}" for n in range(5)]
    first = client.get("/accounts", params={"limit": 2}).json()["links"]
    assert {link["type"] for link in first} == {"application/geo+json"}


def test_pipeline_pages_keep_their_filters_and_links_carry_no_type(client: ApiClient) -> None:
    client.post(
        "/accounts/import", content="id,name\nA,Acme\n", headers={"Content-Type": "text/csv"}
    )
    rows = [
        (f"p{n}", "A", "lead", None, None, "2026-01-0" + str(n + 1), None, None, None)
        for n in range(5)
    ]
    assert import_csv(client, "/pipeline/import", pipeline_csv(rows)).status_code == 200
    assert _walk(client, "/pipeline", "items", limit=2, stage="lead") == [f"p{n}" for n in range(5)]
    links = client.get("/pipeline", params={"limit": 2}).json()["links"]
    assert all("type" not in link for link in links)
    assert "stage" not in links[1]["href"] and "after=p1" in links[1]["href"]


def test_a_limit_beyond_the_bound_is_a_422_problem(client: ApiClient) -> None:
    for path in ("/reps", "/accounts", "/pipeline", "/territories"):
        r = client.get(path, params={"limit": 1001})
        assert r.status_code == 422, path
        assert r.headers["content-type"].startswith("application/problem+json")
