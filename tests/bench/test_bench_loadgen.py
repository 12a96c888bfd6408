"""The load generator's pure logic: the open-loop schedule, percentiles, summaries and
ratio aggregation. No timing is asserted: these must hold on any machine."""

from __future__ import annotations

import math

import pytest

from bench.loadgen import percentile, schedule, summarize
from bench.report import aggregate, meets
from bench.system import cost


def test_schedule_is_a_constant_arrival_rate_from_the_start() -> None:
    plan = schedule(rate=4.0, count=5, start=10.0)
    assert plan == pytest.approx([10.0, 10.25, 10.5, 10.75, 11.0])
    assert schedule(rate=100.0, count=0) == []


def test_schedule_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="rate"):
        schedule(rate=0.0, count=3)
    with pytest.raises(ValueError, match="count"):
        schedule(rate=1.0, count=-1)


def test_percentile_interpolates_between_ranks_like_numpy() -> None:
    values = [1.0, 2.0, 3.0, 4.0]
    assert percentile(values, 0) == 1.0
    assert percentile(values, 100) == 4.0
    assert percentile(values, 50) == pytest.approx(2.5)
    assert percentile(values, 99) == pytest.approx(3.97)
    assert percentile([7.0], 99) == 7.0
    assert math.isnan(percentile([], 50))
    with pytest.raises(ValueError, match="q"):
        percentile(values, 101)


def test_one_slow_request_in_a_hundred_is_the_p99() -> None:
    latencies = [0.010] * 99 + [1.0]  # seconds
    summary = summarize(latencies, errors=2, duration_s=2.0, late_starts=3)
    assert summary.count == 100
    assert summary.errors == 2
    assert summary.throughput == pytest.approx(50.0)
    assert summary.p50 == pytest.approx(10.0)
    assert summary.p99 == pytest.approx(10.0 + 0.01 * 990.0)
    assert summary.max == pytest.approx(1000.0)
    assert summary.late_starts == 3
    assert "latencies_ms" not in summary.figures()


def test_an_empty_summary_has_no_figures_but_does_not_fail() -> None:
    summary = summarize([], errors=5, duration_s=1.0)
    assert summary.count == 0
    assert math.isnan(summary.p99)


def test_ratios_aggregate_to_median_and_range_ignoring_missing_rounds() -> None:
    assert aggregate([0.5, 0.9, 0.7, math.nan]) == {"median": 0.7, "min": 0.5, "max": 0.9, "rounds": 3}
    assert aggregate([]) is None
    assert meets(">=", 0.6, 0.7) is True
    assert meets("<=", 2.0, 2.5) is False
    assert meets("", math.nan, 1.0) is None


def test_cost_sums_every_process_but_the_driver() -> None:
    meter = {"wall_s": 2.0, "cpu_s": {"driver": 1.0, "kafka": 0.5, "ferretdb": 0.25, "svc": 1.25}}
    out = cost(meter, operations=500)
    assert out["system_cpu_s"] == pytest.approx(2.0)
    assert out["system_cpu_s_per_1k"] == pytest.approx(4.0)
    assert out["driver_cpu_s_per_1k"] == pytest.approx(2.0)
    assert out["complete"] is True
    restarted = cost({"wall_s": 1.0, "cpu_s": {"kafka": None, "svc": 1.0}}, operations=1000)
    assert restarted["complete"] is False


def test_store_backends_summarise_to_medians_and_postgresql_over_sqlite_per_round() -> None:
    from bench.run import stores_summary

    rounds = [
        {"sqlite": {"insert": 100.0, "guarded_inc": 50.0, "read_by_id": 200.0},
         "postgresql": {"insert": 80.0, "guarded_inc": 25.0, "read_by_id": 100.0}},
        {"sqlite": {"insert": 200.0, "guarded_inc": 50.0, "read_by_id": 100.0},
         "postgresql": {"insert": 100.0, "guarded_inc": 50.0, "read_by_id": 100.0}},
    ]  # fmt: skip
    summary = stores_summary(rounds)
    assert summary["insert"]["sqlite"] == 150.0
    assert summary["insert"]["ratio"] == {"median": 0.65, "min": 0.5, "max": 0.8, "rounds": 2}
    assert summary["guarded_inc"]["ratio"]["median"] == 0.75
    assert stores_summary([]) == {}
