"""Gather what the maps need from the store and ``geo``, then call ``maps``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import maps
from geo.errors import TooManyFeaturesError
from geo.model import Account, Assignment, Rep
from geo.travel.load import plan_month, route_for_day
from geo.travel.visits import TravelSettings
from maps.inputs import OverlapShape, RouteInput, RouteStop
from service.settings import Settings
from service.storage import Store
from service.travel_config import travel_settings
from service.usecases.snapshot import Snapshot, load_snapshot
from service.usecases.snapshot_groups import kept_balance_rows, kept_travel_loads
from service.usecases.snapshot_rows import kept_distances, kept_too_far
from service.views.flags import kept_overlaps

if TYPE_CHECKING:
    import folium


@dataclass(frozen=True)
class MapInputs:
    """A snapshot plus the derived layers: metrics, flags, overlaps, distances."""

    snap: Snapshot
    metrics: dict[int, dict[str, float]]
    flags: dict[str, tuple[str, ...]]
    overlaps: list[OverlapShape]
    distances_km: dict[str, float]
    reps: tuple[Rep, ...]  # with the reach the flags use (see with_reach)


def gather(store: Store, settings: Settings) -> MapInputs:
    """Read the store once and compute every layer the coverage map shows."""
    with store.read() as tx:
        snap = load_snapshot(tx)
    if len(snap.accounts) > settings.max_map_features:
        raise TooManyFeaturesError(
            f"{len(snap.accounts)} accounts exceed the map limit of {settings.max_map_features}; "
            "raise TERRITORY_MAX_MAP_FEATURES or use /maps/coverage.png.",
        )
    far = kept_too_far(snap, settings.default_max_service_km)
    # One shared tuple: the map tables sort flags by value, and 70,000 equal
    # lists cost a copy each there.
    too_far: tuple[str, ...] = ("too_far",)
    flags = {f.account_id: too_far for f in far.too_far}
    report = kept_overlaps(snap, settings.sliver_km2)
    overlaps = [
        OverlapShape(p.geometry, p.a_name, p.b_name, p.overlap_km2)
        for p in (*report.overlaps, *report.slivers)
    ]
    reps = with_reach(snap.reps, settings.default_max_service_km)
    # Kept with the snapshot (per revision), as the analysis pages keep theirs:
    # a warm map page only draws.
    ts = travel_settings(settings)
    metrics = snap.derived(("map-metrics", repr(ts)), lambda: _metrics(snap, ts))
    return MapInputs(snap, metrics, flags, overlaps, _kept_distances(snap), reps)


def with_reach(reps: Sequence[Rep], default_km: float) -> tuple[Rep, ...]:
    """Reps whose own ``max_service_km`` is unset carry the default the too-far flags use.

    A map must draw the reach that decided which dots are flagged: without
    this a rep with no value of their own shows no circle at all, although
    their accounts beyond the default are marked too far.
    """
    return tuple(r if r.max_service_km else replace(r, max_service_km=default_km) for r in reps)


def _metrics(snap: Snapshot, ts: TravelSettings) -> dict[int, dict[str, float]]:
    # The balance rows and travel loads the analysis pages keep, carried over
    # a write for every territory and rep it left alone: scoring every leaf and
    # hashing every rep's book again took the page 2 s after each write.
    rows = kept_balance_rows(snap, ts)
    loads = kept_travel_loads(snap, ts)
    out: dict[int, dict[str, float]] = {}
    for territory_id, row in rows.items():
        values = {
            "accounts": float(row.accounts),
            "revenue": row.annual_revenue,
            "net_profit": row.net_profit,
            "workload_hours": row.workload_hours,
        }
        load = loads.get(row.rep_id) if row.rep_id is not None else None
        if load is not None and load.load_pct is not None:
            values["load_pct"] = load.load_pct
        out[territory_id] = values
    return out


def _kept_distances(snap: Snapshot) -> dict[str, float]:
    """Each account's distance to its rep's home, kept with the snapshot (patched after a write)."""

    def distances(accounts: list[Account], assignments: list[Assignment]) -> dict[str, float]:
        return _distances(accounts, assignments, snap.reps_by_id)

    return kept_distances(snap, distances)


def _distances(
    accounts: Sequence[Account], assignments: Sequence[Assignment], reps: Mapping[int, Rep]
) -> dict[str, float]:
    from service.storage.account_rows import StoredAccount
    from service.views.accounts import distances_km

    items = [StoredAccount(a, s, 1) for a, s in zip(accounts, assignments, strict=True)]
    return {
        s.account.id: d
        for s, d in zip(items, distances_km(items, reps), strict=True)
        if d is not None
    }


def now_label() -> str:
    # The snapshot is read for this request: its date is the time of reading.
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def coverage_map(
    store: Store, settings: Settings, *, metric: str | None, asset_base_url: str = "/static/vendor"
) -> folium.Map:
    """The coverage map with every layer; past ``map_tile_threshold`` accounts come as tiles."""
    from maps.account_tiles import ACCOUNT_TILES  # with the map: folium loads on first use

    inputs = gather(store, settings)
    snap = inputs.snap
    return maps.render_coverage_map(
        snap.territories,
        snap.accounts,
        snap.assignments,
        inputs.reps,
        metric=metric,
        metrics=inputs.metrics,
        flags=inputs.flags,
        overlaps=inputs.overlaps,
        distances_km=inputs.distances_km,
        tiles=settings.map_tiles,
        offline=settings.map_offline_assets,
        asset_base_url=asset_base_url,
        data_date=now_label(),
        account_tiles_url=ACCOUNT_TILES
        if len(snap.accounts) > settings.map_tile_threshold
        else None,
    )


def coverage_html(
    store: Store, settings: Settings, *, metric: str | None, asset_base_url: str = "/static/vendor"
) -> str:
    """The coverage map page as HTML."""
    return maps.to_html(coverage_map(store, settings, metric=metric, asset_base_url=asset_base_url))


def rep_map_html(store: Store, settings: Settings, rep_id: int, *, day: int | None) -> str:
    """A rep's accounts, home, reach and one planned day's route."""
    with store.read() as tx:
        rep = tx.get_rep(rep_id)
        snap = load_snapshot(tx)
    (rep,) = with_reach([rep], settings.default_max_service_km)
    accounts, assignments = snap.for_rep(rep_id)
    route = _route(rep, accounts, settings, day) if rep.home is not None else None
    m = maps.render_rep_map(
        rep,
        accounts,
        assignments,
        route=route,
        territories=[t for t in snap.territories if rep_id in t.rep_ids],
        distances_km=_kept_distances(snap),
        tiles=settings.map_tiles,
        offline=settings.map_offline_assets,
        data_date=now_label(),
    )
    return maps.to_html(m)


def _route(
    rep: Rep, accounts: list[Account], settings: Settings, day: int | None
) -> RouteInput | None:
    plan = plan_month(rep, accounts, travel_settings(settings))
    if not plan.days:
        return None
    wanted = day or 1
    r = route_for_day(plan, wanted)  # NoSuchDayError (404) outside the plan
    names = {a.id: a.name or a.id for a in accounts}
    stops = tuple(
        RouteStop(s.lon, s.lat, f"{s.order}. {names.get(s.account_id, s.account_id)}")
        for s in r.stops
    )
    return RouteInput(
        stops,
        day=wanted,
        start=rep.home,
        end=rep.home,
        distance_km=r.km,
        duration_hours=r.total_hours,
        warning=r.warning,
    )


def territory_map_html(
    store: Store, settings: Settings, territory_id: int, *, only_rep_id: int | None = None
) -> str:
    """One territory with its accounts (only ``only_rep_id``'s when set), reps and flags."""
    inputs = gather(store, settings)
    snap = inputs.snap
    territory = next((t for t in snap.territories if t.id == territory_id), None)
    if territory is None:
        from service.storage import NotFoundError

        raise NotFoundError(f"Territory {territory_id} does not exist.")
    pairs = [
        (a, s)
        for a, s in zip(snap.accounts, snap.assignments, strict=True)
        if s.territory_id == territory_id and (only_rep_id is None or s.rep_id == only_rep_id)
    ]
    m = maps.render_territory_map(
        territory,
        [a for a, _ in pairs],
        [s for _, s in pairs],
        inputs.reps,
        metrics=inputs.metrics,
        flags=inputs.flags,
        overlaps=[o for o in inputs.overlaps if territory.name in (o.name_a, o.name_b)],
        distances_km=inputs.distances_km,
        tiles=settings.map_tiles,
        offline=settings.map_offline_assets,
        data_date=now_label(),
    )
    return maps.to_html(m)
