"""/locate and /geocode: whose is this point, and where is this place."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from service.auth import ANYONE, Principal, allow
from service.routers.docs import READ_RESPONSES
from service.web.deps import IndexDep

router = APIRouter(tags=["locate"])


class LocateOut(BaseModel):
    """The territory and reps that own a point, and why."""

    lon: float
    lat: float
    territory_id: int | None
    territory_name: str | None
    rep_ids: list[int]
    assignment: str
    candidates: list[int]


@router.get("/locate", response_model=LocateOut, responses=READ_RESPONSES, operation_id="locate")
def locate(
    index_cache: IndexDep,
    principal: Annotated[Principal, allow(*ANYONE)],
    lon: Annotated[float, Query(ge=-180, le=180, description="Longitude, WGS84 degrees.")],
    lat: Annotated[float, Query(ge=-90, le=90, description="Latitude, WGS84 degrees.")],
    industry: Annotated[str | None, Query(max_length=200)] = None,
    product: Annotated[list[str] | None, Query(max_length=50)] = None,
    revenue: Annotated[float | None, Query(ge=0, le=1e15)] = None,
) -> dict[str, Any]:
    """Which leaf territory owns this point (for an account with these fields), its reps and the reason."""
    index = index_cache.current()
    found = index.locate(
        lon, lat, industry=industry, products=tuple(product or ()), revenue=revenue
    )
    names = {t.id: t.name for t in index.territories}
    return {
        "lon": lon,
        "lat": lat,
        "territory_id": found.territory_id,
        "territory_name": names.get(found.territory_id) if found.territory_id is not None else None,
        "rep_ids": list(found.rep_ids),
        "assignment": found.assignment,
        "candidates": list(found.candidates),
    }


class GeocodeCandidateOut(BaseModel):
    """One place matching the query."""

    lon: float | None
    lat: float | None
    precision: str
    source: str
    label: str
    status: str | None = None
    note: str | None = None


class GeocodeOut(BaseModel):
    """Offline geocoding answer: candidates best first."""

    query: str
    candidates: list[GeocodeCandidateOut]


@router.get("/geocode", response_model=GeocodeOut, responses=READ_RESPONSES, operation_id="geocode")
def geocode(
    request: Request,
    principal: Annotated[Principal, allow(*ANYONE)],
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=200,
            description="A postal code, or 'City, Region', or 'City, Region, Country'.",
        ),
    ],
) -> dict[str, Any]:
    """Geocode a postal code or place name offline, with the precision reached."""
    found = request.app.state.geocoder.geocode_query(q)
    return {"query": q, "candidates": [_candidate(c) for c in found]}


def _candidate(c: Any) -> dict[str, Any]:
    loc = getattr(c, "location", None)
    lon = getattr(c, "lon", None) if loc is None else loc[0]
    lat = getattr(c, "lat", None) if loc is None else loc[1]
    return {
        "lon": lon,
        "lat": lat,
        "precision": c.precision,
        "source": c.source,
        "label": getattr(c, "label", ""),
        "status": getattr(c, "status", None),
        "note": getattr(c, "note", None),
    }
