"""Lifecycle and views over the real store and broker: cancellation (late, staff override),
waitlist promotion, rescheduling, check-in, the sweeper, entitlements, the site's day, history,
the iCalendar feed; and the projections fed by real events (v1 offerings upcast)."""

from __future__ import annotations

from datetime import UTC, timedelta

import httpx
from bookings_support import (
    MEMBER,
    SITE,
    bearer,
    book_each,
    envelope,
    eventually,
    in_days,
    local,
    member,
    now,
    offering,
    project,
    publish,
    same_quarter_days,
    site,
    wait_in_line,
)

from bookings.adapters.guards import seats_held
from bookings.bootstrap import BookingsSettings
from bookings.domain.entitlements import allowances_for
from bookings.domain.slots import session_key
from bookings.service_layer.service import BookingService
from parkgrid.contracts.catalogue import OfferingPublishedV1
from parkgrid.testing.topics import read_topic

pytest_plugins = ["bookings_fixtures"]


async def test_cancel_waitlist_promotion_reschedule_and_the_ledger(
    client: httpx.AsyncClient, service: BookingService, tokens: dict[str, str], settings: BookingsSettings
) -> None:
    await project(service, site(), offering(credits=2), member(MEMBER), member("member-b"))
    desk, mine = bearer(tokens["desk"]), bearer(tokens["member"])
    # The service's clock at 07:00 on a coming day, whatever the hour the suite runs at: "soon"
    # is inside the site's hours and the cancellation window, "later" outside it, in one quarter.
    day = same_quarter_days(1, 3)
    soon, later = local(day, 10), local(day + timedelta(days=3), 10)
    service.clock = lambda: local(day, 7).astimezone(UTC)
    # Within the cancellation window: late.
    [first] = await book_each(client, mine, soon, MEMBER)
    # Member B waits for the same (full) session.
    waiting = await wait_in_line(client, desk, soon, "member-b")
    assert waiting["position"] == 1
    cancelled = await client.post(f"/v1/bookings/{first}/cancel", json={"reason": "ill"}, headers=mine)
    assert cancelled.json()["late"] is True
    promoted = await client.get(f"/v1/bookings/{waiting['booking_id']}", headers=desk)
    assert promoted.status_code == 200
    assert promoted.json()["status"] == "confirmed"
    assert promoted.json()["member_id"] == "member-b"
    waitlist = await client.get("/v1/waitlist", params={"member_id": "member-b"}, headers=desk)
    assert [e["status"] for e in waitlist.json()["items"]] == ["promoted"]
    # A timely booking, rescheduled: the new seat first, then the old released.
    timely = await client.post(
        "/v1/bookings",
        json={"offering_id": "off-test-mentoring", "member_id": MEMBER, "starts_at": later.isoformat()},
        headers=mine,
    )
    moved = await client.post(
        f"/v1/bookings/{timely.json()['id']}/reschedule",
        json={"starts_at": later.replace(hour=14).isoformat()},
        headers=mine,
    )
    assert moved.status_code == 201, moved.text
    assert moved.json()["replaces"] == timely.json()["id"]
    old = await client.get(f"/v1/bookings/{timely.json()['id']}", headers=mine)
    assert (old.json()["status"], old.json()["late"]) == ("cancelled", False)
    taken = await service.seats.sessions.collection.find({"taken": {"$gt": 0}}, {"_id": 1}).to_list()
    assert len(taken) == 2  # B's promoted seat and the moved booking
    # Staff override: no late flag.
    overridden = await client.post(f"/v1/bookings/{moved.json()['id']}/cancel", json={"override": True}, headers=desk)
    assert overridden.json()["late"] is False

    # The ledger, from the booking events: 3 bookings of MEMBER confirmed at 2 credits; one late
    # cancellation (kept), two timely (restored).
    async def ledger() -> bool:
        doc = await service.ledger.collection.find_one({"member_id": MEMBER})
        return doc is not None and len(doc["consumed"]) == 3 and len(doc["restored"]) == 2

    await eventually(ledger)
    items = (await client.get(f"/v1/members/{MEMBER}/entitlements", headers=mine)).json()["items"]
    assert items[0]["category"] == "mentoring"
    assert items[0]["allowance"] == 6
    assert items[0]["remaining"] == 4
    history = await client.get(f"/v1/members/{MEMBER}/history", headers=mine)
    assert [b["status"] for b in history.json()["items"]] == ["cancelled", "cancelled", "cancelled"]
    events = await read_topic(settings, "bookings.waitlist", until=2)
    assert [e.type.rsplit(".", 1)[1] for e in events] == ["joined", "promoted"]


async def test_check_in_sweeper_site_day_and_calendar_feed(
    client: httpx.AsyncClient, service: BookingService, tokens: dict[str, str]
) -> None:
    await project(service, site(), offering(seats_per_session=5), member(MEMBER), member("member-b"))
    desk, mine = bearer(tokens["desk"]), bearer(tokens["member"])
    start = in_days(2, 10)
    ids = await book_each(client, desk, start, MEMBER, "member-b")
    too_early = await client.post(f"/v1/bookings/{ids[0]}/check-in", headers=desk)
    assert too_early.status_code == 409
    day = await client.get(f"/v1/sites/{SITE}/day", params={"date": start.date().isoformat()}, headers=desk)
    assert day.status_code == 200
    assert day.json()["hours"][0]["hour"] == "10:00"
    assert {b["member_name"] for b in day.json()["hours"][0]["bookings"]} == {f"Startup {MEMBER}", "Startup member-b"}
    # Time passes: check one in at the session, then the sweeper settles both after it.
    service.clock = lambda: start.astimezone(UTC) - timedelta(minutes=5)
    checked = await client.post(f"/v1/bookings/{ids[0]}/check-in", headers=desk)
    assert checked.json()["status"] == "checked_in"
    service.clock = lambda: start.astimezone(UTC) + timedelta(hours=2)
    assert await service.sweep() == 2
    states = [(await client.get(f"/v1/bookings/{i}", headers=desk)).json()["status"] for i in ids]
    assert states == ["completed", "no_show"]
    service.clock = now
    # The calendar feed: a secret URL, no token needed, local times in the site's zone.
    feed = await client.get(f"/v1/members/{MEMBER}/calendar-feed", headers=mine)
    path = feed.json()["path"]
    ics = await client.get(path)
    assert ics.status_code == 200
    assert ics.headers["content-type"].startswith("text/calendar")
    assert f"DTSTART;TZID=Africa/Casablanca:{start:%Y%m%dT%H%M%S}" in ics.text
    assert (await client.get("/v1/calendar/not-a-token.ics")).status_code == 404
    again = await client.get(f"/v1/members/{MEMBER}/calendar-feed", headers=mine)
    assert again.json()["path"] == path


async def test_projections_from_real_events_including_v1_offerings(
    client: httpx.AsyncClient, service: BookingService, tokens: dict[str, str], settings: BookingsSettings
) -> None:
    v2 = offering(seats_per_session=3)
    v1 = OfferingPublishedV1.model_validate(
        {**offering("off-old").model_dump(mode="json", exclude={"price"}), "price_mad": 150.0}
    )
    await publish(
        settings,
        [
            ("spaces.site", envelope(site(SITE, zone="Africa/Casablanca"), SITE)),
            ("catalogue.offering", envelope(v2, v2.offering_id)),
            ("catalogue.offering", envelope(v1, "off-old")),
            ("community.member", envelope(member(MEMBER), MEMBER, 1)),
            ("community.member", envelope(member(MEMBER, stage="acceleration"), MEMBER, 2)),
            ("community.member", envelope(member(MEMBER, stage="alumni"), MEMBER, 1)),  # late duplicate: ignored
        ],
    )

    async def projected() -> bool:
        # Both offerings: they are keyed apart, so their partitions may be applied in either order.
        got = await service.projections.member(MEMBER)
        old = await service.projections.offerings.get("off-old")
        new = await service.projections.offerings.get(v2.offering_id)
        zone = await service.projections.sites.time_zone(SITE)
        return got is not None and got.stage == "acceleration" and None not in (old, new) and zone is not None

    await eventually(projected, within=30)
    old = await service.projections.offerings.get("off-old")
    assert old is not None
    assert old.price is not None
    assert (old.price.amount_minor, old.price.currency) == (15000, "MAD")
    day = in_days(7).date().isoformat()
    slots = await client.get(
        "/v1/offerings/off-test-mentoring/slots", params={"from": day, "to": day}, headers=bearer(tokens["member"])
    )
    assert [s["remaining"] for s in slots.json()["items"]] == [3] * 8


async def test_seats_of_a_booking_never_stored_are_given_back_when_no_retry_comes(
    client: httpx.AsyncClient, service: BookingService, tokens: dict[str, str]
) -> None:
    """A process died between taking the seats and writing the booking, and the command was
    never retried: once the session has been quiet long enough, the sweeper gives them back, with
    the member's place and the allowances the booking id held."""
    await project(service, site(), offering(seats_per_session=2, credits=1), member(MEMBER), member("member-b"))
    desk = bearer(tokens["desk"])
    start = in_days(3, 11)
    kept = await client.post(
        "/v1/bookings",
        json={"offering_id": "off-test-mentoring", "member_id": "member-b", "starts_at": start.isoformat()},
        headers=desk,
    )
    assert kept.status_code == 201
    # What the dead process left: MEMBER's place and two seats for "bk-lost", no booking.
    booked, _ = await service.offering("off-test-mentoring")
    key = session_key(booked.offering_id, start)
    lost = await service.seats.sessions.seat(key, booked.offering_id, start.astimezone(UTC), 2, MEMBER, "bk-lost", 1)
    assert lost.fresh
    allowances = service.ledger.allowances
    for allowance in allowances_for(booked, MEMBER, "incubation", start.date()):
        assert await allowances.reserve(allowance, "bk-lost")
    full = await client.post(
        "/v1/bookings",
        json={"offering_id": "off-test-mentoring", "member_id": MEMBER, "starts_at": start.isoformat()},
        headers=desk,
    )
    assert full.status_code == 409

    assert await service.sweep() == 0  # too soon: a retry of the command may still come
    service.clock = lambda: now() + timedelta(minutes=11)
    assert await service.sweep() == 1
    assert await service.sweep() == 0  # once
    service.clock = now
    seats = await service.seats.sessions.get(key)
    assert seats is not None
    assert (seats["taken"], list(seats_held(seats))) == (1, [kept.json()["id"]])
    credits = await allowances.collection.find_one({"member_id": MEMBER})
    assert credits is not None
    assert (credits["used"], credits["held"], credits["holders"]) == (0, {}, [])  # its credits back too
    again = await client.post(
        "/v1/bookings",
        json={"offering_id": "off-test-mentoring", "member_id": MEMBER, "starts_at": start.isoformat()},
        headers=desk,
    )
    assert again.status_code == 201
