"""Account import: bulk CSV upload vs one POST per account, and peak memory at 1e6 rows.

Runs in one process on the same data:

* ours: ``POST /accounts/import`` with N rows (CSV with coordinates, assignment
  included) through the real app (TestClient), on a fresh SQLite file;
* baseline: ``POST /accounts`` once per account through the same app, timed
  on a sample of the same rows and scaled to N (the per-request cost is flat),
  on its own fresh SQLite file;
* answers agree: every account of the sample has the same territory either way;
* memory: ``territory import`` (the CLI, streaming) of ``--big`` rows in a
  child process, peak RSS read from ``getrusage``.

Last line: one JSON object with the figures and the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import shapely
from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service.app import create_app  # noqa: E402
from service.settings import Settings  # noqa: E402

TOKEN = "bench-admin-token"


def _settings(db: Path) -> Settings:
    return Settings(
        _env_file=None,
        database_url=f"sqlite:///{db}",
        bootstrap_admin_token=TOKEN,  # type: ignore[call-arg]
        rate_limit_per_minute=0,
        max_import_bytes=2**31,
    )


def _write_csv(path: Path, n: int, seed: int = 3) -> None:
    rng = np.random.default_rng(seed)
    lon = rng.uniform(-85.0, -80.0, n)
    lat = rng.uniform(38.0, 42.0, n)
    rev = rng.lognormal(11, 1, n).round(2)
    with path.open("w") as fh:
        fh.write("id,name,lon,lat,industry,annual_revenue,stage\n")
        for i in range(n):
            fh.write(f"A{i:07d},Account {i},{lon[i]:.6f},{lat[i]:.6f},Retail,{rev[i]},customer\n")


def _territories(client: TestClient) -> None:
    h = {"Authorization": f"Bearer {TOKEN}"}
    for i, x in enumerate(np.arange(-85.0, -80.0, 0.5)):
        for j, y in enumerate(np.arange(38.0, 42.0, 0.5)):
            geo = json.loads(shapely.to_geojson(shapely.box(x, y, x + 0.5, y + 0.5)))
            body = {"type": "Feature", "geometry": geo, "properties": {"name": f"T{i}-{j}"}}
            client.post("/territories", json=body, headers=h).raise_for_status()


def _bulk(db: Path, csv: Path) -> tuple[float, dict[str, int]]:
    with TestClient(create_app(_settings(db))) as client:
        _territories(client)
        started = time.perf_counter()
        r = client.post(
            "/accounts/import",
            content=csv.read_bytes(),
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "text/csv"},
        )
        elapsed = time.perf_counter() - started
        r.raise_for_status()
        assert r.json()["created"] > 0
        return elapsed, _owners(client.app)


def _one_by_one(db: Path, csv: Path, sample: int) -> tuple[float, dict[str, int]]:
    rows = csv.read_text().splitlines()[1 : sample + 1]
    with TestClient(create_app(_settings(db))) as client:
        _territories(client)
        h = {"Authorization": f"Bearer {TOKEN}"}
        started = time.perf_counter()
        for row in rows:
            aid, name, lon, lat, industry, rev, stage = row.split(",")
            body = {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [float(lon), float(lat)]},
                "properties": {
                    "id": aid,
                    "name": name,
                    "industry": industry,
                    "annual_revenue": float(rev),
                    "stage": stage,
                },
            }
            client.post("/accounts", json=body, headers=h).raise_for_status()
        return time.perf_counter() - started, _owners(client.app)


def _owners(app: object) -> dict[str, int]:
    store = app.state.store  # type: ignore[attr-defined]
    with store.read() as tx:
        return {s.account.id: s.assignment.territory_id for s in tx.find_accounts()}


def _peak_rss_import(csv: Path, db: Path) -> tuple[float, float]:
    env = {**os.environ, "TERRITORY_DATABASE_URL": f"sqlite:///{db}"}
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from service.cli import main; sys.exit(main(sys.argv[1:]))",
            "import",
            str(csv),
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    elapsed = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, peak_kb / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument(
        "--sample", type=int, default=2_000, help="one-by-one requests timed, then scaled"
    )
    ap.add_argument(
        "--big", type=int, default=1_000_000, help="rows for the peak-memory run (0 skips)"
    )
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    if args.quick:
        args.rows, args.sample, args.big = 5_000, 300, 20_000
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        csv = d / "accounts.csv"
        _write_csv(csv, args.rows)
        bulk_s, bulk_owners = _bulk(d / "bulk.db", csv)
        single_s, single_owners = _one_by_one(d / "single.db", csv, args.sample)
        agree = all(bulk_owners[k] == v for k, v in single_owners.items())
        single_scaled = single_s / args.sample * args.rows
        result = {
            "rows": args.rows,
            "bulk_s": round(bulk_s, 3),
            "rows_per_s": round(args.rows / bulk_s),
            "one_by_one_sample": args.sample,
            "one_by_one_sample_s": round(single_s, 3),
            "one_by_one_scaled_s": round(single_scaled, 3),
            "x_vs_one_by_one": round(single_scaled / bulk_s, 2),
            "agree": agree,
        }
        if args.big:
            big = d / "big.csv"
            _write_csv(big, args.big, seed=5)
            # Into the bulk database: its territories make the run assign for real.
            big_s, peak_mb = _peak_rss_import(big, d / "bulk.db")
            result.update(
                {
                    "big_rows": args.big,
                    "big_import_s": round(big_s, 1),
                    "big_peak_rss_mb": round(peak_mb),
                    "big_csv_mb": round(big.stat().st_size / 1e6),
                }
            )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
