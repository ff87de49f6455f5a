"""Answers of /locate and /geocode."""

from __future__ import annotations

from pydantic import BaseModel


class LocateOut(BaseModel):
    """The territory and reps that own a point, and why."""

    lon: float
    lat: float
    territory_id: int | None
    territory_name: str | None
    rep_ids: list[int]
    assignment: str
    candidates: list[int]


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
