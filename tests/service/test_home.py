"""The front door at ``/`` and the offline API documentation, over HTTP."""

from __future__ import annotations

import re

from tests.conftest import ApiClient


def test_landing_answers_json_clients_with_links(sqlite_client: ApiClient) -> None:
    r = sqlite_client.get("/", headers={"Accept": "application/json"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    body = r.json()
    rels = {link["rel"] for link in body["links"]}
    assert body["title"] == "Territory Mapper" and body["version"]
    assert {"self", "alternate", "service-desc", "service-doc", "data"} <= rels
    assert all(link["href"].startswith("http://testserver/") for link in body["links"])


def test_landing_answers_browsers_with_the_home_page_without_a_token(
    sqlite_client: ApiClient,
) -> None:
    r = sqlite_client.get("/", headers={"Accept": "text/html,*/*;q=0.8", "Authorization": ""})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert '<html lang="en">' in r.text and "<title>Territory Mapper</title>" in r.text
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert "<script>" not in r.text, "no inline script: the CSP forbids it"


def test_format_parameter_overrides_the_accept_header(sqlite_client: ApiClient) -> None:
    assert sqlite_client.get("/?f=json", headers={"Accept": "text/html"}).json()["title"]
    html = sqlite_client.get("/?f=html", headers={"Accept": "application/json"})
    assert html.headers["content-type"].startswith("text/html")
    assert sqlite_client.get("/?f=xml").status_code == 422


def test_api_docs_load_nothing_from_outside(sqlite_client: ApiClient) -> None:
    for path in ("/docs", "/redoc"):
        r = sqlite_client.get(path, headers={"Authorization": ""})
        assert r.status_code == 200, path
        urls = re.findall(r'(?:src|href)="([^"]+)"', r.text)
        assert urls and all(u.startswith("/") or u.startswith("data:") for u in urls), urls
        for url in urls:
            if url.startswith("/") and not url.endswith(".json"):
                assert sqlite_client.get(url).status_code == 200, url
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


def test_a_page_opened_without_a_session_offers_the_sign_in_not_json(
    sqlite_client: ApiClient,
) -> None:
    browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8", "Authorization": ""}
    for path in ("/maps/coverage", "/dashboards", "/reports/territories/1.pdf"):
        r = sqlite_client.get(path, headers=browser)
        assert r.status_code == 401 and r.headers["content-type"].startswith("text/html"), path
        assert "Sign in to open this page" in r.text
        assert f'href="/?next={path.replace("/", "%2F")}"' in r.text
    api = sqlite_client.get("/maps/coverage", headers={"Authorization": ""})
    assert api.headers["content-type"] == "application/problem+json", "API clients keep problems"


def test_a_rep_opening_a_staff_page_is_told_so_in_words(sqlite_client: ApiClient) -> None:
    from service.tokens import create_token

    store = sqlite_client.app.state.store  # type: ignore[attr-defined]
    r = sqlite_client.post("/reps", json={"name": "Ann"})
    token, _ = create_token(store, role="rep", owner="Ann", rep_id=r.json()["id"], actor="t")
    page = sqlite_client.get(
        "/maps/coverage", headers={"Accept": "text/html", "Authorization": f"Bearer {token}"}
    )
    assert page.status_code == 403 and "Your role may not open this page" in page.text
