"""ogctests Part 3 (corrected) through the in-process app, on both backends.

Part of the run in ``test_ogc_clients`` (against uvicorn, with Part 1,
which fetches the OpenAPI document over the network itself), without a
server process: quick enough for every change to the filter code.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ApiClient
from tests.ogctests_shim import assert_all_passed, run_ogctests


@pytest.fixture
def seeded(client: ApiClient) -> ApiClient:
    home = {"type": "Point", "coordinates": [-83.2, 39.9]}
    client.post("/reps", json={"name": "Ann", "home": home}).raise_for_status()
    ring = [[-83.3, 39.8], [-83.1, 39.8], [-83.1, 40.0], [-83.3, 40.0], [-83.3, 39.8]]
    west = {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]}}
    west["properties"] = {"name": "West", "code": "W1", "rep_ids": [1]}
    client.post("/territories", json=west).raise_for_status()
    rows = ["id,name,lon,lat,city,annual_revenue,stage"]
    rows += [f"A{i},Account {i},{-83.25 + i * 0.005},39.9,Dayton,{i * 10},lead" for i in range(20)]
    r = client.post(
        "/accounts/import", content="\n".join(rows).encode(), headers={"Content-Type": "text/csv"}
    )
    r.raise_for_status()
    return client


def test_ogctests_part_3_passes(seeded: ApiClient, tmp_path: Path) -> None:
    assert_all_passed(run_ogctests(seeded, tmp_path, part_1=False), part_1=False)
