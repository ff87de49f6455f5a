"""One page of an OGC API Features collection: every filter applied before paging.

The caller's scope (a rep sees their own accounts, their territories and
themself), the bbox, ``?prop=value`` and the CQL2 filter are one SQL
condition, so ``numberMatched`` and the pages agree. A CQL2 ``S_INTERSECTS``
term is a bbox too (:mod:`service.usecases.ogc_spatial`). For territories the
bbox is also tested against the shapes with shapely (the database compares
only bounding boxes; geometry decides in one place).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import shapely
from sqlalchemy import false, literal
from sqlalchemy.sql.expression import ColumnElement

from geo.geojson import geometry_to_geojson
from geo.ogc_crs import CRS84, from_crs84
from service.auth import Principal
from service.settings import Settings
from service.storage import Tx
from service.storage.ogc_filter import cql_condition
from service.storage.ogc_ops import BBox, OgcQuery
from service.usecases.ogc_collections import Collection, features_for
from service.usecases.ogc_spatial import split_spatial


@dataclass(frozen=True, slots=True)
class ItemsRequest:
    """A parsed ``/items`` request; bboxes are CRS84 (two when crossing the antimeridian)."""

    collection: Collection
    offset: int = 0
    limit: int = 10
    boxes: list[BBox] | None = None
    equals: dict[str, Any] = field(default_factory=dict)
    cql: Any = None
    crs: str = CRS84
    updated: tuple[datetime | None, datetime | None] | None = None  # UTC, inclusive


@dataclass(frozen=True, slots=True)
class ItemsPage:
    """The features of one page (in the asked CRS) and how many match in all."""

    features: list[dict[str, Any]]
    matched: int


def find_items(tx: Tx, req: ItemsRequest, principal: Principal, settings: Settings) -> ItemsPage:
    """The page ``req`` names, as ``principal`` may see it."""
    cql, within = split_spatial(req.cql)  # S_INTERSECTS terms: boxes like bbox's
    conditions = _conditions(tx, req, principal, cql)
    conditions += [tx.ogc_bbox_condition(req.collection.table, boxes) for boxes in within]
    query = OgcQuery(req.collection.table, tuple(conditions))
    box_groups = within if req.boxes is None else [req.boxes, *within]
    if req.collection.id == "territories" and box_groups:
        ids = _meeting_boxes(tx, tx.ogc_ids(query), box_groups)
        page_ids, matched = ids[req.offset : req.offset + req.limit], len(ids)
    else:
        page_ids, matched = tx.ogc_page(query, offset=req.offset, limit=req.limit)
    features = features_for(tx, req.collection, page_ids, settings)
    return ItemsPage([in_crs(f, req.crs) for f in features], matched)


def find_item(
    tx: Tx, collection: Collection, fid: Any, principal: Principal, settings: Settings
) -> dict[str, Any] | None:
    """One feature (CRS84) if it exists and ``principal`` may see it."""
    req = ItemsRequest(collection)
    table = tx.t[collection.table]
    conditions = [*_conditions(tx, req, principal, None), table.c.id == fid]
    ids = tx.ogc_ids(OgcQuery(collection.table, tuple(conditions)))
    features = features_for(tx, collection, ids, settings)
    return features[0] if features else None


def in_crs(feature: dict[str, Any], crs: str) -> dict[str, Any]:
    """``feature`` with its geometry in ``crs`` (CRS84 features pass through)."""
    if crs == CRS84 or feature.get("geometry") is None:
        return feature
    moved = from_crs84(shapely.geometry.shape(feature["geometry"]), crs)
    return {**feature, "geometry": geometry_to_geojson(moved)}


def _conditions(
    tx: Tx, req: ItemsRequest, principal: Principal, cql: Any
) -> list[ColumnElement[bool]]:
    c = req.collection
    columns = tx.ogc_columns(c.table)
    out = [_scope(tx, c, principal, columns)]
    if req.boxes is not None:
        out.append(tx.ogc_bbox_condition(c.table, req.boxes))
    for name, value in req.equals.items():
        q = c.by_name()[name]
        out.append(columns[q.column] == value)
    if req.updated is not None:
        out.extend(_updated_within(columns["updated_at"], req.updated, tx.backend.name))
    if cql is not None:
        sqlite = tx.backend.name == "sqlite"
        out.append(cql_condition(cql, c.by_name(), columns, sqlite=sqlite))
    return out


def _updated_within(
    column: Any, interval: tuple[datetime | None, datetime | None], backend: str
) -> list[ColumnElement[bool]]:
    # SQLite keeps naive UTC timestamps; PostgreSQL compares aware ones.
    start, end = (
        None if t is None else (t.replace(tzinfo=None) if backend == "sqlite" else t)
        for t in interval
    )
    bounds = [] if start is None else [column >= start]
    return bounds if end is None else [*bounds, column <= end]


def _scope(tx: Tx, c: Collection, principal: Principal, columns: Any) -> ColumnElement[bool]:
    # A rep sees their own book, the territories they work in and themself.
    if principal.role != "rep":
        return literal(True)
    if principal.rep_id is None:
        return false()
    if c.id == "accounts":
        return columns["rep_id"] == principal.rep_id  # type: ignore[no-any-return]
    if c.id == "reps":
        return columns["id"] == principal.rep_id  # type: ignore[no-any-return]
    return columns["id"].in_(tx.territory_ids_of_rep(principal.rep_id))  # type: ignore[no-any-return]


def _meeting_boxes(tx: Tx, ids: list[int], groups: list[list[BBox]]) -> list[int]:
    """The territories whose shape meets a box of every group."""
    found = tx.territories_by_id(ids)
    shapes = [[shapely.box(*b) for b in boxes] for boxes in groups]
    return [
        i
        for i in ids
        if i in found
        and all(any(found[i].geometry.intersects(s) for s in group) for group in shapes)
    ]
