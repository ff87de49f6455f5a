"""Everything an analysis needs, read in one consistent transaction.

Reading every account is the slow part of an analysis at scale (seconds for
100,000 rows), so the unfiltered snapshot is kept per store with the revision
it was read at (:class:`SnapshotCache`): a request whose transaction sees the
same revision gets the same snapshot, and any write (which moves the
revision) makes the next request read afresh. ``Snapshot.revision`` says
which revision the figures reflect; routes hand it on as ``X-Plan-Revision``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal, TypeVar

from geo.hierarchy import leaf_territories
from geo.model import Account, Assignment, Rep, Territory
from service.storage import Tx
from service.storage.account_ops import AccountFilter
from service.usecases.per_engine import PerEngine

REVISION_HEADER = "X-Plan-Revision"
T = TypeVar("T")
# What a kept figure may depend on (Snapshot.derived's depends_on).
Part = Literal["accounts", "assignments", "territories", "reps", "leaf_ids"]
_NONE = object()  # no figure carried over

# Per request, the revision of the data its answer was computed from: the
# app's middleware puts a fresh dict here, load_snapshot fills it (the dict is
# shared with the thread pool's copy of the context), the middleware sends it
# as the X-Plan-Revision header.
_answered_at: ContextVar[dict[str, int] | None] = ContextVar("answered_at", default=None)


def track_revision() -> dict[str, int]:
    """Start recording, for the current request, which revision it read."""
    holder: dict[str, int] = {}
    _answered_at.set(holder)
    return holder


def _note(revision: int) -> None:
    holder = _answered_at.get()
    if holder is not None:
        holder["revision"] = max(revision, holder.get("revision", revision))


@dataclass(frozen=True)
class Snapshot:
    """Territories, reps and accounts with their stored assignments."""

    territories: tuple[Territory, ...]
    reps: tuple[Rep, ...]
    accounts: tuple[Account, ...]
    assignments: tuple[Assignment, ...]
    revision: int | None = field(default=None, compare=False)
    # The snapshot this one was patched from (one step only; see
    # SnapshotCache.get): a figure that can be updated from its value there
    # (the overlaps) reads it with ``before.peek``.
    before: Snapshot | None = field(default=None, compare=False, repr=False)
    # With ``before``: the ids of the accounts whose row (account or
    # assignment) may differ from it; every other row is the very object
    # ``before`` holds (snapshot_patch), so per-rep and per-territory figures
    # are patched for these alone (snapshot_groups).
    changed: frozenset[str] = field(default=frozenset(), compare=False, repr=False)

    @cached_property
    def leaves(self) -> tuple[Territory, ...]:
        """Territories no other territory names as parent: they own accounts."""
        return tuple(leaf_territories(self.territories))

    @cached_property
    def reps_by_id(self) -> dict[int, Rep]:
        """Reps keyed by id."""
        return {r.id: r for r in self.reps}

    @cached_property
    def _books(self) -> dict[int | None, tuple[list[Account], list[Assignment]]]:
        # One pass over the accounts instead of one per rep.
        books: dict[int | None, tuple[list[Account], list[Assignment]]] = {}
        for a, s in zip(self.accounts, self.assignments, strict=True):
            book = books.setdefault(s.rep_id, ([], []))
            book[0].append(a)
            book[1].append(s)
        return books

    @cached_property
    def _derived(self) -> tuple[threading.RLock, dict[Hashable, object]]:
        # Re-entrant: a kept figure may be computed from other kept figures.
        return threading.RLock(), {}

    def derived(
        self, key: Hashable, compute: Callable[[], T], *, depends_on: tuple[Part, ...] = ()
    ) -> T:
        """``compute()``, once per snapshot and ``key``: figures kept with their revision.

        The snapshot is kept per revision (:class:`SnapshotCache`), so a figure
        derived from it alone is good until the next write; the first request
        computes it, the others wait for it rather than compute it beside it.
        ``key`` must name everything ``compute`` depends on besides the snapshot.
        A figure that reads only the parts named in ``depends_on`` is carried
        over from the snapshot this one was patched from when those parts are
        unchanged (a territory renamed: the accounts' figures stay).
        """
        lock, memo = self._derived
        if key in memo:
            return memo[key]  # type: ignore[return-value]
        with lock:
            if key not in memo:
                carried = self._carried(key, depends_on)
                memo[key] = compute() if carried is _NONE else carried
            return memo[key]  # type: ignore[return-value]

    def _carried(self, key: Hashable, parts: tuple[Part, ...]) -> object:
        before = self.before
        if not parts or before is None or key not in before._derived[1]:
            return _NONE
        for part in parts:
            mine, theirs = self._part(part), before._part(part)
            # The big tuples are shared when unchanged (snapshot_patch): identity says it.
            if mine is not theirs and (part != "leaf_ids" or mine != theirs):
                return _NONE
        return before._derived[1][key]

    def _part(self, part: Part) -> object:
        if part == "leaf_ids":
            return tuple(t.id for t in self.leaves)
        return getattr(self, part)

    def peek(self, key: Hashable) -> object | None:
        """The figure kept under ``key``, or None when none was computed."""
        return self._derived[1].get(key)

    def for_rep(self, rep_id: int) -> tuple[list[Account], list[Assignment]]:
        """The accounts a rep owns, with their assignments (fresh lists)."""
        accounts, assignments = self._books.get(rep_id, ([], []))
        return list(accounts), list(assignments)


def load_snapshot(tx: Tx, *, accounts: AccountFilter | None = None) -> Snapshot:
    """Read a snapshot; ``accounts`` narrows the accounts read.

    The unfiltered snapshot comes from the store's :class:`SnapshotCache`
    when ``tx`` sees the revision it was read at.
    """
    if tx.plan_id is not None:
        # A scenario's assignment is computed, never stored (imported here:
        # plan_caches builds on this module's Snapshot).
        from service.usecases.plan_caches import PlanCaches

        snap = PlanCaches.of(tx).snapshot(tx)
        _note(tx.revision())
        if accounts is None:
            return snap
        return _narrowed(snap, accounts)
    if accounts is None:
        snap = SnapshotCache.of(tx).get(tx)
        _note(snap.revision if snap.revision is not None else tx.revision())
        return snap
    _note(tx.revision())
    return _read(tx, accounts)


def _narrowed(snap: Snapshot, f: AccountFilter) -> Snapshot:
    """The accounts of ``snap`` that ``f`` keeps, judged on the computed owner."""
    keep = [(a, s) for a, s in zip(snap.accounts, snap.assignments, strict=True) if _kept(f, a, s)]
    return Snapshot(
        snap.territories,
        snap.reps,
        tuple(a for a, _ in keep),
        tuple(s for _, s in keep),
        snap.revision,
    )


def _kept(f: AccountFilter, a: Account, s: Assignment) -> bool:
    """The filter of ``AccountOps.find_accounts``, in Python."""
    box, where = f.bbox, a.location
    return (
        (f.territory_id is None or s.territory_id == f.territory_id)
        and (f.rep_id is None or s.rep_id == f.rep_id)
        and (f.rep_ids_any is None or s.rep_id in f.rep_ids_any)
        and (f.territory_ids_any is None or s.territory_id in f.territory_ids_any)
        and (f.assignment is None or f.assignment in (s.assignment, s.assignment.split(":")[0]))
        and (f.industry is None or a.industry == f.industry)
        and (box is None or (where is not None and _inside(where, box)))
    )


def _inside(point: tuple[float, float], box: tuple[float, float, float, float]) -> bool:
    return box[0] <= point[0] <= box[2] and box[1] <= point[1] <= box[3]


def _read(tx: Tx, accounts: AccountFilter, revision: int | None = None) -> Snapshot:
    stored = tx.find_accounts(accounts)
    # Id order as Python sees it whatever the database's collation: a patched
    # snapshot (snapshot_patch) splices rows in by that order. Linear when
    # the rows came sorted already.
    stored.sort(key=lambda s: s.account.id)
    return Snapshot(
        territories=tuple(tx.find_territories()),
        reps=tuple(tx.find_reps()),
        accounts=tuple(s.account for s in stored),
        assignments=tuple(s.assignment for s in stored),
        revision=revision,
    )


class SnapshotCache:
    """The last unfiltered snapshot of one database, with its revision."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None

    @classmethod
    def of(cls, tx: Tx) -> SnapshotCache:
        """The cache of the database ``tx`` belongs to (one per engine)."""
        return _SNAPSHOT_CACHES.of(tx)

    @staticmethod
    def forget(engine: object) -> None:
        """Drop what is kept for ``engine``'s database: its next read is a full one."""
        _SNAPSHOT_CACHES.forget(engine)

    def get(self, tx: Tx) -> Snapshot:
        """The snapshot at the revision ``tx`` sees, read once per revision."""
        revision = tx.revision()
        snap = self._snapshot
        if snap is not None and snap.revision == revision:
            return snap
        # One reader reads; the others wait for it rather than read the same
        # 100,000 rows beside it. Writers never wait on this lock.
        with self._lock:
            snap = self._snapshot
            if snap is None or snap.revision != revision:
                snap = self._patched(tx, snap, revision) or _read(tx, AccountFilter(), revision)
                if tx.moved_revision:  # its own, uncommitted revision: not kept
                    return snap
                if self._snapshot is None or (self._snapshot.revision or -1) < revision:
                    self._snapshot = snap
            return snap

    @staticmethod
    def _patched(tx: Tx, snap: Snapshot | None, revision: int) -> Snapshot | None:
        """``snap`` brought forward to ``revision`` by the change log, if it can be."""
        if snap is None or snap.revision is None or snap.revision > revision:
            return None
        # Imported here: snapshot_patch builds on this module's Snapshot.
        from service.usecases.snapshot_patch import patch_snapshot

        patched = patch_snapshot(tx, snap, revision)
        if patched is not None:
            # Keep one step of history, not a chain of every snapshot since start.
            object.__setattr__(snap, "before", None)
        return patched


_SNAPSHOT_CACHES: PerEngine[SnapshotCache] = PerEngine(SnapshotCache)
