"""Answers of the operations and sign-in routes: readiness and who is signed in."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class HealthOut(BaseModel):
    """The process is up; the versions of the geometry libraries it runs on."""

    status: Literal["ok"]
    version: str
    shapely: str
    geos: str
    pyproj: str
    proj: str


class ReadyOut(BaseModel):
    """The service is ready: the territory index is built and the database answers."""

    status: Literal["ready"]
    backend: Literal["sqlite", "postgis"] = Field(description="The store behind this worker.")


class SessionOut(BaseModel):
    """Who the token or session belongs to."""

    role: Literal["admin", "manager", "rep"]
    name: str
    rep_id: int | None = Field(description="The rep a rep's token stands for.")
    region_id: int | None = Field(description="The region a regional manager writes in.")
