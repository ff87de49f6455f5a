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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Literal

import numpy as np
import shapely
from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from geo.flags.overlaps import measure_overlaps
from geo.hierarchy import in_subtree
from geo.model import Territory
from service.storage import Store, Tx
from service.storage.shared_counters import TOKENS_REVOKED
from service.token_cache import Loaded, TokenCache
from service.web.problems import HTTPProblem, forbidden, unauthorized
from service.web.request_counters import counters_now, counters_read

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
SESSION_PREFIX = "tms_"
_SAFE_METHODS = ("GET", "HEAD")


def _principal_from_header(request: Request, offline: bool) -> Principal:
    settings = request.app.state.settings
    header = request.headers.get("authorization")
    cookie = request.cookies.get(SESSION_COOKIE)
    if header is None and cookie and request.method in _SAFE_METHODS:
        # The browser session (set by POST /session) opens map and dashboard
        # pages. It is honoured for reads only: a write needs the bearer
        # header, which another site cannot make a browser send (no CSRF).
        if not cookie.startswith(SESSION_PREFIX):
            _throttle(request, spend=True)
            raise unauthorized("The session cookie is not a session; sign in again.")
        return principal_for_token(request, cookie, offline=offline)
    if header is None:
        if settings.dev_mode:
            return Principal(role="admin", name="dev")
        _throttle(request, spend=True)
        raise unauthorized("This route needs a bearer token (Authorization: Bearer <token>).")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        _throttle(request, spend=True)
        raise unauthorized("The Authorization header must be 'Bearer <token>'.")
    if token.strip().startswith(SESSION_PREFIX):
        # A browser session reads pages; it never stands in for a bearer token.
        _throttle(request, spend=True)
        raise unauthorized("A session id is not a bearer token.")
    return principal_for_token(request, token.strip(), offline=offline)


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _throttle(request: Request, *, spend: bool) -> None:
    throttle = request.app.state.address_throttle
    address = _client_address(request)
    throttle.check(address)
    if spend:
        throttle.spend(address)


def principal_for_token(request: Request, token: str, *, offline: bool = False) -> Principal:
    """The caller a token stands for; 401 when it is unknown, expired or revoked.

    Failed look-ups count against the client address; past the budget the
    answer is 429 before the token is even looked at (no guessing).
    """
    _throttle(request, spend=False)
    try:
        return _lookup(request, token, offline)
    except HTTPProblem:
        request.app.state.address_throttle.spend(_client_address(request))
        raise


def _lookup(request: Request, token: str, offline: bool) -> Principal:
    settings = request.app.state.settings
    bootstrap = settings.bootstrap_admin_token
    if bootstrap and hmac.compare_digest(token.encode(), bootstrap.encode()):
        return Principal(role="admin", name="bootstrap-admin")
    cache: TokenCache = request.app.state.token_cache
    counters = counters_read(request.scope)  # read after the request arrived, if at all
    record = cache.lookup(
        hash_token(token),
        _not_cached if offline else _loader(request),
        None if counters is None else counters.tokens,
    )
    if record is None:
        raise unauthorized("The token is not known.")
    if not record.is_active(datetime.now(UTC)):
        raise unauthorized("The token has expired or was revoked.")
    return Principal(
        role=record.role,  # type: ignore[arg-type]
        name=record.owner,
        rep_id=record.rep_id,
        region_id=record.region_id,
        token_id=record.id,
    )


class NeedsDatabase(Exception):
    """The token is not in the cache: look it up off the event loop."""


def _not_cached(token_hash: str) -> Loaded:
    raise NeedsDatabase


def _loader(request: Request) -> Callable[[str], Loaded]:
    store: Store = request.app.state.store

    def load(token_hash: str) -> Loaded:
        with store.read() as tx:  # one snapshot: the record is that counter's
            return Loaded(tx.token_by_hash(token_hash), tx.shared_counter(TOKENS_REVOKED))

    return load


def allow(*roles: Role, name: str = "") -> object:
    """A dependency that admits only ``roles`` and records the route's rule."""
    rule = Rule(frozenset(roles), name or ",".join(roles))

    async def check(request: Request) -> Principal:
        # Async so that a cached token costs no thread hop; a token not in
        # the cache is looked up in the thread pool, off the event loop. The
        # counters say whether a revocation came after the cached record.
        await counters_now(request.scope)
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


def ensure_rep_owns(principal: Principal, owner_rep_id: int | None, detail: str) -> None:
    """A rep may act only on what is theirs: an account they own, a contact made as themself."""
    if principal.role == "rep" and owner_rep_id != principal.rep_id:
        raise forbidden(detail)


def can_see_territory(principal: Principal, territory: Territory) -> bool:
    """A rep sees only the territories they belong to; staff see all."""
    return principal.role != "rep" or principal.rep_id in territory.rep_ids


def rep_scope(principal: Principal, territory: Territory) -> int | None:
    """The rep whose accounts ``principal`` may see in ``territory`` (None: everyone's).

    A rep may read only the territories they belong to, and there only their
    own accounts; staff read everything.
    """
    if principal.role != "rep":
        return None
    if not can_see_territory(principal, territory):
        raise forbidden("A rep may read only the territories they belong to.")
    return principal.rep_id


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


def ensure_territory_writer(principal: Principal) -> None:
    """Only admins and managers write territories."""
    if principal.role not in ("admin", "manager"):
        raise forbidden(f"The {principal.role} role may not write territories.")


def ensure_parent_in_region(
    principal: Principal, parent_id: int | None, parents: dict[int, int | None]
) -> None:
    """A regional manager places a territory only under a parent inside their region."""
    if not is_regional(principal):
        return
    if parent_id is None or not in_subtree(parent_id, principal.region_id, parents):
        raise forbidden("A regional manager may create territories only inside their region.")


def is_regional(principal: Principal) -> bool:
    """True for a manager whose writes are confined to a region."""
    return principal.role == "manager" and principal.region_id is not None


def managed_rep_ids(principal: Principal, territories: Iterable[Territory]) -> set[int] | None:
    """The reps whose plans ``principal`` may read on team pages (None: every rep).

    Admins and managers without a region see every rep; a regional manager
    the reps of the territories inside their region; a rep only themself.
    """
    if principal.role == "rep":
        return {principal.rep_id} if principal.rep_id is not None else set()
    if not is_regional(principal):
        return None
    listed = list(territories)
    parents = {t.id: t.parent_id for t in listed}
    return {r for t in listed if in_subtree(t.id, principal.region_id, parents) for r in t.rep_ids}


def ensure_account_in_region(
    principal: Principal, territory_ids: Iterable[int | None], parents: dict[int, int | None]
) -> None:
    """A regional manager may write an account only while it is inside their region.

    ``territory_ids`` are the territories that own the account before and
    after the write; an unassigned account (``None``) belongs to no region,
    so only admins and managers without a region may write it.
    """
    if not is_regional(principal):
        return
    for territory_id in territory_ids:
        if not in_subtree(territory_id, principal.region_id, parents):
            raise forbidden("This account is outside the manager's region.")


def ensure_rep_in_region(principal: Principal, rep_id: int, tx: Tx) -> None:
    """A regional manager may write a rep only when every territory of that rep is in their region.

    A rep in no territory yet belongs to no region and may be written.
    """
    if not is_regional(principal):
        return
    territories = tx.find_territories()
    parents = {t.id: t.parent_id for t in territories}
    for t in territories:
        if rep_id in t.rep_ids and not in_subtree(t.id, principal.region_id, parents):
            raise forbidden(
                f"Rep {rep_id} works in territory {t.id}, outside the manager's region."
            )


def ensure_drawing_in_region(
    principal: Principal,
    geometry: shapely.Geometry,
    tx: Tx,
    territory_id: int | None,
) -> None:
    """A regional manager may not draw over territories outside their region.

    Compared with every territory that is neither in the region nor one of
    its ancestors (a region lies inside its parents by design); an overlap
    thinner than the grid noise is no overlap (``geo.flags.overlaps``).
    """
    if not is_regional(principal):
        return
    territories = tx.find_territories()
    parents = {t.id: t.parent_id for t in territories}
    ancestors = _ancestors(principal.region_id, parents)
    outside = [
        t
        for t in territories
        if t.id != territory_id
        and t.id not in ancestors
        and not in_subtree(t.id, principal.region_id, parents)
    ]
    if not outside:
        return
    drawn = np.array([geometry] * len(outside), dtype=object)
    kept, _ = measure_overlaps(drawn, np.array([t.geometry for t in outside], dtype=object))
    if len(kept):
        names = ", ".join(str(outside[k].id) for k in kept)
        raise forbidden(f"The drawing covers territories outside the manager's region ({names}).")


def _ancestors(territory_id: int | None, parents: dict[int, int | None]) -> set[int]:
    seen: set[int] = set()
    current = parents.get(territory_id) if territory_id is not None else None
    while current is not None and current not in seen:
        seen.add(current)
        current = parents.get(current)
    return seen


def hide_from_rep(principal: Principal, visible: bool, missing: Exception) -> None:
    """Answer "not yours" exactly as "does not exist" where existence is private.

    ``missing`` is the error the store raises for an absent object, so a rep
    cannot tell another rep's account from no account at all.
    """
    if principal.role == "rep" and not visible:
        raise missing


PrincipalDep = Annotated[Principal, Depends(resolve_principal)]
