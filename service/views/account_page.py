"""A page of accounts as Features, straight from the rows the store read.

``GET /accounts`` is the mixed load's costliest read. Building a stored
account from each row (four frozen dataclasses, one of them of 18 fields)
and then reading every field back into a Feature was a third of a page:
2.1 ms against 1.4 ms for the whole page read and encoded (in-process,
100,000 accounts, 101 rows). The Features here are the same dictionaries as
:func:`service.views.serialize.account_feature` makes, key for key and in
the same order (a test holds the two equal); the distance and the flags come
from the same helpers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from geo.model import Rep
from service.storage.account_rows import READ_COLUMNS
from service.storage.backends import json_loads
from service.views.accounts import flag_names, legs_km

# Each column's place in a row: by name, so that a column added to the read
# or moved in it cannot shift a field here unseen.
_AT = {name: i for i, name in enumerate(READ_COLUMNS)}
_ID, _LON, _LAT, _REP = _AT["id"], _AT["lon"], _AT["lat"], _AT["rep_id"]


def row_id(row: Sequence[Any]) -> str:
    """The account id of a row (its paging key)."""
    return str(row[_ID])


def rep_ids_of(rows: Sequence[Sequence[Any]]) -> set[int]:
    """The ids of the reps who own ``rows``."""
    return {r[_REP] for r in rows if r[_REP] is not None}


def page_features(
    rows: Sequence[Sequence[Any]], reps: Mapping[int, Rep], default_max_km: float
) -> list[dict[str, Any]]:
    """GeoJSON Features for rows in ``account_rows.READ_COLUMNS`` order, their JSON
    columns as text (``find_account_rows(json_as_text=True)``)."""
    owners = [reps.get(r[_REP]) if r[_REP] is not None else None for r in rows]
    distances = legs_km(
        [
            (rep, None if r[_LON] is None else (r[_LON], r[_LAT]))
            for r, rep in zip(rows, owners, strict=True)
        ]
    )
    return [
        _feature(row, rep, km, default_max_km)
        for row, rep, km in zip(rows, owners, distances, strict=True)
    ]


def _feature(
    row: Sequence[Any], rep: Rep | None, km: float | None, default_max_km: float
) -> dict[str, Any]:
    at = _AT
    remote = bool(row[at["remote"]])
    geocode = _geocode_decoded(row[at["geocode"]])
    assignment, lon = row[at["assignment"]], row[_LON]
    props = {
        "name": row[at["name"]],
        "address": row[at["address"]],
        "postal_code": row[at["postal_code"]],
        "city": row[at["city"]],
        "region": row[at["region"]],
        "country": row[at["country"]],
        "industry": row[at["industry"]],
        "products": _decoded(row[at["products"]]) or [],
        "annual_revenue": row[at["annual_revenue"]],
        "cost_to_serve": row[at["cost_to_serve"]],
        "stage": row[at["stage"]],
        "visits_per_month": row[at["visits_per_month"]],
        "visit_minutes": row[at["visit_minutes"]],
        "remote": remote,
        "owner_rep_id": row[at["owner_rep_id"]],
        "territory_id": row[at["territory_id"]],
        "rep_id": row[_REP],
        "assignment": assignment,
        "candidates": _decoded(row[at["candidates"]]) or [],
        "distance_km": None if km is None else round(km, 3),
        "geocode": None
        if geocode is None
        else {
            "status": geocode["status"],
            "precision": geocode["precision"],
            "source": geocode["source"],
            "note": geocode.get("note"),
        },
        "flags": flag_names(assignment, remote, rep, km, default_max_km),
        "version": int(row[at["version"]]),
    }
    geometry = None if lon is None else {"type": "Point", "coordinates": [lon, row[_LAT]]}
    return {"type": "Feature", "id": row[_ID], "geometry": geometry, "properties": props}


def _decoded(text: str | None) -> Any:
    """A JSON column read as text (``json_as_text``), decoded as the driver would have."""
    return None if text is None else json_loads(text)


def _geocode_decoded(text: str | None) -> Any:
    """A geocode read as text, for its strings only (status, precision, source, note).

    ``json_loads`` first searches the text for a number orjson would read
    with a loss; on a stored geocode that search was three times the parse
    (1.5 of 2.0 us, 100 a page). A page reads none of the geocode's numbers
    (its location is the row's lon and lat), so orjson's answer serves as is.
    """
    if text is None:
        return None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # NaN, which json.dumps writes: as the driver would
        return json_loads(text)
