"""Swagger UI and ReDoc pages whose assets come from an installed package.

FastAPI's own ``/docs`` links Swagger UI from a CDN, so it is blank offline.
The ``fastapi-offline`` wheel ships the same Swagger UI and ReDoc bundles;
the service serves them and these pages start them with a script of ours
instead of an inline one, so the pages keep a strict Content-Security-Policy.
"""

from __future__ import annotations

import functools
import html
import importlib.util
from pathlib import Path


def api_docs_assets() -> Path:
    """Where the ``fastapi-offline`` wheel keeps its Swagger UI and ReDoc bundles.

    Found without importing the package (it imports FastAPI, which ``maps``
    must not pull in).
    """
    spec = importlib.util.find_spec("fastapi_offline")
    if spec is None or spec.origin is None:
        raise RuntimeError("the fastapi-offline package is not installed")
    return Path(spec.origin).parent / "static"


def render_swagger_page(*, title: str, openapi_url: str, assets: str, static_base: str) -> str:
    """Swagger UI over ``openapi_url``, from local assets only.

    >>> "swagger-ui-bundle.js" in render_swagger_page(
    ...     title="T", openapi_url="/openapi.json", assets="/apidocs", static_base="/static")
    True
    """
    a, s = _attr(assets.rstrip("/")), _attr(static_base.rstrip("/"))
    return _document(
        f"{title} · API documentation",
        f'<link rel="stylesheet" href="{a}/swagger-ui.css">\n'
        f'<link rel="stylesheet" href="{s}/apidocs/a11y.css">',
        f'<div id="swagger-ui" data-openapi-url="{_attr(openapi_url)}"></div>\n'
        f'<script src="{a}/swagger-ui-bundle.js"></script>\n'
        f'<script src="{s}/apidocs/swagger-init.js"></script>',
    )


def render_redoc_page(
    *, title: str, openapi_url: str, bundle_url: str, static_base: str = "/static"
) -> str:
    """ReDoc over ``openapi_url``, from local assets only (``bundle_url``: :func:`redoc_bundle`).

    Started by ``apidocs/redoc-init.js`` with a theme whose colours pass
    WCAG AA contrast.

    >>> "redoc-init.js" in render_redoc_page(title="T", openapi_url="/o", bundle_url="/r.js")
    True
    """
    s = _attr(static_base.rstrip("/"))
    return _document(
        f"{title} · API reference",
        f'<link rel="stylesheet" href="{s}/apidocs/a11y.css">',
        f'<div id="redoc" data-openapi-url="{_attr(openapi_url)}"></div>\n'
        f'<script src="{_attr(bundle_url)}"></script>\n'
        f'<script src="{s}/apidocs/redoc-init.js"></script>',
    )


# ReDoc's footer shows Redocly's logo from their CDN, which an offline page
# must not ask for (and its CSP refuses): the bundle is served with that one
# URL swapped for an empty inline image. ReDoc 2 has no option to hide it.
_REDOC_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"
_EMPTY_SVG = b"data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E"


@functools.cache
def redoc_bundle() -> bytes:
    """The ReDoc bundle of the ``fastapi-offline`` wheel, with no outside URL left in it."""
    return (api_docs_assets() / "redoc.standalone.js").read_bytes().replace(_REDOC_LOGO, _EMPTY_SVG)


def api_docs_security_policy() -> str:
    """CSP of the documentation pages.

    Both bundles set inline styles, ReDoc runs a web worker from a ``blob:``
    URL and Swagger UI draws icons from ``data:`` images; scripts still come
    only from this service.
    """
    return (
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src blob:; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


def _document(title: str, head: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<title>{html.escape(title)}</title>\n<link rel="icon" href="data:,">\n{head}\n'
        f"</head>\n<body>\n<h1 hidden>{html.escape(title)}</h1>\n{body}\n</body>\n</html>\n"
    )


def _attr(value: str) -> str:
    return html.escape(value, quote=True)
