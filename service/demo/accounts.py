"""Demo accounts: fictional businesses placed around real Ohio Valley cities.

Locations are drawn around the region's cities with probability proportional
to population and a spread that grows with the city; postal code, city and
state come from the nearest real ZIP centroid. Names, addresses and business
figures are invented from word lists with one seeded ``numpy`` Generator, so
the same seed always gives the same accounts. Coordinates are WGS84 lon/lat
degrees (EPSG:4326), rounded to 1e-6 (about 11 cm).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Final

import numpy as np
import numpy.typing as npt
import shapely

from geo.model import Account, GeocodeResult, LonLat
from service.demo.places import NEARBY_STATES, REGION_STATES, Places

# (industry, share of accounts, median annual revenue to us in USD, name words)
_INDUSTRIES: Final = (
    (
        "Manufacturing",
        0.22,
        60_000,
        (
            "Tool & Die",
            "Precision Machining",
            "Metal Fabrication",
            "Plastics",
            "Castings",
            "Components",
            "Stamping",
        ),
    ),
    (
        "Healthcare",
        0.16,
        55_000,
        (
            "Family Clinic",
            "Medical Group",
            "Health Partners",
            "Dental Care",
            "Orthopedics",
            "Pharmacy",
            "Home Health",
        ),
    ),
    (
        "Retail",
        0.14,
        28_000,
        ("Hardware", "Outfitters", "Market", "Home Goods", "Furniture", "Garden Center"),
    ),
    (
        "Logistics",
        0.11,
        45_000,
        ("Freight", "Logistics", "Trucking", "Warehousing", "Distribution", "Cold Storage"),
    ),
    ("Software", 0.07, 50_000, ("Software", "Data Systems", "Labs", "Digital", "Cloud Services")),
    (
        "Finance",
        0.09,
        70_000,
        ("Credit Union", "Savings Bank", "Wealth Advisors", "Insurance Agency", "Capital"),
    ),
    (
        "Education",
        0.07,
        35_000,
        ("Academy", "Learning Center", "Technical College", "Schools", "Institute"),
    ),
    (
        "Hospitality",
        0.08,
        25_000,
        ("Hotel Group", "Inn & Suites", "Restaurant Group", "Catering", "Event Center"),
    ),
    (
        "Agriculture",
        0.06,
        30_000,
        ("Farm Supply", "Grain Co-op", "Seed Company", "Equipment", "Feed & Supply"),
    ),
)
INDUSTRIES: Final = tuple(row[0] for row in _INDUSTRIES)
PRODUCTS: Final = ("Core", "Analytics", "Support", "Mobile")
_PRODUCT_ODDS: Final = (0.97, 0.45, 0.5, 0.25)
_STAGES: Final = ("lead", "opportunity", "customer")
_STAGE_ODDS: Final = (0.3, 0.2, 0.5)
_PREFIXES: Final = (
    "Summit",
    "Riverbend",
    "Buckeye",
    "Hoosier",
    "Bluegrass",
    "Maple Leaf",
    "Oak Ridge",
    "Lakeshore",
    "Heartland",
    "Pioneer",
    "Keystone",
    "Cardinal",
    "Prairie",
    "Crossroads",
    "Union",
    "Liberty",
    "Valley",
    "Northstar",
    "Granite",
    "Cedar Hill",
    "Tri-County",
    "Limestone",
    "Redbud",
    "Sycamore",
    "Twin Rivers",
    "Meridian",
    "Ironwood",
    "Blue Heron",
)
_SUFFIXES: Final = ("", "", "Inc.", "LLC", "Co.")
_FORMAL: Final = frozenset({"Manufacturing", "Logistics", "Software"})  # names with "Inc."
_STREETS: Final = (
    "Main",
    "High",
    "Market",
    "Broad",
    "Maple",
    "Oak",
    "Elm",
    "Washington",
    "Lincoln",
    "Jefferson",
    "Park",
    "Lake",
    "River",
    "Church",
    "Mill",
    "Walnut",
    "Cherry",
    "State",
    "Water",
    "Front",
    "Locust",
    "Sycamore",
    "Franklin",
    "Jackson",
    "Poplar",
    "Chestnut",
)
_STREET_KINDS: Final = ("St", "Ave", "Rd", "Blvd", "Dr", "Pike", "Pkwy", "Ln")
_REVENUE_SIGMA: Final = 0.85  # lognormal spread: the top 5% earn ~4x the median
_REMOTE_SHARE: Final = 0.30
_POPULATION_EXPONENT: Final = 0.6
# Share of accounts around a random ZIP of the region rather than a city of
# 15,000+: farms, small-town clinics and shops where geonames has no city.
_RURAL_SHARE: Final = 0.15
_UNQUALIFIED_LEAD_SHARE: Final = 0.06  # leads whose revenue nobody has estimated yet


@dataclass(frozen=True, slots=True)
class AccountPlan:
    """Where the deliberate oddities of the demo go."""

    far_city: tuple[str, str]  # a cluster far from its rep's home
    far_count: int
    outside: tuple[LonLat, ...]  # accounts beyond every territory
    override_rep_ids: tuple[int, ...]  # named-account owners, one account each
    id_prefix: str = "ACME"


def build_accounts(
    rng: np.random.Generator, places: Places, n_accounts: int, plan: AccountPlan
) -> tuple[Account, ...]:
    """``n_accounts`` demo accounts, the last ones placed outside the region."""
    n_inside = n_accounts - len(plan.outside)
    far = places.city_index(*plan.far_city)
    lonlat = np.vstack(
        [
            _draw_locations(rng, places, n_inside, far, plan.far_count),
            np.asarray(plan.outside, dtype=float).reshape(-1, 2),
        ]
    )
    lonlat = np.round(lonlat, 6)
    # Inside accounts take a ZIP of the region's states even on a river bank.
    zips = np.concatenate(
        [
            places.nearest_zip(lonlat[:n_inside], REGION_STATES),
            places.nearest_zip(lonlat[n_inside:], NEARBY_STATES),
        ]
    )
    fields = _business_fields(rng, len(lonlat))
    accounts = [
        _account(rng, f"{plan.id_prefix}-{k + 1:06d}", lonlat[k], places, int(zips[k]), fields, k)
        for k in range(len(lonlat))
    ]
    chosen = rng.permutation(n_inside - plan.far_count)  # never the far cluster or outsiders
    _drop_locations(accounts, chosen[:6])
    _add_overrides(accounts, chosen[6:], plan.override_rep_ids)
    return tuple(_unique_names(accounts))


def _draw_locations(
    rng: np.random.Generator, places: Places, n: int, far: int, far_count: int
) -> npt.NDArray[np.float64]:
    """Points around towns: cities by population, rural ZIPs, then ``far_count`` at ``far``."""
    n_rural = round(_RURAL_SHARE * (n - far_count))
    center_city, sigma_city = _city_centres(rng, places, n - far_count - n_rural)
    rural = rng.choice(np.flatnonzero(np.isin(places.zip_states, REGION_STATES)), size=n_rural)
    center = np.vstack(
        [
            center_city,
            places.zip_lonlat[rural],
            np.repeat(places.city_lonlat[far : far + 1], far_count, axis=0),
        ]
    )
    far_sigma = _spread_km(places.city_population[far : far + 1])
    sigma_km = np.concatenate([sigma_city, np.full(n_rural, 3.0), np.repeat(far_sigma, far_count)])
    east_km, north_km = rng.normal(0.0, 1.0, size=(2, n)) * sigma_km
    lat = center[:, 1] + north_km / 110.95
    lon = center[:, 0] + east_km / (111.32 * np.cos(np.radians(center[:, 1])))
    points = np.column_stack([lon, lat])
    # A draw that lands outside the region (in a lake, across a river) goes
    # back to its town: the only accounts outside are the deliberate ones.
    outside = ~shapely.contains_xy(places.region, points[:, 0], points[:, 1])
    points[outside] = center[outside]
    return points


def _city_centres(
    rng: np.random.Generator, places: Places, n: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """``n`` city centres drawn by population, and the spread around each in km."""
    # Population to the power 0.6 rather than 1: big metros still dominate,
    # yet smaller cities get accounts too and the map is not three dots.
    damped = places.city_population**_POPULATION_EXPONENT
    city = rng.choice(len(damped), size=n, p=damped / damped.sum())
    return places.city_lonlat[city], _spread_km(places.city_population[city])


def _spread_km(population: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Metro areas sprawl: about 12 km of spread for a million people, 4 km for a town."""
    spread: npt.NDArray[np.float64] = 3.0 + 9.0 * np.sqrt(population / 1e6)
    return spread


def _business_fields(rng: np.random.Generator, n: int) -> dict[str, npt.NDArray[np.generic]]:
    """Industry, stage, revenue, cost, visits and products for ``n`` accounts."""
    industry = rng.choice(len(_INDUSTRIES), size=n, p=[row[1] for row in _INDUSTRIES])
    stage = rng.choice(len(_STAGES), size=n, p=_STAGE_ODDS)
    median = np.array([row[2] for row in _INDUSTRIES], dtype=float)[industry]
    revenue = np.clip(np.round(median * rng.lognormal(0.0, _REVENUE_SIGMA, n), -2), 2_000, 3e6)
    unqualified = (stage == 0) & (rng.random(n) < _UNQUALIFIED_LEAD_SHARE)
    revenue[unqualified] = np.nan
    cost = np.round(revenue * rng.uniform(0.08, 0.35, n), -1)
    return {
        "industry": industry,
        "stage": stage,
        "revenue": revenue,
        "cost": cost,
        "visits": _visits_per_month(stage, revenue),
        "minutes": _visit_minutes(rng, stage, revenue),
        "remote": rng.random(n) < _REMOTE_SHARE,
        "products": _products(rng, stage),
    }


def _products(rng: np.random.Generator, stage: npt.NDArray[np.int_]) -> npt.NDArray[np.bool_]:
    """Which products each account buys (or, for a lead, is interested in).

    Customers and opportunities always have "Core"; a lead may have none yet.
    """
    has = rng.random((len(stage), len(PRODUCTS))) < np.array(_PRODUCT_ODDS)
    has[stage > 0, 0] = True
    return has


def _visits_per_month(
    stage: npt.NDArray[np.int_], revenue: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Leads once a quarter, opportunities monthly, customers by size (quarterly to monthly).

    Chosen so that most demo reps land near their capacity and a few over
    it: the travel and balance pages then have a story to tell.
    """
    customer = np.where(revenue >= 150_000, 1.0, np.where(revenue < 20_000, 0.25, 0.5))
    return np.choose(stage, [np.full(len(stage), 1 / 3), np.full(len(stage), 1.0), customer])


def _visit_minutes(
    rng: np.random.Generator, stage: npt.NDArray[np.int_], revenue: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """30-45 min for leads, 60-90 for opportunities, 45-120 for customers by size."""
    lead = rng.choice([30.0, 45.0], size=len(stage))
    opportunity = rng.choice([60.0, 90.0], size=len(stage))
    with np.errstate(invalid="ignore"):  # NaN revenue only occurs on leads
        customer = 60.0 + 30.0 * (revenue >= 100_000) + 30.0 * (revenue >= 400_000)
        customer = np.where(revenue < 20_000, 45.0, customer)
    return np.choose(stage, [lead, opportunity, customer])


def _account(
    rng: np.random.Generator,
    account_id: str,
    lonlat: npt.NDArray[np.float64],
    places: Places,
    zip_row: int,
    fields: dict[str, npt.NDArray[np.generic]],
    k: int,
) -> Account:
    city = places.zip_cities[zip_row]
    industry = _INDUSTRIES[int(fields["industry"][k])]
    revenue = float(fields["revenue"][k])
    location = (float(lonlat[0]), float(lonlat[1]))
    return Account(
        id=account_id,
        name=_company_name(rng, industry[0], industry[3], city),
        location=location,
        address=f"{rng.integers(100, 9900)} {rng.choice(_STREETS)} {rng.choice(_STREET_KINDS)}",
        postal_code=places.zip_codes[zip_row],
        city=city,
        region=places.zip_states[zip_row],
        country="US",
        geocode=GeocodeResult(location, "ok", "given", "input"),
        industry=industry[0],
        products=tuple(p for p, has in zip(PRODUCTS, fields["products"][k], strict=True) if has),
        annual_revenue=None if np.isnan(revenue) else revenue,
        cost_to_serve=None if np.isnan(revenue) else float(fields["cost"][k]),
        stage=_STAGES[int(fields["stage"][k])],
        visits_per_month=float(fields["visits"][k]),
        visit_minutes=float(fields["minutes"][k]),
        remote=bool(fields["remote"][k]),
    )


def _company_name(rng: np.random.Generator, industry: str, nouns: Sequence[str], city: str) -> str:
    """ "Summit Precision Machining LLC", "Dayton Family Clinic", ..."""
    prefix = city if rng.random() < 0.3 else str(rng.choice(_PREFIXES))
    suffix = str(rng.choice(_SUFFIXES)) if industry in _FORMAL else ""
    return " ".join(part for part in (prefix, str(rng.choice(nouns)), suffix) if part)


def _unique_names(accounts: list[Account]) -> list[Account]:
    """A repeated name becomes "<name> - <city>" (a branch), then gets a number."""
    seen: set[str] = set()
    out: list[Account] = []
    for account in accounts:
        name, n = account.name or account.id, 1
        if name in seen:
            name = f"{name} - {account.city or account.region}"
        while name in seen:
            n += 1
            name = f"{account.name} #{n}"
        seen.add(name)
        out.append(account if name == account.name else replace(account, name=name))
    return out


def _drop_locations(accounts: list[Account], rows: npt.NDArray[np.intp]) -> None:
    """Accounts to geocode: four by ZIP, one by city only, one that cannot be placed."""
    for k in rows[:4]:
        accounts[k] = replace(accounts[k], location=None, geocode=None)
    accounts[rows[4]] = replace(accounts[rows[4]], location=None, geocode=None, postal_code=None)
    accounts[rows[5]] = replace(
        accounts[rows[5]],
        location=None,
        geocode=None,
        postal_code=None,
        city=None,
        address=f"PO Box {100 + int(rows[5]) % 900}",
    )


def _add_overrides(
    accounts: list[Account], rows: npt.NDArray[np.intp], rep_ids: Sequence[int]
) -> None:
    """Named accounts: the first customers worth $100k+ among ``rows`` keep a chosen rep."""
    customers = [
        k
        for k in rows
        if accounts[k].stage == "customer" and (accounts[k].annual_revenue or 0.0) >= 100_000
    ]
    for k, rep_id in zip(customers, rep_ids, strict=False):
        accounts[k] = replace(accounts[k], owner_rep_id=rep_id)
