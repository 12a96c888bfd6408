"""`python -m bench.profile`: where a booking's time goes, to tell the store's share from ours.

`make bench` says how far each scenario is from the bare stack; this says why, in five parts,
on the same local infrastructure (Kafka and FerretDB must run):

1. **The store's own price** (`store_prices`): each kind of command a booking sends, one at a
   time on an idle store, with FerretDB's CPU per command read from `/proc` (its own timing of
   the work, whatever the client adds).
2. **The booking write path** (`write_path`): the bench's bookings stack, a closed loop at the
   bench's concurrency; store commands per booking by name (the services' `/metrics`), and CPU
   per booking of each process (bookings, FerretDB, Kafka, the driver). With `--spy` (py-spy on
   PATH or in `PY_SPY`), the bookings process is sampled meanwhile and its heaviest frames
   listed.
   When FerretDB serves its profiler (`FERRETDB_DEBUG_ADDR`, `bench.store_profile`), its own CPU
   profile is taken meanwhile too, and its CPU per booking split by command and kind of work.
3. **With no request coming** (`idle_cost`): each process's CPU per second once the write path
   is over, what background work (relays, sweepers, consumers' polls, the broker) adds to the
   CPU per booking above.
4. **The saga's timeline** (`saga_timeline`): meeting-room bookings at the bench's rate, each
   step dated by the envelope each service wrote (`ce_time`, when it wrote) and the Kafka record
   (when its relay published it), so that each hop and each service's share is a p50 of its own.
5. **The hot event against the bare loop** (`hot_event_cost`, `--pairs`): the bare
   FastAPI+insert app's closed loop, then a hot-event round (`bench.hot_event`), alternating, at
   the bench's concurrency; CPU per request of every process (the driver, the bare app, community,
   bookings, spaces, Kafka, FerretDB) over the loop or the round's registrations. With
   `decision_budget`, it says how much of the system's CPU a decision may cost for `make bench`'s
   target (0.8 x the bare rate) on this box, against what it costs.

Writes `bench/results/<stamp>-profile.md` and prints it. What it found on 2026-12-05 is in
bench/README.md ("Where the time goes").
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer

from bench import bookings, store_profile
from bench.baselines import Env
from bench.hot_event import REGISTRATIONS
from bench.http_write import Poster, booking_like, client_for
from bench.loadgen import closed_loop
from bench.run import QUICK, service_env
from bench.system import ROOT, CpuMeter, UvicornProcess, cpu_seconds, infra_pids
from parkgrid.store import connect
from parkgrid.topics import delete_topics_with_prefix

RESULTS = ROOT / "bench" / "results"

# --------------------------------------------------------------------------- pure parts


def per_request(before: Mapping[str, float], after: Mapping[str, float], requests: int) -> dict[str, float]:
    """Commands per request by name, the busiest first (names that did not move left out)."""
    moved = {name: round((after.get(name, 0.0) - before.get(name, 0.0)) / requests, 2) for name in after}
    return dict(sorted(((n, v) for n, v in moved.items() if v > 0), key=lambda item: -item[1]))


def commands_by_name(metrics: str) -> dict[str, float]:
    """`parkgrid_store_commands_total` by command name, from a Prometheus text page."""
    found: dict[str, float] = {}
    for line in metrics.splitlines():
        if line.startswith("parkgrid_store_commands_total{"):
            labels, value = line.rsplit(" ", 1)
            name = labels.split('command="', 1)[1].split('"', 1)[0]
            found[name] = found.get(name, 0.0) + float(value)
    return found


def heaviest_frames(raw: Iterable[str], own: Sequence[str], limit: int = 25) -> tuple[int, list[tuple[str, float]]]:
    """py-spy's raw output (`frame;frame;... count` per line) → samples, and the share of them in
    which each frame of `own` code (a path containing one of `own`) is on the stack."""
    total = 0
    inclusive: Counter[str] = Counter()
    for line in raw:
        line = line.rstrip()
        if not line or " " not in line:
            continue
        stack, count = line.rsplit(" ", 1)
        total += int(count)
        seen = set()
        for frame in stack.split(";"):
            if any(part in frame for part in own):
                name = frame.split(" (")[0]
                if name not in seen:
                    seen.add(name)
                    inclusive[name] += int(count)
    return total, [(name, round(100.0 * n / total, 1)) for name, n in inclusive.most_common(limit)] if total else []


Step = tuple[str, float, float]
"""(topic:event type, when the service wrote it, when its relay published it), in seconds."""


def timeline(sent: float, answered: float, steps: Sequence[Step]) -> dict[str, float]:
    """One saga's segments in ms: each step's write after the previous one (the first after the
    request was sent), each publication after its write, and the answer after the last write."""
    segments: dict[str, float] = {}
    previous = sent
    for name, written, published in sorted(steps, key=lambda step: step[1]):
        segments[f"{name} written"] = 1000.0 * (written - previous)
        segments[f"{name} published"] = 1000.0 * (published - written)
        previous = written
    segments["answered after the last write"] = 1000.0 * (answered - previous)
    segments["total"] = 1000.0 * (answered - sent)
    return segments


def medians(rows: Iterable[Mapping[str, float]]) -> dict[str, tuple[float, int]]:
    collected: dict[str, list[float]] = {}
    for row in rows:
        for name, value in row.items():
            collected.setdefault(name, []).append(value)
    return {name: (round(statistics.median(values), 1), len(values)) for name, values in collected.items()}


def cpu_ms_per(cpu: Mapping[str, Any], requests: int) -> dict[str, float]:
    """A `CpuMeter` reading as CPU ms per request by process (a process that restarted left out)."""
    return {name: round(1000.0 * value / requests, 2) for name, value in cpu["cpu_s"].items() if value is not None}


def system_ms(cpu_ms: Mapping[str, float], driver: str = "driver") -> float:
    """CPU ms per request of every process but the load driver."""
    return round(sum(ms for name, ms in cpu_ms.items() if name != driver), 2)


def decision_budget(bare_per_s: float, driver_ms: float, target: float = 0.8, cores: float = 2.0) -> float:
    """The system's CPU ms a decision may cost for `target` x the bare loop's rate, with `cores` fully
    busy (which they never are) and the load driver's own share per decision taken out first."""
    return round(cores * 1000.0 / (target * bare_per_s) - driver_ms, 2)


# --------------------------------------------------------------------------- measuring


async def store_prices(mongodb_uri: str, repeat: int = 300) -> list[tuple[str, float, float]]:
    """(command, wall ms, FerretDB CPU ms) per command, one at a time on an idle store."""
    ferretdb = infra_pids().get("ferretdb")
    client = connect(mongodb_uri, app_name="bench-profile", counted=False)
    name = f"profile{uuid.uuid4().hex[:8]}"
    docs = client[name]["docs"]
    small = client[name]["small"]
    sessions = client[name]["sessions"]
    body = {"status": "confirmed", "outbox": [], "outbox_pending": False, "version": 1, "payload": "x" * 1500}
    await docs.insert_many([{**body, "_id": f"d{i}"} for i in range(repeat)])
    # A session's seats with 200 members' places (bookings' `session_seats`, as in the bench's
    # coworking days): FerretDB decodes and re-encodes every place on each seat taken.
    places = {f"pl_mb-bench-{m:04d}": f"bk-{m:024d}/1" for m in range(200)}
    await sessions.insert_many([{"_id": f"s{i}", "taken": 200, "places": places} for i in range(repeat)])
    now = datetime.now(UTC)
    lease = [{"outbox_lease_until": None}, {"outbox_lease_until": {"$lt": now}}, {"outbox_lease_owner": "me"}]
    cases: list[tuple[str, Callable[[int], Awaitable[Any]]]] = [
        ("insert (a booking-sized document)", lambda i: docs.insert_one({**body, "_id": f"n{i}"})),
        ("insert (a small document)", lambda i: small.insert_one({"_id": f"s{i}", "holder": "b"})),
        ("find by _id", lambda i: docs.find_one({"_id": f"d{i}"})),
        ("update by _id ($inc)", lambda i: docs.update_one({"_id": f"d{i}"}, {"$inc": {"version": 1}})),
        (
            "guarded update (_id + a condition)",
            lambda i: docs.update_one({"_id": f"d{i}", "version": 2}, {"$inc": {"version": 1}}),
        ),
        (
            "guarded update of a session holding 200 places (a seat taken)",
            lambda i: sessions.update_one(
                {"_id": f"s{i}", "taken": {"$lte": 1999}, "places.pl_new": {"$exists": False}},
                {"$inc": {"taken": 1}, "$set": {"places.pl_new": "bk-new/1"}},
            ),
        ),
        (
            "findAndModify (the relay's lease)",
            lambda i: docs.find_one_and_update({"_id": f"n{i}", "$or": lease}, {"$set": {"outbox_lease_owner": "me"}}),
        ),
    ]
    prices = []
    try:
        for label, command in cases:
            before = cpu_seconds(ferretdb) if ferretdb else None
            began = time.perf_counter()
            for i in range(repeat):
                await command(i)
            wall = 1000.0 * (time.perf_counter() - began) / repeat
            after = cpu_seconds(ferretdb) if ferretdb else None
            cpu = 1000.0 * (after - before) / repeat if before is not None and after is not None else float("nan")
            prices.append((label, round(wall, 2), round(cpu, 2)))
        began = time.perf_counter()
        before = cpu_seconds(ferretdb) if ferretdb else None
        await docs.find({"outbox_pending": True}, {"_id": 1}).limit(100).to_list()
        after = cpu_seconds(ferretdb) if ferretdb else None
        scan = 1000.0 * (after - before) if before is not None and after is not None else float("nan")
        prices.append((f"find outbox_pending (the relay's sweep) over {2 * repeat} documents",
                       round(1000.0 * (time.perf_counter() - began), 2), round(scan, 2)))  # fmt: skip
    finally:
        await client.drop_database(name)
        await client.close()
    return prices


async def metrics_of(url: str) -> dict[str, float]:
    async with httpx.AsyncClient(timeout=10) as http:
        return commands_by_name((await http.get(url + "/metrics")).text)


def spy_binary() -> str | None:
    return os.environ.get("PY_SPY") or shutil.which("py-spy")


async def write_path(bench: bookings.BookingsBench, seconds: float, spy: bool, stamp: str) -> dict[str, Any]:
    url = bench.bookings.url
    async with client_for(QUICK.concurrency) as client:
        poster = Poster(
            client,
            url + "/v1/bookings",
            lambda i: bench.desk_body(),
            headers=lambda i: bench.desk_token,
            expected=(201,),
            idempotency_keys=True,
        )
        await closed_loop(poster, concurrency=QUICK.concurrency, duration_s=2.0)  # warm
        before = await metrics_of(url)
        sampler = None
        frames = RESULTS / f"profile-{uuid.uuid4().hex[:6]}.txt"
        binary = spy_binary() if spy else None
        if binary:
            sampler = subprocess.Popen(  # noqa: ASYNC220 - a sampler beside the loop, waited for below
                [binary, "record", "--pid", str(bench.bookings.pid), "--duration", str(int(seconds)), "--rate", "250",
                 "--format", "raw", "-o", str(frames), "--nonblocking"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
        address = store_profile.debug_address()
        pprof = RESULTS / f"{stamp}-ferretdb.pprof"
        profiling = (
            asyncio.create_task(store_profile.capture(address, max(1, int(seconds)), pprof)) if address else None
        )
        meter = CpuMeter({"driver": os.getpid(), "bookings": bench.bookings.pid, **infra_pids()}).start()
        summary = await closed_loop(poster, concurrency=QUICK.concurrency, duration_s=seconds)
        cpu = meter.stop()
        await bench.quiesce()
        after = await metrics_of(url)
        found: dict[str, Any] = {
            "bookings_per_s": round(summary.count / seconds, 1),
            "commands": per_request(before, after, summary.count),
            "cpu_ms_per_booking": cpu_ms_per(cpu, summary.count) if summary.count else {},
        }
        if sampler is not None:
            await asyncio.to_thread(sampler.wait)
            found["samples"], found["frames"] = await asyncio.to_thread(sampled, frames)
        found["ferretdb"] = await ferretdb_profile(profiling, pprof)
        return found


async def ferretdb_profile(profiling: asyncio.Task[str | None] | None, pprof: Path) -> dict[str, Any]:
    """FerretDB's own profile of the write path, summed (`bench.store_profile`), or why there is none."""
    if profiling is None:
        return {"missing": "FerretDB's debug listener is off (start the infrastructure with "
                           "FERRETDB_DEBUG_ADDR=127.0.0.1:8089 to take its profile)"}  # fmt: skip
    failed = await profiling
    if failed:
        return {"missing": failed}
    traces = await store_profile.traces_of(pprof)
    if traces is None:
        return {"missing": f"`go tool pprof` could not read {pprof.name}"}
    summed = store_profile.breakdown(traces)
    return {
        "file": pprof.name,
        "sampled_ms": round(summed.total_ms),
        "by_command": summed.shares(summed.by_command),
        "by_kind": summed.shares(summed.by_kind),
    }


async def idle_cost(bench: bookings.BookingsBench, seconds: float) -> dict[str, float]:
    """CPU ms per second of each process with no request coming, after the write path has left
    its data: what the relays' sweeps, the sweepers, the backlog gauges and the consumers' polls
    cost on their own. The write path's CPU per booking includes this share (ms per s ÷ bookings
    per s), so a background task's price is told apart from a booking's."""
    await asyncio.sleep(2.0)  # what the load left in flight settles first
    meter = CpuMeter({"bookings": bench.bookings.pid, "spaces": bench.spaces.pid, **infra_pids()}).start()
    await asyncio.sleep(seconds)
    cpu = meter.stop()
    return {name: round(1000.0 * value / cpu["wall_s"], 1) for name, value in cpu["cpu_s"].items() if value is not None}


def sampled(frames: Path) -> tuple[int, list[tuple[str, float]]]:
    """What py-spy wrote (and then removed), as `heaviest_frames` of ParkGrid's own code."""
    if not frames.exists():
        return 0, []
    with frames.open() as raw:
        found = heaviest_frames(raw, ("bookings/", "parkgrid/"))
    frames.unlink()
    return found


async def saga_timeline(bench: bookings.BookingsBench, sagas: int, rate: float) -> dict[str, tuple[float, int]]:
    sent: dict[str, tuple[float, float]] = {}
    async with httpx.AsyncClient(timeout=30) as client:

        async def saga(i: int) -> None:
            began = time.time()
            response = await client.post(
                bench.bookings.url + "/v1/bookings",
                json=bench.body(bookings.ROOM, i, bench.starts[400 + i]),
                headers={**bench.desk_token, "Prefer": "wait=10"},
            )
            if response.status_code == 201:
                sent[response.json()["id"]] = (began, time.time())

        running = []
        for i in range(sagas):
            running.append(asyncio.create_task(saga(i)))
            await asyncio.sleep(1.0 / rate)
        await asyncio.gather(*running)
    await bench.quiesce()
    prefix = bench.env.prefix
    steps: dict[str, list[Step]] = {}
    consumer = AIOKafkaConsumer(
        *(prefix + topic for topic in ("bookings.booking", "spaces.commands", "spaces.reservation")),
        bootstrap_servers=bench.env.bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        for partition, records in (await consumer.getmany(timeout_ms=5000, max_records=100_000)).items():
            for record in records:
                headers = {k: v.decode() for k, v in (record.headers or [])}
                data = json.loads(record.value) if record.value else {}
                booking = data.get("booking_id") or data.get("reference_id") or headers.get("ce_subject")
                written = datetime.fromisoformat(headers["ce_time"].replace("Z", "+00:00")).timestamp()
                name = partition.topic.removeprefix(prefix) + ":" + headers["ce_type"].rsplit(".", 1)[-1]
                steps.setdefault(str(booking), []).append((name, written, record.timestamp / 1000.0))
    finally:
        await consumer.stop()
    return medians(timeline(began, answered, steps[b]) for b, (began, answered) in sent.items() if b in steps)


async def hot_event_cost(
    bench: bookings.BookingsBench, bare: UvicornProcess, pairs: int, seconds: float
) -> list[dict[str, Any]]:
    """`pairs` times: the bare loop for `seconds`, then a hot event's registrations; each one's rate
    and CPU ms per request by process (the relay's tail after the registrations is left out)."""
    hot = bench.hot_event
    pids = {"driver": os.getpid(), "bare": bare.pid, "community": hot.community.pid,
            "bookings": bench.bookings.pid, "spaces": bench.spaces.pid, **infra_pids()}  # fmt: skip
    concurrency = QUICK.concurrency

    rows: list[dict[str, Any]] = []
    starts = bookings.slot_starts(pairs, first_day=20)
    async with client_for(concurrency) as client:
        bare_post = Poster(client, bare.url + "/v1/items", booking_like)
        await closed_loop(bare_post, concurrency=concurrency, duration_s=2.0)  # warm
        for n in range(pairs):
            meter = CpuMeter(pids).start()
            loop = await closed_loop(bare_post, concurrency=concurrency, duration_s=seconds)
            cpu = meter.stop()
            rows.append({"pair": n + 1, "what": "bare", "per_s": round(loop.throughput, 1),
                         "cpu_ms": cpu_ms_per(cpu, max(1, loop.count))})  # fmt: skip
            event_id = f"ev-profile-{bench.env.run_id}-{n}"
            url = await hot.publish_event(client, event_id, starts[n])
            await asyncio.sleep(1.0)  # the event's own writes and events settle first
            meter = CpuMeter(pids).start()
            registered = await hot.register_everyone(client, url)
            cpu = meter.stop()
            seats = await bench.mongo[hot.database]["seats"].find_one({"_id": event_id}, {"version": 1})
            rows.append({"pair": n + 1, "what": "hot event", "per_s": round(REGISTRATIONS / registered.settle_s, 1),
                         "cpu_ms": cpu_ms_per(cpu, REGISTRATIONS),
                         "answered": registered.statuses.count(201),
                         "seat_writes": seats.get("version") if seats else None})  # fmt: skip
            await asyncio.sleep(2.0)  # the relay's and the consumers' tail, before the next loop
    return rows


# --------------------------------------------------------------------------- report


def report(stamp: str, prices: list[tuple[str, float, float]], path: dict[str, Any],
           saga: dict[str, tuple[float, int]], idle: Mapping[str, float] | None = None,
           hot: Sequence[Mapping[str, Any]] = ()) -> str:  # fmt: skip
    lines = [f"# bench profile {stamp}", "", "## The store's price per command (one at a time, idle store)", "",
             "| command | wall ms | FerretDB CPU ms |", "|---|---|---|"]  # fmt: skip
    lines += [f"| {label} | {wall} | {cpu} |" for label, wall, cpu in prices]
    lines += ["", f"## The booking write path (closed loop, c={QUICK.concurrency})", "",
              f"{path['bookings_per_s']} bookings/s.", "", "| store command | per booking |", "|---|---|"]  # fmt: skip
    lines += [f"| {name} | {n} |" for name, n in path["commands"].items()]
    lines += ["", "| process | CPU ms per booking |", "|---|---|"]
    lines += [f"| {name} | {ms} |" for name, ms in path["cpu_ms_per_booking"].items()]
    if path.get("frames"):
        lines += ["", f"bookings, sampled by py-spy ({path['samples']} samples): share of samples with the frame on"
                  " the stack", "", "| frame | % |", "|---|---|"]  # fmt: skip
        lines += [f"| {name} | {share} |" for name, share in path["frames"]]
    lines += ferretdb_lines(path.get("ferretdb", {}), path["cpu_ms_per_booking"].get("ferretdb"))
    if idle:
        rate = path["bookings_per_s"] or 1.0
        lines += ["", "## With no request coming (after the write path)", "",
                  "| process | CPU ms per s | as ms per booking at the write path's rate |",
                  "|---|---|---|"]  # fmt: skip
        lines += [f"| {name} | {ms} | {round(ms / rate, 2)} |" for name, ms in idle.items()]
    lines += ["", "## The saga's timeline (p50 per segment)", "", "| segment | p50 ms | sagas |", "|---|---|---|"]
    lines += [f"| {name} | {p50} | {n} |" for name, (p50, n) in saga.items()]
    lines += hot_event_lines(hot)
    return "\n".join(lines) + "\n"


def hot_event_lines(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """The pairs as one table: each row's rate, the driver's CPU and the system's, by process; for
    each hot event, its ratio to the bare loop before it and the budget that ratio's target leaves."""
    if not rows:
        return []
    names = sorted({name for row in rows for name in row["cpu_ms"] if name != "driver"})
    lines = ["", f"## The hot event against the bare loop (c={QUICK.concurrency}, CPU ms per request)", "",
             "| pair | what | per s | ÷ bare | driver | system | budget at 0.8 | " + " | ".join(names) + " |",
             "|---" * (7 + len(names)) + "|"]  # fmt: skip
    bare: Mapping[str, Any] | None = None
    for row in rows:
        cpu = row["cpu_ms"]
        ratio = budget = ""
        if row["what"] == "bare":
            bare = row
        elif bare is not None:
            ratio = str(round(row["per_s"] / bare["per_s"], 2))
            budget = str(decision_budget(bare["per_s"], cpu.get("driver", 0.0)))
        each = " | ".join(str(cpu.get(name, "")) for name in names)
        lines.append(f"| {row['pair']} | {row['what']} | {row['per_s']} | {ratio} | {cpu.get('driver', '')} | "
                     f"{system_ms(cpu)} | {budget} | {each} |")  # fmt: skip
    writes = [f"pair {row['pair']}: {row['seat_writes']}" for row in rows if row.get("seat_writes") is not None]
    if writes:
        lines += ["", f"Writes of the event's seats for its {REGISTRATIONS} registrations (each write bumps the"
                  " version; decisions asked while one is under way share the next): "
                  + ", ".join(writes) + "."]  # fmt: skip
    short = [
        f"pair {row['pair']}: {row['answered']}" for row in rows if row.get("answered", REGISTRATIONS) != REGISTRATIONS
    ]
    if short:
        lines += ["", f"Not every registration was answered 201 (of {REGISTRATIONS}): " + ", ".join(short) + "."]
    return lines


def ferretdb_lines(found: Mapping[str, Any], ms_per_booking: float | None) -> list[str]:
    """FerretDB's profile as two tables: its CPU by command and by kind of work, each as a share of
    its samples and as ms per booking (the share of the CPU `/proc` measured)."""
    if not found:
        return []
    lines = ["", "### FerretDB's own profile of the write path", ""]
    if "missing" in found:
        return [*lines, f"Not taken: {found['missing']}."]
    lines.append(f"{found['sampled_ms']} ms of CPU sampled (`go tool pprof bench/results/{found['file']}`).")
    for title, rows in (("command", found["by_command"]), ("kind of work", found["by_kind"])):
        lines += ["", f"| {title} | % of FerretDB's samples | ms per booking |", "|---|---|---|"]
        for name, share in rows:
            ms = "" if ms_per_booking is None else round(ms_per_booking * share / 100.0, 2)
            lines.append(f"| {name} | {share} | {ms} |")
    return lines


async def main_async(args: argparse.Namespace) -> int:
    env = Env(
        os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
        os.environ.get("MONGODB_URI", "mongodb://127.0.0.1:27017/"),
        uuid.uuid4().hex[:8],
    )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    logs = RESULTS / f"{stamp}-profile-logs"
    logs.mkdir(parents=True, exist_ok=True)
    mongo = connect(env.mongodb_uri, app_name="bench-profile", counted=False)
    databases: list[str] = []

    def database(name: str) -> str:
        databases.append(env.database(name))
        return databases[-1]

    prices = await store_prices(env.mongodb_uri)
    bench = bookings.BookingsBench(env, QUICK, database, mongo, logs)
    try:
        await bench.set_up()
        path = await write_path(bench, args.seconds, args.spy, stamp)
        idle = await idle_cost(bench, args.idle) if args.idle > 0 else None
        saga = await saga_timeline(bench, args.sagas, QUICK.saga_rate)
        hot: list[dict[str, Any]] = []
        if args.pairs > 0:
            bare_db = database("bare")
            bare = UvicornProcess(
                "bare", "bench.bare_app:app", {**service_env(env, "bare", bare_db), "BENCH_DATABASE": bare_db}, logs
            )
            bench.processes.append(bare)
            await bare.start()
            hot = await hot_event_cost(bench, bare, args.pairs, args.pair_seconds)
    finally:
        for process in bench.processes:
            process.stop()
        for name in databases:
            await mongo.drop_database(name)
        await mongo.close()
        # Its topics too: a broker keeps paying for every partition it holds, idle or not.
        await delete_topics_with_prefix(env.bootstrap, f"bench{env.run_id}")
    text = report(stamp, prices, path, saga, idle, hot)
    (RESULTS / f"{stamp}-profile.md").write_text(text)
    print(text)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="the write path's closed loop")
    parser.add_argument("--idle", type=float, default=10.0, help="seconds measured with no request coming")
    parser.add_argument("--sagas", type=int, default=40, help="meeting-room sagas at the bench's rate")
    parser.add_argument("--spy", action="store_true", help="sample bookings with py-spy (PY_SPY or on PATH)")
    parser.add_argument("--pairs", type=int, default=3, help="bare loops and hot events, alternating (0: none)")
    parser.add_argument("--pair-seconds", type=float, default=3.0, help="each bare loop of the pairs")
    return asyncio.run(main_async(parser.parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
