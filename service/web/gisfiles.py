"""GIS files from clients, read safely: :func:`read_gis_upload`.

File names and media types prove nothing (a GDAL VRT renamed ``.shp``,
``.gpkg`` or ``.kml`` reads ``/etc/passwd``), so:

- the format comes from the bytes; a declared media type that disagrees is
  refused (422; 415 is only for a media type the route does not take), and a
  VRT (or any XML but KML) always is;
- the upload is written by the service to its own temporary folder under a
  name it chose; no client path or GDAL virtual path (``/vsicurl/``,
  ``/vsizip/``) is ever opened;
- a zip (zipped Shapefile, KMZ) is unpacked here, member by member: no
  absolute or ``..`` member names, no links, and the inflated bytes are
  counted as they come, so a zip bomb is refused (413) before it fills the
  disk;
- a KML with a ``NetworkLink`` (or a DOCTYPE) and a Shapefile without its
  ``.shx`` are refused;
- GDAL reads in a sandboxed subprocess (:mod:`service.web.gis_sandbox`):
  one driver, a time limit and a memory limit.

GeoJSON and CSV never reach GDAL: they are parsed here in Python.
"""

from __future__ import annotations

import csv
import io
import math
import re
import shutil
import stat
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Final, Literal

import shapely
import shapely.geometry

from service.settings import Settings
from service.web.gis_sandbox import refuse, run_reader
from service.web.http import InvalidJSONError, parse_json
from service.web.problems import HTTPProblem

Geometry = Literal["polygon", "point"]
# Media types of GIS files; the value is the format the bytes must have (None: any).
GIS_MEDIA_TYPES: Final[dict[str, str | None]] = {
    "application/geopackage+sqlite3": "gpkg",
    "application/zip": "zip",
    "application/x-zip-compressed": "zip",
    "application/vnd.google-earth.kml+xml": "kml",
    "application/vnd.google-earth.kmz": "zip",
    "application/flatgeobuf": "fgb",
    "application/vnd.apache.parquet": "parquet",
    "application/x-parquet": "parquet",
    "application/octet-stream": None,
}
SHAPEFILE_PARTS: Final = (".shp", ".shx", ".dbf", ".prj", ".cpg")
MAX_ZIP_MEMBERS: Final = 1000
LAYER_PATTERN: Final = r"^[A-Za-z0-9_ .\-]{1,100}$"  # a name, never a path
LAYER_NAME = re.compile(LAYER_PATTERN)


@dataclass(frozen=True)
class GisFeature:
    """One feature: raw GeoJSON geometry (for the gate), its properties, where it was."""

    pointer: str
    geometry: object
    properties: dict[str, Any]
    problem: str | None = None  # why the geometry could not be read, if it could not


@dataclass
class GisTable:
    """What a file held, in WGS84 lon/lat."""

    format: str
    crs: str | None
    features: list[GisFeature] = field(default_factory=list)


def sniff(head: bytes) -> str:
    """The format the first bytes of a file show: zip, gpkg, fgb, parquet, kml, json or csv.

    >>> sniff(b"PK\\x03\\x04..."), sniff(b"fgb\\x03\\x00"), sniff(b' \\n{"type": 1}')
    ('zip', 'fgb', 'json')
    """
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "zip"
    if head.startswith(b"SQLite format 3\x00"):
        return "gpkg"
    if head.startswith(b"fgb\x03"):
        return "fgb"
    if head.startswith(b"PAR1"):
        return "parquet"
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"<"):
        lowered = text[:4096].lower()
        if b"<ogrvrtdatasource" in lowered or b"<vrtdataset" in lowered:
            return "vrt"
        return "kml" if b"<kml" in lowered else "xml"
    if text[:1] in (b"{", b"["):
        return "json"
    return "csv"


def precheck_upload(media_type: str, body: IO[bytes], *, csv_columns: tuple[str, ...]) -> None:
    """Refuse at once a body that cannot be this import: a JSON body that is no object,
    a CSV whose header has none of ``csv_columns``, GIS bytes of another format."""
    head = body.read(65536)
    if media_type in ("application/geo+json", "application/json"):
        if not head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"{"):
            raise refuse(422, "wrong-type", "expected a GeoJSON FeatureCollection object", "/type")
    elif media_type in ("text/csv", "application/csv"):
        first = head.removeprefix(b"\xef\xbb\xbf").split(b"\n", 1)[0].decode("utf-8", "replace")
        names = {c.strip().strip('"').casefold() for c in next(csv.reader([first]), [])}
        if not names & set(csv_columns):
            wanted = " or ".join(csv_columns)
            raise refuse(422, "missing-column", f"the CSV header has no {wanted} column", "/rows/0")
    else:
        _check_format(sniff(head), media_type)


def _check_format(found: str, media_type: str) -> None:
    declared = GIS_MEDIA_TYPES.get(media_type)
    if found == "vrt":
        raise refuse(422, "vrt-refused", "a GDAL VRT can read other files and URLs; not accepted")
    if found == "xml":
        raise refuse(422, "unsupported-format", "XML other than KML (GML, ...) is not accepted")
    if declared is not None and declared != found:
        raise refuse(
            422, "content-mismatch", f"the body is not {media_type} (its bytes say {found})"
        )


def read_gis_upload(
    body: IO[bytes],
    media_type: str,
    settings: Settings,
    *,
    geometry: Geometry,
    layer: str | None = None,
    crs: str | None = None,
) -> GisTable:
    """The features of an uploaded GIS file; see the module docstring. Raises HTTPProblem."""
    if layer is not None and not LAYER_NAME.fullmatch(layer):
        raise refuse(422, "bad-layer-name", "a layer name is 1 to 100 letters, digits, ' ._-'")
    head = body.read(8192)
    body.seek(0)
    found = sniff(head)
    _check_format(found, media_type)
    with tempfile.TemporaryDirectory(prefix="territory-upload-") as folder:
        work = Path(folder)
        if found == "zip":
            path, found = _unzip(body, work, settings.max_import_unzipped_bytes)
        else:
            path = work / f"upload.{found}"
            with path.open("wb") as out:
                shutil.copyfileobj(body, out)
        if found == "kml":
            _check_kml(path)
        if found in ("json", "csv"):
            raise refuse(422, "unsupported-format", f"send {found} with its own media type")
        return _run_reader(path, found, settings, geometry=geometry, layer=layer, crs=crs)


def _unzip(body: IO[bytes], work: Path, limit: int) -> tuple[Path, str]:
    """Unpack the members a Shapefile or KMZ needs; the path to open and its format."""
    archive = work / "upload.zip"
    with archive.open("wb") as out:
        shutil.copyfileobj(body, out)
    try:
        zf = zipfile.ZipFile(archive)
    except zipfile.BadZipFile as exc:
        raise refuse(422, "bad-zip", "the zip archive is damaged or incomplete") from exc
    with zf:
        members = zf.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            raise refuse(413, "zip-too-many-members", f"more than {MAX_ZIP_MEMBERS} members")
        _check_names(members)
        wanted = [
            m for m in members if Path(m.filename).suffix.lower() in (*SHAPEFILE_PARTS, ".kml")
        ]
        if sum(m.file_size for m in wanted) > limit:
            raise _too_large(limit)
        unpacked = work / "unpacked"
        unpacked.mkdir()
        budget = limit
        for m in wanted:
            budget = _extract(zf, m, unpacked, budget, limit)
    return _dataset_in(unpacked)


def _check_names(members: list[zipfile.ZipInfo]) -> None:
    for i, m in enumerate(members):
        name = m.filename.replace("\\", "/")
        parts = name.split("/")
        if name.startswith("/") or ".." in parts or re.match(r"^[A-Za-z]:", name):
            raise refuse(
                422, "zip-path-escape", f"member {i} leaves the archive's folder", f"/members/{i}"
            )
        if stat.S_ISLNK(m.external_attr >> 16):
            raise refuse(422, "zip-link", f"member {i} is a symbolic link", f"/members/{i}")


def _extract(zf: zipfile.ZipFile, m: zipfile.ZipInfo, folder: Path, budget: int, limit: int) -> int:
    """Write one member under its base name, counting the inflated bytes against ``budget``."""
    target = folder / Path(m.filename.replace("\\", "/")).name.lower()
    if target.exists():
        raise refuse(422, "zip-duplicate", f"two members are named {target.name!r}")
    with zf.open(m) as src, target.open("wb") as out:
        while chunk := src.read(1 << 20):
            budget -= len(chunk)
            if budget < 0:
                raise _too_large(limit)
            out.write(chunk)
    return budget


def _too_large(limit: int) -> HTTPProblem:
    return refuse(413, "zip-too-large", f"the archive inflates past {limit} bytes")


def _dataset_in(folder: Path) -> tuple[Path, str]:
    shps = sorted(folder.glob("*.shp"))
    kmls = sorted(folder.glob("*.kml"))
    if len(shps) > 1:
        raise refuse(422, "several-layers", f"the zip holds {len(shps)} shapefiles; send one")
    if shps:
        shp = shps[0]
        for part in (".shx", ".dbf"):
            if not shp.with_suffix(part).exists():
                raise refuse(422, "shapefile-incomplete", f"the shapefile has no {part} file")
        return shp, "shp"
    if kmls:
        doc = folder / "doc.kml"
        return (doc if doc.exists() else kmls[0]), "kml"
    raise refuse(422, "no-dataset", "the zip holds no .shp (with .shx, .dbf) and no .kml")


def _check_kml(path: Path) -> None:
    text = path.read_bytes().lower()
    if b"<networklink" in text:
        raise refuse(422, "kml-network-link", "a KML NetworkLink fetches other files; not accepted")
    if b"<!doctype" in text or b"<!entity" in text:
        raise refuse(422, "kml-doctype", "a KML with a DOCTYPE or entities is not accepted")


def _run_reader(
    path: Path,
    fmt: str,
    settings: Settings,
    *,
    geometry: Geometry,
    layer: str | None,
    crs: str | None,
) -> GisTable:
    out = run_reader(path, fmt, settings, geometry=geometry, layer=layer, crs=crs)
    return _table(fmt, out)


def _table(fmt: str, out: dict[str, Any]) -> GisTable:
    table = GisTable(fmt, out.get("crs"))
    for i, f in enumerate(out["features"]):
        geom = None if f["wkb"] is None else shapely.from_wkb(f["wkb"])
        raw = None if geom is None else shapely.geometry.mapping(geom)
        table.features.append(GisFeature(f"/features/{i}", raw, f["properties"]))
    return table


def read_wkt_csv(body: IO[bytes], settings: Settings) -> GisTable:
    """Features of a CSV whose ``wkt`` (or ``geometry``) column holds WKT in WGS84."""
    text = io.TextIOWrapper(body, encoding="utf-8-sig", newline="")
    try:
        reader = csv.DictReader(text)
        header = [h.strip() for h in reader.fieldnames or []]
        column = next((h for h in header if h.lower() in ("wkt", "geometry", "geom")), None)
        if column is None:
            raise refuse(
                422, "no-wkt-column", "the CSV needs a wkt (or geometry) column", "/rows/0"
            )
        table = GisTable("csv", "OGC:CRS84")
        for n, row in enumerate(reader, start=1):
            if n > settings.max_import_features:
                raise refuse(
                    413, "too-many-features", f"more than {settings.max_import_features} rows"
                )
            table.features.append(_wkt_feature(n, row, column))
        return _typed_columns(table)
    except UnicodeDecodeError as exc:
        raise refuse(422, "bad-encoding", "the CSV is not UTF-8") from exc
    finally:
        text.detach()


def _wkt_feature(n: int, row: dict[str, Any], column: str) -> GisFeature:
    props = {k.strip(): v for k, v in row.items() if k is not None and k.strip() != column}
    raw = (row.get(column) or "").strip()
    try:
        geom: object = shapely.geometry.mapping(shapely.from_wkt(raw)) if raw else None
    except shapely.errors.ShapelyError:
        return GisFeature(f"/rows/{n}", None, props, "the WKT cannot be parsed")
    return GisFeature(f"/rows/{n}", geom, props)


def _typed_columns(table: GisTable) -> GisTable:
    """Numbers back from text, a column at a time (like GDAL's CSV ``AUTODETECT_TYPE``).

    A column whose every non-empty cell is a number written the way the CSV
    export writes one (``str`` of a Python int or float: ``5``, ``-1.5``,
    ``1e+20``) holds numbers; any other column keeps text, so ``01234`` or
    ``1.50`` stay as typed. Empty cells are no value.

    >>> t = GisTable("csv", None, [GisFeature("/rows/1", None, {"a": "5", "b": "01", "c": ""}),
    ...                            GisFeature("/rows/2", None, {"a": "1.5", "b": "2", "c": ""})])
    >>> [f.properties for f in _typed_columns(t).features]
    [{'a': 5, 'b': '01', 'c': None}, {'a': 1.5, 'b': '2', 'c': None}]
    """
    rows = [f.properties for f in table.features]
    columns = dict.fromkeys(k for row in rows for k in row)
    numeric = {
        k for k in columns if all(_number(row.get(k)) is not None for row in rows if row.get(k))
    }
    for row in rows:
        for key, value in row.items():
            if not value:
                row[key] = None
            elif key in numeric:
                row[key] = _number(value)
    return table


def _number(cell: object) -> int | float | None:
    if not isinstance(cell, str):
        return None
    try:
        whole = int(cell)
        return whole if str(whole) == cell else None
    except ValueError:
        pass
    try:
        real = float(cell)
    except ValueError:
        return None
    return real if math.isfinite(real) and repr(real) == cell else None


def geojson_table(payload: bytes) -> GisTable:
    """The Features of a GeoJSON FeatureCollection, geometry as sent (for the gate)."""
    try:
        doc = parse_json(payload)
    except (InvalidJSONError, ValueError) as exc:
        raise refuse(422, "bad-json", "the body is not valid JSON") from exc
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise refuse(422, "wrong-type", "expected a GeoJSON FeatureCollection", "/type")
    items = doc.get("features")
    if not isinstance(items, list):
        raise refuse(422, "wrong-type", "features must be an array", "/features")
    table = GisTable("geojson", "OGC:CRS84")
    for i, f in enumerate(items):
        pointer = f"/features/{i}"
        if not isinstance(f, dict) or f.get("type") != "Feature":
            table.features.append(GisFeature(pointer, None, {}, "expected a GeoJSON Feature"))
            continue
        props = f.get("properties")
        props = props if isinstance(props, dict) else {}
        table.features.append(GisFeature(pointer, f.get("geometry"), props))
    return table
