"""Documented error answers shared by the routers (OpenAPI ``responses``)."""

from __future__ import annotations

from typing import Any

from service.web.problems import Problem

PROBLEM_JSON = "application/problem+json"


def _problem(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description, "content": {PROBLEM_JSON: {}}}


COMMON: dict[int | str, dict[str, Any]] = {
    400: _problem("Bad request (malformed header or parameter)."),
    401: _problem("No token, or an unknown, expired or revoked token."),
    403: _problem("The token's role or scope does not allow this."),
    413: _problem("The body is larger than the limit."),
    422: _problem("The input is invalid; `errors` says where and why."),
    429: _problem("Too many requests; see Retry-After."),
    500: _problem("The server failed; nothing was stored."),
    503: _problem("The database is unavailable."),
}
READ_RESPONSES: dict[int | str, dict[str, Any]] = {**COMMON, 404: _problem("Not found.")}
WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    **READ_RESPONSES,
    409: _problem("Conflicts with existing data or with neighbours (on_overlap=reject)."),
    412: _problem("If-Match names a version that is no longer current."),
    428: _problem("If-Match is required for writes to an existing resource."),
}
