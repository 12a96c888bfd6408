"""The bookings API over the real store and broker: booking, idempotency, bad input, who may do
what, slots, and the events published."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from bookings_support import (
    MEMBER,
    OTHER_MEMBER,
    PERSON,
    SITE,
    bearer,
    envelope,
    in_days,
    member,
    offering,
    project,
    site,
)

from bookings.bootstrap import BookingsSettings, build_app
from bookings.service_layer.service import BookingService
from parkgrid.metrics import STORE_COMMANDS
from parkgrid.store import Database
from parkgrid.testing.commands import store_commands
from parkgrid.testing.http import app_client
from parkgrid.testing.topics import read_topic

pytest_plugins = ["bookings_fixtures"]


async def ready(service: BookingService) -> None:
    await project(
        service,
        site(),
        offering(),
        offering("off-test-clinic", seats_per_session=3, eligibility={"member_kinds": ["tpe"], "stages": []}),
        member(MEMBER, people=None),
        member(OTHER_MEMBER, home_site_id="site-other"),
    )


def body(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "offering_id": "off-test-mentoring",
        "member_id": MEMBER,
        "starts_at": in_days(3).isoformat(),
    }
    data.update(changes)
    return data


async def test_a_member_books_a_seat_once_and_a_retry_gets_the_same_answer(
    client: httpx.AsyncClient, service: BookingService, tokens: dict[str, str], settings: BookingsSettings
) -> None:
    await ready(service)
    headers = bearer(tokens["member"], **{"Idempotency-Key": "k-1"})
    first = await client.post("/v1/bookings", json=body(), headers=headers)
    assert first.status_code == 201, first.text
    booking = first.json()
    assert booking["status"] == "confirmed"
    assert booking["person_id"] == PERSON
    assert first.headers["Location"] == f"/v1/bookings/{booking['id']}"
    again = await client.post("/v1/bookings", json=body(), headers=headers)
    assert again.status_code == 201
    assert again.json()["id"] == booking["id"]
    assert again.headers.get("idempotent-replayed") == "true"
    other_body = await client.post("/v1/bookings", json=body(party_size=1, join_waitlist=True), headers=headers)
    assert other_body.status_code == 422
    assert other_body.json()["errors"][0]["field"] == "Idempotency-Key"
    # Another request for the same session: one booking per member per session, and the seat is gone.
    twice = await client.post("/v1/bookings", json=body(), headers=bearer(tokens["member"]))
    assert twice.status_code == 409
    slots = await client.get(
        "/v1/offerings/off-test-mentoring/slots",
        params={"from": in_days(3).date().isoformat(), "to": in_days(3).date().isoformat()},
        headers=bearer(tokens["member"]),
    )
    assert slots.status_code == 200
    by_start = {s["starts_at"]: s for s in slots.json()["items"]}
    assert by_start[in_days(3).isoformat()]["remaining"] == 0
    assert by_start[in_days(3, 11).isoformat()] == {
        "starts_at": in_days(3, 11).isoformat(),
        "ends_at": in_days(3, 12).isoformat(),
        "seats": 1,
        "remaining": 1,
    }
    assert len(by_start) == 8
    events = await read_topic(settings, "bookings.booking", until=1)
    assert [(e.type, e.subject) for e in events] == [("parkgrid.bookings.booking.confirmed", booking["id"])]
    assert events[0].data["session"]["starts_at"].startswith(in_days(3).date().isoformat())


async def test_a_keyed_booking_keeps_its_answer_and_a_repeat_gets_it_without_a_second_write(
    client: httpx.AsyncClient, service: BookingService, tokens: dict[str, str], database: Database
) -> None:
    """The booking's own insert keeps the answer: the idempotency record is not written again,
    and a repeat is answered with the first answer, byte for byte, even once the booking has
    changed (cancelled here); another body with the same key is still 422."""
    await ready(service)
    headers = bearer(tokens["member"], **{"Idempotency-Key": "k-kept"})
    completes = STORE_COMMANDS.labels("update")._value.get()
    first = await client.post("/v1/bookings", json=body(), headers=headers)
    assert first.status_code == 201, first.text
    assert STORE_COMMANDS.labels("update")._value.get() - completes == 1, "the seat guard only, no record update"
    booking_id = first.json()["id"]
    records = await database["idempotency_keys"].find({}).to_list()
    assert [r["state"] for r in records] == ["in_progress"]
    shown = await client.get(f"/v1/bookings/{booking_id}", headers=bearer(tokens["member"]))
    untimed = {k: v for k, v in first.json().items() if not k.endswith("_at")}  # the store keeps milliseconds
    assert untimed == {k: v for k, v in shown.json().items() if not k.endswith("_at")}, "kept as the route renders it"
    assert shown.json().keys() == first.json().keys()
    assert shown.headers["ETag"] == first.headers["ETag"]
    cancelled = await client.post(f"/v1/bookings/{booking_id}/cancel", json={}, headers=bearer(tokens["member"]))
    assert cancelled.status_code == 200, cancelled.text
    again = await client.post("/v1/bookings", json=body(), headers=headers)
    assert again.status_code == 201
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert (again.headers["Location"], again.headers["ETag"]) == (first.headers["Location"], first.headers["ETag"])
    other_body = await client.post("/v1/bookings", json=body(party_size=1, join_waitlist=True), headers=headers)
    assert other_body.status_code == 422
    assert other_body.json()["errors"][0]["field"] == "Idempotency-Key"
    # Waiting for the saga (`Prefer: wait`) answers after the insert: that answer is recorded as before.
    waited = bearer(tokens["member"], **{"Idempotency-Key": "k-waited", "Prefer": "wait=1"})
    later = await client.post("/v1/bookings", json=body(starts_at=in_days(3, 11).isoformat()), headers=waited)
    assert later.status_code == 201, later.text
    states = {r["state"] for r in await database["idempotency_keys"].find({}).to_list()}
    assert states == {"in_progress", "done"}
    repeated = await client.post("/v1/bookings", json=body(starts_at=in_days(3, 11).isoformat()), headers=waited)
    assert repeated.content == later.content


async def test_a_booking_writes_three_documents_in_its_request_and_the_member_s_place_is_one_with_its_seats(
    client: httpx.AsyncClient, service: BookingService, tokens: dict[str, str]
) -> None:
    """Issue 21: the member's place and the seats are one guarded write of the session's document
    (it was an insert of its own, `session_members`, before): a keyed booking's request writes its
    idempotency record, the session's seats and places, and the booking with its outbox."""
    await ready(service)
    warm = await client.post(
        "/v1/bookings", json=body(starts_at=in_days(4).isoformat()), headers=bearer(tokens["member"])
    )
    assert warm.status_code == 201, warm.text  # the offering, the site and the member read once before
    with store_commands() as commands:
        made = await client.post(
            "/v1/bookings", json=body(), headers=bearer(tokens["member"], **{"Idempotency-Key": "k-3"})
        )
    assert made.status_code == 201, made.text
    writes = [c for c in commands if c.split()[0] in ("insert", "update", "findAndModify", "delete")]
    assert writes == ["insert idempotency_keys", "update session_seats", "insert bookings"], commands
    assert len(commands) <= 5, commands  # and at most the member's and the idempotency key's reads


async def test_a_session_seen_full_refuses_a_command_with_a_fresh_id_by_one_read(
    client: httpx.AsyncClient, service: BookingService, tokens: dict[str, str]
) -> None:
    """Without an Idempotency-Key the booking's id is new, so no earlier try can have stored it:
    the refusal reads the session and nothing else. With a key it may be a retry, and the
    booking that try stored is looked for (and answered if it was)."""
    await ready(service)
    desk = bearer(tokens["desk"])
    assert (await client.post("/v1/bookings", json=body(), headers=desk)).status_code == 201  # its one seat
    other = body(member_id=OTHER_MEMBER)
    assert (await client.post("/v1/bookings", json=other, headers=desk)).status_code == 409  # now seen full
    with store_commands() as unkeyed:
        assert (await client.post("/v1/bookings", json=other, headers=desk)).status_code == 409
    assert unkeyed == ["find session_seats"], unkeyed
    with store_commands() as keyed:
        refused = await client.post("/v1/bookings", json=other, headers={**desk, "Idempotency-Key": "k-full"})
    assert refused.status_code == 409, refused.text
    assert "find bookings" in keyed, keyed


async def test_bad_input_is_refused_naming_the_problem(
    client: httpx.AsyncClient, service: BookingService, tokens: dict[str, str]
) -> None:
    await ready(service)
    desk = bearer(tokens["desk"])
    cases = [
        (body(offering_id="off-unknown"), 422, "offering_id"),
        (body(starts_at=in_days(3, 10).replace(minute=30).isoformat()), 422, "starts_at"),
        (body(starts_at=in_days(-2).isoformat()), 422, "starts_at"),
        (body(starts_at=in_days(200).isoformat()), 422, "starts_at"),
        (body(party_size=0), 422, "party_size"),
        (body(party_size=2), 422, "party_size"),
        (body(colour="blue"), 422, "colour"),
        (body(starts_at="tomorrow"), 422, "starts_at"),
        (body(member_id="member-nobody"), 422, "member_id"),
        (body(person_id="person-stranger"), 422, "person_id"),
        (body(offering_id="off-test-clinic"), 403, "member_id"),
    ]
    for payload, status, field in cases:
        response = await client.post("/v1/bookings", json=payload, headers=desk)
        assert response.status_code == status, (payload, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert field in {e["field"] for e in response.json()["errors"]}, response.json()
    huge = await client.post(
        "/v1/bookings",
        content=b'{"x": "' + b"a" * 2_000_000 + b'"}',
        headers={**desk, "content-type": "application/json"},
    )
    assert huge.status_code == 413


async def test_who_may_see_and_do_what(
    client: httpx.AsyncClient, service: BookingService, tokens: dict[str, str]
) -> None:
    await ready(service)
    made = await client.post("/v1/bookings", json=body(), headers=bearer(tokens["desk"]))
    assert made.status_code == 201, made.text
    booking_id = made.json()["id"]
    assert made.json()["booked_by"] == {"role": "front_desk", "subject": "desk-1"}
    other = bearer(tokens["other_member"])
    assert (await client.get(f"/v1/bookings/{booking_id}", headers=other)).status_code == 404
    assert (await client.post(f"/v1/bookings/{booking_id}/cancel", json={}, headers=other)).status_code == 404
    assert (await client.post("/v1/bookings", json=body(), headers=other)).status_code == 403
    assert (await client.get(f"/v1/bookings/{booking_id}", headers=bearer(tokens["member"]))).status_code == 200
    member = bearer(tokens["member"])
    # a member checks itself in (its own organisation's booking) inside the window: days early, 409
    assert (await client.post(f"/v1/bookings/{booking_id}/check-in", headers=member)).status_code == 409
    assert (await client.post(f"/v1/bookings/{booking_id}/check-in", headers=other)).status_code == 404
    assert (await client.get(f"/v1/sites/{SITE}/day", headers=member)).status_code == 403
    elsewhere = bearer(tokens["other_desk"])
    assert (await client.get(f"/v1/bookings/{booking_id}", headers=elsewhere)).status_code == 404
    assert (await client.post(f"/v1/bookings/{booking_id}/cancel", json={}, headers=elsewhere)).status_code == 403
    assert (await client.get(f"/v1/sites/{SITE}/day", headers=elsewhere)).status_code == 403
    assert (
        await client.post("/v1/bookings", json=body(starts_at=in_days(4).isoformat()), headers=elsewhere)
    ).status_code == 403
    assert (await client.get(f"/v1/members/{MEMBER}/history", headers=other)).status_code == 404
    listed = await client.get("/v1/bookings", params={"member_id": MEMBER}, headers=other)
    assert listed.json()["items"] == []
    mine = await client.get("/v1/bookings", headers=member)
    assert [b["id"] for b in mine.json()["items"]] == [booking_id]
    assert (await client.get("/v1/bookings", headers={})).status_code == 401
    override = await client.post(f"/v1/bookings/{booking_id}/cancel", json={"override": True}, headers=member)
    assert override.status_code == 403


async def test_published_offerings_only_and_the_time_zone_of_the_site(
    client: httpx.AsyncClient, service: BookingService, tokens: dict[str, str]
) -> None:
    await project(service, site(SITE, zone="Europe/Paris"), offering(), offering("off-draft", status="withdrawn"))
    member = bearer(tokens["member"])
    day = in_days(5).date().isoformat()
    slots = await client.get("/v1/offerings/off-test-mentoring/slots", params={"from": day, "to": day}, headers=member)
    assert slots.json()["time_zone"] == "Europe/Paris"
    assert slots.json()["items"][0]["starts_at"].startswith(f"{day}T09:00:00+01:00")
    withdrawn = await client.get("/v1/offerings/off-draft/slots", headers=member)
    assert withdrawn.json()["items"] == []
    assert (await client.get("/v1/offerings/off-none/slots", headers=member)).status_code == 404
    wide = await client.get(
        "/v1/offerings/off-test-mentoring/slots",
        params={"from": day, "to": (in_days(5) + timedelta(days=100)).date().isoformat()},
        headers=member,
    )
    assert wide.status_code == 422
    assert wide.json()["errors"][0]["field"] == "to"
    # What this process just read is kept a moment, but a change it applies is seen at once.
    moved = site(SITE, zone="Africa/Casablanca")
    await service.projections.sites.apply(envelope(moved, SITE, sequence=2), moved)
    closed = offering(status="withdrawn")
    await service.projections.offerings.apply(envelope(closed, closed.offering_id, sequence=2), closed)
    after = await client.get("/v1/offerings/off-test-mentoring/slots", params={"from": day, "to": day}, headers=member)
    assert (after.json()["time_zone"], after.json()["items"]) == ("Africa/Casablanca", [])


async def test_a_member_sending_too_many_booking_commands_gets_429_with_retry_after(
    settings: BookingsSettings, tokens: dict[str, str]
) -> None:
    limited = settings.model_copy(update={"self_booking_per_minute": 1.0, "self_booking_burst": 2})
    application = build_app(limited)
    member = {"Authorization": f"Bearer {tokens['member']}"}
    body = {"offering_id": "no-such-offering", "member_id": MEMBER, "starts_at": "2030-01-07T10:00:00+01:00"}
    async with application.router.lifespan_context(application), app_client(application, "bookings") as http:
        answers = [await http.post("/v1/bookings", json=body, headers=member) for _ in range(3)]
        staff = await http.post("/v1/bookings", json=body, headers={"Authorization": f"Bearer {tokens['desk']}"})
    assert [a.status_code != 429 for a in answers] == [True, True, False], [a.text for a in answers]
    assert int(answers[2].headers["Retry-After"]) >= 1
    assert answers[2].headers["content-type"] == "application/problem+json"
    assert staff.status_code != 429
