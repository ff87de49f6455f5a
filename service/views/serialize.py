"""Domain objects to API JSON (GeoJSON Features, lon/lat order)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import shapely

from geo.model import Account, Assignment, Rep, Territory
from geo.validate.gate import geometry_to_geojson
from service.storage.territory_rows import rules_to_json


def iso(dt: datetime | None) -> str | None:
    """ISO 8601 in UTC (SQLite hands back naive datetimes; all are UTC)."""
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.isoformat()


def territory_feature(
    t: Territory,
    *,
    repairs: tuple[str, ...] | list[str] | None = None,
    warnings: tuple[dict[str, Any], ...] | list[dict[str, Any]] | None = None,
    flags: dict[str, Any] | None = None,
    arrays: bool = False,
) -> dict[str, Any]:
    """A territory as a GeoJSON Feature; write answers add ``repairs``/``warnings``.

    ``arrays``: positions as numpy arrays, for a body that orjson encodes
    (:class:`~service.web.http.GeoJSONResponse`); see ``geometry_to_geojson``.
    """
    geom = (
        t.geometry
        if isinstance(t.geometry, shapely.MultiPolygon)
        else shapely.MultiPolygon([t.geometry])
    )
    feature: dict[str, Any] = {
        "type": "Feature",
        "id": t.id,
        "geometry": geometry_to_geojson(geom, arrays=arrays),
        "properties": {
            "name": t.name,
            "code": t.code,
            "parent_id": t.parent_id,
            "rep_ids": list(t.rep_ids),
            "rules": rules_to_json(t.rules),
            "color": t.color,
            "attributes": dict(t.attributes),
            "version": t.version,
            "updated_at": iso(t.updated_at),
            "updated_by": t.updated_by,
        },
    }
    if flags is not None:
        feature["properties"]["flags"] = flags
    if repairs is not None:
        feature["repairs"] = list(repairs)
    if warnings is not None:
        feature["warnings"] = list(warnings)
    return feature


def rep_public(rep: Rep) -> dict[str, Any]:
    """A rep as returned."""
    return {
        "id": rep.id,
        "name": rep.name,
        "email": rep.email,
        "home": {"type": "Point", "coordinates": list(rep.home)} if rep.home else None,
        "max_service_km": rep.max_service_km,
        "weekly_capacity_hours": rep.weekly_capacity_hours,
        "avg_speed_kmh": rep.avg_speed_kmh,
        "experience": rep.experience,
        "quota": rep.quota,
    }


def account_feature(
    account: Account,
    assignment: Assignment,
    *,
    distance_km: float | None = None,
    flags: list[str] | None = None,
    version: int | None = None,
) -> dict[str, Any]:
    """An account as a GeoJSON Point Feature with its computed owner."""
    g = account.geocode
    props: dict[str, Any] = {
        "name": account.name,
        "address": account.address,
        "postal_code": account.postal_code,
        "city": account.city,
        "region": account.region,
        "country": account.country,
        "industry": account.industry,
        "products": list(account.products),
        "annual_revenue": account.annual_revenue,
        "cost_to_serve": account.cost_to_serve,
        "stage": account.stage,
        "visits_per_month": account.visits_per_month,
        "visit_minutes": account.visit_minutes,
        "remote": account.remote,
        "owner_rep_id": account.owner_rep_id,
        "territory_id": assignment.territory_id,
        "rep_id": assignment.rep_id,
        "assignment": assignment.assignment,
        "candidates": list(assignment.candidates),
        "distance_km": None if distance_km is None else round(distance_km, 3),
        "geocode": None
        if g is None
        else {
            "status": g.status,
            "precision": g.precision,
            "source": g.source,
            "note": g.note,
        },
        "flags": flags or [],
    }
    if version is not None:
        props["version"] = version
    geometry = (
        {"type": "Point", "coordinates": [account.location[0], account.location[1]]}
        if account.location is not None
        else None
    )
    return {"type": "Feature", "id": account.id, "geometry": geometry, "properties": props}
