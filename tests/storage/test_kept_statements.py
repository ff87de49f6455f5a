"""Statements kept per table (:mod:`service.storage.statements`) answer with each call's values.

A kept statement is built once and executed again with new parameters; a value
baked into it by mistake would answer the first call's question to every later
one. These tests ask several questions in a row on one store and check every
answer against the rows themselves.
"""

from __future__ import annotations

import itertools

import shapely

from geo.model import Account, Assignment
from service.storage import Store
from service.storage.account_ops import AccountFilter
from service.storage.territory_rows import TerritoryDraft


def _seed_accounts(store: Store) -> list[tuple[Account, Assignment]]:
    rows = []
    for i in range(40):
        a = Account(
            f"a{i:02d}", location=(-84 + i / 40, 39.5), industry=("retail", "health")[i % 2]
        )
        territory, rep = (i % 4 or None), (i % 3 or None)
        kind = "geometry" if territory else ("unassigned:outside-all", "unassigned")[i % 2]
        rows.append((a, Assignment(a.id, territory, rep, kind)))
    with store.write() as tx:
        tx.upsert_accounts(rows, actor="t")
    return rows


FILTERS = [
    AccountFilter(),
    AccountFilter(territory_id=1),
    AccountFilter(territory_id=2, rep_id=2),
    AccountFilter(rep_id=1),
    AccountFilter(industry="health"),
    AccountFilter(assignment="unassigned"),
    AccountFilter(assignment="geometry", industry="retail"),
    AccountFilter(rep_ids_any=(1, 2)),
    AccountFilter(rep_ids_any=()),
    AccountFilter(territory_ids_any=(3,), rep_id=1),
    AccountFilter(bbox=(-84.0, 39.0, -83.7, 40.0)),
    AccountFilter(bbox=(-83.5, 39.0, -83.0, 40.0), territory_id=2),
]


def _expected(rows: list[tuple[Account, Assignment]], f: AccountFilter) -> list[str]:
    def keeps(a: Account, s: Assignment) -> bool:
        x, y = a.location or (None, None)
        return (
            (f.territory_id is None or s.territory_id == f.territory_id)
            and (f.rep_id is None or s.rep_id == f.rep_id)
            and (f.industry is None or a.industry == f.industry)
            and (
                f.assignment is None
                or s.assignment == f.assignment
                or s.assignment.startswith(f.assignment + ":")
            )
            and (f.rep_ids_any is None or s.rep_id in f.rep_ids_any)
            and (f.territory_ids_any is None or s.territory_id in f.territory_ids_any)
            and (f.bbox is None or f.bbox[0] <= x <= f.bbox[2] and f.bbox[1] <= y <= f.bbox[3])  # type: ignore[operator]
        )

    return sorted(a.id for a, s in rows if keeps(a, s))


def test_every_filter_and_page_asked_in_turn_answers_its_own_question(store: Store) -> None:
    rows = _seed_accounts(store)
    with store.read() as tx:
        # Twice round, so that every statement is asked again after the others.
        for f, (after, limit) in itertools.product(FILTERS * 2, [("", None), ("a10", 5)]):
            want = [i for i in _expected(rows, f) if i > after][:limit]
            got = [s.account.id for s in tx.find_accounts(f, after_id=after, limit=limit)]
            assert got == want, f
        for account, assignment in rows[::7]:
            assert tx.get_account(account.id).assignment == assignment
        picked = ["a03", "a31", "nope", "a17"]
        assert sorted(tx.accounts_by_id(picked)) == ["a03", "a17", "a31"]


def test_one_territory_is_read_from_the_plan_the_transaction_is_in(store: Store) -> None:
    shape = shapely.MultiPolygon([shapely.box(-84, 39, -83, 40)])
    with store.write() as tx:
        tid = tx.insert_territory(TerritoryDraft("Live", shape), actor="t").id
    with store.write() as tx:
        first = tx.create_scenario("A", source=None, owner="t", region_id=None, notes=None).id
        second = tx.create_scenario("B", source=None, owner="t", region_id=None, notes=None).id
    for plan, name in ((first, "In A"), (second, "In B")):
        with store.in_plan(plan).write() as tx:
            tx.update_territory(tid, TerritoryDraft(name, shape), expected_version=None, actor="t")
    # The same territory id in the live plan and in two scenarios, asked in turn.
    for _ in range(2):
        for plan, name in ((None, "Live"), (first, "In A"), (second, "In B")):
            with store.in_plan(plan).read() as tx:
                assert tx.get_territory(tid).name == name
