"""Load generation shared by every scenario: open loop, closed loop, and the statistics.

Open loop: requests start at a constant arrival rate whatever happens to earlier ones, and
each latency is measured from the request's *scheduled* start, not from when the generator
got round to sending it. A stalled server therefore shows up as latency (the requests that
should have been sent meanwhile were waiting), instead of hiding as fewer, faster requests:
no coordinated omission.

Closed loop: a fixed number of workers, each sending its next request when the previous
one answered; what it measures is throughput at that concurrency.

`schedule`, `percentile` and `summarize` are pure and tested without timing.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

Operation = Callable[[int], Awaitable[bool]]
"""One request; gets its sequence number, returns True when the outcome was the expected one."""


def schedule(rate: float, count: int, start: float = 0.0) -> list[float]:
    """The intended start times of `count` requests at `rate` per second from `start`."""
    if rate <= 0:
        raise ValueError("rate must be positive")
    if count < 0:
        raise ValueError("count must not be negative")
    interval = 1.0 / rate
    return [start + i * interval for i in range(count)]


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) of ascending values, interpolating linearly between ranks.

    NaN for no values. Same definition as numpy's default ("linear")."""
    if not 0 <= q <= 100:
        raise ValueError("q must be within 0..100")
    n = len(sorted_values)
    if n == 0:
        return math.nan
    if n == 1:
        return float(sorted_values[0])
    rank = (n - 1) * q / 100.0
    low = math.floor(rank)
    high = min(low + 1, n - 1)
    fraction = rank - low
    return float(sorted_values[low] + (sorted_values[high] - sorted_values[low]) * fraction)


@dataclass
class Summary:
    """Latencies in milliseconds; throughput in operations per second of the measured window."""

    count: int
    errors: int
    duration_s: float
    throughput: float
    p50: float
    p90: float
    p95: float
    p99: float
    max: float
    mean: float
    late_starts: int = 0
    """Open loop: requests the generator started more than 10 ms after their scheduled time."""
    latencies_ms: list[float] = field(default_factory=list, repr=False)

    def figures(self) -> dict[str, Any]:
        """Everything but the raw latencies (those go to the plot, not the JSON)."""
        out = asdict(self)
        out.pop("latencies_ms")
        return out


def summarize(latencies_s: Sequence[float], errors: int, duration_s: float, late_starts: int = 0) -> Summary:
    """Statistics of successful operations' latencies (seconds in, milliseconds out)."""
    ms = sorted(x * 1000.0 for x in latencies_s)
    count = len(ms)
    return Summary(
        count=count,
        errors=errors,
        duration_s=duration_s,
        throughput=count / duration_s if duration_s > 0 else math.nan,
        p50=percentile(ms, 50),
        p90=percentile(ms, 90),
        p95=percentile(ms, 95),
        p99=percentile(ms, 99),
        max=ms[-1] if ms else math.nan,
        mean=sum(ms) / count if count else math.nan,
        late_starts=late_starts,
        latencies_ms=ms,
    )


async def open_loop(
    operation: Operation,
    *,
    rate: float,
    duration_s: float,
    max_outstanding: int = 2000,
    drain_timeout_s: float = 30.0,
) -> Summary:
    """Start `operation` at `rate`/s for `duration_s`; latency from each scheduled start.

    Requests still unanswered `drain_timeout_s` after the last scheduled start count as
    errors, as do requests that could not start because `max_outstanding` were in flight
    (a bound on the generator's memory, reached only when the server has stopped answering).
    """
    count = max(1, int(rate * duration_s))
    loop = asyncio.get_running_loop()
    t0 = loop.time() + 0.05
    plan = schedule(rate, count, t0)
    latencies: list[float] = []
    errors = 0
    late = 0
    tasks: set[asyncio.Task[None]] = set()

    async def one(index: int, scheduled: float) -> None:
        nonlocal errors
        try:
            ok = await operation(index)
        except Exception:
            ok = False
        if ok:
            latencies.append(loop.time() - scheduled)
        else:
            errors += 1

    for index, scheduled in enumerate(plan):
        delay = scheduled - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        elif delay < -0.010:
            late += 1
        if len(tasks) >= max_outstanding:
            errors += 1
            continue
        task = asyncio.create_task(one(index, scheduled))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        _, pending = await asyncio.wait(set(tasks), timeout=drain_timeout_s)
        for task in pending:
            task.cancel()
        errors += len(pending)
    return summarize(latencies, errors, duration_s, late)


async def closed_loop(operation: Operation, *, concurrency: int, duration_s: float, warmup_s: float = 0.0) -> Summary:
    """`concurrency` workers back to back for `warmup_s` (not counted) then `duration_s`."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    measure_from = start + warmup_s
    stop_at = measure_from + duration_s
    latencies: list[float] = []
    errors = 0
    counter = 0

    async def worker() -> None:
        nonlocal errors, counter
        while True:
            began = loop.time()
            if began >= stop_at:
                return
            index = counter
            counter += 1
            try:
                ok = await operation(index)
            except Exception:
                ok = False
            ended = loop.time()
            if began < measure_from or ended > stop_at:
                continue  # only operations wholly inside the window count
            if ok:
                latencies.append(ended - began)
            else:
                errors += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return summarize(latencies, errors, duration_s)


async def timed_batch(
    operations: Sequence[Callable[[], Awaitable[bool]]], concurrency: int | None = None
) -> tuple[float, list[bool]]:
    """Run all at once (a burst), or `concurrency` at a time (to compare with a closed loop at the
    same concurrency); the wall time until the last one answered, and each outcome."""
    began = time.perf_counter()
    gate = asyncio.Semaphore(concurrency or len(operations) or 1)

    async def guarded(op: Callable[[], Awaitable[bool]]) -> bool:
        async with gate:
            try:
                return await op()
            except Exception:
                return False

    outcomes = await asyncio.gather(*(guarded(op) for op in operations))
    return time.perf_counter() - began, list(outcomes)
