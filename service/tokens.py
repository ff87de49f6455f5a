"""Creating tokens: the secret is shown once, only its hash is stored."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from geo.errors import InvalidInputError, Issue
from service.auth import SESSION_PREFIX, Principal, hash_token, new_token
from service.storage import Store, Tx
from service.storage.admin_ops import TokenRecord


def create_token(
    store: Store,
    *,
    role: str,
    owner: str,
    rep_id: int | None = None,
    region_id: int | None = None,
    expires_at: datetime | None = None,
    actor: str | None,
) -> tuple[str, TokenRecord]:
    """Create a token; returns the secret (shown once) and its record."""
    token = new_token()
    with store.write() as tx:
        _check_scope(tx, role, rep_id, region_id)
        record = tx.insert_token(
            token_hash=hash_token(token),
            role=role,
            owner=owner,
            rep_id=rep_id,
            region_id=region_id,
            expires_at=expires_at,
        )
        tx.audit(actor, "create", "token", str(record.id), {"role": role, "owner": owner})
    return token, record


def _check_scope(tx: Tx, role: str, rep_id: int | None, region_id: int | None) -> None:
    issues: list[Issue] = []
    if role == "rep" and rep_id is None:
        issues.append(Issue("/rep_id", "A rep token needs the rep_id it belongs to."))
    if role != "rep" and rep_id is not None:
        issues.append(Issue("/rep_id", "Only rep tokens carry a rep_id."))
    if role != "manager" and region_id is not None:
        issues.append(Issue("/region_id", "Only manager tokens carry a region."))
    if rep_id is not None and not tx.existing_rep_ids([rep_id]):
        issues.append(Issue("/rep_id", f"Rep {rep_id} does not exist."))
    if region_id is not None and not any(t.id == region_id for t in tx.find_territories()):
        issues.append(Issue("/region_id", f"Territory {region_id} does not exist."))
    if issues:
        raise InvalidInputError("The token's scope is invalid.", issues)


def create_session(store: Store, principal: Principal, *, minutes: int) -> str:
    """A new browser session for ``principal``; returns its id (shown once, stored hashed).

    The session is a row of its own, with the caller's role and scope and a
    short lifetime, so it can be revoked (``DELETE /session``, or an admin's
    ``DELETE /tokens/{id}``) without touching the token it was made from.
    """
    session_id = SESSION_PREFIX + secrets.token_urlsafe(32)
    with store.write() as tx:
        record = tx.insert_token(
            token_hash=hash_token(session_id),
            role=principal.role,
            owner=principal.name,
            rep_id=principal.rep_id,
            region_id=principal.region_id,
            expires_at=datetime.now(UTC) + timedelta(minutes=minutes),
            parent_id=principal.token_id,
        )
        tx.audit(principal.name, "create", "session", str(record.id), {"role": principal.role})
    return session_id


def revoke_session(store: Store, session_id: str) -> bool:
    """End the session ``session_id``; False when it is unknown or already ended."""
    if not session_id.startswith(SESSION_PREFIX):
        return False
    with store.write() as tx:
        record = tx.token_by_hash(hash_token(session_id))
        if record is None or not record.is_active(datetime.now(UTC)):
            return False
        tx.revoke_token(record.id)
        tx.audit(record.owner, "revoke", "session", str(record.id), None)
    return True
