"""The event registry: versions, upcasting, schemas, and clear rejections."""

from __future__ import annotations

from typing import Any, Literal

import pytest
from jsonschema import Draft202012Validator

from parkgrid.envelope import Envelope
from parkgrid.events import EventRegistry, IntegrationEvent, InvalidEventData, UnknownEventType, schema_urn

registry = EventRegistry()


@registry.register
class SeatHeldV1(IntegrationEvent):
    event_type = "parkgrid.test.seat.held"
    version = 1
    session_id: str
    seats: int


@registry.register
class SeatHeldV2(IntegrationEvent):
    event_type = "parkgrid.test.seat.held"
    version = 2
    session_id: str
    seats: int
    kind: Literal["desk", "room"]


@registry.upcaster("parkgrid.test.seat.held", from_version=1)
def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "kind": "desk"}


def _wrap(data: dict[str, Any], version: int | None) -> Envelope:
    return Envelope(
        type="parkgrid.test.seat.held",
        source="test",
        subject="s-1",
        sequence=1,
        data=data,
        dataschema=None if version is None else schema_urn("parkgrid.test.seat.held", version),
    )


def test_v2_reads_as_v2() -> None:
    event = registry.parse(_wrap({"session_id": "s-1", "seats": 2, "kind": "room"}, 2))
    assert event == SeatHeldV2(session_id="s-1", seats=2, kind="room")


def test_v1_payload_is_upcast_to_v2() -> None:
    assert registry.parse(_wrap({"session_id": "s-1", "seats": 2}, 1)) == SeatHeldV2(
        session_id="s-1", seats=2, kind="desk"
    )


def test_no_dataschema_means_v1() -> None:
    assert isinstance(registry.parse(_wrap({"session_id": "s", "seats": 1}, None)), SeatHeldV2)


def test_future_version_is_refused() -> None:
    with pytest.raises(UnknownEventType, match="newer than this reader"):
        registry.parse(_wrap({"session_id": "s", "seats": 1}, 3))


def test_unknown_type_is_refused() -> None:
    env = Envelope(type="parkgrid.test.nope", source="t", subject="x", sequence=1, data={})
    with pytest.raises(UnknownEventType, match=r"parkgrid\.test\.nope"):
        registry.parse(env)


def test_invalid_data_names_the_field() -> None:
    with pytest.raises(InvalidEventData, match="kind"):
        registry.parse(_wrap({"session_id": "s", "seats": 1, "kind": "castle"}, 2))
    with pytest.raises(InvalidEventData, match="seats"):
        registry.parse(_wrap({"session_id": "s"}, 2))


def test_envelope_carries_type_version_and_full_payload() -> None:
    env = registry.envelope(SeatHeldV2(session_id="s-1", seats=2, kind="room"), source="t", subject="s-1", sequence=4)
    assert env.type == "parkgrid.test.seat.held"
    assert env.dataschema == "urn:parkgrid:schema:parkgrid.test.seat.held:v2"
    assert env.data == {"session_id": "s-1", "seats": 2, "kind": "room"}


def test_json_schema_validates_payloads() -> None:
    schema = registry.json_schema("parkgrid.test.seat.held", 2)
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    assert validator.is_valid({"session_id": "s", "seats": 1, "kind": "desk"})
    assert not validator.is_valid({"session_id": "s", "seats": 1, "kind": "castle"})


def test_a_type_and_version_registers_once() -> None:
    class Clash(IntegrationEvent):
        event_type = "parkgrid.test.seat.held"
        version = 2

    with pytest.raises(ValueError, match="already registered"):
        registry.register(Clash)
