"""/locate and /geocode: whose is this point, and where is this place."""

from __future__ import annotations

import weakref
from typing import Annotated

from fastapi import APIRouter, Query

from geo.assign.index import TerritoryIndex
from service.auth import ANYONE, Principal, allow
from service.routers.docs import READ_RESPONSES
from service.schemas.locate import GeocodeCandidateOut, GeocodeOut, LocateOut
from service.web.deps import GeocoderDep, IndexDep
from service.web.http import ModelResponse
from service.web.lanes import READS

router = APIRouter(tags=["locate"])


@router.get("/locate", response_model=LocateOut, responses=READ_RESPONSES, operation_id="locate")
@READS.handler()
def locate(
    index_cache: IndexDep,
    principal: Annotated[Principal, allow(*ANYONE)],
    lon: Annotated[float, Query(ge=-180, le=180, description="Longitude, WGS84 degrees.")],
    lat: Annotated[float, Query(ge=-90, le=90, description="Latitude, WGS84 degrees.")],
    industry: Annotated[str | None, Query(max_length=200)] = None,
    product: Annotated[list[str] | None, Query(max_length=50)] = None,
    revenue: Annotated[float | None, Query(ge=0, le=1e15)] = None,
) -> ModelResponse:
    """Which leaf territory owns this point (for an account with these fields), its reps and the reason."""
    return locate_in(index_cache.current(), lon, lat, industry, product, revenue)


def locate_in(
    index: TerritoryIndex,
    lon: float,
    lat: float,
    industry: str | None = None,
    product: list[str] | None = None,
    revenue: float | None = None,
) -> ModelResponse:
    """``/locate``'s answer from ``index`` (the worker's, current)."""
    found = index.locate(
        lon, lat, industry=industry, products=tuple(product or ()), revenue=revenue
    )
    names = _names(index)
    out = LocateOut(
        lon=lon,
        lat=lat,
        territory_id=found.territory_id,
        territory_name=names.get(found.territory_id) if found.territory_id is not None else None,
        rep_ids=list(found.rep_ids),
        assignment=found.assignment,
        candidates=list(found.candidates),
    )
    return ModelResponse(out)


# Territory names by id, per index: built once, not a thousand entries per lookup.
_NAMES: weakref.WeakKeyDictionary[TerritoryIndex, dict[int, str]] = weakref.WeakKeyDictionary()


def _names(index: TerritoryIndex) -> dict[int, str]:
    names = _NAMES.get(index)
    if names is None:
        names = _NAMES[index] = {t.id: t.name for t in index.territories}
    return names


@router.get("/geocode", response_model=GeocodeOut, responses=READ_RESPONSES, operation_id="geocode")
def geocode(
    geocoder: GeocoderDep,
    principal: Annotated[Principal, allow(*ANYONE)],
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=200,
            description="A postal code, or 'City, Region', or 'City, Region, Country'.",
        ),
    ],
) -> GeocodeOut:
    """Geocode a postal code or place name offline, with the precision reached."""
    found = geocoder.geocode_query(q)
    candidates = [
        GeocodeCandidateOut(
            lon=c.lon, lat=c.lat, precision=c.precision, source=c.source, label=c.label
        )
        for c in found
    ]
    return GeocodeOut(query=q, candidates=candidates)
