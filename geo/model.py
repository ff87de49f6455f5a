"""Domain objects shared by every ``geo`` module.

Frozen dataclasses, no behaviour beyond small derived values. Coordinates are
always ``(lon, lat)`` in WGS84 degrees (EPSG:4326 / OGC CRS84 axis order).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import shapely

LonLat = tuple[float, float]
BBox = tuple[float, float, float, float]  # (min_lon, min_lat, max_lon, max_lat)

Stage = Literal["lead", "opportunity", "customer"]
STAGES: tuple[str, ...] = ("lead", "opportunity", "customer")
Experience = Literal["junior", "mid", "senior"]
EXPERIENCE_LEVELS: tuple[str, ...] = ("junior", "mid", "senior")
Role = Literal["admin", "manager", "rep"]


@dataclass(frozen=True, slots=True)
class Rules:
    """Which accounts a territory may own beyond its geography.

    An unset rule (``None``) passes every account; an account matches only when
    it passes every rule that is set. Revenue bounds are inclusive below and
    exclusive above (``min_revenue <= revenue < max_revenue``) so that two
    territories split at one figure never both match.
    """

    industries: tuple[str, ...] | None = None
    products: tuple[str, ...] | None = None
    min_revenue: float | None = None
    max_revenue: float | None = None

    def is_unrestricted(self) -> bool:
        """True when no rule is set."""
        return (
            self.industries is None
            and self.products is None
            and self.min_revenue is None
            and self.max_revenue is None
        )

    def matches(
        self,
        industry: str | None,
        products: Iterable[str] = (),
        revenue: float | None = None,
    ) -> bool:
        """True when an account with these fields passes every rule that is set.

        Industry and product comparisons ignore case. An account without an
        industry fails an industry rule; without revenue it fails a revenue rule.

        >>> Rules(industries=("Retail",)).matches("retail")
        True
        >>> Rules(min_revenue=100.0).matches(None, (), 50.0)
        False
        """
        if self.industries is not None:
            wanted = {i.casefold() for i in self.industries}
            if industry is None or industry.casefold() not in wanted:
                return False
        if self.products is not None:
            wanted = {p.casefold() for p in self.products}
            if not any(p.casefold() in wanted for p in products):
                return False
        if self.min_revenue is not None or self.max_revenue is not None:
            if revenue is None:
                return False
            if self.min_revenue is not None and revenue < self.min_revenue:
                return False
            if self.max_revenue is not None and revenue >= self.max_revenue:
                return False
        return True


@dataclass(frozen=True, slots=True)
class Territory:
    """A sales territory: a (Multi)Polygon in WGS84 with its reps and rules.

    ``rep_ids`` lists the primary rep first. Only leaf territories (no child
    names this one as ``parent_id``) own accounts.
    """

    id: int
    name: str
    geometry: shapely.Polygon | shapely.MultiPolygon
    code: str | None = None
    parent_id: int | None = None
    rep_ids: tuple[int, ...] = ()
    rules: Rules = field(default_factory=Rules)
    color: str | None = None
    version: int = 1
    updated_at: datetime | None = None
    updated_by: str | None = None
    # Properties from GIS files beyond the model (population, FIPS code, ...),
    # kept as sent and returned; no rule reads them.
    attributes: dict[str, Any] = field(default_factory=dict, hash=False)

    @property
    def primary_rep_id(self) -> int | None:
        """The rep who owns the territory's accounts, if any."""
        return self.rep_ids[0] if self.rep_ids else None


@dataclass(frozen=True, slots=True)
class Rep:
    """A sales rep with a home base and a working capacity.

    ``None`` for a number means "use the default from settings".
    """

    id: int
    name: str
    email: str | None = None
    home: LonLat | None = None
    max_service_km: float | None = None
    weekly_capacity_hours: float | None = None
    avg_speed_kmh: float | None = None
    experience: str | None = None
    quota: float | None = None


@dataclass(frozen=True, slots=True)
class GeocodeResult:
    """Where an account was placed and how sure we are.

    ``precision`` is one of ``given``, ``postal_code``, ``city``, ``none``;
    ``status`` is ``ok``, ``ambiguous``, ``conflict`` or ``not_found``;
    ``source`` names the gazetteer or ``input``; ``note`` says what was
    ambiguous or conflicting, for a human.
    """

    location: LonLat | None
    status: str
    precision: str
    source: str
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Account:
    """An account as stored: the CRM's fields plus where it is."""

    id: str
    name: str | None = None
    location: LonLat | None = None
    address: str | None = None
    postal_code: str | None = None
    city: str | None = None
    region: str | None = None
    country: str | None = None
    geocode: GeocodeResult | None = None
    industry: str | None = None
    products: tuple[str, ...] = ()
    annual_revenue: float | None = None
    cost_to_serve: float | None = None
    stage: str | None = None
    visits_per_month: float | None = None
    visit_minutes: float | None = None
    remote: bool = False
    owner_rep_id: int | None = None


@dataclass(frozen=True, slots=True)
class Assignment:
    """Who owns an account, and why.

    ``assignment`` is ``override``, ``geometry``, ``conflict`` or
    ``unassigned:<reason>`` with reason ``no-location``, ``outside-all`` or
    ``no-rule-match``. ``candidates`` lists every matching territory id when
    there was a conflict (the winner first).
    """

    account_id: str
    territory_id: int | None
    rep_id: int | None
    assignment: str
    candidates: tuple[int, ...] = ()
