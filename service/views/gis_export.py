"""Territories and accounts as GIS files: ``?f=gpkg|shp|kml|fgb|parquet|csv|geojson``.

Each format gets every property as a column: nested values (rules, a
territory's ``attributes`` are flattened to one column each) are written as
JSON text, a list of plain values (``rep_ids``, ``products``) joined with
``;`` as in the CSV import. A Shapefile comes zipped with its ``.shx``,
``.dbf``, ``.prj`` and ``.cpg``, and its column names are cut to 10
characters by the format.

Numbers stay numbers through a round trip: whole numbers are written as
integer columns (also when some features lack them), and the import reads
them back as such. KML types its ExtendedData with a ``<Schema>`` (``int``,
``double``, ``string``; a whole number past 32 bits is written as text, as
KML has no 64-bit type, and the import reads such a column back as whole
numbers: :func:`service.web.gis_reader._wide_whole_numbers`). CSV has no types: numbers are written as Python
writes them and the import reads back a column of such cells as numbers
(:func:`service.web.gisfiles.read_wkt_csv`).
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
import warnings
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final, Literal

import shapely
import shapely.geometry

ExportFormat = Literal["geojson", "gpkg", "shp", "kml", "fgb", "parquet", "csv"]
# format -> (media type, file extension, OGR driver or None when written without GDAL)
FORMATS: Final[dict[str, tuple[str, str, str | None]]] = {
    "geojson": ("application/geo+json", "geojson", None),
    "gpkg": ("application/geopackage+sqlite3", "gpkg", "GPKG"),
    "shp": ("application/zip", "zip", "ESRI Shapefile"),
    "kml": ("application/vnd.google-earth.kml+xml", "kml", "LIBKML"),
    "fgb": ("application/flatgeobuf", "fgb", "FlatGeobuf"),
    "parquet": ("application/vnd.apache.parquet", "parquet", None),
    "csv": ("text/csv", "csv", None),
}


def flat_properties(feature: dict[str, Any], *, unpack: str | None = None) -> dict[str, Any]:
    """One feature's properties as plain column values, ``id`` first.

    ``unpack`` names a nested object whose members become columns of their own.

    >>> flat_properties({"id": 3, "properties": {"rep_ids": [1, 2], "rules": {"a": None}}})
    {'id': 3, 'rep_ids': '1;2', 'rules': '{"a": null}'}
    """
    props = dict(feature.get("properties") or {})
    inner = props.pop(unpack, None) if unpack else None
    out: dict[str, Any] = {"id": feature.get("id")}
    for key, value in [*props.items(), *(inner or {}).items()]:
        out[key] = _plain(value)
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, list) and all(isinstance(v, str | int) for v in value):
        return ";".join(str(v) for v in value) if value else None
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return value


def export_file(
    features: Sequence[dict[str, Any]], fmt: ExportFormat, layer: str, *, unpack: str | None = None
) -> tuple[bytes, str, str]:
    """``features`` (GeoJSON Feature dicts, WGS84) as one file: its bytes, media type and name."""
    media, ext, driver = FORMATS[fmt]
    name = f"{layer}.{ext}"
    if fmt == "geojson":
        # The paged list's envelope too (every match, so no next link): the
        # same media type answers both, and clients read both alike.
        doc = {
            "type": "FeatureCollection",
            "features": list(features),
            "numberReturned": len(features),
            "links": [],
        }
        return json.dumps(doc).encode(), media, name
    rows = [flat_properties(f, unpack=unpack) for f in features]
    geoms = [shapely.geometry.shape(f["geometry"]) if f.get("geometry") else None for f in features]
    if fmt == "csv":
        return _csv(rows, geoms), media, name
    import geopandas as gpd  # with the first GIS file: start-up stays light
    import pandas as pd

    table = _whole_numbers(pd.DataFrame(rows), rows, small=fmt == "kml")
    frame = gpd.GeoDataFrame(table, geometry=geoms, crs="EPSG:4326")
    with tempfile.TemporaryDirectory(prefix="territory-export-") as folder:
        path = Path(folder) / f"{layer}.{'shp' if fmt == 'shp' else ext}"
        if fmt == "parquet":
            frame.to_parquet(path)
        else:
            with warnings.catch_warnings():
                # A Shapefile cuts column names to 10 characters (said in the module docstring).
                warnings.simplefilter("ignore", UserWarning)
                warnings.simplefilter("ignore", RuntimeWarning)
                frame.to_file(path, driver=driver, layer=layer, **_options(fmt))
        if fmt == "shp":
            return _zipped(Path(folder)), media, name
        return path.read_bytes(), media, name


def _whole_numbers(table: Any, rows: list[dict[str, Any]], *, small: bool) -> Any:
    """Columns of whole numbers as nullable integers, so files type them as integers.

    pandas makes a column of ints with a gap a float column (5 would come
    back as 5.0). ``small``: 32-bit where the values fit, for KML, whose
    Schema has ``int`` but no 64-bit type (GDAL's LIBKML writes an Integer64
    field as ``string``).
    """
    for name in table.columns:
        values = [row[name] for row in rows if row.get(name) is not None]
        if not values or not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            continue
        fits = all(-(2**31) <= v < 2**31 for v in values)
        table[name] = table[name].astype("Int32" if small and fits else "Int64")
    return table


def _options(fmt: str) -> dict[str, Any]:
    if fmt == "shp":
        return {"ENCODING": "UTF-8"}
    return {}


def _zipped(folder: Path) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for part in sorted(folder.iterdir()):
            zf.write(part, part.name)
    return out.getvalue()


def _csv(rows: list[dict[str, Any]], geoms: list[Any]) -> bytes:
    columns = list(dict.fromkeys(k for row in rows for k in row)) + ["wkt"]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row, geom in zip(rows, geoms, strict=True):
        wkt = "" if geom is None else shapely.to_wkt(geom, rounding_precision=-1)
        writer.writerow({**row, "wkt": wkt})
    return out.getvalue().encode("utf-8")
