"""JSON columns decode with orjson, and still read what only ``json`` reads."""

from __future__ import annotations

import math

import shapely
from sqlalchemy import text

from service.storage import Store
from service.storage.backends import json_loads
from service.storage.territory_rows import TerritoryDraft


def test_orjson_path_and_the_values_it_refuses() -> None:
    assert json_loads('{"a": [1, 2.5, null], "b": "x"}') == {"a": [1, 2.5, None], "b": "x"}
    assert json_loads(b"[true]") == [True]
    # Written by ``json.dumps`` (the default serializer) but refused by orjson:
    assert math.isnan(json_loads('{"x": NaN}')["x"])
    assert json_loads("[123456789012345678901234567890]") == [123456789012345678901234567890]


def test_stored_values_orjson_refuses_still_read_on_each_backend(database_url: str) -> None:
    store = Store.open(database_url)
    pg = store.backend.name == "postgis"
    # PostgreSQL's json type refuses NaN itself; SQLite stores what json.dumps wrote.
    stored = '{"big": 123456789012345678901234567890' + ("}" if pg else ', "odd": NaN}')
    try:
        with store.write() as tx:
            made = tx.insert_territory(
                TerritoryDraft("T", shapely.MultiPolygon([shapely.box(0, 0, 1, 1)])), actor="t"
            )
            tx.conn.execute(
                text("UPDATE territories SET attributes = CAST(:a AS json) WHERE id = :i")
                if pg
                else text("UPDATE territories SET attributes = :a WHERE id = :i"),
                {"a": stored, "i": made.id},
            )
        with store.read() as tx:
            got = tx.get_territory(made.id)
        assert got.attributes["big"] == 123456789012345678901234567890
        assert pg or math.isnan(got.attributes["odd"])
    finally:
        store.dispose()
