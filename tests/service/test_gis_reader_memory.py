"""The GIS reader's memory limit: a small file that makes GDAL allocate a lot stops only the reader.

Half a megabyte of zipped Shapefile holds one polygon of 12 million vertices
(192 MB inflated, under the unzip cap): reading it costs the reader about
1.7 GB without a limit. With ``import_read_memory_bytes`` the reader is
stopped at the limit, the answer is a problem, nothing is stored and the
server goes on importing.
"""

from __future__ import annotations

import io
import resource
import struct
import zipfile
from pathlib import Path

import geopandas as gpd
import shapely

from service.app import create_app
from tests.conftest import ADMIN_TOKEN, ApiClient, make_settings

ZIP = "application/zip"
LIMIT = 1 << 30  # the reader's own libraries map about 0.5 GB of it


def _shp_header(file_bytes: int) -> bytes:
    # ESRI Shapefile Technical Description (1998): big-endian code and length
    # in 16-bit words, then little-endian version, shape type 5 (polygon), bbox.
    return struct.pack(">7i", 9994, 0, 0, 0, 0, 0, file_bytes // 2) + struct.pack(
        "<2i8d", 1000, 5, 0, 0, 1, 1, 0, 0, 0, 0
    )


def huge_polygon_shapefile(vertices: int) -> bytes:
    """A zipped Shapefile of one polygon ring of ``vertices`` points, streamed into the zip.

    The ring walks a unit square's corners over and over, so Deflate shrinks
    its 16 bytes a vertex about 400 times; the test never holds it inflated.
    """
    corners = struct.pack("<8d", 0, 0, 1, 0, 1, 1, 0, 1)
    laps = (vertices - 1) // 4
    count = laps * 4 + 1  # closed: back at the first corner
    record = struct.pack("<i4dii", 5, 0, 0, 1, 1, 1, count) + struct.pack("<i", 0)
    content = len(record) + 16 * count
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("big.shp", "w", force_zip64=True) as shp:
            shp.write(_shp_header(100 + 8 + content) + struct.pack(">2i", 1, content // 2))
            shp.write(record)
            for start in range(0, laps, 65536):
                shp.write(corners * min(65536, laps - start))
            shp.write(struct.pack("<2d", 0, 0))
        zf.writestr("big.shx", _shp_header(108) + struct.pack(">2i", 50, content // 2))
        field = struct.pack("<11sc4xBB14x", b"name", b"C", 1, 0)
        header = struct.pack("<BBBBIHH20x", 3, 126, 1, 1, 1, 32 + 32 + 1, 2)
        zf.writestr("big.dbf", header + field + b"\r" + b" a" + b"\x1a")
    return out.getvalue()


def test_a_file_that_makes_the_reader_allocate_a_lot_stops_only_the_reader(
    sqlite_url: str, tmp_path: Path
) -> None:
    settings = make_settings(
        sqlite_url, import_read_memory_bytes=LIMIT, max_import_unzipped_bytes=256 << 20
    )
    body = huge_polygon_shapefile(12_000_000)
    assert len(body) < 1 << 20
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with ApiClient(create_app(settings), headers=headers) as client:
        r = client.post("/territories/import", content=body, headers={"Content-Type": ZIP})
        assert r.status_code in (413, 422), r.text
        codes = {e["code"] for e in r.json()["errors"]}
        # GDAL either fails the allocation (413) or crashes under the limit (422).
        assert codes & {"read-memory", "reader-stopped"}, r.text
        assert r.headers["content-type"] == "application/problem+json"
        # The reader (a waited-for child of this process) never grew past its limit.
        peak_bytes = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        assert peak_bytes <= LIMIT, peak_bytes
        assert client.get("/territories").json()["features"] == []
        # The server is fine: the next file imports.
        small = tmp_path / "ok.fgb"
        gpd.GeoDataFrame(
            {"name": ["ok"]}, geometry=[shapely.box(0, 0, 1, 1)], crs="EPSG:4326"
        ).to_file(small, driver="FlatGeobuf")
        ok = client.post(
            "/territories/import",
            content=small.read_bytes(),
            headers={"Content-Type": "application/flatgeobuf"},
        )
        assert ok.status_code == 200, ok.text
        assert [f["properties"]["name"] for f in client.get("/territories").json()["features"]] == [
            "ok"
        ]
