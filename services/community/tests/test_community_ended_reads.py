"""What the reconciler reads to complete ended events, over the real store: every published event
that ended, and never the events of the past that are settled. The reconciler runs every few
seconds at every replica; on FerretDB its `{status: published, ends_at < now}` read every event
ever held (no index led with the status) until 2026-12-07. The `{status, ends_at}` index answers
it now, by the status and, since the end is a range with both bounds (`parkgrid.store.before`), by
the end too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from community_examples import event

from community.adapters.stores import CommunityStore, ended_filter, event_state
from parkgrid.contracts.common import TimeRange
from parkgrid.contracts.community import CommunityEventStatus
from parkgrid.store import Database
from parkgrid.testing.plans import assert_read_from_an_index

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
STATUSES = list(CommunityEventStatus)


async def stored(database: Database) -> tuple[CommunityStore, dict[str, str]]:
    """Events of every status, ended or to come; their ids by kind."""
    store = CommunityStore(database)
    await store.ensure_indexes()
    kinds: dict[str, str] = {}
    for i in range(30):
        starts = NOW + timedelta(hours=3 * (i - 15))
        status = STATUSES[i % len(STATUSES)]
        time = TimeRange(starts_at=starts, ends_at=starts + timedelta(hours=2))
        state = event_state(event(event_id=f"e-{i:02d}", time=time, status=status))
        await store.events.create(f"e-{i:02d}", state, [])
        kinds[f"e-{i:02d}"] = f"{status.value}, {'ended' if time.ends_at < NOW else 'to come'}"
    return store, kinds


async def test_the_reconciler_finds_every_published_event_that_ended_and_no_other(database: Database) -> None:
    store, kinds = await stored(database)

    ended = await store.events_ended_before(NOW)

    expected = sorted(i for i, kind in kinds.items() if kind == "published, ended")
    assert len(expected) == 3
    assert sorted(ended) == expected
    assert len(await store.events_ended_before(NOW, limit=2)) == 2
    assert await store.events_ended_before(NOW - timedelta(days=3)) == []


async def test_the_reconcilers_read_is_answered_from_an_index_on_the_status(database: Database) -> None:
    store, _ = await stored(database)
    planner = (await store.events.collection.find(ended_filter(NOW), {"_id": 1}).explain())["queryPlanner"]
    assert_read_from_an_index(planner, "status_ends", ranged=True)
