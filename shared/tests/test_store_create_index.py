"""`parkgrid.store.create_index`: the same index made meanwhile is done, anything else is raised.

FerretDB 1.24 answers a `createIndexes` that races another creation of the same index with
"SQL logic error: index ... already exists" (seen in insights' rebuild, whose drop and index
creation meet the live consumer re-creating the collection). A fake collection plays the race."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo.errors import OperationFailure

from parkgrid.store import create_index

RACE = "SQL logic error: index aggregates_659545c1_event already exists (1)"


class RacedCollection:
    """Answers `failures` creations with `error` (every one by default), then creates the index."""

    def __init__(self, error: str, indexes: dict[str, Any], failures: int = 1_000) -> None:
        self.error = error
        self.indexes = indexes
        self.failures = failures
        self.calls = 0

    async def create_index(self, keys: list[tuple[str, int]], **options: Any) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise OperationFailure(self.error, code=1)
        return str(options.get("name", "made"))

    async def index_information(self) -> dict[str, Any]:
        return self.indexes


async def test_an_index_made_meanwhile_with_the_same_keys_is_done() -> None:
    made = RacedCollection(RACE, {"event": {"key": [("aggregate", 1), ("event_id", 1)]}})
    assert await create_index(made, [("aggregate", 1), ("event_id", 1)], name="event") == "event"  # type: ignore[arg-type]


async def test_an_unnamed_index_is_found_by_its_default_name() -> None:
    made = RacedCollection(RACE, {"time_1": {"key": [("time", 1)]}})
    assert await create_index(made, [("time", 1)]) == "time_1"  # type: ignore[arg-type]


async def test_a_unique_index_made_meanwhile_as_unique_is_done() -> None:
    made = RacedCollection(RACE, {"one": {"key": [("invoice_id", 1)], "unique": True}})
    assert await create_index(made, [("invoice_id", 1)], name="one", unique=True) == "one"  # type: ignore[arg-type]


@pytest.mark.parametrize(("asked", "found"), [(True, False), (False, True)])
async def test_an_index_made_meanwhile_unique_otherwise_is_raised(asked: bool, found: bool) -> None:
    made = RacedCollection(RACE, {"one": {"key": [("invoice_id", 1)], **({"unique": True} if found else {})}})
    with pytest.raises(OperationFailure):
        await create_index(made, [("invoice_id", 1)], name="one", unique=asked, retry_after=0)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("error", "indexes"),
    [
        (RACE, {}),  # the error, but no such index: raised
        (RACE, {"event": {"key": [("aggregate", 1)]}}),  # a different index by that name: raised
        ("some other failure", {"event": {"key": [("aggregate", 1), ("event_id", 1)]}}),
    ],
)
async def test_anything_else_is_raised(error: str, indexes: dict[str, Any]) -> None:
    with pytest.raises(OperationFailure):
        await create_index(
            RacedCollection(error, indexes),  # type: ignore[arg-type]  # a fake collection playing the race
            [("aggregate", 1), ("event_id", 1)],
            name="event",
            retry_after=0,
        )


async def test_an_index_not_listed_yet_is_asked_for_again_until_the_other_creation_has_recorded_it() -> None:
    # SQLite has the index, FerretDB's list not yet: the next createIndexes is the no-op MongoDB's is.
    made = RacedCollection(RACE, {}, failures=2)
    assert await create_index(made, [("actor", 1), ("time", 1)], name="audit_actor", retry_after=0) == "audit_actor"  # type: ignore[arg-type]
    assert made.calls == 3


async def test_an_index_never_listed_is_raised_after_the_last_attempt() -> None:
    never = RacedCollection(RACE, {})
    with pytest.raises(OperationFailure):
        await create_index(never, [("actor", 1)], name="audit_actor", attempts=4, retry_after=0)  # type: ignore[arg-type]
    assert never.calls == 4


async def test_another_index_by_that_name_is_raised_at_once() -> None:
    other = RacedCollection(RACE, {"audit_actor": {"key": [("actor", 1)]}})
    with pytest.raises(OperationFailure):
        await create_index(other, [("actor", 1), ("time", 1)], name="audit_actor", retry_after=0)  # type: ignore[arg-type]
    assert other.calls == 1
