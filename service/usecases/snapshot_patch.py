"""A kept snapshot brought forward by what the revisions since it changed, not re-read whole.

Re-reading 100,000 accounts after every write costs seconds; a write
touches a few. :func:`patch_snapshot` reads the change log of the revisions
between the snapshot's and the transaction's
(:meth:`service.storage.revision_log.RevisionLogOps.revision_changes`), re-reads
only the rows named there, and splices them in by id, so the result equals
what a full read at the new revision gives (the property test in
``tests/service/test_incremental_figures.py`` holds it to that). When a
revision in between is unknown, or logged as ``all``, it answers None: the
caller reads everything, never a stale answer.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from service.storage import Tx
from service.storage.account_ops import AccountFilter
from service.usecases.snapshot import Snapshot

K = TypeVar("K", bound=str | int)
# Further behind than this, one full read is cheaper than replaying the log.
MAX_GAP = 500
# Re-reading more accounts than this by id is slower than reading them all.
MAX_ACCOUNTS = 20_000


def patch_snapshot(tx: Tx, snap: Snapshot, revision: int) -> Snapshot | None:
    """``snap`` brought to ``revision`` as ``tx`` sees it, or None when only a full read will do."""
    if snap.revision is None or revision - snap.revision > MAX_GAP:
        return None
    changes = tx.revision_changes(snap.revision, revision)
    if changes is None or any(c.kind == "all" for c in changes):
        return None
    account_ids = {str(i) for c in changes if c.kind == "accounts" for i in c.ids}
    territory_ids = {int(i) for c in changes if c.kind == "territories" for i in c.ids}
    followed = tuple(
        sorted({int(i) for c in changes if c.kind == "territory_accounts" for i in c.ids})
    )
    if len(account_ids) > MAX_ACCOUNTS:
        return None
    fresh = tx.accounts_by_id(sorted(account_ids)) if account_ids else {}
    if followed:
        # Accounts whose rep followed their territory's: still in that territory.
        for stored in tx.find_accounts(AccountFilter(territory_ids_any=followed)):
            fresh[stored.account.id] = stored
            account_ids.add(stored.account.id)
    accounts, assignments = _splice(
        lambda: [a.id for a in snap.accounts],
        (snap.accounts, snap.assignments),
        {i: (s.account, s.assignment) for i, s in fresh.items()},
        account_ids,
    )
    found = tx.territories_by_id(sorted(territory_ids)) if territory_ids else {}
    (territories,) = _splice(
        lambda: [t.id for t in snap.territories],
        (snap.territories,),
        {i: (t,) for i, t in found.items()},
        territory_ids,
    )
    reps = tuple(tx.find_reps()) if any(c.kind == "reps" for c in changes) else snap.reps
    return Snapshot(
        territories=territories,
        reps=reps,
        accounts=accounts,
        assignments=assignments,
        revision=revision,
        before=snap,
        changed=frozenset(account_ids),
    )


def _splice(
    keys_of: Callable[[], list[K]],
    columns: tuple[tuple[Any, ...], ...],
    fresh: Mapping[K, tuple[Any, ...]],
    touched: set[K],
) -> tuple[tuple[Any, ...], ...]:
    """``columns`` (rows sorted by ``keys_of()``) with the ``touched`` keys replaced by ``fresh``, or dropped.

    Hand-written because the rows are kept in id order, the order of a full
    read, and must be patched without a new object per row (100,000 of them
    would cost more in allocation and garbage collection than the patch):
    bisect finds a row, an edit replaces it in place, a deletion removes it,
    a new id is inserted where it sorts. Nothing touched: the very tuples
    come back, so figures kept on them can be carried over.
    """
    if not touched:
        return columns
    keys = keys_of()
    lists = [list(c) for c in columns]
    for key in sorted(touched, reverse=True):  # from the end: earlier positions stay valid
        at = bisect.bisect_left(keys, key)
        present = at < len(keys) and keys[at] == key
        if key in fresh and present:
            for column, value in zip(lists, fresh[key], strict=True):
                column[at] = value
        elif key in fresh:
            keys.insert(at, key)
            for column, value in zip(lists, fresh[key], strict=True):
                column.insert(at, value)
        elif present:
            del keys[at]
            for column in lists:
                del column[at]
    return tuple(tuple(c) for c in lists)
