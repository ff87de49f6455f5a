from __future__ import annotations

import pytest

from geo.flags.rule_clash import rule_clash_table, rules_can_overlap
from geo.model import Rules


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (Rules(), Rules(), True),
        (Rules(industries=("Retail",)), Rules(industries=("RETAIL", "Health")), True),
        (Rules(industries=("Retail",)), Rules(industries=("Health",)), False),
        (Rules(products=("Pumps", "Valves")), Rules(products=("valves",)), True),
        (Rules(products=("Pumps",)), Rules(products=("Valves",)), False),
        (Rules(products=()), Rules(), False),
        (Rules(max_revenue=1e6), Rules(min_revenue=1e6), False),
        (Rules(max_revenue=1e6 + 1), Rules(min_revenue=1e6), True),
        (Rules(min_revenue=5.0, max_revenue=5.0), Rules(), False),
        (Rules(min_revenue=0.0, max_revenue=10.0), Rules(min_revenue=3.0, max_revenue=4.0), True),
        (
            Rules(industries=("Retail",), max_revenue=10.0),
            Rules(industries=("Retail",), min_revenue=10.0),
            False,
        ),
    ],
)
def test_rules_can_overlap_cases(a: Rules, b: Rules, expected: bool) -> None:
    assert rules_can_overlap(a, b) is expected
    assert rules_can_overlap(b, a) is expected


def test_rule_clash_table_codes_equal_rules_once() -> None:
    retail, health = Rules(industries=("Retail",)), Rules(industries=("Health",))
    codes, clash = rule_clash_table([retail, health, Rules(industries=("Retail",)), Rules()])
    assert codes.tolist() == [0, 1, 0, 2]
    assert clash.tolist() == [[True, False, True], [False, True, True], [True, True, True]]
