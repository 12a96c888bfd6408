"""The published event contracts hold what they promise, without any infrastructure.

For every registered (type, version) a hand-written sample in `shared/contracts/samples/`
validates against the JSON Schema subscribers read, parses into the model the kit reads
(v1 offering payloads arrive as v2), and survives the Kafka binding unchanged. Invalid
payloads are refused with a message naming the field. The topic catalogue places every
type in exactly one topic and follows the naming rules.
"""

from __future__ import annotations

import base64
import copy
import json
import re
from collections.abc import Iterator
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError as SchemaError

from parkgrid import shredding
from parkgrid.contracts import TOPICS, topic_of
from parkgrid.contracts.catalogue import OfferingPublished, OfferingUpdated
from parkgrid.contracts.common import Money
from parkgrid.envelope import Envelope
from parkgrid.events import IntegrationEvent, InvalidEventData, registry, schema_urn, version_of

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "contracts" / "samples"
SOURCE = "/parkgrid/contract-tests"
PAIRS = [(model.event_type, model.version) for model in registry.models()]
PAIR_IDS = [f"{event_type}.v{version}" for event_type, version in PAIRS]

# --- JSON Schema validation with formats checked --------------------------------------

FORMATS = FormatChecker()
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$", re.IGNORECASE)


def _date_time(value: object) -> bool:
    """RFC 3339 `date-time`: the offset is mandatory (jsonschema checks it only with extras)."""
    if not isinstance(value, str):
        return True
    if not _RFC3339.match(value):
        return False
    datetime.fromisoformat(value.upper())  # a real date and time (no 2026-02-30)
    return True


# Registered by a call rather than as a decorator: jsonschema is untyped here, and an untyped
# decorator would make `_date_time` untyped too.
FORMATS.checks("date-time", raises=ValueError)(_date_time)


@cache
def validator(event_type: str, version: int) -> Draft202012Validator:
    schema = registry.json_schema(event_type, version)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FORMATS)


def schema_errors(event_type: str, version: int, data: dict[str, Any]) -> list[SchemaError]:
    """All errors, including those nested under anyOf/oneOf."""

    def walk(errors: Any) -> Iterator[SchemaError]:
        for error in errors:
            yield error
            yield from walk(error.context or ())

    return list(walk(validator(event_type, version).iter_errors(data)))


# --- samples --------------------------------------------------------------------------


def sample_path(event_type: str, version: int) -> Path:
    return SAMPLES / f"{event_type}.v{version}.json"


def load_sample(event_type: str, version: int) -> dict[str, Any]:
    path = sample_path(event_type, version)
    if not path.exists():
        pytest.fail(f"no sample {path.relative_to(SAMPLES.parents[2])}")
    sample: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    assert set(sample) == {"subject", "sequence", "data"}, path.name
    return sample


def envelope_of(event_type: str, version: int, sample: dict[str, Any], data: dict[str, Any] | None = None) -> Envelope:
    return Envelope(
        type=event_type,
        source=SOURCE,
        subject=sample["subject"],
        sequence=sample["sequence"],
        dataschema=schema_urn(event_type, version),
        data=sample["data"] if data is None else data,
    )


def test_every_registered_type_and_version_has_a_sample() -> None:
    assert len(PAIRS) == 88
    missing = [path.name for path in (sample_path(t, v) for t, v in PAIRS) if not path.exists()]
    assert not missing, f"missing samples in {SAMPLES}: {missing}"
    expected = {sample_path(t, v).name for t, v in PAIRS}
    stray = sorted(path.name for path in SAMPLES.glob("*.json") if path.name not in expected)
    assert not stray, f"samples of no registered type/version: {stray}"


@pytest.mark.parametrize(("event_type", "version"), PAIRS, ids=PAIR_IDS)
def test_sample_validates_against_the_json_schema(event_type: str, version: int) -> None:
    sample = load_sample(event_type, version)
    errors = schema_errors(event_type, version, sample["data"])
    assert not errors, [f"{e.json_path}: {e.message}" for e in errors]
    # Every field is written out (a typo would be silently ignored by extra="ignore").
    assert set(sample["data"]) == set(registry.model(event_type, version).model_fields)


@pytest.mark.parametrize(("event_type", "version"), PAIRS, ids=PAIR_IDS)
def test_sample_parses_into_the_newest_model(event_type: str, version: int) -> None:
    sample = load_sample(event_type, version)
    parsed = registry.parse(envelope_of(event_type, version, sample))
    latest = registry.latest_version(event_type)
    assert type(parsed) is registry.model(event_type, latest)
    if version == latest:
        assert parsed.model_dump(mode="json").keys() == sample["data"].keys()
        assert parsed == registry.model(event_type, version).model_validate(sample["data"])
    else:  # upcast: the same fact as the newest version's sample (its sealed values opened)
        newest = load_sample(event_type, latest)
        assert parsed == registry.parse(envelope_of(event_type, latest, newest, opened_sample(newest["data"])))


def sample_key(person_id: str) -> str:
    """The key a sample seals a person's fields with: their id, padded (never a real key)."""
    return base64.urlsafe_b64encode(person_id.encode().ljust(32, b".")[:32]).decode()


def opened_sample(data: dict[str, Any]) -> dict[str, Any]:
    """A sample's data with each person's sealed name and email opened (v1 samples are in clear)."""

    def opened(person: dict[str, Any]) -> dict[str, Any]:
        clear = shredding.opened_person(person, {person["person_id"]: sample_key(person["person_id"])})
        assert clear is not None, f"{person['person_id']}'s sample fields do not open with the sample key"
        return clear

    data = {**data, "people": [opened(p) for p in data["people"]]} if "people" in data else dict(data)
    return {**data, "person": opened(data["person"])} if "person" in data else data


@pytest.mark.parametrize(("event_type", "version"), PAIRS, ids=PAIR_IDS)
def test_kafka_round_trip_gives_the_same_event(event_type: str, version: int) -> None:
    sample = load_sample(event_type, version)
    event = registry.model(event_type, version).model_validate(sample["data"])
    env = registry.envelope(event, source=SOURCE, subject=sample["subject"], sequence=sample["sequence"])

    # What the kit emits is what the schema promises.
    errors = schema_errors(event_type, version, env.data)
    assert not errors, [f"{e.json_path}: {e.message}" for e in errors]

    key, value, headers = env.kafka_key(), env.kafka_value(), env.kafka_headers()
    received = Envelope.from_kafka(key, value, headers)
    assert received == env
    assert version_of(received) == version

    header = dict(headers)
    assert key == sample["subject"].encode()
    assert header["ce_type"] == event_type.encode()
    assert header["ce_dataschema"] == f"urn:parkgrid:schema:{event_type}:v{version}".encode()
    assert header["ce_subject"] == sample["subject"].encode()
    assert header["ce_sequence"] == f"{sample['sequence']:020d}".encode()
    assert header["ce_source"] == SOURCE.encode()

    parsed = registry.parse(received)
    if version == registry.latest_version(event_type):
        assert parsed == event
    else:
        assert parsed == registry.parse(envelope_of(event_type, version, sample))


@pytest.mark.parametrize(("event_type", "version"), PAIRS, ids=PAIR_IDS)
def test_sample_subject_is_the_partition_key(event_type: str, version: int) -> None:
    """Facts are keyed by their aggregate id, commands to spaces by site id."""
    sample = load_sample(event_type, version)
    topic = topic_of(event_type)
    aggregate = topic.name.split(".", 1)[1]
    field = topic.key.replace(" ", "_") if topic.key != "aggregate id" else f"{aggregate}_id"
    field = {"waitlist_id": "entry_id"}.get(field, field)
    assert sample["data"][field] == sample["subject"]
    assert sample["sequence"] >= 1


# The status a snapshot has right after each event (samples must tell a consistent story).
STATUS_AFTER = {
    "parkgrid.bookings.booking.requested": "pending",
    "parkgrid.bookings.waitlist.joined": "waiting",
    "parkgrid.catalogue.offering.updated": "published",
    "parkgrid.community.event.scheduled": ("draft", "venue_pending"),
    "parkgrid.community.event.rescheduled": "published",
    "parkgrid.community.member.registered": "active",
    "parkgrid.community.member.updated": "active",
    "parkgrid.community.member.stage_changed": "active",
    "parkgrid.community.member.person_added": "active",
    "parkgrid.community.member.person_removed": "active",
    "parkgrid.community.member.person_erased": ("active", "left"),  # a member that left keeps people to erase
    "parkgrid.community.registration.promoted": "confirmed",
    "parkgrid.spaces.residency.started": "active",
    "parkgrid.spaces.residency.extended": "active",
    "parkgrid.spaces.residency.moved": "active",
    "parkgrid.spaces.waitlist.joined": "waiting",
    "parkgrid.spaces.site.registered": "open",
    "parkgrid.spaces.site.updated": ("open", "closed"),
    "parkgrid.spaces.space.added": "active",
    "parkgrid.spaces.space.updated": "active",
    "parkgrid.community.member.left": "left",
    "parkgrid.spaces.reservation.released": "released",
    "parkgrid.spaces.waitlist.offer_lapsed": "declined",
    "parkgrid.community.event.revised": "published",
    "parkgrid.billing.charge.recorded": "open",
    "parkgrid.billing.invoice.credit_note_issued": "issued",
    "parkgrid.billing.invoice.settled": "paid",
}


@pytest.mark.parametrize(("event_type", "version"), PAIRS, ids=PAIR_IDS)
def test_sample_snapshot_status_matches_the_event(event_type: str, version: int) -> None:
    data = load_sample(event_type, version)["data"]
    if "status" not in data:
        return
    expected = STATUS_AFTER.get(event_type, event_type.rsplit(".", 1)[1])  # confirmed -> confirmed...
    assert data["status"] in ((expected,) if isinstance(expected, str) else expected)


# --- upcasting v1 offerings -----------------------------------------------------------


@pytest.mark.parametrize(
    ("price_mad", "price"),
    [
        (150.5, Money(amount_minor=15050, currency="MAD")),
        (19.99, Money(amount_minor=1999, currency="MAD")),  # 19.99 * 100 == 1998.999...
        (0.0, Money(amount_minor=0, currency="MAD")),
        (None, None),
    ],
)
def test_v1_offering_price_mad_is_read_as_money(price_mad: float | None, price: Money | None) -> None:
    event_type = OfferingPublished.event_type
    sample = load_sample(event_type, 1)
    data = {**sample["data"], "price_mad": price_mad}
    parsed = registry.parse(envelope_of(event_type, 1, sample, data))
    assert isinstance(parsed, OfferingPublished)
    assert parsed.version == 2
    assert parsed.price == price
    assert "price_mad" not in parsed.model_dump()


def test_v1_offering_samples_upcast_as_documented() -> None:
    published = load_sample(OfferingPublished.event_type, 1)
    assert published["data"]["price_mad"] == 150.5
    parsed = registry.parse(envelope_of(OfferingPublished.event_type, 1, published))
    assert isinstance(parsed, OfferingPublished)
    assert parsed.price == Money(amount_minor=15050, currency="MAD")

    updated = load_sample(OfferingUpdated.event_type, 1)
    assert updated["data"]["price_mad"] is None
    parsed = registry.parse(envelope_of(OfferingUpdated.event_type, 1, updated))
    assert isinstance(parsed, OfferingUpdated)
    assert parsed.price is None


@pytest.mark.parametrize("price_mad", [{"dirhams": 150}, [150.5], "a hundred"])
def test_malformed_v1_offering_is_refused_naming_price_mad(price_mad: object) -> None:
    event_type = OfferingPublished.event_type
    sample = load_sample(event_type, 1)
    data = {**sample["data"], "price_mad": price_mad}
    assert any("price_mad" in map(str, e.absolute_path) for e in schema_errors(event_type, 1, data))
    with pytest.raises(InvalidEventData, match="price_mad"):
        registry.parse(envelope_of(event_type, 1, sample, data))


# --- invalid payloads are refused, naming the field ------------------------------------


def mutate(data: dict[str, Any], path: str, value: Any = ...) -> dict[str, Any]:
    """A copy of `data` with the dotted `path` set to `value` (removed when omitted)."""
    data = copy.deepcopy(data)
    *parents, last = path.split(".")
    target: Any = data
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    if value is ...:
        del target[last]
    else:
        target[last] = value
    return data


BOOKING = ("parkgrid.bookings.booking.confirmed", 1)
OFFERING_V2 = ("parkgrid.catalogue.offering.published", 2)
NAIVE = "2026-03-01T10:00:00"

# (type, version), path, value (... = drop), field to be named, whether JSON Schema can tell
INVALID = [
    pytest.param(*BOOKING, "booking_id", ..., "booking_id", True, id="booking-missing-booking_id"),
    pytest.param(*OFFERING_V2, "offering_id", ..., "offering_id", True, id="offering-v2-missing-offering_id"),
    pytest.param(
        "parkgrid.catalogue.offering.published", 1, "category", ..., "category", True, id="offering-v1-missing"
    ),
    pytest.param("parkgrid.spaces.reservation.requested", 1, "site_id", ..., "site_id", True, id="command-missing"),
    pytest.param("parkgrid.community.member.registered", 1, "member_id", ..., "member_id", True, id="member-missing"),
    pytest.param("parkgrid.community.member.registered", 1, "programme.stage", ..., "stage", True, id="nested-missing"),
    pytest.param(*BOOKING, "status", "maybe", "status", True, id="booking-status-maybe"),
    pytest.param("parkgrid.community.event.published", 1, "kind", "castle", "kind", True, id="event-kind-castle"),
    pytest.param("parkgrid.spaces.space.added", 1, "kind", "castle", "kind", True, id="space-kind-castle"),
    pytest.param("parkgrid.spaces.reservation.requested", 1, "requirement.kind", "castle", "kind", True, id="req-kind"),
    pytest.param("parkgrid.community.registration.confirmed", 1, "status", "maybe", "status", True, id="reg-status"),
    pytest.param(*BOOKING, "confirmed_at", NAIVE, "confirmed_at", True, id="booking-confirmed_at-naive"),
    pytest.param(*BOOKING, "session.starts_at", NAIVE, "starts_at", True, id="booking-session-naive"),
    pytest.param("parkgrid.spaces.reservation.released", 1, "released_at", NAIVE, "released_at", True, id="released"),
    pytest.param(
        "parkgrid.community.registration.checked_in", 1, "checked_in_at", NAIVE, "checked_in_at", True, id="checked_in"
    ),
    pytest.param(*BOOKING, "session.ends_at", "2026-04-15T09:00:00+01:00", "ends_at", False, id="booking-ends-first"),
    pytest.param(
        "parkgrid.community.event.rescheduled",
        1,
        "previous_time.ends_at",
        "2026-05-07T18:30:00+01:00",
        "ends_at",
        False,
        id="event-ends-at-start",
    ),
    pytest.param(
        "parkgrid.spaces.reservation.requested",
        1,
        "time.ends_at",
        "2026-04-15T09:59:00+01:00",
        "ends_at",
        False,
        id="reservation-ends-first",
    ),
    pytest.param(*OFFERING_V2, "price.currency", "mad", "currency", True, id="money-currency-mad"),
    pytest.param(*OFFERING_V2, "price.amount_minor", 150.5, "amount_minor", True, id="money-float"),
    pytest.param(*OFFERING_V2, "availability.0.closes", "07:00", "closes", False, id="window-closes-first"),
]


@pytest.mark.parametrize(("event_type", "version", "path", "value", "field", "schema_can_tell"), INVALID)
def test_invalid_payload_is_refused_naming_the_field(
    event_type: str, version: int, path: str, value: Any, field: str, schema_can_tell: bool
) -> None:
    sample = load_sample(event_type, version)
    data = mutate(sample["data"], path, value)

    if schema_can_tell:
        errors = schema_errors(event_type, version, data)
        assert errors, f"the JSON Schema accepts {path}={value!r}"
        assert any(field in map(str, e.absolute_path) or repr(field) in e.message for e in errors), [
            f"{e.json_path}: {e.message}" for e in errors
        ]

    with pytest.raises(InvalidEventData) as refused:
        registry.parse(envelope_of(event_type, version, sample, data))
    assert re.search(rf"\b{re.escape(field)}\b", str(refused.value)), str(refused.value)


def test_a_valid_time_is_not_refused_for_its_offset() -> None:
    """Ramadan (+00:00), the rest of the year (+01:00) and UTC (Z) are all RFC 3339."""
    sample = load_sample(*BOOKING)
    for moment in ("2026-03-01T10:00:00+00:00", "2026-04-01T10:00:00+01:00", "2026-04-01T09:00:00Z"):
        data = mutate(sample["data"], "confirmed_at", moment)
        assert not schema_errors(*BOOKING, data)
        registry.parse(envelope_of(*BOOKING, sample, data))


# --- topic catalogue ------------------------------------------------------------------

_TOPIC = re.compile(r"^(?P<service>[a-z]+)\.(?P<aggregate>[a-z_]+)$")
_TYPE = re.compile(r"^parkgrid\.(?P<service>[a-z]+)\.(?P<aggregate>[a-z_]+)\.(?P<verb>[a-z_]+)$")
EVENT_TYPES = sorted({event_type for event_type, _ in PAIRS})


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_every_event_type_is_in_exactly_one_topic(event_type: str) -> None:
    holders = [spec.name for spec in TOPICS if event_type in spec.event_types]
    assert len(holders) == 1, f"{event_type} is in {holders}"
    assert topic_of(event_type).name == holders[0]


def test_every_topic_names_registered_types_only() -> None:
    names = [spec.name for spec in TOPICS]
    assert len(names) == len(set(names)), names
    unknown = [(spec.name, t) for spec in TOPICS for t in spec.event_types if not registry.knows(t)]
    assert not unknown
    assert all(spec.event_types for spec in TOPICS)
    with pytest.raises(KeyError, match="no topic"):
        topic_of("parkgrid.bookings.booking.teleported")


@pytest.mark.parametrize("spec", TOPICS, ids=[spec.name for spec in TOPICS])
def test_topic_and_event_type_names_follow_the_convention(spec: Any) -> None:
    topic = _TOPIC.match(spec.name)
    assert topic, f"topic {spec.name!r} is not <service>.<aggregate> or <service>.commands"
    for event_type in spec.event_types:
        parts = _TYPE.match(event_type)
        assert parts, f"{event_type!r} is not parkgrid.<service>.<aggregate>.<verb>"
        assert parts["service"] == topic["service"], f"{event_type} in {spec.name}"
        if topic["aggregate"] != "commands":
            assert parts["aggregate"] == topic["aggregate"], f"{event_type} in {spec.name}"


# --- documentation --------------------------------------------------------------------


@pytest.mark.parametrize("model", registry.models(), ids=PAIR_IDS)
def test_every_model_has_a_docstring(model: type[IntegrationEvent]) -> None:
    """The docstring becomes the AsyncAPI message summary and the schema's description."""
    doc = model.__dict__.get("__doc__")
    assert doc, f"{model.__name__} has no docstring of its own"
    schema = registry.json_schema(model.event_type, model.version)
    assert schema["description"] == doc.strip()
    assert schema["$id"] == model.dataschema()
    assert schema["title"] == model.__name__
