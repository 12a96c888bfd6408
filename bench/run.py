"""`make bench` / `python -m bench`: every scenario and its raw baseline, interleaved in rounds.

Writes bench/results/<stamp>.json, <stamp>.md and <stamp>.png. Exit status 1 if a round
failed a correctness check or a scenario failed; skipped scenarios (bookings not present)
are recorded, not failures. See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import statistics
import subprocess
import sys
import time
import traceback
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient

from bench import baselines, bookings, catchup, stores
from bench.baselines import Env
from bench.http_write import Poster, booking_like, client_for, offering_body, throughput_then_latency
from bench.loadgen import Summary
from bench.report import RATIOS, aggregate, write
from bench.system import ROOT, CpuMeter, UvicornProcess, cost, infra_pids
from parkgrid.auth import Role, issue_token
from parkgrid.settings import KitSettings
from parkgrid.store import Document, connect

RESULTS = ROOT / "bench" / "results"
STEP_TIMEOUT_S = 1800.0  # a wedged broker or store fails the step (and the bench) instead of hanging it


@dataclass(frozen=True)
class Profile:
    rounds: int
    window_s: float  # each closed and open loop
    concurrency: int
    kafka_rate: float  # one-hop latency, per second
    # The ping-pong and the saga, per second. 4 is modest for the system (a network's busiest
    # hour books a few meeting rooms a minute) and leaves headroom on two shared cores at
    # about 0.2 CPU-s a saga; at 10 a second the cores saturated and sagas queued for seconds.
    saga_rate: float
    burst: int  # raw produce → consume messages
    upserts: int  # raw batched upserts
    catchup_members: int  # x 5 events
    hot_slot_requests: int
    hot_slot_seats: int
    catchup_time_box_s: float  # per round, from the service's first commit


QUICK = Profile(2, 3.0, 16, 100.0, 4.0, 5_000, 5_000, 2_000, 500, 10, 45.0)
FULL = Profile(3, 10.0, 16, 200.0, 4.0, 50_000, 20_000, 20_000, 500, 10, 1500.0)


def service_env(env: Env, name: str, database: str) -> dict[str, str]:
    return {
        "PARKGRID_SERVICE_NAME": name,
        "PARKGRID_DATABASE": database,
        "PARKGRID_TOPIC_PREFIX": env.prefix,
        "KAFKA_BOOTSTRAP_SERVERS": env.bootstrap,
        "MONGODB_URI": env.mongodb_uri,
        "PARKGRID_LOG_LEVEL": "WARNING",
        "PARKGRID_LOG_JSON": "false",
    }


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.profile = QUICK if args.quick else FULL
        if args.rounds:
            self.profile = Profile(**{**asdict(self.profile), "rounds": args.rounds})
        self.stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        self.env = Env(
            os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
            os.environ.get("MONGODB_URI", "mongodb://127.0.0.1:27017/"),
            uuid.uuid4().hex[:8],
        )
        self.log_dir = RESULTS / f"{self.stamp}-logs"
        self.mongo = connect(self.env.mongodb_uri, app_name="bench")
        self.checks: list[dict[str, Any]] = []
        self.errors: list[str] = []
        self.skipped: dict[str, str] = {}
        self.broker: dict[str, int] = {}
        """Partitions the broker held at the start, after the earlier runs' topics were deleted."""
        self.scaling_figures: dict[str, dict[str, Any]] = {}
        self.store_rounds: list[dict[str, dict[str, Any]]] = []
        self.rounds: list[dict[str, Any]] = []
        self.latencies: dict[str, list[float]] = {}
        self.processes: list[UvicornProcess] = []
        self.resident: dict[str, float | None] = {}
        self.databases: list[str] = []
        self.bookings_bench: bookings.BookingsBench | None = None

    # --- helpers -----------------------------------------------------------------------

    def check(self, round_no: int, name: str, ok: bool, detail: str) -> None:
        self.checks.append({"round": round_no, "name": name, "ok": ok, "detail": detail})
        if not ok:
            print(f"  CHECK FAILED round {round_no} {name}: {detail}", flush=True)

    def keep(self, name: str, summary: Summary) -> dict[str, Any]:
        self.latencies.setdefault(name, []).extend(summary.latencies_ms)
        return summary.figures()

    async def measured(
        self, name: str, pids: dict[str, int], work: Callable[[], Awaitable[Any]]
    ) -> tuple[Any, dict[str, Any]]:
        meter = CpuMeter({"driver": os.getpid(), **pids, **infra_pids()}).start()
        began = time.perf_counter()
        outcome = await work()
        print(f"  {name}: {time.perf_counter() - began:.1f} s", flush=True)
        return outcome, meter.stop()

    def database(self, name: str) -> str:
        db = self.env.database(name)
        self.databases.append(db)
        return db

    async def serve(self, name: str, app: str, database: str, ready: str = "/readyz") -> UvicornProcess:
        process = UvicornProcess(
            name, app, {**service_env(self.env, name, database), "BENCH_DATABASE": database}, self.log_dir, ready
        )
        await process.start()
        self.processes.append(process)
        return process

    # --- the run -----------------------------------------------------------------------

    async def run(self) -> int:
        p = self.profile
        self.broker = await clear_earlier_runs(self.env)
        load_before = os.getloadavg()
        print(
            f"bench {self.stamp}: {'quick' if self.args.quick else 'full'}, {p.rounds} round(s), "
            f"prefix {self.env.prefix}",
            flush=True,
        )
        bare_db = self.database("bare")
        cat_db = self.database("catalogue_api")
        bare = await self.serve("bare", "bench.bare_app:app", bare_db)
        catalogue = await self.serve(f"catalogue-{self.env.run_id}", "catalogue.bootstrap:app", cat_db)
        admin = {"Authorization": "Bearer " + issue_token(KitSettings(), role=Role.ADMIN)}
        bookings_bench: bookings.BookingsBench | None = None
        reason = bookings.unavailable(self.args.skip_bookings)
        if reason:
            self.skipped["bookings scenarios"] = reason
        else:
            bookings_bench = bookings.BookingsBench(self.env, self.profile, self.database, self.mongo, self.log_dir)
            try:
                await bookings_bench.set_up()
            except Exception as exc:
                self.errors.append(f"bookings set-up: {exc!r}")
                traceback.print_exc()
                bookings_bench.stop()
                bookings_bench = None
        self.bookings_bench = bookings_bench
        stream = await catchup.produce_stream(self.env, p.catchup_members)
        print(f"  catch-up stream: {stream}", flush=True)
        total_events = stream["events"]

        async with client_for(p.concurrency) as client:
            bare_post = Poster(client, bare.url + "/v1/items", booking_like)
            cat_post = Poster(
                client, catalogue.url + "/v1/offerings", offering_body, headers=lambda i: admin, idempotency_keys=True
            )
            for r in range(p.rounds):
                print(f"round {r + 1}/{p.rounds}", flush=True)
                try:
                    self.rounds.append(
                        await self.round(
                            r + 1, client, bare, bare_post, catalogue, cat_post, total_events, bookings_bench
                        )
                    )
                except Exception as exc:
                    self.errors.append(f"round {r + 1}: {exc!r}")
                    traceback.print_exc()
        for process in self.processes:
            self.resident[process.name] = process.resident_mb()
        if bookings_bench is not None:
            self.resident.update(bookings_bench.resident())
            bookings_bench.stop()
        for process in self.processes:
            process.stop()
        await self.scaling()
        await self.store_backends()
        load_after = os.getloadavg()
        result = self.result(load_before, load_after, stream)
        for path in write(result, self.latencies, RESULTS):
            print(f"wrote {path.relative_to(ROOT)}")
        print((RESULTS / f"{self.stamp}.md").read_text())
        failed = [c for c in self.checks if not c["ok"]]
        return 1 if failed or self.errors else 0

    async def scaling(self) -> None:
        """Horizontal scaling, the "large size": bookings/s with 1, 2, 3 bookings processes.

        Uses `tests/scaling/scaling_workload.measure` (its own stack, prefix and databases,
        removed afterwards), once per count after the rounds. On 2 shared cores more
        processes mostly share the same CPUs: the figure shows the cost of scaling out
        (and that the invariants hold), not a speed-up the box cannot give.
        """
        reason = "skipped: --skip-scaling" if self.args.skip_scaling else bookings.unavailable(self.args.skip_bookings)
        spec = importlib.util.spec_from_file_location(
            "bench_scaling_workload", ROOT / "tests" / "scaling" / "scaling_workload.py"
        )
        if reason is None and (spec is None or spec.loader is None):
            reason = "skipped: tests/scaling/scaling_workload.py not present"
        if reason is not None or spec is None or spec.loader is None:
            self.skipped["scaling (bookings x1, x2, x3)"] = reason or "skipped"
            return
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        seconds = self.profile.window_s * 2
        for n in (1, 2, 3):
            began = time.perf_counter()
            try:
                figures = await module.measure(
                    n, seconds, kafka_bootstrap=self.env.bootstrap, mongodb_uri=self.env.mongodb_uri
                )
            except Exception as exc:
                self.errors.append(f"scaling x{n}: {exc!r}")
                traceback.print_exc()
                return
            self.scaling_figures[str(n)] = {
                k: figures.get(k) for k in ("bookings_per_s", "requests_per_s", "p50_ms", "p95_ms", "violations")
            }
            self.check(
                0,
                f"scaling x{n}: no invariant violations",
                not figures.get("violations"),
                str(figures.get("violations")),
            )
            print(
                f"  scaling x{n}: {figures.get('bookings_per_s')} bookings/s, {time.perf_counter() - began:.1f} s",
                flush=True,
            )

    async def store_backends(self) -> None:
        """FerretDB on SQLite and on PostgreSQL, one of them this run's store (`STORE`) and the other
        started beside it: the same primitives at the same concurrency, alternating which goes
        first each round (`bench.stores`)."""
        reason = "skipped: --skip-stores" if self.args.skip_stores else stores.unavailable()
        if reason is not None:
            self.skipped["store backends (SQLite vs PostgreSQL)"] = reason
            return
        operations = 1000 if self.args.quick else 4000
        ours = stores.run_store()
        try:
            with stores.side_store(self.log_dir, stores.other_than(ours)) as beside:
                for r in range(self.profile.rounds):
                    uris = {ours: self.env.mongodb_uri, stores.other_than(ours): beside}
                    order = [(backend, uris[backend]) for backend in stores.BACKENDS]
                    figures: dict[str, dict[str, Any]] = {}
                    for backend, uri in order if r % 2 == 0 else order[::-1]:
                        figures[backend] = await stores.measure(uri, operations, self.profile.concurrency)
                        won, taken = figures[backend]["race_won"], figures[backend]["race_taken"]
                        self.check(
                            r + 1,
                            f"store {backend}: {stores.RACERS} racing guarded updates take exactly {stores.SEATS}",
                            won == stores.SEATS and taken == stores.SEATS,
                            f"won {won}, taken {taken}",
                        )
                    self.store_rounds.append(figures)
                    print(f"  store backends round {r + 1}: {figures}", flush=True)
        except Exception as exc:
            self.errors.append(f"store backends: {exc!r}")
            traceback.print_exc()

    async def round(
        self,
        r: int,
        client: Any,
        bare: UvicornProcess,
        bare_post: Poster,
        catalogue: UvicornProcess,
        cat_post: Poster,
        total_events: int,
        bookings_bench: bookings.BookingsBench | None,
    ) -> dict[str, Any]:
        p = self.profile
        env = self.env
        raw_db = self.mongo[self.database(f"raw_r{r}")]
        out: dict[str, Any] = {"round": r}
        window = p.window_s

        async def kafka() -> None:
            burst, m = await self.measured("kafka burst", {}, lambda: baselines.kafka_burst(env, p.burst))
            out["kafka_burst"] = {**burst, "cost": cost(m, p.burst)}
            one, m = await self.measured(
                "kafka one hop",
                {},
                lambda: baselines.kafka_latency(env, rate=p.kafka_rate, duration_s=window, two_hops=False),
            )
            out["kafka_one_hop"] = {**self.keep("kafka one hop (open)", one), "cost": cost(m, one.count)}
            two, m = await self.measured(
                "kafka ping-pong",
                {},
                lambda: baselines.kafka_latency(env, rate=p.saga_rate, duration_s=window, two_hops=True),
            )
            out["kafka_ping_pong"] = {**self.keep("kafka two-hop ping-pong (open)", two), "cost": cost(m, two.count)}

        async def store() -> None:
            single, m = await self.measured(
                "store inserts",
                {},
                lambda: baselines.store_single_inserts(raw_db, concurrency=p.concurrency, duration_s=window),
            )
            out["store_single_inserts"] = {
                **self.keep("store insert_one (closed)", single),
                "cost": cost(m, single.count),
            }
            upserts, m = await self.measured(
                "store upserts", {}, lambda: baselines.store_batched_upserts(raw_db, count=p.upserts)
            )
            out["store_batched_upserts"] = {**upserts.figures(), "cost": cost(m, p.upserts)}

        async def http(name: str, process: UvicornProcess, poster: Poster, db: str, collection: str) -> None:
            before = len(poster.accepted_ids)
            (closed, opened), m = await self.measured(
                name,
                {name: process.pid},
                lambda: throughput_then_latency(poster, concurrency=p.concurrency, duration_s=window),
            )
            accepted = len(poster.accepted_ids) - before
            out[f"{name}_closed"] = {**self.keep(f"{name} (closed, c={p.concurrency})", closed)}
            out[f"{name}_open"] = {**self.keep(f"{name} (open, half load)", opened)}
            out[f"{name}_cost"] = cost(m, accepted)
            stored = await self.mongo[db][collection].count_documents({})
            unique = len(set(poster.accepted_ids))
            self.check(
                r,
                f"{name}: accepted = stored, no duplicates, no errors",
                stored == len(poster.accepted_ids) == unique and closed.errors == opened.errors == 0,
                f"accepted {len(poster.accepted_ids)}, stored {stored}, unique ids {unique}, "
                f"errors {closed.errors + opened.errors}, statuses {poster.statuses}",
            )

        async def catch_up() -> None:
            raw, m = await self.measured("catch-up raw", {}, lambda: catchup.raw_catchup(env, raw_db, total_events))
            out["catchup_raw"] = {**raw, "cost": cost(m, raw["events"])}
            self.check(r, "catch-up raw: every member at its last sequence", raw["check"]["ok"], str(raw["check"]))
            name = f"catalogue-{env.run_id}-r{r}"
            svc = await catchup.service_catchup(
                env,
                self.database(f"catalogue_r{r}"),
                name,
                total_events,
                self.log_dir,
                self.mongo,
                p.catchup_time_box_s,
            )
            print(
                f"  catch-up service: {svc['events']} events in {svc['elapsed_s']} s"
                + ("" if svc["complete"] else f" (time box reached at {svc['committed']}/{total_events})"),
                flush=True,
            )
            out["catchup_service"] = svc
            self.resident[f"catalogue (catch-up, round {r})"] = svc["rss_mb"]["catalogue"]
            self.check(
                r,
                "catch-up service: every member at its last sequence (when it finished), DLQ empty",
                svc["check"]["ok"],
                str(svc["check"]),
            )

        async def bare_http() -> None:
            await http("bare", bare, bare_post, self.env.database("bare"), "items")

        async def catalogue_http() -> None:
            await http("catalogue", catalogue, cat_post, self.env.database("catalogue_api"), "offerings")

        steps: list[Callable[[], Awaitable[None]]] = [kafka, store, bare_http, catalogue_http, catch_up]
        if bookings_bench is not None:
            bench = bookings_bench

            async def bookings_scenarios() -> None:
                await bench.round(r, out, self.check, self.keep, self.measured)

            steps.append(bookings_scenarios)
        if r % 2 == 0:  # interleave: every other round runs the scenarios before their baselines
            steps.reverse()
        for step in steps:
            try:
                await asyncio.wait_for(step(), timeout=STEP_TIMEOUT_S)
            except Exception as exc:  # the other steps still run; the error fails the bench
                self.errors.append(f"round {r}: {getattr(step, '__name__', 'step')}: {exc!r}")
                traceback.print_exc()
        out["ratios"] = self.ratios(out)
        print(f"  ratios: {out['ratios']}", flush=True)
        return out

    @staticmethod
    def ratios(out: dict[str, Any]) -> dict[str, float | None]:
        def div(a: float | None, b: float | None) -> float | None:
            return None if a is None or b is None or not b else a / b

        def get(*path: str) -> float | None:
            node: Any = out
            for key in path:
                if not isinstance(node, dict) or key not in node:
                    return None
                node = node[key]
            return float(node) if isinstance(node, int | float) else None

        return {
            "catalogue_write_throughput": div(get("catalogue_closed", "throughput"), get("bare_closed", "throughput")),
            "catalogue_write_p99_half_load": div(get("catalogue_open", "p99"), get("bare_open", "p99")),
            "bookings_write_throughput": div(get("bookings_closed", "throughput"), get("bare_closed", "throughput")),
            "bookings_write_p99_half_load": div(get("bookings_open", "p99"), get("bare_open", "p99")),
            "saga_p50": div(get("saga", "p50"), get("kafka_ping_pong", "p50")),
            "catchup": div(get("catchup_service", "rate"), get("catchup_raw", "rate")),
            "hot_slot_decisions": div(get("hot_slot", "rate"), get("bare_closed", "throughput")),
            "hot_event_decisions": div(get("hot_event", "rate"), get("bare_closed", "throughput")),
            "bare_vs_raw_insert": div(get("bare_closed", "throughput"), get("store_single_inserts", "throughput")),
        }

    def result(self, load_before: Any, load_after: Any, stream: dict[str, Any]) -> dict[str, Any]:
        ratios = {
            name: aggregate([r["ratios"][name] for r in self.rounds if r["ratios"].get(name) is not None])
            for name in RATIOS
        }
        figures: dict[str, dict[str, Any]] = {}
        rows = {
            "kafka produce→consume burst": ("kafka_burst", None),
            "kafka one hop (open loop)": ("kafka_one_hop", "kafka_one_hop"),
            "kafka two-hop ping-pong (open loop)": ("kafka_ping_pong", "kafka_ping_pong"),
            "store insert_one (closed loop)": ("store_single_inserts", "store_single_inserts"),
            "store batched upserts (docs)": ("store_batched_upserts", "store_batched_upserts"),
            "bare FastAPI+insert (closed loop)": ("bare_closed", "bare_cost"),
            "bare FastAPI+insert (open, half load)": ("bare_open", None),
            "catalogue POST /v1/offerings (closed loop)": ("catalogue_closed", "catalogue_cost"),
            "catalogue POST /v1/offerings (open, half load)": ("catalogue_open", None),
            "catch-up raw consume+upsert (events)": ("catchup_raw", "catchup_raw"),
            "catch-up catalogue members (events)": ("catchup_service", "catchup_service"),
            **bookings.FIGURE_ROWS,
        }
        for label, (key, cost_key) in rows.items():
            per_round = [r[key] for r in self.rounds if key in r]
            if not per_round:
                continue
            row: dict[str, Any] = {}
            for metric in ("throughput", "rate", "p50", "p95", "p99"):
                values = [x[metric] for x in per_round if isinstance(x.get(metric), int | float)]
                if values:
                    row["throughput" if metric == "rate" else metric] = statistics.median(values)
            if cost_key is not None:
                costs = [r[cost_key].get("cost", r[cost_key]) for r in self.rounds if cost_key in r]
                for metric in ("system_cpu_s_per_1k", "driver_cpu_s_per_1k"):
                    values = [c[metric] for c in costs if c.get(metric) is not None]
                    if values:
                        row[metric] = statistics.median(values)
            figures[label] = row
        return {
            "meta": {
                "stamp": self.stamp,
                "quick": self.args.quick,
                "rounds": self.profile.rounds,
                "profile": asdict(self.profile),
                "concurrency": self.profile.concurrency,
                "git": _git_rev(),
                "cpus": os.cpu_count(),
                "load_before": [round(x, 2) for x in load_before],
                "load_after": [round(x, 2) for x in load_after],
                "kafka": self.env.bootstrap,
                "store": self.env.mongodb_uri,
                "store_backend": stores.run_store(),
                "topic_prefix": self.env.prefix,
                "broker": self.broker,
                "catchup_stream": stream,
            },
            "ratios": ratios,
            "figures": figures,
            "resident_mb": self.resident,
            "rounds": self.rounds,
            "checks": self.checks,
            "scaling": self.scaling_figures,
            "store_backends": stores_summary(self.store_rounds),
            "skipped": self.skipped,
            "errors": self.errors,
        }

    async def clean_up(self) -> None:
        for process in self.processes:
            process.stop()
        if self.bookings_bench is not None:
            self.bookings_bench.stop()
        if self.args.keep:
            await self.mongo.close()
            return
        for db in self.databases:
            try:
                await self.mongo.drop_database(db)
            except Exception as exc:
                print(f"could not drop {db}: {exc!r}")
        await self.mongo.close()
        admin = AIOKafkaAdminClient(bootstrap_servers=self.env.bootstrap)
        try:
            await admin.start()
            # the run's prefixes: bench<id>. and bench<id>b. (the bookings scenarios')
            mine = [t for t in await admin.list_topics() if t.startswith(f"bench{self.env.run_id}")]
            if mine:
                await admin.delete_topics(mine)
        except Exception as exc:
            print(f"could not delete the bench topics {self.env.prefix}*: {exc!r}")
        finally:
            await admin.close()


async def clear_earlier_runs(env: Env) -> dict[str, int]:
    """Delete the topics earlier bench runs left (a run stopped half-way keeps its ~100 partitions),
    and say how many partitions the broker holds then.

    A broker pays for every partition it holds, idle or not: 4,300 left by killed runs and tests
    took Kafka from 27 to 90 ms of CPU a second with no request coming and the bookings write path
    from 136 to 93 bookings/s on this box (bench/README.md, 2026-12-06 afternoon). Bench runs are
    never concurrent on one broker (their CPU figures would mean nothing), so every `bench*` topic
    but this run's is an earlier run's."""
    admin = AIOKafkaAdminClient(bootstrap_servers=env.bootstrap)
    try:
        await admin.start()
        earlier = [
            t for t in await admin.list_topics() if t.startswith("bench") and not t.startswith(f"bench{env.run_id}")
        ]
        for i in range(0, len(earlier), 100):
            await admin.delete_topics(earlier[i : i + 100], timeout_ms=60_000)
        described = await admin.describe_topics()
        partitions = sum(len(t.get("partitions", [])) for t in described if t.get("topic") not in earlier)
        return {"earlier_bench_topics_deleted": len(earlier), "partitions": partitions}
    except Exception as exc:
        print(f"could not clear the topics of earlier bench runs: {exc!r}")
        return {}
    finally:
        await admin.close()


def _git_rev() -> str:
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
        dirty = subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True, cwd=ROOT)
        return rev.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except OSError:
        return "unknown"


def stores_summary(rounds: list[dict[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Per operation: the median ops/s of each backend over the rounds and PostgreSQL ÷ SQLite."""
    summary: dict[str, dict[str, Any]] = {}
    for operation in stores.OPERATIONS:
        row: dict[str, Any] = {}
        for backend in ("sqlite", "postgresql"):
            values = [r[backend][operation] for r in rounds if backend in r]
            row[backend] = statistics.median(values) if values else None
        ratios = [r["postgresql"][operation] / r["sqlite"][operation] for r in rounds if len(r) == 2]
        row["ratio"] = aggregate(ratios) if ratios else None
        summary[operation] = row
    return summary if rounds else {}


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short windows, 10k catch-up events, 2 rounds")
    parser.add_argument("--rounds", type=int, default=0, help="override the number of rounds")
    parser.add_argument("--skip-bookings", action="store_true", help="record the bookings scenarios as skipped")
    parser.add_argument("--skip-scaling", action="store_true", help="skip bookings x1, x2, x3 (scaling workload)")
    parser.add_argument("--skip-stores", action="store_true", help="skip the SQLite vs PostgreSQL store comparison")
    parser.add_argument("--keep", action="store_true", help="keep the bench databases and topics")
    return parser.parse_args(argv)


async def main_async(argv: list[str] | None = None) -> int:
    bench = Bench(parse(argv))
    try:
        return await bench.run()
    finally:
        await bench.clean_up()


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(main_async(argv))


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["Document", "main"]
