"""Visits: the front desk records someone who came to a session that has begun (no booking, or the
desk books after the fact). The pure rule (staff only, begun, within a day; an approval offering
needs none; secured means checked in at once), and over the HTTP app and the real store: the desk
sees the sessions begun and records one, a member is refused both, a session ahead is refused as a
visit, and five desks recording five members into a one-seat session at once give one visit; with
the real spaces in-process, a visit to a room offering holds its room for that past hour (the saga).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from bookings_support import (
    CASABLANCA,
    MEETING_ROOM,
    MEMBER,
    SITE,
    a_booking,
    bearer,
    eventually,
    http_client,
    member,
    now,
    offering,
    open_site,
    project,
    site,
    staff_reservation,
)
from bookings_support import running as started

from bookings.bootstrap import BookingsSettings, build_app
from bookings.domain import booking as lifecycle
from bookings.domain.booking import Actor, InvalidBooking
from bookings.domain.happened import BookingSecured
from bookings.domain.slots import sessions_begun
from bookings.service_layer.seating import pending_booking
from bookings.service_layer.service import BookingService
from parkgrid.auth import Role, issue_token
from parkgrid.contracts.bookings import BookingStatus
from parkgrid.contracts.catalogue import ApprovalRule, OfferingPublished
from parkgrid.contracts.spaces import SiteRegistered
from parkgrid.contracts.topics import TOPICS
from parkgrid.settings import KitSettings
from parkgrid.testing.plugin import CreateTopics
from spaces.bootstrap import build_app as build_spaces
from spaces.service_layer.handlers import Reservations

pytest_plugins = ["bookings_fixtures"]

NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
DESK = Actor("front_desk", "desk-1")


def clinic() -> OfferingPublished:
    """An offering whose bookings wait for staff within 24 hours."""
    plain = offering("off-test-mentoring")
    approval = ApprovalRule(decide_within_hours=24)
    return plain.model_copy(update={"rules": plain.rules.model_copy(update={"approval": approval})})


def test_a_visit_is_the_desks_record_of_a_session_begun_within_a_day() -> None:
    plain = offering()
    begun, ahead = NOW - timedelta(hours=2), NOW + timedelta(hours=2)
    lifecycle.check_rules(plain, begun, 1, NOW, walk_in=True, visit=True)
    lifecycle.check_rules(plain, NOW, 1, NOW, walk_in=True, visit=True)  # beginning now
    refusals = [
        ((begun, False), "attended"),  # a member
        ((ahead, True), "starts_at"),  # not begun: a booking, not a visit
        ((NOW - lifecycle.VISIT_WITHIN - timedelta(minutes=1), True), "starts_at"),  # too long ago
    ]
    for (starts_at, walk_in), field in refusals:
        with pytest.raises(InvalidBooking) as refused:
            lifecycle.check_rules(plain, starts_at, 1, NOW, walk_in=walk_in, visit=True)
        assert refused.value.field == field
    with pytest.raises(InvalidBooking):  # and without `visit` a begun session stays refused to all
        lifecycle.check_rules(plain, begun, 1, NOW, walk_in=True)


def test_a_visit_is_confirmed_and_checked_in_at_once_and_needs_no_approval() -> None:
    starts_at = NOW - timedelta(hours=1)
    fields = {
        "booking_id": "b-visit",
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(hours=1),
        "member_id": MEMBER,
        "person_id": "p-1",
        "party_size": 1,
        "booked_by": DESK,
    }
    waiting = pending_booking(clinic(), "Africa/Casablanca", NOW, **fields)
    assert waiting.decide_by is not None  # a booking of it would wait for staff
    visit = pending_booking(clinic(), "Africa/Casablanca", NOW, **fields, visit=True)
    assert visit.decide_by is None
    secured, happened = lifecycle.open_booking(visit, NOW)
    assert [type(e).__name__ for e in happened] == ["BookingSecured", "MemberArrived"]
    assert (secured.status, secured.confirmed_at, secured.checked_in_at) == (BookingStatus.CHECKED_IN, NOW, NOW)
    confirmed = happened[0]
    assert isinstance(confirmed, BookingSecured)
    assert confirmed.booking.status == BookingStatus.CONFIRMED  # booking.confirmed, then booking.checked_in
    assert lifecycle.release_no_show(secured, 10, NOW + timedelta(minutes=20)) == (secured, [])
    done, _ = lifecycle.settle(secured, secured.ends_at)
    assert done.status == BookingStatus.COMPLETED
    plain, _ = lifecycle.open_booking(a_booking(starts_at, NOW), NOW)
    assert plain.status == BookingStatus.CONFIRMED  # what is not a visit is not checked in


def test_the_sessions_a_desk_may_record_are_those_begun_within_a_day() -> None:
    day = NOW.astimezone(CASABLANCA).date()
    begun = sessions_begun(offering(), "Africa/Casablanca", day - timedelta(days=1), day, NOW)
    assert begun
    assert all(NOW - lifecycle.VISIT_WITHIN <= s.starts_at <= NOW for s in begun)
    assert sessions_begun(offering(), "Africa/Casablanca", day + timedelta(days=1), day + timedelta(days=1), NOW) == []


async def open_all_day(service: BookingService, seats: int) -> None:
    """The test site open round the clock with a 15-minute session every quarter, so whatever the
    hour the suite runs at, a session has begun (but in the first seconds after local midnight)."""
    always = site().model_dump(mode="json")
    always["opening_hours"] = [{"weekday": d, "opens": "00:00", "closes": "23:59"} for d in range(1, 8)]
    quarters = [{"weekday": d, "opens": "00:00", "closes": "23:45"} for d in range(1, 8)]
    await project(
        service,
        SiteRegistered.model_validate(always),
        offering(availability=quarters, session_minutes=15, seats_per_session=seats),
        *(member(f"member-visit-{n}") for n in range(5)),
        member(),
    )


async def begun_slots(client: httpx.AsyncClient, token: str) -> httpx.Response:
    today = now().astimezone(CASABLANCA).date()
    params = {"from": (today - timedelta(days=1)).isoformat(), "to": today.isoformat(), "begun": "true"}
    return await client.get("/v1/offerings/off-test-mentoring/slots", params=params, headers=bearer(token))


def visit_body(starts_at: str, member_id: str = MEMBER, attended: bool = True) -> dict[str, object]:
    return {"offering_id": "off-test-mentoring", "member_id": member_id, "starts_at": starts_at, "attended": attended}


async def test_the_desk_records_a_visit_to_a_begun_session_and_a_member_may_not(
    client: httpx.AsyncClient, service: BookingService, tokens: dict[str, str]
) -> None:
    await open_all_day(service, seats=3)
    asked = now()  # the app answers as of a moment between these two
    offered = await begun_slots(client, tokens["desk"])
    moment = now()
    assert offered.status_code == 200, offered.text
    items = offered.json()["items"]
    assert items, "a session has begun today or yesterday"
    assert all(asked - timedelta(days=1) <= datetime.fromisoformat(s["starts_at"]) <= moment for s in items)
    refused = await begun_slots(client, tokens["member"])
    assert refused.status_code == 403, refused.text
    assert refused.json()["errors"][0]["field"] == "begun"

    latest = items[-1]["starts_at"]
    recorded = await client.post(
        "/v1/bookings", json=visit_body(latest), headers=bearer(tokens["desk"], **{"Idempotency-Key": "visit-1"})
    )
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["status"] == "checked_in"
    assert recorded.json()["checked_in_at"] is not None
    again = await client.post(
        "/v1/bookings", json=visit_body(latest), headers=bearer(tokens["desk"], **{"Idempotency-Key": "visit-1"})
    )
    assert (again.status_code, again.json()["booking_id"]) == (201, recorded.json()["booking_id"])
    after = await begun_slots(client, tokens["desk"])
    seats_left = {s["starts_at"]: s["remaining"] for s in after.json()["items"]}
    assert seats_left[latest] == 2  # the visit holds its seat

    by_member = await client.post(
        "/v1/bookings", json=visit_body(latest), headers=bearer(tokens["member"], **{"Idempotency-Key": "visit-2"})
    )
    assert by_member.status_code == 403, by_member.text
    assert by_member.json()["errors"][0]["field"] == "attended"
    ahead = (datetime.fromisoformat(latest) + timedelta(minutes=30)).isoformat()
    not_begun = await client.post(
        "/v1/bookings",
        json=visit_body(ahead, "member-visit-0"),
        headers=bearer(tokens["desk"], **{"Idempotency-Key": "visit-3"}),
    )
    assert not_begun.status_code == 422, not_begun.text
    assert not_begun.json()["errors"][0]["field"] == "starts_at"


async def test_five_desks_recording_visits_to_a_one_seat_session_at_once_record_one(
    client: httpx.AsyncClient, service: BookingService, tokens: dict[str, str]
) -> None:
    """A visit is a booking: the session's seat guard decides it, so the session never holds more
    than its seats, however many desks record at once (the guard removed, all five would pass)."""
    await open_all_day(service, seats=1)
    latest = (await begun_slots(client, tokens["desk"])).json()["items"][-1]["starts_at"]

    async def record(n: int) -> httpx.Response:
        headers = bearer(tokens["desk"], **{"Idempotency-Key": f"visit-race-{n}"})
        return await client.post("/v1/bookings", json=visit_body(latest, f"member-visit-{n}"), headers=headers)

    answers = await asyncio.gather(*(record(n) for n in range(5)))
    codes = sorted(a.status_code for a in answers)
    assert codes == [201, 409, 409, 409, 409], [a.text for a in answers]
    assert next(a for a in answers if a.status_code == 201).json()["status"] == "checked_in"


async def test_a_visit_to_a_room_offering_holds_the_room_for_that_past_hour(
    settings: BookingsSettings, spaces_settings: KitSettings, create_topics: CreateTopics
) -> None:
    await create_topics([t for t in TOPICS if t.name.startswith("spaces.")])
    async with started(build_app(settings)) as app, started(build_spaces(spaces_settings)) as spaces:
        service: BookingService = app.state.components[BookingService]
        await open_site(spaces, rooms=1, hours=("00:00", "23:59"))
        quarters = [{"weekday": d, "opens": "00:00", "closes": "23:45"} for d in range(1, 8)]
        room = offering("off-room", space_requirement=MEETING_ROOM, availability=quarters, session_minutes=15)
        await project(service, room, member())
        desk = bearer(issue_token(settings, role=Role.FRONT_DESK, subject="desk-1", sites=[SITE]))
        today = now().astimezone(CASABLANCA).date().isoformat()
        async with http_client(app) as client:

            async def begun() -> list[dict[str, Any]]:  # once bookings has learnt the room from spaces
                got = await client.get(
                    "/v1/offerings/off-room/slots", params={"from": today, "to": today, "begun": "true"}, headers=desk
                )
                assert got.status_code == 200, got.text
                items: list[dict[str, Any]] = got.json()["items"]
                return items

            latest = (await eventually(begun, within=30))[-1]
            body = {"offering_id": "off-room", "member_id": MEMBER, "starts_at": latest["starts_at"], "attended": True}
            made = await client.post(
                "/v1/bookings", json=body, headers={**desk, "Prefer": "wait=25", "Idempotency-Key": "room-visit"}
            )
            assert made.status_code == 201, made.text
            assert (made.json()["status"], made.json()["space_id"]) == ("checked_in", "room-0"), made.json()
            reservations: Reservations = spaces.state.components[Reservations]
            hour = (datetime.fromisoformat(latest["starts_at"]), datetime.fromisoformat(latest["ends_at"]))
            other = await reservations.reserve(staff_reservation("walk-in-same-time", *hour))
            assert other["status"] == "refused", other  # the room is the visit's
