"""Per-service Kafka SCRAM users and ACLs, generated from the code (least privilege).

    .venv/bin/python deploy/production/kafka_acls.py > kafka-security.sh   # the commands to run
    .venv/bin/python deploy/production/kafka_acls.py --json                  # the plan, for review

What each service may do is derived, not written by hand, so it cannot drift from the code:
- **write** its own fact topics: the topics of the catalogue
  (`shared/src/parkgrid/contracts/topics.py`) named `<service>.*`, except `<service>.commands`
  (requests addressed *to* it come from others); the `<other>.commands` topics it sends
  requests to (declared in its runtime, not consumed by it); and the dead-letter twin
  `<topic>.dlq` of every topic it consumes (its consumers write poison there);
- **read** the topics its consumers subscribe to (each service's `ServiceRuntime`, built by
  importing `<service>.bootstrap` exactly as the process does), and its consumer groups, all
  named `<service>.…` (granted as a prefix);
- **describe** every topic its runtime declares and their DLQs (it lists them at start).
No service may create, delete or alter topics: the `parkgrid-ops` user does that
(`parkgrid topics --ensure`, `parkgrid dlq redrive`), and `admin` (super user, inter-broker)
is used only to apply this script.

Passwords never appear here: the script reads them from the environment when it runs
(`PARKGRID_KAFKA_PASSWORD_<SERVICE>`), and fails naming the first one missing.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SERVICES_TSV = REPO / "deploy" / "local" / "services.tsv"
OPS_USER = "parkgrid-ops"
REDRIVE_GROUP = "parkgrid.dlq-redrive"
SCRAM_MECHANISM = "SCRAM-SHA-512"
SCRAM_ITERATIONS = 8192


@dataclass(frozen=True)
class Acl:
    principal: str
    operation: str  # Kafka ACL operation: Read, Write, Describe, Create, Alter, DescribeConfigs, ...
    resource: str  # topic | group | cluster
    name: str
    pattern: str = "literal"  # literal | prefixed


@dataclass
class ServiceAccess:
    service: str
    reads: list[str] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)
    describes: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)


def declared_services(path: Path = SERVICES_TSV) -> list[str]:
    names = []
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            names.append(line.split("\t")[0])
    return names


def password_variable(user: str) -> str:
    return "PARKGRID_KAFKA_PASSWORD_" + user.upper().replace("-", "_").replace(".", "_")


def runtime_of(service: str) -> object:
    """The service's ServiceRuntime, as its process builds it (production settings: no topic prefix)."""
    for variable in ("PARKGRID_SERVICE_NAME", "PARKGRID_TOPIC_PREFIX"):
        os.environ.pop(variable, None)
    module = importlib.import_module(f"{service}.bootstrap")
    return module.app.state.runtime


def access_of(service: str, runtime: object) -> ServiceAccess:
    from parkgrid.contracts.topics import TOPICS
    from parkgrid.topics import DLQ_SUFFIX

    consumers = list(getattr(runtime, "consumers", []))
    declared = [t.name for t in getattr(runtime, "topics", [])]
    reads = sorted({topic for c in consumers for topic in c.topics})
    own_facts = [t.name for t in TOPICS if t.name.split(".")[0] == service and not t.name.endswith(".commands")]
    sends = [t for t in declared if t.endswith(".commands") and t not in reads]
    writes = sorted({*own_facts, *sends, *(t + DLQ_SUFFIX for t in reads)})
    describes = sorted({*declared, *(t + DLQ_SUFFIX for t in declared), *writes, *reads})
    groups = sorted(
        {c.group_id for c in consumers if not getattr(c, "from_end", False)}
    )  # group-less readers join none
    return ServiceAccess(service, reads, writes, describes, groups)


def plan(services: list[str] | None = None) -> list[ServiceAccess]:
    return [access_of(s, runtime_of(s)) for s in services or declared_services()]


def acls_of(access: ServiceAccess) -> list[Acl]:
    user = f"User:{access.service}"
    acls = [Acl(user, "Read", "topic", t) for t in access.reads]
    acls += [Acl(user, "Write", "topic", t) for t in access.writes]
    acls += [Acl(user, "Describe", "topic", t) for t in access.describes]
    # Consumer groups: every group of the service is `<service>.<consumer>`, so one prefixed
    # grant covers them (frontdesk's live feed is a group-less reader: no group at all).
    for group in access.groups:
        if not group.startswith(access.service + "."):
            raise ValueError(f"{access.service}: consumer group {group!r} is outside the prefix {access.service}.")
    if access.groups:
        acls.append(Acl(user, "Read", "group", access.service + ".", "prefixed"))
    return acls


def ops_acls() -> list[Acl]:
    """The operator's one-shot jobs: create topics, see lag, read and redrive dead letters."""
    user = f"User:{OPS_USER}"
    return [
        Acl(user, "Create", "cluster", "kafka-cluster"),
        Acl(user, "Describe", "cluster", "kafka-cluster"),
        Acl(user, "Create", "topic", "*"),
        Acl(user, "Describe", "topic", "*"),
        Acl(user, "DescribeConfigs", "topic", "*"),
        Acl(user, "Read", "topic", "*"),  # dlq list/show, rebuild, topics (lag)
        Acl(user, "Write", "topic", "*"),  # dlq redrive sends back to the origin topic
        Acl(user, "Describe", "group", "*"),  # lag of every group
        Acl(user, "Read", "group", REDRIVE_GROUP),
    ]


def render_script(accesses: list[ServiceAccess]) -> str:
    users = [a.service for a in accesses] + [OPS_USER]
    lines = [
        "#!/usr/bin/env bash",
        "# Generated by deploy/production/kafka_acls.py from the topic catalogue and the services' consumers.",
        "# Do not edit: regenerate. Runs Kafka's own tools against a SASL/SCRAM cluster as the admin user.",
        "# Needs: KAFKA_BOOTSTRAP_SERVERS, KAFKA_ADMIN_CONFIG (client properties of the admin user, see README),",
        "#        KAFKA_BIN (directory of kafka-configs.sh / kafka-acls.sh) and one password per user:",
        *(f"#          {password_variable(u)}" for u in users),
        "set -euo pipefail",
        ': "${KAFKA_BOOTSTRAP_SERVERS:?}" "${KAFKA_ADMIN_CONFIG:?}"',
        'KAFKA_BIN="${KAFKA_BIN:-/opt/kafka/bin}"',
        'admin() { "$KAFKA_BIN/$1" --bootstrap-server "$KAFKA_BOOTSTRAP_SERVERS" \\',
        '    --command-config "$KAFKA_ADMIN_CONFIG" "${@:2}"; }',
        "",
        "# SCRAM users (passwords: letters and digits only; kafka-configs parses , [ ] =).",
    ]
    for user in users:
        var = password_variable(user)
        lines.append(
            f"admin kafka-configs.sh --alter --entity-type users --entity-name {user} --add-config "
            f'"{SCRAM_MECHANISM}=[iterations={SCRAM_ITERATIONS},password=${{{var}:?set {var}}}]"'
        )
    lines.append("")
    acls = [acl for a in accesses for acl in acls_of(a)] + ops_acls()
    for acl in acls:
        resource = "--cluster" if acl.resource == "cluster" else f"--{acl.resource} '{acl.name}'"
        lines.append(
            f"admin kafka-acls.sh --add --allow-principal {acl.principal} --operation {acl.operation} {resource}"
            f" --resource-pattern-type {acl.pattern}"
        )
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the plan (per-service access) as JSON")
    parser.add_argument("services", nargs="*", help="default: every service of deploy/local/services.tsv")
    args = parser.parse_args(argv)
    accesses = plan(args.services or None)
    if args.json:
        print(json.dumps([asdict(a) for a in accesses], indent=2))
    else:
        sys.stdout.write(render_script(accesses))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
