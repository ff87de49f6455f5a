"""One territory as the territory API answers it: the feature, its ETag naming the version.

Three paths answer it (a read from the store, a read from the worker's index
cache, a write), and clients compare their bytes and ETags: they build it
here, once. OGC API Features answers its own form (links, its media type).
"""

from __future__ import annotations

from typing import Any

from geo.model import Territory
from service.views.serialize import territory_feature
from service.web.http import GeoJSONResponse, etag_for


def territory_response(
    t: Territory,
    *,
    flags: dict[str, Any] | None = None,
    pending: list[dict[str, object]] | None = None,
    repairs: tuple[str, ...] | None = None,
    warnings: tuple[dict[str, Any], ...] | None = None,
    status: int = 200,
    location: str | None = None,
) -> GeoJSONResponse:
    """``t``'s feature; ``pending`` (scenarios' scheduled changes) only when there are some."""
    body = territory_feature(t, flags=flags, repairs=repairs, warnings=warnings, arrays=True)
    if pending:
        body["pending"] = pending
    headers = {"ETag": etag_for(t.version)}
    if location is not None:
        headers["Location"] = location
    return GeoJSONResponse(body, status_code=status, headers=headers)
