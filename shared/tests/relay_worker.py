"""Runs one outbox relay as its own process, so tests can kill -9 it.

usage: python relay_worker.py MONGODB_URI DATABASE COLLECTION KAFKA TOPIC_PREFIX LEASE_SECONDS
"""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta

from parkgrid.kafka import EventPublisher, make_producer
from parkgrid.outbox import OutboxRelay, default_owner
from parkgrid.store import connect


async def main(uri: str, database: str, collection: str, kafka: str, prefix: str, lease: float) -> None:
    client = connect(uri)
    producer = make_producer(kafka, client_id="relay-worker")
    await producer.start()
    relay = OutboxRelay(
        [client[database][collection]],
        EventPublisher(producer, prefix),
        owner=default_owner("relay-worker"),
        lease=timedelta(seconds=lease),
        sweep_interval=0.05,
    )
    print("relay ready", flush=True)
    await relay.run()


if __name__ == "__main__":
    uri, database, collection, kafka, prefix, lease = sys.argv[1:7]
    asyncio.run(main(uri, database, collection, kafka, prefix, float(lease)))
