"""Architecture rules: the layers (geo/ imports no web, pydantic, SQL or driver; maps/ no service), module size, geo/ top level."""

from __future__ import annotations

import json
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

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


def _imported_by(*modules: str) -> set[str]:
    # Top-level packages that importing ``modules`` pulls in, in a fresh interpreter.
    code = (
        "import sys, json, importlib; before = set(sys.modules)\n"
        f"for name in {list(modules)!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in set(sys.modules) - before})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def _leaks(package: str, forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    # One interpreter imports the whole package: what any one module pulls in
    # is part of that union, so a clean union clears every module at once (one
    # start-up instead of one per module). Only when it is not clean is each
    # module imported alone, to name the ones that leak.
    if not _imported_by(*_modules(package)) & set(forbidden):
        return {}
    alone = {m: sorted(_imported_by(m) & set(forbidden)) for m in _modules(package)}
    return {m: leaked for m, leaked in alone.items() if leaked}


def test_geo_modules_import_no_web_sql_or_driver() -> None:
    leaks = _leaks("geo", FORBIDDEN_IN_GEO)
    assert not leaks, f"geo modules pull in forbidden packages: {leaks}"


def test_maps_modules_import_no_service_or_sql() -> None:
    leaks = _leaks("maps", FORBIDDEN_IN_MAPS)
    assert not leaks, f"maps modules pull in forbidden packages: {leaks}"


def test_layer_check_would_catch_a_leak(tmp_path: Path) -> None:
    # The check itself must be able to fail: a module importing sqlalchemy is seen.
    assert "sqlalchemy" in _imported_by("service.storage.tables")
    leak = tmp_path / "leaky_pkg"
    (leak / "inner").mkdir(parents=True)
    (leak / "__init__.py").write_text("")
    (leak / "inner" / "__init__.py").write_text("")
    (leak / "inner" / "bad.py").write_text("import sqlalchemy\n")
    code = (
        f"import sys; sys.path.insert(0, {str(tmp_path)!r}); sys.argv = ['x']\n"
        "import tests.test_layers as t\n"
        f"t.ROOT = __import__('pathlib').Path({str(tmp_path)!r})\n"
        "print(t._leaks('leaky_pkg', ('sqlalchemy',)))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert "'leaky_pkg.inner.bad': ['sqlalchemy']" in out.stdout, out.stderr


MAX_MODULE_LINES = 400
MAX_GEO_TOP_LEVEL = 12
# Modules over the limit, each with the reason it still is; the list only shrinks.
OVERSIZED: dict[str, str] = {}


def _python_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _oversized() -> dict[str, int]:
    found = {}
    for package in ("geo", "service", "maps"):
        for path in _python_files(package):
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > MAX_MODULE_LINES:
                found[path.relative_to(ROOT).as_posix()] = lines
    return found


def test_no_module_in_geo_service_or_maps_passes_400_lines() -> None:
    over = {name: n for name, n in _oversized().items() if name not in OVERSIZED}
    assert not over, f"modules over {MAX_MODULE_LINES} lines: {over}; split them"


def test_the_oversized_exceptions_are_still_needed() -> None:
    # An exception whose module was split (or removed) must leave the list.
    stale = set(OVERSIZED) - set(_oversized())
    assert not stale, f"no longer over {MAX_MODULE_LINES} lines, drop from OVERSIZED: {stale}"


def test_geo_top_level_holds_at_most_twelve_modules() -> None:
    top = sorted(p.stem for p in (ROOT / "geo").glob("*.py") if p.stem != "__init__")
    assert len(top) <= MAX_GEO_TOP_LEVEL, f"geo/ top level has {len(top)} modules: {top}"


def test_geo_imports_no_web_or_sql_code_even_lazily() -> None:
    # The import test above sees module-level imports; this one reads the
    # source, so an import inside a function cannot slip through either.
    pattern = re.compile(
        r"^\s*(?:from|import)\s+(" + "|".join(FORBIDDEN_IN_GEO) + r")\b", re.MULTILINE
    )
    leaks = {
        path.relative_to(ROOT).as_posix(): pattern.findall(path.read_text(encoding="utf-8"))
        for path in _python_files("geo")
    }
    assert not {k: v for k, v in leaks.items() if v}
