"""One-page PDF reports through the API, read back with a PDF reader library."""

from __future__ import annotations

import io

import pypdf
import pytest

from service.tokens import create_token
from tests.conftest import ApiClient
from tests.service.test_plan_api import accounts_csv, import_csv, pipeline_csv, rep, territory


def _seed(client: ApiClient) -> dict[str, int]:
    ann = rep(client, "Ann Ålund", -83.5, weekly_capacity_hours=40)
    bob = rep(client, "Bob", -81.5)
    north = territory(client, "North Ridge", -84.0, code="NR", rep_ids=[ann])
    south = territory(client, "South Vale", -82.0, rep_ids=[bob])
    rows = [
        (f"a{i}", f"Acme Größe {i}", -83.9 + 0.08 * i, 39.5, 10000 * (i + 1), 1500)
        for i in range(12)
    ]
    rows.append(("b1", "Bob's only", -81.5, 39.5, 5000, 100))
    assert import_csv(client, "/accounts/import", accounts_csv(rows)).status_code == 200
    deals = [
        ("d1", "a1", "won", 42000, "Widgets", "2026-02-01", "2026-03-01", ann, "web"),
        ("d2", "a2", "lead", 0, None, "2026-03-01", None, ann, "web"),
    ]
    assert import_csv(client, "/pipeline/import", pipeline_csv(deals)).status_code == 200
    goals = {"period": "2026", "goals": [{"metric": "total_revenue", "value": 100000}]}
    r = client.put(f"/territories/{north}/goals", json=goals)
    assert r.status_code == 200, r.text
    return {"ann": ann, "bob": bob, "north": north, "south": south}


def _read(body: bytes) -> tuple[str, int]:
    reader = pypdf.PdfReader(io.BytesIO(body))
    assert len(reader.pages) == 1, "a one-pager"
    text = "\n".join(page.extract_text() for page in reader.pages)
    images = sum(len(page.images) for page in reader.pages)
    return text, images


def test_territory_report_holds_name_kpis_goals_top_accounts_and_the_map(client: ApiClient) -> None:
    ids = _seed(client)
    r = client.get(f"/reports/territories/{ids['north']}.pdf", params={"today": "2026-06-30"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    text, images = _read(r.content)
    assert "North Ridge (NR)" in text and "period 2026" in text
    for kpi in ("Accounts", "Annual revenue", "Won revenue", "Conversion rate", "Ann Ålund"):
        assert kpi in text, kpi
    assert "42,000" in text and "100,000" in text  # the won deal and the goal's target
    assert "Acme Größe 11" in text and "120,000" in text  # the top account, thousands separated
    assert images == 1, "the territory's map is in the report"


def test_rep_report_shows_the_rep_book_and_load(client: ApiClient) -> None:
    ids = _seed(client)
    r = client.get(f"/reports/reps/{ids['ann']}.pdf")
    assert r.status_code == 200
    text, images = _read(r.content)
    assert "Ann Ålund" in text and "Workload" in text and "h/month" in text
    assert "North Ridge" in text and images == 1


def test_reports_of_unknown_things_are_404_problems(client: ApiClient) -> None:
    _seed(client)
    for path in ("/reports/territories/999.pdf", "/reports/reps/999.pdf"):
        r = client.get(path)
        assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("period", ["2026-13", "last year"])
def test_a_bad_period_is_a_located_422(client: ApiClient, period: str) -> None:
    ids = _seed(client)
    r = client.get(f"/reports/territories/{ids['north']}.pdf", params={"period": period})
    assert r.status_code == 422 and "period" in r.text


def test_a_rep_gets_only_their_own_report(client: ApiClient) -> None:
    ids = _seed(client)
    store = client.app.state.store  # type: ignore[attr-defined]
    token, _ = create_token(store, role="rep", owner="Ann", rep_id=ids["ann"], actor="t")
    own = client.get(f"/reports/reps/{ids['ann']}.pdf", headers=client.as_token(token))
    other = client.get(f"/reports/reps/{ids['bob']}.pdf", headers=client.as_token(token))
    territory_report = client.get(
        f"/reports/territories/{ids['north']}.pdf", headers=client.as_token(token)
    )
    assert own.status_code == 200
    assert other.status_code in (403, 404) and territory_report.status_code == 403
