"""Results: the JSON of everything, a Markdown table of what matters, a plot of latencies."""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path
from typing import Any

RATIOS: dict[str, tuple[str, str, float]] = {
    # name: (what, comparison, target)
    "catalogue_write_throughput": ("POST /v1/offerings throughput ÷ bare FastAPI+insert", ">=", 0.6),
    "catalogue_write_p99_half_load": ("POST /v1/offerings p99 at half load ÷ bare p99 at half load", "<=", 2.0),
    "bookings_write_throughput": ("POST /v1/bookings throughput ÷ bare FastAPI+insert", ">=", 0.6),
    "bookings_write_p99_half_load": ("POST /v1/bookings p99 at half load ÷ bare p99 at half load", "<=", 2.0),
    "saga_p50": ("saga (meeting room) p50 ÷ raw two-hop ping-pong p50", "<=", 3.0),
    "catchup": ("catalogue members catch-up events/s ÷ raw consume + batched upsert", ">=", 0.5),
    "hot_slot_decisions": ("hot slot (500 for 10 seats) decisions/s ÷ bare FastAPI+insert req/s, c=16", ">=", 0.8),
    "hot_event_decisions": ("hot event (300 for 50 seats) decisions/s ÷ bare FastAPI+insert req/s, c=16", ">=", 0.8),
    "bare_vs_raw_insert": ("bare FastAPI+insert throughput ÷ raw single inserts (same concurrency)", "", math.nan),
}


def aggregate(values: list[float]) -> dict[str, float] | None:
    clean = [v for v in values if v is not None and not math.isnan(v)]
    if not clean:
        return None
    return {"median": statistics.median(clean), "min": min(clean), "max": max(clean), "rounds": len(clean)}


def meets(comparison: str, target: float, value: float) -> bool | None:
    if comparison == ">=":
        return value >= target
    if comparison == "<=":
        return value <= target
    return None


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


_BACKENDS = {"sqlite": "SQLite", "postgresql": "PostgreSQL 15"}


def markdown(result: dict[str, Any]) -> str:
    meta = result["meta"]
    store = _BACKENDS.get(meta.get("store_backend", "sqlite"), "?")
    lines = [
        f"# ParkGrid bench {meta['stamp']} ({'quick' if meta['quick'] else 'full'}, {meta['rounds']} round(s))",
        "",
        f"git {meta['git']}, {meta['cpus']} CPU(s), load average {meta['load_before']} before, "
        f"{meta['load_after']} after; HTTP concurrency {meta['concurrency']}; the broker held "
        f"{meta.get('broker', {}).get('partitions', '?')} partitions "
        f"({meta.get('broker', {}).get('earlier_bench_topics_deleted', 0)} topics of earlier runs deleted first); "
        f"the store: FerretDB on {store}.",
        "",
        "## Ratios (median of per-round ratios, min-max)",
        "",
        "| ratio | median | min-max | target | met |",
        "|---|---|---|---|---|",
    ]
    for name, agg in result["ratios"].items():
        what, comparison, target = RATIOS[name]
        if agg is None:
            lines.append(f"| {what} | - | - | {comparison} {_fmt(target)} | - |")
            continue
        verdict = meets(comparison, target, agg["median"])
        met = "-" if verdict is None else ("yes" if verdict else "**no**")
        tgt = "" if math.isnan(target) else f"{comparison} {_fmt(target)}"
        lines.append(f"| {what} | {_fmt(agg['median'])} | {_fmt(agg['min'])}-{_fmt(agg['max'])} | {tgt} | {met} |")
    lines += [
        "",
        "## Figures (median over rounds)",
        "",
        "| scenario | ops/s | p50 ms | p95 ms | p99 ms | system CPU-s / 1k ops | driver CPU-s / 1k ops |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, row in result["figures"].items():
        lines.append(
            f"| {name} | {_fmt(row.get('throughput'), 1)} | {_fmt(row.get('p50'))} | {_fmt(row.get('p95'))} | "
            f"{_fmt(row.get('p99'))} | {_fmt(row.get('system_cpu_s_per_1k'), 3)} | "
            f"{_fmt(row.get('driver_cpu_s_per_1k'), 3)} |"
        )
    partial = [r["round"] for r in result["rounds"] if r.get("catchup_service", {}).get("complete") is False]
    if partial:
        lines += [
            "",
            f"Catch-up: the service did not reach the end of the stream within the time box in round(s) "
            f"{partial}; its rate is over the events it applied.",
        ]
    rounds = result["rounds"]
    busy = [r["cpus_busy_before"] for r in rounds if "cpus_busy_before" in r]
    if busy:
        lines += ["", f"CPUs busy with no request sent, just before the bookings scenarios (per round): "
                  f"{', '.join(_fmt(b) for b in busy)} of {result['meta']['cpus']}."]  # fmt: skip
    scenarios = sorted({s for r in rounds for s in r.get("store_commands", {})})
    if scenarios:
        lines += ["", "## Store commands per request (median over rounds; relay and consumers included)", ""]
        lines += ["| scenario | all | by service |", "|---|---|---|"]
        for scenario in scenarios:
            counts = [r["store_commands"][scenario] for r in rounds if scenario in r.get("store_commands", ())]
            keys = sorted({k for c in counts for k in c})
            median = {k: statistics.median([c[k] for c in counts if k in c]) for k in keys}
            by_service = ", ".join(f"{k.rsplit('-', 1)[0]} {_fmt(v)}" for k, v in median.items() if k != "all")
            lines.append(f"| {scenario} | {_fmt(median.get('all'))} | {by_service} |")
    if result.get("resident_mb"):
        lines += ["", "## Resident memory after the run (target < 150 MB each)", ""]
        lines += ["| process | MB |", "|---|---|"]
        lines += [f"| {k} | {_fmt(v, 1)} |" for k, v in result["resident_mb"].items()]
    if result.get("scaling"):
        lines += ["", "## Scaling: bookings processes behind a round robin (one run each)", ""]
        lines += ["| processes | bookings/s | requests/s | p50 ms | p95 ms |", "|---|---|---|---|---|"]
        for n, f in result["scaling"].items():
            lines.append(
                f"| {n} | {_fmt(f.get('bookings_per_s'), 1)} | {_fmt(f.get('requests_per_s'), 1)} "
                f"| {_fmt(f.get('p50_ms'))} | {_fmt(f.get('p95_ms'))} |"
            )
    if result.get("store_backends"):
        lines += ["", "## Store backends: FerretDB on SQLite (default) and on PostgreSQL 15, same run", ""]
        lines += [
            f"The run's store was FerretDB on {store}; the other was started beside it.",
            "",
        ]
        lines += ["| operation | SQLite ops/s | PostgreSQL ops/s | PostgreSQL ÷ SQLite (min to max) |"]
        lines += ["|---|---|---|---|"]
        for operation, row in result["store_backends"].items():
            ratio = row.get("ratio") or {}
            lines.append(
                f"| {operation} | {_fmt(row.get('sqlite'), 0)} | {_fmt(row.get('postgresql'), 0)} "
                f"| {_fmt(ratio.get('median'))} ({_fmt(ratio.get('min'))} to {_fmt(ratio.get('max'))}) |"
            )
    if result.get("skipped"):
        lines += ["", "## Skipped", ""] + [f"- {k}: {v}" for k, v in result["skipped"].items()]
    failed = [c for c in result["checks"] if not c["ok"]]
    lines += ["", f"## Correctness: {len(result['checks']) - len(failed)}/{len(result['checks'])} checks passed", ""]
    lines += [f"- **failed** round {c['round']} {c['name']}: {c['detail']}" for c in failed]
    if result.get("errors"):
        lines += ["", "## Errors", ""] + [f"- {e}" for e in result["errors"]]
    return "\n".join(lines) + "\n"


def plot(latencies: dict[str, list[float]], path: Path, title: str) -> bool:
    """Empirical CDFs of latency (log scale); False if matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(10, 6))
    for name, values in latencies.items():
        data = sorted(v for v in values if v > 0)
        if not data:
            continue
        n = len(data)
        ax.step(data, [(i + 1) / n for i in range(n)], where="post", label=f"{name} (n={n})")
    ax.set_xscale("log")
    ax.set_xlabel("latency (ms, log scale)")
    ax.set_ylabel("fraction of requests at or below")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.axhline(0.99, color="grey", linestyle=":", linewidth=1)
    ax.axhline(0.5, color="grey", linestyle=":", linewidth=1)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def write(result: dict[str, Any], latencies: dict[str, list[float]], out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = result["meta"]["stamp"]
    json_path = out_dir / f"{stamp}.json"
    md_path = out_dir / f"{stamp}.md"
    png_path = out_dir / f"{stamp}.png"
    json_path.write_text(json.dumps(result, indent=2, default=str) + "\n")
    md_path.write_text(markdown(result))
    written = [json_path, md_path]
    if plot(latencies, png_path, f"ParkGrid bench {stamp}: latency distributions (all rounds)"):
        written.append(png_path)
    return written
