"""The layer rule: geo/ imports no web framework, pydantic, SQL or driver; maps/ no service."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN_IN_GEO = (
    "fastapi",
    "starlette",
    "pydantic",
    "sqlalchemy",
    "psycopg",
    "sqlite3",
    "alembic",
    "service",
    "maps",
)
FORBIDDEN_IN_MAPS = ("fastapi", "starlette", "sqlalchemy", "psycopg", "alembic", "service")


def _modules(package: str) -> list[str]:
    # Every module of the package, subpackages included.
    found = pkgutil.walk_packages([str(ROOT / package)], prefix=f"{package}.")
    return sorted(m.name for m in found) + [package]


def _imported_by(module: str) -> set[str]:
    code = (
        "import sys, json; before = set(sys.modules); import importlib; "
        f"importlib.import_module({module!r}); "
        "print(json.dumps(sorted({m.split('.')[0] for m in set(sys.modules) - before})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("module", _modules("geo"))
def test_geo_module_imports_no_web_sql_or_driver(module: str) -> None:
    leaked = _imported_by(module) & set(FORBIDDEN_IN_GEO)
    assert not leaked, f"{module} pulls in {sorted(leaked)}"


@pytest.mark.parametrize("module", _modules("maps"))
def test_maps_module_imports_no_service_or_sql(module: str) -> None:
    leaked = _imported_by(module) & set(FORBIDDEN_IN_MAPS)
    assert not leaked, f"{module} pulls in {sorted(leaked)}"


def test_layer_check_would_catch_a_leak(tmp_path: Path) -> None:
    # The check itself must be able to fail: a module importing sqlalchemy is seen.
    assert "sqlalchemy" in _imported_by("service.storage.tables")
