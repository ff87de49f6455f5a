"""Thin routes and typed answers (issue 12, points 5 and 6), checked on the source and the OpenAPI document.

- no problem is built inline outside ``service/web/``: domain errors map to
  problems through the one status table and the refusal handlers;
- routers and use-cases take the store, settings, caches and runners as typed
  dependencies, never through ``request.app.state``;
- every JSON success answer names its schema in the OpenAPI document.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

from tests.conftest import ApiClient

SERVICE = Path(__file__).resolve().parents[2] / "service"

# Files allowed to read app.state directly: none (service/web/deps.py, which
# the typed dependencies live in, is outside routers/ and usecases/).
APP_STATE_LEFT: set[str] = set()

# Free-form by definition: an OpenAPI document and a JSON Schema.
FREE_FORM_ANSWERS = {"ogc_api_definition", "ogc_queryables"}


def _inline_problems(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        if "web" in path.relative_to(root).parts[:1]:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "HTTPProblem"
            ):
                found.append(f"{path.relative_to(root)}:{node.lineno}")
    return found


def test_no_problem_is_built_inline_outside_web() -> None:
    assert _inline_problems(SERVICE) == []


def test_inline_problem_check_would_catch_one(tmp_path: Path) -> None:
    (tmp_path / "routers").mkdir()
    (tmp_path / "web").mkdir()
    (tmp_path / "routers" / "bad.py").write_text("raise HTTPProblem(409, 'x', 'X', 'x')\n")
    (tmp_path / "web" / "fine.py").write_text("raise HTTPProblem(409, 'x', 'X', 'x')\n")
    assert _inline_problems(tmp_path) == ["routers/bad.py:1"]


def test_routers_and_usecases_read_no_app_state() -> None:
    readers = {
        str(path.relative_to(SERVICE))
        for folder in ("routers", "usecases")
        for path in (SERVICE / folder).rglob("*.py")
        if re.search(r"app\.state", path.read_text())
    }
    assert readers <= APP_STATE_LEFT, sorted(readers - APP_STATE_LEFT)


def _untyped_json_answers(doc: dict[str, Any]) -> list[str]:
    missing = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if not isinstance(op, dict):
                continue  # a path item's shared "parameters"
            for status, answer in op.get("responses", {}).items():
                if not str(status).startswith("2"):
                    continue
                for media, content in answer.get("content", {}).items():
                    if "json" in media and not _names_its_shape(content.get("schema")):
                        missing.append(f"{method.upper()} {path} {status} {op['operationId']}")
    return missing


def _names_its_shape(schema: dict[str, Any] | None) -> bool:
    # A bare object (what a handler annotated ``dict[str, Any]`` documents)
    # tells a client nothing; a reference, a union, listed members or an
    # array of referenced items does.
    if not schema:
        return False
    if schema.get("type") == "array":
        return _names_its_shape(schema.get("items"))
    return bool({"$ref", "anyOf", "oneOf", "properties"} & set(schema))


def test_every_json_answer_names_its_schema(sqlite_client: ApiClient) -> None:
    doc = sqlite_client.get("/openapi.json").json()
    untyped = [m for m in _untyped_json_answers(doc) if m.split()[-1] not in FREE_FORM_ANSWERS]
    assert untyped == []


def test_untyped_answer_check_would_catch_one() -> None:
    ok = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/X"}}}}
    bare = {"content": {"application/json": {"schema": {"type": "object"}}}}
    png = {"content": {"image/png": {}}}
    doc = {
        "paths": {
            "/a": {"get": {"operationId": "a", "responses": {"200": ok}}},
            "/b": {"get": {"operationId": "b", "responses": {"200": bare, "404": bare}}},
            "/c": {"get": {"operationId": "c", "responses": {"200": png}}},
        }
    }
    assert _untyped_json_answers(doc) == ["GET /b 200 b"]
