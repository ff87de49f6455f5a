"""One account written through the API: parse, geocode, assign, check scope, store.

The routes in :mod:`service.routers.accounts` parse the request and shape
the answer; everything between (the rules an account must meet, where it
lands, whether a regional manager may write it) is here. Bulk imports have
their own path (:mod:`service.usecases.account_import`).
"""

from __future__ import annotations

from collections.abc import Mapping

from geo.assign.assignment import assign_accounts
from geo.errors import WARNING_CODES, InvalidInputError, Issue
from geo.geocode.geocoder import Geocoder
from geo.model import Account
from geo.rows import parse_account_feature
from service.auth import Principal, ensure_account_in_region, is_regional
from service.index_cache import IndexCache
from service.storage import ConflictError, Tx
from service.storage.account_rows import ACCOUNT_FIELDS, StoredAccount


def parse_account(body: object, path_id: str | None, geocoder: Geocoder) -> Account:
    """The account a GeoJSON Point Feature describes, placed; 422 with every issue otherwise."""
    fields, issues = parse_account_feature(body, index=0)
    issues = [
        Issue(i.pointer.replace("/features/0", "", 1) or "/", i.reason, i.location, i.code)
        for i in issues
    ]
    hard = [i for i in issues if i.code not in WARNING_CODES]
    if fields is None or hard:
        raise InvalidInputError("The account is invalid.", hard or issues)
    if path_id is not None and fields.id != path_id:
        raise InvalidInputError(
            "The account id does not match the URL.",
            [Issue("/properties/id", f"expected {path_id!r}")],
        )
    geocode = geocoder.geocode_row(fields)
    if geocode.status == "not_found" and fields.postal_code:
        raise InvalidInputError(
            "The postal code is unknown.",
            [
                Issue(
                    "/properties/postal_code",
                    geocode.note or "unknown postal code",
                    code="unknown-postal-code",
                )
            ],
        )
    return fields.to_account(geocode)


def merge_patch(current: Account, patch: object) -> dict[str, object]:
    """The Feature that ``patch`` (a partial Feature) makes of ``current``.

    A location the account got by geocoding is not carried over, so a
    changed address is geocoded again; a location given by the client is kept.
    """
    if not isinstance(patch, Mapping):
        raise InvalidInputError(
            "The patch must be a GeoJSON Feature.", [Issue("/", "expected an object")]
        )
    props: dict[str, object] = {k: getattr(current, k) for k in ACCOUNT_FIELDS}
    props["id"] = current.id
    props["products"] = list(current.products)
    given = patch.get("properties", {})
    if not isinstance(given, Mapping):
        raise InvalidInputError(
            "properties must be an object.", [Issue("/properties", "expected an object")]
        )
    props.update(given)
    return {"type": "Feature", "geometry": _patched_geometry(current, patch), "properties": props}


def _patched_geometry(current: Account, patch: Mapping[str, object]) -> object:
    if "geometry" in patch:
        return patch["geometry"]
    given = current.geocode is not None and current.geocode.precision == "given"
    if current.location is None or not given:
        return None
    return {"type": "Point", "coordinates": list(current.location)}


def add_account(
    tx: Tx, account: Account, principal: Principal, index_cache: IndexCache
) -> StoredAccount:
    """Store a new account; 409 when the id is taken (PUT replaces)."""
    existing = tx.accounts_by_id([account.id])
    if existing:
        raise ConflictError(
            f"Account {account.id!r} exists; use PUT /accounts/{account.id} to replace it."
        )
    return store_account(tx, account, principal, index_cache, known=existing)


def store_account(
    tx: Tx,
    account: Account,
    principal: Principal,
    index_cache: IndexCache,
    known: Mapping[str, StoredAccount] | None = None,
) -> StoredAccount:
    """Assign ``account`` with the live index, check the caller's region, store and audit it.

    ``known``: the account as this transaction already read it (a patch's
    base; empty when it was found absent), so that it is not read again.
    """
    if account.owner_rep_id is not None and not tx.existing_rep_ids([account.owner_rep_id]):
        raise InvalidInputError(
            "The owner rep does not exist.",
            [Issue("/properties/owner_rep_id", f"rep {account.owner_rep_id} does not exist")],
        )
    assignment = assign_accounts([account], index_cache.current_in(tx))[0]
    check_account_scope(tx, principal, account.id, [assignment.territory_id])
    stored = tx.upsert_account(account, assignment, actor=principal.name, known=known)
    tx.audit(principal.name, "upsert", "account", account.id, None)
    return stored


def remove_account(tx: Tx, account_id: str, principal: Principal) -> None:
    """Delete an account the caller may write."""
    check_account_scope(tx, principal, account_id, [])
    tx.delete_account(account_id, actor=principal.name)


def check_account_scope(
    tx: Tx, principal: Principal, account_id: str, new_territory_ids: list[int | None]
) -> None:
    """A regional manager writes only accounts inside their region, before and after."""
    if not is_regional(principal):
        return
    before = tx.accounts_by_id([account_id])
    owners = [s.assignment.territory_id for s in before.values()]
    parents = {t.id: t.parent_id for t in tx.find_territories()}
    ensure_account_in_region(principal, [*owners, *new_territory_ids], parents)
