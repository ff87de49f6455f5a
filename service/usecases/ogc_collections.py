"""The OGC API Features collections: what each serves, its queryables, its features.

``territories``, ``accounts`` and ``reps`` are the live tables, read through
the same store as the rest of the API. Each collection lists its queryables
once here; ``/queryables``, the ``?prop=value`` parameters declared in the
OpenAPI document and the CQL2 filter all read this one list, so a name a
client may use is a name the server applies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from geo.model import STAGES
from service.settings import Settings
from service.storage import Tx
from service.storage.ogc_filter import Queryable
from service.views.accounts import account_features
from service.views.serialize import rep_public, territory_feature


@dataclass(frozen=True, slots=True)
class Collection:
    """One feature collection over one table."""

    id: str
    title: str
    description: str
    table: str
    geometry: str  # GeoJSON geometry type of every feature
    id_type: type  # int or str
    queryables: tuple[Queryable, ...]

    def queryable(self, name: str) -> Queryable | None:
        """The queryable called ``name``, if any."""
        return next((q for q in self.queryables if q.name == name), None)

    def by_name(self) -> dict[str, Queryable]:
        """Queryables by name."""
        return {q.name: q for q in self.queryables}


CODE_PATTERN = r"^[A-Za-z0-9._\-]+$"
# id, title, description, GeoJSON geometry type of every feature, id type; the
# table has the collection's name.
_COLLECTIONS: Final[tuple[tuple[str, str, str, str, type], ...]] = (
    (
        "territories",
        "Territories",
        "Sales territories (regions, districts and leaf territories) and their reps.",
        "MultiPolygon",
        int,
    ),
    (
        "accounts",
        "Accounts",
        "Customer and prospect accounts with the territory and rep that own them.",
        "Point",
        str,
    ),
    ("reps", "Reps", "Sales reps at their home bases, with reach and capacity.", "Point", int),
)
# collection, queryable (the column of the same name), JSON type, description,
# JSON Schema keywords; in the order /queryables lists them.
_QUERYABLES: Final[tuple[tuple[str, str, str, str, dict[str, Any]], ...]] = (
    ("territories", "name", "string", "Territory name.", {"maxLength": 200}),
    ("territories", "parent_id", "integer", "The parent territory's id.", {}),
    ("territories", "color", "string", "Map colour, #rrggbb.", {"pattern": r"^#[0-9a-fA-F]{6}$"}),
    ("territories", "version", "integer", "Version, 1 for a new territory.", {}),
    ("territories", "updated_by", "string", "Who wrote the current version.", {}),
    (
        "territories",
        "code",
        "string",
        "Short unique code.",
        {"maxLength": 100, "pattern": CODE_PATTERN},
    ),
    ("accounts", "name", "string", "Account name.", {}),
    ("accounts", "address", "string", "Street address.", {}),
    ("accounts", "postal_code", "string", "Postal code.", {}),
    ("accounts", "city", "string", "City.", {}),
    ("accounts", "region", "string", "State or province.", {}),
    ("accounts", "country", "string", "Country code.", {}),
    ("accounts", "industry", "string", "Industry.", {}),
    ("accounts", "annual_revenue", "number", "Annual revenue.", {}),
    ("accounts", "cost_to_serve", "number", "Yearly cost to serve.", {}),
    ("accounts", "stage", "string", "Sales stage.", {"enum": list(STAGES)}),
    ("accounts", "visits_per_month", "number", "Planned visits a month.", {}),
    ("accounts", "visit_minutes", "number", "Minutes per visit.", {}),
    ("accounts", "remote", "boolean", "Served without visits.", {}),
    ("accounts", "owner_rep_id", "integer", "Named-account override: the rep who owns it.", {}),
    ("accounts", "territory_id", "integer", "The territory that owns it.", {}),
    ("accounts", "rep_id", "integer", "The rep who owns it.", {}),
    (
        "accounts",
        "assignment",
        "string",
        "override, geometry, conflict or unassigned:<reason>.",
        {},
    ),
    ("accounts", "version", "integer", "Version of the account.", {}),
    ("reps", "name", "string", "Rep name.", {}),
    ("reps", "email", "string", "E-mail address.", {}),
    ("reps", "max_service_km", "number", "Farthest an account may be from home, km.", {}),
    ("reps", "weekly_capacity_hours", "number", "Working hours a week.", {}),
    ("reps", "avg_speed_kmh", "number", "Average travel speed, km/h.", {}),
    ("reps", "quota", "number", "Quota.", {}),
    ("reps", "version", "integer", "Version of the rep.", {}),
    (
        "reps",
        "experience",
        "string",
        "junior, mid or senior.",
        {"enum": ["junior", "mid", "senior"]},
    ),
)
COLLECTIONS: dict[str, Collection] = {
    cid: Collection(
        cid,
        title,
        description,
        cid,
        geometry,
        id_type,
        tuple(
            Queryable(q, q, kind, text, keywords)
            for c, q, kind, text, keywords in _QUERYABLES
            if c == cid
        ),
    )
    for cid, title, description, geometry, id_type in _COLLECTIONS
}


def features_for(
    tx: Tx, collection: Collection, ids: Sequence[Any], settings: Settings
) -> list[dict[str, Any]]:
    """GeoJSON Features (CRS84) of ``ids`` in their order; ids that vanished are left out."""
    if collection.id == "territories":
        found = tx.territories_by_id(list(ids))
        return [territory_feature(found[i]) for i in ids if i in found]
    reps = {r.id: r for r in tx.find_reps()}
    if collection.id == "accounts":
        stored = tx.accounts_by_id(list(ids))
        items = [stored[i] for i in ids if i in stored]
        return account_features(items, reps, settings.default_max_service_km)
    return [_rep_feature(reps[i]) for i in ids if i in reps]


def _rep_feature(rep: Any) -> dict[str, Any]:
    props = rep_public(rep)
    home = props.pop("home")
    props.pop("id")
    return {"type": "Feature", "id": rep.id, "geometry": home, "properties": props}
