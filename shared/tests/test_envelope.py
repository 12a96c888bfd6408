"""The envelope's Kafka binding: CloudEvents attributes in ce_* headers, data as JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from bson import decode, encode
from bson.codec_options import CodecOptions

from parkgrid.envelope import Envelope, MalformedMessage
from parkgrid.logging import bind_actor, bind_correlation


def _envelope() -> Envelope:
    return Envelope(
        type="parkgrid.test.counter.incremented",
        source="test",
        subject="counter-1",
        sequence=7,
        time=datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
        data={"value": 7, "note": "é"},
        dataschema="urn:parkgrid:schema:parkgrid.test.counter.incremented:v1",
        correlationid="corr-1",
        causationid="cause-1",
        actor="front_desk:fd-7",
    )


def test_kafka_binding_round_trips() -> None:
    env = _envelope()
    again = Envelope.from_kafka(env.kafka_key(), env.kafka_value(), env.kafka_headers())
    assert again == env


def test_headers_use_cloudevents_names_and_key_is_the_aggregate() -> None:
    env = _envelope()
    headers = dict(env.kafka_headers())
    assert headers["ce_specversion"] == b"1.0"
    assert headers["ce_type"] == b"parkgrid.test.counter.incremented"
    assert headers["ce_id"] == env.id.encode()
    assert headers["ce_subject"] == b"counter-1"
    assert headers["ce_time"] == b"2026-03-01T09:30:00Z"
    assert headers["ce_sequence"] == b"00000000000000000007", "zero-padded: compared as strings"
    assert headers["ce_correlationid"] == b"corr-1"
    assert headers["ce_actor"] == b"front_desk:fd-7"
    assert headers["content-type"] == b"application/json"
    assert env.kafka_key() == b"counter-1"
    assert json.loads(env.kafka_value()) == {"value": 7, "note": "é"}


def test_new_takes_the_current_correlation() -> None:
    bind_correlation("corr-9", "cause-9")
    try:
        env = Envelope.new(type="t", source="s", subject="a", sequence=1, data={})
    finally:
        bind_correlation(None, None)
    assert (env.correlationid, env.causationid) == ("corr-9", "cause-9")


def test_new_names_the_acting_person_or_else_the_service_itself() -> None:
    bind_actor("member:p-12")
    try:
        for_them = Envelope.new(type="t", source="bookings", subject="a", sequence=1, data={})
    finally:
        bind_actor(None)
    own = Envelope.new(type="t", source="bookings", subject="a", sequence=2, data={})
    assert (for_them.actor, own.actor) == ("member:p-12", "service:bookings")
    older = Envelope.from_document({k: v for k, v in own.to_document().items() if k != "actor"})
    assert older.actor is None  # written before actors existed
    assert "ce_actor" not in dict(older.kafka_headers())


def test_new_without_a_correlation_starts_one() -> None:
    env = Envelope.new(type="t", source="s", subject="a", sequence=1, data={})
    assert env.correlationid
    assert env.causationid is None


@pytest.mark.parametrize(
    ("value", "headers", "reason"),
    [
        (b"{not json", None, "not JSON"),
        (b"[1, 2]", None, "not an object"),
        (None, None, "tombstone"),
        (b"{}", [("ce_specversion", b"1.0")], "type"),
        (b"{}", [("ce_type", b"x"), ("ce_source", b"s"), ("ce_sequence", b"1")], "ce_id, ce_specversion, ce_time"),
        (b"{}", "bad-sequence", "sequence"),
        (b"{}", "specversion-0.3", "specversion"),
        (b"{}", [("ce_type", b"\xff\xfe")], "UTF-8"),
    ],
)
def test_malformed_records_are_named_for_what_is_wrong(
    value: bytes | None, headers: list[tuple[str, bytes]] | str | None, reason: str
) -> None:
    good = _envelope().kafka_headers()
    if headers == "bad-sequence":
        headers = [(k, b"minus one" if k == "ce_sequence" else v) for k, v in good]
    elif headers == "specversion-0.3":
        headers = [(k, b"0.3" if k == "ce_specversion" else v) for k, v in good]
    assert not isinstance(headers, str), headers  # every named case is replaced above
    with pytest.raises(MalformedMessage, match=reason):
        Envelope.from_kafka(b"k", value, good if headers is None else headers)


def test_document_form_survives_naive_datetimes_from_the_store() -> None:
    env = _envelope()
    doc = env.to_document()
    doc["time"] = doc["time"].replace(tzinfo=None)
    assert Envelope.from_document(doc) == env


def test_header_names_are_read_case_insensitively() -> None:
    env = _envelope()
    shouted = [(k.upper(), v) for k, v in env.kafka_headers()]
    assert Envelope.from_kafka(env.kafka_key(), env.kafka_value(), shouted) == env


def test_reading_twice_gives_the_same_id_and_time() -> None:
    env = _envelope()
    first = Envelope.from_kafka(env.kafka_key(), env.kafka_value(), env.kafka_headers())
    second = Envelope.from_kafka(env.kafka_key(), env.kafka_value(), env.kafka_headers())
    assert (first.id, first.time) == (second.id, second.time) == (env.id, env.time)


def test_the_stored_form_is_one_text_that_publishes_as_the_document_form_did() -> None:
    """An outbox keeps an envelope as JSON text (one value for the store, not 15-40). The relay
    publishes from it exactly what it published from the document a BSON round trip gave back
    (dates to the millisecond), older outboxes' documents included."""
    env = _envelope().model_copy(update={"time": datetime(2026, 3, 1, 9, 30, 5, 123_456, tzinfo=UTC)})
    stored = env.stored()
    assert isinstance(stored, str)
    assert "tracestate" not in json.loads(stored), "an optional attribute is kept only when there is one"
    from_document = Envelope.from_stored(decode(encode(env.to_document()), CodecOptions(tz_aware=False)))
    from_text = Envelope.from_stored(stored)
    assert from_text == from_document
    assert from_text.time == datetime(2026, 3, 1, 9, 30, 5, 123_000, tzinfo=UTC)
    assert from_text.kafka_headers() == from_document.kafka_headers()
    assert from_text.kafka_value() == from_document.kafka_value()
    assert from_text.kafka_key() == from_document.kafka_key()
