"""Which methods a path takes, from the OpenAPI document: the ``Allow`` of a 405 and an
OPTIONS answer (RFC 9110 sections 15.5.6 and 9.3.7)."""

from __future__ import annotations

import re
from collections.abc import Sequence
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
    for pattern, documented in _path_methods(request.app):
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
    if request.url.path not in _literal_paths(request.app):
        return None
    allow = allowed_methods(request)
    return None if request.method in allow else allow


def _literal_paths(app: Any) -> frozenset[str]:
    """The documented paths without a parameter."""
    cached: frozenset[str] | None = getattr(app.state, "literal_paths", None)
    if cached is None:
        cached = frozenset(path for path in app.openapi()["paths"] if "{" not in path)
        app.state.literal_paths = cached
    return cached


def _path_methods(app: Any) -> list[tuple[re.Pattern[str], set[str]]]:
    cached: list[tuple[re.Pattern[str], set[str]]] | None = getattr(app.state, "path_methods", None)
    if cached is None:
        cached = [
            (_template_pattern(path, item), {m.upper() for m in item if m.upper() in _METHOD_ORDER})
            for path, item in app.openapi()["paths"].items()
        ]
        app.state.path_methods = cached
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
