"""Waitlist promotion applies every rule of a booking again (in-memory office, `make test-unit`):
a member no longer eligible (cohort) leaves the line with `WaitlistLeft` and the next is promoted;
a cohort outside the offering's is refused at booking (403); nothing is promoted into a session
the site can no longer host.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from bookings_fakes import InMemoryOffice, KnownFacts
from bookings_support import SITE, local, offering

from bookings.domain.booking import Actor, MemberFacts, NotEligible
from bookings.domain.slots import session_key
from bookings.service_layer.commands import BookCommand
from parkgrid.contracts.bookings import BookingStatus

NOW = datetime(2026, 11, 10, 8, 0, tzinfo=UTC)
SESSION = local(NOW.date() + timedelta(days=3), 10)
COHORT = "2026-A"
MEMBERS = [
    MemberFacts(f"m-{n}", f"Startup {n}", "startup", "incubation", True, SITE, (f"p-{n}",), COHORT) for n in range(3)
]


def office() -> InMemoryOffice:
    cohort_only = offering(eligibility={"member_kinds": [], "stages": [], "cohorts": [COHORT]})
    return InMemoryOffice(KnownFacts([cohort_only], MEMBERS, {SITE: "Africa/Casablanca"}), NOW)


def command(n: int) -> BookCommand:
    return BookCommand(f"b-{n}", "off-test-mentoring", f"m-{n}", None, SESSION, 1, True, Actor("member", f"p-{n}"))


async def test_a_member_no_longer_eligible_leaves_the_line_and_the_next_is_promoted() -> None:
    desk = office()
    for n in range(3):
        await desk.book(command(n))
    desk.known.members["m-1"] = replace(MEMBERS[1], cohort="2025-B")
    await desk.cancel("b-0", Actor("member", "p-0"))
    left = await desk.waitlist.get("wl-b-1")
    promoted = await desk.waitlist.get("wl-b-2")
    assert left is not None
    assert promoted is not None
    assert (left["status"], promoted["status"]) == ("left", "promoted")
    [*_, event] = await desk.waitlist.store.outbox("wl-b-1")
    assert event["envelope"]["type"] == "parkgrid.bookings.waitlist.left"
    assert event["envelope"]["data"]["reason"] == "no_longer_eligible"
    found = await desk.bookings.get("b-2")
    assert found is not None
    assert found[0].status == BookingStatus.CONFIRMED
    # m-1's place in the session is free again: it may book another time, or this one.
    assert await desk.seats.sessions.place(session_key("off-test-mentoring", SESSION), "m-1") is None


async def test_a_cohort_outside_the_offering_is_refused() -> None:
    desk = office()
    desk.known.members["m-0"] = replace(MEMBERS[0], cohort=None)
    with pytest.raises(NotEligible, match="cohorts 2026-A"):
        await desk.book(command(0))


async def test_nothing_is_promoted_into_a_session_the_site_cannot_host() -> None:
    desk = office()
    for n in range(2):
        await desk.book(command(n))
    desk.known.sites.closed[SITE] = "the site is closed"
    await desk.cancel("b-0", Actor("member", "p-0"))
    waiting = await desk.waitlist.get("wl-b-1")
    assert waiting is not None
    assert waiting["status"] == "waiting"
    assert await desk.bookings.get("b-1") is None
