"""A test stack leaves nothing behind on a broker and a store that outlive it (`Stack.forget`)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from parkgrid.store import connect
from parkgrid.testing.stack import Stack
from parkgrid.testing.topics import topics_named
from parkgrid.topics import TopicSpec, ensure_topics


async def test_a_forgotten_stack_has_no_topics_and_no_databases_left(
    kafka_bootstrap: str, mongodb_uri: str, tmp_path: Path
) -> None:
    stack = Stack(kafka_bootstrap, mongodb_uri, logs=tmp_path)
    other = Stack(kafka_bootstrap, mongodb_uri, logs=tmp_path)  # another run's: left alone
    specs = [TopicSpec(name="spaces.site", partitions=1), TopicSpec(name="bookings.booking", partitions=1)]
    await ensure_topics(kafka_bootstrap, [s.prefixed(stack.topic_prefix) for s in specs])
    await ensure_topics(kafka_bootstrap, [specs[0].prefixed(other.topic_prefix)])
    client = connect(mongodb_uri, app_name="parkgrid-tests")
    try:
        for run, service in ((stack, "spaces"), (stack, "bookings"), (other, "spaces")):
            await client[run.database(service)]["sites"].insert_one({"_id": "site-1"})
        assert len(await topics_named(kafka_bootstrap, stack.topic_prefix)) == 4  # each with its dead letters

        await asyncio.to_thread(stack.forget)

        assert await topics_named(kafka_bootstrap, stack.topic_prefix) == []
        names = await client.list_database_names()
        assert [n for n in names if n.startswith(stack.run_id)] == []
        site = other.topic_prefix + "spaces.site"
        assert await topics_named(kafka_bootstrap, other.topic_prefix) == [site, site + ".dlq"]
        assert other.database("spaces") in names
    finally:
        await asyncio.to_thread(other.forget)
        await client.close()
