"""The GIS reader's sandbox: :mod:`service.web.gis_reader` in a subprocess.

The subprocess can open only the one OGR driver the format needs
(``GDAL_SKIP`` names all the others), is stopped after
``import_read_seconds`` and may map at most ``import_read_memory_bytes``
(RLIMIT_AS, set by the reader itself): a small file that makes GDAL
allocate a lot stops the reader, never the server.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Final, Literal

from geo.errors import Issue
from service.settings import Settings
from service.web.problems import HTTPProblem

DRIVERS: Final = {"gpkg": "GPKG", "shp": "ESRI Shapefile", "kml": "LIBKML", "fgb": "FlatGeobuf"}


def refuse(status: int, code: str, detail: str, pointer: str = "/") -> HTTPProblem:
    """The problem for an upload we do not read."""
    title = "Upload too large" if status == 413 else "File refused"
    return HTTPProblem(status, code, title, detail, errors=[Issue(pointer, detail, code=code)])


def run_reader(
    path: Path,
    fmt: str,
    settings: Settings,
    *,
    geometry: Literal["polygon", "point"],
    layer: str | None,
    crs: str | None,
) -> dict[str, Any]:
    """What :mod:`service.web.gis_reader` read from ``path`` (the service's own file)."""
    request = {
        "path": str(path),
        "format": fmt,
        "driver": DRIVERS.get(fmt),
        "geometry": geometry,
        "layer": layer,
        "crs": crs,
        "max_features": settings.max_import_features,
        "max_bytes": settings.max_import_unzipped_bytes,
        "max_memory_bytes": settings.import_read_memory_bytes,
    }
    try:
        done = subprocess.run(
            [sys.executable, "-m", "service.web.gis_reader", json.dumps(request)],
            capture_output=True,
            timeout=settings.import_read_seconds,
            env=_reader_env(DRIVERS.get(fmt)),
            cwd=path.parent,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        detail = f"reading the file took longer than {settings.import_read_seconds:g} s; stopped"
        raise refuse(422, "read-timeout", detail) from exc
    try:
        out: dict[str, Any] = json.loads(done.stdout)
    except ValueError as exc:
        raise _stopped(fmt, done.returncode, settings) from exc
    if "refused" in out:
        r = out["refused"]
        raise refuse(int(r["status"]), str(r["code"]), str(r["detail"]))
    return out


def _stopped(fmt: str, returncode: int, settings: Settings) -> HTTPProblem:
    """The refusal when the reader died without an answer.

    GDAL (through pyogrio) may crash instead of raising when an allocation
    fails under the memory limit, as it may on a malformed file: either way
    the file is not read, and only the reader died.
    """
    how = f"signal {-returncode}" if returncode < 0 else f"exit {returncode}"
    detail = (
        f"the file cannot be read as {fmt}: the reader stopped ({how}); a file that needs "
        f"more than {settings.import_read_memory_bytes} bytes of memory to read stops it"
    )
    return refuse(422, "reader-stopped", detail)


def _reader_env(driver: str | None) -> dict[str, str]:
    import pyogrio

    env = {k: v for k, v in os.environ.items() if not k.startswith(("GDAL_", "OGR_", "CPL_"))}
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    # Comma-separated, as some driver names hold a space; VRT (raster), OGR_VRT and
    # GDALG are named even if a GDAL build lists them under other names.
    skip = ({*pyogrio.list_drivers(), "VRT", "OGR_VRT", "GDALG"}) - {driver}
    env["GDAL_SKIP"] = ",".join(sorted(skip))
    env["GDAL_DISABLE_READDIR_ON_OPEN"] = "EMPTY_DIR"
    env["CPL_VSIL_CURL_ALLOWED_EXTENSIONS"] = "none"
    env["GDAL_HTTP_MAX_RETRY"] = "0"
    env["SHAPE_RESTORE_SHX"] = "NO"
    env["LIBKML_RESOLVE_STYLE"] = "NO"  # never fetch a style from a URL
    env["LIBKML_EXTERNAL_STYLE"] = "NO"
    return env
