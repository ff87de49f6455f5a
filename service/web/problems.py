"""RFC 9457 problem details: one table from error class to HTTP status.

Every 4xx/5xx the service sends is ``application/problem+json`` with
``type``, ``title``, ``status``, ``detail``, ``instance`` and an ``errors``
list of ``{pointer, reason, location?}``. 5xx bodies never carry exception
text (it can hold SQL, paths or data).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from geo.errors import (
    EmptyResultError,
    GeoError,
    InvalidCoordinatesError,
    InvalidGeometryError,
    InvalidInputError,
    Issue,
    NoHomeError,
    NoSuchDayError,
    OverlapError,
)
from maps.pages.signin import render_signin_needed
from service.storage.errors import (
    ConflictError,
    NotFoundError,
    PreconditionFailedError,
    StorageError,
    StorageUnavailableError,
    ValueRefusedError,
)
from service.web.allowed_methods import allowed_methods, methods_of_literal_path
from service.web.safe_methods import mark_disconnected

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"

STATUS_BY_ERROR: dict[type[Exception], int] = {
    InvalidGeometryError: 422,
    InvalidCoordinatesError: 422,
    InvalidInputError: 422,
    NoHomeError: 409,
    NoSuchDayError: 404,
    EmptyResultError: 422,
    OverlapError: 409,
    NotFoundError: 404,
    ConflictError: 409,
    PreconditionFailedError: 412,
    StorageUnavailableError: 503,
    ValueRefusedError: 422,
}


class ProblemError(BaseModel):
    """Where and why one part of the request is wrong."""

    pointer: str = Field(
        description="RFC 6901 JSON pointer into the request, or a query/header name"
    )
    reason: str
    location: list[float] | None = Field(default=None, description="[lon, lat] on the map, if any")
    code: str | None = Field(default=None, description="A stable slug for the kind of problem")
    line: int | None = Field(default=None, description="Line of a JSON parse error (from 1)")
    column: int | None = Field(default=None, description="Column of a JSON parse error (from 1)")


class Problem(BaseModel):
    """An RFC 9457 problem details document."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[ProblemError] = []


class HTTPProblem(Exception):
    """A purely HTTP-level problem raised inside ``service/`` (auth, limits, headers)."""

    def __init__(
        self,
        status: int,
        code: str,
        title: str,
        detail: str,
        *,
        errors: Sequence[Issue] = (),
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.code, self.title, self.detail = status, code, title, detail
        self.errors = tuple(errors)
        self.headers = headers or {}
        self.extra = extra or {}


def unauthorized(detail: str) -> HTTPProblem:
    """The 401 problem for a caller without a valid token or session."""
    return HTTPProblem(
        401,
        "unauthorized",
        "Unauthorized",
        detail,
        headers={"WWW-Authenticate": 'Bearer realm="territory"'},
    )


def forbidden(detail: str) -> HTTPProblem:
    """The 403 problem for a caller who may not do this."""
    return HTTPProblem(403, "forbidden", "Forbidden", detail)


def bad_parameter(name: str, reason: str) -> HTTPProblem:
    """The 400 problem for one bad query parameter."""
    return HTTPProblem(
        400,
        "invalid-parameter",
        "Invalid query parameter",
        f"The {name} parameter is invalid: {reason}",
        errors=[Issue(f"query:{name}", reason, code="invalid-parameter")],
    )


def not_ready() -> HTTPProblem:
    """503 while the territory index is still being built (``/readyz``)."""
    return HTTPProblem(
        503,
        "not-ready",
        "Not ready",
        "The territory index is still being built; retry shortly.",
        headers={"Retry-After": "1"},
    )


def problem_response(
    request: Request,
    status: int,
    code: str,
    title: str,
    detail: str,
    errors: Iterable[Issue] = (),
    *,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    """Build the problem+json response."""
    body: dict[str, Any] = {
        "type": f"/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "errors": [_issue_json(i) for i in errors],
    }
    body.update(extra or {})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _issue_json(issue: Issue) -> dict[str, Any]:
    out: dict[str, Any] = {"pointer": issue.pointer, "reason": issue.reason, "code": issue.code}
    if issue.location is not None:
        out["location"] = [issue.location[0], issue.location[1]]
    return out


def add_problem_handlers(app: FastAPI) -> None:
    """Register one handler per error family, all answering problem+json."""
    app.add_exception_handler(GeoError, _geo_error)
    app.add_exception_handler(StorageError, _storage_error)
    app.add_exception_handler(HTTPProblem, _http_problem)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _starlette_http)
    app.add_exception_handler(Exception, _unexpected)


def _status_for(exc: Exception) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 500


async def _geo_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, GeoError)
    return problem_response(request, _status_for(exc), exc.code, exc.title, exc.detail, exc.issues)


async def _storage_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StorageError)
    status = _status_for(exc)
    extra: dict[str, Any] = {}
    headers: dict[str, str] = {}
    if isinstance(exc, PreconditionFailedError):
        extra = {"current_version": exc.current_version, "updated_by": exc.updated_by}
        headers["ETag"] = f'"{exc.current_version}"'
    if isinstance(exc, StorageUnavailableError):
        headers["Retry-After"] = "5"
        mark_disconnected(request.scope, exc)  # a read is made again on a new connection
    return problem_response(
        request, status, exc.code, exc.title, exc.detail, headers=headers, extra=extra
    )


# Pages a person opens in a browser tab; without the right session they get a
# page that says why (and offers the sign-in) instead of raw problem JSON.
_PAGE_PREFIXES = ("/maps/", "/dashboards", "/reports/")


def _is_page_request(request: Request) -> bool:
    return (
        request.method == "GET"
        and request.url.path.startswith(_PAGE_PREFIXES)
        and "text/html" in request.headers.get("accept", "")
    )


async def _http_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPProblem)
    if exc.status in (401, 403) and _is_page_request(request):
        page = render_signin_needed(
            status=exc.status,
            detail=exc.detail,
            next_path=request.url.path,
            product="Territory Mapper",
        )
        return HTMLResponse(page, status_code=exc.status, headers=exc.headers)
    return problem_response(
        request,
        exc.status,
        exc.code,
        exc.title,
        exc.detail,
        exc.errors,
        headers=exc.headers,
        extra=exc.extra,
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    # Reshape FastAPI's 422 into our problem form. Pydantic's ``input`` field
    # is dropped on purpose: echoing input back can leak tokens or reflect
    # attacker-controlled markup.
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if (allow := methods_of_literal_path(request, errors)) is not None:
        return problem_response(
            request,
            405,
            "method-not-allowed",
            _TITLES[405],
            f"{request.url.path} takes {', '.join(allow)}, not {request.method}.",
            headers={"Allow": ", ".join(allow)},
        )
    issues = [
        Issue(
            pointer=_pointer(e.get("loc", ())),
            reason=str(e.get("msg", "invalid")),
            code=str(e.get("type", "invalid")),
        )
        for e in errors
    ]
    return problem_response(
        request,
        422,
        "invalid-request",
        "Invalid request",
        f"{len(issues)} problem(s) in the request.",
        issues,
    )


def _pointer(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body":
        parts = parts[1:]
        return "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)
    if parts and parts[0] in ("query", "path", "header"):
        return f"{parts[0]}:{'.'.join(parts[1:])}"
    return "/" + "/".join(parts)


_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    411: "Length required",
    412: "Precondition failed",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    428: "Precondition required",
    429: "Too many requests",
}


async def _starlette_http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    allowed = allowed_methods(request) if exc.status_code == 405 else []
    if allowed == ["OPTIONS"]:
        # The router took a template whose integer parameter the path does not
        # fill (OPTIONS /territories/abc): no documented path is there.
        exc = StarletteHTTPException(404, "No resource at this path.")
    if exc.status_code == 405:
        allow = ", ".join(allowed)
        if request.method == "OPTIONS":
            # OPTIONS on a path that exists answers what it allows (RFC 9110 section 9.3.7).
            return Response(status_code=204, headers={"Allow": allow})
        exc.headers = {**(exc.headers or {}), "Allow": allow}
    title = _TITLES.get(exc.status_code, "HTTP error")
    detail = exc.detail if isinstance(exc.detail, str) else title
    code = title.lower().replace(" ", "-")
    return problem_response(
        request,
        exc.status_code,
        code,
        title,
        detail,
        headers=dict(exc.headers) if exc.headers else None,
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(
        request,
        500,
        "internal-error",
        "Internal server error",
        "The server failed to answer; the error was logged.",
    )
