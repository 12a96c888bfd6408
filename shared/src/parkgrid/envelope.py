"""The one envelope every ParkGrid message travels in, and its Kafka binding.

Attribute names are CloudEvents' (`id`, `type`, `source`, `subject`, `time`,
`dataschema`, `datacontenttype`, plus the extensions `sequence`, `correlationid`,
`causationid`, `actor` (who caused the change: the `<role>:<subject>` of the person whose request
made it, or `service:<name>` for a service's own work), and the distributed-tracing extension's
optional `traceparent` / `tracestate`: the W3C trace context of the span that wrote the event,
see `parkgrid.telemetry`), bound to
Kafka in *binary* mode: attributes in `ce_*` headers, the data as the JSON value, the
aggregate id as the message key. Any CloudEvents client can therefore read our topics
without ParkGrid's code.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from parkgrid.logging import acting, causation_id, correlation_id, new_id
from parkgrid.telemetry import current_trace_context

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
_HEADER_PREFIX = "ce_"
_STRING_ATTRIBUTES = (
    "id",
    "source",
    "type",
    "subject",
    "dataschema",
    "correlationid",
    "causationid",
    "actor",
    "traceparent",
    "tracestate",
)
_OPTIONAL_ATTRIBUTES = ("actor", "traceparent", "tracestate")

Headers = list[tuple[str, bytes]]


class MalformedMessage(ValueError):
    """A Kafka record that is not a readable ParkGrid envelope (goes to the DLQ)."""


class Envelope(BaseModel):
    """A CloudEvents 1.0 event with ParkGrid's extensions."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(default_factory=new_id)
    type: str
    source: str
    subject: str = Field(description="The aggregate id; also the Kafka message key.")
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    specversion: str = SPEC_VERSION
    datacontenttype: str = CONTENT_TYPE
    dataschema: str | None = None
    sequence: int = Field(ge=0, description="The aggregate's version after this event.")
    correlationid: str | None = None
    causationid: str | None = None
    actor: str | None = Field(
        None,
        description="Who caused the change: `<role>:<subject>` of the person whose request made it, "
        "or `service:<name>` for a service's own work (a saga's step, a sweep). Absent on older events.",
    )
    traceparent: str | None = Field(None, description="W3C trace context of the span that wrote the event.")
    tracestate: str | None = None
    data: dict[str, Any]

    @classmethod
    def new(
        cls,
        *,
        type: str,
        source: str,
        subject: str,
        sequence: int,
        data: dict[str, Any],
        dataschema: str | None = None,
    ) -> Envelope:
        """An envelope stamped with the current correlation and causation ids, actor, and trace context."""
        traceparent, tracestate = current_trace_context()
        return cls(
            type=type,
            source=source,
            subject=subject,
            sequence=sequence,
            data=data,
            dataschema=dataschema,
            correlationid=correlation_id.get() or new_id(),
            causationid=causation_id.get(),
            actor=acting.get() or f"service:{source}",
            traceparent=traceparent,
            tracestate=tracestate,
        )

    # --- Kafka binary-mode binding -------------------------------------------------

    def kafka_key(self) -> bytes:
        return self.subject.encode()

    def kafka_value(self) -> bytes:
        return json.dumps(self.data, separators=(",", ":"), default=str).encode()

    def kafka_headers(self) -> Headers:
        headers: Headers = [
            ("ce_specversion", self.specversion.encode()),
            ("ce_time", _rfc3339(self.time).encode()),
            # Zero-padded: the CloudEvents sequence extension compares values as strings.
            ("ce_sequence", f"{self.sequence:020d}".encode()),
            ("content-type", self.datacontenttype.encode()),
        ]
        for name in _STRING_ATTRIBUTES:
            value = getattr(self, name)
            if value is not None:
                headers.append((_HEADER_PREFIX + name, value.encode()))
        return headers

    @classmethod
    def from_kafka(cls, key: bytes | None, value: bytes | None, headers: Sequence[tuple[str, bytes]]) -> Envelope:
        """Read a record written by `kafka_*`; raise MalformedMessage if it is not one."""
        attributes: dict[str, Any] = {}
        for name, raw in headers:
            try:
                text = raw.decode()
            except (UnicodeDecodeError, AttributeError) as exc:
                raise MalformedMessage(f"header {name!r} is not UTF-8") from exc
            lowered = name.lower()
            if lowered.startswith(_HEADER_PREFIX):
                attributes[lowered[len(_HEADER_PREFIX) :]] = text
            elif lowered == "content-type":
                attributes["datacontenttype"] = text
        if value is None:
            raise MalformedMessage("record has no value (tombstone)")
        try:
            data = json.loads(value)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise MalformedMessage(f"value is not JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise MalformedMessage("value is JSON but not an object")
        # Defaults are for writing; a record read must carry what CloudEvents requires, or
        # every read would invent a new id and time for it.
        missing = [f"ce_{name}" for name in ("id", "source", "type", "specversion", "time") if name not in attributes]
        if missing:
            raise MalformedMessage(f"not a CloudEvent: missing header(s) {', '.join(missing)}")
        if attributes["specversion"] != SPEC_VERSION:
            raise MalformedMessage(f"unsupported CloudEvents specversion {attributes['specversion']!r}")
        if "sequence" not in attributes:
            raise MalformedMessage("missing header ce_sequence (the aggregate's version)")
        if "subject" not in attributes and key is not None:
            attributes["subject"] = key.decode(errors="replace")
        try:
            return cls.model_validate({**attributes, "data": data})
        except ValidationError as exc:
            problems = ", ".join(".".join(map(str, e["loc"])) + f": {e['msg']}" for e in exc.errors())
            raise MalformedMessage(f"not a ParkGrid envelope ({problems})") from exc

    # --- storage form ------------------------------------------------------------------

    def stored(self) -> str:
        """The envelope as an outbox keeps it: one JSON text, not a document. FerretDB decodes
        and encodes every value of a document on each command that touches it (about 15 µs a
        value), and an envelope is 15-40 values; as text it is one. Its time is kept to the
        millisecond, as a BSON date kept it before, so what the relay publishes is unchanged."""
        at = self.time.replace(microsecond=self.time.microsecond // 1000 * 1000)
        unset = {name for name in _OPTIONAL_ATTRIBUTES if getattr(self, name) is None}
        return self.model_copy(update={"time": at}).model_dump_json(exclude=unset)

    @classmethod
    def from_stored(cls, stored: str | dict[str, Any]) -> Envelope:
        """An envelope as an outbox kept it: JSON text (`stored`), or a document (written before)."""
        return cls.model_validate_json(stored) if isinstance(stored, str) else cls.from_document(stored)

    # --- document form (an envelope as a plain document: a test's view, older outboxes) ---

    def to_document(self) -> dict[str, Any]:
        document = self.model_dump(mode="python")
        for name in _OPTIONAL_ATTRIBUTES:  # stored only when there is one (older envelopes have no actor)
            if document[name] is None:
                del document[name]
        return document

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Envelope:
        time = doc.get("time")
        if isinstance(time, datetime) and time.tzinfo is None:
            doc = {**doc, "time": time.replace(tzinfo=UTC)}  # BSON dates come back naive
        return cls.model_validate(doc)


def _rfc3339(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat().replace("+00:00", "Z")
