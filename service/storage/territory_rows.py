"""Territory rows and the values they are made of: drafts, versions, conversions.

Kept apart from the reads and writes (territory_ops.py) because plans
(scenario_ops.py), change sets and the benches build and read the same rows.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import shapely
from sqlalchemy import Row

from geo.model import Rules, Territory
from service.storage.tables import shape_values


@dataclass(frozen=True, slots=True)
class TerritoryDraft:
    """What a client may set on a territory."""

    name: str
    geometry: shapely.MultiPolygon
    code: str | None = None
    parent_id: int | None = None
    rep_ids: tuple[int, ...] = ()
    rules: Rules = dataclasses.field(default_factory=Rules)
    color: str | None = None
    attributes: dict[str, Any] = dataclasses.field(default_factory=dict, hash=False)


@dataclass(frozen=True, slots=True)
class TerritoryVersion:
    """One accepted version of a territory, and what made it."""

    territory: Territory
    op: str
    change_set_id: int | None = None


def rules_to_json(rules: Rules) -> dict[str, Any]:
    """The stored (and API) form of ``rules``."""
    return {
        "industries": list(rules.industries) if rules.industries is not None else None,
        "products": list(rules.products) if rules.products is not None else None,
        "min_revenue": rules.min_revenue,
        "max_revenue": rules.max_revenue,
    }


def rules_from_json(raw: dict[str, Any] | None) -> Rules:
    """Inverse of :func:`rules_to_json`."""
    raw = raw or {}
    ind, prod = raw.get("industries"), raw.get("products")
    return Rules(
        industries=tuple(ind) if ind is not None else None,
        products=tuple(prod) if prod is not None else None,
        min_revenue=raw.get("min_revenue"),
        max_revenue=raw.get("max_revenue"),
    )


def row_values(draft: TerritoryDraft, now: datetime, actor: str | None) -> dict[str, Any]:
    return {
        "name": draft.name,
        "code": draft.code,
        "parent_id": draft.parent_id,
        "rep_ids": list(draft.rep_ids),
        "rules": rules_to_json(draft.rules),
        "color": draft.color,
        "attributes": dict(draft.attributes) or None,
    } | shape_values(draft.geometry, now, actor)


def as_written(
    territory_id: int, version: int, draft: TerritoryDraft, now: datetime, actor: str | None
) -> Territory:
    """The territory a write just stored, without reading it back.

    Reading it back decoded the geometry the caller already holds; a test
    (tests/storage/test_written_territory.py) holds this equal to the row.
    """
    return Territory(
        id=territory_id,
        name=draft.name,
        geometry=draft.geometry,
        code=draft.code,
        parent_id=draft.parent_id,
        rep_ids=tuple(draft.rep_ids),
        rules=draft.rules,
        color=draft.color,
        version=version,
        updated_at=now,
        updated_by=actor,
        attributes=dict(draft.attributes),
    )


def draft_of(t: Territory) -> TerritoryDraft:
    """The editable fields of an existing territory."""
    geom = (
        t.geometry
        if isinstance(t.geometry, shapely.MultiPolygon)
        else shapely.MultiPolygon([t.geometry])
    )
    return TerritoryDraft(
        t.name, geom, t.code, t.parent_id, t.rep_ids, t.rules, t.color, dict(t.attributes)
    )


def version_from_row(row: Row[Any]) -> TerritoryVersion:
    m = row._mapping
    return TerritoryVersion(
        territory_from_row(row, id_col="territory_id"), m["op"], m["change_set_id"]
    )


def territory_from_row(row: Row[Any], *, id_col: str = "id") -> Territory:
    m = row._mapping
    return Territory(
        id=int(m[id_col]),
        name=m["name"],
        geometry=shapely.from_wkb(m["geometry"]),
        code=m["code"],
        parent_id=m["parent_id"],
        rep_ids=tuple(m["rep_ids"] or ()),
        rules=rules_from_json(m["rules"]),
        color=m["color"],
        version=int(m["version"]),
        updated_at=m["updated_at"],
        updated_by=m["updated_by"],
        attributes=dict(m["attributes"] or {}),
    )
