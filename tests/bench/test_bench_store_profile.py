"""The pure parts of `bench.store_profile`: FerretDB's samples summed by command and kind of work."""

from __future__ import annotations

from bench.profile import ferretdb_lines
from bench.store_profile import COLLECTING, DECODING, HANDLING, SQLITE, SQLITE_JSON, breakdown

FERRETDB = "github.com/FerretDB/FerretDB/internal"
SERVED = [f"{FERRETDB}/clientconn.(*conn).handleOpMsg", f"{FERRETDB}/clientconn.(*conn).run"]

TRACES = "\n".join(
    [
        "File: ferretdb",
        "Type: cpu",
        "Duration: 25.01s, Total samples = 90ms (0.36%)",
        "-----------+-------------------------------------------------------",
        # an update decoding the document it found: decoding, whatever the leaf
        "      30ms   runtime.mallocgc",
        "             encoding/json.(*Decoder).Decode",
        f"             {FERRETDB}/handler/sjson.Unmarshal",
        f"             {FERRETDB}/backends/sqlite.(*queryIterator).Next",
        f"             {FERRETDB}/handler.(*Handler).MsgUpdate",
        *(f"             {frame}" for frame in SERVED),
        "-----------+-------------------------------------------------------",
        # an insert's statement computing an index key: SQLite's JSON functions
        "      20ms   modernc.org/libc.Xmemcpy",
        "             modernc.org/sqlite/lib._jsonTranslateTextToBlob",
        "             modernc.org/sqlite/lib._sqlite3VdbeExec",
        "             modernc.org/sqlite.(*conn).exec",
        f"             {FERRETDB}/backends/sqlite.(*collection).InsertAll",
        f"             {FERRETDB}/handler.(*Handler).MsgInsert",
        *(f"             {frame}" for frame in SERVED),
        "-----------+-------------------------------------------------------",
        "      10ms   modernc.org/sqlite/lib._btreeNext",
        "             modernc.org/sqlite.(*conn).step",
        f"             {FERRETDB}/handler.(*Handler).MsgFind",
        *(f"             {frame}" for frame in SERVED),
        "-----------+-------------------------------------------------------",
        "      20ms   runtime.scanobject",
        "             runtime.gcDrain",
        "             runtime.gcBgMarkWorker",
        "-----------+-------------------------------------------------------",
        "   10000us   runtime.memmove",
        f"             {FERRETDB}/handler/common.UpdateDocument",
        f"             {FERRETDB}/handler.(*Handler).MsgUpdate",
        *(f"             {frame}" for frame in SERVED),
        "-----------+-------------------------------------------------------",
    ]
)


def test_samples_are_summed_by_the_command_they_served() -> None:
    summed = breakdown(TRACES)
    assert summed.total_ms == 90.0
    assert summed.shares(summed.by_command) == [
        ("update", 44.4),
        ("insert", 22.2),
        ("(garbage collector)", 22.2),
        ("find", 11.1),
    ]


def test_samples_are_summed_by_the_outermost_kind_of_work_on_their_stack() -> None:
    summed = breakdown(TRACES)
    assert dict(summed.by_kind) == {DECODING: 30.0, SQLITE_JSON: 20.0, SQLITE: 10.0, COLLECTING: 20.0, HANDLING: 10.0}


def test_nothing_sampled_has_no_shares() -> None:
    summed = breakdown("File: ferretdb\n")
    assert summed.total_ms == 0.0
    assert summed.shares(summed.by_command) == []


def test_the_report_gives_each_share_as_ms_per_booking_or_says_why_there_is_none() -> None:
    found = {"file": "x-ferretdb.pprof", "sampled_ms": 90, "by_command": [("update", 50.0)], "by_kind": []}
    lines = ferretdb_lines(found, 6.0)
    assert "| update | 50.0 | 3.0 |" in lines
    missing = ferretdb_lines({"missing": "FerretDB's debug listener is off"}, 6.0)
    assert missing[-1] == "Not taken: FerretDB's debug listener is off."
    assert ferretdb_lines({}, None) == []
