"""Answers of /analysis/overlaps, /analysis/gaps and /analysis/too-far."""

from __future__ import annotations

from pydantic import BaseModel, Field

from service.schemas.common import RawPolygonal


class TerritoryRef(BaseModel):
    """A territory named in a finding."""

    id: int
    name: str


class OverlapOut(BaseModel):
    """Two leaf territories whose interiors overlap and whose rules can match one account."""

    a: TerritoryRef
    b: TerritoryRef
    overlap_km2: float = Field(description="Equal-area km2 (see area_crs).")
    geometry: RawPolygonal = Field(description="The shared part, GeoJSON, WGS84 lon/lat.")
    account_ids: list[str]
    accounts_caught: int
    suggestion: str | None


class OverlapsOut(BaseModel):
    """Overlaps above the sliver threshold, and the slivers apart."""

    area_crs: str
    area_units: str
    sliver_km2: float
    overlaps: list[OverlapOut]
    slivers: list[OverlapOut]


class UnassignedGroup(BaseModel):
    """Unassigned accounts sharing one reason."""

    count: int
    account_ids: list[str]


class ChildOutside(BaseModel):
    """A child territory reaching outside its parent."""

    territory_id: int
    name: str
    outside_km2: float = Field(description="Equal-area km2 (EPSG:6933).")


class ParentGap(BaseModel):
    """A parent's area that no child covers, and children that leave it."""

    parent_id: int
    name: str
    uncovered_km2: float = Field(description="Equal-area km2 (EPSG:6933).")
    uncovered: RawPolygonal | None = Field(description="GeoJSON, WGS84 lon/lat; null if none.")
    children_outside: list[ChildOutside]


class GapsOut(BaseModel):
    """Unassigned accounts by reason, and each parent's uncovered area."""

    unassigned: dict[str, UnassignedGroup]
    area_crs: str
    parents: list[ParentGap]


class TooFarOut(BaseModel):
    """An account farther from its rep's home than the rep's reach."""

    account_id: str
    rep_id: int
    distance_km: float = Field(description="Geodesic km on WGS84.")
    limit_km: float
    nearest_rep_id: int | None = Field(description="The nearest other rep who can reach it.")
    nearest_rep_km: float | None


class NotCheckedOut(BaseModel):
    """An assigned account whose distance could not be judged, and why."""

    account_id: str
    rep_id: int
    reason: str = Field(
        description="no-location, unknown-account, unknown-rep, rep-has-no-home or remote"
    )


class TooFarReportOut(BaseModel):
    """Accounts beyond their rep's reach, and those that could not be checked."""

    distance: str
    default_max_service_km: float
    count: int
    too_far: list[TooFarOut]
    not_checked: list[NotCheckedOut]
