"""The territories a rep works in, found by the database, on each backend.

``territory_ids_of_rep`` tests each territory's JSON ``rep_ids`` in SQL (a
GIN index on PostGIS). Over generated teams the answer equals the Python
test of the same lists: a rep id that is a digit-prefix of another (7, 17,
70) matches only itself, an empty team matches no one, and the answer is
ordered by id. On PostGIS the query uses the index.
"""

from __future__ import annotations

import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from service.storage import Store
from service.storage.territory_rows import TerritoryDraft

REP_IDS = st.sampled_from([1, 7, 17, 70, 71, 700, 10**6])


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(teams=st.lists(st.lists(REP_IDS, unique=True, max_size=4), min_size=1, max_size=8))
def test_a_reps_territories_are_the_ones_whose_team_names_them(
    store: Store, teams: list[list[int]]
) -> None:
    with store.write() as tx:
        for t in tx.find_territories():
            tx.delete_territory(t.id, expected_version=None, actor="ann")
        made = [tx.insert_territory(_draft(i, team), actor="ann") for i, team in enumerate(teams)]

    with store.read() as tx:
        for rep in (1, 7, 17, 70, 71, 700, 10**6, 2):
            expected = sorted(t.id for t in made if rep in t.rep_ids)
            assert tx.territory_ids_of_rep(rep) == expected


def test_postgis_finds_them_through_the_index(store: Store) -> None:
    if store.backend.name != "postgis":
        return
    with store.write() as tx:
        tx.insert_territory(_draft(0, [7]), actor="ann")
    with store.read() as tx:
        tx.conn.execute(text("SET LOCAL enable_seqscan = off"))
        plan = tx.conn.execute(
            text(
                "EXPLAIN SELECT id FROM territories "
                "WHERE CAST(rep_ids AS JSONB) @> jsonb_build_array(7)"
            )
        ).scalars()
        assert any("ix_territories_rep_ids" in line for line in plan)


def _draft(i: int, team: list[int]) -> TerritoryDraft:
    shape = shapely.MultiPolygon([shapely.box(i, 0, i + 1, 1)])
    return TerritoryDraft(f"T{i}", shape, rep_ids=tuple(team))
