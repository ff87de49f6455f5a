"""Every JSON answer of flags, travel, balance, plan analytics, pipeline and goals is typed.

On demo data (regions, leaf territories, reps, geocoded accounts, a pipeline
and goals) each route answers 200, its body validates against the response
model the OpenAPI document names, and re-serialising the model gives the body
back unchanged (the model describes the answer; it does not reshape it).
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from service.demo.seed import seed_demo
from service.schemas import analysis, flags, locate, travel
from tests.conftest import ApiClient
from tests.service.test_plan_api import import_csv, pipeline_csv

DEC = "2026-12-31"


def _models() -> dict[str, type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {}
    for module in (analysis, flags, locate, travel):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, BaseModel):
                found[value.__name__] = value
    return found


@pytest.fixture
def demo(client: ApiClient) -> dict[str, Any]:
    seed_demo(client.app.state.store, n_accounts=120)  # type: ignore[attr-defined]
    accounts = client.get("/accounts", params={"limit": 40}).json()["features"]
    owned = [f for f in accounts if f["properties"]["rep_id"] is not None]
    first, second = (f["properties"] | {"id": f["id"]} for f in owned[:2])
    rows = [
        (
            "p1",
            first["id"],
            "won",
            5000,
            "Widgets",
            "2026-01-10",
            "2026-02-01",
            first["rep_id"],
            "web",
        ),
        ("p2", second["id"], "opportunity", 800, None, "2026-02-10", None, first["rep_id"], None),
        ("p3", second["id"], "lead", None, None, "2026-03-10", None, None, None),
    ]
    assert import_csv(client, "/pipeline/import", pipeline_csv(rows)).status_code == 200
    visit = {"id": "a1", "account_id": first["id"], "kind": "visit", "at": "2026-02-02"}
    records = [visit | {"rep_id": first["rep_id"]}]
    r = client.post("/pipeline/import", params={"kind": "activities"}, json={"records": records})
    assert r.status_code == 200, r.text
    goals = {"period": "2026", "goals": [{"metric": "total_revenue", "value": 10000.0}]}
    put = client.put(f"/territories/{first['territory_id']}/goals", json=goals)
    assert put.status_code == 200, put.text
    return {"rep_id": first["rep_id"], "territory_id": first["territory_id"]}


def _paths(demo: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    rep, territory = demo["rep_id"], demo["territory_id"]
    return [
        ("analysis_overlaps", "/analysis/overlaps", {"sliver_km2": 0}),
        ("analysis_gaps", "/analysis/gaps", {}),
        ("analysis_too_far", "/analysis/too-far", {"limit": 5}),
        ("rep_travel", f"/reps/{rep}/travel", {}),
        ("rep_route", f"/reps/{rep}/route", {"day": 1}),
        ("analysis_travel", "/analysis/travel", {"sort": "rep_id"}),
        ("analysis_balance", "/analysis/balance", {"metric": "revenue"}),
        ("analysis_accounts", "/analysis/accounts", {"limit": 5}),
        ("analysis_territories", "/analysis/territories", {"period": "2026", "today": DEC}),
        ("analysis_reps", "/analysis/reps", {"period": "2026", "today": DEC}),
        ("analysis_goals", "/analysis/goals", {"period": "2026", "today": DEC}),
        ("analysis_review", "/analysis/review", {"period": "2026", "today": DEC}),
        ("analysis_conflicts", "/analysis/conflicts", {}),
        ("list_pipeline", "/pipeline", {"limit": 2}),
        ("list_pipeline", "/pipeline", {"kind": "activities"}),
        ("get_territory_goals", f"/territories/{territory}/goals", {}),
        ("locate", "/locate", {"lon": -83.0, "lat": 40.0}),
        ("geocode", "/geocode", {"q": "43215"}),
    ]


def test_each_json_answer_validates_against_its_documented_model(
    client: ApiClient, demo: dict[str, Any]
) -> None:
    spec = client.get("/openapi.json").json()
    operations = {op["operationId"]: op for item in spec["paths"].values() for op in item.values()}
    models = _models()
    for operation_id, path, params in _paths(demo):
        r = client.get(path, params=params)
        assert r.status_code == 200, (path, r.text[:300])
        schema = operations[operation_id]["responses"]["200"]["content"]["application/json"]
        ref = schema["schema"].get("$ref", "")
        name = ref.rsplit("/", 1)[-1]
        assert name in models, f"{operation_id} documents no response model: {schema}"
        body = r.json()
        again = models[name].model_validate(body).model_dump(mode="json")
        assert again == body, f"{operation_id}: the model reshapes the answer"


def test_a_route_for_a_rep_without_home_is_a_409_problem(client: ApiClient) -> None:
    rep = client.post("/reps", json={"name": "Homeless"}).json()["id"]
    r = client.get(f"/reps/{rep}/route")
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["type"] == "/problems/rep-has-no-home"


def test_a_day_the_plan_does_not_have_is_a_404_problem(
    client: ApiClient, demo: dict[str, Any]
) -> None:
    r = client.get(f"/reps/{demo['rep_id']}/route", params={"day": 31})
    assert r.status_code == 404
    assert r.json()["type"] == "/problems/no-such-day"
    assert "field day" in r.json()["detail"]
