"""Accounts and territories turned into columns and numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from geo.model import Account, Assignment, Rep
from maps.inputs import account_flags, normalize_flag
from maps.tables import account_table, territory_numbers
from tests.maps._world import World


def test_columns_follow_the_assignments(world: World) -> None:
    table = account_table(
        world.accounts, world.assignments, world.territories, world.reps, world.flags
    )
    assert table.ids[:2] == ["A00", "A01"]
    assert table.territory_pos[:2].tolist() == [0, 1]
    assert table.rep_pos[:2].tolist() == [0, 1]
    assert table.territory_pos[-2:].tolist() == [-1, -1]
    assert math.isnan(table.lon[-1]) and not table.located[-1]


def test_flags_come_from_the_given_list_and_from_the_assignment(world: World) -> None:
    table = account_table(
        world.accounts, world.assignments, world.territories, world.reps, world.flags
    )
    by_id = dict(zip(table.ids, table.flags, strict=True))
    assert by_id["A00"] == ("too_far",)
    assert by_id["A03"] == ("overlap",)
    assert by_id["A01"] == ()
    assert by_id["OUT"] == ("unassigned",)
    assert by_id["NOLOC"] == ("unassigned",)


def test_flag_column_and_masks_agree_with_the_general_rule_for_every_mix() -> None:
    # The table runs the rule once per distinct (assignment, given flags)
    # pair; every account must still get exactly what the rule gives it.
    rng = np.random.default_rng(7)
    kinds = [None, "geometry", "override", "conflict", "unassigned:outside-all"]
    given_choices: list[tuple[str, ...] | list[str] | None] = [
        None, ("too_far",), ["Too-Far", "overlap"], [], ("unassigned",),
    ]  # fmt: skip
    accounts, assignments, flags = [], [], {}
    for i in range(400):
        aid = f"a{i}"
        accounts.append(Account(aid, aid, (float(i % 7), 40.0)))
        kind = kinds[rng.integers(len(kinds))]
        if kind is not None:
            assignments.append(Assignment(aid, 1 if kind == "geometry" else None, None, kind))
        given = given_choices[rng.integers(len(given_choices))]
        if given is not None:
            flags[aid] = given
    table = account_table(accounts, assignments, [], [], flags)
    by_account = {a.account_id: a.assignment for a in assignments}
    expected = [account_flags(a.id, by_account.get(a.id), flags) for a in accounts]
    assert table.flags == expected
    for flag in ("too_far", "overlap", "unassigned", "nonesuch"):
        assert table.flagged(flag).tolist() == [flag in f for f in expected]


def test_a_conflict_counts_as_caught_in_an_overlap() -> None:
    assert account_flags("a", "conflict", {}) == ("overlap",)
    assert account_flags("a", None, {}) == ("unassigned",)
    assert normalize_flag(" In-Overlap ") == "overlap"


def test_distance_is_unknown_without_a_home_or_an_owner() -> None:
    accounts = [Account("a", location=(0.0, 0.0)), Account("b", location=(0.0, 1.0))]
    assignments = [
        Assignment("a", None, 1, "override"),
        Assignment("b", None, None, "unassigned:x"),
    ]
    table = account_table(accounts, assignments, [], [Rep(1, "No home")], {})
    assert np.isnan(table.distance_km).all()
    table = account_table(accounts, assignments, [], [Rep(1, "Home", home=(0.0, 1.0))], {})
    assert table.distance_km[0] == pytest.approx(111.195, abs=0.01)
    assert np.isnan(table.distance_km[1])


def test_given_numbers_win_and_missing_money_counts_as_zero(world: World) -> None:
    accounts = [*world.accounts[:2], Account("Z", location=(-99.9, 40.1))]
    assignments = [*world.assignments[:2], Assignment("Z", 1, 10, "geometry")]
    table = account_table(accounts, assignments, world.territories, world.reps, {})
    numbers = territory_numbers(world.territories, table, {2: {"accounts": 40, "load_pct": 80}})
    assert numbers[0] == {
        "accounts": 2.0,
        "revenue": 1000.0,
        "net_profit": 900.0,
        "workload_hours": None,
        "load_pct": None,
    }
    assert numbers[1]["accounts"] == 40.0 and numbers[1]["load_pct"] == 80.0
