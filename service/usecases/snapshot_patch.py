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

from collections.abc import Mapping, Sequence
from typing import TypeVar

from service.storage import Tx
from service.storage.account_ops import AccountFilter
from service.usecases.snapshot import Snapshot

K = TypeVar("K", bound=str | int)
V = TypeVar("V")
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
    books = _splice(
        [a.id for a in snap.accounts],
        list(zip(snap.accounts, snap.assignments, strict=True)),
        {i: (s.account, s.assignment) for i, s in fresh.items()},
        account_ids,
    )
    territories = _splice(
        [t.id for t in snap.territories],
        list(snap.territories),
        tx.territories_by_id(sorted(territory_ids)) if territory_ids else {},
        territory_ids,
    )
    reps = tuple(tx.find_reps()) if any(c.kind == "reps" for c in changes) else snap.reps
    return Snapshot(
        territories=tuple(territories),
        reps=reps,
        accounts=tuple(a for a, _ in books),
        assignments=tuple(s for _, s in books),
        revision=revision,
        before=snap,
    )


def _splice(keys: Sequence[K], rows: list[V], fresh: Mapping[K, V], touched: set[K]) -> list[V]:
    """``rows`` (sorted by ``keys``) with the ``touched`` keys replaced by ``fresh``, or dropped.

    Hand-written because the rows are kept in id order, the order of a full
    read: an edit replaces in place, a deletion removes, new ids are merged
    in (a sort of one long sorted run and a short one is linear).
    """
    if not touched:
        return rows
    out = list(rows)
    positions = {k: i for i, k in enumerate(keys) if k in touched}
    dropped = {i for k, i in positions.items() if k not in fresh}
    for key, at in positions.items():
        if key in fresh:
            out[at] = fresh[key]
    added = [k for k in touched if k not in positions and k in fresh]
    if not dropped and not added:
        return out
    merged = [(k, r) for i, (k, r) in enumerate(zip(keys, out, strict=True)) if i not in dropped]
    merged += [(k, fresh[k]) for k in added]
    merged.sort(key=lambda pair: pair[0])
    return [r for _, r in merged]
