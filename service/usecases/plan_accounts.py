"""Account lists as a plan sees them: stored owners live, computed owners in a scenario.

The live plan stores each account's owner, so its lists are one filtered
query. A scenario stores none (:mod:`service.usecases.plan_caches`): its
owners come from the scenario's cached snapshot, filtered in Python on the
computed owner, and only the page's rows are read again for their versions.
"""

from __future__ import annotations

from service.storage import Tx
from service.storage.account_ops import AccountFilter
from service.storage.account_rows import StoredAccount
from service.usecases.snapshot import load_snapshot


def find_plan_accounts(
    tx: Tx, f: AccountFilter, *, after_id: str = "", limit: int | None = None
) -> list[StoredAccount]:
    """Accounts ordered by id, filtered on the owner in ``tx``'s plan (as ``find_accounts``)."""
    if tx.plan_id is None:
        return tx.find_accounts(f, after_id=after_id, limit=limit)
    snap = load_snapshot(tx, accounts=f)
    owners = sorted(
        (
            (a.id, s)
            for a, s in zip(snap.accounts, snap.assignments, strict=True)
            if a.id > after_id
        ),
        key=lambda pair: pair[0],
    )[:limit]
    stored = tx.accounts_by_id([account_id for account_id, _ in owners])
    return [
        StoredAccount(stored[account_id].account, owner, stored[account_id].version)
        for account_id, owner in owners
        if account_id in stored
    ]
