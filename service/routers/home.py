"""``/``, ``/docs`` and ``/redoc``: the front door and the API documentation.

``/`` answers browsers with the home page and JSON clients with a landing
document of links (the shape of an OGC API landing page). The pages are
public shells, like ``/editor``: they hold no data.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

import service
from maps.pages.apidocs import (
    api_docs_security_policy,
    redoc_bundle,
    render_redoc_page,
    render_swagger_page,
)
from maps.pages.home import home_security_policy, render_home_page
from service.auth import resolve_principal
from service.routers.docs import COMMON
from service.routers.pages import PublicPage
from service.schemas.home import Landing, Link
from service.web.problems import HTTPProblem

router = APIRouter(tags=["pages"])
PRODUCT = "Territory Mapper"
API_DOCS_ASSETS_PATH = "/apidocs"
_PUBLIC = {"openapi_extra": {"x-public": True, "security": []}}

Format = Annotated[
    Literal["json", "html"] | None,
    Query(description="Answer as JSON or HTML, whatever the Accept header says."),
]


@router.get(
    "/",
    operation_id="landing_page",
    response_model=Landing,
    responses={200: {"content": {"text/html": {}}}, 422: COMMON[422]},
    **_PUBLIC,  # type: ignore[arg-type]
)
def landing_page(request: Request, _: PublicPage, f: Format = None) -> Response:
    """The front door: a landing document of links for JSON clients, the home page for browsers."""
    if _wants_html(request, f):
        return _html(
            render_home_page(
                product=PRODUCT,
                version=service.__version__,
                who=_signed_in(request),
                static_base=_root(request) + "/static",
            ),
            home_security_policy(),
        )
    return JSONResponse(_landing(request).model_dump(mode="json"))


@router.get("/docs", operation_id="swagger_ui", include_in_schema=False)
def swagger_ui(request: Request, _: PublicPage) -> HTMLResponse:
    """Swagger UI over this service's OpenAPI document, from local assets."""
    root = _root(request)
    page = render_swagger_page(
        title=PRODUCT,
        openapi_url=root + "/openapi.json",
        assets=root + API_DOCS_ASSETS_PATH,
        static_base=root + "/static",
    )
    return _html(page, api_docs_security_policy())


@router.get("/redoc", operation_id="redoc", include_in_schema=False)
def redoc(request: Request, _: PublicPage) -> HTMLResponse:
    """ReDoc over this service's OpenAPI document, from local assets."""
    root = _root(request)
    page = render_redoc_page(
        title=PRODUCT,
        openapi_url=root + "/openapi.json",
        bundle_url=root + "/redoc.js",
        static_base=root + "/static",
    )
    return _html(page, api_docs_security_policy())


@router.get("/redoc.js", operation_id="redoc_bundle", include_in_schema=False)
def redoc_script(_: PublicPage) -> Response:
    """ReDoc's script, with its one outside URL taken out (see ``maps.pages.apidocs``)."""
    return Response(
        redoc_bundle(),
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=86400"},
    )


def _signed_in(request: Request) -> dict[str, object] | None:
    # The page is public: a missing or bad session just means "signed out".
    try:
        principal = resolve_principal(request)
    except HTTPProblem:
        return None
    return {"role": principal.role, "name": principal.name}


def _wants_html(request: Request, f: str | None) -> bool:
    if f is not None:
        return f == "html"
    # Browsers name text/html; curl (*/*) and API clients get the JSON document.
    return "text/html" in request.headers.get("accept", "")


def _landing(request: Request) -> Landing:
    base = str(request.base_url).rstrip("/")
    links = [
        Link(href=f"{base}/", rel="self", type="application/json", title="This document"),
        Link(href=f"{base}/?f=html", rel="alternate", type="text/html", title="Home page"),
        Link(
            href=f"{base}/openapi.json",
            rel="service-desc",
            type="application/vnd.oai.openapi+json;version=3.1",
            title="The API definition",
        ),
        Link(
            href=f"{base}/api",
            rel="service-desc",
            type="application/vnd.oai.openapi+json;version=3.0",
            title="The OGC API Features definition (OpenAPI 3.0)",
        ),
        Link(href=f"{base}/docs", rel="service-doc", type="text/html", title="API documentation"),
        Link(
            href=f"{base}/conformance",
            rel="conformance",
            type="application/json",
            title="OGC API conformance classes",
        ),
        Link(
            href=f"{base}/collections",
            rel="data",
            type="application/json",
            title="Feature collections (OGC API Features)",
        ),
        Link(
            href=f"{base}/territories", rel="item", type="application/geo+json", title="Territories"
        ),
        Link(href=f"{base}/accounts", rel="item", type="application/geo+json", title="Accounts"),
        Link(href=f"{base}/reps", rel="item", type="application/json", title="Reps"),
    ]
    return Landing(
        title=PRODUCT,
        description="Sales territories, accounts, assignment, flags, travel load and maps over a GeoJSON API.",
        version=service.__version__,
        links=links,
    )


def _root(request: Request) -> str:
    # Relative to wherever the app is mounted (root_path behind a proxy).
    return str(request.scope.get("root_path", "")).rstrip("/")


def _html(body: str, csp: str) -> HTMLResponse:
    return HTMLResponse(
        body,
        headers={
            "Content-Security-Policy": csp,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-cache",
        },
    )
