"""Integration events: versioned payload models and the registry that reads them.

An integration event is the published, full-state fact a subscriber relies on; it
is separate from any service's domain model so that a service can refactor freely
without breaking its subscribers. Each type has versions; a breaking change is a new
version published beside the old one, and upcasters let a reader take old payloads
as the newest version.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from parkgrid.envelope import Envelope, MalformedMessage

_SCHEMA_URN = re.compile(r"^urn:parkgrid:schema:(?P<type>[a-z0-9_.\-]+):v(?P<version>\d+)$")

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
E = TypeVar("E", bound="IntegrationEvent")


class UnknownEventType(MalformedMessage):
    """The type (or its version) is not one this reader knows: dead-letter it."""


class InvalidEventData(MalformedMessage):
    """The envelope is fine but its data does not match the event's schema."""


class IntegrationEvent(BaseModel):
    """Base of every event payload. Subclasses set `event_type` and `version`."""

    model_config = ConfigDict(frozen=True)

    event_type: ClassVar[str]
    version: ClassVar[int] = 1
    addressed_to: ClassVar[str | None] = None
    """A command's topic (e.g. `spaces.commands`); None for a fact, which goes to its aggregate's topic."""

    @classmethod
    def dataschema(cls) -> str:
        return schema_urn(cls.event_type, cls.version)

    def partition_key(self, aggregate_id: str) -> str:
        """The message key, so the events that must stay in order share a partition.

        A fact is keyed by its aggregate; a command overrides this with what its receiver
        decides one at a time (a reservation request: its site).
        """
        return aggregate_id


def schema_urn(event_type: str, version: int) -> str:
    return f"urn:parkgrid:schema:{event_type}:v{version}"


def version_of(envelope: Envelope) -> int:
    """The payload version an envelope declares (v1 when it declares none)."""
    if envelope.dataschema is None:
        return 1
    match = _SCHEMA_URN.match(envelope.dataschema)
    if match is None or match["type"] != envelope.type:
        raise UnknownEventType(f"dataschema {envelope.dataschema!r} does not name type {envelope.type!r}")
    return int(match["version"])


class EventRegistry:
    """Every event type and version a process can read or write."""

    def __init__(self) -> None:
        self._models: dict[tuple[str, int], type[IntegrationEvent]] = {}
        self._upcasters: dict[tuple[str, int], Upcaster] = {}

    def register(self, model: type[E]) -> type[E]:
        """Class decorator: make `model` known under its type and version."""
        key = (model.event_type, model.version)
        existing = self._models.get(key)
        if existing is not None and existing is not model:
            raise ValueError(f"{model.event_type} v{model.version} is already registered by {existing.__name__}")
        self._models[key] = model
        return model

    def upcaster(self, event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
        """Decorator for a function turning a v`from_version` payload into v`from_version + 1`."""

        def decorate(fn: Upcaster) -> Upcaster:
            self._upcasters[(event_type, from_version)] = fn
            return fn

        return decorate

    def knows(self, event_type: str) -> bool:
        return any(t == event_type for t, _ in self._models)

    def latest_version(self, event_type: str) -> int:
        versions = [v for t, v in self._models if t == event_type]
        if not versions:
            raise UnknownEventType(f"unknown event type {event_type!r}")
        return max(versions)

    def model(self, event_type: str, version: int) -> type[IntegrationEvent]:
        try:
            return self._models[(event_type, version)]
        except KeyError:
            raise UnknownEventType(f"unknown event type {event_type!r} version {version}") from None

    def models(self) -> list[type[IntegrationEvent]]:
        return sorted(self._models.values(), key=lambda m: (m.event_type, m.version))

    def parse(self, envelope: Envelope) -> IntegrationEvent:
        """The envelope's data as the newest model of its type, upcasting old versions."""
        version = version_of(envelope)
        latest = self.latest_version(envelope.type)
        if version > latest:
            raise UnknownEventType(f"{envelope.type} v{version} is newer than this reader knows (v{latest})")
        declared = self.model(envelope.type, version)
        try:
            # Validate as the version it claims to be before upcasting, so a bad old
            # payload is refused naming its own fields, never crashing an upcaster.
            parsed = declared.model_validate(envelope.data)
        except ValidationError as exc:
            raise InvalidEventData(_describe(exc, envelope.type)) from exc
        if version == latest:
            return parsed
        data = parsed.model_dump(mode="json")
        while version < latest:
            step = self._upcasters.get((envelope.type, version))
            if step is None:
                raise UnknownEventType(f"no upcaster for {envelope.type} from v{version}")
            try:
                data = step(data)
            except Exception as exc:
                raise InvalidEventData(f"{envelope.type} v{version} could not be upcast: {exc!r}") from exc
            version += 1
        try:
            return self.model(envelope.type, latest).model_validate(data)
        except ValidationError as exc:
            raise InvalidEventData(_describe(exc, envelope.type)) from exc

    def envelope(self, event: IntegrationEvent, *, source: str, subject: str, sequence: int) -> Envelope:
        """Wrap a payload in an envelope stamped with the current correlation ids."""
        model = type(event)
        if self._models.get((model.event_type, model.version)) is not model:
            raise UnknownEventType(f"{model.__name__} is not registered")
        return Envelope.new(
            type=model.event_type,
            source=source,
            subject=subject,
            sequence=sequence,
            data=event.model_dump(mode="json"),
            dataschema=model.dataschema(),
        )

    def json_schema(self, event_type: str, version: int) -> dict[str, Any]:
        model = self.model(event_type, version)
        schema = model.model_json_schema(mode="serialization")
        schema["$id"] = schema_urn(event_type, version)
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema.setdefault("title", model.__name__)
        return schema


def _describe(exc: ValidationError, event_type: str) -> str:
    problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(root)'}: {e['msg']}" for e in exc.errors())
    return f"{event_type} data is invalid: {problems}"


registry = EventRegistry()
"""The process-wide registry that the contracts modules register into."""
