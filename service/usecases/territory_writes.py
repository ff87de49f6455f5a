"""Single territory writes: the geometry gate's settings and the API's property forms.

Every write itself is a change set (:mod:`service.usecases.change_sets`);
a single route builds one operation with :func:`fields_from_properties` and
:func:`single_write` applies it, refusing exactly as a one-operation set
would but with the operation's own error, so single routes keep their
answers (no ``/operations/0`` in pointers).
"""

from __future__ import annotations

from typing import Any

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


def fields_from_properties(props: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    """Draft fields from the API's properties: all of them, or (``partial``) those given.

    >>> fields_from_properties({"name": "a", "rep_ids": [2, 1]}, partial=True)
    {'name': 'a', 'rep_ids': (2, 1)}
    """
    if partial and "name" in props and props["name"] is None:
        raise InvalidInputError(
            "A territory needs a name.",
            [Issue("/properties/name", "A territory needs a name.", code="required")],
        )
    out = {k: props.get(k) for k in ("name", "code", "parent_id", "color")}
    out["rep_ids"] = tuple(props.get("rep_ids") or ())
    out["rules"] = rules_from_model(props.get("rules"))
    return {k: v for k, v in out.items() if not partial or k in props}


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
