"""Generate the published contracts from the event models: JSON Schemas and AsyncAPI.

`render()` turns an event registry and a topic catalogue into files (relative path ->
text): one JSON Schema (draft 2020-12) per event type and version under
`shared/contracts/schemas/<type>/v<version>.json`, and one AsyncAPI 3.0 document of
every topic, `shared/contracts/asyncapi.yaml`. `write()` puts them in a checkout,
`stale()` says which committed files differ from what the models produce now. Both
are run by `parkgrid contracts generate|check` (`make contracts`).

The output is a pure function of the models and the catalogue: keys are sorted in the
JSON Schemas, and the AsyncAPI document lists topics in catalogue order and messages
in declaration order, so regenerating without a model change changes nothing.
"""

from __future__ import annotations

import copy
import inspect
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from parkgrid.contracts.topics import TOPICS
from parkgrid.envelope import CONTENT_TYPE, SPEC_VERSION
from parkgrid.events import EventRegistry, IntegrationEvent, schema_urn
from parkgrid.events import registry as default_registry
from parkgrid.topics import DLQ_SUFFIX, TopicSpec

CONTRACTS_DIR = "shared/contracts"
SCHEMAS_DIR = f"{CONTRACTS_DIR}/schemas"
ASYNCAPI_PATH = f"{CONTRACTS_DIR}/asyncapi.yaml"
ASYNCAPI_VERSION = "3.0.0"
KAFKA_BINDING_VERSION = "0.5.0"
REGENERATE_HINT = "make contracts"

Files = dict[str, str]
JSON = dict[str, Any]


class ContractError(ValueError):
    """The catalogue and the registry disagree (e.g. a topic names an unknown event type)."""


@dataclass(frozen=True)
class Change:
    path: str
    action: Literal["created", "updated", "removed"]


# --------------------------------------------------------------------------- render


def render(registry: EventRegistry | None = None, topics: Iterable[TopicSpec] | None = None) -> Files:
    """Every generated file, keyed by its path relative to the repository root."""
    registry = default_registry if registry is None else registry
    specs = tuple(TOPICS if topics is None else topics)
    files: Files = {}
    for model in registry.models():
        schema = registry.json_schema(model.event_type, model.version)
        files[schema_path(model.event_type, model.version)] = _json_text(schema)
    files[ASYNCAPI_PATH] = _yaml_text(asyncapi_document(registry, specs))
    return files


def schema_path(event_type: str, version: int) -> str:
    return f"{SCHEMAS_DIR}/{event_type}/v{version}.json"


def unpublished(registry: EventRegistry | None = None, topics: Iterable[TopicSpec] | None = None) -> list[str]:
    """Registered event types that no topic carries (they appear in no AsyncAPI channel)."""
    registry = default_registry if registry is None else registry
    carried = {t for spec in (TOPICS if topics is None else topics) for t in spec.event_types}
    return sorted({m.event_type for m in registry.models()} - carried)


def asyncapi_document(registry: EventRegistry, topics: Iterable[TopicSpec]) -> JSON:
    specs = list(topics)
    _check_catalogue(registry, specs)
    versions: dict[str, list[type[IntegrationEvent]]] = {}
    for model in registry.models():  # sorted by type, then version
        versions.setdefault(model.event_type, []).append(model)
    keys_of: dict[str, list[str]] = {}
    for spec in specs:
        for event_type in spec.event_types:
            if spec.key not in keys_of.setdefault(event_type, []):
                keys_of[event_type].append(spec.key)

    published = [m for event_type in keys_of for m in versions[event_type]]
    payloads = {_message_id(m): registry.json_schema(m.event_type, m.version) for m in published}
    schemas = _payload_schemas(payloads)

    channels: JSON = {}
    operations: JSON = {}
    messages: JSON = {}
    for spec in specs:
        channel_messages: JSON = {}
        for event_type in dict.fromkeys(spec.event_types):
            models = versions[event_type]
            for model in models:
                message_id = _message_id(model)
                if message_id not in messages:
                    messages[message_id] = _message(model, models[-1].version, keys_of[event_type])
                channel_messages[message_id] = {"$ref": f"#/components/messages/{_pointer(message_id)}"}
        channels[spec.name] = _channel(spec, channel_messages)
        operations[f"{spec.name}.send"] = _operation(spec, list(channel_messages))

    header_schemas = _header_schemas()
    clashes = sorted(header_schemas.keys() & schemas.keys())
    if clashes:
        raise ContractError(f"schema names clash with the header schemas: {', '.join(clashes)}")

    return {
        "asyncapi": ASYNCAPI_VERSION,
        "id": "urn:parkgrid:events",
        "info": {
            "title": "ParkGrid events",
            "version": "1.0.0",
            "description": INFO_DESCRIPTION,
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": {
            "local": {
                "host": "127.0.0.1:9092",
                "protocol": "kafka",
                "description": "The local broker of `make infra-up` (deploy/local).",
            },
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": messages,
            "schemas": {**header_schemas, **schemas},
            "correlationIds": {
                "correlationid": {
                    "description": "Shared by every message caused, directly or not, by one request.",
                    "location": "$message.header#/ce_correlationid",
                },
            },
        },
    }


INFO_DESCRIPTION = f"""\
Every integration event ParkGrid publishes to Kafka, generated from the pydantic models
in `parkgrid.contracts` (`make contracts`); do not edit by hand.

**Envelope.** Every message is a CloudEvents {SPEC_VERSION} event in Kafka's *binary* mode: the
attributes travel as `ce_*` headers (`ce_id`, `ce_source` the publishing service, `ce_type`,
`ce_subject` the aggregate id, `ce_time`, `ce_dataschema`, `ce_sequence` the aggregate's
version after the event, `ce_correlationid`, `ce_causationid`, `ce_actor` who caused the change)
plus `content-type:
{CONTENT_TYPE}`, and the value is the event data as a JSON object. Events carry the full
state a subscriber needs, not pointers.

**Ordering.** The message key is the aggregate id (equal to `ce_subject`; a `<service>.commands`
topic is keyed by what serialises its requests, see the channel), so every event of one
aggregate lands in one partition, in order. Producers use acks=all and idempotence;
delivery is at least once, so a consumer applies an event only if its `ce_sequence` is newer
than what it holds.

**Dead letters.** A message a consumer cannot process (unknown type or version, invalid
data, a failure that outlives the retries) goes to `<topic>{DLQ_SUFFIX}` with its original key,
headers and value plus `dlq_*` headers naming the origin; `parkgrid dlq list|show|redrive`
reads and re-injects them.

**Versions.** `ce_dataschema` is `urn:parkgrid:schema:<type>:v<version>`; a message without it
is v1. A compatible change (a new optional field) keeps the version; a breaking change is a
new version, published beside the old one for a deprecation window, so a channel lists every
version still registered and marks the older ones deprecated. Readers upcast an older payload
step by step (v1 -> v2 -> ...) to the newest version they know and dead-letter a newer one.

**Schemas.** The JSON Schemas (draft 2020-12) are in `shared/contracts/schemas/<type>/v<n>.json`,
`$id` = the `ce_dataschema` URN. The payloads here are the same schemas in the AsyncAPI
schema format (a superset of draft 07), their `$defs` moved to `components/schemas`.
"""


def _check_catalogue(registry: EventRegistry, specs: list[TopicSpec]) -> None:
    problems = [
        f"topic {spec.name} lists unregistered event type {event_type!r}"
        for spec in specs
        for event_type in spec.event_types
        if not registry.knows(event_type)
    ]
    names = [spec.name for spec in specs]
    problems += [f"topic {name} is declared twice" for name in sorted({n for n in names if names.count(n) > 1})]
    if problems:
        raise ContractError("; ".join(problems))


def _message_id(model: type[IntegrationEvent]) -> str:
    return f"{model.event_type}.v{model.version}"


def _service(topic: str) -> str:
    return topic.split(".", 1)[0]


def _channel(spec: TopicSpec, messages: JSON) -> JSON:
    description = spec.description or f"The {spec.name} topic."
    description += f"\n\nKey: the {spec.key}. Dead letters: `{spec.name}{DLQ_SUFFIX}`."
    return {
        "address": spec.name,
        "title": spec.name,
        "description": description,
        "messages": messages,
        "bindings": {
            "kafka": {
                "partitions": spec.partitions,
                "topicConfiguration": {
                    "cleanup.policy": spec.cleanup_policy.split(","),
                    "retention.ms": spec.retention_ms,
                },
                "bindingVersion": KAFKA_BINDING_VERSION,
            },
        },
    }


def _operation(spec: TopicSpec, message_ids: list[str]) -> JSON:
    service = _service(spec.name)
    if spec.name.endswith(".commands"):
        summary = f"Other services send requests addressed to {service}."
    else:
        summary = f"{service} publishes to {spec.name}."
    return {
        "action": "send",
        "channel": {"$ref": f"#/channels/{_pointer(spec.name)}"},
        "summary": summary,
        "tags": [{"name": service}],
        "messages": [{"$ref": f"#/channels/{_pointer(spec.name)}/messages/{_pointer(m)}"} for m in message_ids],
    }


def _message(model: type[IntegrationEvent], latest: int, keys: list[str]) -> JSON:
    doc = inspect.cleandoc(model.__doc__ or "")
    summary = doc.split("\n\n", 1)[0].replace("\n", " ") if doc else f"{model.event_type}, version {model.version}."
    notes = [doc] if "\n\n" in doc else []
    if model.version < latest:
        notes.append(
            f"Superseded by v{latest}: still published beside it during the deprecation window; "
            f"readers upcast it to v{latest}."
        )
    message: JSON = {
        "name": _message_id(model),
        "title": f"{_title(model.event_type)} v{model.version}",
        "summary": summary,
    }
    if notes:
        message["description"] = "\n\n".join(notes)
    if model.version < latest:
        message["deprecated"] = True
    message.update(
        {
            "contentType": CONTENT_TYPE,
            "headers": _headers(model),
            "payload": {"$ref": f"#/components/schemas/{_pointer(_message_id(model))}"},
            "correlationId": {"$ref": "#/components/correlationIds/correlationid"},
            "bindings": {
                "kafka": {
                    "key": {
                        "type": "string",
                        "description": f"The {' or '.join(keys)}, equal to ce_subject: "
                        "one key's messages stay in one partition, in order.",
                    },
                    "bindingVersion": KAFKA_BINDING_VERSION,
                },
            },
        }
    )
    return message


def _title(event_type: str) -> str:
    """`parkgrid.bookings.booking.confirmed` -> `Booking confirmed`."""
    parts = event_type.split(".")
    if parts[0] == "parkgrid" and len(parts) > 2:
        parts = parts[2:]
    text = " ".join(p.replace("_", " ") for p in parts)
    return text[:1].upper() + text[1:]


# --------------------------------------------------------------------------- headers

_HEADERS: dict[str, JSON] = {
    "ce_specversion": {"type": "string", "const": SPEC_VERSION, "description": "CloudEvents version."},
    "ce_id": {"type": "string", "description": "Unique id of the event (a UUID)."},
    "ce_source": {"type": "string", "description": "The publishing service."},
    "ce_type": {"type": "string", "description": "The event type."},
    "ce_subject": {"type": "string", "description": "The aggregate id (or the topic's key); also the message key."},
    "ce_time": {"type": "string", "format": "date-time", "description": "When it happened (RFC 3339, UTC)."},
    "ce_dataschema": {"type": "string", "description": "`urn:parkgrid:schema:<type>:v<version>` of the data."},
    "ce_sequence": {
        "type": "string",
        "pattern": "^[0-9]+$",
        "description": "The aggregate's version after this event, in decimal digits; orders its events.",
    },
    "ce_correlationid": {"type": "string", "description": "Shared by everything one request caused."},
    "ce_causationid": {"type": "string", "description": "The `ce_id` of the message that caused this one."},
    "ce_actor": {
        "type": "string",
        "description": "Who caused the change: `<role>:<subject>` of the person whose request made it "
        "(e.g. `admin:a-1`, `front_desk:fd-7`, `member:p-12`), or `service:<name>` for a service's own "
        "work (a saga's step, a sweep). Absent on events written before it existed.",
    },
    "ce_traceparent": {
        "type": "string",
        "description": "W3C trace context of the span that wrote the event (CloudEvents distributed tracing).",
    },
    "ce_tracestate": {"type": "string", "description": "W3C tracestate that goes with `ce_traceparent`."},
    "content-type": {"type": "string", "const": CONTENT_TYPE, "description": "Media type of the value."},
}
_OPTIONAL_HEADERS = {"ce_causationid", "ce_actor", "ce_traceparent", "ce_tracestate"}
_HEADER_SCHEMA_PREFIX = "header."


def _header_schemas() -> JSON:
    return {_HEADER_SCHEMA_PREFIX + name: copy.deepcopy(schema) for name, schema in _HEADERS.items()}


def _headers(model: type[IntegrationEvent]) -> JSON:
    properties: JSON = {
        name: {"$ref": f"#/components/schemas/{_pointer(_HEADER_SCHEMA_PREFIX + name)}"} for name in _HEADERS
    }
    properties["ce_type"] = {**_HEADERS["ce_type"], "const": model.event_type}
    properties["ce_dataschema"] = {**_HEADERS["ce_dataschema"], "const": schema_urn(model.event_type, model.version)}
    return {
        "type": "object",
        "description": "CloudEvents attributes in Kafka binary mode (header values are UTF-8 strings).",
        "required": [name for name in _HEADERS if name not in _OPTIONAL_HEADERS],
        "properties": properties,
    }


# --------------------------------------------------------------------------- payloads

_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems", "items")
_SCHEMA_ONE = (
    "items",
    "additionalItems",
    "additionalProperties",
    "unevaluatedItems",
    "unevaluatedProperties",
    "contains",
    "propertyNames",
    "not",
    "if",
    "then",
    "else",
)


def _payload_schemas(payloads: Mapping[str, JSON]) -> JSON:
    """The payload JSON Schemas as AsyncAPI components: each under its message id, `$defs` hoisted.

    A definition that is the same in every payload that has it (a model shared by several
    events, e.g. a time range) becomes one component named after it; one that differs
    between payloads, or refers to one that does, is kept per payload as `<message id>.<name>`.
    """
    seen: dict[str, set[str]] = {}
    refers: dict[str, set[str]] = {}
    for schema in payloads.values():
        for name, definition in schema.get("$defs", {}).items():
            seen.setdefault(name, set()).add(json.dumps(definition, sort_keys=True))
            refers.setdefault(name, set()).update(_local_refs(definition))
    shared = {name for name, variants in seen.items() if len(variants) == 1}
    while True:
        tainted = {name for name in shared if not refers[name] <= shared}
        if not tainted:
            break
        shared -= tainted

    out: JSON = {}

    def put(key: str, schema: Any) -> None:
        if key in out:
            raise ContractError(f"two payload schemas map to the component name {key!r}")
        out[key] = schema

    hoisted: set[str] = set()
    for message_id, payload in payloads.items():

        def target(name: str, prefix: str = message_id) -> str:
            return name if name in shared else f"{prefix}.{name}"

        schema = {k: v for k, v in payload.items() if k not in ("$id", "$schema", "$defs")}
        put(message_id, _for_asyncapi(schema, target))
        for name, definition in sorted(payload.get("$defs", {}).items()):
            if name in hoisted:
                continue
            if name in shared:
                hoisted.add(name)
            put(target(name), _for_asyncapi(definition, target))
    return dict(sorted(out.items()))


def _local_refs(schema: Any) -> set[str]:
    """Names of the `$defs` that `schema` refers to (anywhere inside it)."""
    if isinstance(schema, dict):
        found = {schema["$ref"][len(_DEFS) :]} if str(schema.get("$ref", "")).startswith(_DEFS) else set()
        return found.union(*(_local_refs(v) for v in schema.values()))
    if isinstance(schema, list):
        return set().union(*(_local_refs(v) for v in schema))
    return set()


_DEFS = "#/$defs/"


def _for_asyncapi(schema: Any, target: Callable[[str], str]) -> Any:
    """A 2020-12 schema as an AsyncAPI schema: refs to hoisted `$defs`, draft-07 keywords."""
    if not isinstance(schema, dict):
        return schema
    out: JSON = {}
    for key, value in sorted(schema.items()):
        if key == "$ref" and isinstance(value, str) and value.startswith(_DEFS):
            out[key] = f"#/components/schemas/{_pointer(target(value[len(_DEFS) :]))}"
        elif key == "discriminator" and isinstance(value, dict):
            out["x-discriminator"] = copy.deepcopy(value)  # OpenAPI-style; AsyncAPI's is a property name
        elif key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {k: _for_asyncapi(v, target) for k, v in value.items()}
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            out[key] = [_for_asyncapi(v, target) for v in value]
        elif key in _SCHEMA_ONE:
            out[key] = _for_asyncapi(value, target)
        else:
            out[key] = copy.deepcopy(value)
    if "prefixItems" in out:  # 2020-12 tuples -> draft-07 tuples
        rest = out.pop("items", None)
        out["items"] = out.pop("prefixItems")
        if rest is not None:
            out["additionalItems"] = rest
    return out


def _pointer(token: str) -> str:
    """Escape a key for use in a JSON Pointer (`#/components/...`)."""
    return token.replace("~", "~0").replace("/", "~1")


# --------------------------------------------------------------------------- text


def _json_text(data: Mapping[str, Any]) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)

_YAML_HEADER = "# Generated by `make contracts` (parkgrid.contracts.generate) from the event models: do not edit.\n"


def _yaml_text(data: Mapping[str, Any]) -> str:
    body = yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=10_000, indent=2
    )
    return _YAML_HEADER + body


# --------------------------------------------------------------------------- files


def default_root() -> Path:
    """The repository root: where this source file lives in a checkout, else the cwd."""
    here = Path(__file__).resolve().parents[4]
    return here if (here / "shared" / "pyproject.toml").is_file() else Path.cwd()


def stale(
    root: Path | None = None, registry: EventRegistry | None = None, topics: Iterable[TopicSpec] | None = None
) -> list[str]:
    """Generated files that are missing or differ, and extra files under the schemas directory."""
    return sorted(c.path for c in _diff(root or default_root(), render(registry, topics)))


def write(
    root: Path | None = None, registry: EventRegistry | None = None, topics: Iterable[TopicSpec] | None = None
) -> list[Change]:
    """Bring the checkout's contract files up to date; return what changed."""
    root = root or default_root()
    files = render(registry, topics)
    changes = _diff(root, files)
    for change in changes:
        target = root / change.path
        if change.action == "removed":
            target.unlink()
            _prune_empty_dirs(target.parent, root / SCHEMAS_DIR)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(files[change.path], encoding="utf-8")
    return changes


def _diff(root: Path, files: Files) -> list[Change]:
    changes: list[Change] = []
    for path, text in sorted(files.items()):
        target = root / path
        if not target.is_file():
            changes.append(Change(path, "created"))
        elif target.read_text(encoding="utf-8") != text:
            changes.append(Change(path, "updated"))
    schemas = root / SCHEMAS_DIR
    if schemas.is_dir():
        for found in sorted(p for p in schemas.rglob("*") if p.is_file()):
            path = found.relative_to(root).as_posix()
            if path not in files:
                changes.append(Change(path, "removed"))
    return changes


def _prune_empty_dirs(directory: Path, stop: Path) -> None:
    while directory != stop and directory.is_relative_to(stop) and not any(directory.iterdir()):
        directory.rmdir()
        directory = directory.parent
