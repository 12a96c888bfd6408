"""The production hardening templates of deploy/production/, checked structurally.

The Kafka ACL script is generated here from the topic catalogue and the services' own
consumers (as an operator would), then parsed back: each service may write only its own
fact topics, the command topics it sends requests to, and the DLQs of what it consumes; it
reads only what its consumers subscribe to; no service may create or alter anything, and
no password is written anywhere.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from types import ModuleType

import pytest

from parkgrid.contracts.topics import TOPICS
from parkgrid.topics import DLQ_SUFFIX

REPO = Path(__file__).resolve().parents[2]
PRODUCTION = REPO / "deploy" / "production"
FACT_TOPICS = {t.name for t in TOPICS if not t.name.endswith(".commands")}
COMMAND_TOPICS = {t.name for t in TOPICS if t.name.endswith(".commands")}


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("parkgrid_kafka_acls", PRODUCTION / "kafka_acls.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    return load_generator()


@pytest.fixture(scope="module")
def generated(generator: ModuleType) -> tuple[list[object], str]:
    """The plan as the operator gets it (`kafka_acls.py --json`, a process of its own: it imports
    every service's bootstrap), and the script rendered from it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PARKGRID_", "KAFKA_", "MONGODB_"))}
    env["PARKGRID_ENV"] = "development"  # the planner builds each runtime; no secrets of a park here
    done = subprocess.run(
        [sys.executable, str(PRODUCTION / "kafka_acls.py"), "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    accesses = [generator.ServiceAccess(**entry) for entry in json.loads(done.stdout)]
    return accesses, generator.render_script(accesses)


Grants = dict[str, set[tuple[str, str, str, str]]]  # principal -> {(operation, resource, name, pattern)}


def parse_acls(script: str) -> Grants:
    grants: Grants = defaultdict(set)
    for line in script.splitlines():
        if not line.startswith("admin kafka-acls.sh"):
            continue
        words = shlex.split(line)
        options = {word: words[i + 1] for i, word in enumerate(words[:-1]) if word.startswith("--")}
        principal = options["--allow-principal"].removeprefix("User:")
        if "--cluster" in words:
            resource, name = "cluster", "kafka-cluster"
        else:
            resource = "topic" if "--topic" in words else "group"
            name = options[f"--{resource}"]
        grants[principal].add((options["--operation"], resource, name, options["--resource-pattern-type"]))
    return grants


def violations(service: str, grants: set[tuple[str, str, str, str]], reads: set[str]) -> list[str]:
    """What a service's grants allow beyond its own topics (empty when least privilege holds)."""
    problems = []
    for operation, resource, name, pattern in sorted(grants):
        if resource == "cluster" or operation not in {"Read", "Write", "Describe"}:
            problems.append(f"{operation} on {resource} {name}")
        elif resource == "topic" and (pattern != "literal" or name == "*"):
            problems.append(f"{operation} on every topic matching {name!r} ({pattern})")
        elif resource == "group" and not name.startswith(service + "."):
            problems.append(f"{operation} on group {name}")
        elif resource == "topic" and operation == "Write":
            own_fact = name in FACT_TOPICS and name.split(".")[0] == service
            command_to_other = name in COMMAND_TOPICS and name.split(".")[0] != service
            dlq_of_input = name.endswith(DLQ_SUFFIX) and name.removesuffix(DLQ_SUFFIX) in reads
            if not (own_fact or command_to_other or dlq_of_input):
                problems.append(f"Write on {name}")
        elif resource == "topic" and operation == "Read" and name not in FACT_TOPICS | COMMAND_TOPICS:
            problems.append(f"Read on {name} (not a catalogue topic)")
    return problems


@pytest.mark.processes  # the plan comes from kafka_acls.py, a process of its own
def test_each_service_writes_only_its_own_topics(generated: tuple[list[object], str]) -> None:
    accesses, script = generated
    grants = parse_acls(script)
    services = [a.service for a in accesses]  # type: ignore[attr-defined]
    assert set(services) >= {"catalogue", "bookings", "spaces", "community", "frontdesk"}
    for access in accesses:
        service = access.service  # type: ignore[attr-defined]
        reads = {name for op, res, name, _ in grants[service] if op == "Read" and res == "topic"}
        assert reads == set(access.reads), service  # type: ignore[attr-defined]
        assert violations(service, grants[service], reads) == [], service
        assert ("Read", "group", service + ".", "prefixed") in grants[service] or not access.groups  # type: ignore[attr-defined]

    # Every fact topic has exactly one writing service: its owner. Nobody writes a DLQ it does not feed.
    writers: dict[str, set[str]] = defaultdict(set)
    for service in services:
        for op, res, name, _ in grants[service]:
            if op == "Write" and res == "topic":
                writers[name].add(service)
    for topic in FACT_TOPICS:
        owner = topic.split(".")[0]
        if owner in services:
            assert writers.get(topic) == {owner}, (topic, writers.get(topic))
    # Requests to spaces come from the services running its sagas, never from spaces itself.
    assert writers["spaces.commands"] == {"bookings", "community"}
    # Every consumer reads what its service needs: spaces reads its commands, catalogue the sites.
    assert ("Read", "topic", "spaces.commands", "literal") in grants["spaces"]
    assert ("Read", "topic", "spaces.site", "literal") in grants["catalogue"]


@pytest.mark.processes  # the plan comes from kafka_acls.py, a process of its own
def test_the_check_catches_a_service_writing_another_services_topic(generated: tuple[list[object], str]) -> None:
    _, script = generated
    grants = parse_acls(script)["catalogue"] | {("Write", "topic", "bookings.booking", "literal")}
    assert violations("catalogue", grants, {"spaces.site", "spaces.space", "community.member"}) == [
        "Write on bookings.booking"
    ]
    wildcard = parse_acls(script)["spaces"] | {("Write", "topic", "spaces.", "prefixed")}
    assert violations("spaces", wildcard, {"spaces.commands", "community.member", "insights.export"}) == [
        "Write on every topic matching 'spaces.' (prefixed)"
    ]


def test_users_get_passwords_from_the_environment_only(
    generator: ModuleType, generated: tuple[list[object], str]
) -> None:
    accesses, script = generated
    users = [a.service for a in accesses] + [generator.OPS_USER]  # type: ignore[attr-defined]
    for user in users:
        variable = generator.password_variable(user)
        assert re.search(rf"--entity-name {re.escape(user)} .*password=\$\{{{variable}:\?", script), user
    assert not re.search(r"password=(?!\$\{)", script), "a literal password in the generated script"
    # Only the operator may create topics or redrive.
    ops = parse_acls(script)[generator.OPS_USER]
    assert ("Create", "topic", "*", "literal") in ops
    assert ("Read", "group", "parkgrid.dlq-redrive", "literal") in ops


def test_broker_and_client_templates_keep_secrets_out_of_git() -> None:
    for name in ("kafka-server-sasl.properties", "kafka-client-admin.properties"):
        text = (PRODUCTION / name).read_text()
        settings = {
            k.strip(): v.strip()
            for k, _, v in (line.partition("=") for line in text.replace("\\\n", "").splitlines())
            if k.strip() and not k.lstrip().startswith("#")
        }
        for key, value in settings.items():
            if "password" in key.lower():
                assert value.startswith("${env:"), (name, key)
        for quoted in re.findall(r'password="([^"]*)"', text):
            assert quoted.startswith("${env:"), (name, quoted)
    server = (PRODUCTION / "kafka-server-sasl.properties").read_text()
    for line in (
        "sasl.enabled.mechanisms=SCRAM-SHA-512",
        "allow.everyone.if.no.acl.found=false",
        "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "min.insync.replicas=2",
        "auto.create.topics.enable=false",
    ):
        assert line in server.splitlines(), line
    assert "PLAINTEXT" not in server


def test_mongodb_users_template_covers_every_service_with_its_own_database_only(generator: ModuleType) -> None:
    script = (PRODUCTION / "mongodb-users.js").read_text()
    listed = re.search(r"const SERVICES = \[([^\]]*)\]", script)
    assert listed is not None
    services = re.findall(r'"([a-z]+)"', listed.group(1))
    assert set(services) == set(generator.declared_services())
    assert 'ensureUser(service, [{ role: "readWrite", db: "parkgrid_" + service }])' in script
    assert "process.env[variable]" in script
    assert not re.search(r"pwd:\s*[\"']", script), "a literal password in the MongoDB template"
    for forbidden in ("root", "dbAdminAnyDatabase", "readWriteAnyDatabase", "userAdmin"):
        assert f'role: "{forbidden}' not in script


@pytest.mark.processes  # the plan comes from kafka_acls.py, a process of its own
def test_the_generated_script_runs_and_refuses_a_missing_password(
    generator: ModuleType, generated: tuple[list[object], str], tmp_path: Path
) -> None:
    accesses, script = generated
    (tmp_path / "kafka-security.sh").write_text(script)
    # Kafka's tools stubbed: they record their arguments.
    for tool in ("kafka-configs.sh", "kafka-acls.sh"):
        stub = tmp_path / tool
        stub.write_text(f'#!/usr/bin/env bash\necho "{tool} $*" >> "{tmp_path}/calls"\n')
        stub.chmod(0o755)
    users = [a.service for a in accesses] + [generator.OPS_USER]  # type: ignore[attr-defined]
    env = {
        "PATH": os.environ["PATH"],
        "KAFKA_BIN": str(tmp_path),
        "KAFKA_BOOTSTRAP_SERVERS": "kafka-1.internal:9092",
        "KAFKA_ADMIN_CONFIG": "/etc/kafka/admin.properties",
        **{generator.password_variable(u): f"s3cret{i}x{u.replace('-', '')}" for i, u in enumerate(users)},
    }
    done = subprocess.run(["bash", str(tmp_path / "kafka-security.sh")], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    calls = (tmp_path / "calls").read_text().splitlines()
    assert len(calls) == script.count("\nadmin kafka-")
    assert all(
        "--bootstrap-server kafka-1.internal:9092 --command-config /etc/kafka/admin.properties" in c for c in calls
    )
    assert any("--entity-name bookings --add-config SCRAM-SHA-512=[iterations=8192,password=s3cret" in c for c in calls)

    missing = generator.password_variable("spaces")
    env.pop(missing)
    (tmp_path / "calls").unlink()
    done = subprocess.run(["bash", str(tmp_path / "kafka-security.sh")], env=env, capture_output=True, text=True)
    assert done.returncode != 0
    assert missing in done.stderr
