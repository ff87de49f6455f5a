"""Start-up does no map work: Folium, mapclassify, matplotlib and fpdf2 load with the first map."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("folium", "branca", "mapclassify", "matplotlib", "fpdf", "geopandas", "scipy")
# Seconds of CPU at import that only some requests need: off the start-up path too.
LAZY = ("networkx", "pygeofilter.parsers.cql2_text", "pygeofilter.parsers.ecql", "icalendar")

SCRIPT = f"""
import json, sys
from fastapi.testclient import TestClient
from service.app import create_app
from tests.conftest import ADMIN_TOKEN, make_settings
app = create_app(make_settings(sys.argv[1]))
with TestClient(app, headers={{"Authorization": "Bearer " + ADMIN_TOKEN}}) as client:
    assert client.get("/healthz").status_code == 200
    at_start = [m for m in {HEAVY + LAZY!r} if m in sys.modules]
    assert client.get("/maps/coverage").status_code == 200
    assert client.get("/maps/coverage.png").status_code == 200
    after_maps = [m for m in {HEAVY!r} if m in sys.modules]
print(json.dumps([at_start, after_maps]))
"""


def test_the_app_starts_without_the_map_libraries_and_loads_them_for_a_map(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'territory.db'}"
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, url], cwd=ROOT, capture_output=True, text=True, check=True
    )
    at_start, after_maps = json.loads(out.stdout.strip().splitlines()[-1])
    assert at_start == []
    assert {"folium", "mapclassify", "matplotlib"} <= set(after_maps)
