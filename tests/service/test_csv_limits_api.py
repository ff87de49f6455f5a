"""Hostile CSV uploads through the import routes: refused at once, in linear time, nothing stored."""

from __future__ import annotations

import time

import pytest

from tests.conftest import ApiClient

HUGE_FIELD = "x" * 14_000_000


@pytest.mark.parametrize(
    ("path", "header"),
    [
        ("/accounts/import", "id,name"),
        ("/pipeline/import", "id,account_id,stage,created_at"),
    ],
)
def test_a_14_mb_field_is_refused_in_about_a_second(
    sqlite_client: ApiClient, path: str, header: str
) -> None:
    body = f'{header}\n1,"{HUGE_FIELD}"\n'.encode()
    started = time.perf_counter()
    r = sqlite_client.post(path, content=body, headers={"Content-Type": "text/csv"})
    elapsed = time.perf_counter() - started
    assert r.status_code in (413, 422), r.text[:300]
    assert r.headers["content-type"] == "application/problem+json"
    assert elapsed < 5, f"took {elapsed:.1f} s: the reader is not linear"
    if r.status_code == 422:
        codes = {e["code"] for e in r.json()["errors"]}
        assert codes & {"line-too-long", "bad-csv"}, codes
    assert sqlite_client.get("/accounts").json()["features"] == []


def test_a_field_past_the_csv_limit_on_short_lines_is_a_located_422(
    sqlite_client: ApiClient,
) -> None:
    # A quoted field spread over many short lines: each line is fine, the field is not.
    field = "\n".join(["y" * 1000] * 200)
    body = f'id,name\n1,"{field}"\n'.encode()
    r = sqlite_client.post("/accounts/import", content=body, headers={"Content-Type": "text/csv"})
    assert r.status_code == 422
    assert any(e["pointer"] == "/rows/1" for e in r.json()["errors"]), r.json()["errors"]
