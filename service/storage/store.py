"""The store: one shared SQL implementation over both backends.

Routes see only :class:`Store` and the :class:`Tx` it hands out. Every write
happens inside one ``Tx`` (one database transaction) which also bumps the
revision counter, so each worker can tell that its in-memory index is stale.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from service.storage.account_ops import AccountOps
from service.storage.admin_ops import AdminOps
from service.storage.backends import Backend, open_backend
from service.storage.change_set_ops import ChangeSetOps
from service.storage.errors import translate_db_errors
from service.storage.plan_ops import PlanOps
from service.storage.rep_ops import RepOps


class Tx(ChangeSetOps, RepOps, AccountOps, AdminOps, PlanOps):
    """Operations on one open transaction."""


class Store:
    """Entry point to the database; cheap to share between threads."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    @classmethod
    def open(cls, database_url: str) -> Store:
        """Open (and create or migrate) the database at ``database_url``."""
        with translate_db_errors():
            return cls(open_backend(database_url))

    @property
    def name(self) -> str:
        """``sqlite`` or ``postgis``."""
        return self.backend.name

    @contextmanager
    def write(self) -> Iterator[Tx]:
        """One write transaction: committed whole at the end, or not at all."""
        with translate_db_errors():
            conn = self.backend.engine.connect().execution_options(write=True)
            with conn, conn.begin():
                yield Tx(conn, self.backend, write=True)

    @contextmanager
    def read(self) -> Iterator[Tx]:
        """One read-only transaction (a consistent snapshot on PostgreSQL)."""
        with translate_db_errors():
            conn = self.backend.engine.connect()
            with conn, conn.begin():
                yield Tx(conn, self.backend, write=False)

    def revision(self) -> int:
        """The current revision counter."""
        with self.read() as tx:
            return tx.revision()

    def ping(self) -> dict[str, Any]:
        """Check the database answers; returns the backend name."""
        with self.read() as tx:
            tx.revision()
        return {"backend": self.name}

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.backend.engine.dispose()
