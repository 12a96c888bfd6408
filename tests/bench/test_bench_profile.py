"""The pure parts of `bench.profile`: what it counts and how it dates a saga."""

from __future__ import annotations

import pytest

from bench.profile import (
    commands_by_name,
    decision_budget,
    heaviest_frames,
    hot_event_lines,
    medians,
    per_request,
    system_ms,
    timeline,
)

METRICS = """# HELP parkgrid_store_commands_total Store commands sent
parkgrid_store_commands_total{command="insert"} 30.0
parkgrid_store_commands_total{command="update"} 20.0
parkgrid_store_commands_total{command="find"} 5.0
parkgrid_store_commands_created{command="insert"} 1.7e9
"""


def test_commands_are_read_by_name_from_the_metrics_page() -> None:
    assert commands_by_name(METRICS) == {"insert": 30.0, "update": 20.0, "find": 5.0}


def test_commands_per_request_leave_out_what_did_not_move_and_put_the_busiest_first() -> None:
    before = {"insert": 10.0, "update": 10.0, "find": 5.0}
    after = {"insert": 40.0, "update": 30.0, "find": 5.0, "getMore": 0.01}
    assert list(per_request(before, after, 10).items()) == [("insert", 3.0), ("update", 2.0)]


def test_the_heaviest_frames_count_a_frame_once_per_sample_and_only_our_own() -> None:
    raw = [
        "run (asyncio/runners.py:1);book (bookings/commands.py:9);take (bookings/sessions.py:3) 6\n",
        "run (asyncio/runners.py:1);book (bookings/commands.py:9);book (bookings/commands.py:20) 2\n",
        "run (asyncio/runners.py:1);select (selectors.py:4) 2\n",
        "\n",
    ]
    total, frames = heaviest_frames(raw, ("bookings/",))
    assert total == 10
    assert frames == [("book", 80.0), ("take", 60.0)]
    assert heaviest_frames([], ("bookings/",)) == (0, [])


def test_a_saga_is_dated_step_by_step_from_the_request_to_the_answer() -> None:
    steps = [("b:confirmed", 10.050, 10.052), ("b:requested", 10.010, 10.013), ("s:confirmed", 10.030, 10.031)]
    segments = timeline(10.000, 10.060, steps)
    assert segments == pytest.approx(
        {
            "b:requested written": 10.0,
            "b:requested published": 3.0,
            "s:confirmed written": 20.0,
            "s:confirmed published": 1.0,
            "b:confirmed written": 20.0,
            "b:confirmed published": 2.0,
            "answered after the last write": 10.0,
            "total": 60.0,
        },
        abs=1e-6,
    )
    assert medians([{"total": 60.0}, {"total": 80.0}, {"total": 70.0, "x": 1.0}]) == {
        "total": (70.0, 3),
        "x": (1.0, 1),
    }


def test_the_system_is_every_process_but_the_load_driver() -> None:
    assert system_ms({"driver": 3.0, "community": 3.5, "ferretdb": 3.25}) == 6.75


def test_a_decision_s_budget_is_what_the_cores_leave_at_the_target_rate_once_the_driver_is_paid() -> None:
    # 0.8 x 250/s = 200 decisions/s on two cores: 10 ms each in all, 7.5 of them not the driver's
    assert decision_budget(250.0, 2.5) == 7.5
    assert decision_budget(250.0, 2.5, target=1.0, cores=1.0) == 1.5


def test_each_hot_event_is_compared_with_the_bare_loop_before_it() -> None:
    rows = [
        {"pair": 1, "what": "bare", "per_s": 250.0, "cpu_ms": {"driver": 3.0, "bare": 0.8, "ferretdb": 0.5}},
        {"pair": 1, "what": "hot event", "per_s": 125.0, "answered": 300,
         "cpu_ms": {"driver": 2.5, "community": 3.6, "ferretdb": 3.5}},
        {"pair": 2, "what": "bare", "per_s": 200.0, "cpu_ms": {"driver": 4.0, "bare": 1.0, "ferretdb": 0.5}},
        {"pair": 2, "what": "hot event", "per_s": 150.0, "answered": 299,
         "cpu_ms": {"driver": 3.0, "community": 3.0, "ferretdb": 3.0}},
    ]  # fmt: skip
    lines = hot_event_lines(rows)
    table = [line for line in lines if line.startswith("| ")]
    assert (
        table[0] == "| pair | what | per s | ÷ bare | driver | system | budget at 0.8 | bare | community | ferretdb |"
    )
    assert lines[lines.index(table[0]) + 1] == "|---" * 10 + "|"
    assert table[1] == "| 1 | bare | 250.0 |  | 3.0 | 1.3 |  | 0.8 |  | 0.5 |"
    assert table[2] == "| 1 | hot event | 125.0 | 0.5 | 2.5 | 7.1 | 7.5 |  | 3.6 | 3.5 |"
    assert table[4] == "| 2 | hot event | 150.0 | 0.75 | 3.0 | 6.0 | 9.5 |  | 3.0 | 3.0 |"
    assert lines[-1] == "Not every registration was answered 201 (of 300): pair 2: 299."
    assert hot_event_lines([]) == []
