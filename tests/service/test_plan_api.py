"""The territory plan through the API: imports, evaluations, goals, review, conflicts, pages."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import shapely

from service.tokens import create_token
from tests.conftest import ApiClient

JAN, DEC = "2026-01-15", "2026-12-31"


def box(minx: float, miny: float, maxx: float, maxy: float) -> dict[str, Any]:
    return json.loads(shapely.to_geojson(shapely.box(minx, miny, maxx, maxy)))


def territory(client: ApiClient, name: str, x0: float, **props: Any) -> int:
    body = {
        "type": "Feature",
        "geometry": box(x0, 39.0, x0 + 1.0, 40.0),
        "properties": {"name": name, **props},
    }
    r = client.post("/territories", json=body)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def rep(client: ApiClient, name: str, lon: float, **props: Any) -> int:
    r = client.post(
        "/reps", json={"name": name, "home": {"type": "Point", "coordinates": [lon, 39.5]}, **props}
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def import_csv(client: ApiClient, path: str, csv: str, **params: Any) -> Any:
    return client.post(path, content=csv, params=params, headers={"Content-Type": "text/csv"})


def accounts_csv(
    rows: list[tuple[Any, ...]], header: str = "id,name,lon,lat,annual_revenue,cost_to_serve"
) -> str:
    return header + "\n" + "".join(",".join(str(v) for v in row) + "\n" for row in rows)


def pipeline_csv(rows: list[tuple[Any, ...]]) -> str:
    header = "id,account_id,stage,amount,product,created_at,closed_at,rep_id,source"
    return (
        header
        + "\n"
        + "".join(",".join("" if v is None else str(v) for v in row) + "\n" for row in rows)
    )


def ok(r: Any) -> Any:
    assert r.status_code == 200, r.text
    return r.json()


# --- the two worked examples -------------------------------------------------


def test_accounts_rank_by_net_profit_c_then_b_then_a(client: ApiClient) -> None:
    csv = accounts_csv(
        [
            ("A", "Acme", -83.5, 39.5, 65000, 18000),
            ("B", "Bolt", -83.4, 39.5, 60000, 10000),
            ("C", "Cask", -83.3, 39.5, 55000, 4000),
        ]
    )
    territory(client, "Ohio", -84.0)
    ok(import_csv(client, "/accounts/import", csv))
    body = ok(client.get("/analysis/accounts"))
    ranked = [(a["rank"], a["account_id"], a["net_profit"]) for a in body["accounts"]]
    assert ranked == [(1, "C", 51000.0), (2, "B", 50000.0), (3, "A", 47000.0)]
    assert (
        body["accounts"][0]["revenue"] == 55000.0 and body["accounts"][0]["cost_to_serve"] == 4000.0
    )
    (ohio,) = body["territories"]
    # Top 20 % of 3 accounts rounds up to 1: C's 51,000 of 148,000.
    assert ohio["top_accounts"] == 1 and ohio["top_share_pct"] == pytest.approx(
        100 * 51000 / 148000, abs=0.01
    )


FUNNELS = {"East": (20, 9, 4), "West": (32, 18, 6), "Central": (18, 10, 3)}


def _funnel_world(client: ApiClient) -> dict[str, int]:
    ids, accounts, records = {}, [], []
    for k, (name, (leads, opportunities, new)) in enumerate(FUNNELS.items()):
        x0 = -90.0 + 2 * k
        ids[name] = territory(client, name, x0)
        for i in range(leads):
            account = f"{name[0]}{i:02d}"
            accounts.append((account, account, x0 + 0.02 + 0.02 * i, 39.5, 1000, 100))
            stage = "won" if i < new else "opportunity" if i < opportunities else "lead"
            closed = "2026-06-30" if stage == "won" else None
            records.append(
                (f"r-{account}", account, stage, 5000, "Pumps", "2026-03-01", closed, None, "web")
            )
    ok(import_csv(client, "/accounts/import", accounts_csv(accounts)))
    report = ok(import_csv(client, "/pipeline/import", pipeline_csv(records)))
    assert report["created"] == 70 and report["failed"] == 0
    return ids


def test_east_ranks_first_on_conversion_although_west_has_most_leads(client: ApiClient) -> None:
    ids = _funnel_world(client)
    body = ok(client.get("/analysis/territories", params={"period": "2026", "today": DEC}))
    rows = {t["name"]: t for t in body["territories"]}
    assert [t["name"] for t in body["territories"]] == ["East", "West", "Central"]
    assert [(rows[n]["rank"], rows[n]["conversion_rate_pct"]) for n in FUNNELS] == [
        (1, 20.0),
        (2, 18.75),
        (3, 16.67),
    ]
    for name, (leads, opportunities, new) in FUNNELS.items():
        assert (rows[name]["leads"], rows[name]["opportunities"], rows[name]["new_accounts"]) == (
            leads,
            opportunities,
            new,
        )
        assert rows[name]["territory_id"] == ids[name]
    assert max(rows.values(), key=lambda t: t["leads"])["name"] == "West"
    assert rows["West"]["opportunity_rate_pct"] == 56.25
    assert rows["East"]["pipeline_value"] == 5 * 5000.0  # 5 still at opportunity
    assert rows["East"]["sales_cycle_days"] == 121.0  # 1 March to 30 June
    assert "new_accounts" in body["definitions"]


def test_a_period_without_the_records_shows_zeros_and_no_data(client: ApiClient) -> None:
    _funnel_world(client)
    body = ok(
        client.get("/analysis/territories", params={"period": "2025-Q3", "today": "2025-08-01"})
    )
    for row in body["territories"]:
        assert (row["leads"], row["conversion_rate_pct"], row["rank"], row["status"]) == (
            0,
            0.0,
            None,
            "no data",
        )
        assert row["sales_cycle_days"] is None
    assert body["period"] == {
        "label": "2025-Q3",
        "start": "2025-07-01",
        "end": "2025-10-01",
        "end_is": "exclusive",
        "today": "2025-08-01",
        "elapsed_share": round(32 / 92, 4),
    }


# --- imports -------------------------------------------------------------------


def _two_accounts(client: ApiClient) -> None:
    ok(
        import_csv(
            client,
            "/accounts/import",
            accounts_csv([("A", "Acme", -83.5, 39.5, 1, 1), ("B", "Bolt", -83.4, 39.5, 1, 1)]),
        )
    )


def test_bad_pipeline_rows_are_reported_by_row_and_column_and_nothing_is_stored(
    client: ApiClient,
) -> None:
    _two_accounts(client)
    csv = pipeline_csv(
        [
            ("p1", "A", "lead", 100, None, "2026-01-02", None, None, None),  # good
            ("p2", "A", "sold", 100, None, "2026-01-02", None, None, None),  # unknown stage
            (
                "p3",
                "B",
                "won",
                '"12,500"',
                None,
                "2026-01-02",
                "2026-02-01",
                None,
                None,
            ),  # decimal comma
            ("p4", "ZZ", "lead", None, None, "2026-01-02", None, None, None),  # unknown account
            ("p5", "B", "won", 10, None, "2026-01-02", None, None, None),  # won without closed_at
            ("p6", "B", "lead", 10, None, "yesterday", None, 99, None),  # bad date, unknown rep
            ("p1", "B", "lead", 10, None, "2026-01-02", None, None, None),  # duplicate id
        ]
    )
    r = import_csv(client, "/pipeline/import", csv)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    got = {(e["row"], e["column"]) for e in r.json()["errors"]}
    assert got == {
        (2, "stage"),
        (3, "amount"),
        (4, "account_id"),
        (5, "closed_at"),
        (6, "created_at"),
        (7, "id"),
    }
    assert all(e["pointer"].startswith(f"/rows/{e['row']}/") for e in r.json()["errors"])
    assert r.json()["failed"] == 6 and r.json()["stored"] is False
    assert ok(client.get("/pipeline"))["items"] == []
    # The unknown rep is reported once the date is fixed: references are checked too.
    r = import_csv(
        client,
        "/pipeline/import",
        pipeline_csv([("p6", "B", "lead", 10, None, "2026-01-02", None, 99, None)]),
    )
    assert r.status_code == 422 and r.json()["errors"][0]["column"] == "rep_id"


def test_non_atomic_import_keeps_the_good_rows_and_upserts_by_id(client: ApiClient) -> None:
    _two_accounts(client)
    csv = pipeline_csv(
        [
            ("p1", "A", "lead", 100, "X", "2026-01-02", None, None, None),
            ("p2", "nobody", "lead", 1, None, "2026-01-02", None, None, None),
        ]
    )
    report = ok(import_csv(client, "/pipeline/import", csv, atomic="false"))
    assert (report["created"], report["failed"], report["stored"]) == (1, 1, True)
    again = pipeline_csv([("p1", "A", "opportunity", 250, "X", "2026-01-02", None, None, None)])
    assert ok(import_csv(client, "/pipeline/import", again))["updated"] == 1
    assert ok(import_csv(client, "/pipeline/import", again))["unchanged"] == 1
    (item,) = ok(client.get("/pipeline"))["items"]
    assert (item["id"], item["stage"], item["amount"], item["created_at"]) == (
        "p1",
        "opportunity",
        250.0,
        "2026-01-02T00:00:00+00:00",
    )


def test_activities_import_as_json_and_list_by_kind(client: ApiClient) -> None:
    _two_accounts(client)
    ann = rep(client, "Ann", -83.5)
    records = [
        {
            "id": "a1",
            "account_id": "A",
            "rep_id": ann,
            "kind": "Visit",
            "at": "2026-03-01T09:00:00+02:00",
        },
        {"id": "a2", "account_id": "B", "rep_id": ann, "kind": "e-mail", "at": "2026-03-02"},
    ]
    r = client.post("/pipeline/import", params={"kind": "activities"}, json={"records": records})
    assert ok(r)["created"] == 2 and r.json()["kind"] == "activities"
    listed = ok(client.get("/pipeline", params={"kind": "activities", "activity_kind": "visit"}))
    assert [(i["id"], i["kind"], i["at"]) for i in listed["items"]] == [
        ("a1", "visit", "2026-03-01T07:00:00+00:00")
    ]
    bad = client.post(
        "/pipeline/import",
        params={"kind": "activities"},
        json=[{"id": "a3", "account_id": "A", "rep_id": ann, "kind": "fax", "at": "2026-03-02"}],
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["pointer"] == "/0/kind"


def test_idempotency_key_replays_the_first_answer_and_refuses_another_body(
    sqlite_client: ApiClient,
) -> None:
    client = sqlite_client
    _two_accounts(client)
    csv = pipeline_csv([("p1", "A", "lead", 100, None, "2026-01-02", None, None, None)])
    headers = {"Content-Type": "text/csv", "Idempotency-Key": "k-1"}
    first = client.post("/pipeline/import", content=csv, headers=headers)
    second = client.post("/pipeline/import", content=csv, headers=headers)
    assert first.json()["created"] == 1 and second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    other = client.post("/pipeline/import", content=csv.replace("100", "200"), headers=headers)
    assert other.status_code == 422 and other.json()["type"] == "/problems/idempotency-key-reused"
    assert ok(client.get("/pipeline"))["items"][0]["amount"] == 100.0


def test_upload_in_another_format_or_empty_is_refused(sqlite_client: ApiClient) -> None:
    r = sqlite_client.post(
        "/pipeline/import", content=b"<xml/>", headers={"Content-Type": "application/xml"}
    )
    assert r.status_code == 415 and r.headers["content-type"] == "application/problem+json"
    r = sqlite_client.post("/pipeline/import", json=[])
    assert r.status_code == 422 and r.json()["errors"][0]["reason"] == "there are no records"


# --- goals -------------------------------------------------------------------


def test_bad_goals_are_refused_with_pointers_and_nothing_is_stored(client: ApiClient) -> None:
    tid = territory(client, "North", -84.0)
    good = {"metric": "total_revenue", "value": 1000.0}
    cases = [
        ({"period": "2026-Q5", "goals": [good]}, "/period"),
        ({"period": "1800", "goals": [good]}, "/period"),
        (
            {"period": "2026", "goals": [good, {"metric": "product_revenue", "value": 5.0}]},
            "/goals/1/product",
        ),
        ({"period": "2026", "goals": [good, {**good, "value": 2.0}]}, "/goals/1/metric"),
        ({"period": "2026", "goals": [{"metric": "nps", "value": 150.0}]}, "/goals/0/value"),
        ({"period": "2026", "goals": [{"metric": "profit!", "value": 1.0}]}, "/goals/0/metric"),
        ({"period": "2026", "goals": [{**good, "value": "lots"}]}, "/goals/0/value"),
    ]
    for body, pointer in cases:
        r = client.put(f"/territories/{tid}/goals", json=body)
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", (
            body
        )
        assert pointer in [e["pointer"] for e in r.json()["errors"]], (body, r.json()["errors"])
    assert ok(client.get(f"/territories/{tid}/goals"))["periods"] == []
    assert (
        client.put("/territories/999/goals", json={"period": "2026", "goals": [good]}).status_code
        == 404
    )


def test_goals_are_set_on_leaf_territories_only(sqlite_client: ApiClient) -> None:
    parent = territory(sqlite_client, "Region", -84.0)
    territory(sqlite_client, "Leaf", -84.0, parent_id=parent)
    r = sqlite_client.put(f"/territories/{parent}/goals", json={"period": "2026", "goals": []})
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "path:territory_id"


def test_goal_status_against_actuals_half_way_through_the_year(client: ApiClient) -> None:
    ann = rep(client, "Ann", -83.5, quota=100000.0)
    tid = territory(client, "North", -84.0, rep_ids=[ann])
    ok(
        import_csv(
            client,
            "/accounts/import",
            accounts_csv(
                [("A", "Acme", -83.5, 39.5, 80000, 20000), ("B", "Bolt", -83.4, 39.5, 40000, 10000)]
            ),
        )
    )
    ok(
        import_csv(
            client,
            "/pipeline/import",
            pipeline_csv(
                [
                    ("old", "A", "won", 10000, "Pumps", "2025-01-10", "2025-02-01", ann, None),
                    ("d1", "A", "won", 30000, "Pumps", "2026-01-10", "2026-02-01", ann, None),
                    ("d2", "B", "won", 30000, "Valves", "2026-03-01", "2026-05-01", ann, None),
                ]
            ),
        )
    )
    goals = [
        {"metric": "total_revenue", "value": 100000.0},  # 60k of 100k at ~50 %: on track
        {"metric": "product_revenue", "product": "pumps", "value": 80000.0},  # 30k: behind
        {"metric": "new_customer_revenue", "value": 30000.0},  # B is new: met
        {"metric": "existing_customer_revenue", "value": 20000.0},  # A won before: met
        {"metric": "yoy_growth_pct", "value": 100.0},  # 60k against 10k: +500 %
        {"metric": "nps", "value": 40.0},  # no source: no data
        {"metric": "cac", "value": 5000.0, "actual": 4000.0},  # provided, lower is better
        {"metric": "clv_cac_ratio", "value": 3.0},  # (90k x 3 / 2) / 4000
        {"metric": "reps_at_quota", "value": 1.0},  # 60k against 50k by now
    ]
    assert (
        ok(client.put(f"/territories/{tid}/goals", json={"period": "2026", "goals": goals}))[
            "period"
        ]
        == "2026"
    )
    body = ok(client.get("/analysis/goals", params={"period": "2026", "today": "2026-07-01"}))
    results = {(g["metric"], g["product"]): g for g in body["territories"][0]["goals"]}
    status = {k[0]: (g["actual"], g["status"]) for k, g in results.items()}
    assert status["total_revenue"] == (60000.0, "on track")
    assert status["product_revenue"] == (30000.0, "behind")
    assert status["new_customer_revenue"] == (30000.0, "met")
    assert status["existing_customer_revenue"] == (30000.0, "met")
    assert status["yoy_growth_pct"] == (500.0, "on track")
    assert status["nps"] == (None, "no data") and results[("nps", None)]["actual_source"] == "none"
    assert (
        status["cac"] == (4000.0, "on track")
        and results[("cac", None)]["actual_source"] == "provided"
    )
    assert status["clv_cac_ratio"] == (pytest.approx(135000.0 / 4000.0, abs=0.01), "on track")
    assert status["reps_at_quota"] == (1.0, "on track")
    assert set(body["definitions"]) >= {"nps", "clv", "total_revenue"}
    # After the year, the same actuals are final.
    final = ok(client.get("/analysis/goals", params={"period": "2026", "today": DEC}))[
        "territories"
    ][0]["goals"]
    assert {g["metric"]: g["status"] for g in final}["total_revenue"] == "behind"


# --- reps, review, conflicts ---------------------------------------------------


def _crossing_world(client: ApiClient) -> tuple[int, int, int, int]:
    ann = rep(client, "Ann", -83.5, quota=120000.0, experience="junior")
    bob = rep(client, "Bob", -81.5, quota=120000.0, experience="senior")
    west = territory(client, "West", -84.0, rep_ids=[ann])
    east = territory(client, "East", -82.0, rep_ids=[bob])
    ok(
        import_csv(
            client,
            "/accounts/import",
            accounts_csv(
                [
                    ("W1", "Big West", -83.5, 39.5, 900000, 50000),
                    ("E1", "East One", -81.5, 39.5, 50000, 5000),
                ]
            ),
        )
    )
    ok(
        import_csv(
            client,
            "/pipeline/import",
            pipeline_csv(
                [
                    (
                        "p1",
                        "E1",
                        "won",
                        60000,
                        "Pumps",
                        "2026-01-05",
                        "2026-02-10",
                        ann,
                        None,
                    ),  # Ann in Bob's patch
                    ("p2", "W1", "opportunity", 9000, "Pumps", "2026-02-01", None, ann, None),
                ]
            ),
        )
    )
    acts = [
        {"id": "v1", "account_id": "E1", "rep_id": bob, "kind": "visit", "at": "2026-02-01"},
        {
            "id": "c1",
            "account_id": "W1",
            "rep_id": bob,
            "kind": "call",
            "at": "2026-03-03T10:00:00Z",
        },
        {"id": "c2", "account_id": "W1", "rep_id": ann, "kind": "call", "at": "2026-03-04"},
    ]
    ok(client.post("/pipeline/import", params={"kind": "activities"}, json=acts))
    return ann, bob, west, east


def test_conflicts_list_work_logged_on_a_colleagues_account(client: ApiClient) -> None:
    ann, bob, west, east = _crossing_world(client)
    body = ok(client.get("/analysis/conflicts"))
    got = [
        (
            c["record_id"],
            c["logged_by"]["rep_id"],
            c["owner"]["rep_id"],
            c["account"]["id"],
            c["at"][:10],
        )
        for c in body["conflicts"]
    ]
    assert got == [("p1", ann, bob, "E1", "2026-01-05"), ("c1", bob, ann, "W1", "2026-03-03")]
    assert (
        body["conflicts"][0]["closed_at"].startswith("2026-02-10")
        and body["conflicts"][0]["territory_id"] == east
    )
    assert (
        body["conflicts"][0]["logged_by"]["name"] == "Ann"
        and body["conflicts"][0]["owner"]["name"] == "Bob"
    )
    assert ok(client.get("/analysis/conflicts", params={"rep_id": bob}))["count"] == 1
    assert ok(client.get("/analysis/conflicts", params={"period": "2026-03"}))["count"] == 1


def test_reps_side_by_side_with_quota_conversations_and_travel(client: ApiClient) -> None:
    ann, bob, *_ = _crossing_world(client)
    body = ok(client.get("/analysis/reps", params={"period": "2026-Q1", "today": "2026-03-31"}))
    reps = {r["rep_id"]: r for r in body["reps"]}
    assert reps[ann]["won_revenue"] == 60000.0 and reps[ann]["quota_for_period"] == 30000.0
    assert reps[ann]["quota_attainment_pct"] == 200.0 and reps[ann]["quota_pace_pct"] == 200.0
    assert (reps[ann]["leads"], reps[ann]["opportunities"], reps[ann]["won"]) == (2, 2, 1)
    assert reps[ann]["opportunity_to_deal_pct"] == 50.0 and reps[ann]["new_contacts"] == 2
    assert reps[bob]["conversations"] == {"call": 1, "demo": 0, "visit": 1, "email": 0}
    assert reps[ann]["accounts_held"] == 1 and reps[ann]["annual_contract_value"] == 900000.0
    assert (
        reps[ann]["travel"]["status"] in ("under", "ok", "over")
        and reps[ann]["travel"]["load_pct"] > 0
    )


def test_review_names_large_accounts_held_by_junior_reps(client: ApiClient) -> None:
    ann, *_ = _crossing_world(client)
    body = ok(client.get("/analysis/review", params={"period": "2026", "today": DEC}))
    assert [(a["account_id"], a["rep_id"]) for a in body["large_accounts_with_juniors"]] == [
        ("W1", ann)
    ]
    assert body["thresholds"]["large_account_revenue"] == 250000.0
    higher = ok(
        client.get("/analysis/review", params={"period": "2026", "large_account_revenue": 1e6})
    )
    assert higher["large_accounts_with_juniors"] == []


def test_review_finds_the_territory_far_below_the_rest(sqlite_client: ApiClient) -> None:
    client = sqlite_client
    accounts, records = [], []
    for k, (name, won) in enumerate((("A", 5), ("B", 5), ("C", 5), ("D", 5), ("E", 0))):
        x0 = -90.0 + 2 * k
        territory(client, name, x0)
        for i in range(10):
            account = f"{name}{i}"
            accounts.append((account, account, x0 + 0.05 + 0.05 * i, 39.5, 1, 1))
            stage, closed = ("won", "2026-04-01") if i < won else ("opportunity", None)
            records.append(
                (f"r{account}", account, stage, 10, None, "2026-02-01", closed, None, None)
            )
    ok(import_csv(client, "/accounts/import", accounts_csv(accounts)))
    ok(import_csv(client, "/pipeline/import", pipeline_csv(records)))
    body = ok(client.get("/analysis/review", params={"period": "2026", "today": DEC}))
    outliers = [(o["name"], o["metric"], o["assessment"]) for o in body["territory_outliers"]]
    assert outliers == [("E", "conversion_rate_pct", "worse")]
    assert body["success_gap"]["worst_territory_id"] == 5 and body["success_gap"]["gap_pct"] == 50.0


# --- dashboards -----------------------------------------------------------------


def test_dashboard_pages_escape_names_and_answer_staff_only(sqlite_client: ApiClient) -> None:
    client = sqlite_client
    hostile = "<script>alert(1)</script>"
    ann = rep(client, hostile, -83.5)
    tid = territory(client, hostile, -84.0, rep_ids=[ann])
    csv = accounts_csv([("A", hostile.replace(",", ""), -83.5, 39.5, 150000, 1000)])
    ok(import_csv(client, "/accounts/import", csv))
    ok(
        import_csv(
            client,
            "/pipeline/import",
            pipeline_csv([("p1", "A", "won", 500, hostile, "2026-01-02", "2026-01-09", ann, None)]),
        )
    )
    ok(
        client.put(
            f"/territories/{tid}/goals",
            json={"period": "2026", "goals": [{"metric": "total_revenue", "value": 1000.0}]},
        )
    )
    page = client.get(
        f"/dashboards/territories/{tid}", params={"period": "2026", "today": "2026-06-30"}
    )
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert hostile not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert (
        page.text.count("<svg") >= 3
        and "<iframe" in page.text
        and "High value, not visited" in page.text
    )
    assert not re.search(r"(src|href)=(\"|&quot;|')?(https?:)?//", page.text), (
        "the page loads something from elsewhere"
    )
    overview = client.get("/dashboards", params={"period": "2026", "today": "2026-06-30"})
    assert (
        overview.status_code == 200
        and hostile not in overview.text
        and f"/dashboards/territories/{tid}" in overview.text
    )
    assert client.get("/dashboards/territories/999").status_code == 404
    token, _ = create_token(client.app.state.store, role="rep", owner="ann", rep_id=ann, actor="t")  # type: ignore[attr-defined]
    for path in ("/dashboards", f"/dashboards/territories/{tid}", "/analysis/goals", "/pipeline"):
        r = client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json", (
            path
        )
    assert client.get("/dashboards", headers={"Authorization": ""}).status_code == 401


def test_a_territory_with_no_data_has_a_dashboard_and_zero_evaluations(
    sqlite_client: ApiClient,
) -> None:
    tid = territory(sqlite_client, "Empty", -84.0)
    assert sqlite_client.get(f"/dashboards/territories/{tid}").status_code == 200
    for path in (
        "/analysis/accounts",
        "/analysis/territories",
        "/analysis/reps",
        "/analysis/goals",
        "/analysis/review",
        "/analysis/conflicts",
    ):
        r = sqlite_client.get(path)
        assert r.status_code == 200, (path, r.text)
        json.loads(r.text, parse_constant=lambda c, path=path: pytest.fail(f"{path} answered {c}"))
    (row,) = sqlite_client.get("/analysis/accounts").json()["territories"]
    assert (row["accounts"], row["net_profit"], row["top_share_pct"], row["status"]) == (
        0,
        0.0,
        None,
        "no data",
    )


def test_bad_period_or_today_is_a_problem_with_the_parameter_named(
    sqlite_client: ApiClient,
) -> None:
    for params, pointer in (
        ({"period": "1800"}, "query:period"),
        ({"today": "1700-01-01"}, "query:today"),
        ({"period": "2026-13"}, "query:period"),
    ):
        r = sqlite_client.get("/analysis/territories", params=params)
        assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == pointer, r.text


# --- schema ---------------------------------------------------------------------


@pytest.mark.postgis
def test_migration_0002_adds_the_plan_tables_to_a_database_at_0001(postgis_url: str) -> None:
    from sqlalchemy import MetaData, create_engine, inspect, text
    from sqlalchemy.engine import make_url

    from service.storage import Store
    from service.storage.plan_tables import build_plan_tables
    from service.storage.tables import build_tables

    name = make_url(postgis_url).database + "_m"  # type: ignore[operator]
    admin = create_engine(
        make_url(postgis_url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(postgis_url).set(database=name).render_as_string(hide_password=False)
    try:
        engine = create_engine(url)
        metadata = MetaData()
        tables = build_tables(metadata, postgis=True)
        plan = set(build_plan_tables(MetaData(), postgis=True))
        with engine.begin() as conn:  # the schema as revision 0001 left it
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
            metadata.create_all(conn, tables=[t for n, t in tables.items() if n not in plan])
            conn.execute(tables["revision"].insert().values(id=1, value=0))
            conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
            conn.execute(text("INSERT INTO alembic_version VALUES ('0001')"))
        assert not plan & set(inspect(engine).get_table_names())
        Store.open(url).dispose()
        assert plan <= set(inspect(engine).get_table_names())
        with engine.connect() as conn:
            head = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            assert head == _script_head()  # 0002 and every later revision ran
        engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _script_head() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from service.storage.backends import MIGRATIONS_DIR

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None
    return head


def test_pipeline_rows_are_parsed_before_the_writers_lock_so_other_writes_go_on(
    client: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from service.usecases import plan_import

    _two_accounts(client)
    real, during = plan_import.parse_plan_row, []

    def parse_while_writing(*args: Any, **kwargs: Any) -> Any:
        if not during:  # a write while the import parses: the lock must be free
            during.append(client.post("/reps", json={"name": "Meanwhile"}).status_code)
        return real(*args, **kwargs)

    monkeypatch.setattr(plan_import, "parse_plan_row", parse_while_writing)
    csv = pipeline_csv([("p1", "A", "lead", 100, "X", "2026-01-02", None, None, None)])
    assert ok(import_csv(client, "/pipeline/import", csv))["created"] == 1
    assert during == [201]
