"""Imports racing territory edits (and edits racing edits) end with the owners a fresh assignment gives.

Issue 13: an import that read the territories when it started kept the old
rep for every imported account when a territory edit committed meanwhile.
Each test below lets writers race on the real app (both backends) and then
compares every stored assignment with a full assignment computed from
scratch over what is stored.
"""

from __future__ import annotations

import io
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from geo.assign.assignment import assign_accounts
from geo.assign.index import TerritoryIndex
from service.storage.account_bulk import AccountStaging
from service.usecases.account_import import ImportControl, import_rows
from service.usecases.account_rows import csv_rows
from tests.conftest import ApiClient
from tests.service.test_accounts_api import import_csv, rep, square, territory

HEADER = "id,name,lon,lat\n"


def _csv(prefix: str, n: int, seed: int, box: tuple[float, float, float, float]) -> str:
    rng = random.Random(seed)
    minx, miny, maxx, maxy = box
    lines = [
        f"{prefix}-{i},Acct {i},{rng.uniform(minx, maxx):.6f},{rng.uniform(miny, maxy):.6f}"
        for i in range(n)
    ]
    return HEADER + "\n".join(lines) + "\n"


def _mismatches(client: Any) -> list[tuple[str, Any, Any]]:
    """Stored assignments that differ from a fresh full assignment of every stored account."""
    store = client.app.state.store
    with store.read() as tx:
        stored = tx.find_accounts()
        index = TerritoryIndex.build(tx.find_territories())
    fresh = assign_accounts([s.account for s in stored], index)
    return [
        (s.account.id, s.assignment, f)
        for s, f in zip(stored, fresh, strict=True)
        if s.assignment != f
    ]


def _patch(client: ApiClient, tid: int, props: dict[str, Any], geometry: Any = None) -> int:
    version = client.get(f"/territories/{tid}").headers["etag"]
    body: dict[str, Any] = {"properties": props}
    if geometry is not None:
        body["geometry"] = geometry
    r = client.patch(f"/territories/{tid}", json=body, headers={"If-Match": version})
    assert r.status_code == 200, r.text
    return r.status_code


def test_import_racing_a_rep_change_ends_with_every_account_under_the_new_rep(
    client: ApiClient,
) -> None:
    ann, bob = rep(client, "Ann"), rep(client, "Bob")
    west = territory(client, "West", square(-84, 39), rep_ids=[ann])
    territory(client, "East", square(-83, 39), rep_ids=[bob])
    for trial in range(4):
        body = _csv(f"t{trial}", 1500, trial, (-83.99, 39.01, -83.01, 39.99))
        answers: dict[str, int] = {}

        def run_import(body: str = body, answers: dict[str, int] = answers) -> None:
            r = client.post("/accounts/import", content=body, headers={"Content-Type": "text/csv"})
            answers["import"] = r.status_code

        worker = threading.Thread(target=run_import)
        worker.start()
        time.sleep(0.05 + 0.2 * trial)
        answers["edit"] = _patch(client, west, {"rep_ids": [bob if trial % 2 == 0 else ann]})
        worker.join()
        assert answers == {"import": 200, "edit": 200}
        assert _mismatches(client) == [], f"trial {trial}"


def test_import_racing_a_geometry_edit_assigns_against_the_territories_at_its_commit(
    client: ApiClient,
) -> None:
    ann, bob = rep(client, "Ann"), rep(client, "Bob")
    west = territory(client, "West", square(-84, 39), rep_ids=[ann])
    east = territory(client, "East", square(-83, 39), rep_ids=[bob])
    for trial in range(4):
        body = _csv(f"g{trial}", 1500, 100 + trial, (-83.99, 39.01, -82.01, 39.99))
        shift = 0.3 if trial % 2 == 0 else -0.3
        results: list[int] = []

        def move_border(
            shift: float = shift, delay: float = 0.1 * trial, results: list[int] = results
        ) -> None:
            time.sleep(delay)
            # Shrink first, then grow, so the two never overlap.
            moves = [
                (west, _rect(-84, 39, -83 + shift, 40)),
                (east, _rect(-83 + shift, 39, -82, 40)),
            ]
            for tid, shape in moves if shift < 0 else moves[::-1]:
                results.append(_patch(client, tid, {}, shape))

        mover = threading.Thread(target=move_border)
        mover.start()
        r = client.post("/accounts/import", content=body, headers={"Content-Type": "text/csv"})
        mover.join()
        assert r.status_code == 200 and results == [200, 200]
        assert _mismatches(client) == [], f"trial {trial}"


def test_edit_committed_between_staging_and_commit_is_seen_by_the_import(
    client: ApiClient,
) -> None:
    """The edit lands while the import prepares (deterministic): the commit re-assigns."""
    ann, bob = rep(client, "Ann"), rep(client, "Bob")
    west = territory(client, "West", square(-84, 39), rep_ids=[ann])
    edited: list[int] = []

    def edit_once(rows: int) -> None:
        if not edited:
            edited.append(_patch(client, west, {"rep_ids": [bob]}))

    app = client.app
    body = _csv("d", 8_000, 7, (-83.99, 39.01, -83.01, 39.99)).encode()
    report = import_rows(
        app.state.store,  # type: ignore[attr-defined]
        app.state.index_cache,  # type: ignore[attr-defined]
        app.state.geocoder,  # type: ignore[attr-defined]
        csv_rows(io.BytesIO(body)),
        atomic=True,
        actor="test",
        max_rows=10**6,
        control=ImportControl(progress=edit_once),
    )
    assert edited == [200] and report.stored and report.created == 8_000
    reps = {a["properties"]["rep_id"] for a in _all_accounts(client)}
    assert reps == {bob}
    assert _mismatches(client) == []


def test_edit_committed_after_new_accounts_are_written_and_before_the_lock_is_caught_up(
    client: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = client.app
    if app.state.store.name == "sqlite":  # type: ignore[attr-defined]
        pytest.skip("SQLite takes the writers' lock at BEGIN: nothing runs before it")
    ann, bob = rep(client, "Ann"), rep(client, "Bob")
    west = territory(client, "West", square(-84, 39), rep_ids=[ann])
    updated = territory(client, "Kept", square(-83, 39), rep_ids=[ann])
    import_csv(client, HEADER + "k-1,Old,-82.5,39.5\n").raise_for_status()
    real = AccountStaging.streaming

    @contextmanager
    def then_edit(self: AccountStaging, now: Any, actor: str | None) -> Iterator[None]:
        with real(self, now, actor):
            yield
        # New rows written, uncommitted, lock not taken yet.
        assert self.inserted == 3_000
        _patch(client, west, {"rep_ids": [bob]})
        _patch(client, updated, {"rep_ids": [bob]})

    monkeypatch.setattr(AccountStaging, "streaming", then_edit)
    body = _csv("m", 3_000, 11, (-83.99, 39.01, -82.01, 39.99))
    body += "k-1,Renamed,-82.5,39.5\n"
    r = client.post("/accounts/import", content=body, headers={"Content-Type": "text/csv"})
    assert r.status_code == 200, r.text
    assert (r.json()["created"], r.json()["updated"]) == (3_000, 1)
    accounts = _all_accounts(client)
    assert {a["properties"]["rep_id"] for a in accounts} == {bob}
    assert _mismatches(client) == [] and len(accounts) == 3_001


def test_edits_racing_edits_leave_the_owners_of_a_full_assignment(client: ApiClient) -> None:
    ann, bob = rep(client, "Ann"), rep(client, "Bob")
    west = territory(client, "West", square(-84, 39), rep_ids=[ann])
    east = territory(client, "East", square(-83, 39), rep_ids=[bob])
    r = client.post(
        "/accounts/import",
        content=_csv("e", 3000, 5, (-83.99, 39.01, -82.01, 39.99)),
        headers={"Content-Type": "text/csv"},
    )
    assert r.status_code == 200
    for trial in range(4):
        x = -83.1 - 0.1 * trial
        reps = [ann, bob] if trial % 2 == 0 else [bob]
        codes: list[int] = []

        def edit(tid: int, props: dict[str, Any], shape: Any, codes: list[int] = codes) -> None:
            codes.append(_patch(client, tid, props, shape))

        threads = [
            threading.Thread(target=edit, args=(west, {}, _rect(-84, 39, x, 40))),
            threading.Thread(target=edit, args=(east, {"rep_ids": reps}, None)),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert codes == [200, 200]
        assert _mismatches(client) == [], f"trial {trial}"


def _rect(minx: float, miny: float, maxx: float, maxy: float) -> dict[str, Any]:
    return {
        "type": "Polygon",
        "coordinates": [[[minx, miny], [maxx, miny], [maxx, maxy], [minx, maxy], [minx, miny]]],
    }


def _all_accounts(client: ApiClient) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    url: str | None = "/accounts?limit=1000"
    while url:
        page = client.get(url).json()
        out.extend(page["features"])
        url = next((link["href"] for link in page["links"] if link["rel"] == "next"), None)
    return out
