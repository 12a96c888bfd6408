"""The committed contracts (shared/contracts) are what the event models produce now.

Also unit tests of the generator itself against a throwaway registry and catalogue, so
its behaviour does not depend on which real events exist.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import pytest
import yaml
from jsonschema import Draft202012Validator
from pydantic import BaseModel, create_model

from parkgrid.contracts import generate  # importing parkgrid.contracts registers every event
from parkgrid.contracts.topics import TOPICS
from parkgrid.events import EventRegistry, IntegrationEvent, registry, schema_urn
from parkgrid.topics import TopicSpec

ROOT = Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------------- the committed files


def test_committed_contracts_are_up_to_date() -> None:
    stale = generate.stale(ROOT)
    assert not stale, (
        f"{len(stale)} contract file(s) differ from what the event models produce; "
        "run `make contracts` and commit the result:\n" + "\n".join(f"  {path}" for path in stale)
    )


def test_every_registered_event_version_has_a_schema_file() -> None:
    models = registry.models()
    assert models, "no event type is registered: does parkgrid.contracts import the context modules?"
    missing = []
    for model in models:
        path = ROOT / generate.schema_path(model.event_type, model.version)
        if not path.is_file():
            missing.append(path.relative_to(ROOT).as_posix())
            continue
        schema = json.loads(path.read_text())
        Draft202012Validator.check_schema(schema)
        assert schema["$id"] == schema_urn(model.event_type, model.version)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert not missing, "missing schema files (run `make contracts`):\n" + "\n".join(missing)


def test_every_registered_event_type_is_published_on_a_topic() -> None:
    assert generate.unpublished(registry, TOPICS) == [], "list these types in a TopicSpec.event_types"


def test_the_asyncapi_document_has_every_topic_and_event_version() -> None:
    path = ROOT / generate.ASYNCAPI_PATH
    assert path.is_file(), f"{generate.ASYNCAPI_PATH} is missing: run `make contracts`"
    doc = yaml.safe_load(path.read_text())
    assert [c["address"] for c in doc["channels"].values()] == [t.name for t in TOPICS]
    listed = {m for c in doc["channels"].values() for m in c["messages"]}
    carried = {t for spec in TOPICS for t in spec.event_types}
    expected = {f"{m.event_type}.v{m.version}" for m in registry.models() if m.event_type in carried}
    assert listed == expected


# --------------------------------------------------------------------------- the generator

throwaway = EventRegistry()


class Slot(BaseModel):
    start: str
    end: str


@throwaway.register
class DeskHeldV1(IntegrationEvent):
    """Deprecated v1 of desk.held (one slot)."""

    event_type = "parkgrid.test.desk.held"
    version = 1
    desk_id: str
    slot: Slot


@throwaway.register
class DeskHeld(IntegrationEvent):
    """A desk was held for a member.

    Several slots at once since v2.
    """

    event_type = "parkgrid.test.desk.held"
    version = 2
    desk_id: str
    slots: list[Slot]
    kind: Literal["hot", "fixed"]
    span: tuple[int, int]


@throwaway.register
class DeskFreed(IntegrationEvent):
    event_type = "parkgrid.test.desk.freed"
    desk_id: str


TEST_TOPICS = (
    TopicSpec(
        name="test.desk",
        partitions=2,
        cleanup_policy="compact,delete",
        retention_ms=86_400_000,
        description="Desks.",
        event_types=("parkgrid.test.desk.held", "parkgrid.test.desk.freed"),
    ),
    TopicSpec(name="test.commands", key="site id", description="Requests to test."),
)


def _render() -> tuple[dict[str, str], dict[str, Any]]:
    files = generate.render(throwaway, TEST_TOPICS)
    return files, yaml.safe_load(files[generate.ASYNCAPI_PATH])


def _resolve(doc: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = doc
    for token in ref[2:].split("/"):
        node = node[token.replace("~1", "/").replace("~0", "~")]
    return node


def test_render_writes_one_schema_per_type_and_version() -> None:
    files, _ = _render()
    schema_files = sorted(p for p in files if p != generate.ASYNCAPI_PATH)
    assert schema_files == [
        "shared/contracts/schemas/parkgrid.test.desk.freed/v1.json",
        "shared/contracts/schemas/parkgrid.test.desk.held/v1.json",
        "shared/contracts/schemas/parkgrid.test.desk.held/v2.json",
    ]
    text = files["shared/contracts/schemas/parkgrid.test.desk.held/v2.json"]
    assert text.endswith("}\n")
    assert text.splitlines()[1].startswith('  "')  # 2-space indent
    schema = json.loads(text)
    assert list(schema) == sorted(schema)
    assert schema == throwaway.json_schema("parkgrid.test.desk.held", 2)
    Draft202012Validator.check_schema(schema)
    Draft202012Validator(schema).validate(
        {"desk_id": "d-1", "slots": [{"start": "9", "end": "10"}], "kind": "hot", "span": [1, 2]}
    )


def test_render_is_deterministic() -> None:
    assert generate.render(throwaway, TEST_TOPICS) == generate.render(throwaway, TEST_TOPICS)


def test_both_versions_of_a_type_are_messages_of_its_channel() -> None:
    _, doc = _render()
    assert doc["asyncapi"] == "3.0.0"
    assert doc["info"]["title"] == "ParkGrid events"
    assert doc["info"]["version"] == "1.0.0"
    channel = doc["channels"]["test.desk"]
    assert channel["address"] == "test.desk"
    assert list(channel["messages"]) == [
        "parkgrid.test.desk.held.v1",
        "parkgrid.test.desk.held.v2",
        "parkgrid.test.desk.freed.v1",
    ]
    v1 = _resolve(doc, channel["messages"]["parkgrid.test.desk.held.v1"]["$ref"])
    v2 = _resolve(doc, channel["messages"]["parkgrid.test.desk.held.v2"]["$ref"])
    assert v1["deprecated"] is True
    assert "deprecated" not in v2
    assert v2["summary"] == "A desk was held for a member."
    assert v1["summary"] == "Deprecated v1 of desk.held (one slot)."
    assert v2["title"] == "Desk held v2"
    assert v2["contentType"] == "application/json"
    assert channel["bindings"]["kafka"]["partitions"] == 2
    assert channel["bindings"]["kafka"]["topicConfiguration"] == {
        "cleanup.policy": ["compact", "delete"],
        "retention.ms": 86_400_000,
    }
    assert v2["bindings"]["kafka"]["key"]["type"] == "string"


def test_message_headers_pin_the_type_and_the_schema_version() -> None:
    _, doc = _render()
    for version in (1, 2):
        message = doc["components"]["messages"][f"parkgrid.test.desk.held.v{version}"]
        headers = message["headers"]
        assert headers["type"] == "object"
        assert headers["properties"]["ce_type"]["const"] == "parkgrid.test.desk.held"
        assert headers["properties"]["ce_dataschema"]["const"] == schema_urn("parkgrid.test.desk.held", version)
        assert set(headers["properties"]) == {
            "ce_specversion",
            "ce_id",
            "ce_source",
            "ce_type",
            "ce_subject",
            "ce_time",
            "ce_dataschema",
            "ce_sequence",
            "ce_correlationid",
            "ce_causationid",
            "ce_actor",
            "ce_traceparent",
            "ce_tracestate",
            "content-type",
        }
        assert {"ce_causationid", "ce_actor", "ce_traceparent", "ce_tracestate"}.isdisjoint(headers["required"])
        for prop in headers["properties"].values():
            if "$ref" in prop:
                assert _resolve(doc, prop["$ref"])["type"] == "string"


def test_payloads_resolve_to_the_schemas_with_defs_hoisted() -> None:
    _, doc = _render()
    schemas = doc["components"]["schemas"]
    v2 = _resolve(doc, doc["components"]["messages"]["parkgrid.test.desk.held.v2"]["payload"]["$ref"])
    assert "$defs" not in v2
    assert "$id" not in v2
    assert v2["properties"]["slots"]["items"] == {"$ref": "#/components/schemas/Slot"}
    assert schemas["Slot"]["required"] == ["start", "end"]
    assert len(v2["properties"]["span"]["items"]) == 2  # prefixItems as a draft-07 tuple


def test_a_definition_that_differs_between_payloads_is_kept_per_payload() -> None:
    other = EventRegistry()

    class Box(BaseModel):
        a: int

    other_box = create_model("Box", b=(str, ...))  # same $defs name, different content

    @other.register
    class One(IntegrationEvent):
        event_type = "parkgrid.test.box.one"
        box: Box

    @other.register
    class Two(IntegrationEvent):
        event_type = "parkgrid.test.box.two"
        box: other_box  # type: ignore[valid-type]

    topics = (TopicSpec(name="test.box", event_types=("parkgrid.test.box.one", "parkgrid.test.box.two")),)
    doc = yaml.safe_load(generate.render(other, topics)[generate.ASYNCAPI_PATH])
    schemas = doc["components"]["schemas"]
    assert "Box" not in schemas
    assert schemas["parkgrid.test.box.one.v1.Box"]["required"] == ["a"]
    assert schemas["parkgrid.test.box.two.v1.Box"]["required"] == ["b"]


def test_one_send_operation_per_channel() -> None:
    _, doc = _render()
    assert list(doc["operations"]) == ["test.desk.send", "test.commands.send"]
    operation = doc["operations"]["test.desk.send"]
    assert operation["action"] == "send"
    assert operation["channel"] == {"$ref": "#/channels/test.desk"}
    assert operation["tags"] == [{"name": "test"}]
    assert [_resolve(doc, m["$ref"]) for m in operation["messages"]] == list(
        doc["channels"]["test.desk"]["messages"].values()
    )
    assert doc["operations"]["test.commands.send"]["messages"] == []


def test_a_topic_listing_an_unknown_event_type_is_an_error() -> None:
    topics = (TopicSpec(name="test.desk", event_types=("parkgrid.test.desk.vanished",)),)
    with pytest.raises(generate.ContractError, match=r"parkgrid\.test\.desk\.vanished"):
        generate.render(throwaway, topics)


def test_unpublished_lists_registered_types_no_topic_carries() -> None:
    assert generate.unpublished(throwaway, TEST_TOPICS) == []
    assert generate.unpublished(throwaway, TEST_TOPICS[1:]) == ["parkgrid.test.desk.freed", "parkgrid.test.desk.held"]


def test_write_then_stale_finds_changed_missing_and_extra_files(tmp_path: Path) -> None:
    changes = generate.write(tmp_path, throwaway, TEST_TOPICS)
    assert {c.action for c in changes} == {"created"}
    assert len(changes) == 4
    assert generate.stale(tmp_path, throwaway, TEST_TOPICS) == []
    assert generate.write(tmp_path, throwaway, TEST_TOPICS) == []

    edited = tmp_path / "shared/contracts/schemas/parkgrid.test.desk.held/v1.json"
    edited.write_text("{}\n")
    missing = tmp_path / generate.ASYNCAPI_PATH
    missing.unlink()
    extra = tmp_path / "shared/contracts/schemas/parkgrid.test.gone/v1.json"
    extra.parent.mkdir(parents=True)
    extra.write_text("{}\n")
    unrelated = tmp_path / "shared/contracts/samples/kept.json"
    unrelated.parent.mkdir(parents=True)
    unrelated.write_text("{}\n")

    assert generate.stale(tmp_path, throwaway, TEST_TOPICS) == sorted(
        p.relative_to(tmp_path).as_posix() for p in (edited, missing, extra)
    )
    changes = generate.write(tmp_path, throwaway, TEST_TOPICS)
    assert {(c.path, c.action) for c in changes} == {
        ("shared/contracts/asyncapi.yaml", "created"),
        ("shared/contracts/schemas/parkgrid.test.desk.held/v1.json", "updated"),
        ("shared/contracts/schemas/parkgrid.test.gone/v1.json", "removed"),
    }
    assert not extra.parent.exists()
    assert unrelated.exists()
    assert generate.stale(tmp_path, throwaway, TEST_TOPICS) == []
