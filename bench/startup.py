"""Start-up with 1,000,000 accounts: seconds from launch to ``/healthz`` and ``/readyz``.

For each backend, on one seeded database (1,000 grid territories, 100 reps,
``--accounts`` accounts imported through the CLI's streaming import):

* ours: ``uvicorn service.app:create_app --factory`` started as a child
  process, polled every 20 ms; the seconds from launch to the first 200 of
  ``/healthz`` and of ``/readyz`` (median of ``--runs`` launches; the server
  is stopped after each);
* ``--baseline DIR``: another checkout launched the same way on the same
  database, alternating with ours;
* baseline, in the same run: a fresh process that imports the app, opens the
  store and reads every account, i.e. a start that loads the account
  snapshot before it answers (the naive full load), also from launch.

Target (issue 14): ``/readyz`` within 5 s of launch with 1,000,000 accounts.
The seeded databases are kept under ``--data-dir`` (SQLite) or as
``territory_bench_startup_<n>`` (PostGIS) and reused when their account count
matches. The machine's 2 cores are shared: figures are noisy.
Last line: one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.import_accounts import MAINTENANCE, _seed, _write_csv  # noqa: E402
from service.storage import Store  # noqa: E402

CLI = "import sys; from service.cli import main; sys.exit(main(sys.argv[1:]))"
NAIVE = (
    "import time, sys; t = time.perf_counter()\n"
    "from service.app import create_app\n"
    "from service.storage import Store\n"
    "store = Store.open(sys.argv[1])\n"
    "with store.read() as tx:\n"
    "    n = len(tx.find_accounts())\n"
    "print(n, time.perf_counter() - t)\n"
)


def _count(url: str) -> int:
    store = Store.open(url)
    try:
        with store.connection() as conn:
            return int(conn.exec_driver_sql("SELECT count(*) FROM accounts").scalar_one())
    except Exception:  # no schema yet
        return -1
    finally:
        store.dispose()


def _database(backend: str, data_dir: Path, n: int) -> str:
    """A seeded database's URL (made and filled unless one with ``n`` accounts is there)."""
    if backend == "sqlite":
        url = f"sqlite:///{data_dir / f'startup_{n}.db'}"
        if (data_dir / f"startup_{n}.db").exists() and _count(url) == n:
            return url
        (data_dir / f"startup_{n}.db").unlink(missing_ok=True)
    else:
        db = f"territory_bench_startup_{n}"
        url = make_url(MAINTENANCE).set(database=db).render_as_string(hide_password=False)
        admin = create_engine(MAINTENANCE, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": db})
            if exists.first() is not None and _count(url) == n:
                admin.dispose()
                return url
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{db}"'))
        admin.dispose()
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
        engine.dispose()
    _fill(url, data_dir, n)
    return url


def _fill(url: str, data_dir: Path, n: int) -> None:
    csv = data_dir / f"startup_{n}.csv"
    if not csv.exists():
        _write_csv(csv, n, seed=11)
    store = Store.open(url)
    _seed(store)
    store.dispose()
    subprocess.run(
        [sys.executable, "-c", CLI, "import", "--quiet", str(csv)],
        cwd=ROOT,
        env={**_env(url), "PYTHONPATH": str(ROOT)},
        check=True,
        capture_output=True,
    )


def _env(url: str, root: Path = ROOT) -> dict[str, str]:
    return {
        **os.environ,
        "TERRITORY_DATABASE_URL": url,
        "TERRITORY_BOOTSTRAP_ADMIN_TOKEN": "bench-startup-token",
        "PYTHONPATH": str(root),
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _launch(url: str, root: Path, timeout: float = 300.0) -> tuple[float, float]:
    """Seconds from launch to the first 200 of /healthz and of /readyz."""
    port = _free_port()
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "service.app:create_app", "--factory",
         "--port", str(port), "--log-level", "warning", "--no-access-log"],
        cwd=root, env=_env(url, root), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    healthy: float | None = None
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            while time.perf_counter() - started < timeout:
                try:
                    if healthy is None and client.get("/healthz").status_code == 200:
                        healthy = time.perf_counter() - started
                    if healthy is not None and client.get("/readyz").status_code == 200:
                        return healthy, time.perf_counter() - started
                except httpx.TransportError:
                    pass  # not listening yet
                time.sleep(0.02)
        raise RuntimeError(f"not ready within {timeout} s")
    finally:
        proc.terminate()  # our own child, by its handle
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # a warm-up still running: no graceful end needed
            proc.kill()
            proc.wait()


def _naive(url: str) -> tuple[int, float]:
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", NAIVE, url],
        cwd=ROOT, env=_env(url), check=True, capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    return int(out[0]), time.perf_counter() - started


def _figures(backend: str, url: str, runs: int, n: int, baseline: Path | None) -> dict[str, Any]:
    launches: list[tuple[float, float]] = []
    theirs: list[tuple[float, float]] = []
    for _ in range(runs):  # alternated, so both see the same machine load
        launches.append(_launch(url, ROOT))
        if baseline is not None:
            theirs.append(_launch(url, baseline))
    rows, naive_s = _naive(url)
    out = {
        f"{backend}_healthz_s": round(statistics.median(h for h, _ in launches), 2),
        f"{backend}_readyz_s": round(statistics.median(r for _, r in launches), 2),
        f"{backend}_readyz_max_s": round(max(r for _, r in launches), 2),
        f"{backend}_baseline_full_load_s": round(naive_s, 2),
        f"{backend}_baseline_rows": rows,
        f"{backend}_ok": rows == n and statistics.median(r for _, r in launches) < 5.0,
    }
    if theirs:
        out[f"{backend}_baseline_checkout_healthz_s"] = round(
            statistics.median(h for h, _ in theirs), 2
        )
        out[f"{backend}_baseline_checkout_readyz_s"] = round(
            statistics.median(r for _, r in theirs), 2
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=1_000_000)
    ap.add_argument("--backends", default="sqlite,postgis")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--data-dir", default="/tmp/territory-bench-startup")
    ap.add_argument("--quick", action="store_true", help="10,000 accounts, one launch")
    ap.add_argument("--baseline", default=None, help="another checkout, launched beside ours")
    args = ap.parse_args()
    n, runs = (10_000, 1) if args.quick else (args.accounts, args.runs)
    data_dir = Path(args.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"accounts": n, "territories": 1_000, "runs": runs}
    for backend in args.backends.split(","):
        url = _database(backend, data_dir, n)
        result |= _figures(backend, url, runs, n, Path(args.baseline) if args.baseline else None)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
