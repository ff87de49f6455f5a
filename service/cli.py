"""The ``territory`` command: serve, token, import, render-map.

Each subcommand is a thin call into the library; settings come from
``TERRITORY_*`` environment variables like the service's.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from service.settings import Settings, get_settings


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    return int(args.func(args, get_settings()) or 0)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="territory", description="Territory Mapper service and tools.")
    sub = p.add_subparsers()
    serve = sub.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers", type=int, default=None, help="worker processes (default WEB_CONCURRENCY or 1)"
    )
    serve.add_argument(
        "--demo", action="store_true", help="seed demo data and print one token per role"
    )
    serve.set_defaults(func=_serve)

    token = sub.add_parser("token", help="manage access tokens")
    tsub = token.add_subparsers()
    create = tsub.add_parser("create", help="create a token and print it once")
    create.add_argument("--role", choices=("admin", "manager", "rep"), required=True)
    create.add_argument("--owner", default=None, help="who holds it (for the audit log)")
    create.add_argument("--rep-id", type=int, default=None)
    create.add_argument("--region-id", type=int, default=None, help="a manager's territory subtree")
    create.add_argument("--expires-days", type=float, default=None)
    create.set_defaults(func=_token_create)
    tlist = tsub.add_parser("list", help="list tokens (never their secrets)")
    tlist.set_defaults(func=_token_list)
    revoke = tsub.add_parser("revoke", help="revoke a token by id")
    revoke.add_argument("token_id", type=int)
    revoke.set_defaults(func=_token_revoke)

    imp = sub.add_parser("import", help="import accounts from CSV or GeoJSON (streamed)")
    imp.add_argument("path")
    imp.add_argument(
        "--keep-good-rows", action="store_true", help="store the good rows even if some fail"
    )
    imp.add_argument("--quiet", action="store_true", help="no progress bar")
    imp.set_defaults(func=_import)

    render = sub.add_parser("render-map", help="write a map page to a file")
    render.add_argument("kind", choices=("coverage",))
    render.add_argument("out")
    render.add_argument("--metric", default="accounts")
    render.set_defaults(func=_render_map)
    return p


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import os

    from service.demo.seed import ensure_demo, refuse_without_auth
    from service.worker_pool import run_workers

    if args.demo:
        tokens = ensure_demo(settings)
        os.environ["TERRITORY_DEMO_STARTED"] = "1"
        print(f"Territory Mapper demo on http://{args.host}:{args.port}/  (API docs: /docs)")
        for role, token in tokens.items():
            print(f"  {role:8s} token: {token}")
        print(f"  map editor: http://{args.host}:{args.port}/editor")
        sys.stdout.flush()
    elif (reason := refuse_without_auth(settings)) is not None:
        print(reason, file=sys.stderr)
        return 2
    workers = args.workers or int(os.environ.get("WEB_CONCURRENCY", "1"))
    config = {
        "app": "service.app:create_app",
        "factory": True,
        "host": args.host,
        "port": args.port,
        "log_level": "warning",
    }
    try:
        return run_workers(config, workers)
    except OSError as exc:  # the port is taken, or the host is not this machine's
        print(f"Cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1


def _token_create(args: argparse.Namespace, settings: Settings) -> int:
    from service.storage import Store
    from service.tokens import create_token

    expires = datetime.now(UTC) + timedelta(days=args.expires_days) if args.expires_days else None
    store = Store.open(settings.database_url)
    token, record = create_token(
        store,
        role=args.role,
        owner=args.owner or f"cli-{args.role}",
        rep_id=args.rep_id,
        region_id=args.region_id,
        expires_at=expires,
        actor="cli",
    )
    print(token)
    print(f"token id {record.id}, role {record.role}", file=sys.stderr)
    return 0


def _token_list(args: argparse.Namespace, settings: Settings) -> int:
    from service.storage import Store

    with Store.open(settings.database_url).read() as tx:
        for t in tx.find_tokens():
            state = (
                "revoked"
                if t.revoked_at
                else ("active" if t.is_active(datetime.now(UTC)) else "expired")
            )
            print(f"{t.id}\t{t.role}\t{t.owner}\trep={t.rep_id}\tregion={t.region_id}\t{state}")
    return 0


def _token_revoke(args: argparse.Namespace, settings: Settings) -> int:
    from service.storage import Store

    store = Store.open(settings.database_url)
    with store.write() as tx:
        tx.revoke_token(args.token_id)
        tx.audit("cli", "revoke", "token", str(args.token_id), None)
    print(f"revoked token {args.token_id}")
    return 0


def _import(args: argparse.Namespace, settings: Settings) -> int:
    import json

    from service.storage import Store
    from service.usecases.account_import import import_file

    store = Store.open(settings.database_url)
    with _progress_bar(args.path, quiet=args.quiet) as control:
        report = import_file(
            store, settings, args.path, atomic=not args.keep_good_rows, actor="cli", control=control
        )
    print(json.dumps(report.summary(), indent=2))
    return 0 if not report.failed or not report.atomic else 1


@contextmanager
def _progress_bar(path: str, *, quiet: bool) -> Iterator[Any]:
    """A tqdm bar on stderr over the rows staged (the total counts the file's lines)."""
    from tqdm import tqdm

    from service.usecases.account_import import ImportControl

    with open(path, "rb") as fh:
        total = sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b"")) - 1
    if path.lower().endswith((".json", ".geojson")):
        total = 0
    bar = tqdm(total=total or None, unit="rows", disable=quiet, file=sys.stderr)

    def progress(rows: int) -> None:
        bar.update(rows - bar.n)

    try:
        yield ImportControl(progress=progress)
    finally:
        bar.close()


def _render_map(args: argparse.Namespace, settings: Settings) -> int:
    import shutil
    from pathlib import Path

    from maps.assets import VENDOR_DIR
    from service.storage import Store
    from service.views.map_pages import coverage_html

    out = Path(args.out)
    store = Store.open(settings.database_url)
    try:
        # The page loads Leaflet from a folder beside it, so it opens offline.
        html = coverage_html(store, settings, metric=args.metric, asset_base_url="static/vendor")
    finally:
        store.dispose()
    out.write_text(html, encoding="utf-8")
    shutil.copytree(VENDOR_DIR, out.parent / "static" / "vendor", dirs_exist_ok=True)
    print(f"wrote {out} ({len(html) / 1e6:.1f} MB) and its assets in {out.parent / 'static'}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
