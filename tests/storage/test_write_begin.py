"""A PostGIS write sends its BEGIN with the writers' lock (service.storage.store):
still one transaction, committed or rolled back whole, the lock let go either way,
and the connection back in the pool as it was lent."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

import pytest
import shapely
from sqlalchemy import text
from sqlalchemy.pool import QueuePool

from geo.model import Account, Assignment, Rep
from service.storage import Store
from service.storage.territory_rows import TerritoryDraft


def _unassigned(account_id: str) -> tuple[Account, Assignment]:
    return Account(account_id, location=(0.5, 0.5)), Assignment(
        account_id, None, None, "unassigned:outside-all"
    )


class _Failed(Exception):
    pass


@pytest.fixture
def pg(postgis_url: str) -> Iterator[Store]:
    from tests.conftest import _truncate_postgis

    _truncate_postgis(postgis_url)
    store = Store.open(postgis_url)
    try:
        yield store
    finally:
        store.dispose()


def _advisory_locks(store: Store) -> int:
    with store.backend.engine.connect() as conn:
        q = text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
        return int(conn.execute(q).scalar_one())


def test_the_begin_travels_with_the_lock_and_the_write_is_one_transaction(pg: Store) -> None:
    with pg.write() as tx:
        before = tx.revision()
        tx.insert_rep(Rep(0, "Kept"), actor="t")
    assert pg.revision() == before + 1
    with pytest.raises(_Failed), pg.write() as tx:
        tx.insert_rep(Rep(0, "Never"), actor="t")
        shape = shapely.MultiPolygon([shapely.box(0, 0, 1, 1)])
        tx.insert_territory(TerritoryDraft("Never", shape), actor="t")
        raise _Failed
    with pg.read() as tx:
        assert [r.name for r in tx.find_reps()] == ["Kept"]
        assert tx.find_territories() == []
        assert tx.revision() == before + 1
    assert _advisory_locks(pg) == 0


def test_a_connection_comes_back_from_a_write_out_of_autocommit(pg: Store) -> None:
    """The pool lends it for a read next: in autocommit each of its statements
    would see its own snapshot, and a write's statements would not be one transaction."""
    for fail in (False, True, False):
        with pytest.raises(_Failed) if fail else contextlib.nullcontext(), pg.write() as tx:
            tx.insert_rep(Rep(0, f"R{fail}"), actor="t")
            if fail:
                raise _Failed
    pool = pg.backend.engine.pool
    assert isinstance(pool, QueuePool) and pool.checkedin() >= 1
    lent = [pg.backend.engine.raw_connection() for _ in range(pool.checkedin())]
    try:
        for conn in lent:
            driver = conn.driver_connection
            assert driver is not None and not driver.autocommit
            assert driver.info.transaction_status == 0  # idle: no transaction left open
    finally:
        for conn in lent:
            conn.close()


def test_writers_still_take_turns(pg: Store) -> None:
    """Two writers that each take the counter as the lock's round trip read it and
    write it back one higher: had either read it before the other committed, an
    increment would be lost."""
    put = text("UPDATE revision SET value = :v WHERE id = 1")

    def bump(n: int) -> None:
        for _ in range(n):
            with pg.write() as tx:
                seen = tx.revision()
                time.sleep(0.001)
                tx.conn.execute(put, {"v": seen + 1})

    before = pg.revision()
    threads = [threading.Thread(target=bump, args=(25,)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert pg.revision() == before + 50
    assert _advisory_locks(pg) == 0


def test_a_write_whose_transaction_an_error_aborted_is_not_remembered(
    pg: Store, postgis_url: str
) -> None:
    """A database error caught inside the block leaves the transaction aborted: its COMMIT
    rolls back without an error, and the revision it had moved is another's to commit."""
    with pg.write() as tx:
        before = tx.revision()
        tx.upsert_accounts([_unassigned("never")], actor="t")
        with contextlib.suppress(Exception):
            tx.conn.exec_driver_sql("SELECT 1 / 0")  # caught, and gone past
    assert pg.revision() == before  # nothing committed
    assert pg.backend.log_memo.kinds(before, before + 1) is None
    other = Store.open(postgis_url)
    try:
        with other.write() as tx:
            tx.insert_rep(Rep(0, "Theirs"), actor="o")
    finally:
        other.dispose()
    with pg.read() as tx:
        assert tx.kinds_changed(before, before + 1) == {"reps"}
