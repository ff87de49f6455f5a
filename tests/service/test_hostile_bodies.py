"""Hostile bodies: deep nesting, duplicate keys, broken JSON, NUL, huge CSV fields.

Every JSON body route and both JSON imports answer a located 4xx problem,
never a 500, and store nothing; the CSV line reader stays linear in time.
"""

from __future__ import annotations

import csv
import io
import time
from typing import Any

import pytest

from service.web.csv_limits import (
    MAX_FIELD_CHARS,
    CSVLimitError,
    bounded_lines,
    bounded_reader,
)
from tests.conftest import ApiClient
from tests.service.test_accounts_api import square

DEEP = "[" * 1000 + "]" * 1000  # about 2 KB: RecursionError in json.loads before the guard

# (method, path, content type): every route whose body is parsed as JSON.
JSON_BODY_ROUTES = [
    ("POST", "/territories", "application/geo+json"),
    ("POST", "/accounts", "application/geo+json"),
    ("POST", "/reps", "application/json"),
    ("POST", "/session", "application/json"),
    ("POST", "/accounts/import", "application/geo+json"),
    ("POST", "/pipeline/import", "application/json"),
]


def _send(client: ApiClient, method: str, path: str, body: str, content_type: str) -> Any:
    return client.request(
        method, path, content=body.encode("utf-8"), headers={"Content-Type": content_type}
    )


@pytest.mark.parametrize(("method", "path", "content_type"), JSON_BODY_ROUTES)
def test_json_nested_a_thousand_deep_is_refused_not_a_server_error(
    client: ApiClient, method: str, path: str, content_type: str
) -> None:
    body = '{"type": "Feature", "properties": {"name": ' + DEEP + "}}"
    r = _send(client, method, path, body, content_type)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert "deeper than 64" in r.text
    assert client.get("/accounts").json()["features"] == []
    assert client.get("/territories").json()["features"] == []


def test_json_nested_within_the_limit_still_reaches_the_route(client: ApiClient) -> None:
    nested: Any = "x"
    for _ in range(50):
        nested = [nested]
    r = client.post("/reps", json={"name": "Ann", "extra": nested})
    # The route's own schema refuses the unknown field: a 422 from pydantic, not the guard.
    assert r.status_code == 422
    assert "deeper" not in r.text
    assert r.json()["errors"][0]["pointer"] == "/extra"


@pytest.mark.parametrize(("method", "path", "content_type"), JSON_BODY_ROUTES)
def test_json_duplicate_keys_are_refused_with_the_pointer(
    client: ApiClient, method: str, path: str, content_type: str
) -> None:
    body = '{"type": "Feature", "properties": {"name": "a", "name": "b"}, "geometry": null}'
    r = _send(client, method, path, body, content_type)
    assert r.status_code == 422, r.text
    errors = r.json()["errors"]
    assert errors[0]["pointer"] == "/properties"
    assert "duplicate key 'name'" in errors[0]["reason"]


def test_json_parse_error_names_line_and_column(client: ApiClient) -> None:
    body = '{\n  "type": "Feature",\n  "properties": {"name": "a",}\n}'
    r = _send(client, "POST", "/territories", body, "application/geo+json")
    assert r.status_code == 422
    [error] = r.json()["errors"]
    assert (error["line"], error["column"]) == (3, 30)
    assert "line 3, column 30" in error["reason"]


def test_json_parse_error_in_an_import_is_located_in_the_report(client: ApiClient) -> None:
    r = _send(client, "POST", "/accounts/import", '{"type":\n\n  oops}', "application/geo+json")
    assert r.status_code == 422
    assert any("line 3, column 3" in e["reason"] for e in r.json()["errors"])


def test_json_without_content_type_is_guarded_too(client: ApiClient) -> None:
    r = client.post("/reps", content=DEEP.encode())
    assert r.status_code == 422 and "deeper" in r.text


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ('{"name": "Ann\\u0000"}', "/name"),
        (
            '{"name": "Ann", "home": {"type": "Point", "coordinates": [1, 2], "\\u0000": 1}}',
            "/home/\x00",
        ),
    ],
)
def test_nul_characters_are_refused_alike_on_both_backends(
    client: ApiClient, body: str, pointer: str
) -> None:
    r = _send(client, "POST", "/reps", body, "application/json")
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["pointer"] == pointer
    assert r.json()["errors"][0]["code"] == "nul"
    assert client.get("/reps").json() == [] or client.get("/reps").json().get("items") == []


def test_nul_in_a_territory_name_and_an_account_import_is_refused(client: ApiClient) -> None:
    feature = {"type": "Feature", "geometry": square(0, 0), "properties": {"name": "A\x00"}}
    r = client.post("/territories", json=feature)
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/properties/name"
    collection = (
        '{"type": "FeatureCollection", "features": [{"type": "Feature", '
        '"geometry": {"type": "Point", "coordinates": [0.5, 0.5]}, '
        '"properties": {"id": "a\\u0000"}}]}'
    )
    r = _send(client, "POST", "/accounts/import", collection, "application/geo+json")
    assert r.status_code == 422
    assert any(e["pointer"] == "/features/0/properties/id" for e in r.json()["errors"])
    assert client.get("/accounts").json()["features"] == []


def test_csv_line_of_14_mb_is_refused_in_linear_time() -> None:
    upload = io.BytesIO(b"id,name\n1," + b"x" * 14_000_000 + b"\n2,b\n")
    started = time.perf_counter()
    with pytest.raises(CSVLimitError) as caught:
        list(bounded_reader(bounded_lines(upload)))
    assert time.perf_counter() - started < 1.5
    assert caught.value.line == 2


def test_csv_quoted_field_over_many_short_lines_is_bounded_too() -> None:
    upload = io.BytesIO(b'id,name\n1,"' + b"x\n" * 7_000_000 + b'"\n')
    started = time.perf_counter()
    with pytest.raises(csv.Error, match=str(MAX_FIELD_CHARS)):
        list(bounded_reader(bounded_lines(upload)))
    assert time.perf_counter() - started < 1.5


def test_csv_reader_time_grows_linearly_with_the_line() -> None:
    def seconds(n: int) -> float:
        upload = io.BytesIO(b"id\n" + b"x" * n + b"\n")
        started = time.perf_counter()
        list(bounded_lines(upload, max_line_chars=2 * n))
        return time.perf_counter() - started

    small, large = (
        min(seconds(1_000_000) for _ in range(3)),
        min(seconds(8_000_000) for _ in range(3)),
    )
    # Quadratic reading would make 8x the length cost 64x the time.
    assert large < 20 * small + 0.05


def test_csv_lines_keep_their_endings_and_the_bom_is_dropped() -> None:
    upload = io.BytesIO('\ufeffid,name\r\n1,"a\nb"\n'.encode())
    rows = list(bounded_reader(bounded_lines(upload)))
    assert rows == [{"id": "1", "name": "a\nb"}]
