"""``?f=`` on list routes: the answer as one GIS file (service.views.gis_export)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated, Any

from fastapi import Query, Response

from geo.model import Territory
from service.views.gis_export import FORMATS, ExportFormat, export_file
from service.views.serialize import territory_feature
from service.web.problems import HTTPProblem

ExportQuery = Annotated[
    ExportFormat | None,
    Query(
        alias="f",
        description="Answer with every match as one file: gpkg, shp (zipped), kml, fgb, "
        "parquet (GeoParquet), csv (with a wkt column) or geojson; not paged.",
    ),
]
EXPORT_RESPONSE: dict[str, Any] = {
    "description": "The page as GeoJSON, or with `f` every match as one GIS file.",
    "content": {
        media: {"schema": {"type": "string", "format": "binary"}}
        for media, _, _ in FORMATS.values()
        if media != "application/geo+json"
    },
}


def check_export_size(count: int, limit: int) -> None:
    """Refuse an export of more than ``limit`` features (413), before any file is written."""
    if count > limit:
        raise HTTPProblem(
            413,
            "export-too-large",
            "Export too large",
            f"{count} features match; an export holds at most {limit}. Narrow it with bbox "
            "or other filters, or page through the GeoJSON answer.",
        )


def file_response(
    features: list[dict[str, Any]], fmt: ExportFormat, layer: str, **kw: Any
) -> Response:
    """The file and its name (Content-Disposition)."""
    content, media, name = export_file(features, fmt, layer, **kw)
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(content, media_type=media, headers=headers)


def territory_file(
    found: Iterable[Territory], codes: Mapping[int, str | None], fmt: ExportFormat, limit: int
) -> Response:
    """Territories as one file; ``parent_code`` names the parent so an import can rebuild the tree."""
    found = list(found)
    check_export_size(len(found), limit)
    features = []
    for t in found:
        feature = territory_feature(t)
        feature["properties"]["parent_code"] = codes.get(t.parent_id) if t.parent_id else None
        features.append(feature)
    return file_response(features, fmt, "territories", unpack="attributes")
