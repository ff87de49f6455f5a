"""A territory write returns what it stored: equal to the row read back, on each backend.

The write builds its answer from the draft instead of reading the row again
(service/storage/territory_rows.as_written); this holds the two equal over
generated drafts: shapes with holes and parts, rules, reps, attributes.
"""

from __future__ import annotations

import dataclasses
import itertools
from datetime import UTC, datetime
from typing import Any

import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event

from geo.model import Rules, Territory
from service.storage import PreconditionFailedError, Store
from service.storage.territory_rows import TerritoryDraft, draft_of

_codes = itertools.count()

json_scalars = st.none() | st.booleans() | st.integers(-(2**62), 2**62) | st.text(max_size=8)
json_values = st.recursive(
    json_scalars | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
# Stored attributes drop keys whose value is null (a merge deletes them), so none is drawn.
attributes = st.dictionaries(
    st.text(min_size=1, max_size=8), json_values.filter(lambda v: v is not None), max_size=4
)
names = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1,
    max_size=40,
)
labels = st.lists(
    st.sampled_from(["retail", "health", "energy", "widgets", "gadgets"]), max_size=3, unique=True
)
revenues = st.none() | st.floats(0, 1e9, allow_nan=False)


@st.composite
def shapes(draw: st.DrawFn) -> shapely.MultiPolygon:
    parts = []
    for k in range(draw(st.integers(1, 3))):
        x = draw(st.floats(-179.0, 170.0)) + 0.0
        y = draw(st.floats(-80.0, 70.0)) + 0.0
        w = draw(st.floats(0.01, 3.0))
        shell = [(x, y), (x + w, y), (x + w, y + w), (x, y + w), (x, y)]
        holes = []
        if draw(st.booleans()):
            d = w / 4
            holes = [
                [
                    (x + d, y + d),
                    (x + d, y + 2 * d),
                    (x + 2 * d, y + 2 * d),
                    (x + 2 * d, y + d),
                    (x + d, y + d),
                ]
            ]
        parts.append(shapely.Polygon(shell, holes))
        del k
    return shapely.MultiPolygon(parts)


@st.composite
def drafts(draw: st.DrawFn) -> TerritoryDraft:
    return TerritoryDraft(
        name=draw(names),
        geometry=draw(shapes()),
        code=f"C{next(_codes)}" if draw(st.booleans()) else None,
        rep_ids=tuple(draw(st.lists(st.integers(1, 10**6), max_size=3, unique=True))),
        rules=Rules(
            industries=tuple(i) if (i := draw(st.none() | labels)) is not None else None,
            products=tuple(p) if (p := draw(st.none() | labels)) is not None else None,
            min_revenue=draw(revenues),
            max_revenue=draw(revenues),
        ),
        color=draw(st.none() | st.from_regex(r"#[0-9a-f]{6}", fullmatch=True)),
        attributes=draw(attributes),
    )


def _instant(t: Territory) -> Territory:
    """The same territory with ``updated_at`` as an aware UTC instant (SQLite hands back naive)."""
    at = t.updated_at
    assert at is not None
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return dataclasses.replace(t, updated_at=at)


def _same(returned: Territory, stored: Territory) -> None:
    assert _instant(returned) == _instant(stored)
    # Equal as dataclasses is not enough for shapes: the same coordinates, in order.
    assert shapely.to_wkb(returned.geometry) == shapely.to_wkb(stored.geometry)
    assert list(returned.attributes) == list(stored.attributes)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(first=drafts(), second=drafts())
def test_create_and_update_return_the_row_as_stored(
    store: Store, first: TerritoryDraft, second: TerritoryDraft
) -> None:
    with store.write() as tx:
        made = tx.insert_territory(first, actor="ann")
        changed = tx.update_territory(made.id, second, expected_version=1, actor="bob")
        again = tx.update_territory(
            made.id,
            dataclasses.replace(second, color="#000000"),
            expected_version=2,
            actor="cy",
            current=changed,
        )
    with store.read() as tx:
        history = tx.territory_history(made.id)
        now = tx.get_territory(made.id)
    assert [v.territory.version for v in history] == [1, 2, 3]
    _same(made, history[0].territory)
    _same(changed, history[1].territory)
    _same(again, now)
    assert made.updated_at is not None and made.updated_at <= datetime.now(UTC)


def test_a_stale_current_still_loses_to_the_write_that_got_in_first(store: Store) -> None:
    """Handing the write the territory it read does not skip the version check in SQL."""
    box = shapely.MultiPolygon([shapely.box(0, 0, 1, 1)])
    with store.write() as tx:
        made = tx.insert_territory(TerritoryDraft("A", box), actor="a")
    with store.write() as tx:
        tx.update_territory(made.id, TerritoryDraft("B", box), expected_version=1, actor="b")
    with pytest.raises(PreconditionFailedError), store.write() as tx:
        tx.update_territory(
            made.id, TerritoryDraft("C", box), expected_version=None, actor="c", current=made
        )
    with store.read() as tx:
        assert tx.get_territory(made.id).name == "B"


def _updates_of_territories(store: Store) -> list[str]:
    """The UPDATE statements sent for ``territories`` from now on (the list grows)."""
    sent: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE TERRITORIES"):
            sent.append(statement)

    event.listen(store.backend.engine, "before_cursor_execute", seen)
    return sent


def test_a_change_that_keeps_the_shape_leaves_the_stored_geometry_alone(store: Store) -> None:
    """A colour change with the geometry held sets no shape column; the row and the
    history still hold the shape, and a shape change still sets it."""
    box = shapely.MultiPolygon([shapely.box(0, 0, 1, 1)])
    with store.write() as tx:
        made = tx.insert_territory(TerritoryDraft("A", box), actor="a")
    sent = _updates_of_territories(store)
    with store.write() as tx:
        coloured = tx.update_territory(
            made.id,
            dataclasses.replace(draft_of(made), color="#123456"),
            expected_version=1,
            actor="b",
            current=made,
        )
    assert len(sent) == 1 and "geometry" not in sent[0] and "minx" not in sent[0], sent
    assert "color" in sent[0]
    moved = shapely.MultiPolygon([shapely.box(2, 2, 3, 4)])
    with store.write() as tx:  # read afresh: a geometry decoded from the row, not the draft's
        tx.update_territory(
            made.id, TerritoryDraft("A", moved, color="#123456"), expected_version=2, actor="c"
        )
        tx.update_territory(
            made.id, dataclasses.replace(draft_of(made), name="B"), expected_version=3, actor="d"
        )
    assert len(sent) == 3 and all("geometry" in s and "minx" in s for s in sent[1:]), sent
    with store.read() as tx:
        history = [v.territory for v in tx.territory_history(made.id)]
        now = tx.get_territory(made.id)
    _same(coloured, history[1])
    assert shapely.equals_exact(history[1].geometry, box, 0) and history[1].color == "#123456"
    assert shapely.equals_exact(history[2].geometry, moved, 0)
    assert shapely.equals_exact(now.geometry, box, 0) and now.name == "B"
    # The store's box filter follows the shape back.
    with store.read() as tx:
        assert [t.id for t in tx.find_territories(boxes=[(0.2, 0.2, 0.8, 0.8)])] == [made.id]
