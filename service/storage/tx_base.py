"""The part of a transaction every storage mixin shares."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, insert, select, update

from service.storage.backends import Backend


class TxBase:
    """One open transaction: its connection, tables, clock and revision counter."""

    def __init__(self, conn: Connection, backend: Backend, *, write: bool) -> None:
        self.conn = conn
        self.backend = backend
        self.t: dict[str, Table] = backend.tables
        self.write = write
        self.now = datetime.now(UTC)
        self._bumped = False

    def bump_revision(self) -> None:
        """Mark the data as changed (once per transaction)."""
        if not self._bumped:
            rev = self.t["revision"]
            self.conn.execute(update(rev).where(rev.c.id == 1).values(value=rev.c.value + 1))
            self._bumped = True

    def revision(self) -> int:
        """The current revision counter."""
        rev = self.t["revision"]
        return int(self.conn.execute(select(rev.c.value).where(rev.c.id == 1)).scalar_one())

    def audit(
        self,
        actor: str | None,
        action: str,
        entity: str,
        entity_id: str | None,
        detail: dict[str, Any] | None,
    ) -> None:
        """Append one entry to the audit log."""
        self.conn.execute(
            insert(self.t["audit_log"]).values(
                at=self.now,
                actor=actor,
                action=action,
                entity=entity,
                entity_id=entity_id,
                detail=detail,
            )
        )
