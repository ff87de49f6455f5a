"""Account rows and the values they are made of: the stored account, its columns, conversions.

Kept apart from the reads and writes (account_ops.py) because the bulk import
(staged_rows.py, account_bulk.py) writes the same columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, Text, cast

from geo.model import Account, Assignment, GeocodeResult

ACCOUNT_FIELDS = (
    "name",
    "address",
    "postal_code",
    "city",
    "region",
    "country",
    "industry",
    "annual_revenue",
    "cost_to_serve",
    "stage",
    "visits_per_month",
    "visit_minutes",
    "remote",
    "owner_rep_id",
)


@dataclass(frozen=True, slots=True)
class StoredAccount:
    """An account with its stored assignment and version."""

    account: Account
    assignment: Assignment
    version: int


def geocode_json(g: GeocodeResult | None) -> dict[str, Any] | None:
    if g is None:
        return None
    return {
        "location": list(g.location) if g.location else None,
        "status": g.status,
        "precision": g.precision,
        "source": g.source,
        "note": g.note,
    }


def geocode_from_json(raw: dict[str, Any] | None) -> GeocodeResult | None:
    if raw is None:
        return None
    loc = raw.get("location")
    return GeocodeResult(
        location=(loc[0], loc[1]) if loc else None,
        status=raw["status"],
        precision=raw["precision"],
        source=raw["source"],
        note=raw.get("note"),
    )


# What from_row reads, in this order. Not the stored point (lon/lat carry it)
# nor the updated_* columns: decoding them was a tenth of a page of accounts.
READ_COLUMNS = (
    "id",
    "lon",
    "lat",
    "geocode",
    "products",
    "remote",
    "territory_id",
    "rep_id",
    "assignment",
    "candidates",
    "version",
    *(name for name in ACCOUNT_FIELDS if name != "remote"),
)


def read_columns(at: Any, *, json_as_text: bool = False) -> list[Any]:
    """The columns of ``READ_COLUMNS``; with ``json_as_text`` the JSON ones as their text.

    The text is for :mod:`service.views.account_page`, which decodes it
    itself: the driver's decoding went through two or three Python layers a
    value (SQLAlchemy's JSON processors, psycopg's loader), 300 values a page.
    """
    columns = [at.c[name] for name in READ_COLUMNS]
    if not json_as_text:
        return columns
    # Which are JSON: the table's own types say (geocode, products, candidates).
    return [cast(c, Text).label(c.name) if isinstance(c.type, JSON) else c for c in columns]


def from_row(row: Sequence[Any]) -> StoredAccount:
    """A row of :func:`read_columns` as a stored account.

    Every column by name, not a dict of the plain ones splatted into the
    constructor: that dict cost a third of the decoding of a page of accounts.
    """
    (
        account_id,
        lon,
        lat,
        geocode,
        products,
        remote,
        territory_id,
        rep_id,
        assignment,
        candidates,
        version,
        name,
        address,
        postal_code,
        city,
        region,
        country,
        industry,
        annual_revenue,
        cost_to_serve,
        stage,
        visits_per_month,
        visit_minutes,
        owner_rep_id,
    ) = row
    account = Account(
        id=account_id,
        name=name,
        location=(lon, lat) if lon is not None else None,
        address=address,
        postal_code=postal_code,
        city=city,
        region=region,
        country=country,
        geocode=geocode_from_json(geocode),
        industry=industry,
        products=tuple(products) if products else (),
        annual_revenue=annual_revenue,
        cost_to_serve=cost_to_serve,
        stage=stage,
        visits_per_month=visits_per_month,
        visit_minutes=visit_minutes,
        remote=bool(remote),
        owner_rep_id=owner_rep_id,
    )
    return StoredAccount(
        account,
        Assignment(
            account_id=account_id,
            territory_id=territory_id,
            rep_id=rep_id,
            assignment=assignment,
            candidates=tuple(candidates) if candidates else (),
        ),
        int(version),
    )
