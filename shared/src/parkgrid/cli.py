"""`parkgrid`: the operator's command line (tokens, topics, dead letters, contracts).

Exit codes scripts can trust: 0 success, 1 failure, 2 bad usage.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from rich.console import Console
from rich.table import Table

from parkgrid.auth import Role, issue_token
from parkgrid.contracts.topics import TOPICS
from parkgrid.deadletters import read_dead_letters, redrive
from parkgrid.kafka import client_options
from parkgrid.settings import KitSettings
from parkgrid.topics import ensure_topics, partitions_of

if TYPE_CHECKING:
    from parkgrid.runtime import ServiceRuntime

app = typer.Typer(help="ParkGrid operator commands.", no_args_is_help=True, add_completion=False)
dlq_app = typer.Typer(help="Inspect and re-inject dead letters (<topic>.dlq).", no_args_is_help=True)
app.add_typer(dlq_app, name="dlq")
console = Console()
err = Console(stderr=True)
T = TypeVar("T")


def _settings() -> KitSettings:
    return KitSettings()


@app.command()
def token(
    role: Annotated[Role, typer.Option(help="member, front_desk, admin or service")],
    member: Annotated[str | None, typer.Option(help="The member organisation id (role member).")] = None,
    person: Annotated[str | None, typer.Option(help="The person id within the organisation.")] = None,
    site: Annotated[
        list[str] | None, typer.Option(help="A site the staff member works at; repeat for several.")
    ] = None,
    service: Annotated[str | None, typer.Option(help="The service account's name (role service).")] = None,
    name: Annotated[str | None, typer.Option(help="A display name.")] = None,
    hours: Annotated[int, typer.Option(help="Validity in hours.")] = 12,
) -> None:
    """Print a signed development token (HS256 with PARKGRID_JWT_SECRET)."""
    from datetime import timedelta

    try:
        jwt = issue_token(
            _settings(),
            role=role,
            member_id=member,
            person_id=person,
            sites=site or [],
            service=service,
            name=name,
            ttl=timedelta(hours=hours),
        )
    except ValueError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    print(jwt)


@app.command()
def topics(
    ensure: Annotated[bool, typer.Option("--ensure", help="Create the declared topics that are missing.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="Print no listing (with --ensure: just create).")] = False,
) -> None:
    """List topics with partitions, and each consumer group's lag."""
    settings = _settings()

    async def run() -> None:
        if ensure:
            created = await ensure_topics(
                settings.kafka_bootstrap_servers,
                [t.prefixed(settings.topic_prefix) for t in TOPICS],
                replication_factor=settings.kafka_replication_factor,
            )
            console.print(f"created {len(created)} topic(s)" + (": " + ", ".join(created) if created else ""))
        if quiet:
            return
        admin = AIOKafkaAdminClient(**client_options(settings.kafka_bootstrap_servers, settings))
        consumer = AIOKafkaConsumer(**client_options(settings.kafka_bootstrap_servers, settings))
        await admin.start()
        await consumer.start()
        try:
            names = sorted(t for t in await admin.list_topics() if not t.startswith("__"))
            table = Table("topic", "partitions", "messages")
            ends: dict[TopicPartition, int] = {}
            for name, numbers in sorted((await partitions_of(admin, names)).items()):
                parts = [TopicPartition(name, p) for p in numbers]
                end = await consumer.end_offsets(parts)
                begin = await consumer.beginning_offsets(parts)
                ends.update(end)
                table.add_row(name, str(len(parts)), str(sum(end[p] - begin[p] for p in parts)))
            console.print(table)
            groups = Table("consumer group", "topic", "lag")
            for group_id, _ in sorted((g[0], g[1]) for g in await admin.list_consumer_groups()):
                offsets = await admin.list_consumer_group_offsets(group_id)
                per_topic: dict[str, int] = {}
                for tp, meta in offsets.items():
                    if tp in ends:
                        per_topic[tp.topic] = per_topic.get(tp.topic, 0) + max(0, ends[tp] - meta.offset)
                for topic_name, lag in sorted(per_topic.items()):
                    groups.add_row(group_id, topic_name, str(lag))
            console.print(groups)
        finally:
            await consumer.stop()
            await admin.close()

    _run(run())


@app.command()
def seed() -> None:
    """Load the demo network into every installed service (idempotent) and print the demo logins.

    Each service offers a seeder under the entry-point group `parkgrid.seeders`: an async
    callable with no arguments that writes through the service's own handlers (so every
    change is published as events) and returns a one-line summary.
    """
    from importlib.metadata import entry_points

    # Upstream contexts first: catalogue checks sites against what spaces published; spaces'
    # residencies and office waitlist need community's members. Billing's price lists come
    # before anything it charges, its month's invoices after everything.
    order = ["billing", "spaces", "community", "spaces-stays", "catalogue", "bookings", "frontdesk", "billing-invoices"]
    seeders = sorted(
        entry_points(group="parkgrid.seeders"),
        key=lambda e: (order.index(e.name) if e.name in order else len(order), e.name),
    )
    if not seeders:
        console.print("no service with a seeder is installed: nothing to seed")
        return
    failed = False
    for entry in seeders:
        try:
            summary = asyncio.run(entry.load()())
            console.print(f"[green]{entry.name}[/green]: {summary}")
        except Exception as exc:
            failed = True
            err.print(f"[red]{entry.name}: seeding failed:[/red] {exc!r}")
    settings = _settings()
    console.print("\nDemo logins (development tokens, valid 12 h):")
    for label, kwargs in (
        ("admin", {"role": Role.ADMIN}),
        ("front desk, Casablanca", {"role": Role.FRONT_DESK, "sites": ["site-casablanca"]}),
    ):
        print(f"  {label}: {issue_token(settings, **kwargs)}")  # type: ignore[arg-type]
    if failed:
        raise typer.Exit(1)


@app.command()
def rebuild(
    service: Annotated[str, typer.Argument(help="The service, e.g. catalogue.")],
    projection: Annotated[str | None, typer.Argument(help="The projection; omit to list them.")] = None,
) -> None:
    """Drop a service's projection and rebuild it from its topics, from offset 0, with progress and rate.

    Each service offers its wiring under the entry-point group `parkgrid.runtimes` (a
    callable taking the settings and returning its runtime or its app); its consumers
    declared with `projections=` are what can be rebuilt. Safe while the service runs:
    projections ignore events older than what they hold.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from parkgrid.rebuild import rebuild as replay

    settings = _settings().model_copy(update={"service_name": service})
    runtime = _runtime_of(service, settings)
    if projection is None or projection not in runtime.projections:
        names = ", ".join(sorted(runtime.projections)) or "(none)"
        if projection is not None:
            err.print(f"[red]{service} has no projection {projection!r}[/red]")
        console.print(f"projections of {service}: {names}", soft_wrap=True)  # one line, for scripts
        raise typer.Exit(0 if projection is None else 2)
    spec = runtime.projections[projection]

    async def run() -> None:
        with Progress(
            TextColumn(f"rebuilding {service}.{projection}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as bar:
            task = bar.add_task("rebuild", total=None)
            report = await replay(
                spec,
                bootstrap_servers=settings.kafka_bootstrap_servers,
                registry=runtime.registry,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
                settings=settings,
            )
        await runtime.mongo.close()
        console.print(
            f"{service}.{projection}: {report.applied} events applied, {report.skipped} skipped, "
            f"{report.seconds:.1f} s, {report.rate:,.0f} events/s"
        )

    _run(run())


@app.command()
def relay(service: Annotated[str, typer.Argument(help="The service, e.g. bookings.")]) -> None:
    """Run only the outbox relay of a service, until SIGTERM or Ctrl-C.

    Deploys the relay apart from the service's instances (start those with PARKGRID_RELAY=off):
    it can then be scaled, restarted or killed on its own, and the chaos tests kill it
    independently. Built from the service's `parkgrid.runtimes` entry point, like `rebuild`,
    with the same environment as the service (store, database, Kafka, topic prefix).
    """
    import signal

    runtime = _runtime_of(service, _settings().model_copy(update={"service_name": service}))
    if not runtime.relay_collections:
        err.print(f"[red]{service} has no outbox to relay[/red]")
        raise typer.Exit(2)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for number in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(number, stop.set)
        serving = asyncio.create_task(runtime.serve_relay(stop))
        connected = asyncio.create_task(runtime.kafka_ready.wait())
        await asyncio.wait({serving, connected}, return_when=asyncio.FIRST_COMPLETED)
        if connected.done():
            console.print(f"relay of {service} running", highlight=False)
        await serving
        connected.cancel()

    _run(run())


def _runtime_of(service: str, settings: KitSettings) -> ServiceRuntime:
    """The service's runtime, built through its `parkgrid.runtimes` entry point (exit 2 if none)."""
    from importlib.metadata import entry_points

    found = [e for e in entry_points(group="parkgrid.runtimes") if e.name == service]
    if not found:
        err.print(f"[red]no installed service is called {service!r}[/red]")
        raise typer.Exit(2)
    built = found[0].load()(settings)  # a runtime, or an app whose state holds it
    runtime: ServiceRuntime = getattr(getattr(built, "state", None), "runtime", built)
    return runtime


@dlq_app.command("list")
def dlq_list(topic: Annotated[str, typer.Argument(help="The origin topic (or its .dlq).")]) -> None:
    """One line per dead letter: offset, origin, error (a failure written twice shows once)."""
    letters = _run(read_dead_letters(_settings().kafka_bootstrap_servers, topic))
    table = Table("offset", "origin", "type", "error")
    for d in letters:
        origin = f"{d.origin_topic}:{d.header('dlq_origin_partition')}@{d.header('dlq_origin_offset')}"
        table.add_row(f"{d.partition}:{d.offset}", origin, d.header("ce_type") or "?", (d.error or "")[:120])
    console.print(table)
    console.print(f"{len(letters)} dead letter(s)")


@dlq_app.command("show")
def dlq_show(
    topic: Annotated[str, typer.Argument(help="The origin topic (or its .dlq).")],
    offset: Annotated[int, typer.Argument(help="The dead letter's offset in the DLQ.")],
) -> None:
    """One dead letter in full: headers, key and value."""
    letters = _run(read_dead_letters(_settings().kafka_bootstrap_servers, topic, copies=True))
    match = [d for d in letters if d.offset == offset]
    if not match:
        err.print(f"no dead letter at offset {offset}")
        raise typer.Exit(1)
    d = match[0]
    print(
        json.dumps(
            {
                "partition": d.partition,
                "offset": d.offset,
                "key": d.key.decode(errors="replace") if d.key else None,
                "headers": {k: v.decode(errors="replace") for k, v in d.headers},
                "value": d.value.decode(errors="replace") if d.value else None,
            },
            indent=2,
        )
    )


@dlq_app.command("redrive")
def dlq_redrive(topic: Annotated[str, typer.Argument(help="The origin topic (or its .dlq).")]) -> None:
    """Send the dead letters not yet redriven back to their origin topic."""
    count = _run(redrive(_settings().kafka_bootstrap_servers, topic))
    console.print(f"redriven {count} message(s)")


# --------------------------------------------------------------------------- contracts

contracts_app = typer.Typer(help="Published contracts: JSON Schemas and the AsyncAPI document.", no_args_is_help=True)
app.add_typer(contracts_app, name="contracts")
RootOption = Annotated[Path | None, typer.Option(help="The repository root (default: this checkout).")]


@contracts_app.command("generate")
def contracts_generate(root: RootOption = None) -> None:
    """Regenerate shared/contracts/ from the event models and the topic catalogue."""
    from parkgrid.contracts import generate

    try:
        changes = generate.write(root)
    except generate.ContractError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    for change in changes:
        print(f"{change.action:8} {change.path}")
    print(f"{len(changes)} file(s) changed" if changes else "contracts are up to date")
    for event_type in generate.unpublished():
        err.print(f"[yellow]warning:[/yellow] {event_type} is registered but no topic lists it")


@contracts_app.command("check")
def contracts_check(root: RootOption = None) -> None:
    """Exit 1 if shared/contracts/ differs from what the event models produce."""
    from parkgrid.contracts import generate

    try:
        stale = generate.stale(root)
    except generate.ContractError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    if stale:
        err.print("stale contract files (run `make contracts`):\n" + "\n".join(f"  {path}" for path in stale))
        raise typer.Exit(1)
    print("contracts are up to date")


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    try:
        return asyncio.run(coroutine)
    except KafkaError as exc:
        err.print(f"[red]Kafka is not reachable or refused:[/red] {exc!r}")
        raise typer.Exit(1) from None


def main() -> None:
    app()
