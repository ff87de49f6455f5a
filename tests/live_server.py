"""A real server: uvicorn in a subprocess on a free port, for tests that kill it or run two."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN_TOKEN

REPO = Path(__file__).resolve().parents[1]


def serve(database_url: str, cwd: Path, **settings: Any) -> tuple[subprocess.Popen[bytes], str]:
    """Start the app on ``database_url``; answers (process, base URL) once /readyz says ready."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))  # uvicorn serves on this very socket: no port race
    sock.listen(64)
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "TERRITORY_DATABASE_URL": database_url,
        "TERRITORY_BOOTSTRAP_ADMIN_TOKEN": ADMIN_TOKEN,
        "TERRITORY_RATE_LIMIT_PER_MINUTE": "0",
        "TERRITORY_ANONYMOUS_RATE_PER_MINUTE": "0",
        **{f"TERRITORY_{k.upper()}": str(v) for k, v in settings.items()},
    }
    argv = ["-m", "uvicorn", "service.app:create_app", "--factory", "--log-level", "warning"]
    proc = subprocess.Popen(
        [sys.executable, *argv, "--fd", str(sock.fileno())],
        env=env,
        cwd=cwd,
        pass_fds=(sock.fileno(),),
    )
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()  # the child holds its own copy
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            proc.wait(30)  # reaped here: a Popen collected while running warns in a later test
            pytest.fail("the server did not start")
        time.sleep(0.2)


def admin_client(base: str, timeout: float = 120) -> httpx.Client:
    """An HTTP client to a served app that sends the bootstrap admin token."""
    return httpx.Client(
        base_url=base, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=timeout
    )
