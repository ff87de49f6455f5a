"""Single territory writes: the geometry gate's settings and the API's property forms.

Every write itself is a change set (:mod:`service.usecases.change_sets`);
a single route builds one operation with :func:`fields_from_properties` and
:func:`single_write` applies it, refusing exactly as a one-operation set
would but with the operation's own error, so single routes keep their
answers (no ``/operations/0`` in pointers).
"""

from __future__ import annotations

import json
from typing import Any, Final

from geo.errors import InvalidInputError, Issue
from geo.model import Rules
from geo.validate.gate import CleanGeometry, GeometryLimits, clean_territory_geometry
from service.settings import Settings


def geometry_limits(settings: Settings) -> GeometryLimits:
    """The gate's limits from settings."""
    return GeometryLimits(
        max_vertices=settings.max_vertices,
        max_parts=settings.max_parts,
        min_area_m2=settings.min_area_m2,
    )


def clean_geometry(raw: object, settings: Settings, *, repair: bool) -> CleanGeometry:
    """Run the geometry gate on a client's raw GeoJSON geometry."""
    return clean_territory_geometry(raw, limits=geometry_limits(settings), repair=repair)


KNOWN_PROPERTIES: Final = ("name", "code", "parent_id", "rep_ids", "rules", "color")
# Members of a territory as returned that a client may send back unchanged; ignored on input.
READ_ONLY_PROPERTIES: Final = frozenset({"version", "updated_at", "updated_by", "flags", "id"})
MAX_ATTRIBUTES: Final = 200
MAX_ATTRIBUTES_BYTES: Final = 64 * 1024


def fields_from_properties(props: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    """Draft fields from the API's properties: all of them, or (``partial``) those given.

    Members beyond the model become ``attributes``; in a partial write they
    change one attribute each (``attributes_merge``, null removes it).

    >>> fields_from_properties({"name": "a", "rep_ids": [2, 1]}, partial=True)
    {'name': 'a', 'rep_ids': (2, 1)}
    >>> fields_from_properties({"name": "a", "pop": 5}, partial=False)["attributes"]
    {'pop': 5}
    """
    if partial and "name" in props and props["name"] is None:
        raise InvalidInputError(
            "A territory needs a name.",
            [Issue("/properties/name", "A territory needs a name.", code="required")],
        )
    out: dict[str, Any] = {k: props.get(k) for k in ("name", "code", "parent_id", "color")}
    out["rep_ids"] = tuple(props.get("rep_ids") or ())
    out["rules"] = rules_from_model(props.get("rules"))
    out["attributes"] = dict(props.get("attributes") or {})
    fields: dict[str, Any] = {k: v for k, v in out.items() if not partial or k in props}
    extra = {
        k: v
        for k, v in props.items()
        if k not in KNOWN_PROPERTIES and k not in READ_ONLY_PROPERTIES and k != "attributes"
    }
    if partial:
        if extra:
            fields["attributes_merge"] = extra
    else:
        fields["attributes"].update(extra)
    check_attributes({**fields.get("attributes", {}), **(extra if partial else {})})
    return fields


def check_attributes(attributes: dict[str, Any]) -> None:
    """Refuse attributes past the limits (count, name length, JSON size)."""
    issues = [
        Issue(f"/properties/{k[:40]}", "an attribute name is 1 to 100 characters", code="too-long")
        for k in attributes
        if not 0 < len(k) <= 100
    ]
    if len(attributes) > MAX_ATTRIBUTES:
        reason = f"{len(attributes)} attributes; at most {MAX_ATTRIBUTES} are kept"
        issues.append(Issue("/properties", reason, code="too-many-attributes"))
    elif len(json.dumps(attributes, default=str)) > MAX_ATTRIBUTES_BYTES:
        reason = f"the attributes take more than {MAX_ATTRIBUTES_BYTES} bytes as JSON"
        issues.append(Issue("/properties", reason, code="attributes-too-large"))
    if issues:
        raise InvalidInputError("The territory's attributes are past the limits.", issues)


def rules_from_model(raw: dict[str, object] | None) -> Rules:
    """Rules from the API's rules object."""
    if not raw:
        return Rules()
    ind, prod = raw.get("industries"), raw.get("products")
    return Rules(
        industries=tuple(str(i) for i in ind) if isinstance(ind, list) else None,
        products=tuple(str(p) for p in prod) if isinstance(prod, list) else None,
        min_revenue=raw.get("min_revenue"),  # type: ignore[arg-type]
        max_revenue=raw.get("max_revenue"),  # type: ignore[arg-type]
    )
