"""Dependency aliases and shared query parameters; nothing else."""

from __future__ import annotations

from typing import Annotated, Any, Protocol

from fastapi import Depends, Path, Query, Request

from geo.assign.index import TerritoryIndex
from geo.errors import InvalidInputError, Issue
from geo.geocode.geocoder import Geocoder
from service.index_cache import IndexCache
from service.settings import Settings
from service.storage import Store
from service.token_cache import TokenCache
from service.usecases.jobs import JobRunner
from service.usecases.plan_caches import PlanIndex
from service.usecases.scenario_schedule import ScheduledSwitches


class CurrentIndex(Protocol):
    """What point lookups need: the index of the plan the request works in, as of now."""

    def current(self) -> TerritoryIndex:
        """The index as of the latest revision."""
        ...


async def get_store(request: Request) -> Store:
    """The app's store, inside the scenario the request's path names (if any).

    ``request.state.plan_id`` is set by the scenario routes' own dependency
    (:mod:`service.routers.scenario_plan`), which FastAPI solves first.
    """
    store: Store = request.app.state.store
    return store.in_plan(getattr(request.state, "plan_id", None))


def plan_prefix(request: Request) -> str:
    """The path prefix of the plan a request works in: ``""`` live, ``/scenarios/{id}``.

    Pages link to their own plan's pages with it (a scenario's dashboard to
    the scenario's overview, not the live one).
    """
    plan_id = getattr(request.state, "plan_id", None)
    return "" if plan_id is None else f"/scenarios/{plan_id}"


async def get_live_store(request: Request) -> Store:
    """The app's store in the live plan, whatever scenario the path names.

    A function of its own, not :func:`get_store`: FastAPI caches a dependency's
    answer per request, and the scenario dependency that needs the live store
    runs before ``request.state.plan_id`` is set.
    """
    return request.app.state.store  # type: ignore[no-any-return]


async def get_settings_dep(request: Request) -> Settings:
    """The app's settings."""
    return request.app.state.settings  # type: ignore[no-any-return]


async def get_index_cache(request: Request) -> CurrentIndex:
    """The worker's territory index cache, or the scenario's index inside a scenario."""
    plan_id = getattr(request.state, "plan_id", None)
    if plan_id is not None:
        return PlanIndex(request.app.state.store.in_plan(plan_id))
    return request.app.state.index_cache  # type: ignore[no-any-return]


async def get_live_index_cache(request: Request) -> IndexCache:
    """The worker's cache of the live plan's territory index (``current_in(tx)``, readiness)."""
    return request.app.state.index_cache  # type: ignore[no-any-return]


async def get_jobs(request: Request) -> JobRunner:
    """The worker's job runner (design runs and async imports)."""
    return request.app.state.jobs  # type: ignore[no-any-return]


async def get_token_cache(request: Request) -> TokenCache:
    """The worker's cache of resolved tokens (revocations forget them at once)."""
    return request.app.state.token_cache  # type: ignore[no-any-return]


async def get_geocoder(request: Request) -> Geocoder:
    """The app's offline geocoder (warmed up at start)."""
    return request.app.state.geocoder  # type: ignore[no-any-return]


async def get_switches(request: Request) -> ScheduledSwitches:
    """The app's scheduled scenario switches (its clock, and when to look again)."""
    return request.app.state.switches  # type: ignore[no-any-return]


# The getters are async (they do no I/O) so that FastAPI calls them on the
# event loop instead of sending each one through the thread pool.
StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
IndexDep = Annotated[CurrentIndex, Depends(get_index_cache)]
GeocoderDep = Annotated[Geocoder, Depends(get_geocoder)]
LiveStoreDep = Annotated[Store, Depends(get_live_store)]
LiveIndexCacheDep = Annotated[IndexCache, Depends(get_live_index_cache)]
JobsDep = Annotated[JobRunner, Depends(get_jobs)]
TokenCacheDep = Annotated[TokenCache, Depends(get_token_cache)]
SwitchesDep = Annotated[ScheduledSwitches, Depends(get_switches)]

LimitQuery = Annotated[
    int | None, Query(ge=1, le=1000, description="Page size (default from settings, at most 1000).")
]
BBoxQuery = Annotated[
    str | None,
    Query(
        max_length=200,
        description="min_lon,min_lat,max_lon,max_lat in WGS84; min_lon > max_lon crosses the antimeridian.",
        examples=["-84.9,38.4,-80.5,42.0"],
    ),
]


def parse_bbox(raw: str | None) -> list[tuple[float, float, float, float]] | None:
    """Parse ``bbox`` into one box, or two when it crosses the antimeridian."""
    if raw is None:
        return None
    parts = raw.split(",")
    reason = None
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
        reason = "bbox must be four numbers: min_lon,min_lat,max_lon,max_lat"
    if reason is None:
        reason = _bbox_problem(values)
    if reason is not None:
        raise InvalidInputError("The bbox parameter is invalid.", [Issue("query:bbox", reason)])
    minx, miny, maxx, maxy = values
    if minx > maxx:
        return [(minx, miny, 180.0, maxy), (-180.0, miny, maxx, maxy)]
    return [(minx, miny, maxx, maxy)]


def _bbox_problem(values: list[float]) -> str | None:
    if len(values) != 4:
        return "bbox must be four numbers: min_lon,min_lat,max_lon,max_lat"
    if any(v != v or v in (float("inf"), float("-inf")) for v in values):
        return "bbox values must be finite numbers"
    minx, miny, maxx, maxy = values
    if not (-180 <= minx <= 180 and -180 <= maxx <= 180):
        return "bbox longitudes must lie in [-180, 180]"
    if not (-90 <= miny <= 90 and -90 <= maxy <= 90):
        return "bbox latitudes must lie in [-90, 90]"
    if miny > maxy:
        return "bbox min_lat must not exceed max_lat"
    return None


# Ids in paths and queries: bounded so an absurd id is a 422, not a database overflow.
MAX_ID = 2**31 - 1
TerritoryId = Annotated[int, Path(ge=1, le=MAX_ID, description="Territory id.")]
RepId = Annotated[int, Path(ge=1, le=MAX_ID, description="Rep id.")]
TokenId = Annotated[int, Path(ge=1, le=MAX_ID, description="Token id.")]


def id_query(description: str | None = None) -> Any:
    """A bounded id query parameter: ``Annotated[int | None, id_query("Only this rep.")] = None``."""
    return Query(ge=1, le=MAX_ID, description=description)


IdQuery = Annotated[int | None, id_query()]
AccountId = Annotated[str, Path(min_length=1, max_length=200, description="The CRM's account id.")]
