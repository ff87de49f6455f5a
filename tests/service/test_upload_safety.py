"""Hostile GIS files: each refused with a problem that says why, nothing stored (issue 17).

File names and media types prove nothing; these are the attacks measured
against GDAL: a VRT (renamed or zipped) that reads /etc/passwd, a GeoPackage
view that never ends, zips that escape or explode, a KML that fetches more.
"""

from __future__ import annotations

import io
import sqlite3
import struct
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
import shapely

from service.app import create_app
from service.settings import Settings
from service.web import gisfiles
from service.web.problems import HTTPProblem
from tests.conftest import ADMIN_TOKEN, ApiClient, make_settings

VRT = (
    b'<OGRVRTDataSource><OGRVRTLayer name="passwd">'
    b"<SrcDataSource>CSV:/etc/passwd</SrcDataSource>"
    b"</OGRVRTLayer></OGRVRTDataSource>"
)
KML_LINK = (
    b'<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
    b"<NetworkLink><Link><href>http://169.254.169.254/latest</href></Link></NetworkLink>"
    b"</Document></kml>"
)
KML_XXE = (
    b'<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b'<kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><name>&x;</name></Placemark></kml>'
)
GPKG = "application/geopackage+sqlite3"
KML = "application/vnd.google-earth.kml+xml"
ZIP = "application/zip"


@pytest.fixture
def client(sqlite_url: str) -> Iterator[ApiClient]:
    settings = make_settings(
        sqlite_url,
        import_read_seconds=10.0,
        max_import_unzipped_bytes=50 * 1024 * 1024,
        max_import_features=1000,
    )
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with ApiClient(create_app(settings), headers=headers) as c:
        yield c


def zipped(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


def zip_bomb(inflated: int = 1 << 30) -> bytes:
    """One member of ``inflated`` zero bytes (1 GB), about 1 MB zipped, built in a second.

    Deflate blocks ended by a full flush are independent, so one compressed
    16 MB block repeated decodes to the whole; the headers are written by hand.
    """
    chunk = 16 << 20
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = comp.compress(bytes(chunk)) + comp.flush(zlib.Z_FULL_FLUSH)
    data = block * (inflated // chunk) + comp.flush()
    crc = 0
    zeros = bytes(chunk)
    for _ in range(inflated // chunk):
        crc = zlib.crc32(zeros, crc)
    name = b"bomb.shp"
    local = struct.pack(
        "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(data), inflated, len(name), 0
    )
    central = (
        struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            20,
            20,
            0,
            8,
            0,
            0,
            crc,
            len(data),
            inflated,
            len(name),
            0,
            0,
            0,
            0,
            0,
            0,
        )
        + name
    )
    offset = len(local) + len(name) + len(data)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), offset, 0)
    return local + name + data + central + end


def shapefile_parts(tmp_path: Path, geometry: Any = None) -> dict[str, bytes]:
    folder = tmp_path / "shp"
    folder.mkdir(exist_ok=True)
    gdf = gpd.GeoDataFrame(
        {"name": ["a"]}, geometry=[geometry or shapely.box(0, 0, 1, 1)], crs="EPSG:4326"
    )
    gdf.to_file(folder / "t.shp", driver="ESRI Shapefile")
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def looping_geopackage(tmp_path: Path) -> bytes:
    """A GeoPackage whose one layer is a view over an endless recursive query: GDAL hangs on it."""
    path = tmp_path / "loop.gpkg"
    gdf = gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.box(0, 0, 1, 1)], crs="EPSG:4326")
    gdf.to_file(path, driver="GPKG", layer="real")
    con = sqlite3.connect(path)
    con.executescript(
        """
        DROP TABLE real; DELETE FROM gpkg_contents; DELETE FROM gpkg_geometry_columns;
        CREATE VIEW loop AS WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r)
          SELECT i AS fid, 'x' AS name, NULL AS geom FROM r;
        INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id)
          VALUES ('loop', 'features', 'loop', 4326);
        INSERT INTO gpkg_geometry_columns VALUES ('loop', 'geom', 'POLYGON', 4326, 0, 0);
        """
    )
    con.commit()
    con.close()
    return path.read_bytes()


def point_geopackage(tmp_path: Path) -> bytes:
    path = tmp_path / "points.gpkg"
    gdf = gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.Point(0, 0)], crs="EPSG:4326")
    gdf.to_file(path, driver="GPKG")
    return path.read_bytes()


def symlink_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        info = zipfile.ZipInfo("t.shp")
        info.external_attr = 0o120777 << 16
        zf.writestr(info, "/etc/passwd")
    return out.getvalue()


def catalogue(tmp_path: Path) -> list[tuple[str, bytes, str, int, str]]:
    """(case, body, media type, status, problem code)."""
    shp = shapefile_parts(tmp_path)
    no_shx = {k: v for k, v in shp.items() if not k.endswith(".shx")}
    return [
        ("vrt as octet-stream", VRT, "application/octet-stream", 422, "vrt-refused"),
        ("vrt renamed .gpkg", VRT, GPKG, 422, "vrt-refused"),
        ("vrt renamed .kml", VRT, KML, 422, "vrt-refused"),
        ("vrt renamed .shp (zip type)", VRT, ZIP, 422, "vrt-refused"),
        ("vrt renamed .geojson", VRT, "application/geo+json", 422, "bad-json"),
        (
            "vrt zipped as .shp",
            zipped({"t.shp": VRT, "t.shx": VRT, "t.dbf": VRT}),
            ZIP,
            422,
            "unreadable-file",
        ),
        ("vrt zipped as .kml", zipped({"doc.kml": VRT}), ZIP, 422, "unreadable-file"),
        ("self-recursive gpkg view", looping_geopackage(tmp_path), GPKG, 422, "read-timeout"),
        ("zip with ../", zipped({"../../etc/x.shp": b"x"}), ZIP, 422, "zip-path-escape"),
        ("zip with absolute path", zipped({"/etc/x.shp": b"x"}), ZIP, 422, "zip-path-escape"),
        ("zip with a link", symlink_zip(), ZIP, 422, "zip-link"),
        ("zip bomb, 1 GB inflated", zip_bomb(), ZIP, 413, "zip-too-large"),
        ("damaged zip", zipped({"t.shp": b"x"})[:40], ZIP, 422, "bad-zip"),
        ("kml with a network link", KML_LINK, KML, 422, "kml-network-link"),
        (
            "kmz with a network link",
            zipped({"doc.kml": KML_LINK}),
            "application/vnd.google-earth.kmz",
            422,
            "kml-network-link",
        ),
        ("kml with an external entity", KML_XXE, KML, 422, "kml-doctype"),
        ("shapefile without .shx", zipped(no_shx), ZIP, 422, "shapefile-incomplete"),
        ("geopackage of points", point_geopackage(tmp_path), GPKG, 422, "wrong-geometry-type"),
        ("gml", b"<gml:FeatureCollection/>", "application/octet-stream", 422, "unsupported-format"),
        ("not a geopackage", b"hello", GPKG, 422, "content-mismatch"),
        ("empty zip", zipped({}), ZIP, 422, "no-dataset"),
    ]


def test_every_hostile_file_is_refused_with_its_reason_and_nothing_stored(
    client: ApiClient, tmp_path: Path
) -> None:
    for case, body, media, status, code in catalogue(tmp_path):
        r = client.post("/territories/import", content=body, headers={"Content-Type": media})
        assert r.status_code == status, (case, r.text)
        assert r.headers["content-type"] == "application/problem+json", case
        problem = r.json()
        assert code in (
            problem["type"].rsplit("/", 1)[-1],
            *(e["code"] for e in problem["errors"]),
        ), (case, problem)
        assert "root:" not in r.text, case
    assert client.get("/territories").json()["features"] == []
    assert not list(Path(tmp_path.anchor, "tmp").glob("territory-upload-*")), "temp folders left"


def test_the_reader_cannot_open_a_vrt_even_when_told_it_is_a_shapefile(tmp_path: Path) -> None:
    # The second line of defence: were the sniffing wrong, GDAL_SKIP still leaves
    # the reader only the one driver the format needs.
    path = tmp_path / "evil.shp"
    path.write_bytes(VRT)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    with pytest.raises(HTTPProblem) as caught:
        gisfiles._run_reader(path, "shp", settings, geometry="polygon", layer=None, crs=None)
    assert caught.value.code == "unreadable-file"


@pytest.mark.parametrize("layer", ["/vsicurl/http://example.com/x", "../x", "a;b"])
def test_layer_names_are_never_paths(client: ApiClient, tmp_path: Path, layer: str) -> None:
    body = point_geopackage(tmp_path)
    r = client.post(
        "/territories/import", content=body, params={"layer": layer}, headers={"Content-Type": GPKG}
    )
    assert r.status_code in (400, 422) and r.headers["content-type"] == "application/problem+json"


def test_crs_must_be_an_epsg_code(client: ApiClient, tmp_path: Path) -> None:
    r = client.post(
        "/territories/import",
        content=b"x",
        params={"crs": "+init=/etc/passwd"},
        headers={"Content-Type": GPKG},
    )
    assert r.status_code == 422


def test_too_many_features_is_413(client: ApiClient, tmp_path: Path) -> None:
    client.app.state.settings.max_import_features = 1  # type: ignore[attr-defined]
    gdf = gpd.GeoDataFrame(
        {"name": ["a", "b"]},
        geometry=[shapely.box(0, 0, 1, 1), shapely.box(2, 2, 3, 3)],
        crs="EPSG:4326",
    )
    gdf.to_file(tmp_path / "two.fgb", driver="FlatGeobuf")
    r = client.post(
        "/territories/import",
        content=(tmp_path / "two.fgb").read_bytes(),
        headers={"Content-Type": "application/flatgeobuf"},
    )
    assert r.status_code == 413, r.text
    assert client.get("/territories").json()["features"] == []


def test_account_import_refuses_the_same_files(client: ApiClient, tmp_path: Path) -> None:
    for media, body in ((GPKG, VRT), (ZIP, zipped({"../x.shp": b"x"}))):
        r = client.post("/accounts/import", content=body, headers={"Content-Type": media})
        assert (
            400 <= r.status_code < 500 and r.headers["content-type"] == "application/problem+json"
        )
    polygons = shapefile_parts(tmp_path)
    r = client.post("/accounts/import", content=zipped(polygons), headers={"Content-Type": ZIP})
    assert r.status_code == 422 and "wrong-geometry-type" in r.text
    assert client.get("/accounts").json()["features"] == []


def test_a_parquet_file_that_inflates_past_the_limit_is_413(
    client: ApiClient, tmp_path: Path
) -> None:
    gdf = gpd.GeoDataFrame(
        {"name": ["a"], "filler": ["x" * (60 * 1024 * 1024)]},
        geometry=[shapely.box(0, 0, 1, 1)],
        crs="EPSG:4326",
    )
    gdf.to_parquet(tmp_path / "big.parquet", compression="zstd")
    body = (tmp_path / "big.parquet").read_bytes()
    assert len(body) < 1024 * 1024
    r = client.post(
        "/territories/import",
        content=body,
        headers={"Content-Type": "application/vnd.apache.parquet"},
    )
    assert r.status_code == 413 and "parquet-too-large" in r.text, r.text
    assert client.get("/territories").json()["features"] == []
