"""Per-account figures of a snapshot, patched after a write for the accounts it changed.

The too-far flags and each account's distance to its rep's home depend on
the account, its assignment and the reps. After a write that left the reps
alone (an account edited, a territory given to another rep, a shape moved),
only the rows ``Snapshot.changed`` names can differ, so the previous figure
is taken with those rows recomputed: at 100,000 accounts that is most of a
second less on the coverage map after a territory changes hands. A write
that changed a rep (home, reach) moves every account's figure: full
recomputation. Each equals its full computation on the new snapshot (held
to that by ``tests/service/test_incremental_figures.py``).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar

from geo.flags.too_far import TooFarReport, flag_too_far
from geo.model import Account, Assignment
from service.usecases.snapshot import Snapshot
from service.usecases.snapshot_groups import rows_of

T = TypeVar("T")
# Past this share of changed accounts a full pass is as quick as a patch.
_PATCH_SHARE = 0.2


def kept_too_far(snap: Snapshot, default_km: float) -> TooFarReport:
    """:func:`geo.flags.too_far.flag_too_far` of the snapshot, kept with it and patched."""

    def full(accounts: list[Account], assignments: list[Assignment]) -> TooFarReport:
        return flag_too_far(accounts, assignments, snap.reps, default_max_service_km=default_km)

    def patch(previous: TooFarReport, changed: frozenset[str], fresh: TooFarReport) -> TooFarReport:
        return TooFarReport(
            _merged(previous.too_far, changed, fresh.too_far),
            _merged(previous.not_checked, changed, fresh.not_checked),
        )

    return _kept(snap, ("too_far", default_km), full, patch)


def kept_distances(snap: Snapshot, distances: Callable[..., dict[str, float]]) -> dict[str, float]:
    """``distances(accounts, assignments)`` (km to the rep's home, by account id), kept and patched."""

    def patch(
        previous: dict[str, float], changed: frozenset[str], fresh: dict[str, float]
    ) -> dict[str, float]:
        # Only the map reads it, by id: the order of the keys does not matter.
        kept = {k: v for k, v in previous.items() if k not in changed}
        kept.update(fresh)
        return kept

    return _kept(snap, ("map-distances",), distances, patch)


def _kept(
    snap: Snapshot,
    key: Hashable,
    full: Callable[[list[Account], list[Assignment]], T],
    patch: Callable[[T, frozenset[str], T], T],
) -> T:
    def compute() -> T:
        before = snap.before  # read once: a later patch may clear it meanwhile
        previous = before.peek(key) if before is not None else None
        changed = snap.changed
        if (
            before is None
            or previous is None
            or not (before.reps is snap.reps or before.reps == snap.reps)
            or len(changed) > _PATCH_SHARE * max(len(snap.accounts), 1)
        ):
            return full(list(snap.accounts), list(snap.assignments))
        rows = rows_of(snap, sorted(changed)).values()  # in id order, as the snapshot's rows
        fresh = full([a for a, _ in rows], [s for _, s in rows])
        return patch(previous, changed, fresh)  # type: ignore[arg-type]

    return snap.derived(key, compute, depends_on=("accounts", "assignments", "reps"))


def _merged(
    previous: Iterable[Any], changed: frozenset[str], fresh: Iterable[Any]
) -> tuple[Any, ...]:
    """Rows in account id order (the snapshot's order): the kept ones but ``changed``, and ``fresh``."""
    kept = (r for r in previous if r.account_id not in changed)
    return tuple(heapq.merge(kept, fresh, key=lambda r: r.account_id))
