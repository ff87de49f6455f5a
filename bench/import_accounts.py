"""Account import at 100,000 rows and 1,000 territories, on SQLite and PostGIS.

For each backend, in one process and on the same data:

* ours: ``POST /accounts/import`` (CSV with coordinates) through the real app
  (TestClient): parse, geocode and assign outside the write lock, stage with
  ``executemany`` (SQLite) or ``COPY`` (PostGIS), one set-based upsert;
* baseline: the previous import path on its own fresh database: one write
  transaction holding the lock for the whole import, the territory index read
  at its start, ``upsert_accounts`` per chunk of 5,000;
* answers agree: every account has the same (territory, rep, assignment);
* blocking: while our import runs, another thread renames a territory far
  from the imported accounts every 0.1 s; the longest such write is reported
  (target: under 1 s), and the import's own write transaction (``write_s``);
* ``--big``: ``territory import`` (the CLI, streaming) of 1,000,000 rows in a
  child process on each backend, with the peak RSS (target: under 60 s, 1 GB):
  the CLI's and that of the child it forks to prepare the rows, summed.

Targets (issue 14): 100,000 rows under 5 s, at least 20,000 rows/s. The
machine's 2 cores are shared with other work: figures are noisy.
Last line: one JSON object with the figures and the ratios.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._environment import environment  # noqa: E402
from geo.assign.assignment import assign_accounts  # noqa: E402
from geo.assign.index import TerritoryIndex  # noqa: E402
from geo.model import Rep  # noqa: E402
from service.app import create_app  # noqa: E402
from service.settings import Settings  # noqa: E402
from service.storage import Store  # noqa: E402
from service.storage.territory_rows import TerritoryDraft  # noqa: E402
from service.usecases.account_import import make_geocoder  # noqa: E402
from service.usecases.account_rows import csv_rows  # noqa: E402

TOKEN = "bench-admin-token"
H = {"Authorization": f"Bearer {TOKEN}"}
MAINTENANCE = os.environ.get(
    "TERRITORY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
GRID = (40, 25)  # 1,000 territories of 0.125 x 0.16 degrees over [-85,-80] x [38,42]


def _settings(url: str) -> Settings:
    return Settings(
        _env_file=None,
        database_url=url,
        bootstrap_admin_token=TOKEN,  # type: ignore[call-arg]
        rate_limit_per_minute=0,
        max_import_bytes=2**31,
        max_import_rows=10**7,
        # The figures' follower re-plans the books once the import is over and
        # the app idle: it never runs inside the measured import, but at
        # 100,000 accounts its snapshot read was still going when the bench
        # dropped the database, and the read's failure was logged as an ERROR.
        warm_travel_figures=False,
    )


def _write_csv(path: Path, n: int, seed: int = 3) -> None:
    rng = np.random.default_rng(seed)
    lon, lat = rng.uniform(-85.0, -80.0, n), rng.uniform(38.0, 42.0, n)
    rev = rng.lognormal(11, 1, n).round(2)
    with path.open("w") as fh:
        fh.write("id,name,lon,lat,industry,annual_revenue,stage\n")
        for i in range(n):
            fh.write(f"A{i:07d},Account {i},{lon[i]:.6f},{lat[i]:.6f},Retail,{rev[i]},customer\n")


def _seed(store: Store) -> None:
    """100 reps and 1,000 territories in one transaction (plus a far one to rename)."""
    nx, ny = GRID
    w, h = 5.0 / nx, 4.0 / ny
    with store.write() as tx:
        reps = [tx.insert_rep(Rep(0, f"Rep {i}"), actor="bench").id for i in range(100)]
        for i in range(nx):
            for j in range(ny):
                x, y = -85.0 + i * w, 38.0 + j * h
                tx.insert_territory(
                    _draft(f"T{i}-{j}", shapely.box(x, y, x + w, y + h), reps[(i * ny + j) % 100]),
                    actor="bench",
                )
        tx.insert_territory(_draft("Far", shapely.box(10, 50, 11, 51), reps[0]), actor="bench")


def _draft(name: str, box: shapely.Polygon, rep_id: int) -> TerritoryDraft:
    return TerritoryDraft(name=name, geometry=shapely.MultiPolygon([box]), rep_ids=(rep_id,))


@contextmanager
def _database(backend: str, tmp: Path, name: str) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp / (name + '.db')}"
        return
    db = f"territory_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(MAINTENANCE, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{db}"'))
    url = make_url(MAINTENANCE).set(database=db).render_as_string(hide_password=False)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        admin.dispose()


class _Timings(logging.Handler):
    """Keeps the import's own timing line (prepare, lock wait, write)."""

    def __init__(self) -> None:
        super().__init__()
        self.last: dict[str, Any] = {}

    def emit(self, record: logging.LogRecord) -> None:
        self.last = json.loads(record.getMessage())


def _ours(url: str, csv: Path) -> dict[str, Any]:
    timings = _Timings()
    logging.getLogger("service.import").addHandler(timings)
    with TestClient(create_app(_settings(url))) as client:
        store = client.app.state.store  # type: ignore[attr-defined]
        _seed(store)
        client.get("/locate", params={"lon": -82, "lat": 40}, headers=H)  # warm the index
        # A server in its steady state: the gazetteer it loads in the background
        # after start is in (an import just after start shared the CPU with it).
        client.app.state.geocoder.warm_up()  # type: ignore[attr-defined]
        with store.read() as tx:
            far = max(t.id for t in tx.find_territories())
        stop, waits = threading.Event(), list[float]()
        writer = threading.Thread(target=_rename_loop, args=(client, far, stop, waits))
        writer.start()
        started = time.perf_counter()
        r = client.post(
            "/accounts/import", content=csv.read_bytes(), headers={**H, "Content-Type": "text/csv"}
        )
        elapsed = time.perf_counter() - started
        stop.set()
        writer.join()
        r.raise_for_status()
        owners = _owners(store)
    return {
        "s": elapsed,
        "owners": owners,
        "write_s": timings.last.get("write_s"),
        "other_writes": len(waits),
        "other_write_max_s": max(waits, default=0.0),
    }


def _rename_loop(client: TestClient, tid: int, stop: threading.Event, waits: list[float]) -> None:
    n = 0
    while not stop.is_set():
        etag = client.get(f"/territories/{tid}", headers=H).headers["etag"]
        started = time.perf_counter()
        r = client.patch(
            f"/territories/{tid}",
            json={"properties": {"name": f"Far {n}"}},
            headers={**H, "If-Match": etag},
        )
        waits.append(time.perf_counter() - started)
        r.raise_for_status()
        n += 1
        stop.wait(0.1)


def _baseline(url: str, csv: Path) -> dict[str, Any]:
    """The previous path: one transaction for the whole import, index read at its start."""
    store = Store.open(url)
    _seed(store)
    geocoder = make_geocoder(_settings(url))
    started = time.perf_counter()
    with store.write() as tx, csv.open("rb") as fh:
        index = TerritoryIndex.build(tx.find_territories())
        chunk: list[Any] = []
        for _, fields, _ in csv_rows(fh):
            if fields is None:
                continue
            chunk.append(
                fields.to_account(
                    geocoder.geocode_account(
                        lon=fields.lon,
                        lat=fields.lat,
                        postal_code=fields.postal_code,
                        city=fields.city,
                        region=fields.region,
                        country=fields.country,
                        address=fields.address,
                    )
                )
            )
            if len(chunk) >= 5000:
                tx.upsert_accounts(
                    list(zip(chunk, assign_accounts(chunk, index), strict=True)), actor=None
                )
                chunk = []
        if chunk:
            tx.upsert_accounts(
                list(zip(chunk, assign_accounts(chunk, index), strict=True)), actor=None
            )
    elapsed = time.perf_counter() - started
    owners = _owners(store)
    store.dispose()
    return {"s": elapsed, "owners": owners}


def _owners(store: Store) -> dict[str, tuple[Any, ...]]:
    with store.read() as tx:
        return {
            s.account.id: (s.assignment.territory_id, s.assignment.rep_id, s.assignment.assignment)
            for s in tx.find_accounts()
        }


def _backend_figures(backend: str, tmp: Path, csv: Path, rows: int) -> dict[str, Any]:
    with _database(backend, tmp, "ours") as url:
        ours = _ours(url, csv)
    with _database(backend, tmp, "base") as url:
        base = _baseline(url, csv)
    return {
        f"{backend}_s": round(ours["s"], 3),
        f"{backend}_rows_per_s": round(rows / ours["s"]),
        f"{backend}_write_tx_s": ours["write_s"],
        f"{backend}_other_write_max_s": round(ours["other_write_max_s"], 3),
        f"{backend}_other_writes": ours["other_writes"],
        f"{backend}_baseline_s": round(base["s"], 3),
        f"{backend}_x_vs_baseline": round(base["s"] / ours["s"], 2),
        f"{backend}_agree": ours["owners"] == base["owners"] and len(ours["owners"]) == rows,
    }


# The CLI, then its own peak and its children's (the import's forked child:
# service.usecases.import_child) on stderr's last line.
_CLI_WITH_PEAKS = """
import json, resource, sys
from service.cli import main
code = main(sys.argv[1:])
peaks = [resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
print(json.dumps({"peak_rss_kib": peaks}), file=sys.stderr)
sys.exit(code)
"""


def _peak_rss_import(csv: Path, url: str) -> tuple[float, float, list[float]]:
    """Seconds, and the peak resident memory: the CLI's and its child's, summed.

    The sum counts the pages the two share (the child is forked) twice, so
    it is an upper bound of what the import held at once.
    """
    env = {**os.environ, "TERRITORY_DATABASE_URL": url}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _CLI_WITH_PEAKS, "import", "--quiet", str(csv)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    parts = [kib / 1024 for kib in json.loads(done.stderr.splitlines()[-1])["peak_rss_kib"]]
    return elapsed, sum(parts), parts


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--backends", default="sqlite,postgis")
    ap.add_argument("--big", action="store_true", help="also 1,000,000 rows via the CLI")
    ap.add_argument("--quick", action="store_true", help="5,000 rows, for a smoke run")
    args = ap.parse_args()
    rows = 5_000 if args.quick else args.rows
    result: dict[str, Any] = {
        "rows": rows,
        "territories": GRID[0] * GRID[1],
        "environment": environment(),
    }
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        csv = d / "accounts.csv"
        _write_csv(csv, rows)
        for backend in args.backends.split(","):
            result |= _backend_figures(backend, d, csv, rows)
        if args.big:
            big = d / "big.csv"
            _write_csv(big, 1_000_000, seed=5)
            result["big_rows"] = 1_000_000
            for backend in args.backends.split(","):
                with _database(backend, d, "big") as url:
                    _seed(Store.open(url))
                    big_s, peak_mb, parts = _peak_rss_import(big, url)
                result |= {
                    f"{backend}_big_s": round(big_s, 1),
                    f"{backend}_big_peak_rss_mb": round(peak_mb),
                    f"{backend}_big_peak_rss_cli_and_child_mb": [round(p) for p in parts],
                }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
