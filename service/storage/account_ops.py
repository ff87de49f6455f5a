"""Account rows with their stored assignment."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import shapely
from sqlalchemy import (
    Integer,
    Select,
    Table,
    Update,
    bindparam,
    delete,
    insert,
    literal_column,
    or_,
    select,
    update,
)

from geo.model import Account, Assignment, BBox
from service.storage.account_rows import (
    ACCOUNT_FIELDS,
    StoredAccount,
    from_row,
    geocode_json,
    read_columns,
)
from service.storage.errors import NotFoundError
from service.storage.statements import ids_param, kept
from service.storage.tx_base import TxBase


@dataclass(frozen=True, slots=True)
class _Written:
    """What an upsert did to one account, and its version after."""

    op: str  # created | updated | unchanged
    version: int


@dataclass(frozen=True, slots=True)
class AccountFilter:
    """Filters for listing accounts; ``None`` means "any"."""

    territory_id: int | None = None
    rep_id: int | None = None
    assignment: str | None = None
    industry: str | None = None
    bbox: BBox | None = None
    rep_ids_any: tuple[int, ...] | None = None
    territory_ids_any: tuple[int, ...] | None = None


class AccountOps(TxBase):
    """Mixin of :class:`~service.storage.store.Tx` for accounts."""

    def get_account(self, account_id: str) -> StoredAccount:
        """One account."""
        at = self.t["accounts"]
        q = kept(at, "one", lambda t: select(*read_columns(t)).where(t.c.id == bindparam("id_")))
        row = self.conn.execute(q, {"id_": account_id}).first()
        if row is None:
            raise NotFoundError(f"Account {account_id!r} does not exist.")
        return from_row(row)

    def accounts_by_id(self, ids: Sequence[str]) -> dict[str, StoredAccount]:
        """The accounts among ``ids`` that exist."""
        at = self.t["accounts"]
        q = kept(at, "by_id", _by_id_statement)
        found: dict[str, StoredAccount] = {}
        for chunk in _chunks(list(ids), 500):
            for row in self.conn.execute(q, {"ids": chunk}):
                stored = from_row(row)
                found[stored.account.id] = stored
        return found

    def account_ids_owned_by(self, territory_ids: Sequence[int]) -> list[str]:
        """Ids of the accounts ``territory_ids`` own (one column: no account is built)."""
        at = self.t["accounts"]
        found: list[str] = []
        for chunk in _chunks(sorted(set(territory_ids)), 500):
            q = select(at.c.id).where(at.c.territory_id.in_(chunk))
            found += [str(r[0]) for r in self.conn.execute(q)]
        return found

    def find_accounts(
        self, f: AccountFilter = AccountFilter(), *, after_id: str = "", limit: int | None = None
    ) -> list[StoredAccount]:
        """Accounts ordered by id, filtered."""
        return [from_row(r) for r in self.find_account_rows(f, after_id=after_id, limit=limit)]

    def find_account_rows(
        self,
        f: AccountFilter = AccountFilter(),
        *,
        after_id: str = "",
        limit: int | None = None,
        with_revision: bool = False,
        json_as_text: bool = False,
    ) -> Sequence[Sequence[Any]]:
        """``find_accounts``'s rows as read, in ``account_rows.READ_COLUMNS`` order.

        For a caller that turns each row into something else at once (a page
        of features): building the stored accounts first was a third of a page.
        ``with_revision``: each row ends with the revision counter, read by the
        same statement, and a read transaction keeps it for :meth:`revision`.
        A page's reps are checked against the revision (the rep cache), and
        the statement of its own was a round trip: 7 % of a page on PostGIS.
        ``json_as_text``: the JSON columns as the text stored (see ``read_columns``).
        """
        at = self.t["accounts"]
        planned = limit if self.backend.name == "postgis" and limit in PLANNED_LIMITS else None
        params = _filter_params(f, after_id, None if planned else limit)
        # Which filters are present: one statement for each set.
        shape = (
            *params,
            *(("revision",) if with_revision else ()),
            *(("json_text",) if json_as_text else ()),
            *((f"limit {planned}",) if planned else ()),
        )
        revision = self.t["revision"]
        q = kept(at, ("find", shape), lambda t: _find_statement(t, shape, revision))
        if f.bbox is not None:  # the backend's own filter, with the box's values in it
            q = q.where(self.backend.point_bbox_filter(at, f.bbox))
        rows = self.conn.execute(q, params).all()
        if with_revision and rows:
            self.saw_revision(int(rows[0][-1]))
        return rows

    def upsert_accounts(
        self, items: Sequence[tuple[Account, Assignment]], *, actor: str | None
    ) -> tuple[int, int, int]:
        """Insert or replace accounts; returns (created, updated, unchanged)."""
        done = self._upsert(items, actor, self.accounts_by_id([a.id for a, _ in items]))
        created = sum(1 for w in done if w.op == "created")
        updated = sum(1 for w in done if w.op == "updated")
        return created, updated, len(items) - created - updated

    def upsert_account(
        self,
        account: Account,
        assignment: Assignment,
        *,
        actor: str | None,
        known: Mapping[str, StoredAccount] | None = None,
    ) -> StoredAccount:
        """Insert or replace one account; returns it as stored, without reading it back.

        ``known``: the account as this transaction already read it (absent
        from the mapping when it does not exist); read here when not given.
        """
        existing = self.accounts_by_id([account.id]) if known is None else known
        (written,) = self._upsert([(account, assignment)], actor, existing)
        return StoredAccount(account, assignment, written.version)

    def _upsert(
        self,
        items: Sequence[tuple[Account, Assignment]],
        actor: str | None,
        existing: Mapping[str, StoredAccount],
    ) -> list[_Written]:
        """What happened to each item, in order."""
        at = self.t["accounts"]
        new_rows: list[dict[str, Any]] = []
        written: list[_Written] = []
        for account, assignment in items:
            before = existing.get(account.id)
            if before is None:
                new_rows.append(
                    {"id": account.id, "version": 1, **self._values(account, assignment, actor)}
                )
                written.append(_Written("created", 1))
            elif before.account == account and before.assignment == assignment:
                written.append(_Written("unchanged", before.version))
            else:
                values = self._values(account, assignment, actor)
                row = {"id_": account.id, "version": before.version + 1, **values}
                self.conn.execute(kept(at, "update", _update_statement), row)
                written.append(_Written("updated", before.version + 1))
        for chunk in _chunks(new_rows, 1000):
            self.conn.execute(insert(at), chunk)
        touched = [a.id for (a, _), w in zip(items, written, strict=True) if w.op != "unchanged"]
        if touched:
            self.bump_revision("accounts", touched)
        return written

    def delete_account(self, account_id: str, *, actor: str | None) -> None:
        """Delete one account."""
        self.get_account(account_id)
        self.conn.execute(delete(self.t["accounts"]).where(self.t["accounts"].c.id == account_id))
        self.audit(actor, "delete", "account", account_id, None)
        self.bump_revision("accounts", [account_id])

    def set_assignments(
        self,
        assignments: Sequence[Assignment],
        known: Mapping[str, StoredAccount] | None = None,
    ) -> int:
        """Store recomputed assignments; returns how many changed.

        ``known``: the accounts as this transaction already read them, when the
        caller has them all (a territory write's candidates); not read again.
        """
        at = self.t["accounts"]
        current = (
            known if known is not None else self.accounts_by_id([a.account_id for a in assignments])
        )
        changed = [
            a
            for a in assignments
            if a.account_id in current and current[a.account_id].assignment != a
        ]
        if changed:
            # One executemany: a statement per row made a rep change over
            # 50,000 accounts take minutes.
            self.conn.execute(
                update(at)
                .where(at.c.id == bindparam("account_id"))
                .values(
                    territory_id=bindparam("territory_id"),
                    rep_id=bindparam("rep_id"),
                    assignment=bindparam("assignment"),
                    candidates=bindparam("candidates", type_=at.c.candidates.type),
                ),
                [
                    {
                        "account_id": a.account_id,
                        "territory_id": a.territory_id,
                        "rep_id": a.rep_id,
                        "assignment": a.assignment,
                        "candidates": list(a.candidates),
                    }
                    for a in changed
                ],
            )
        if changed:
            self.bump_revision("accounts", [a.account_id for a in changed])
        return len(changed)

    def count_accounts(self) -> int:
        """How many accounts are stored."""
        from sqlalchemy import func

        return int(
            self.conn.execute(select(func.count()).select_from(self.t["accounts"])).scalar_one()
        )

    def _values(
        self, account: Account, assignment: Assignment, actor: str | None
    ) -> dict[str, Any]:
        values = {name: getattr(account, name) for name in ACCOUNT_FIELDS}
        lon, lat = account.location if account.location is not None else (None, None)
        values.update(
            lon=lon,
            lat=lat,
            location=shapely.to_wkb(shapely.Point(lon, lat)) if lon is not None else None,
            products=list(account.products),
            geocode=geocode_json(account.geocode),
            territory_id=assignment.territory_id,
            rep_id=assignment.rep_id,
            assignment=assignment.assignment,
            candidates=list(assignment.candidates),
            updated_at=self.now,
            updated_by=actor,
        )
        return values


# The LIMITs a page of the common sizes reads (one row more than the page, to know
# whether a next one exists), written into the statement's text on PostGIS. With
# the LIMIT a parameter, PostgreSQL plans each execution of the prepared statement
# anew: it guesses an unknown LIMIT at a tenth of the rows, so the generic plan
# never looks as cheap as a custom one. Planning was 0.24 ms of the 0.51 a page
# cost PostgreSQL (its statement log, 1,453 pages of the mix); with the LIMIT in
# the text, the generic plan is kept from the sixth execution (0.005 ms). Other
# sizes keep the parameter: a statement for each of 1,000 sizes would crowd the
# statement caches. 1: a page of one, how a client asks whether any account matches.
PLANNED_LIMITS = frozenset(n + 1 for n in (1, 10, 20, 25, 50, 100, 200, 250, 500, 1000))


def _update_statement(at: Table) -> Update:
    """Set the columns the parameters name on the account ``id_``."""
    return update(at).where(at.c.id == bindparam("id_"))


def _by_id_statement(at: Table) -> Select[Any]:
    return select(*read_columns(at)).where(at.c.id.in_(ids_param()))


def _filter_params(f: AccountFilter, after_id: str, limit: int | None) -> dict[str, Any]:
    """``find_accounts``'s bind parameters; their names say which filters are present."""
    params: dict[str, Any] = {"after_id": after_id}
    for name in ("territory_id", "rep_id", "industry"):
        if getattr(f, name) is not None:
            params[name] = getattr(f, name)
    for name in ("rep_ids_any", "territory_ids_any"):
        if getattr(f, name) is not None:
            params[name] = list(getattr(f, name))
    if f.assignment is not None:  # a reason ("unassigned") matches its details too
        params["assignment"] = f.assignment
        params["assignment_like"] = f.assignment + ":%"
    if limit is not None:
        params["page_limit"] = limit
    return params


def _find_statement(at: Table, shape: tuple[str, ...], revision: Table) -> Select[Any]:
    """The SELECT for the filters named in ``shape`` (from :func:`_filter_params`).

    ``"revision"`` in ``shape`` adds the revision counter as the last column
    (a scalar subquery: evaluated once, not per row, on both backends);
    ``"json_text"`` reads the JSON columns as text.
    """
    columns = read_columns(at, json_as_text="json_text" in shape)
    q = select(*columns).where(at.c.id > bindparam("after_id")).order_by(at.c.id)
    if "revision" in shape:
        counter = select(revision.c.value).where(revision.c.id == 1).scalar_subquery()
        q = q.add_columns(counter.label("revision"))
    for name in shape:
        if name in ("territory_id", "rep_id", "industry"):
            q = q.where(at.c[name] == bindparam(name))
        elif name in ("rep_ids_any", "territory_ids_any"):
            column = at.c[name.removesuffix("s_any")]  # rep_ids_any: rep_id in the list
            q = q.where(column.in_(bindparam(name, expanding=True)))
        elif name == "assignment":
            q = q.where(
                or_(
                    at.c.assignment == bindparam("assignment"),
                    at.c.assignment.like(bindparam("assignment_like")),
                )
            )
        elif name == "page_limit":
            q = q.limit(bindparam("page_limit", type_=Integer))
        elif name.startswith("limit "):  # one of PLANNED_LIMITS, written into the SQL
            q = q.limit(literal_column(str(int(name.removeprefix("limit ")))))
    return q


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
