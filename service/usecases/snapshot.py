"""Everything an analysis needs, read in one consistent transaction."""

from __future__ import annotations

from dataclasses import dataclass

from geo.hierarchy import leaf_territories
from geo.model import Account, Assignment, Rep, Territory
from service.storage import Tx
from service.storage.account_ops import AccountFilter


@dataclass(frozen=True)
class Snapshot:
    """Territories, reps and accounts with their stored assignments."""

    territories: tuple[Territory, ...]
    reps: tuple[Rep, ...]
    accounts: tuple[Account, ...]
    assignments: tuple[Assignment, ...]

    @property
    def leaves(self) -> tuple[Territory, ...]:
        """Territories no other territory names as parent: they own accounts."""
        return tuple(leaf_territories(self.territories))

    @property
    def reps_by_id(self) -> dict[int, Rep]:
        """Reps keyed by id."""
        return {r.id: r for r in self.reps}

    def for_rep(self, rep_id: int) -> tuple[list[Account], list[Assignment]]:
        """The accounts a rep owns, with their assignments."""
        pairs = [
            (a, s)
            for a, s in zip(self.accounts, self.assignments, strict=True)
            if s.rep_id == rep_id
        ]
        return [a for a, _ in pairs], [s for _, s in pairs]


def load_snapshot(tx: Tx, *, accounts: AccountFilter | None = None) -> Snapshot:
    """Read a snapshot; ``accounts`` narrows the accounts read."""
    stored = tx.find_accounts(accounts or AccountFilter())
    return Snapshot(
        territories=tuple(tx.find_territories()),
        reps=tuple(tx.find_reps()),
        accounts=tuple(s.account for s in stored),
        assignments=tuple(s.assignment for s in stored),
    )
