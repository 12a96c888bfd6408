"""FerretDB's own CPU profile, by command and by kind of work: what a store command costs inside.

`python -m bench.profile` measures FerretDB's CPU per booking from `/proc`; this says where in
FerretDB it goes. FerretDB serves Go's profiler on its debug listener, which `infra.sh` starts when
`FERRETDB_DEBUG_ADDR` names an address (`FERRETDB_DEBUG_ADDR=127.0.0.1:8089 make up`). The profile is
taken while the write path runs, kept beside the report (`bench/results/<stamp>-ferretdb.pprof`,
for `go tool pprof`), and summed here from `go tool pprof -traces`: each sample's stack is put
under the command it served (`MsgUpdate`, `MsgInsert`...) and under one kind of work.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx

GC = ("runtime.gcBgMarkWorker", "runtime.bgsweep", "runtime.bgscavenge")
COMMAND = re.compile(r"handler\.\(\*Handler\)\.Msg(\w+)$")
VALUE = re.compile(r"^\s*([\d.]+)(ns|us|µs|ms|s)\s+(\S.*)$")
UNITS = {"ns": 1e-6, "us": 1e-3, "µs": 1e-3, "ms": 1.0, "s": 1000.0}

SQLITE_JSON = "SQLite: its JSON functions (index keys, pushed-down filters)"
SQLITE = "SQLite: the rest (statements, B-trees, WAL)"
DECODING = "decoding stored documents (sjson to Go)"
ENCODING = "encoding documents to store (Go to sjson)"
WIRE = "the wire protocol (BSON in and out)"
HANDLING = "the rest of FerretDB's handling (filters, updates, allocation)"
COLLECTING = "Go's garbage collector (background)"
OTHER = "other (Go runtime, connections, idle)"


def kind_of(stack: list[str]) -> str:
    """The kind of work of one sample (its stack, the leaf first): the outermost of SQLite, document
    decoding or encoding and the wire protocol on the stack (SQLite's JSON functions told apart)."""
    if any(frame.startswith(GC) for frame in stack):
        return COLLECTING
    for depth, frame in enumerate(reversed(stack)):
        if frame.startswith("modernc.org/sqlite"):
            inner = stack[: len(stack) - depth]
            return SQLITE_JSON if any(f.startswith("modernc.org/sqlite/lib._json") for f in inner) else SQLITE
        if "/handler/sjson.Unmarshal" in frame or "/handler/sjson.unmarshal" in frame:
            return DECODING
        if "/handler/sjson.Marshal" in frame or "/handler/sjson.marshal" in frame:
            return ENCODING
        if "github.com/FerretDB/wire" in frame or "/internal/bson" in frame:
            return WIRE
    return HANDLING if any("/clientconn." in frame for frame in stack) else OTHER


def command_of(stack: list[str]) -> str:
    """The command a sample served (`update`, `insert`...), or what else it was."""
    for frame in stack:
        found = COMMAND.search(frame)
        if found:
            return found.group(1).lower()
    if any(frame.startswith(GC) for frame in stack):
        return "(garbage collector)"
    return "(connections, no command)" if any("/clientconn." in frame for frame in stack) else "(runtime)"


@dataclass
class Breakdown:
    """Milliseconds of CPU sampled, by command and by kind of work."""

    total_ms: float = 0.0
    by_command: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    by_kind: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))

    def shares(self, summed: dict[str, float]) -> list[tuple[str, float]]:
        """(name, % of the samples), the largest first."""
        if not self.total_ms:
            return []
        ranked = sorted(summed.items(), key=lambda item: -item[1])
        return [(name, round(100.0 * ms / self.total_ms, 1)) for name, ms in ranked]


def breakdown(traces: str) -> Breakdown:
    """`go tool pprof -traces` output (a sample's value and leaf on one line, its callers on the
    following ones, samples separated by dashes) summed by command and by kind of work."""
    found = Breakdown()
    value, stack = 0.0, list[str]()

    def close() -> None:
        if stack and value:
            found.total_ms += value
            found.by_command[command_of(stack)] += value
            found.by_kind[kind_of(stack)] += value

    for line in traces.splitlines():
        if line.startswith("-----------+"):
            close()
            value, stack = 0.0, []
            continue
        sample = VALUE.match(line)
        if sample and not stack:
            value = float(sample.group(1)) * UNITS[sample.group(2)]
            stack = [sample.group(3).strip()]
        elif stack and line.strip():
            stack.append(line.strip())
    close()
    return found


def debug_address() -> str | None:
    """FerretDB's debug listener, as `infra.sh` was told it (`FERRETDB_DEBUG_ADDR`), if any."""
    address = os.environ.get("FERRETDB_DEBUG_ADDR", "-")
    return None if address in ("", "-") else address


async def capture(address: str, seconds: int, into: Path) -> str | None:
    """Take FerretDB's CPU profile for `seconds` into `into`; why not, when it could not be taken."""
    try:
        async with httpx.AsyncClient(timeout=seconds + 30) as http:
            answer = await http.get(f"http://{address}/debug/pprof/profile", params={"seconds": seconds})
    except httpx.HTTPError as exc:
        return f"FerretDB's debug listener at {address} did not answer ({exc!r})"
    if answer.status_code != 200:
        return f"FerretDB's profiler answered {answer.status_code}"
    await asyncio.to_thread(into.write_bytes, answer.content)
    return None


async def traces_of(profile: Path) -> str | None:
    """The profile as `go tool pprof -traces` prints it (None without Go, which builds FerretDB)."""
    go = shutil.which("go")
    if go is None:
        return None
    done = await asyncio.to_thread(
        subprocess.run, [go, "tool", "pprof", "-traces", str(profile)], capture_output=True, text=True, timeout=120
    )
    return done.stdout if done.returncode == 0 else None
