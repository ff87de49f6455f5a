"""/tiles: Mapbox Vector Tiles of territories and accounts for big maps."""

from __future__ import annotations

from typing import Annotated, Literal

import shapely
from fastapi import APIRouter, Path, Response

from maps.tiles import MAX_ZOOM, TileFeature, encode_tile, tile_bounds_lonlat
from service.auth import ANYONE, Principal, allow
from service.read_scope import ReadScope, read_scope
from service.routers.docs import READ_RESPONSES
from service.storage import Tx
from service.storage.account_ops import AccountFilter
from service.storage.errors import NotFoundError
from service.web.deps import StoreDep

router = APIRouter(prefix="/tiles", tags=["maps"])
MVT = "application/vnd.mapbox-vector-tile"
Collection = Literal["territories", "accounts"]
Zoom = Annotated[int, Path(ge=0, le=MAX_ZOOM, description="Zoom level, 0 to 24.")]
Tile = Annotated[int, Path(ge=0, le=2**MAX_ZOOM - 1)]


@router.get(
    "/{collection}/{z}/{x}/{y}.mvt",
    responses={
        **READ_RESPONSES,
        200: {"content": {MVT: {"schema": {"type": "string", "format": "binary"}}}},
        204: {"description": "Nothing to draw in this tile."},
    },
    response_class=Response,
    operation_id="get_tile",
)
def get_tile(
    collection: Collection,
    z: Zoom,
    x: Tile,
    y: Tile,
    store: StoreDep,
    principal: Annotated[Principal, allow(*ANYONE)],
) -> Response:
    """One vector tile (XYZ scheme, Web Mercator, extent 4096); a rep sees only their own,
    a manager with a region only that region's territories and accounts."""
    if x >= 1 << z or y >= 1 << z:
        raise NotFoundError(f"No such tile: zoom {z} has tiles 0 to {(1 << z) - 1}.")
    with store.read() as tx:
        scope = read_scope(principal, tx)
        if store.backend.name == "postgis":
            tile = tx.postgis_tile(
                collection, z, x, y, _ids(scope, collection), scope.account_rep_id
            )
        else:
            tile = _drawn_here(tx, collection, z, x, y, scope)
    if not tile:
        return Response(status_code=204)
    return Response(tile, media_type=MVT, headers={"Cache-Control": "private, max-age=0"})


def _ids(scope: ReadScope, collection: str) -> frozenset[int] | None:
    """The territories whose shapes (or whose accounts) the caller may see."""
    return scope.territory_ids if collection == "territories" else scope.account_territory_ids


def _drawn_here(tx: Tx, collection: str, z: int, x: int, y: int, scope: ReadScope) -> bytes:
    box = tile_bounds_lonlat(z, x, y)
    if collection == "territories":
        features = [
            TileFeature(
                t.geometry,
                {
                    "name": t.name,
                    "code": t.code,
                    "color": t.color,
                    "parent_id": t.parent_id,
                    "version": t.version,
                },
                t.id,
            )
            for t in tx.find_territories(boxes=[box])
            if scope.sees_territory(t)
        ]
    else:
        features = [
            TileFeature(
                shapely.Point(s.account.location),
                {
                    "id": s.account.id,
                    "name": s.account.name,
                    "territory_id": s.assignment.territory_id,
                    "rep_id": s.assignment.rep_id,
                    "assignment": s.assignment.assignment,
                    "stage": s.account.stage,
                },
            )
            for s in tx.find_accounts(scope.accounts(AccountFilter(bbox=box)), limit=None)
            if s.account.location is not None
        ]
    return encode_tile(z, x, y, {collection: features})
