"""What a caller may read in bulk: GIS file exports and vector tiles.

The per-object checks live in :mod:`service.auth`; this is the same rule for
the routes that hand out many rows at once, so a file or a tile never holds
more, or less, than the JSON list of the same route. A rep reads their own
book (the territories they work in, the accounts they own). Admins and
managers read everything: a regional manager's region limits what they may
*write* (:func:`service.auth.ensure_account_in_region`), while the whole
plan stays readable, as the editor needs the neighbours a new boundary must
not overlap.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from geo.model import Territory
from service.auth import Principal
from service.storage import Tx
from service.storage.account_ops import AccountFilter


@dataclass(frozen=True, slots=True)
class ReadScope:
    """The rows a caller may read; ``None`` means no limit of that kind."""

    territory_ids: frozenset[int] | None = None
    account_rep_id: int | None = None
    account_territory_ids: frozenset[int] | None = None

    @property
    def is_everything(self) -> bool:
        """True when nothing is hidden (admins, managers without a region)."""
        return self == EVERYTHING

    def sees_territory(self, territory: Territory) -> bool:
        """True when the territory is in scope."""
        return self.territory_ids is None or territory.id in self.territory_ids

    def accounts(self, f: AccountFilter) -> AccountFilter:
        """``f`` narrowed to the accounts in scope (in SQL, so limits count only these)."""
        if self.account_rep_id is not None:
            f = dataclasses.replace(f, rep_id=self.account_rep_id)
        if self.account_territory_ids is not None:
            ids = tuple(sorted(self.account_territory_ids))
            f = dataclasses.replace(f, territory_ids_any=ids)
        return f


EVERYTHING = ReadScope()
NOTHING = ReadScope(frozenset(), None, frozenset())


def read_scope(principal: Principal, tx: Tx) -> ReadScope:
    """The caller's bulk-read scope, from the territory tree as ``tx`` sees it."""
    if principal.role == "rep":
        if principal.rep_id is None:
            return NOTHING
        mine = frozenset(tx.territory_ids_of_rep(principal.rep_id))
        return ReadScope(territory_ids=mine, account_rep_id=principal.rep_id)
    return EVERYTHING
