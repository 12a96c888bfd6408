"""Fuzzing every service's HTTP API from its own OpenAPI document, with a valid token.

Schemathesis generates requests (valid and invalid) for every operation; each must
answer without a 5xx, and every documented response must match its schema. The
services run as real processes against the real broker and store (`Stack`). The case
count per operation is bounded so this stays a part of `make test`; FUZZ_EXAMPLES raises it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from parkgrid.auth import Role
from parkgrid.testing.infrastructure import Infrastructure
from parkgrid.testing.stack import Stack, installed_services, running_stack

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
# The web app answers HTML pages, not an API with response schemas; it has its own tests.
API_SERVICES = [s.name for s in installed_services() if s.name != "frontdesk"]


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
    operations = [result.ok() for result in schema.get_all_operations()]
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
