"""What a bench ran on: the versions of the packages on its path and the machine's speed.

Figures from different sessions ran on different machines and on whatever
the registry held at install: an upgrade of the web framework or of a
database driver moves them as much as our code does. Each bench's last line
carries this record so that two figures can be told comparable or not.
"""

from __future__ import annotations

import os
import platform
import time
from importlib import metadata
from pathlib import Path
from typing import Any

# The packages on the request path and under the benches' baselines.
PACKAGES = (
    "fastapi",
    "starlette",
    "uvicorn",
    "uvloop",
    "httptools",
    "pydantic",
    "orjson",
    "SQLAlchemy",
    "psycopg",
    "shapely",
    "numpy",
    "geopandas",
    "pyproj",
)


def environment() -> dict[str, Any]:
    """Python, the packages' versions, the cores and the loop speed of this machine."""
    return {
        "python": platform.python_version(),
        "packages": {name: _version(name) for name in PACKAGES},
        "cores": os.cpu_count(),
        "loop_10m_additions_s": loop_speed(),
        "cpu_idle": cpu_idle(),
    }


def cpu_idle() -> dict[str, str | None]:
    """How this machine's cores sleep when idle: the cpuidle driver and, under the
    haltpoll driver of a virtual machine, how long a core polls before it halts.

    A request hands work between the loop, its lane, PostgreSQL and the load
    generator several times, and each hand-over may wake a core that slept.
    On a KVM guest with ``guest_halt_poll_ns`` at 0 every such sleep is a halt
    and each wake-up goes through the host: the mix's server CPU a request fell
    by 14-35 % (four pairs of runs) when a nice-19 busy loop kept both cores
    awake (PostGIS, one worker). Figures taken under other settings are not
    comparable.
    """
    base = Path("/sys/devices/system/cpu/cpuidle")
    poll = Path("/sys/module/haltpoll/parameters/guest_halt_poll_ns")
    return {"driver": _read(base / "current_driver"), "guest_halt_poll_ns": _read(poll)}


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:  # not Linux, or no such driver here
        return None


def loop_speed() -> float:
    """Seconds for ten million additions in a pure-Python loop, the best of three.

    The same figure the notes quote for each machine: it says how fast this
    core runs the interpreter, which bounds what a one-worker server can do.
    """
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for i in range(10_000_000):
            total += i
        best = min(best, time.perf_counter() - started)
    return round(best, 2)


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None
