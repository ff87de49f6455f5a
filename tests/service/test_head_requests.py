"""HEAD answers what GET answers, without the body (RFC 9110, section 9.3.2), on every
kind of route: the fast doors, FastAPI routes, pages, files, errors
(service.web.safe_methods). It answered 405 everywhere under an ``Allow`` naming HEAD.
"""

from __future__ import annotations

import pytest

from tests.conftest import ApiClient, wait_until_ready

SQUARE = {
    "type": "Feature",
    "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]},
    "properties": {"name": "A"},
}
# Headers that differ between any two answers (a clock, a nonce per page).
_PER_ANSWER = {"date", "content-security-policy"}


@pytest.fixture
def tid(sqlite_client: ApiClient) -> int:
    wait_until_ready(sqlite_client)
    created = sqlite_client.post("/territories", json=SQUARE)
    csv = "id,name,lon,lat\nA1,Acme,0.5,0.5\n"
    imported = sqlite_client.post(
        "/accounts/import", content=csv, headers={"Content-Type": "text/csv"}
    )
    assert imported.is_success, imported.text
    return int(created.json()["id"])


@pytest.mark.parametrize(
    "path",
    [
        "/healthz",
        "/readyz",
        "/territories",
        "/territories/{tid}",
        "/territories/{tid}/history",
        "/locate?lon=0.5&lat=0.5",
        "/accounts?limit=10",
        "/accounts/A1",
        "/reps",
        "/plan",
        "/collections",
        "/openapi.json",
        "/maps/coverage",
        "/territories/987654",  # a 404 problem
        "/locate?lon=500&lat=0",  # a 422 problem
    ],
)
def test_head_answers_as_get_does_without_the_body(
    sqlite_client: ApiClient, tid: int, path: str
) -> None:
    url = path.format(tid=tid)
    got, head = sqlite_client.get(url), sqlite_client.head(url)
    assert head.status_code == got.status_code, (url, head.text)
    assert head.content == b""
    same = {k: v for k, v in got.headers.items() if k not in _PER_ANSWER}
    assert {k: v for k, v in head.headers.items() if k not in _PER_ANSWER} == same
    assert int(head.headers["content-length"]) == len(got.content)


def test_head_is_refused_where_get_is(sqlite_client: ApiClient) -> None:
    refused = sqlite_client.head("/pipeline/import")  # POST only
    assert refused.status_code == 405 and refused.content == b""
    assert "POST" in refused.headers["allow"]
    anonymous = sqlite_client.head("/territories", headers={"Authorization": ""})
    assert anonymous.status_code == 401 and anonymous.content == b""
