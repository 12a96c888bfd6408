"""Fuzzing every service's HTTP API from its own OpenAPI document, with a valid token.

Schemathesis generates requests (valid and invalid) for every operation; each must
answer without a 5xx, and every documented response must match its schema. The
services run as real processes against the real broker and store (`Stack`). The case
count per operation is bounded so this stays a part of `make test`; FUZZ_EXAMPLES raises it.

Dates and strings a client can send are drawn from their edges too (issue 26): every
`date`/`date-time` is often one of `EDGE_DAYS`/`EDGE_INSTANTS` (the calendar's ends with
offsets of +-14:00, the network's own window 2000..2199, leap days, Europe/Paris's DST days),
and string values of a query or body are often swapped for `CONTROL_STRINGS`. A table test
then sends each out-of-range edge to every date parameter and body field: 422 naming it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any, NamedTuple

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err, Ok
from schemathesis.specs.openapi.checks import response_schema_conformance
from schemathesis.specs.openapi.formats import get_default_format_strategies

from parkgrid.auth import Role
from parkgrid.testing.infrastructure import Infrastructure
from parkgrid.testing.stack import Stack, installed_services, running_stack

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
# The web app answers HTML pages, not an API with response schemas; it has its own tests.
API_SERVICES = [s.name for s in installed_services() if s.name != "frontdesk"]

# Outside the network's calendar (2000-01-01..2199-12-31): each must be a 422 naming its field.
OUT_OF_RANGE_DAYS = ["0001-01-01", "9999-12-31", "1999-12-31", "2200-01-01"]
OUT_OF_RANGE_INSTANTS = [
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00-14:00",
    "9999-12-31T23:59:59-14:00",
    "9999-12-31T23:59:59+14:00",
    "9999-12-31T23:59:59.999999Z",
    "1999-12-31T23:59:59Z",
    "2200-01-01T00:00:00Z",
    "2000-01-01T00:00:00+14:00",  # 1999-12-31 in UTC
    "2199-12-31T23:59:59-14:00",  # 2200-01-01 in UTC
]
# Inside it, at its edges and on awkward days: accepted or refused, never a 5xx.
IN_RANGE_DAYS = ["2000-01-01", "2199-12-31", "2000-02-29", "2024-02-29", "2196-02-29", "2027-03-28", "2027-10-31"]
IN_RANGE_INSTANTS = [
    "2000-01-01T00:00:00-14:00",
    "2199-12-31T09:59:59+14:00",
    "2024-02-29T12:00:00+01:00",
    "2027-03-28T02:30:00+01:00",  # Europe/Paris springs forward: this local time does not exist
    "2027-10-31T02:30:00+02:00",  # Europe/Paris falls back: this local time happens twice
    "2027-10-31T02:30:00+01:00",
]
EDGE_DAYS = OUT_OF_RANGE_DAYS + IN_RANGE_DAYS
EDGE_INSTANTS = OUT_OF_RANGE_INSTANTS + IN_RANGE_INSTANTS
EDGES = {"date": (OUT_OF_RANGE_DAYS, IN_RANGE_DAYS), "date-time": (OUT_OF_RANGE_INSTANTS, IN_RANGE_INSTANTS)}
CONTROL_STRINGS = ["\u0000\u0001", "a\u0007b", "\u001b[31m", " \t\r\n ", "x\u007f", "\u202etxt", "\ud7ff", ""]


def often(edges: list[str], usual: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """An edge value half of the time, else what schemathesis would draw."""
    return st.one_of(st.sampled_from(edges), usual)


@pytest.fixture(scope="module", autouse=True)
def edge_formats() -> Iterator[None]:
    """Schemathesis draws dates and date-times from the edges too, for this module only."""
    defaults = get_default_format_strategies()
    schemathesis.openapi.format("date", often(EDGE_DAYS, defaults["date"]))
    schemathesis.openapi.format("date-time", often(EDGE_INSTANTS, defaults["date-time"]))
    yield
    from schemathesis.specs.openapi.formats import unregister_string_format

    for name in ("date", "date-time"):
        unregister_string_format(name)


@pytest.fixture(scope="module")
def stack(infrastructure: Infrastructure) -> Iterator[Stack]:
    with running_stack(infrastructure.kafka_bootstrap_servers, infrastructure.mongodb_uri, API_SERVICES) as stack:
        yield stack


@pytest.mark.parametrize("service", API_SERVICES)
def test_no_server_error_and_responses_match_the_schema(stack: Stack, service: str) -> None:
    base_url = stack.url(service)
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    headers = stack.headers(Role.ADMIN)
    failures: list[str] = []
    counter = [0]
    results = list(schema.get_all_operations())
    invalid = [str(result.err()) for result in results if isinstance(result, Err)]
    assert not invalid, f"{service}: operations its OpenAPI document does not define validly: {invalid}"
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    for operation in operations:
        exercise(operation, base_url, headers, failures, counter)
    print(f"{service}: {counter[0]} generated requests over {len(operations)} operations")
    assert counter[0] >= len(operations)
    assert not failures, "\n\n".join(failures)


def exercise(operation: Any, base_url: str, headers: dict[str, str], failures: list[str], counter: list[int]) -> None:
    """Run the bounded generated cases of one operation, recording its first failure."""

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        case = data.draw(operation.as_strategy())
        if data.draw(st.booleans()):
            controlled = st.sampled_from(CONTROL_STRINGS)
            if isinstance(case.query, dict):
                case.query = {k: data.draw(controlled) if isinstance(v, str) else v for k, v in case.query.items()}
            if isinstance(case.body, dict):
                case.body = {k: data.draw(controlled) if isinstance(v, str) else v for k, v in case.body.items()}
        counter[0] += 1
        case.call_and_validate(
            base_url=base_url,
            headers=headers,
            checks=[not_a_server_error, response_schema_conformance],
            timeout=30,
        )

    try:
        run()
    except Exception as exc:  # collected, so one run reports every failing operation
        failures.append(f"{operation.label}: {str(exc)[:1500]}")


# --- the date table: every date parameter and field, at the calendar's ends -----------------


class DateInput(NamedTuple):
    method: str
    path: str
    where: str  # query | body
    field: tuple[str, ...]  # the query parameter, or the path of the body field
    kind: str  # date | date-time


def date_formats(schema: dict[str, Any], document: dict[str, Any]) -> set[str]:
    """The date formats a schema admits (directly or in an anyOf/oneOf), following one $ref."""
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    found = {schema["format"]} & {"date", "date-time"} if "format" in schema else set()
    for option in schema.get("anyOf", []) + schema.get("oneOf", []):
        found |= date_formats(option, document)
    return found


def body_date_fields(
    schema: dict[str, Any], document: dict[str, Any], prefix: tuple[str, ...] = (), depth: int = 0
) -> Iterator[tuple[tuple[str, ...], str]]:
    """(path, format) of every date field of a body schema, into nested objects and their $refs."""
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    for name, field in schema.get("properties", {}).items():
        formats = date_formats(field, document)
        if formats:
            yield (*prefix, name), "date-time" if "date-time" in formats else "date"
        elif depth < 3:
            for option in [field, *field.get("anyOf", [])]:
                if "$ref" in option or "properties" in option:
                    yield from body_date_fields(option, document, (*prefix, name), depth + 1)


def date_inputs(document: dict[str, Any]) -> list[DateInput]:
    inputs = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                formats = date_formats(parameter.get("schema", {}), document)
                if parameter["in"] == "query" and formats:
                    kind = "date" if formats == {"date"} else "date-time"
                    inputs.append(DateInput(method.upper(), path, "query", (parameter["name"],), kind))
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if body is not None:
                for option in body.get("anyOf", [body]):
                    for field, kind in body_date_fields(option, document):
                        inputs.append(DateInput(method.upper(), path, "body", field, kind))
    return inputs


def nested(field: tuple[str, ...], value: str) -> dict[str, Any]:
    head, *rest = field
    return {head: nested(tuple(rest), value) if rest else value}


@pytest.mark.parametrize("service", API_SERVICES)
def test_every_date_at_the_calendar_s_ends_is_a_422_naming_it(stack: Stack, service: str) -> None:
    """Out of the network's calendar: 422 problem+json naming the field. Its own edges: never a 5xx."""
    base_url = stack.url(service)
    headers = stack.headers(Role.ADMIN)
    failures: list[str] = []
    with httpx.Client(timeout=30) as http:
        document = http.get(f"{base_url}/openapi.json").raise_for_status().json()
        inputs = date_inputs(document)
        for item in inputs:
            url = base_url + item.path.replace("{", "").replace("}", "")  # any id: the input is refused first
            out, inside = EDGES[item.kind]
            for value in out + inside:
                if item.where == "query":
                    answer = http.request(item.method, url, params={item.field[0]: value}, headers=headers)
                else:
                    answer = http.request(item.method, url, json=nested(item.field, value), headers=headers)
                label = f"{item.method} {item.path} {item.where} {'.'.join(item.field)}={value}"
                if answer.status_code >= 500:
                    failures.append(f"{label}: {answer.status_code} {answer.text[:300]}")
                elif value in out:
                    if answer.status_code != 422 or answer.headers["content-type"] != "application/problem+json":
                        failures.append(f"{label}: {answer.status_code} {answer.text[:300]}")
                        continue
                    named = {e.get("field", "") for e in answer.json().get("errors", [])}
                    if not any(f.split(".")[-len(item.field) :] == list(item.field) for f in named):
                        failures.append(f"{label}: 422 names {sorted(named)}, not {'.'.join(item.field)}")
    print(f"{service}: {len(inputs)} date inputs")
    assert inputs, f"{service} takes no date?"
    assert not failures, "\n".join(failures)


def test_the_fuzzer_draws_the_calendar_s_ends() -> None:
    """The edges reach schemathesis: its `date`/`date-time` strategies give them (the fixture's patch took)."""
    from schemathesis.specs.openapi.formats import STRING_FORMATS

    for name, edge in (("date", "9999-12-31"), ("date-time", "0001-01-01T00:00:00+14:00")):
        assert find(STRING_FORMATS[name], lambda value, edge=edge: value == edge) == edge  # type: ignore[misc]
