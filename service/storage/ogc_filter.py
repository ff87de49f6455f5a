"""CQL2 filter trees (parsed by ``pygeofilter``) as SQLAlchemy Core conditions.

Only what *basic-cql2* holds: comparisons (``= <> < <= > >=``), ``AND``,
``OR``, ``NOT``, ``LIKE``, ``IN``, ``IS NULL`` between one queryable and
literals. Every property name is looked up in the collection's queryables
before any SQL is built, and every literal is bound as a parameter with the
type of its column, so the same tree runs on SQLite and PostGIS and answers
alike there: ``LIKE`` is case-sensitive as CQL2 wants (PostgreSQL's is;
SQLite's is not, so SQLite gets the equivalent ``GLOB`` pattern).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pygeofilter import ast
from sqlalchemy import Column, and_, not_, or_
from sqlalchemy.sql.expression import ColumnElement


class FilterError(ValueError):
    """The filter names something that is not a queryable, or compares mismatched types."""


@dataclass(frozen=True, slots=True)
class Queryable:
    """A property a client may filter on: its column and JSON Schema type."""

    name: str
    column: str
    kind: str  # "string", "integer", "number" or "boolean"
    description: str = ""
    schema: dict[str, Any] = field(default_factory=dict)  # pattern, enum, maxLength


_COMPARE = {
    ast.Equal: "__eq__",
    ast.NotEqual: "__ne__",
    ast.LessThan: "__lt__",
    ast.LessEqual: "__le__",
    ast.GreaterThan: "__gt__",
    ast.GreaterEqual: "__ge__",
}


def cql_condition(
    node: Any,
    queryables: Mapping[str, Queryable],
    columns: Mapping[str, Column[Any]],
    *,
    sqlite: bool,
) -> ColumnElement[bool]:
    """The SQL condition for a parsed CQL2 ``node``; :class:`FilterError` when it cannot be one."""
    return _Builder(queryables, columns, sqlite).build(node)


class _Builder:
    def __init__(
        self, queryables: Mapping[str, Queryable], columns: Mapping[str, Column[Any]], sqlite: bool
    ) -> None:
        self.queryables, self.columns, self.sqlite = queryables, columns, sqlite

    def build(self, node: Any) -> ColumnElement[bool]:
        if isinstance(node, ast.And):
            return and_(self.build(node.lhs), self.build(node.rhs))
        if isinstance(node, ast.Or):
            return or_(self.build(node.lhs), self.build(node.rhs))
        if isinstance(node, ast.Not):
            return not_(self.build(node.sub_node))
        if type(node) in _COMPARE:
            column, q = self._property(node.lhs)
            value = literal_for(q, node.rhs)
            return getattr(column, _COMPARE[type(node)])(value)  # type: ignore[no-any-return]
        if isinstance(node, ast.IsNull):
            column, _ = self._property(node.lhs)
            return column.is_not(None) if node.not_ else column.is_(None)
        if isinstance(node, ast.In):
            column, q = self._property(node.lhs)
            values = [literal_for(q, v) for v in node.sub_nodes]
            return column.not_in(values) if node.not_ else column.in_(values)
        if isinstance(node, ast.Like):
            return self._like(node)
        if isinstance(node, ast.GeometryIntersects):
            raise FilterError("S_INTERSECTS may only be joined to the rest of the filter with AND.")
        raise FilterError(
            f"{type(node).__name__} is not supported: use comparisons, AND, OR, NOT, LIKE, IN, IS NULL and S_INTERSECTS."
        )

    def _property(self, node: Any) -> tuple[Column[Any], Queryable]:
        if not isinstance(node, ast.Attribute):
            raise FilterError("The left side of a comparison must be a queryable property name.")
        q = self.queryables.get(node.name)
        if q is None:
            raise FilterError(f"{node.name!r} is not a queryable of this collection.")
        return self.columns[q.column], q

    def _like(self, node: ast.Like) -> ColumnElement[bool]:
        column, q = self._property(node.lhs)
        if q.kind != "string" or not isinstance(node.pattern, str):
            raise FilterError(f"LIKE needs a text property and a text pattern ({q.name!r}).")
        if self.sqlite:
            matched = column.op("GLOB")(glob_pattern(node.pattern))
        else:
            matched = column.like(node.pattern, escape="\\")
        return not_(matched) if node.not_ else matched


def literal_for(q: Queryable, value: Any) -> Any:
    """``value`` as the Python value of ``q``'s column; :class:`FilterError` on a mismatch."""
    if isinstance(value, ast.Attribute):
        raise FilterError(
            f"{value.name!r} is not a value: quote text values ('...'), and compare a property only with literals."
        )
    ok = {
        "string": isinstance(value, str),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, int | float) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
    }[q.kind]
    if not ok:
        raise FilterError(f"{q.name!r} is a {q.kind}; {value!r} is not.")
    if q.kind == "integer" and not -_INT_LIMIT < value < _INT_LIMIT:
        raise FilterError(f"{value} is out of range for {q.name!r}.")
    if q.kind == "number" and not -_NUMBER_LIMIT < value < _NUMBER_LIMIT:  # also NaN
        raise FilterError(f"{value} is out of range for {q.name!r}.")
    return value


# The columns are 32-bit integers and doubles; larger values could not be stored either.
_INT_LIMIT = 2**31
_NUMBER_LIMIT = 1e300


def glob_pattern(like: str) -> str:
    r"""A CQL2 ``LIKE`` pattern (``%``, ``_``, ``\`` escape) as a case-sensitive SQLite GLOB.

    >>> glob_pattern(r"Col%_1\%*")
    'Col*?1%[*]'
    """
    out, escaped = [], False
    for ch in like:
        if escaped:
            out.append(_glob_literal(ch))
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == "%":
            out.append("*")
        elif ch == "_":
            out.append("?")
        else:
            out.append(_glob_literal(ch))
    return "".join(out)


def _glob_literal(ch: str) -> str:
    return f"[{ch}]" if ch in "*?[" else ch
