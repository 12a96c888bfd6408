"""The KPI functions on facts, without infrastructure: the seeded scenario against the brute-force
pass, and the rules that are easy to get wrong (local dates, duplicates, empty denominators)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from insights_brute_force import assert_same, kpis
from insights_scenario import build, kpi_scopes, local

from insights.domain import charts
from insights.domain.facts import Fact
from insights.domain.kpis import BY_NAME, Scope, compute, rows
from parkgrid.envelope import Envelope

SCENARIO = build()
NOW = datetime.now(UTC)


def facts_of(envelopes: list[Envelope]) -> list[Fact]:
    return [Fact(e.id, e.type, e.subject, e.sequence, e.time, e.data) for e in envelopes]


SCOPES = [*kpi_scopes(NOW), (date(2026, 9, 3), date(2026, 9, 3), NOW, None)]


@pytest.mark.parametrize(("first", "last", "as_of", "site"), SCOPES)
def test_scenario_kpis_equal_the_brute_force_pass(first: date, last: date, as_of: datetime, site: str | None) -> None:
    expected = kpis(SCENARIO.envelopes, first, last, as_of, site)
    actual = compute(facts_of(SCENARIO.envelopes), Scope(first, last, as_of, site))
    assert_same(actual, expected)
    assert actual["bookings"] > 0 or last == first


def test_every_fact_twice_changes_nothing() -> None:
    facts = facts_of(SCENARIO.envelopes)
    scope = Scope(date(2026, 9, 1), date(2026, 9, 30), NOW)
    assert compute(facts + list(reversed(facts)), scope) == compute(facts, scope)


def test_a_session_is_counted_on_its_local_date() -> None:
    """00:30 in Casablanca on 1 September is still 31 August in UTC."""
    starts = local(date(2026, 9, 1), 0, 30)
    assert starts.date() == date(2026, 8, 31)
    booking = next(e for e in SCENARIO.envelopes if e.type.endswith("booking.confirmed"))
    data = {
        **booking.data,
        "session": {"starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=1)).isoformat()},
    }
    fact = Fact("x", booking.type, "bk-x", 1, starts - timedelta(days=1), data)
    september = compute([fact], Scope(date(2026, 9, 1), date(2026, 9, 1), NOW))
    august = compute([fact], Scope(date(2026, 8, 31), date(2026, 8, 31), NOW))
    assert (september["bookings"], august["bookings"]) == (1, 0)


def test_nothing_to_measure_is_no_rate_rather_than_zero() -> None:
    empty = compute([], Scope(date(2026, 9, 1), date(2026, 9, 30), NOW))
    assert empty["bookings"] == 0
    assert empty["confirmation_rate"] is None
    assert empty["event_fill_rate"] is None
    assert empty["occupancy"] == {}


def test_rows_and_charts_cover_every_kpi() -> None:
    result = compute(facts_of(SCENARIO.envelopes), Scope(date(2026, 9, 1), date(2026, 9, 30), NOW))
    names = {kpi for kpi, _, _ in rows(result)}
    assert names == set(BY_NAME)
    for name in BY_NAME:
        svg = charts.render(name, result[name], "network <all> & more")
        assert svg.startswith("<svg")
        assert svg.endswith("</svg>")
        assert "&lt;all&gt; &amp; more" in svg
