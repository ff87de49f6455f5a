"""Who is calling, and what they may do: the one place authorization lives.

Tokens are opaque random strings; only their SHA-256 is stored. Every route
declares one :class:`Rule` through :func:`allow`; a route without one fails
``tests/service/test_authz.py``. Rules say which roles may call a route at
all; object-level checks (a rep reading only their own book, a manager
writing only inside their region) are the helpers at the end of this module,
called by the routes on the objects they load.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from geo.model import Territory
from service.storage import Store
from service.storage.admin_ops import TokenRecord
from service.token_cache import TokenCache
from service.web.problems import HTTPProblem

Role = Literal["admin", "manager", "rep"]
ROLES: tuple[Role, ...] = ("admin", "manager", "rep")


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller: a role, a name for the audit trail, and their scope."""

    role: Role
    name: str
    rep_id: int | None = None
    region_id: int | None = None
    token_id: int | None = None

    @property
    def is_admin(self) -> bool:
        """Admins may do everything."""
        return self.role == "admin"


@dataclass(frozen=True, slots=True)
class Rule:
    """Which roles may call a route."""

    roles: frozenset[Role]
    name: str


def new_token() -> str:
    """A fresh opaque token (256 bits of randomness, URL-safe)."""
    return "tm_" + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def _unauthorized(detail: str) -> HTTPProblem:
    return HTTPProblem(
        401,
        "unauthorized",
        "Unauthorized",
        detail,
        headers={"WWW-Authenticate": 'Bearer realm="territory"'},
    )


def forbidden(detail: str) -> HTTPProblem:
    """The 403 problem for a caller who may not do this."""
    return HTTPProblem(403, "forbidden", "Forbidden", detail)


def resolve_principal(request: Request, *, offline: bool = False) -> Principal:
    """The caller of ``request``; 401 when there is no valid token.

    The token is never logged or echoed: messages name only what was wrong.
    With ``offline`` only the token cache is asked; :class:`NeedsDatabase`
    is raised when the token is not there.
    """
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    principal = _principal_from_header(request, offline)
    request.state.principal = principal
    return principal


SESSION_COOKIE = "tm_session"
_SAFE_METHODS = ("GET", "HEAD")


def _principal_from_header(request: Request, offline: bool) -> Principal:
    settings = request.app.state.settings
    header = request.headers.get("authorization")
    cookie = request.cookies.get(SESSION_COOKIE)
    if header is None and cookie and request.method in _SAFE_METHODS:
        # The browser session (set by POST /session) opens map and dashboard
        # pages. It is honoured for reads only: a write needs the bearer
        # header, which another site cannot make a browser send (no CSRF).
        return principal_for_token(request, cookie, offline=offline)
    if header is None:
        if settings.dev_mode:
            return Principal(role="admin", name="dev")
        raise _unauthorized("This route needs a bearer token (Authorization: Bearer <token>).")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("The Authorization header must be 'Bearer <token>'.")
    return principal_for_token(request, token.strip(), offline=offline)


def principal_for_token(request: Request, token: str, *, offline: bool = False) -> Principal:
    """The caller a token stands for; 401 when it is unknown, expired or revoked."""
    settings = request.app.state.settings
    bootstrap = settings.bootstrap_admin_token
    if bootstrap and hmac.compare_digest(token.encode(), bootstrap.encode()):
        return Principal(role="admin", name="bootstrap-admin")
    cache: TokenCache = request.app.state.token_cache
    record = cache.lookup(hash_token(token), _not_cached if offline else _loader(request))
    if record is None:
        raise _unauthorized("The token is not known.")
    if not record.is_active(datetime.now(UTC)):
        raise _unauthorized("The token has expired or was revoked.")
    return Principal(
        role=record.role,  # type: ignore[arg-type]
        name=record.owner,
        rep_id=record.rep_id,
        region_id=record.region_id,
        token_id=record.id,
    )


class NeedsDatabase(Exception):
    """The token is not in the cache: look it up off the event loop."""


def _not_cached(token_hash: str) -> TokenRecord | None:
    raise NeedsDatabase


def _loader(request: Request) -> Callable[[str], TokenRecord | None]:
    store: Store = request.app.state.store

    def load(token_hash: str) -> TokenRecord | None:
        with store.read() as tx:
            return tx.token_by_hash(token_hash)

    return load


def allow(*roles: Role, name: str = "") -> object:
    """A dependency that admits only ``roles`` and records the route's rule."""
    rule = Rule(frozenset(roles), name or ",".join(roles))

    async def check(request: Request) -> Principal:
        # Async so that a cached token costs no thread hop; a token not in
        # the cache is looked up in the thread pool, off the event loop.
        try:
            principal = resolve_principal(request, offline=True)
        except NeedsDatabase:
            principal = await run_in_threadpool(resolve_principal, request)
        request.app.state.rate_limiter.check(request, principal)
        if principal.role not in rule.roles:
            raise forbidden(f"The {principal.role} role may not use this route.")
        return principal

    check.rule = rule  # type: ignore[attr-defined]
    return Depends(check)


# The usual combinations, named so routes read as policy.
ANYONE = ("admin", "manager", "rep")
STAFF = ("admin", "manager")
ADMIN = ("admin",)


def ensure_own_rep(principal: Principal, rep_id: int) -> None:
    """A rep may act only on their own rep record."""
    if principal.role == "rep" and principal.rep_id != rep_id:
        raise forbidden("A rep may read only their own data.")


def ensure_can_write_territory(
    principal: Principal, territory: Territory | None, ancestors: dict[int, int | None]
) -> None:
    """A manager with a region may write only territories inside that subtree.

    ``ancestors`` maps territory id to parent id for every territory, so the
    check follows the hierarchy without touching the database.
    """
    if principal.role == "admin" or principal.region_id is None:
        if principal.role in ("admin", "manager"):
            return
    if principal.role != "manager":
        raise forbidden(f"The {principal.role} role may not write territories.")
    if territory is None or not in_subtree(territory.id, principal.region_id, ancestors):
        raise forbidden("This territory is outside the manager's region.")


def in_subtree(
    territory_id: int | None, root_id: int | None, parents: dict[int, int | None]
) -> bool:
    """True when ``territory_id`` is ``root_id`` or one of its descendants."""
    seen: set[int] = set()
    current = territory_id
    while current is not None and current not in seen:
        if current == root_id:
            return True
        seen.add(current)
        current = parents.get(current)
    return False


PrincipalDep = Annotated[Principal, Depends(resolve_principal)]
