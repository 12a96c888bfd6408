"""What a query plan says, for the tests that hold a hot or periodic query to an index."""

from __future__ import annotations

import re

import pytest

from parkgrid.store import Document

USING_INDEX = re.compile(r"USING (?:COVERING )?INDEX")
"""How SQLite names a search of an index; a covering one (the index holds all the step needs) too."""


def skip_a_postgresql_plan(planner: Document) -> None:
    """Skip the test when `explain()["queryPlanner"]` is FerretDB's on PostgreSQL (`STORE=postgresql`):
    its plan is PostgreSQL's, whose planner scans the few rows of a test rather than use an index."""
    if isinstance(planner.get("Plan"), dict):
        pytest.skip("FerretDB on PostgreSQL: its plan is PostgreSQL's, which scans a table this small")


def assert_read_from_an_index(planner: Document, index: str, *, ranged: bool = False) -> None:
    """`explain()["queryPlanner"]` reads the collection through an index, with no scan.

    MongoDB's plan must be an index scan of `index`. FerretDB's (SQLite's EXPLAIN QUERY PLAN) must
    name `index` in a step `USING INDEX` or `USING COVERING INDEX` (an equality pushed down to an
    index it leads:
    use-indexes.patch; the rest of the filter is then applied among those rows) and hold no
    `SCAN` of the table. `ranged`: on FerretDB, one such step also searches the index's next
    field by a range (a date range with both bounds after the equality: `parkgrid.store.before`),
    so only the rows in the range are read, not every row of the equality.

    On FerretDB's PostgreSQL backend the check is skipped (`skip_a_postgresql_plan`)."""
    if "winningPlan" in planner:  # MongoDB
        assert "IXSCAN" in str(planner["winningPlan"]), planner
        assert index in str(planner["winningPlan"]), planner
        return
    skip_a_postgresql_plan(planner)
    plan = planner["Plan"]
    assert any(USING_INDEX.search(step) and index in step for step in plan), plan
    assert not any("detail=SCAN" in step for step in plan), plan
    if ranged:
        searched = re.compile(USING_INDEX.pattern + r" \S*" + re.escape(index) + r"\S* \(<expr>=\? AND <expr>[<>]")
        assert any(searched.search(step) for step in plan), plan
