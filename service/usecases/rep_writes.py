"""Rep writes: a body becomes a :class:`~geo.model.Rep`, checked against the caller's region.

The routes in :mod:`service.routers.reps` parse and shape; the merge of a
partial body onto the stored rep, the home point's gate and the regional
manager's scope are here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from geo.errors import InvalidInputError, Issue
from geo.model import Rep
from geo.validate.gate import clean_point
from service.auth import Principal, ensure_rep_in_region
from service.storage import Tx


def add_rep(tx: Tx, fields: Mapping[str, object], principal: Principal) -> Rep:
    """Store a new rep from a body's fields (``home`` as a GeoJSON Point)."""
    return tx.insert_rep(rep_from(0, fields), actor=principal.name)


def replace_rep(tx: Tx, rep_id: int, fields: Mapping[str, object], principal: Principal) -> Rep:
    """Replace every field of a rep the caller may write."""
    rep = rep_from(rep_id, fields)
    ensure_rep_in_region(principal, rep_id, tx)
    return tx.update_rep(rep, actor=principal.name)


def patch_rep(tx: Tx, rep_id: int, changed: Mapping[str, object], principal: Principal) -> Rep:
    """Change some fields of a rep; absent fields stay, null clears (a name cannot be cleared)."""
    current = tx.get_rep(rep_id)
    ensure_rep_in_region(principal, rep_id, tx)
    fields: dict[str, object] = {
        f.name: getattr(current, f.name) for f in dataclasses.fields(current)
    }
    fields["home"] = {"type": "Point", "coordinates": list(current.home)} if current.home else None
    fields.update(changed)
    if fields.get("name") is None:
        raise InvalidInputError(
            "The rep is invalid; nothing was stored.", [Issue("/name", "a rep needs a name")]
        )
    return tx.update_rep(rep_from(rep_id, fields), actor=principal.name)


def remove_rep(tx: Tx, rep_id: int, principal: Principal) -> None:
    """Delete a rep the caller may write (the store refuses one still in a territory)."""
    ensure_rep_in_region(principal, rep_id, tx)
    tx.delete_rep(rep_id, actor=principal.name)


def rep_from(rep_id: int, fields: Mapping[str, object]) -> Rep:
    """The rep ``fields`` describe; the home point goes through the geometry gate."""
    rest = {k: v for k, v in fields.items() if k not in ("home", "id")}
    home_raw = fields.get("home")
    home = clean_point(home_raw, pointer="/home") if home_raw is not None else None
    return Rep(id=rep_id, home=home, **rest)  # type: ignore[arg-type]
