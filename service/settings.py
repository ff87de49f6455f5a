"""Service settings, read from ``TERRITORY_*`` environment variables.

This is the only module that reads the environment. ``create_app`` and the
CLI call :func:`get_settings`; everything else receives values as arguments.
"""

from __future__ import annotations

from functools import cache

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every tunable of the service, with the defaults a laptop needs."""

    model_config = SettingsConfigDict(
        env_prefix="TERRITORY_", env_nested_delimiter="__", extra="ignore", env_file=".env"
    )

    database_url: str = "sqlite:///./territory.db"
    # Development mode lets requests without a token act as an admin. It is
    # refused unless set explicitly (or by ``serve --demo``), see ``auth``.
    dev_mode: bool = False
    bootstrap_admin_token: str | None = Field(default=None, repr=False)

    # Request limits (OWASP API4: unrestricted resource consumption).
    max_body_bytes: int = 4 * 1024 * 1024
    max_import_bytes: int = 32 * 1024 * 1024
    max_import_rows: int = 1_000_000
    # Account imports prepare their rows (parse, geocode, assign) in a child
    # forked from the server, so the requests served meanwhile keep the
    # interpreter (service.usecases.import_child); false keeps it on a thread.
    import_in_child: bool = True
    page_limit_default: int = 100
    page_limit_max: int = 1000
    max_map_features: int = 200_000
    max_change_operations: int = 500  # per POST /territories/changes
    # GIS file uploads (POST /territories/import and /accounts/import): bytes a zip
    # (zipped shapefile, KMZ) may inflate to, features a file may hold, and the
    # seconds the reader (a subprocess) may take before it is stopped, and the
    # address space it may map (RLIMIT_AS; its libraries alone map about 0.5 GB).
    max_import_unzipped_bytes: int = Field(default=256 * 1024 * 1024, gt=0)
    max_import_features: int = Field(default=100_000, gt=0)
    import_read_seconds: float = Field(default=60.0, gt=0, le=3600)
    import_read_memory_bytes: int = Field(default=3 * 1024**3, ge=512 * 1024**2)
    # OGC API Features pages: a larger ``limit`` is clamped to the maximum
    # (OGC 17-069r4 7.15.3: never an error), and the answer says so.
    ogc_limit_default: int = 10
    ogc_limit_max: int = 10_000

    # Geometry gate.
    max_vertices: int = 100_000
    max_parts: int = 1_000
    min_area_m2: float = 1.0

    # Flags.
    default_max_service_km: float = 150.0
    sliver_km2: float = 0.05
    outside_parent_noise_km2: float = 0.001

    # Travel model.
    circuity: float = 1.3
    default_speed_kmh: float = 60.0
    day_hours: float = 8.0
    max_visits_per_day: int = 8
    # A tour longer than day_hours is an overnight trip of at most this many hotel nights.
    max_trip_nights: int = Field(default=2, ge=0, le=14)
    working_days_per_month: float = 21.0
    default_weekly_capacity_hours: float = 40.0
    default_visit_minutes: float = 60.0
    visits_lead: float = 1.0
    visits_opportunity: float = 2.0
    visits_customer: float = 0.5
    load_under_pct: float = 70.0
    load_over_pct: float = 100.0
    # Plan every rep's travel load in the background at start (read from the
    # store when an earlier worker kept it), so the first page is not cold.
    warm_travel_figures: bool = True
    # Keep the long-lived heap out of full garbage collections (service.heap).
    # Off only where one process hosts many short-lived apps (the tests): there
    # each settle would collect every app's leftovers, seconds at a time.
    settle_heap: bool = True
    # The interpreter's switch interval while an import or a job computes beside
    # the requests, in ms (service.interpreter): how long that thread may keep
    # the GIL from the event loop. The rest of the time, and with None,
    # Python's own 5 ms.
    switch_interval_ms: float | None = Field(default=0.5, gt=0, le=100)

    # Contact schedules: seconds a rep's schedule may search (the request waits).
    schedule_time_limit_s: float = Field(default=10.0, gt=0, le=600)

    # Territory design: seconds a design job may search, units a design may use.
    design_time_limit_s: float = Field(default=10.0, gt=0, le=600)
    max_design_units: int = Field(default=20_000, ge=1)

    # Plan review: accounts above this annual revenue are "large".
    large_account_revenue: float = 250_000.0

    # Maps.
    map_tiles: str | None = None
    map_offline_assets: bool = True
    # Above this many accounts the coverage map draws them from
    # /tiles/accounts/{z}/{x}/{y}.mvt instead of embedding each in the page.
    map_tile_threshold: int = Field(default=20_000, ge=0)

    # Browser front ends on other origins; none by default.
    cors_origins: list[str] = []

    # Threads that run the synchronous handlers (anyio's default is 40). The
    # handlers are Python under one GIL: past a few threads each extra one
    # only adds switching, and the slow requests (a write holding the store's
    # lock) wait longest. Measured on 2 cores, 100,000 accounts, 20 clients:
    # /locate about 870 req/s with 40 threads, about 1,050 with 4, and the
    # mixed load's p99 fell from 1.4 s (with timeouts) to under 0.5 s.
    # Requests beyond this wait in the event loop, in arrival order; /healthz
    # runs on the loop itself, so it never waits for a thread.
    request_threads: int = Field(default=4, ge=1, le=256)
    # Threads for the short reads that run apart from the pool above
    # (/locate, pages of accounts, one territory: service/web/lanes.py).
    # One on both backends: a second read thread is one more taker of the
    # GIL, and the one write thread's share of it shrank (see the module
    # docstring of service/web/lanes.py for the figures).
    read_lane_threads: int = Field(default=1, ge=1, le=64)
    # Threads for the short writes of one account or one territory, apart from
    # the pool (service/web/lanes.py). Writers take turns at the store's lock,
    # so one thread is enough on both backends, and writes waiting for the
    # lock (say behind an import) no longer take the pool's threads.
    write_lane_threads: int = Field(default=1, ge=1, le=64)
    # The plain forms of /locate, a page of accounts and one territory skip
    # FastAPI's routing and dependency solving (service/routers/fast_reads.py),
    # with the same answers. Off: every request takes the FastAPI route.
    fast_reads: bool = True

    # Per-token rate limit; 0 disables it.
    rate_limit_per_minute: int = 600
    # How long a worker keeps a token record it read (0: never cached). A
    # revocation anywhere is seen by the next request in every worker whatever
    # this says (service.token_cache: the revocations counter).
    token_cache_seconds: float = Field(default=5.0, ge=0, le=300)
    # Requests without a valid token (and sign-in attempts) per client address; 0 disables it.
    anonymous_rate_per_minute: int = 30
    # Server-side lifetime of a browser session (POST /session); the cookie itself
    # has no Max-Age, so it also ends with the browser.
    session_minutes: int = 120

    # Optional online geocoder (geopy); off by default, never used in tests.
    online_geocoder: str | None = None
    postal_gazetteer_path: str | None = None

    @model_validator(mode="after")
    def _check_limits(self) -> Settings:
        if self.page_limit_default > self.page_limit_max:
            raise ValueError("page_limit_default must not exceed page_limit_max")
        if not 1 <= self.ogc_limit_default <= self.ogc_limit_max:
            raise ValueError("ogc_limit_default must lie between 1 and ogc_limit_max")
        if self.load_under_pct >= self.load_over_pct:
            raise ValueError("load_under_pct must be below load_over_pct")
        if not 0 < self.session_minutes < 8 * 60:
            raise ValueError("session_minutes must be between 1 and 479 (under 8 hours)")
        return self

    @property
    def is_sqlite(self) -> bool:
        """True when the store is the embedded SQLite file."""
        return self.database_url.startswith("sqlite")


@cache
def get_settings() -> Settings:
    """Settings from the environment, read once per process."""
    return Settings()
