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
from typing import Any

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


def _q(name: str, kind: str, description: str, **schema: Any) -> Queryable:
    return Queryable(name, name, kind, description, schema)


CODE_PATTERN = r"^[A-Za-z0-9._\-]+$"
TERRITORIES = Collection(
    id="territories",
    title="Territories",
    description="Sales territories (regions, districts and leaf territories) and their reps.",
    table="territories",
    geometry="MultiPolygon",
    id_type=int,
    queryables=(
        _q("name", "string", "Territory name.", maxLength=200),
        _q("parent_id", "integer", "The parent territory's id."),
        _q("color", "string", "Map colour, #rrggbb.", pattern=r"^#[0-9a-fA-F]{6}$"),
        _q("version", "integer", "Version, 1 for a new territory."),
        _q("updated_by", "string", "Who wrote the current version."),
        _q("code", "string", "Short unique code.", maxLength=100, pattern=CODE_PATTERN),
    ),
)
ACCOUNTS = Collection(
    id="accounts",
    title="Accounts",
    description="Customer and prospect accounts with the territory and rep that own them.",
    table="accounts",
    geometry="Point",
    id_type=str,
    queryables=(
        _q("name", "string", "Account name."),
        _q("address", "string", "Street address."),
        _q("postal_code", "string", "Postal code."),
        _q("city", "string", "City."),
        _q("region", "string", "State or province."),
        _q("country", "string", "Country code."),
        _q("industry", "string", "Industry."),
        _q("annual_revenue", "number", "Annual revenue."),
        _q("cost_to_serve", "number", "Yearly cost to serve."),
        _q("stage", "string", "Sales stage.", enum=list(STAGES)),
        _q("visits_per_month", "number", "Planned visits a month."),
        _q("visit_minutes", "number", "Minutes per visit."),
        _q("remote", "boolean", "Served without visits."),
        _q("owner_rep_id", "integer", "Named-account override: the rep who owns it."),
        _q("territory_id", "integer", "The territory that owns it."),
        _q("rep_id", "integer", "The rep who owns it."),
        _q("assignment", "string", "override, geometry, conflict or unassigned:<reason>."),
        _q("version", "integer", "Version of the account."),
    ),
)
REPS = Collection(
    id="reps",
    title="Reps",
    description="Sales reps at their home bases, with reach and capacity.",
    table="reps",
    geometry="Point",
    id_type=int,
    queryables=(
        _q("name", "string", "Rep name."),
        _q("email", "string", "E-mail address."),
        _q("max_service_km", "number", "Farthest an account may be from home, km."),
        _q("weekly_capacity_hours", "number", "Working hours a week."),
        _q("avg_speed_kmh", "number", "Average travel speed, km/h."),
        _q("quota", "number", "Quota."),
        _q("version", "integer", "Version of the rep."),
        _q("experience", "string", "junior, mid or senior.", enum=["junior", "mid", "senior"]),
    ),
)
COLLECTIONS: dict[str, Collection] = {c.id: c for c in (TERRITORIES, ACCOUNTS, REPS)}


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
