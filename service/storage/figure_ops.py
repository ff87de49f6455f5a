"""Derived figures (a rep's travel load, ...) kept by the digest of their inputs.

They are a cache of pure functions: a row is never wrong for its digest,
only possibly unused. So they are written outside the writers' lock (see
:meth:`service.storage.Store.bookkeeping`), a second writer of the same row
is ignored, and old rows are pruned by age.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from service.storage.tx_base import TxBase


class FigureOps(TxBase):
    """Mixin of :class:`~service.storage.store.Tx` for derived figures."""

    def get_figure(self, kind: str, digest: str) -> Any | None:
        """The stored body, or None."""
        ft = self.t["derived_figures"]
        return self.conn.execute(
            select(ft.c.body).where(ft.c.kind == kind, ft.c.digest == digest)
        ).scalar()

    def put_figures(self, kind: str, bodies: Iterable[tuple[str, Any]]) -> None:
        """Keep ``(digest, body)`` pairs; a digest stored already keeps its row."""
        rows = [{"kind": kind, "digest": d, "body": b, "created_at": self.now} for d, b in bodies]
        if not rows:
            return
        ft = self.t["derived_figures"]
        if self.backend.name == "postgis":
            self.conn.execute(pg_insert(ft).on_conflict_do_nothing(), rows)
        else:
            self.conn.execute(insert(ft).prefix_with("OR IGNORE"), rows)

    def prune_figures(self, older_than: timedelta) -> int:
        """Forget figures stored before ``now - older_than``; answers how many."""
        ft = self.t["derived_figures"]
        cutoff: datetime = self.now - older_than
        return int(self.conn.execute(delete(ft).where(ft.c.created_at < cutoff)).rowcount)
