"""Rep rows."""

from __future__ import annotations

import dataclasses
from typing import Any

import shapely
from sqlalchemy import Row, Select, Table, delete, insert, select, update

from geo.model import Rep
from service.storage.errors import ConflictError, NotFoundError
from service.storage.statements import ids_param, kept
from service.storage.tx_base import TxBase


class RepOps(TxBase):
    """Mixin of :class:`~service.storage.store.Tx` for reps."""

    def get_rep(self, rep_id: int) -> Rep:
        """One rep."""
        rt = self.t["reps"]
        row = self.conn.execute(select(*_read(rt)).where(rt.c.id == rep_id)).first()
        if row is None:
            raise NotFoundError(f"Rep {rep_id} does not exist.")
        return _rep_from_row(row)

    def find_reps(self, *, after_id: int = 0, limit: int | None = None) -> list[Rep]:
        """Reps by id."""
        rt = self.t["reps"]
        q = select(*_read(rt)).where(rt.c.id > after_id).order_by(rt.c.id)
        if limit is not None:
            q = q.limit(limit)
        return [_rep_from_row(r) for r in self.conn.execute(q)]

    def existing_rep_ids(self, rep_ids: list[int] | tuple[int, ...]) -> set[int]:
        """Which of ``rep_ids`` exist."""
        if not rep_ids:
            return set()
        q = kept(self.t["reps"], "existing", _existing_ids)
        return {int(r[0]) for r in self.conn.execute(q, {"ids": list(rep_ids)})}

    def insert_rep(self, rep: Rep, *, actor: str | None) -> Rep:
        """Create a rep; ``rep.id`` is ignored."""
        rt = self.t["reps"]
        values = self._rep_values(rep, actor)
        new_id = self.conn.execute(insert(rt).values(version=1, **values).returning(rt.c.id))
        rep_id = int(new_id.scalar_one())
        self.audit(actor, "create", "rep", str(rep_id), None)
        self.bump_revision("reps")
        return self.get_rep(rep_id)

    def update_rep(self, rep: Rep, *, actor: str | None) -> Rep:
        """Replace a rep's fields."""
        self.get_rep(rep.id)
        rt = self.t["reps"]
        self.conn.execute(
            update(rt)
            .where(rt.c.id == rep.id)
            .values(version=rt.c.version + 1, **self._rep_values(rep, actor))
        )
        self.audit(actor, "update", "rep", str(rep.id), None)
        self.bump_revision("reps")
        return self.get_rep(rep.id)

    def delete_rep(self, rep_id: int, *, actor: str | None) -> None:
        """Delete a rep that no territory names."""
        self.get_rep(rep_id)
        tt = self.t["territories"]
        users = [
            int(row.id)
            for row in self.conn.execute(select(tt.c.id, tt.c.rep_ids).order_by(tt.c.id))
            if rep_id in (row.rep_ids or ())
        ]
        if users:
            raise ConflictError(
                f"Rep {rep_id} is assigned to territories {users}; remove them there first."
            )
        self.conn.execute(delete(self.t["reps"]).where(self.t["reps"].c.id == rep_id))
        self.audit(actor, "delete", "rep", str(rep_id), None)
        self.bump_revision("reps")

    def _rep_values(self, rep: Rep, actor: str | None) -> dict[str, Any]:
        values = {f.name: getattr(rep, f.name) for f in dataclasses.fields(rep)}
        values.pop("id")
        home = values.pop("home")
        values["home_lon"], values["home_lat"] = home if home is not None else (None, None)
        values["home"] = shapely.to_wkb(shapely.Point(home)) if home is not None else None
        values["updated_at"] = self.now
        values["updated_by"] = actor
        return values


# The columns a Rep is made of, in the order _rep_from_row unpacks them: by
# position, as account_ops reads accounts; a row's name mapping cost a page
# of accounts a tenth of its time under load.
_READ = (
    "id", "name", "email", "home_lon", "home_lat", "max_service_km",
    "weekly_capacity_hours", "avg_speed_kmh", "experience", "quota",
)  # fmt: skip


def _read(rt: Any) -> list[Any]:
    return [rt.c[name] for name in _READ]


def _rep_from_row(row: Row[Any]) -> Rep:
    rid, name, email, lon, lat, reach, capacity, speed, experience, quota = tuple(row)
    return Rep(
        id=int(rid),
        name=name,
        email=email,
        home=(lon, lat) if lon is not None else None,
        max_service_km=reach,
        weekly_capacity_hours=capacity,
        avg_speed_kmh=speed,
        experience=experience,
        quota=quota,
    )


def _existing_ids(t: Table) -> Select[Any]:
    return select(t.c.id).where(t.c.id.in_(ids_param()))
