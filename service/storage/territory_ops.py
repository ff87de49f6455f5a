"""Territory rows: CRUD with versions, history and restore."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    Update,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    update,
)

from geo.model import BBox, Territory
from service.storage.errors import ConflictError, NotFoundError, PreconditionFailedError
from service.storage.statements import ids_param, kept
from service.storage.territory_rows import (
    TerritoryDraft,
    TerritoryVersion,
    as_written,
    draft_of,
    row_values,
    territory_from_row,
    version_from_row,
)
from service.storage.tx_base import TxBase


class TerritoryOps(TxBase):
    """Mixin of :class:`~service.storage.store.Tx` for territories.

    Every version it writes names the transaction's change set: the one
    opened with :meth:`open_change_set`, or else one opened on the first
    write, so that no territory write goes unrecorded.
    """

    change_set_id: int | None = None

    def open_change_set(self, actor: str | None, kind: str) -> int:
        """Start the change set every version written by this transaction belongs to."""
        if self.change_set_id is None:
            cs = self.plan_table("change_sets")
            q = kept(cs, "open", lambda t: insert(t).returning(t.c.id))
            values = {"actor": actor, "created_at": self.now, "kind": kind, **self.plan_key()}
            self.change_set_id = int(self.conn.execute(q, values).scalar_one())
        return self.change_set_id

    def allocate_territory_id(self) -> int:
        """A new territory id from the live plan's sequence (never used, never reused)."""
        if self.backend.name == "postgis":
            q = text("SELECT nextval(pg_get_serial_sequence('territories', 'id'))")
            return int(self.conn.execute(q).scalar_one())
        seq = _sqlite_sequence()
        found = self.conn.execute(select(seq.c.seq).where(seq.c.name == "territories")).scalar()
        if found is None:
            top = self.conn.execute(select(func.max(self.t["territories"].c.id))).scalar()
            new_id = int(top or 0) + 1
            self.conn.execute(insert(seq).values(name="territories", seq=new_id))
        else:
            new_id = int(found) + 1
            self.conn.execute(update(seq).where(seq.c.name == "territories").values(seq=new_id))
        return new_id

    def get_territory(self, territory_id: int) -> Territory:
        """The current version of one territory."""
        tt = self.plan_table("territories")
        q = kept(tt, "one", _one_territory)
        row = self.conn.execute(q, {"id_": territory_id, "plan_id": self.plan_id}).first()
        if row is None:
            raise NotFoundError(f"Territory {territory_id} does not exist.")
        return territory_from_row(row)

    def find_territories(
        self,
        *,
        boxes: Sequence[BBox] = (),
        ids: Sequence[int] | None = None,
        code: str | None = None,
        parent_id: int | None = None,
        after_id: int = 0,
        limit: int | None = None,
    ) -> list[Territory]:
        """Territories by id, pre-filtered by bbox in SQL (callers refine exactly).

        ``boxes`` admits a territory whose bbox meets any of them (a bbox split
        at the antimeridian); ``ids`` keeps only those territories.
        """
        tt = self.plan_table("territories")
        q = select(tt).where(tt.c.id > after_id, *self.in_plan(tt)).order_by(tt.c.id)
        if boxes:
            plan = self.in_plan(tt)
            q = q.where(or_(*(self.backend.bbox_filter(tt, b, plan) for b in boxes)))
        if ids is not None:
            q = q.where(tt.c.id.in_(ids))
        if code is not None:
            q = q.where(tt.c.code == code)
        if parent_id is not None:
            q = q.where(tt.c.parent_id == parent_id)
        if limit is not None:
            q = q.limit(limit)
        return [territory_from_row(r) for r in self.conn.execute(q)]

    def count_territories(self) -> int:
        """How many territories the plan holds."""
        tt = self.plan_table("territories")
        q = select(func.count()).select_from(tt).where(*self.in_plan(tt))
        return int(self.conn.execute(q).scalar_one())

    def territories_by_id(self, ids: Sequence[int]) -> dict[int, Territory]:
        """The territories among ``ids`` that exist, in one query."""
        tt = self.plan_table("territories")
        if not ids:
            return {}
        q = kept(tt, "by_ids", lambda t: _in_plan(t, select(t).where(t.c.id.in_(ids_param()))))
        rows = self.conn.execute(q, {"ids": sorted(set(ids)), "plan_id": self.plan_id})
        return {t.id: t for t in map(territory_from_row, rows)}

    def territory_parents(self) -> dict[int, int | None]:
        """Every territory's parent id, without geometry (cheap: two integer columns)."""
        tt = self.plan_table("territories")
        q = kept(tt, "parents", lambda t: _in_plan(t, select(t.c.id, t.c.parent_id)))
        return {int(i): p for i, p in self.conn.execute(q, {"plan_id": self.plan_id}).all()}

    def parent_territory_ids(self) -> set[int]:
        """The ids some territory names as its parent.

        Distinct in SQL, off the parent index: a territory write asks for
        them, and reading a row per territory to find a few regions was most
        of a millisecond at 1,000 territories.
        """
        tt = self.plan_table("territories")
        q = select(tt.c.parent_id).where(tt.c.parent_id.is_not(None), *self.in_plan(tt))
        return {int(p) for (p,) in self.conn.execute(q.distinct())}

    def children_of(self, territory_ids: Iterable[int]) -> dict[int, int]:
        """The territories whose parent is one of ``territory_ids``: child id to parent id."""
        ids = sorted(set(territory_ids))
        if not ids:
            return {}
        tt = self.plan_table("territories")
        q = kept(tt, "children", _children_of)
        return {
            int(i): int(p) for i, p in self.conn.execute(q, {"ids": ids, "plan_id": self.plan_id})
        }

    def child_ids(self, territory_id: int) -> list[int]:
        """Ids of the territories whose parent is ``territory_id``."""
        tt = self.plan_table("territories")
        q = (
            select(tt.c.id)
            .where(tt.c.parent_id == territory_id, *self.in_plan(tt))
            .order_by(tt.c.id)
        )
        return [int(r[0]) for r in self.conn.execute(q)]

    def insert_territory(
        self,
        draft: TerritoryDraft,
        *,
        actor: str | None,
        territory_id: int | None = None,
        version: int = 1,
        op: str | None = None,
    ) -> Territory:
        """Create a territory at version 1, or re-create a deleted one under its old id.

        A territory created inside a scenario takes its id from the live
        plan's own sequence, so that it keeps that id when the scenario is
        applied and no live territory ever gets it meanwhile.
        """
        self._check_code_free(draft.code, None)
        values = row_values(draft, self.now, actor)
        if territory_id is None and self.plan_id is not None:
            territory_id, op = self.allocate_territory_id(), op or "create"
        if territory_id is not None:
            values["id"] = territory_id
        new_id = self.conn.execute(
            insert(self.plan_table("territories"))
            .values(version=version, **values, **self.plan_key())
            .returning(self.plan_table("territories").c.id)
        ).scalar_one()
        values.pop("id", None)
        op = op or ("create" if territory_id is None else "restore")
        self._record_version(int(new_id), version, op, values)
        self.bump_revision("territories", [int(new_id)])
        made = as_written(int(new_id), version, draft, self.now, actor)
        self._note_written(made.id, made)
        return made

    def update_territory(
        self,
        territory_id: int,
        draft: TerritoryDraft,
        *,
        expected_version: int | None,
        actor: str | None,
        op: str = "update",
        current: Territory | None = None,
    ) -> Territory:
        """Replace a territory if ``expected_version`` is still current.

        ``current`` is the territory as this transaction already read it, if
        the caller has it: the versioned UPDATE below still refuses a write
        that another one got in before.
        """
        if current is None:
            current = self.get_territory(territory_id)
        check_version(current, expected_version)
        self._check_code_free(draft.code, territory_id)
        values = row_values(draft, self.now, actor)
        tt = self.plan_table("territories")
        new_version = current.version + 1
        q = kept(tt, "update", _versioned_update)
        params = {"id_": territory_id, "old_version": current.version, "plan_id": self.plan_id}
        result = self.conn.execute(
            q, {**params, "version": new_version, **_changed(values, draft, current)}
        )
        if result.rowcount != 1:
            latest = self.get_territory(territory_id)
            check_version(latest, current.version)
        self._record_version(territory_id, new_version, op, values)
        self.bump_revision("territories", [territory_id])
        changed = as_written(territory_id, new_version, draft, self.now, actor)
        self._note_written(territory_id, changed)
        return changed

    def delete_territory(
        self, territory_id: int, *, expected_version: int | None, actor: str | None
    ) -> Territory:
        """Delete a territory; its history stays, ending with a ``delete`` entry."""
        current = self.get_territory(territory_id)
        check_version(current, expected_version)
        if self.child_ids(territory_id):
            raise ConflictError(
                f"Territory {territory_id} has child territories; move or delete them first."
            )
        tt = self.plan_table("territories")
        result = self.conn.execute(
            delete(tt).where(
                tt.c.id == territory_id, tt.c.version == current.version, *self.in_plan(tt)
            )
        )
        if result.rowcount != 1:
            check_version(self.get_territory(territory_id), current.version)
        draft = draft_of(current)
        values = row_values(draft, self.now, actor)
        self._record_version(territory_id, current.version + 1, "delete", values)
        self.bump_revision("territories", [territory_id])
        self._note_written(territory_id, None)
        return current

    def territory_history(self, territory_id: int) -> list[TerritoryVersion]:
        """Every accepted version, oldest first."""
        tv = self.plan_table("territory_versions")
        q = (
            select(tv)
            .where(tv.c.territory_id == territory_id, *self.in_plan(tv))
            .order_by(tv.c.version)
        )
        rows = list(self.conn.execute(q))
        if not rows:
            raise NotFoundError(f"Territory {territory_id} does not exist.")
        return [version_from_row(r) for r in rows]

    def territory_version(self, territory_id: int, version: int) -> TerritoryVersion:
        """One past version of a territory."""
        for entry in self.territory_history(territory_id):
            if entry.territory.version == version:
                return entry
        raise NotFoundError(f"Territory {territory_id} has no version {version}.")

    def _note_written(self, territory_id: int, territory: Territory | None) -> None:
        """``territory`` (None: deleted), noted as this transaction's last write of a live
        territory: the log memo learns it when the transaction commits, and the next
        write's checks and the next index refresh take it from there instead of
        reading the row again (:func:`service.held_territories.patched`)."""
        if self.plan_id is None:
            stored = territory
            if territory is not None and self.backend.name == "sqlite":
                # As SQLite hands it back: the same UTC instant, naive.
                assert territory.updated_at is not None
                stored = replace(territory, updated_at=territory.updated_at.replace(tzinfo=None))
            self._live.territories[territory_id] = stored

    def _check_code_free(self, code: str | None, own_id: int | None) -> None:
        if code is None:
            return
        tt = self.plan_table("territories")
        found = self.conn.execute(
            select(tt.c.id).where(tt.c.code == code, *self.in_plan(tt))
        ).scalar()
        if found is not None and found != own_id:
            raise ConflictError(f"Territory code {code!r} is already used by territory {found}.")

    def _record_version(
        self, territory_id: int, version: int, op: str, values: dict[str, Any]
    ) -> None:
        change_set_id = self.open_change_set(values["updated_by"], op)
        tv = self.plan_table("territory_versions")
        row = {"territory_id": territory_id, "version": version, "op": op}
        row |= {"change_set_id": change_set_id, **values, **self.plan_key()}
        self.conn.execute(kept(tv, "insert", insert), row)


# The columns of a territory's shape: its geometry and the box the store filters on.
SHAPE_COLUMNS = ("geometry", "minx", "miny", "maxx", "maxy")


def _changed(values: dict[str, Any], draft: TerritoryDraft, current: Territory) -> dict[str, Any]:
    """The columns an UPDATE of ``current`` to ``draft`` sets: all but the shape's when the
    draft keeps the very geometry held (a change of name, colour, reps or rules).

    ``current`` is the row at the version the UPDATE's WHERE requires, so its
    geometry is the one stored. Set again, PostgreSQL wrote the whole geometry
    anew (a county's is kilobytes, stored out of line) for each colour change;
    left out, the new row version points at the stored one. The version row
    keeps its own copy as before.
    """
    if draft.geometry is not current.geometry:
        return values
    return {k: v for k, v in values.items() if k not in SHAPE_COLUMNS}


def _sqlite_sequence() -> Table:
    return Table("sqlite_sequence", MetaData(), Column("name", String), Column("seq", Integer))


def check_version(current: Territory, expected: int | None) -> None:
    """Raise 412-style error when ``expected`` is not the current version."""
    if expected is not None and expected != current.version:
        raise PreconditionFailedError(
            f"Territory {current.id} is at version {current.version}, not {expected}; "
            f"last changed by {current.updated_by or 'unknown'}.",
            current_version=current.version,
            updated_by=current.updated_by,
        )


def _one_territory(t: Table) -> Select[Any]:
    return _in_plan(t, select(t).where(t.c.id == bindparam("id_")))


def _children_of(t: Table) -> Select[Any]:
    return _in_plan(t, select(t.c.id, t.c.parent_id).where(t.c.parent_id.in_(ids_param())))


def _versioned_update(t: Table) -> Update:
    """Set the columns the parameters name, if the row is still at ``old_version``.

    The version in the WHERE clause makes the check-and-write atomic on
    PostgreSQL even between two workers that both read the old version.
    """
    q = update(t).where(t.c.id == bindparam("id_"), t.c.version == bindparam("old_version"))
    return _in_plan(t, q)


QueryT = TypeVar("QueryT", Select[Any], Update)


def _in_plan(t: Table, q: QueryT) -> QueryT:
    """``q`` kept to one plan's rows when ``t`` is a plan's copy (the plan as a parameter)."""
    return q.where(t.c.scenario_id == bindparam("plan_id")) if "scenario_id" in t.c else q
