"""The reader of uploaded GIS files, run in a subprocess by :mod:`service.web.gisfiles`.

``python -m service.web.gis_reader <request JSON>`` reads one file the
service wrote to its own temporary folder and prints one JSON object: the
features (WKB in hex, reprojected to WGS84) with their properties, or a
refusal (``{"refused": {...}}``). The parent starts it with ``GDAL_SKIP``
naming every OGR driver but the one the file's bytes call for, stops it
after a time limit (a self-recursive GeoPackage view hangs GDAL), and
never passes it a path a client chose.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import sys
from typing import Any

POLYGONAL = ("polygon", "multipolygon")
# Fields LIBKML adds for KML's own elements: not the data's attributes.
KML_OWN_FIELDS = frozenset(
    {
        "description",
        "timestamp",
        "begin",
        "end",
        "altitudeMode",
        "tessellate",
        "extrude",
        "visibility",
        "drawOrder",
        "icon",
        "snippet",
    }
)
POINTS = ("point", "multipoint")
_PLAIN_INTEGER = re.compile(r"-?(0|[1-9][0-9]*)")


class Refused(Exception):
    """The file is not one we read; ``code`` and ``detail`` go into the problem."""

    def __init__(self, code: str, detail: str, status: int = 422) -> None:
        super().__init__(detail)
        self.code, self.detail, self.status = code, detail, status


def read(request: dict[str, Any]) -> dict[str, Any]:
    """Read the file ``request`` names; see the module docstring."""
    if request["format"] == "parquet":
        return _read_parquet(request)
    return _read_ogr(request)


def _read_ogr(request: dict[str, Any]) -> dict[str, Any]:
    import pyogrio
    from pyogrio import raw

    path, driver = request["path"], request["driver"]
    layer = _pick_layer(pyogrio.list_layers(path), request.get("layer"), request["geometry"])
    info = pyogrio.read_info(path, layer=layer)
    if info["driver"] != driver:  # GDAL_SKIP should make this impossible; check anyway
        raise Refused("driver-refused", f"the file opened as {info['driver']}, not {driver}")
    _check_count(int(info["features"]), request["max_features"])
    meta, _, wkb, fields = raw.read(path, layer=layer, datetime_as_string=True)
    _check_memory(wkb)
    names = list(meta["fields"])
    own = KML_OWN_FIELDS if request["format"] == "kml" else frozenset()
    # pyogrio reads an integer field with nulls as floats: whole again here.
    whole = {n for n, t in zip(info["fields"], info["ogr_types"], strict=True) if "Integer" in t}
    rows = [
        {
            name: _plain(col[i], whole=name in whole)
            for name, col in zip(names, fields, strict=True)
            if name not in own
        }
        for i in range(len(wkb))
    ]
    if request["format"] == "kml":
        texts = {
            n for n, t in zip(info["fields"], info["ogr_types"], strict=True) if t == "OFTString"
        }
        _wide_whole_numbers(rows, texts - own)
    return _answer(list(wkb), rows, meta.get("crs"), request)


def _wide_whole_numbers(rows: list[dict[str, Any]], text_fields: set[str]) -> None:
    """Give back the integers past 32 bits that a KML carries as text, in place.

    KML's Schema types stop at 32-bit ``int`` (no 64-bit type), so GDAL's
    LIBKML writer, ours included, types an Integer64 column ``string``. A
    text column is read back as whole numbers only when it has exactly that
    signature: every cell an integer written plainly (``-12``, not ``+12``,
    ``012`` or ``1.0``) and at least one past 32 bits, which an ``int``
    field could not have held. ZIP codes and other short digit strings stay
    text.
    """
    for name in text_fields:
        cells = [row[name] for row in rows if row.get(name) is not None]
        if not cells or not all(isinstance(c, str) and _PLAIN_INTEGER.fullmatch(c) for c in cells):
            continue
        if all(-(2**31) <= int(c) < 2**31 for c in cells):
            continue
        for row in rows:
            if row.get(name) is not None:
                row[name] = int(row[name])


def _check_memory(wkb: Any) -> None:
    # When an allocation fails under the memory limit, GDAL's Shapefile driver
    # gives the feature a null geometry and records the error without
    # returning an error code; pyogrio's handler keeps quiet about such
    # failures, so GDAL's last error is asked directly.
    if any(g is None for g in wkb) and "memory" in _gdal_last_failure().lower():
        raise MemoryError


def _gdal_last_failure() -> str:
    """GDAL's last error message if it was a failure (CE_Failure or worse), else ''."""
    import ctypes

    # Hand-written: pyogrio exposes no call for this. The libgdal this process
    # loaded (a wheel's bundled copy or the system's) is found in the maps.
    with open("/proc/self/maps", encoding="utf-8") as maps:
        paths = {line.split()[-1] for line in maps if "/libgdal" in line}
    if not paths:
        return ""
    lib = ctypes.CDLL(sorted(paths)[0])
    lib.CPLGetLastErrorMsg.restype = ctypes.c_char_p
    if lib.CPLGetLastErrorType() < 3:  # CE_Failure
        return ""
    return bytes(lib.CPLGetLastErrorMsg() or b"").decode("utf-8", "replace")


def _pick_layer(layers: Any, wanted: str | None, geometry: str) -> str:
    names = [str(name) for name, _ in layers]
    kinds = {str(name): str(kind or "") for name, kind in layers}
    if wanted is not None:
        if wanted not in names:
            raise Refused("no-such-layer", f"the file has no layer {wanted!r}; it has {names}")
        names = [wanted]
    if not names:
        raise Refused("no-layer", "the file holds no layer")
    if len(names) > 1:
        raise Refused(
            "several-layers", f"the file holds {len(names)} layers {names}; name one with ?layer="
        )
    kind = kinds[names[0]].lower().removesuffix(" z").removesuffix(" m").strip()
    wanted_kinds = POLYGONAL if geometry == "polygon" else POINTS
    if kind and kind not in wanted_kinds and kind not in ("unknown", "geometry"):
        raise Refused(
            "wrong-geometry-type",
            f"layer {names[0]!r} holds {kinds[names[0]]} geometries; a {geometry} layer is needed",
        )
    return names[0]


def _check_count(count: int, limit: int) -> None:
    if count > limit:
        raise Refused(
            "too-many-features", f"the file holds {count} features; at most {limit} are read", 413
        )


def _read_parquet(request: dict[str, Any]) -> dict[str, Any]:
    import pyarrow.parquet as pq

    handle = pq.ParquetFile(request["path"])
    _check_count(handle.metadata.num_rows, request["max_features"])
    meta = handle.metadata
    inflated = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    if inflated > request["max_bytes"]:  # a Parquet file is compressed: a bomb, like a zip
        raise Refused(
            "parquet-too-large", f"the data inflates past {request['max_bytes']} bytes", 413
        )
    geo = json.loads((handle.schema_arrow.metadata or {}).get(b"geo", b"null") or "null")
    if not isinstance(geo, dict) or "primary_column" not in geo:
        raise Refused("not-geoparquet", "the Parquet file has no GeoParquet 'geo' metadata")
    column = str(geo["primary_column"])
    spec = geo.get("columns", {}).get(column, {})
    if spec.get("encoding", "WKB").upper() != "WKB":
        raise Refused("not-geoparquet", f"geometry encoding {spec.get('encoding')!r} is not WKB")
    table = handle.read().to_pylist()
    wkb = [row.pop(column) for row in table]
    crs = spec.get("crs", "OGC:CRS84")  # GeoParquet: absent means OGC:CRS84
    rows = [{k: _plain(v) for k, v in row.items()} for row in table]
    return _answer(wkb, rows, json.dumps(crs) if isinstance(crs, dict) else crs, request)


def _answer(
    wkb: list[Any], rows: list[dict[str, Any]], crs: str | None, request: dict[str, Any]
) -> dict[str, Any]:
    import numpy as np
    import pyproj
    import shapely

    geoms = shapely.from_wkb(np.array(wkb, dtype=object), on_invalid="ignore")
    source = crs or request.get("crs")
    if source is not None:
        src = pyproj.CRS.from_user_input(source)
        if not src.equals(pyproj.CRS("OGC:CRS84"), ignore_axis_order=True):
            to_wgs84 = pyproj.Transformer.from_crs(src, "OGC:CRS84", always_xy=True)
            geoms = shapely.transform(
                geoms, lambda x, y: to_wgs84.transform(x, y), interleaved=False
            )
        source = src.to_string()
    hexes = [None if g is None else shapely.to_wkb(g, hex=True) for g in geoms]
    features = [{"wkb": h, "properties": p} for h, p in zip(hexes, rows, strict=True)]
    return {"crs": source, "features": features}


def _plain(value: Any, *, whole: bool = False) -> Any:
    """A JSON value for one field: numpy scalars unwrapped, NaN as null, dates as text.

    ``whole``: the field is an integer field, so a float is a whole number.
    """
    if hasattr(value, "item") and not isinstance(value, (bytes, str)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if whole and isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, bytes):
        return None
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def limit_memory(max_bytes: int) -> None:
    """Cap this process's address space (RLIMIT_AS) before any library is loaded.

    Past the cap an allocation fails: Python raises MemoryError and GDAL
    reports "out of memory", both answered as a 413 refusal by :func:`main`.
    """
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    wanted = max_bytes if hard == resource.RLIM_INFINITY else min(max_bytes, hard)
    resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))


def _failure(exc: Exception, request: dict[str, Any]) -> dict[str, Any]:
    """The refusal for an error while reading: out of memory (413) or unreadable (422)."""
    text = str(exc).lower()
    # GDAL's failed allocations surface as its own errors, not as MemoryError.
    if isinstance(exc, MemoryError) or "out of memory" in text or "cannot allocate" in text:
        limit = request["max_memory_bytes"]
        detail = f"reading the file needs more than the reader's {limit} bytes of memory"
        return {"code": "read-memory", "detail": detail, "status": 413}
    detail = f"the file cannot be read as {request['format']}: {type(exc).__name__}"
    return {"code": "unreadable-file", "detail": detail, "status": 422}


def main(argv: list[str]) -> int:
    """Read the file the request JSON (argv[1]) names; print the answer as JSON."""
    request = json.loads(argv[1])
    limit_memory(int(request["max_memory_bytes"]))
    try:
        # Encoded here, so that running out of memory while writing the
        # answer is refused like running out while reading.
        answer = json.dumps(read(request)).encode()
    except Refused as exc:
        refused = {"code": exc.code, "detail": exc.detail, "status": exc.status}
        answer = json.dumps({"refused": refused}).encode()
    except Exception as exc:  # noqa: BLE001 - GDAL's errors and MemoryError: say which
        answer = json.dumps({"refused": _failure(exc, request)}).encode()
    sys.stdout.buffer.write(answer)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
