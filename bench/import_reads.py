"""Fast reads while a large import runs: ``/locate`` over HTTP during an import, against idle.

An import of 200,000 rows works for seconds on a thread of the server's
process, and the fast reads answered meanwhile share the interpreter with it.
For each backend the bench

1. copies the ``http_load`` tenant (1,020 counties, 100 reps, 100,000
   accounts; seeded by that bench's code when missing) to a throwaway
   database, so the imported rows never reach the tenant the other benches
   measure;
2. starts ``territory serve`` on the copy, one worker, and waits until it has
   settled (its travel figures planned, its heap settled: the state a server
   is in when an import comes);
3. drives ``/locate`` with wrk (20 connections) on the idle server: the
   baseline (before any import: what a server does after one, a settle of
   its heap, say, is not in it);
4. times one import of ``--rows`` new accounts alone (``import_alone_s``);
5. drives it again while a second import of ``--rows`` other new accounts
   runs, posted synchronously as ``POST /accounts/import`` (the wrk run lasts
   0.7 of the import's time alone, so every request it times overlaps the
   import; ``import_with_reads_s`` is that import's own time);
6. checks the answers: both imports created every row, and ``/locate`` still
   agrees with the index built in-process on 300 random points.

The last line is one JSON object: per backend the idle and during-import
figures, their ratios, and the issue's ``/locate`` targets beside them
(p99 under 50 ms, 1,000 requests/s).

Run: ``python -m bench.import_reads [--backends sqlite,postgis] [--rows 200000]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from bench import http_load
from bench._environment import environment

TARGETS = {"locate_p99_ms": 50, "locate_rps": 1000}


def main() -> None:
    """Run the bench and print one JSON line last."""
    args = _parse_args()
    http_load._ensure_wrk()
    # A server that takes an import of this size (the defaults stop well short).
    os.environ["TERRITORY_MAX_IMPORT_BYTES"] = str(2**31)
    os.environ["TERRITORY_MAX_IMPORT_ROWS"] = str(10**7)
    out: dict[str, Any] = {"rows": args.rows, "targets": TARGETS, "environment": environment()}
    for backend in args.backends.split(","):
        url, tenant = http_load._tenant(backend, args)
        copy = _copy(backend, url)
        try:
            out[backend] = _run(copy, tenant, args)
        finally:
            _drop(backend, copy)
        print(json.dumps({backend: out[backend]}), file=sys.stderr)
    print(json.dumps(out))


def _parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--backends", default="sqlite,postgis")
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--connections", type=int, default=20)
    ap.add_argument("--data-dir", default=str(Path(tempfile.gettempdir()) / "territory-bench"))
    args = ap.parse_args()
    # What http_load's tenant helpers read: the tenant it seeds and keeps.
    args.territories, args.reps, args.accounts, args.name_suffix = 1020, 100, 100_000, ""
    return args


def _copy(backend: str, url: str) -> str:
    """A copy of the tenant's database that the imports may fill."""
    if backend == "sqlite":
        source = Path(url.removeprefix("sqlite:///"))
        target = source.with_name(source.stem + "_import_reads.db")
        for suffix in ("", "-wal", "-shm"):
            Path(str(target) + suffix).unlink(missing_ok=True)
        with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
        return f"sqlite:///{target}"
    from sqlalchemy import create_engine, text

    name = url.rsplit("/", 1)[1]
    admin = create_engine(http_load.PG_MAINTENANCE, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}_import_reads" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}_import_reads" TEMPLATE "{name}"'))
    admin.dispose()
    return f"{url}_import_reads"


def _drop(backend: str, url: str) -> None:
    if backend == "sqlite":
        path = url.removeprefix("sqlite:///")
        for suffix in ("", "-wal", "-shm"):
            Path(path + suffix).unlink(missing_ok=True)
        # The job runner's lease files beside the database (service.storage.job_liveness).
        shutil.rmtree(path + "-runners", ignore_errors=True)
        return
    from sqlalchemy import create_engine, text

    admin = create_engine(http_load.PG_MAINTENANCE, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


def _run(url: str, tenant: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    port = http_load._free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        log = folder / "server.log"
        script = http_load._write_scripts(folder, tenant)["locate"]
        server, started = http_load._start(url, port, 1, http_load.ROOT, log, True)
        try:
            result: dict[str, Any] = http_load._wait_ready(base, started, server)
            client = httpx.Client(
                base_url=base, headers={"Authorization": f"Bearer {tenant['token']}"}, timeout=600
            )
            http_load._warm_up(client, tenant)
            result["settled_s"] = http_load._settle(log, started)
            idle_args = argparse.Namespace(connections=args.connections, seconds=5)
            result["idle"] = http_load._wrk(base, script, idle_args)
            first = _csv(folder / "first.csv", "J", args.rows, tenant, seed=1)
            alone_s, created = _import(client, first)
            assert created == args.rows, created
            result["import_alone_s"] = alone_s
            wrk_args = argparse.Namespace(
                connections=args.connections, seconds=max(2, round(0.7 * alone_s))
            )
            result["during_import"], result["import_with_reads_s"] = _reads_during_import(
                client,
                base,
                script,
                wrk_args,
                _csv(folder / "second.csv", "I", args.rows, tenant),
                args.rows,
            )
            result["locate_mismatches"] = http_load._check_locate(client, tenant)
            client.close()
        except (RuntimeError, httpx.HTTPError, AssertionError):
            print(log.read_text()[-3000:], file=sys.stderr)  # why the server failed
            raise
        finally:
            http_load._stop(server)
    idle, during = result["idle"], result["during_import"]
    result["p99_during_over_idle"] = round(during["p99_ms"] / idle["p99_ms"], 2)
    result["rps_during_over_idle"] = round(during["rps"] / idle["rps"], 2)
    result["vs_targets"] = {
        "locate_p99_ms": during["p99_ms"] <= TARGETS["locate_p99_ms"],
        "locate_rps": during["rps"] >= TARGETS["locate_rps"],
    }
    return result


def _reads_during_import(
    client: httpx.Client,
    base: str,
    script: Path,
    wrk_args: argparse.Namespace,
    csv: Path,
    rows: int,
) -> tuple[dict[str, Any], float]:
    done: dict[str, Any] = {}

    def post() -> None:
        try:
            done["s"], done["created"] = _import(client, csv)
        except Exception as exc:  # reported below, with the reads' figures lost
            done["error"] = exc

    importing = threading.Thread(target=post)
    importing.start()
    time.sleep(0.3)  # the import's body on its way: the reads meet the import's work
    reads = http_load._wrk(base, script, wrk_args)
    importing.join()
    if "error" in done:
        raise done["error"]
    assert done["created"] == rows, done
    return reads, done["s"]


def _import(client: httpx.Client, csv: Path) -> tuple[float, int]:
    started = time.perf_counter()
    r = client.post(
        "/accounts/import", content=csv.read_bytes(), headers={"Content-Type": "text/csv"}
    )
    elapsed = round(time.perf_counter() - started, 2)
    r.raise_for_status()
    return elapsed, int(r.json()["created"])


def _csv(path: Path, prefix: str, rows: int, tenant: dict[str, Any], seed: int = 2) -> Path:
    """``rows`` new accounts (ids ``prefix`` + number) at random points over the tenant's counties."""
    rng = np.random.default_rng(seed)
    xs, ys = np.array(tenant["points"]).T
    lon = rng.uniform(xs.min(), xs.max(), rows)
    lat = rng.uniform(ys.min(), ys.max(), rows)
    with path.open("w") as fh:
        fh.write("id,name,lon,lat,industry,annual_revenue,stage\n")
        for i in range(rows):
            fh.write(
                f"{prefix}{i:07d},Imported {i},{lon[i]:.6f},{lat[i]:.6f},Retail,{1000 + i},customer\n"
            )
    return path


if __name__ == "__main__":
    main()
