"""Territory conflicts: work logged by a rep on an account another rep owns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from geo.plan.model import PlanData

__all__ = ["Crossing", "find_crossings"]


@dataclass(frozen=True, slots=True)
class Crossing:
    """One record a rep logged on a colleague's account.

    ``kind`` is ``pipeline`` or ``activity``; ``what`` is the record's stage
    or the activity's kind; ``at`` is when it was created (or happened) and
    ``closed_at`` when a pipeline record was closed.
    """

    kind: str
    record_id: str
    what: str
    account_id: str
    territory_id: int | None
    logged_by_rep_id: int
    owner_rep_id: int
    at: datetime
    closed_at: datetime | None = None


def find_crossings(data: PlanData) -> list[Crossing]:
    """Pipeline records and activities logged on accounts owned by another rep.

    A rep who belongs to the account's territory (any of its ``rep_ids``) is
    a colleague on the same patch, not a crossing; an account without an
    owner (unassigned) cannot be crossed into.

    Parameters
    ----------
    data : PlanData
        Accounts with their current assignment, territories, records.

    Returns
    -------
    list of Crossing
        Oldest first, then by kind and record id.

    Examples
    --------
    >>> from datetime import UTC
    >>> from geo.model import Account, Assignment
    >>> from geo.plan.model import Activity
    >>> visit = Activity("x", "a", "visit", datetime(2026, 1, 5, tzinfo=UTC), rep_id=2)
    >>> data = PlanData([], [], [Account("a")], [Assignment("a", None, 1, "override")],
    ...                 activities=[visit])
    >>> [(c.record_id, c.logged_by_rep_id, c.owner_rep_id) for c in find_crossings(data)]
    [('x', 2, 1)]
    """
    found = [
        Crossing(
            "pipeline",
            r.id,
            r.stage,
            r.account_id,
            data.territory_of(r.account_id),
            r.rep_id,
            owner,
            r.created_at,
            r.closed_at,
        )
        for r in data.pipeline
        if r.rep_id is not None
        and (owner := _crossed_owner(data, r.account_id, r.rep_id)) is not None
    ]
    found += [
        Crossing(
            "activity",
            a.id,
            a.kind,
            a.account_id,
            data.territory_of(a.account_id),
            a.rep_id,
            owner,
            a.at,
        )
        for a in data.activities
        if a.rep_id is not None
        and (owner := _crossed_owner(data, a.account_id, a.rep_id)) is not None
    ]
    return sorted(found, key=lambda c: (c.at, c.kind, c.record_id))


def _crossed_owner(data: PlanData, account_id: str, rep_id: int) -> int | None:
    """The owner rep when ``rep_id`` is neither the owner nor on the owning territory."""
    owner = data.owner_of(account_id)
    if owner is None or owner == rep_id:
        return None
    territory_id = data.territory_of(account_id)
    territory = data.territory_by_id.get(territory_id) if territory_id is not None else None
    if territory is not None and rep_id in territory.rep_ids:
        return None
    return owner
