"""Visitors' rules, pure (no broker, no store): the days a guest may be expected, each step from
each state, repeating a step, what forgetting the guest keeps, the published events, and the
demo's plan of today's guests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest

from parkgrid.contracts.common import Actor, WeeklyWindow
from parkgrid.contracts.spaces import VisitArrived, VisitCancelled, VisitExpected, VisitLeft, VisitStatus
from parkgrid.domain import DomainEvent
from spaces.domain.happened import Document
from spaces.domain.sites import Site
from spaces.domain.visits import (
    GuestArrived,
    Visit,
    VisitRefused,
    arrive,
    cancel,
    day_refusal,
    erase,
    leave,
    register,
)
from spaces.seed_visits import desk_steps, plan
from spaces.service_layer.publication import publication

TODAY = date(2026, 12, 1)
NOON = datetime(2026, 12, 1, 11, 5, tzinfo=UTC)
HOST = Actor(role="member", subject="p-1")
DESK = Actor(role="front_desk", subject="desk-1")


def expected(day: date = TODAY) -> Document:
    state, _ = register(
        Visit(
            visit_id="v-1",
            site_id="site-rabat",
            day=day,
            time_zone="Africa/Casablanca",
            expected_at="10:30",
            member_id="m-1",
            host_person_id="p-1",
            guest_name="Salma Idrissi",
            guest_company=None,
            registered_by=HOST,
        )
    )
    return {**state, "_id": "v-1", "version": 1}


def made(doc: Document, change: tuple[Document, list[DomainEvent]] | None) -> Document:
    assert change is not None
    return {**doc, **change[0]}


def test_a_guest_is_expected_from_today_to_a_year_ahead() -> None:
    assert day_refusal(TODAY, TODAY) is None
    assert day_refusal(date(2027, 12, 2), TODAY) is None
    assert day_refusal(date(2026, 11, 30), TODAY) == "2026-11-30 is past at this site (today is 2026-12-01)"
    assert day_refusal(date(2027, 12, 3), TODAY) is not None


def test_expected_arrived_left_and_each_step_once() -> None:
    doc = expected()
    with pytest.raises(VisitRefused, match="not arrived"):
        leave(doc, NOON)
    change = arrive(doc, NOON, TODAY)
    assert change is not None
    assert change[0] == {"status": "arrived", "arrived_at": "2026-12-01T11:05:00Z"}
    assert isinstance(change[1][0], GuestArrived)
    assert change[1][0].visit["guest_name"] == "Salma Idrissi"  # the event carries the whole visit
    arrived = made(doc, change)
    assert arrive(arrived, NOON, TODAY) is None  # a second check-in changes nothing
    with pytest.raises(VisitRefused, match="can no longer be cancelled"):
        cancel(arrived, HOST)
    gone = made(arrived, leave(arrived, NOON))
    assert (gone["status"], gone["left_at"]) == ("left", "2026-12-01T11:05:00Z")
    assert leave(gone, NOON) is None
    assert arrive(gone, NOON, TODAY) is None


def test_only_on_its_day_and_never_once_cancelled() -> None:
    tomorrow = expected(date(2026, 12, 2))
    with pytest.raises(VisitRefused, match="expected on 2026-12-02") as refused:
        arrive(tomorrow, NOON, TODAY)
    assert refused.value.kind == "conflict"
    cancelled = made(tomorrow, cancel(tomorrow, DESK))
    assert cancel(cancelled, HOST) is None
    with pytest.raises(VisitRefused, match="cancelled"):
        arrive(cancelled, NOON, date(2026, 12, 2))


def test_forgetting_the_guest_keeps_the_record_and_freezes_it() -> None:
    doc = expected()
    change = erase(doc)
    assert change == ({"guest_name": None, "guest_company": None, "erased": True}, [])
    forgotten = made(doc, change)
    assert erase(forgotten) is None
    assert (forgotten["status"], forgotten["member_id"], forgotten["day"]) == ("expected", "m-1", "2026-12-01")
    steps: list[Callable[[Document], object]] = [
        lambda d: arrive(d, NOON, TODAY),
        lambda d: cancel(d, HOST),
        lambda d: leave(d, NOON),
    ]
    for step in steps:
        with pytest.raises(VisitRefused, match="retention"):
            step(forgotten)


def test_each_step_is_published_as_its_contract() -> None:
    doc = expected()
    _, registered = register(
        Visit("v-1", "site-rabat", TODAY, "Africa/Casablanca", None, "m-1", "p-1", "Salma", "Fund", HOST)
    )
    arrived = arrive(doc, NOON, TODAY)
    assert arrived is not None
    left = leave(made(doc, arrived), NOON)
    cancelled = cancel(doc, DESK)
    assert left is not None
    assert cancelled is not None
    events = publication([*registered, *arrived[1], *left[1], *cancelled[1]])
    assert [type(e) for e in events] == [VisitExpected, VisitArrived, VisitLeft, VisitCancelled]
    assert events[0].status == VisitStatus.EXPECTED  # type: ignore[attr-defined]
    assert events[2].left_at is not None  # type: ignore[attr-defined]
    assert events[3].cancelled_by == DESK  # type: ignore[attr-defined]


def site(site_id: str, weekdays: range = range(1, 6)) -> Site:
    return Site.from_document(
        {
            "site_id": site_id,
            "name": site_id.title(),
            "city": "Rabat",
            "country": "MA",
            "time_zone": "Africa/Casablanca",
            "opening_hours": [WeeklyWindow(weekday=d, opens="08:30", closes="18:30").model_dump() for d in weekdays],
        }
    )


def test_the_demo_expects_three_guests_at_each_site_open_today_hosted_in_turn() -> None:
    members = [
        {"member_id": "m-b", "home_site_id": "site-rabat", "people": ["p-b1", "p-b2"]},
        {"member_id": "m-a", "home_site_id": "site-rabat", "people": ["p-a1"]},
        {"member_id": "m-c", "home_site_id": "site-oujda", "people": []},  # nobody to host
        {"member_id": "m-d", "home_site_id": "site-fes", "people": ["p-d1"]},
    ]
    sites = [site("site-rabat"), site("site-oujda"), site("site-fes", range(6, 8))]  # Fès: weekends only
    today = {"site-rabat": TODAY, "site-oujda": TODAY, "site-fes": TODAY}  # a Tuesday
    planned = plan(today, sites, members)
    assert [(p.visit_id, p.member_id, p.host_person_id, p.expected_at) for p in planned] == [
        ("seed-visit-rabat-2026-12-01-1", "m-a", "p-a1", "09:30"),
        ("seed-visit-rabat-2026-12-01-2", "m-b", "p-b1", "11:00"),
        ("seed-visit-rabat-2026-12-01-3", "m-a", "p-a1", "14:30"),
    ]
    assert plan({"site-rabat": date(2026, 12, 6)}, sites, members) == []  # a Sunday: closed


def test_a_demo_seeded_in_the_afternoon_shows_the_mornings_guests_come_and_gone() -> None:
    """Casablanca is UTC+1: the 09:30 guest came at 09:37 local (08:37 UTC) and left at 10:52."""
    members = [{"member_id": "m-a", "home_site_id": "site-rabat", "people": ["p-a1"]}]
    morning, _, afternoon = plan({"site-rabat": TODAY}, [site("site-rabat")], members)
    came, went = datetime(2026, 12, 1, 8, 37, tzinfo=UTC), datetime(2026, 12, 1, 9, 52, tzinfo=UTC)
    assert desk_steps(morning, datetime(2026, 12, 1, 8, 36, tzinfo=UTC)) == []
    assert desk_steps(morning, came) == [("arrive", came)]
    assert desk_steps(morning, NOON) == [("arrive", came), ("leave", went)]
    assert desk_steps(afternoon, NOON) == []  # expected at 14:30: still to come
