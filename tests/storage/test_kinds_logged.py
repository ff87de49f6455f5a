"""The log's one rule, shared by every reader of it: a gap is never "nothing changed"."""

from __future__ import annotations

import pytest

from service.storage.log_memo import kinds_logged
from service.storage.revision_log import REP_KINDS, TERRITORY_KINDS


def test_kinds_of_a_range_with_a_row_for_every_revision() -> None:
    rows = [(3, "accounts"), (4, "reps"), (4, "none"), (5, "accounts")]
    assert kinds_logged(rows, 2, 5) == {"accounts", "reps", "none"}


def test_an_empty_range_changed_nothing() -> None:
    assert kinds_logged([], 7, 7) == set()


@pytest.mark.parametrize(
    "rows",
    [
        [(3, "accounts"), (5, "accounts")],  # revision 4 pruned
        [(4, "accounts"), (5, "accounts")],  # the first one
        [(3, "accounts"), (4, "accounts")],  # the last one
        [],  # older than the log
    ],
)
def test_a_revision_without_a_row_makes_the_log_unable_to_tell(
    rows: list[tuple[int, str]],
) -> None:
    assert kinds_logged(rows, 2, 5) is None


def test_rows_outside_the_range_do_not_fill_a_gap() -> None:
    assert kinds_logged([(3, "accounts"), (9, "accounts"), (5, "none")], 2, 5) is None


def test_an_import_may_have_moved_territories_and_reps() -> None:
    assert "all" in TERRITORY_KINDS and "all" in REP_KINDS
    assert "accounts" not in TERRITORY_KINDS | REP_KINDS
