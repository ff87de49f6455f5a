"""The log memo (service.storage.log_memo): what this process committed, known without the store.

Two stores on one database stand for two workers. Whatever a worker answers
from memory must be what the log says, whoever wrote it, and a write that
rolled back is never taken for the one that later commits its revision.
Every test runs on SQLite and PostGIS (``database_url``).
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterator

import pytest
import shapely
from sqlalchemy import event

from geo.model import Account, Assignment, Rep
from service.index_cache import IndexCache
from service.storage import Store
from service.storage.log_memo import KEEP_IDS, KEEP_ROWS, KEEP_ROWS_PER_REVISION, LogMemo
from service.storage.territory_rows import TerritoryDraft


class _RolledBack(Exception):
    pass


def _draft(name: str, x: float, color: str | None = None) -> TerritoryDraft:
    shape = shapely.MultiPolygon([shapely.box(x, 39, x + 1, 40)])
    return TerritoryDraft(name, shape, color=color)


def _account(account_id: str) -> tuple[Account, Assignment]:
    return Account(account_id, location=(-84.0, 39.5)), Assignment(
        account_id, None, None, "unassigned:outside-all"
    )


@pytest.fixture
def workers(database_url: str) -> Iterator[tuple[Store, Store]]:
    a, b = Store.open(database_url), Store.open(database_url)
    try:
        yield a, b
    finally:
        a.dispose()
        b.dispose()


def _log_reads(store: Store) -> list[str]:
    seen: list[str] = []

    def note(conn: object, cursor: object, sql: str, *rest: object) -> None:
        if "revision_changes" in sql.lower() and sql.lstrip().lower().startswith("select"):
            seen.append(sql)

    event.listen(store.backend.engine, "before_cursor_execute", note)
    return seen


def test_own_commits_are_answered_from_memory_and_agree_with_the_log(
    workers: tuple[Store, Store], database_url: str
) -> None:
    a, _ = workers
    with a.write() as tx:
        first = tx.revision()
        made = tx.insert_territory(_draft("T", -84.0), actor="a")
    with a.write() as tx:
        tx.upsert_accounts([_account("x")], actor="a")
    with a.write() as tx:
        tx.insert_rep(Rep(0, "R"), actor="a")
    reads = _log_reads(a)
    with a.read() as tx:
        mine = tx.revision_changes(first, first + 3)
        kinds = tx.kinds_changed(first, first + 3)
    assert reads == []  # all three from memory
    fresh = Store.open(database_url)  # a new worker: knows nothing, reads the log
    try:
        with fresh.read() as tx:
            assert tx.revision_changes(first, first + 3) == mine
            assert (
                tx.kinds_changed(first, first + 3) == kinds == {"territories", "accounts", "reps"}
            )
    finally:
        fresh.dispose()
    assert mine is not None and mine[0].ids == (made.id,)


def test_a_write_that_rolled_back_is_not_taken_for_the_one_that_commits_its_revision(
    workers: tuple[Store, Store],
) -> None:
    a, b = workers
    with a.write() as tx:
        made = tx.insert_territory(_draft("T", -84.0), actor="a")
        first = tx.revision()
    index = IndexCache(a)
    assert index.current().locate(-83.5, 39.5).territory_id == made.id
    with pytest.raises(_RolledBack), a.write() as tx:  # a's write moves to first + 1, then not
        tx.update_territory(made.id, _draft("Never", -84.0, "#000000"), expected_version=1, actor="a")  # fmt: skip
        assert tx.revision() == first + 1
        raise _RolledBack
    with b.write() as tx:  # b commits first + 1 with something else altogether
        tx.upsert_accounts([_account("y")], actor="b")
        assert tx.revision() == first + 1
    with a.read() as tx:
        assert tx.kinds_changed(first, first + 1) == {"accounts"}
        assert tx.territories_by_id([made.id])[made.id].name == "T"
    assert {t.id: t.name for t in index.territories()} == {made.id: "T"}


def test_a_territory_this_process_wrote_is_not_read_again_and_equals_the_row(
    workers: tuple[Store, Store],
) -> None:
    a, _ = workers
    with a.write() as tx:
        made = [tx.insert_territory(_draft(f"T{i}", -84.0 + 2 * i), actor="a") for i in range(3)]
    index = IndexCache(a)
    index.current()
    territory_reads: list[str] = []

    def note(conn: object, cursor: object, sql: str, *rest: object) -> None:
        low = sql.lower()
        if low.lstrip().startswith("select") and "from territories" in low and "geometry" in low:
            territory_reads.append(sql)

    event.listen(a.backend.engine, "before_cursor_execute", note)
    written = made[1]
    for color in ("#111111", "#222222"):
        with a.write() as tx:  # given the territory it changes, as a change set is
            written = tx.update_territory(
                made[1].id,
                dataclasses.replace(_draft("T1", -82.0), color=color),
                expected_version=None,
                actor="a",
                current=written,
            )
    assert territory_reads == []  # the second write took the first's territory from memory
    statements: list[str] = []
    event.listen(a.backend.engine, "before_cursor_execute", lambda *e: statements.append(e[2]))
    held = {t.id: t for t in index.territories()}
    assert statements == []  # and the index both, without a transaction (only its probe)
    event.remove(a.backend.engine, "before_cursor_execute", note)
    with a.read() as tx:
        stored = tx.territories_by_id([t.id for t in made])
    assert held == stored
    assert held[made[1].id].color == "#222222" and held[made[1].id].version == written.version


def test_two_workers_writing_in_turn_agree_with_the_log(
    workers: tuple[Store, Store], database_url: str
) -> None:
    """A random run of writes from two workers, some rolled back: whatever either
    answers from memory for any range equals what a new worker reads from the log."""
    rng = random.Random(7)
    stores = list(workers)
    with stores[0].write() as tx:
        start = tx.revision()
        territory = tx.insert_territory(_draft("T", -84.0), actor="a")
    indexes = [IndexCache(s) for s in stores]
    for step in range(60):
        store = rng.choice(stores)
        kind = rng.choice(["account", "territory", "rep", "rollback"])
        try:
            with store.write() as tx:
                if kind in ("territory", "rollback"):
                    tx.update_territory(territory.id, _draft(f"T{step}", -84.0), expected_version=None, actor="w")  # fmt: skip
                elif kind == "rep":
                    tx.insert_rep(Rep(0, f"R{step}"), actor="w")
                else:
                    tx.upsert_accounts([_account(f"a{step}")], actor="w")
                if kind == "rollback":
                    raise _RolledBack
        except _RolledBack:
            print("rollback", step, stores.index(store))
        if rng.random() < 0.3:
            rng.choice(indexes).current()
    top = stores[0].revision()
    fresh = Store.open(database_url)
    try:
        with fresh.read() as tx:
            # One revision at a time first: a longer range that sends a worker to the
            # log teaches it every revision there, and would hide what it held before.
            ranges = [(lo, lo + 1) for lo in range(start, top)] + [(lo, top) for lo in range(start, top)]  # fmt: skip
            truth = {span: tx.revision_changes(*span) for span in ranges}
            name = tx.territories_by_id([territory.id])[territory.id].name
    finally:
        fresh.dispose()
    for store, index in zip(stores, indexes, strict=True):
        print(store.backend.log_memo._entries)
        with store.read() as tx:
            for (lo, hi), changes in truth.items():
                assert tx.revision_changes(lo, hi) == changes
                assert tx.kinds_changed(lo, hi) == {c.kind for c in changes or ()}
        assert {t.id: t.name for t in index.territories()} == {territory.id: name}


def test_the_memo_stays_bounded_and_forgets_ids_before_kinds() -> None:
    """Bulk writes log up to 20,000 ids each: the oldest learned lose their ids (then
    the store is read for them), their kinds stay; a territory import's rows are not kept."""
    memo = LogMemo()
    ids = tuple(f"a{i}" for i in range(20_000))
    for revision in range(1, 31):
        memo.committed(revision, [("accounts", ids)], {})
    assert memo.kinds(0, 30) == {"accounts"}
    assert memo.entries(0, 30) is None  # the first ones' ids are gone
    kept = memo.entries(20, 30)
    assert kept is not None and len(kept) == 10
    assert sum(len(e[1]) for _, e in kept) <= KEEP_IDS
    many = {i: object() for i in range(KEEP_ROWS_PER_REVISION + 1)}
    memo.committed(31, [("territories", tuple(many))], many)
    assert memo.territories(30, 31, many) is None  # read from the store
    one = {7: object()}
    memo.committed(32, [("territories", (7,))], one)
    assert memo.territories(30, 32, [7]) == one
    for revision in range(33, 33 + KEEP_ROWS):
        memo.committed(revision, [("territories", (8,))], {8: object()})
    assert memo.territories(30, 32, [7]) is None  # its rows dropped: read from the store
