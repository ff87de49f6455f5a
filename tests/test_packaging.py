"""The image's start target and the console script import and start (no Docker engine here)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_images_command_serves_with_its_workers(tmp_path: Path) -> None:
    import os
    import signal
    import socket

    import httpx

    from tests.conftest import ADMIN_TOKEN

    cmd = re.search(r"^CMD \[(.*)\]$", (ROOT / "Dockerfile").read_text(), re.M)
    assert cmd is not None
    args = [a.strip().strip('"') for a in cmd.group(1).split(",")]
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert args[:2] == ["territory", "serve"] and "territory" in scripts
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    argv = [a if a != "8000" else str(port) for a in args[1:]]
    argv = [a if a != "0.0.0.0" else "127.0.0.1" for a in argv]
    env = {
        **os.environ,
        "TERRITORY_DATABASE_URL": f"sqlite:///{tmp_path / 'img.db'}",
        "TERRITORY_BOOTSTRAP_ADMIN_TOKEN": ADMIN_TOKEN,
        "WEB_CONCURRENCY": "2",  # as the image sets it
    }
    main = "import sys; from service.cli import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.Popen([sys.executable, "-c", main, *argv], cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None and time.monotonic() < deadline
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)


def test_console_script_points_at_a_working_main() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, func = scripts["territory"].split(":")
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys; from {module} import {func}; sys.exit({func}(['--help']))",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert out.returncode == 0 and "serve" in out.stdout and "token" in out.stdout


def test_serve_refuses_to_start_without_authentication(tmp_path: Path) -> None:
    env = {"TERRITORY_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from service.cli import main; sys.exit(main(['serve', '--port', '0']))",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    )
    assert out.returncode == 2
    assert "Refusing to start without authentication" in out.stderr


def test_readme_opens_with_the_two_commands_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)\n```", readme, re.S)
    assert blocks[0] == "pip install -e . && territory serve --demo"
    assert blocks[1] == "pip install -e '.[test]' && pytest"
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python3 -m pip install -q -e '.[test]' && python3 -m pytest" in ci


def test_cli_import_and_render_map_work_on_a_real_file(tmp_path: Path) -> None:
    import os

    env = {**os.environ, "TERRITORY_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    run = lambda *a: subprocess.run(  # noqa: E731
        [
            sys.executable,
            "-c",
            "import sys; from service.cli import main; sys.exit(main(sys.argv[1:]))",
            *a,
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    csv = tmp_path / "accounts.csv"
    csv.write_text("id,name,lon,lat\na1,A,-83.0,40.0\na2,B,-82.5,40.1\n")
    imported = run("import", str(csv))
    assert imported.returncode == 0, imported.stderr
    assert '"created": 2' in imported.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("id,lon\nx,abc\n")
    assert run("import", str(bad)).returncode == 1
    out = tmp_path / "site" / "coverage.html"
    out.parent.mkdir()
    rendered = run("render-map", "coverage", str(out))
    assert rendered.returncode == 0, rendered.stderr
    html = out.read_text()
    assert "static/vendor/leaflet-1.9.4/leaflet.js" in html
    assert (out.parent / "static" / "vendor" / "leaflet-1.9.4" / "leaflet.js").exists()
    assert "https://" not in html.split("<body")[0]
    token = run("token", "create", "--role", "admin")
    assert token.returncode == 0 and token.stdout.startswith("tm_")
    listed = run("token", "list")
    assert "admin" in listed.stdout and token.stdout.strip() not in listed.stdout
