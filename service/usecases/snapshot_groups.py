"""Per-territory and per-rep figures of a snapshot, patched after a write for what it changed.

After one territory edit the accounts' tuples are new (a few rows moved),
so a figure kept on them whole (``Snapshot.derived``'s ``depends_on``) would
be recomputed for every rep and territory: grouping 100,000 accounts and
hashing every rep's book for its travel load cost most of a second. A
patched snapshot names the accounts whose rows changed (``Snapshot.changed``;
every other row is the very object its ``before`` holds), so:

* the grouping of accounts by territory and by rep is the previous one with
  only the groups those accounts left or joined rebuilt; every other group
  is the very list the previous grouping held;
* a rep's travel load is carried over when the rep and its book (that very
  list) are unchanged, and estimated for the others;
* a leaf's balance row likewise, when the leaf, its accounts and its
  primary rep are unchanged;
* the large accounts held by juniors are the previous list with the changed
  accounts taken out and put back where they now qualify.

Each equals its full computation on the new snapshot (the property test in
``tests/service/test_incremental_figures.py`` holds them to that).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable

from geo.model import Account, Assignment
from geo.plan.balance import BalanceRow, territory_row
from geo.plan.evaluate import (
    AccountValue,
    TerritoryProfit,
    evaluate_accounts,
    reevaluate_accounts,
)
from geo.plan.review import LargeAccount, ReviewSettings, large_account_with_junior, large_order
from geo.travel.load import TravelLoad, TravelSettings, estimate_travel_load
from service.usecases.snapshot import Snapshot

Groups = dict[int, list[Account]]
Grouped = tuple[Groups, Groups]
_GROUPED = ("account-groups",)
_NO_BOOK: list[Account] = []  # never handed out to be changed: estimate_travel_load only reads


def kept_groups(snap: Snapshot) -> Grouped:
    """The accounts by territory and by rep, each list in account (id) order; kept, and patched."""

    def compute() -> Grouped:
        before = snap.before  # read once: a later patch may clear it meanwhile
        previous = before.peek(_GROUPED) if before is not None else None
        if before is None or not isinstance(previous, tuple):
            return _group(snap)
        return _patched_groups(before, snap, previous)

    return snap.derived(_GROUPED, compute, depends_on=("accounts", "assignments"))


def _group(snap: Snapshot) -> Grouped:
    by_territory: Groups = {}
    by_rep: Groups = {}
    for a, s in zip(snap.accounts, snap.assignments, strict=True):
        if s.territory_id is not None:
            by_territory.setdefault(s.territory_id, []).append(a)
        if s.rep_id is not None:
            by_rep.setdefault(s.rep_id, []).append(a)
    return by_territory, by_rep


def rows_of(snap: Snapshot, ids: Iterable[str]) -> dict[str, tuple[Account, Assignment]]:
    """The rows of ``ids`` that ``snap`` holds (its accounts are in id order)."""
    out = {}
    for i in ids:
        at = bisect.bisect_left(snap.accounts, i, key=lambda a: a.id)
        if at < len(snap.accounts) and snap.accounts[at].id == i:
            out[i] = (snap.accounts[at], snap.assignments[at])
    return out


def _patched_groups(before: Snapshot, snap: Snapshot, previous: Grouped) -> Grouped:
    changed = snap.changed
    old, new = rows_of(before, changed), rows_of(snap, changed)
    by_territory, by_rep = dict(previous[0]), dict(previous[1])  # untouched lists are shared
    for groups, owner in ((by_territory, "territory_id"), (by_rep, "rep_id")):
        touched = {getattr(s, owner) for _, s in (*old.values(), *new.values())} - {None}
        for key in touched:
            joined = [a for a, s in new.values() if getattr(s, owner) == key]
            rest = [a for a in groups.get(key, ()) if a.id not in changed]
            members = sorted(rest + joined, key=lambda a: a.id)
            if members:
                groups[key] = members
            else:
                groups.pop(key, None)
    return by_territory, by_rep


def kept_travel_loads(snap: Snapshot, settings: TravelSettings) -> dict[int, TravelLoad]:
    """Every rep's travel load for its current book, by rep id; carried over for unchanged books."""
    key = ("rep-travel-loads", repr(settings))

    def compute() -> dict[int, TravelLoad]:
        books = kept_groups(snap)[1]
        before = snap.before
        previous = before.peek(key) if before is not None else None
        old_groups = before.peek(_GROUPED) if before is not None else None
        if not isinstance(old_groups, tuple):
            previous = None  # no books to compare with: nothing can be carried
        old_books = old_groups[1] if isinstance(old_groups, tuple) else {}
        old_reps = before.reps_by_id if before is not None else {}
        out: dict[int, TravelLoad] = {}
        for rep in snap.reps:
            book = books.get(rep.id, _NO_BOOK)
            if (
                isinstance(previous, dict)
                and rep.id in previous
                and old_books.get(rep.id, _NO_BOOK) is book
                and old_reps.get(rep.id) == rep
            ):
                out[rep.id] = previous[rep.id]
            else:
                out[rep.id] = estimate_travel_load(rep, book, settings)
        return out

    return snap.derived(key, compute, depends_on=("accounts", "assignments", "reps"))


def kept_large_accounts(snap: Snapshot, s: ReviewSettings) -> list[LargeAccount]:
    """The review's large accounts held by juniors; patched for the changed accounts."""
    key = ("large-with-juniors", s)

    def compute() -> list[LargeAccount]:
        before = snap.before
        previous = before.peek(key) if before is not None else None
        reps = snap.reps_by_id
        if before is None or not isinstance(previous, list) or before.reps != snap.reps:
            rows = zip(snap.accounts, snap.assignments, strict=True)
            found = (large_account_with_junior(a, g, reps, s) for a, g in rows)
            return sorted((f for f in found if f is not None), key=large_order)
        changed = snap.changed
        kept = [f for f in previous if f.account_id not in changed]
        for a, g in rows_of(snap, changed).values():
            if (f := large_account_with_junior(a, g, reps, s)) is not None:
                kept.append(f)
        return sorted(kept, key=large_order)

    return snap.derived(key, compute, depends_on=("accounts", "assignments", "reps"))


def kept_balance_rows(snap: Snapshot, settings: TravelSettings) -> dict[int, BalanceRow]:
    """Every leaf's balance row (no deviation), by id; carried over for unchanged leaves."""
    key = ("balance-rows", repr(settings))

    def compute() -> dict[int, BalanceRow]:
        groups = kept_groups(snap)[0]
        reps = snap.reps_by_id
        before = snap.before
        previous = before.peek(key) if before is not None else None
        old_groups = before.peek(_GROUPED) if before is not None else None
        if before is None or not isinstance(old_groups, tuple) or not isinstance(previous, dict):
            return {
                t.id: territory_row(t, groups.get(t.id, _NO_BOOK), reps, settings)
                for t in snap.leaves
            }
        old_leaves = {t.id: t for t in before.leaves}
        old_reps = before.reps_by_id
        out: dict[int, BalanceRow] = {}
        for t in snap.leaves:
            book = groups.get(t.id, _NO_BOOK)
            rep_id = t.primary_rep_id
            if (
                t.id in previous
                and old_leaves.get(t.id) is t  # unchanged territories are the very objects
                and old_groups[0].get(t.id, _NO_BOOK) is book
                and (rep_id is None or old_reps.get(rep_id) == reps.get(rep_id))
            ):
                out[t.id] = previous[t.id]
            else:
                out[t.id] = territory_row(t, book, reps, settings)
        return out

    return snap.derived(key, compute, depends_on=("accounts", "assignments", "reps", "territories"))


def kept_account_values(
    snap: Snapshot, territory_ids: list[int], top_share: float
) -> tuple[list[AccountValue], list[TerritoryProfit]]:
    """:func:`evaluate_accounts` of the snapshot; after a write that moved no
    net profit (a territory's rep, a shape), the previous ranking with the
    changed accounts' rows made again (ranking 100,000 took most of a second)."""
    key = ("evaluate_accounts", top_share, tuple(territory_ids))

    def compute() -> tuple[list[AccountValue], list[TerritoryProfit]]:
        before = snap.before
        previous = before.peek(key) if before is not None else None
        if isinstance(previous, tuple):
            rows = rows_of(snap, snap.changed)
            if len(rows) == len(snap.changed):  # else an account went: ranks shift
                again = reevaluate_accounts(
                    previous[0],
                    list(rows.values()),
                    territory_ids=territory_ids,
                    top_share=top_share,
                )
                if again is not None:
                    return again
        return evaluate_accounts(
            snap.accounts, snap.assignments, territory_ids=territory_ids, top_share=top_share
        )

    return snap.derived(key, compute, depends_on=("accounts", "assignments"))
