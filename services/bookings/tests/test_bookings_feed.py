"""The iCalendar feed through the real stack (HTTP app, store, Kafka): an organisation's and a
person's, with bookings, community event registrations (community.event / .registration) and
residencies (spaces.residency, all-day); `SEQUENCE` grows when an entry changes; from a week
ago, soonest first (the service's clock); links rotate (the old one 404) and are revoked (404);
concurrent first asks share one link."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from bookings_support import (
    MEMBER,
    SITE,
    bearer,
    envelope,
    eventually,
    in_days,
    member,
    offering,
    project,
    publish,
    site,
)

from bookings.bootstrap import BookingsSettings
from bookings.service_layer.service import BookingService
from parkgrid.contracts.community import (
    CommunityEventPublished,
    CommunityEventRescheduled,
    Person,
    RegistrationConfirmed,
)
from parkgrid.contracts.spaces import ResidencyStarted, SpaceAdded
from parkgrid.contracts.topics import topic
from parkgrid.testing.plugin import CreateTopics

pytest_plugins = ["bookings_fixtures"]

PERSON_1, PERSON_2 = "person-acme-1", "person-acme-2"


@pytest.fixture
async def settings(settings: BookingsSettings, create_topics: CreateTopics) -> BookingsSettings:
    await create_topics(
        [topic(n) for n in ("spaces.space", "spaces.residency", "community.event", "community.registration")]
    )
    return settings


def people() -> list[Person]:
    return [
        Person(person_id=p, name=p, email=f"{p}@example.ma", role="CEO" if p == PERSON_1 else "CTO")
        for p in (PERSON_1, PERSON_2)
    ]


def event(starts_at: datetime, **changes: Any) -> dict[str, Any]:
    return {
        "event_id": "evt-demo",
        "site_id": SITE,
        "kind": "workshop",
        "mode": "in_person",
        "title": {"fr": "Atelier pitch", "en": "Pitch workshop"},
        "description": {"fr": "Pitcher", "en": "Pitching"},
        "time": {"starts_at": starts_at.isoformat(), "ends_at": (starts_at + timedelta(hours=2)).isoformat()},
        "time_zone": "Africa/Casablanca",
        "capacity": 40,
        "audience": {},
        "status": "published",
    } | changes


def registration(registration_id: str, person_id: str, starts_at: datetime) -> RegistrationConfirmed:
    return RegistrationConfirmed.model_validate(
        {
            "registration_id": registration_id,
            "event_id": "evt-demo",
            "member_id": MEMBER,
            "person_id": person_id,
            "status": "confirmed",
            "registered_at": datetime.now(UTC).isoformat(),
            "registered_by": {"role": "member", "subject": person_id},
            "event_time": {"starts_at": starts_at.isoformat(), "ends_at": (starts_at + timedelta(hours=2)).isoformat()},
            "event_title": {"fr": "Atelier pitch", "en": "Pitch workshop"},
        }
    )


def vevents(ics: str) -> dict[str, str]:
    """Each VEVENT's text by its UID."""
    found = {}
    for block in ics.split("BEGIN:VEVENT")[1:]:
        uid = re.search(r"UID:(\S+)", block)
        assert uid is not None
        found[uid.group(1)] = block.split("END:VEVENT")[0]
    return found


def sequence(block: str) -> int:
    found = re.search(r"SEQUENCE:(\d+)", block)
    assert found is not None
    return int(found.group(1))


async def feed(client: httpx.AsyncClient, path: str) -> dict[str, str]:
    got = await client.get(path)
    assert got.status_code == 200, got.text
    assert got.headers["content-type"].startswith("text/calendar")
    return vevents(got.text)


async def test_an_organisation_and_a_person_see_bookings_registrations_and_residencies(
    client: httpx.AsyncClient, service: BookingService, tokens: dict[str, str], settings: BookingsSettings
) -> None:
    await project(service, site(), offering(seats_per_session=5), member(MEMBER, people=people()))
    mine, desk = bearer(tokens["member"]), bearer(tokens["desk"])
    start = in_days(2, 10)
    mine_booking = await client.post(
        "/v1/bookings",
        json={"offering_id": "off-test-mentoring", "member_id": MEMBER, "starts_at": start.isoformat()},
        headers=mine,
    )
    assert mine_booking.status_code == 201, mine_booking.text
    booking_id = mine_booking.json()["id"]
    colleague = await client.post(
        "/v1/bookings",
        json={
            "offering_id": "off-test-mentoring",
            "member_id": MEMBER,
            "person_id": PERSON_2,
            "starts_at": in_days(2, 11).isoformat(),
        },
        headers=desk,
    )
    assert colleague.status_code == 201, colleague.text
    workshop = in_days(4, 14)
    first_day = in_days(1).date()
    office = SpaceAdded.model_validate(
        {"space_id": "office-7", "site_id": SITE, "name": "Bureau 7", "kind": "private_office", "capacity": 4}
    )
    residency = ResidencyStarted.model_validate(
        {
            "residency_id": "res-acme",
            "member_id": MEMBER,
            "site_id": SITE,
            "space_id": "office-7",
            "space_kind": "private_office",
            "seats": 4,
            "starts_on": first_day.isoformat(),
            "ends_on": (first_day + timedelta(days=89)).isoformat(),
            "status": "active",
            "allocated_by": {"role": "admin", "subject": "admin-1"},
        }
    )
    await publish(
        settings,
        [
            ("community.event", envelope(CommunityEventPublished.model_validate(event(workshop)), "evt-demo")),
            ("community.registration", envelope(registration("reg-1", PERSON_1, workshop), "reg-1")),
            ("community.registration", envelope(registration("reg-2", PERSON_2, workshop), "reg-2")),
            ("spaces.space", envelope(office, "office-7")),
            ("spaces.residency", envelope(residency, "res-acme")),
        ],
    )

    link = await client.get(f"/v1/members/{MEMBER}/calendar-feed", headers=mine)
    assert link.status_code == 200
    path = link.json()["path"]
    assert re.fullmatch(r"/v1/calendar/[A-Za-z0-9_-]+\.ics", path)

    async def everything() -> dict[str, str] | None:
        shown = await feed(client, path)
        known = {"reg-1@parkgrid", "reg-2@parkgrid", "res-acme@parkgrid"} <= set(shown)
        complete = known and "Bureau 7" in shown["res-acme@parkgrid"] and "LOCATION:" in shown["reg-1@parkgrid"]
        return shown if complete else None

    org = await eventually(everything, within=30)
    assert {f"{booking_id}@parkgrid", "reg-1@parkgrid", "reg-2@parkgrid", "res-acme@parkgrid"} <= set(org)
    assert len(org) == 5  # both bookings, both registrations, the residency
    assert f"DTSTART;TZID=Africa/Casablanca:{workshop:%Y%m%dT%H%M%S}" in org["reg-1@parkgrid"]
    assert "LOCATION:Technopark site-test" in org["reg-1@parkgrid"]
    assert f"DTSTART;VALUE=DATE:{first_day:%Y%m%d}" in org["res-acme@parkgrid"]
    assert f"DTEND;VALUE=DATE:{first_day + timedelta(days=90):%Y%m%d}" in org["res-acme@parkgrid"]
    assert "Bureau 7" in org["res-acme@parkgrid"]
    # Soonest first: the residency (tomorrow), then the bookings (in two days), then the workshop.
    assert list(org) == [
        "res-acme@parkgrid",
        f"{booking_id}@parkgrid",
        f"{colleague.json()['id']}@parkgrid",
        "reg-1@parkgrid",
        "reg-2@parkgrid",
    ]

    # A person's feed: their bookings and registrations (and the organisation's residency), no colleague's.
    own = await client.get(f"/v1/members/{MEMBER}/calendar-feed", params={"person_id": PERSON_1}, headers=mine)
    assert own.status_code == 200
    assert own.json()["path"] != path
    person = await feed(client, own.json()["path"])
    assert set(person) == {f"{booking_id}@parkgrid", "reg-1@parkgrid", "res-acme@parkgrid"}

    # SEQUENCE grows when an entry changes: the event rescheduled, the booking cancelled.
    before = org["reg-1@parkgrid"]
    later = workshop + timedelta(days=1)
    moved = CommunityEventRescheduled.model_validate(event(later) | {"previous_time": event(workshop)["time"]})
    await publish(settings, [("community.event", envelope(moved, "evt-demo", 2))])

    async def rescheduled() -> dict[str, str] | None:
        shown = await feed(client, path)
        return shown if f"{later:%Y%m%dT%H%M%S}" in shown["reg-1@parkgrid"] else None

    after = await eventually(rescheduled, within=30)
    assert sequence(after["reg-1@parkgrid"]) > sequence(before)
    booked = sequence(after[f"{booking_id}@parkgrid"])
    cancelled = await client.post(f"/v1/bookings/{booking_id}/cancel", json={}, headers=mine)
    assert cancelled.status_code == 200, cancelled.text
    now_shown = (await feed(client, path))[f"{booking_id}@parkgrid"]
    assert "STATUS:CANCELLED" in now_shown
    assert sequence(now_shown) > booked

    # From a week ago (the service's clock): a fortnight on, the bookings and the workshop are gone.
    service.clock = lambda: datetime.now(UTC) + timedelta(days=14)
    try:
        assert set(await feed(client, path)) == {"res-acme@parkgrid"}
    finally:
        service.clock = lambda: datetime.now(UTC)


async def test_a_feed_link_rotates_and_is_revoked(
    client: httpx.AsyncClient, service: BookingService, tokens: dict[str, str]
) -> None:
    await project(service, site(), offering(), member(MEMBER, people=people()))
    mine = bearer(tokens["member"])
    url = f"/v1/members/{MEMBER}/calendar-feed"
    old = (await client.get(url, headers=mine)).json()["path"]
    assert (await client.get(old)).status_code == 200

    rotated = await client.post(f"{url}/rotate", headers=mine)
    assert rotated.status_code == 200
    new = rotated.json()["path"]
    assert new != old
    assert (await client.get(old)).status_code == 404
    assert (await client.get(new)).status_code == 200
    assert (await client.get(url, headers=mine)).json()["path"] == new

    # A person's link is its own: rotating or revoking it leaves the organisation's as it is.
    persons = (await client.get(url, params={"person_id": PERSON_2}, headers=mine)).json()["path"]
    assert (await client.delete(url, params={"person_id": PERSON_2}, headers=mine)).status_code == 204
    assert (await client.get(persons)).status_code == 404
    assert (await client.get(new)).status_code == 200

    assert (await client.delete(url, headers=mine)).status_code == 204
    assert (await client.get(new)).status_code == 404
    fresh = (await client.get(url, headers=mine)).json()["path"]
    assert fresh not in (old, new)
    assert (await client.get(fresh)).status_code == 200

    # Who may not see the organisation: 404; a person not of it, or no id: 422 naming query.person_id.
    other = bearer(tokens["other_member"])
    assert (await client.post(f"{url}/rotate", headers=other)).status_code == 404
    assert (await client.delete(url, headers=other)).status_code == 404
    assert (await client.get(fresh)).status_code == 200
    for bad in ("person-globex-1", "not an id"):
        refused = await client.get(url, params={"person_id": bad}, headers=mine)
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == "query.person_id"


async def test_concurrent_first_asks_share_one_link(
    client: httpx.AsyncClient, service: BookingService, tokens: dict[str, str]
) -> None:
    """The link is made by one insert whose `_id` is the feed: of 20 racing first asks, every answer
    is the same working link (an unguarded upsert would hand out links that no longer open)."""
    await project(service, site(), offering(), member(MEMBER, people=people()))
    mine = bearer(tokens["member"])
    answers = await asyncio.gather(
        *(
            client.get(f"/v1/members/{MEMBER}/calendar-feed", params={"person_id": PERSON_1}, headers=mine)
            for _ in range(20)
        )
    )
    paths = {a.json()["path"] for a in answers}
    assert len(paths) == 1
    assert (await client.get(paths.pop())).status_code == 200
