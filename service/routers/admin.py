"""/tokens and /audit: access tokens and the audit log (admins only)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from service.auth import ADMIN, Principal, allow
from service.routers.docs import READ_RESPONSES, WRITE_RESPONSES
from service.schemas.common import StrictModel
from service.storage.admin_ops import TokenRecord
from service.tokens import create_token as make_token
from service.views.serialize import iso
from service.web.deps import StoreDep, TokenCacheDep, TokenId

router = APIRouter(tags=["admin"])


class TokenCreate(StrictModel):
    """A token to create; the secret is returned once."""

    role: Literal["admin", "manager", "rep"]
    owner: Annotated[str, Field(min_length=1, max_length=200)]
    rep_id: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None
    region_id: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None
    expires_at: datetime | None = None


class TokenPublic(BaseModel):
    """A token's record, never its secret."""

    id: int
    role: str
    owner: str
    rep_id: int | None
    region_id: int | None
    expires_at: str | None
    revoked_at: str | None
    created_at: str | None


class TokenCreated(TokenPublic):
    """A new token, with the secret shown this once."""

    token: str


def _public(t: TokenRecord) -> TokenPublic:
    return TokenPublic(
        id=t.id,
        role=t.role,
        owner=t.owner,
        rep_id=t.rep_id,
        region_id=t.region_id,
        expires_at=iso(t.expires_at),
        revoked_at=iso(t.revoked_at),
        created_at=iso(t.created_at),
    )


@router.post(
    "/tokens",
    status_code=201,
    response_model=TokenCreated,
    responses=WRITE_RESPONSES,
    operation_id="create_token",
)
def create_token(
    body: TokenCreate, store: StoreDep, principal: Annotated[Principal, allow(*ADMIN)]
) -> TokenCreated:
    """Create an access token; the secret is in this answer only."""
    secret, record = make_token(
        store,
        role=body.role,
        owner=body.owner,
        rep_id=body.rep_id,
        region_id=body.region_id,
        expires_at=body.expires_at,
        actor=principal.name,
    )
    return TokenCreated(**_public(record).model_dump(), token=secret)


@router.get(
    "/tokens",
    response_model=list[TokenPublic],
    responses=READ_RESPONSES,
    operation_id="list_tokens",
)
def list_tokens(
    store: StoreDep, principal: Annotated[Principal, allow(*ADMIN)]
) -> list[TokenPublic]:
    """Every token's record (no secrets)."""
    with store.read() as tx:
        return [_public(t) for t in tx.find_tokens()]


@router.delete(
    "/tokens/{token_id}", status_code=204, responses=WRITE_RESPONSES, operation_id="revoke_token"
)
def revoke_token(
    token_id: TokenId,
    store: StoreDep,
    token_cache: TokenCacheDep,
    principal: Annotated[Principal, allow(*ADMIN)],
) -> Response:
    """Revoke a token: at once in this worker, within `TERRITORY_TOKEN_CACHE_SECONDS` in others."""
    with store.write() as tx:
        tx.revoke_token(token_id)
        tx.audit(principal.name, "revoke", "token", str(token_id), None)
    token_cache.forget(token_id)
    return Response(status_code=204)


class AuditEntry(BaseModel):
    """One audited write."""

    id: int
    at: str | None
    actor: str | None
    action: str
    entity: str
    entity_id: str | None
    detail: dict[str, object] | None = Field(description="Free-form: what the write changed.")


@router.get(
    "/audit", response_model=list[AuditEntry], responses=READ_RESPONSES, operation_id="list_audit"
)
def list_audit(
    store: StoreDep,
    principal: Annotated[Principal, allow(*ADMIN)],
    actor: Annotated[str | None, Query(max_length=200)] = None,
    entity: Annotated[str | None, Query(max_length=40)] = None,
    action: Annotated[str | None, Query(max_length=40)] = None,
    after: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AuditEntry]:
    """The audit log, oldest first, filtered by actor, entity or action."""
    with store.read() as tx:
        rows = tx.find_audit(actor=actor, entity=entity, action=action, after_id=after, limit=limit)
    return [AuditEntry.model_validate({**r, "at": iso(r["at"])}) for r in rows]
