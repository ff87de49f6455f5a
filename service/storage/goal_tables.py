"""Tables of goals inside scenarios, and the goals each live change set wrote.

``scenario_goals`` is a scenario's own copy of the goals (what its
dashboards and ``/analysis/goals`` read); ``scenario_base_goals`` holds the
live goals as they were when the scenario was taken (or last rebased), so
apply and rebase can tell the scenario's goal edits from the live plan's.
``change_set_goals`` records, per territory, the goals a live change set
replaced and the ones it wrote (an applied scenario's goals), which is what
its revert puts back. Merged into :func:`service.storage.tables.build_tables`;
created on PostGIS by migration ``0013_goals``.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, Integer, MetaData, Table

from service.storage.plan_tables import goal_columns


def build_goal_tables(metadata: MetaData) -> dict[str, Table]:
    """Declare the scenario goal tables on ``metadata`` (the same on both backends)."""
    goals = Table(
        "scenario_goals",
        metadata,
        Column("scenario_id", Integer, primary_key=True),
        *goal_columns(),
    )
    base = Table(
        "scenario_base_goals",
        metadata,
        Column("scenario_id", Integer, primary_key=True),
        *goal_columns(),
    )
    changes = Table(
        "change_set_goals",
        metadata,
        Column("change_set_id", Integer, primary_key=True),
        Column("territory_id", Integer, primary_key=True),
        # Lists of goals (every period) as JSON: the before and after of one territory.
        Column("before", JSON, nullable=False),
        Column("after", JSON, nullable=False),
    )
    return {t.name: t for t in (goals, base, changes)}
