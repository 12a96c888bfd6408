"""Topics as declared in code: the single source for creating them and using them.

A topic's partitions, retention and cleanup policy are part of its contract, so they
live beside the code that produces to it, not in a shell script. Every fact topic has
a dead-letter twin `<topic>.dlq`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from pydantic import BaseModel, ConfigDict

from parkgrid.kafka import client_options
from parkgrid.logging import get_logger

log = get_logger(__name__)

DLQ_SUFFIX = ".dlq"


def dead_letter_id(topic: str, partition: int, offset: int, group: str) -> str:
    """The identity of a dead letter: the source record and the consumer group that gave up on it.

    A consumer killed after writing a dead letter but before committing the offset writes it
    again on restart; both copies carry this id, so `parkgrid dlq` lists and redrives it once.
    """
    return f"{topic}/{partition}@{offset}#{group}"


class TopicCreationFailed(RuntimeError):
    """The broker refused to create a declared topic."""


class TopicSpec(BaseModel):
    """One topic: name, partitioning key, and how long it keeps what it holds."""

    model_config = ConfigDict(frozen=True)

    name: str
    key: str = "aggregate id"
    partitions: int = 3
    cleanup_policy: Literal["delete", "compact", "compact,delete"] = "delete"
    retention_ms: int = -1
    """-1 keeps history forever, so every projection can be rebuilt from offset 0."""
    description: str = ""
    event_types: tuple[str, ...] = ()
    """The CloudEvents `type`s published to this topic (the AsyncAPI messages)."""
    compacted_within_ms: int | None = None
    """On a compacted topic: how long a superseded record may stay at most (the segment rolls and
    the cleaner runs within it), for a record that must leave the log, not only be superseded."""

    def configs(self) -> dict[str, str]:
        configs = {"cleanup.policy": self.cleanup_policy, "retention.ms": str(self.retention_ms)}
        if self.compacted_within_ms is not None:
            configs["segment.ms"] = str(self.compacted_within_ms)
            configs["max.compaction.lag.ms"] = str(self.compacted_within_ms)
        return configs

    def dead_letters(self) -> TopicSpec:
        return TopicSpec(
            name=self.name + DLQ_SUFFIX,
            key=self.key,
            partitions=1,
            description=f"Messages from {self.name} that could not be processed.",
            event_types=self.event_types,
        )

    def prefixed(self, prefix: str) -> TopicSpec:
        return self.model_copy(update={"name": prefix + self.name}) if prefix else self


def with_dead_letters(specs: Iterable[TopicSpec]) -> list[TopicSpec]:
    out: list[TopicSpec] = []
    for spec in specs:
        out.append(spec)
        if not spec.name.endswith(DLQ_SUFFIX):
            out.append(spec.dead_letters())
    return out


async def ensure_topics(
    bootstrap_servers: str, specs: Iterable[TopicSpec], *, replication_factor: int = 1
) -> list[str]:
    """Create the topics that do not exist yet; return the names created.

    The replication factor comes from settings (`KAFKA_REPLICATION_FACTOR`): 1 for the
    single local broker, 3 for a cluster.
    """
    wanted = with_dead_letters(specs)
    admin = AIOKafkaAdminClient(**client_options(bootstrap_servers))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [s for s in wanted if s.name not in existing]
        if not missing:
            return []
        response = await admin.create_topics(
            [
                NewTopic(
                    name=spec.name,
                    num_partitions=spec.partitions,
                    replication_factor=replication_factor,
                    topic_configs=spec.configs(),
                )
                for spec in missing
            ]
        )
        created: list[str] = []
        for topic_error in response.topic_errors:
            name, code = topic_error[0], topic_error[1]
            if code == 0:
                created.append(name)
            elif code != TopicAlreadyExistsError.errno:
                message = topic_error[2] if len(topic_error) > 2 else ""
                raise TopicCreationFailed(f"could not create topic {name!r}: error {code} {message}")
        if created:
            log.info("topics.created", topics=created)
        return created
    finally:
        await admin.close()


async def partitions_of(admin: AIOKafkaAdminClient, names: Iterable[str]) -> dict[str, list[int]]:
    """Partition numbers of each existing topic (a missing topic is left out)."""
    described = await admin.describe_topics(list(names))
    return {t["topic"]: sorted(p["partition"] for p in t["partitions"]) for t in described if t["error_code"] == 0}


async def delete_topics_with_prefix(bootstrap_servers: str, prefix: str) -> list[str]:
    """Delete every topic whose name starts with `prefix` (test clean-up); return their names.

    Refuses an empty prefix: that would be every topic of the cluster.
    """
    if not prefix:
        raise ValueError("refusing to delete topics with an empty prefix")
    admin = AIOKafkaAdminClient(**client_options(bootstrap_servers))
    await admin.start()
    try:
        doomed = [name for name in await admin.list_topics() if name.startswith(prefix)]
        if doomed:
            await admin.delete_topics(doomed)
        return doomed
    finally:
        await admin.close()
