"""OGC API Features queries: one page of ids and the number matched, all filters in SQL.

A collection is one table (``territories``, ``accounts``, ``reps``). Every
filter a client sends (bbox, ``?prop=value``, a CQL2 ``filter``, the
caller's scope) becomes one SQLAlchemy condition, so the page and
``numberMatched`` count the same rows. Pages are ordered by id, so an offset
names the same rows until the data changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Integer, Select, Table, and_, bindparam, false, func, or_, select
from sqlalchemy.sql.expression import ColumnElement

from service.storage.backends import Backend
from service.storage.statements import kept
from service.storage.tx_base import TxBase

BBox = tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class OgcQuery:
    """What to select from one collection's table."""

    table: str
    conditions: tuple[ColumnElement[bool], ...] = ()


class OgcOps(TxBase):
    """Mixin of :class:`~service.storage.store.Tx` for OGC API Features."""

    def ogc_columns(self, table: str) -> dict[str, Column[Any]]:
        """The columns of ``table`` by name (what queryables point at)."""
        return dict(self.t[table].c.items())

    def ogc_page(self, query: OgcQuery, *, offset: int, limit: int) -> tuple[list[Any], int]:
        """The ids of one page (by id) and how many rows match in all."""
        table = self.t[query.table]
        where = and_(True, *query.conditions)
        matched = self.conn.execute(select(func.count()).select_from(table).where(where))
        ids = self.conn.execute(
            select(table.c.id).where(where).order_by(table.c.id).offset(offset).limit(limit)
        )
        return [r[0] for r in ids], int(matched.scalar_one())

    def ogc_ids(self, query: OgcQuery) -> list[Any]:
        """Every matching id, by id (the candidates an exact test then narrows)."""
        table = self.t[query.table]
        q = select(table.c.id).where(and_(True, *query.conditions)).order_by(table.c.id)
        return [r[0] for r in self.conn.execute(q)]

    def ogc_bbox_condition(self, table: str, boxes: Sequence[BBox]) -> ColumnElement[bool]:
        """Rows whose location lies in (points) or whose bbox meets (shapes) one of ``boxes``.

        Exact for points (inclusive edges); for territories a pre-filter on
        their stored bboxes that the caller narrows with the shapes.
        """
        t = self.t[table]
        if table == "territories":
            return or_(false(), *(self.backend.bbox_filter(t, b) for b in boxes))
        x, y = (t.c.lon, t.c.lat) if table == "accounts" else (t.c.home_lon, t.c.home_lat)
        return or_(
            false(),
            *(and_(x >= b[0], x <= b[2], y >= b[1], y <= b[3]) for b in boxes),
        )

    def territory_ids_of_rep(self, rep_id: int) -> list[int]:
        """Ids of the territories ``rep_id`` works in (their ``rep_ids`` holds it)."""
        tt = self.t["territories"]
        q = kept(tt, "of_rep", lambda t: _of_rep(t, self.backend))
        return [int(i) for (i,) in self.conn.execute(q, {"rep_id": rep_id})]

    def ogc_extent(self, table: str) -> BBox | None:
        """The bbox (CRS84) of every row with a location; None when there is none."""
        t = self.t[table]
        if table == "territories":
            cols = (t.c.minx, t.c.miny, t.c.maxx, t.c.maxy)
        else:
            x, y = (t.c.lon, t.c.lat) if table == "accounts" else (t.c.home_lon, t.c.home_lat)
            cols = (x, y, x, y)
        q = select(func.min(cols[0]), func.min(cols[1]), func.max(cols[2]), func.max(cols[3]))
        row = self.conn.execute(q).one()
        if row[0] is None:
            return None
        return (float(row[0]), float(row[1]), float(row[2]), float(row[3]))


def _of_rep(tt: Table, backend: Backend) -> Select[Any]:
    holds = backend.json_array_holds(tt.c.rep_ids, bindparam("rep_id", type_=Integer))
    return select(tt.c.id).where(holds).order_by(tt.c.id)
