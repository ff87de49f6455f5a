"""Which methods a path takes, from the OpenAPI document: the ``Allow`` of a 405 and an
OPTIONS answer (RFC 9110 sections 15.5.6 and 9.3.7)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import Request


def allowed_methods(request: Request) -> list[str]:
    """Every method the API documents at this request's path (HEAD with GET, and OPTIONS).

    Starlette's router stops at the first route whose path matches, so its
    own ``Allow`` names only that route's methods (``GET`` where the path
    also takes PUT, PATCH and DELETE). RFC 9110 section 15.5.6 wants them
    all; the OpenAPI document lists them per path template.
    """
    methods = {"OPTIONS"}
    for pattern, documented in _path_table(request.app).methods:
        if pattern.fullmatch(request.url.path):
            methods.update(documented)
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods, key=lambda m: _METHOD_ORDER.index(m))


_METHOD_ORDER = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]


def methods_of_literal_path(request: Request, errors: Sequence[Any]) -> list[str] | None:
    """The methods the request's path takes, when it is a documented path without
    parameters, the request used another method and failed on a path parameter.

    ``GET /territories/changes``: the router, finding no GET at the literal
    path, took ``GET /territories/{territory_id}`` and refused "changes" as
    an id, a 422 about a parameter the caller never meant. The path exists
    and takes POST: RFC 9110 section 15.5.6 calls that a 405 with ``Allow``.
    A path whose parameter takes any string (``/accounts/{account_id}``)
    validates, and so still reads the resource of that name.
    """
    if not any(tuple(e.get("loc", ()))[:1] == ("path",) for e in errors):
        return None  # the body's or the query's errors: the route was the one meant
    if request.url.path not in _path_table(request.app).literal:
        return None
    allow = allowed_methods(request)
    return None if request.method in allow else allow


@dataclass(frozen=True)
class _PathTable:
    """The OpenAPI document's paths, read once per app: the literal ones (no
    parameter) and each template's pattern with its documented methods."""

    literal: frozenset[str]
    methods: tuple[tuple[re.Pattern[str], frozenset[str]], ...]


def _path_table(app: Any) -> _PathTable:
    cached: _PathTable | None = getattr(app.state, "path_table", None)
    if cached is None:
        paths: dict[str, dict[str, Any]] = app.openapi()["paths"]
        cached = _PathTable(
            literal=frozenset(path for path in paths if "{" not in path),
            methods=tuple(
                (
                    _template_pattern(path, item),
                    frozenset(m.upper() for m in item if m.upper() in _METHOD_ORDER),
                )
                for path, item in paths.items()
            ),
        )
        app.state.path_table = cached
    return cached


def _template_pattern(path: str, item: dict[str, Any]) -> re.Pattern[str]:
    """The paths ``path``'s template admits: an integer parameter only digits, so that the
    literal ``/territories/changes`` is not taken for ``/territories/{territory_id}``."""
    integers = {
        p["name"]
        for operation in item.values()
        if isinstance(operation, dict)
        for p in operation.get("parameters", ())
        if p.get("in") == "path" and p.get("schema", {}).get("type") == "integer"
    }
    parts = re.split(r"\{([^}]+)\}", path)  # literal, name, literal, name, ..., literal
    return re.compile(
        "".join(
            re.escape(part) if i % 2 == 0 else ("-?[0-9]+" if part in integers else "[^/]+")
            for i, part in enumerate(parts)
        )
    )
