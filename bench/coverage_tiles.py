"""The coverage page at 100,000 accounts: every account embedded (before) beside tiles (after).

One app (in-process, real HTTP semantics through Starlette's client) on a copy
of a seeded tenant (``bench._tenant``, or ``--db``); the same page is asked
for with ``map_tile_threshold`` above the account count (the page as it was
before tiles: every account embedded) and at its default (accounts drawn
from ``/tiles/accounts``), alternately, after one warm-up each. Checks both
pages count the same accounts and that a tile answers; prints one JSON line.

    PYTHONPATH=. python3 -m bench.coverage_tiles --db /tmp/t.db
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import statistics
import tempfile
import time
from typing import Any

TOKEN = "admin-token-bench-0123456789abcdef"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default=None, help="A seeded SQLite file to copy (else seeded).")
    ap.add_argument("--accounts", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="coverage-tiles-")
    db = f"{work}/t.db"
    if args.db is None:
        from bench._tenant import seed_tenant

        seed_tenant(f"sqlite:///{db}", territories=1_000, reps=100, accounts=args.accounts)
    else:  # the backup API copies a consistent database, WAL included
        with sqlite3.connect(f"file:{args.db}?mode=ro", uri=True) as s, sqlite3.connect(db) as d:
            s.backup(d)
    os.environ.update(
        TERRITORY_DATABASE_URL=f"sqlite:///{db}",
        TERRITORY_BOOTSTRAP_ADMIN_TOKEN=TOKEN,
        TERRITORY_RATE_LIMIT_PER_MINUTE="0",
        TERRITORY_WARM_TRAVEL_FIGURES="0",
    )
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.settings import Settings

    settings = Settings()
    default_threshold = settings.map_tile_threshold
    with TestClient(create_app(settings), headers={"Authorization": f"Bearer {TOKEN}"}) as c:
        while c.get("/readyz").status_code != 200:
            time.sleep(0.5)
        variants = {"embedded": 10**9, "tiles": default_threshold}
        times: dict[str, list[float]] = {k: [] for k in variants}
        pages: dict[str, str] = {}
        for round_ in range(args.rounds + 1):  # round 0 warms up
            for name, threshold in variants.items():
                settings.map_tile_threshold = threshold
                t = time.perf_counter()
                r = c.get("/maps/coverage", headers={"Accept": "text/html"})
                r.raise_for_status()
                if round_:
                    times[name].append(time.perf_counter() - t)
                pages[name] = r.text
        counts = {k: re.findall(r"([\d,]+) accounts", v)[:1] for k, v in pages.items()}
        tile = c.get("/tiles/accounts/6/17/24.mvt")
    out: dict[str, Any] = {
        "bench": "coverage_tiles",
        "threshold": default_threshold,
        "accounts": counts["tiles"],
        **{f"{k}_warm_s": round(statistics.median(v), 3) for k, v in times.items()},
        **{f"{k}_bytes": len(v.encode()) for k, v in pages.items()},
        "tile_layer_in_page": "L.vectorGrid.protobuf" in pages["tiles"],
        "same_account_count": counts["tiles"] == counts["embedded"],
        "sample_tile_status": tile.status_code,
        "sample_tile_bytes": len(tile.content),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
