"""Contracted messages for the bench: real community.member events, cheap to mass-produce.

Each template is a committed contract sample, validated by its pydantic model and wrapped by
the registry (so it carries a real envelope); copies change only the member id, the envelope
id and the sequence, which keeps them valid without paying pydantic per message."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parkgrid.contracts.community import MemberRegistered, MemberStageChanged, MemberUpdated, PersonAdded
from parkgrid.envelope import Envelope
from parkgrid.events import IntegrationEvent, registry

SAMPLES = Path(__file__).resolve().parent.parent / "shared" / "contracts" / "samples"
# The life of one member in the catch-up stream: sequences 1..5, the last one is what stays.
LIFE: tuple[type[IntegrationEvent], ...] = (
    MemberRegistered,
    MemberUpdated,
    PersonAdded,
    MemberStageChanged,
    MemberUpdated,
)


@dataclass(frozen=True)
class Record:
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


def _template(model: type[IntegrationEvent]) -> Envelope:
    sample = json.loads((SAMPLES / f"{model.event_type}.v{model.version}.json").read_text())
    event = model.model_validate(sample["data"])
    return registry.envelope(event, source="community", subject=sample["subject"], sequence=1)


class MemberEvents:
    """Builds the k-th event of member i's life as a Kafka record."""

    def __init__(self) -> None:
        self.templates = [_template(model) for model in LIFE]
        self._data = [dict(t.data) for t in self.templates]
        self._headers = [t.kafka_headers() for t in self.templates]

    @staticmethod
    def member_id(i: int) -> str:
        return f"mb-bench-{i:07d}"

    def record(self, i: int, k: int) -> Record:
        """Event k (0-based) of member i, at sequence k + 1."""
        member = self.member_id(i)
        data: dict[str, Any] = {**self._data[k], "member_id": member, "name": f"Bench member {i}"}
        headers = []
        for name, raw in self._headers[k]:
            if name == "ce_id":
                raw = str(uuid.uuid4()).encode()
            elif name == "ce_subject":
                raw = member.encode()
            elif name == "ce_sequence":
                raw = f"{k + 1:020d}".encode()
            headers.append((name, raw))
        return Record(member.encode(), json.dumps(data, separators=(",", ":")).encode(), headers)

    def envelope_sized(self) -> Record:
        """One typical message (a member registration, ~1 KB with headers) for the raw Kafka baselines."""
        return self.record(0, 0)


def record_size(record: Record) -> int:
    return len(record.key) + len(record.value) + sum(len(k) + len(v) for k, v in record.headers)
