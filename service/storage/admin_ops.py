"""Audit log, access tokens and idempotency keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update

from service.storage.errors import NotFoundError
from service.storage.shared_counters import TOKENS_REVOKED
from service.storage.tx_base import TxBase


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """A stored token; the secret itself is never stored, only its hash."""

    id: int
    role: str
    owner: str
    rep_id: int | None
    region_id: int | None
    expires_at: datetime | None
    revoked_at: datetime | None
    created_at: datetime
    parent_id: int | None = None  # for a session: the token it was opened with

    def is_active(self, now: datetime) -> bool:
        """Neither revoked nor expired at ``now``."""
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or _aware(self.expires_at) > now


def _aware(dt: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything we store is UTC.
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


class AdminOps(TxBase):
    """Mixin of :class:`~service.storage.store.Tx` for audit, tokens, idempotency."""

    def find_audit(
        self,
        *,
        actor: str | None = None,
        entity: str | None = None,
        action: str | None = None,
        after_id: int = 0,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        """Audit entries, oldest first, filtered."""
        at = self.t["audit_log"]
        q = select(at).where(at.c.id > after_id).order_by(at.c.id).limit(limit)
        for col, value in (("actor", actor), ("entity", entity), ("action", action)):
            if value is not None:
                q = q.where(at.c[col] == value)
        return [dict(r._mapping) for r in self.conn.execute(q)]

    def insert_token(
        self,
        *,
        token_hash: str,
        role: str,
        owner: str,
        rep_id: int | None,
        region_id: int | None,
        expires_at: datetime | None,
        parent_id: int | None = None,
    ) -> TokenRecord:
        """Store a new token's hash (a session's with the token it was opened with)."""
        tk = self.t["tokens"]
        new_id = self.conn.execute(
            insert(tk)
            .values(
                token_hash=token_hash,
                role=role,
                owner=owner,
                rep_id=rep_id,
                region_id=region_id,
                expires_at=expires_at,
                parent_id=parent_id,
                created_at=self.now,
            )
            .returning(tk.c.id)
        ).scalar_one()
        return self.get_token(int(new_id))

    def get_token(self, token_id: int) -> TokenRecord:
        """One token by id."""
        tk = self.t["tokens"]
        row = self.conn.execute(select(tk).where(tk.c.id == token_id)).first()
        if row is None:
            raise NotFoundError(f"Token {token_id} does not exist.")
        return _token(row._mapping)

    def token_by_hash(self, token_hash: str) -> TokenRecord | None:
        """The token with this hash, if any."""
        tk = self.t["tokens"]
        row = self.conn.execute(select(tk).where(tk.c.token_hash == token_hash)).first()
        return _token(row._mapping) if row is not None else None

    def find_tokens(self) -> list[TokenRecord]:
        """Every token, newest last."""
        tk = self.t["tokens"]
        return [_token(r._mapping) for r in self.conn.execute(select(tk).order_by(tk.c.id))]

    def revoke_token(self, token_id: int) -> TokenRecord:
        """Mark a token revoked, and every session opened with it (kept for the audit trail)."""
        self.get_token(token_id)
        tk = self.t["tokens"]
        # Every worker's token cache trusts its records only while this has not moved.
        self.move_shared_counter(TOKENS_REVOKED)
        self.conn.execute(update(tk).where(tk.c.id == token_id).values(revoked_at=self.now))
        self.conn.execute(
            update(tk)
            .where(tk.c.parent_id == token_id, tk.c.revoked_at.is_(None))
            .values(revoked_at=self.now)
        )
        return self.get_token(token_id)

    def idempotent_response(self, key: str) -> dict[str, Any] | None:
        """The stored answer for an ``Idempotency-Key``, if one was recorded."""
        ik = self.t["idempotency_keys"]
        row = self.conn.execute(select(ik).where(ik.c.key == key)).first()
        return dict(row._mapping) if row is not None else None

    def remember_response(self, key: str, request_hash: str, status: int, body: str) -> None:
        """Record the answer given for an ``Idempotency-Key``."""
        self.conn.execute(
            insert(self.t["idempotency_keys"]).values(
                key=key, request_hash=request_hash, status=status, body=body, created_at=self.now
            )
        )


def _token(m: Any) -> TokenRecord:
    return TokenRecord(
        id=int(m["id"]),
        role=m["role"],
        owner=m["owner"],
        rep_id=m["rep_id"],
        region_id=m["region_id"],
        expires_at=m["expires_at"],
        revoked_at=m["revoked_at"],
        created_at=m["created_at"],
        parent_id=m["parent_id"],
    )
