"""Reps in and out."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from service.schemas.common import Link, RawPoint, StrictModel

Positive = Annotated[float, Field(gt=0, le=1e6)]
Email = Annotated[str, Field(max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Experience = Literal["junior", "mid", "senior"]


class RepIn(StrictModel):
    """A rep: home base (GeoJSON Point, lon/lat), reach, capacity, speed."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    email: Email | None = None
    home: RawPoint = None
    max_service_km: Positive | None = None
    weekly_capacity_hours: Annotated[float, Field(gt=0, le=168)] | None = None
    avg_speed_kmh: Annotated[float, Field(gt=0, le=300)] | None = None
    experience: Experience | None = None
    quota: Annotated[float, Field(ge=0, le=1e15)] | None = None


class RepPatch(StrictModel):
    """Fields to change; absent members stay, null clears."""

    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    email: Email | None = None
    home: RawPoint = None
    max_service_km: Positive | None = None
    weekly_capacity_hours: Annotated[float, Field(gt=0, le=168)] | None = None
    avg_speed_kmh: Annotated[float, Field(gt=0, le=300)] | None = None
    experience: Experience | None = None
    quota: Annotated[float, Field(ge=0, le=1e15)] | None = None


class PointOut(BaseModel):
    """A GeoJSON Point."""

    type: Literal["Point"]
    coordinates: list[float]


class RepPublic(BaseModel):
    """A rep as returned."""

    id: int
    name: str
    email: str | None
    home: PointOut | None
    max_service_km: float | None
    weekly_capacity_hours: float | None
    avg_speed_kmh: float | None
    experience: str | None
    quota: float | None


class RepList(BaseModel):
    """A page of reps."""

    items: list[RepPublic]
    links: list[Link]
