"""Poison and drift against the real services (spaces and catalogue as processes), and redrive.

Published straight onto the topics the services consume, each bad message followed by good
ones on the same partition:
- `community.member` (read by spaces and catalogue): malformed JSON, an unknown event type, a
  future schema version (v99), data that breaks the schema → each lands in
  `community.member.dlq` once per consumer group, with its reason in `dlq_*` headers; the
  valid member event after them is applied by both services. A member nobody knew is not
  poison: events carry full state, so the projection simply learns it.
- `spaces.commands`: the same poison, a reservation request for an unknown site (a business
  answer, `refused`/`unknown_site`, not a dead letter), and a request for a site whose stored
  record was damaged (a bad migration dropped its time zone): the handler fails, is retried,
  then dead-letters it and the partition moves on. After the record is repaired,
  `parkgrid dlq redrive` (the real command, as a subprocess) sends the letters back: the
  request is now confirmed; the unfixable ones return to the DLQ.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from reliability_cluster import eventually, site_body

from parkgrid.auth import Role
from parkgrid.deadletters import DeadLetter, read_dead_letters
from parkgrid.envelope import Envelope
from parkgrid.kafka import make_producer
from parkgrid.store import connect
from parkgrid.testing.infrastructure import Infrastructure
from parkgrid.testing.stack import Stack, running_stack
from parkgrid.topics import delete_topics_with_prefix

pytestmark = pytest.mark.timeout(420)

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "shared" / "contracts" / "samples"
PARKGRID = Path(sys.executable).with_name("parkgrid")
MEMBER_REGISTERED = "parkgrid.community.member.registered"
RESERVATION_REQUESTED = "parkgrid.spaces.reservation.requested"


def sample(event_type: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SAMPLES / f"{event_type}.v1.json").read_text())["data"]
    return data


def urn(event_type: str, version: int) -> str:
    return f"urn:parkgrid:schema:{event_type}:v{version}"


@pytest.fixture(scope="module")
def stack(infrastructure: Infrastructure) -> Iterator[Stack]:
    with running_stack(
        infrastructure.kafka_bootstrap_servers, infrastructure.mongodb_uri, services=["spaces", "catalogue"]
    ) as stack:
        yield stack
    asyncio.run(delete_topics_with_prefix(infrastructure.kafka_bootstrap_servers, stack.topic_prefix))


class Sender:
    """Raw records onto one partition of a topic: first record picks the partition, the rest follow it."""

    def __init__(self, producer: AIOKafkaProducer, topic: str) -> None:
        self.producer = producer
        self.topic = topic
        self.partition: int | None = None

    async def envelope(self, envelope: Envelope) -> int:
        return await self.raw(envelope.kafka_key(), envelope.kafka_value(), envelope.kafka_headers())

    async def raw(self, key: bytes, value: bytes, headers: list[tuple[str, bytes]]) -> int:
        meta = await self.producer.send_and_wait(
            self.topic, value=value, key=key, headers=headers, partition=self.partition
        )
        self.partition = meta.partition
        return int(meta.offset)

    async def poison(self, key: str, good: Envelope) -> dict[str, str]:
        """The four kinds of poison, built from a good envelope; returns their event id → expected error class."""
        malformed = good.model_copy(update={"id": f"poison-json-{uuid.uuid4().hex[:6]}"})
        await self.raw(key.encode(), b'{"member_id": "half a JSON', malformed.kafka_headers())
        unknown = good.model_copy(
            update={"id": f"poison-type-{uuid.uuid4().hex[:6]}", "type": good.type + "_v2x", "dataschema": None}
        )
        await self.envelope(unknown)
        future = good.model_copy(update={"id": f"poison-v99-{uuid.uuid4().hex[:6]}", "dataschema": urn(good.type, 99)})
        await self.envelope(future)
        invalid = good.model_copy(update={"id": f"poison-data-{uuid.uuid4().hex[:6]}", "data": {"unexpected": 1}})
        await self.envelope(invalid)
        return {
            malformed.id: "MalformedMessage",
            unknown.id: "UnknownEventType",
            future.id: "UnknownEventType",
            invalid.id: "InvalidEventData",
        }


def by_id(letters: list[DeadLetter]) -> dict[str, list[DeadLetter]]:
    out: dict[str, list[DeadLetter]] = {}
    for letter in letters:
        out.setdefault(letter.header("ce_id") or "?", []).append(letter)
    return out


def cli(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PARKGRID_", "KAFKA_", "MONGODB_"))}
    env.update(
        KAFKA_BOOTSTRAP_SERVERS=stack.kafka_bootstrap,
        PARKGRID_TOPIC_PREFIX=stack.topic_prefix,
        PARKGRID_ENV="development",
        COLUMNS="250",
    )
    return subprocess.run([str(PARKGRID), *args], env=env, capture_output=True, text=True, timeout=120, check=False)


async def test_poison_on_member_events_is_dead_lettered_per_group_and_the_partition_keeps_flowing(
    stack: Stack,
) -> None:
    topic = stack.topic_prefix + "community.member"
    member_id = f"mb-rel-{uuid.uuid4().hex[:8]}"
    data = {**sample(MEMBER_REGISTERED), "member_id": member_id, "name": "Reliability Labs"}
    good = Envelope.new(
        type=MEMBER_REGISTERED,
        source="community",
        subject=member_id,
        sequence=1,
        data=data,
        dataschema=urn(MEMBER_REGISTERED, 1),
    )
    producer = make_producer(stack.kafka_bootstrap, client_id="reliability-poison")
    await producer.start()
    try:
        send = Sender(producer, topic)
        expected = await send.poison(member_id, good)
        await send.envelope(good)
    finally:
        await producer.stop()

    client = connect(stack.mongodb_uri, app_name="reliability-poison")
    try:
        spaces_members = client[stack.database("spaces")]["members"]
        catalogue_members = client[stack.database("catalogue")]["members"]

        async def applied_by_both() -> bool:
            return bool(
                await spaces_members.find_one({"_id": member_id})
                and await catalogue_members.find_one({"_id": member_id})
            )

        await eventually(applied_by_both, within=90, what="the valid member event after the poison is applied")
    finally:
        await client.close()

    async def all_dead_lettered() -> dict[str, list[DeadLetter]] | None:
        letters = by_id(await read_dead_letters(stack.kafka_bootstrap, topic))
        return letters if all(len(letters.get(i, [])) == 2 for i in expected) else None

    letters = await eventually(all_dead_lettered, within=60, what="every poison message dead-lettered by both groups")
    for event_id, error_class in expected.items():
        groups = sorted(d.header("dlq_consumer_group") or "" for d in letters[event_id])
        # Consumer groups carry the stack's topic prefix, like its topics.
        assert groups == [f"{stack.topic_prefix}catalogue.members", f"{stack.topic_prefix}spaces.members"], groups
        for letter in letters[event_id]:
            assert letter.header("dlq_error_class") == error_class, (event_id, letter.headers)
            assert letter.origin_topic == topic
            assert letter.error
    v99 = next(i for i in expected if i.startswith("poison-v99"))
    assert "v99 is newer than this reader knows" in (letters[v99][0].error or "")
    assert good.id not in letters  # the valid one was applied, not dead-lettered

    listed = cli(stack, "dlq", "list", topic)
    assert listed.returncode == 0, listed.stderr
    assert "8 dead letter(s)" in listed.stdout, listed.stdout


async def test_a_command_that_failed_on_damaged_data_is_redriven_after_the_repair_and_applied(stack: Stack) -> None:
    admin = stack.headers(Role.ADMIN)
    site_id = f"site-rel-{uuid.uuid4().hex[:6]}"
    async with httpx.AsyncClient(timeout=15) as http:
        answer = await http.post(f"{stack.url('spaces')}/v1/sites", json=site_body(site_id), headers=admin)
        assert answer.status_code == 201, answer.text
        room = {"name": "Salle Atlas", "kind": "meeting_room", "capacity": 8, "features": ["screen"]}
        answer = await http.post(f"{stack.url('spaces')}/v1/sites/{site_id}/spaces", json=room, headers=admin)
        assert answer.status_code == 201, answer.text

    client = connect(stack.mongodb_uri, app_name="reliability-redrive")
    sites = client[stack.database("spaces")]["sites"]
    reservations = client[stack.database("spaces")]["reservations"]
    # A bad migration damages the site's record: the reservation handler can no longer read it.
    damaged = await sites.update_one({"_id": site_id}, {"$unset": {"time_zone": ""}})
    assert damaged.modified_count == 1

    topic = stack.topic_prefix + "spaces.commands"

    # Inside spaces' horizon (judged, not refused as too far), on a weekday the site is open: 40
    # days from a Monday is a Saturday, when CI saw the redriven request refused as closed.
    later = date.today() + timedelta(days=40)
    while later.isoweekday() > 5:
        later += timedelta(days=1)
    day = later.isoformat()

    def request(site: str) -> Envelope:
        request_id = f"rq-rel-{uuid.uuid4().hex[:8]}"
        data = {
            **sample(RESERVATION_REQUESTED),
            "request_id": request_id,
            "reference_id": f"bk-{request_id}",
            "site_id": site,
            "member_id": None,
            "time": {"starts_at": f"{day}T10:00:00+01:00", "ends_at": f"{day}T11:00:00+01:00"},
        }
        return Envelope.new(
            type=RESERVATION_REQUESTED,
            source="bookings",
            subject=site_id,
            sequence=1,
            data=data,
            dataschema=urn(RESERVATION_REQUESTED, 1),
        )

    stuck = request(site_id)
    ghost = request(f"site-ghost-{uuid.uuid4().hex[:6]}")  # an aggregate spaces never heard of
    producer = make_producer(stack.kafka_bootstrap, client_id="reliability-redrive")
    await producer.start()
    try:
        send = Sender(producer, topic)
        expected = await send.poison(site_id, stuck)
        await send.envelope(stuck)
        await send.envelope(ghost)  # same partition, after everything above
    finally:
        await producer.stop()

    async def reservation(request_id: str) -> dict[str, Any] | None:
        doc: dict[str, Any] | None = await reservations.find_one(
            {"$or": [{"_id": request_id}, {"request_id": request_id}]}
        )
        return doc

    try:
        refused = await eventually(lambda: reservation(ghost.data["request_id"]), within=90, what="ghost answered")
        assert refused["status"] == "refused"
        assert "unknown_site" in json.dumps(refused, default=str)

        async def dead() -> dict[str, list[DeadLetter]] | None:
            letters = by_id(await read_dead_letters(stack.kafka_bootstrap, topic))
            return letters if all(i in letters for i in [*expected, stuck.id]) else None

        letters = await eventually(dead, within=60, what="poison and the stuck command dead-lettered")
        assert letters[stuck.id][0].header("dlq_error_class") == "KeyError"
        assert "time_zone" in (letters[stuck.id][0].error or "")
        assert ghost.id not in letters
        assert await reservation(stuck.data["request_id"]) is None
        before = sum(len(v) for v in letters.values())

        # The repair, then the real operator command.
        await sites.update_one({"_id": site_id}, {"$set": {"time_zone": "Africa/Casablanca"}})
        redriven = cli(stack, "dlq", "redrive", topic)
        assert redriven.returncode == 0, redriven.stderr
        assert f"redriven {before} message(s)" in redriven.stdout, redriven.stdout

        confirmed = await eventually(
            lambda: reservation(stuck.data["request_id"]), within=90, what="the redriven request applied"
        )
        assert confirmed["status"] == "confirmed", confirmed

        async def poison_back() -> dict[str, list[DeadLetter]] | None:
            letters = by_id(await read_dead_letters(stack.kafka_bootstrap, topic))
            return letters if all(len(letters.get(i, [])) == 2 for i in expected) else None

        letters = await eventually(poison_back, within=60, what="the unfixable letters back in the DLQ")
        assert len(letters[stuck.id]) == 1  # applied after redrive: not dead-lettered again
        again = cli(stack, "dlq", "redrive", topic)  # only the letters added since: each letter goes back once
        assert f"redriven {len(expected)} message(s)" in again.stdout, again.stdout
    finally:
        await client.close()
