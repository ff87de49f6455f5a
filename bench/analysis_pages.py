"""Analysis pages at scale: cold, warm and after one territory edit, ours beside a baseline.

Seeds a tenant (``bench._tenant``: 1,000 county territories, 100 reps,
100,000 accounts by default) on SQLite, or reuses ``--db``; copies it once per
server so both start from the same data; starts one uvicorn worker on our
code and one on ``--baseline`` (another checkout, e.g. the code before this
branch), one after the other; times ``/readyz`` and every page cold, warm
and after one territory PATCH (one request at a time); checks that both
answer the same (the CSP nonce of HTML pages apart); prints one JSON line.

    PYTHONPATH=. python3 bench/analysis_pages.py --baseline /work/main --db /tmp/t.db
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "admin-token-bench-0123456789abcdef"
PAGES = [
    "/analysis/overlaps",
    "/analysis/gaps",
    "/analysis/too-far",
    "/analysis/territories",
    "/analysis/accounts",
    "/analysis/goals",
    "/analysis/review",
    "/analysis/reps",
    "/analysis/balance",
    "/analysis/travel",
    "/analysis/conflicts",
    "/analysis/seasonality?territory_id=5",
    "/dashboards",
    "/maps/coverage",
    "/maps/coverage.png",
]
HTML = {"/dashboards", "/maps/coverage"}


def _copy(src: str, dst: str) -> None:
    # The backup API copies a consistent database, WAL included.
    with sqlite3.connect(f"file:{src}?mode=ro", uri=True) as s, sqlite3.connect(dst) as d:
        s.backup(d)


def _serve(code: str, db: str, warm_travel: bool) -> tuple[subprocess.Popen[bytes], str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    env = {
        **os.environ,
        "PYTHONPATH": code,
        "TERRITORY_DATABASE_URL": f"sqlite:///{db}",
        "TERRITORY_BOOTSTRAP_ADMIN_TOKEN": TOKEN,
        "TERRITORY_RATE_LIMIT_PER_MINUTE": "0",
        "TERRITORY_ANONYMOUS_RATE_PER_MINUTE": "0",
        "TERRITORY_WARM_TRAVEL_FIGURES": "1" if warm_travel else "0",
    }
    cmd = [sys.executable, "-m", "uvicorn", "service.app:create_app", "--factory"]
    cmd += ["--log-level", "warning", "--fd", str(sock.fileno())]
    proc = subprocess.Popen(
        cmd, env=env, pass_fds=(sock.fileno(),), cwd=code, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()
    return proc, base


def _body(path: str, r: httpx.Response) -> Any:
    if path.endswith(".png"):
        return _Picture(r.content)
    if path not in HTML:
        return r.json()
    # A page's nonce, the random hex names Folium gives each element
    # (map_<32 hex digits>) and the minute of "Data as of" change on every
    # render: not part of the answer.
    page = re.sub(r'nonce="[^"]*"', "", r.text)
    return _AS_OF.sub("Data as of", _FOLIUM_NAME.sub("_", page))


class _Picture:
    """A PNG compared by its pixels, allowing the few that its "Data as of" minute takes.

    Two renders a minute apart differ in that caption's digits only (0.01 %
    of the pixels at 100,000 accounts); one county moved by 0.3 degrees
    changes 0.7 %.
    """

    ALLOWED_SHARE = 0.001

    def __init__(self, content: bytes) -> None:
        from PIL import Image

        self.pixels = np.asarray(Image.open(io.BytesIO(content)).convert("RGB"))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Picture) or self.pixels.shape != other.pixels.shape:
            return False
        differing = np.any(self.pixels != other.pixels, axis=-1).mean()
        return bool(differing <= self.ALLOWED_SHARE)

    __hash__ = None  # type: ignore[assignment]


_AS_OF = re.compile(r"Data as of \d{4}-\d\d-\d\d \d\d:\d\d UTC")
_FOLIUM_NAME = re.compile(r"_[0-9a-f]{32}")


def _pass(c: httpx.Client, pages: list[str]) -> tuple[dict[str, float], dict[str, Any]]:
    times: dict[str, float] = {}
    bodies: dict[str, Any] = {}
    for p in pages:
        t = time.perf_counter()
        r = c.get(p, headers={"Accept": "text/html" if p in HTML else "application/json"})
        times[p] = round(time.perf_counter() - t, 3)
        r.raise_for_status()
        bodies[p] = _body(p, r)
        times[f"{p} bytes"] = len(r.content)  # beside the time: what the client downloads
    return times, bodies


def run_one(code: str, db: str, pages: list[str], warm_travel: bool) -> dict[str, Any]:
    """Start a server on ``code`` and ``db``; times and answers of every pass."""
    t0 = time.monotonic()
    proc, base = _serve(code, db, warm_travel)
    try:
        c = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=900)
        healthz = None
        while True:
            try:
                if healthz is None and c.get("/healthz").status_code == 200:
                    healthz = time.monotonic() - t0
                if c.get("/readyz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        ready = time.monotonic() - t0
        cold, answers = _pass(c, pages)
        warm, again = _pass(c, pages)
        t = c.get("/territories/5").json()
        r = c.patch(
            "/territories/5",
            json={"properties": {"name": t["properties"]["name"] + " x"}},
            headers={"If-Match": "*"},
        )
        r.raise_for_status()
        edited, after = _pass(c, pages)
        # An edit that moves accounts between books: territory 5 to another rep
        # (a rename moves none, so every rep's figures could be carried over).
        rep_ids = t["properties"]["rep_ids"]
        other = next(i for i in range(1, 1000) if i not in rep_ids)
        r = c.patch(
            "/territories/5", json={"properties": {"rep_ids": [other]}}, headers={"If-Match": "*"}
        )
        r.raise_for_status()
        rep_changed, _ = _pass(c, pages)
        return {
            "healthz_s": round(healthz or ready, 2),
            "ready_s": round(ready, 2),
            "cold_s": cold,
            "warm_s": warm,
            "after_edit_s": edited,
            "after_rep_change_s": rep_changed,
            "warm_equal_cold": again == answers,
            "answers": answers,
            "after": after,
        }
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def _against_targets(run: dict[str, Any], pages: list[str]) -> dict[str, Any]:
    """Issue 14: warm JSON under 0.3 s, HTML pages and the PNG under 2 s; after
    one territory edit (either kind) every page under 1 s, HTML and PNG
    included, as the issue says. The pages over, and whether each holds."""

    def page(p: str) -> bool:
        return p in HTML or p.endswith(".png")

    warm_over = [p for p in pages if run["warm_s"][p] > (2.0 if page(p) else 0.3)]
    edit_over = sorted(
        {p for p in pages for k in ("after_edit_s", "after_rep_change_s") if run[k][p] > 1.0}
    )
    return {
        "warm_over": warm_over,
        "after_edit_over": edit_over,
        "met": {"warm": not warm_over, "after_edit": not edit_over},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", default=None, help="Checkout to compare with (its code).")
    ap.add_argument("--db", default=None, help="A seeded SQLite file to reuse (else seeded).")
    ap.add_argument("--territories", type=int, default=1_000)
    ap.add_argument("--reps", type=int, default=100)
    ap.add_argument("--accounts", type=int, default=100_000)
    ap.add_argument("--pages", default=",".join(PAGES), help="Comma-separated paths.")
    ap.add_argument("--warm-travel", action="store_true", help="Plan travel at start (slow).")
    args = ap.parse_args()
    pages = args.pages.split(",")
    work = tempfile.mkdtemp(prefix="analysis-pages-")
    try:
        source = args.db
        if source is None:
            from bench._tenant import seed_tenant

            source = f"{work}/seed.db"
            seed_tenant(
                f"sqlite:///{source}",
                territories=args.territories,
                reps=args.reps,
                accounts=args.accounts,
            )
        runs: dict[str, Any] = {}
        for label, code in (("baseline", args.baseline), ("ours", str(ROOT))):
            if code is None:
                continue
            db = f"{work}/{label}.db"
            _copy(source, db)
            runs[label] = run_one(code, db, pages, args.warm_travel)
            print(label, {k: v for k, v in runs[label].items() if k.endswith("_s")}, flush=True)
        ours = runs["ours"]
        out: dict[str, Any] = {
            "bench": "analysis_pages",
            "pages": pages,
            **{
                f"{label}_{k}": v
                for label, r in runs.items()
                for k, v in r.items()
                if k.endswith("_s") or k == "warm_equal_cold"
            },
        }
        out["ours_vs_targets"] = _against_targets(ours, pages)
        if "baseline" in runs:
            base = runs["baseline"]
            out["answers_agree"] = base["answers"] == ours["answers"]
            out["after_edit_answers_agree"] = base["after"] == ours["after"]
            out["differ"] = sorted(
                p for p in pages if base["answers"][p] != ours["answers"][p]
            )  # fmt: skip
        print(json.dumps(out))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
