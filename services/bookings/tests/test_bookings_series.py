"""Recurring bookings (series), over the real store and Kafka: every occurrence is a booking
under the same seat guard and rules, each outcome is said (booked, waitlisted, refused and
why), a series interrupted midway is finished by its retry without booking twice, it is
cancelled from an occurrence on, and a series racing single bookings for the last seats
never oversells (the same race with the seat guard off does)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, date, timedelta
from typing import Any

import httpx
import pytest
from bookings_support import CASABLANCA, MEMBER, OTHER_MEMBER, bearer, in_days, member, offering, project, site
from fastapi import FastAPI
from test_bookings_concurrency import UnguardedSeats

from bookings.adapters.sessions import SessionSeats
from bookings.bootstrap import BookingsSettings, build_app
from bookings.domain.booking import InvalidBooking
from bookings.domain.series import Repeat, occurrences
from bookings.service_layer.commands import BookCommand, Outcome
from bookings.service_layer.series import SeriesDesk
from bookings.service_layer.service import BookingService
from parkgrid.auth import Role, issue_token
from parkgrid.testing.http import app_client
from parkgrid.testing.topics import read_topic

pytest_plugins = ["bookings_fixtures"]

SERIES_TYPES = {"parkgrid.bookings.series.requested", "parkgrid.bookings.series.cancelled"}


# --- the rule, pure -------------------------------------------------------------------------


def test_every_other_week_on_two_weekdays_until_a_day_keeps_the_local_hour() -> None:
    first = in_days(0).replace(year=2026, month=3, day=2, hour=10)  # a Monday, during Ramadan (+00:00)
    found = occurrences(first, "Africa/Casablanca", Repeat(2, (1, 3), until=date(2026, 3, 31)))
    local = [o.astimezone(CASABLANCA) for o in found]
    assert [d.date().isoformat() for d in local] == [
        "2026-03-02", "2026-03-04", "2026-03-16", "2026-03-18", "2026-03-30",
    ]  # fmt: skip
    assert {d.hour for d in local} == {10}  # 10:00 on both sides of the offset's change (22 March)
    assert {d.utcoffset() for d in local} == {timedelta(0), timedelta(hours=1)}


def test_a_count_stops_it_and_a_rule_that_is_none_is_refused() -> None:
    first = in_days(3)
    weekday = first.astimezone(CASABLANCA).isoweekday()
    assert len(occurrences(first, "Africa/Casablanca", Repeat(1, (weekday,), count=5))) == 5
    other = weekday % 7 + 1
    with pytest.raises(InvalidBooking, match="one of the series' weekdays"):
        occurrences(first, "Africa/Casablanca", Repeat(1, (other,), count=3))
    with pytest.raises(InvalidBooking, match="either an end day"):
        occurrences(first, "Africa/Casablanca", Repeat(1, (weekday,)))
    with pytest.raises(InvalidBooking, match="at most 26"):
        occurrences(first, "Africa/Casablanca", Repeat(1, (weekday,), until=first.date() + timedelta(weeks=30)))


# --- over the real store and Kafka ----------------------------------------------------------


def series_body(weeks: int, member_id: str = MEMBER, **changes: Any) -> dict[str, Any]:
    first = in_days(7)
    return {
        "offering_id": "off-test-mentoring",
        "member_id": member_id,
        "starts_at": first.isoformat(),
        "repeat": {"every_weeks": 1, "weekdays": [first.astimezone(CASABLANCA).isoweekday()], "count": weeks},
        **changes,
    }


async def test_a_series_says_what_became_of_each_occurrence_and_is_cancelled_from_one_on(
    client: httpx.AsyncClient, service: BookingService, tokens: dict[str, str], settings: BookingsSettings
) -> None:
    # Sessions up to 22 days ahead: the fourth weekly occurrence (28 days) is past the booking horizon.
    rules = {"min_notice_minutes": 60, "max_advance_days": 22, "cancellation_window_minutes": 60}
    await project(service, site(), offering(rules=rules), member(), member(OTHER_MEMBER))
    taken = await client.post(
        "/v1/bookings",
        json={"offering_id": "off-test-mentoring", "member_id": OTHER_MEMBER, "starts_at": in_days(14).isoformat()},
        headers=bearer(tokens["other_member"]),
    )
    assert taken.status_code == 201, taken.text
    key = bearer(tokens["member"], **{"Idempotency-Key": "weekly-mentoring"})
    made = await client.post("/v1/series", json=series_body(4), headers=key)
    assert made.status_code == 201, made.text
    series = made.json()
    outcomes = [(o["outcome"], o["reason"]) for o in series["occurrences"]]
    assert outcomes == [("booked", None), ("refused", "full"), ("booked", None), ("refused", "not_bookable")]
    assert [o["status"] for o in series["occurrences"]] == ["confirmed", None, "confirmed", None]
    assert (series["booked"], series["refused"]) == (2, 2)
    assert made.headers["Location"] == f"/v1/series/{series['series_id']}"
    booked = [o["booking_id"] for o in series["occurrences"] if o["outcome"] == "booked"]
    for booking_id in booked:
        got = await client.get(f"/v1/bookings/{booking_id}", headers=bearer(tokens["member"]))
        assert got.json()["series_id"] == series["series_id"]

    again = await client.post("/v1/series", json=series_body(4), headers=key)
    assert again.json()["series_id"] == series["series_id"]
    assert await service.bookings.collection.count_documents({"member_id": MEMBER}) == 2  # nothing twice

    listed = await client.get("/v1/series", params={"member_id": MEMBER}, headers=bearer(tokens["desk"]))
    assert [s["series_id"] for s in listed.json()["items"]] == [series["series_id"]]
    unseen = await client.get(f"/v1/series/{series['series_id']}", headers=bearer(tokens["other_member"]))
    assert unseen.status_code == 404
    assert unseen.headers["content-type"] == "application/problem+json"

    third = series["occurrences"][2]["starts_at"]
    cancelled = await client.post(
        f"/v1/series/{series['series_id']}/cancel", json={"from_occurrence": third}, headers=bearer(tokens["member"])
    )
    assert cancelled.status_code == 200, cancelled.text
    after = cancelled.json()["occurrences"]
    assert [o["outcome"] for o in after] == ["booked", "refused", "cancelled", "refused"]
    assert [o["status"] for o in after] == ["confirmed", None, "cancelled", None]
    whole = await client.post(f"/v1/series/{series['series_id']}/cancel", headers=bearer(tokens["member"]))
    assert [o["outcome"] for o in whole.json()["occurrences"]] == ["cancelled", "refused", "cancelled", "refused"]
    nothing_left = await client.post(f"/v1/series/{series['series_id']}/cancel", headers=bearer(tokens["member"]))
    assert nothing_left.status_code == 409

    events = await read_topic(settings, "bookings.series", until=3, types=SERIES_TYPES)
    assert [e.type for e in events] == [
        "parkgrid.bookings.series.requested", *["parkgrid.bookings.series.cancelled"] * 2,
    ]  # fmt: skip
    assert [o["reason"] for o in events[0].data["occurrences"]] == [None, "full", None, "not_bookable"]
    assert events[1].data["cancelled_from"] is not None
    assert events[2].data["cancelled_from"] is None
    facts = await read_topic(settings, "bookings.booking", until=5, types={"parkgrid.bookings.booking.confirmed"})
    assert sorted(e.data["series_id"] or "" for e in facts) == sorted(["", *[series["series_id"]] * 2])


async def test_a_series_interrupted_midway_is_finished_by_its_retry_without_booking_twice(
    client: httpx.AsyncClient, app: FastAPI, service: BookingService, tokens: dict[str, str]
) -> None:
    await project(service, site(), offering(), member())
    desk: SeriesDesk = app.state.components[SeriesDesk]
    real_book = service.book
    calls: list[str] = []

    async def dies_after_two(command: BookCommand) -> Outcome:
        calls.append(command.booking_id)
        if len(calls) == 3:
            raise ConnectionError("the process died here")
        return await real_book(command)

    desk.office.book = dies_after_two  # type: ignore[method-assign]
    key = bearer(tokens["member"], **{"Idempotency-Key": "standing-room"})
    interrupted = await client.post("/v1/series", json=series_body(5), headers=key)
    assert interrupted.status_code >= 500
    desk.office.book = real_book  # type: ignore[method-assign]
    assert await service.bookings.collection.count_documents({}) == 2

    finished = await client.post("/v1/series", json=series_body(5), headers=key)
    assert finished.status_code == 201, finished.text
    occurrences_made = finished.json()["occurrences"]
    assert [o["outcome"] for o in occurrences_made] == ["booked"] * 5
    assert [o["booking_id"] for o in occurrences_made][:3] == calls
    assert await service.bookings.collection.count_documents({}) == 5
    assert await service.ledger.collection.database["series"].count_documents({}) == 1


async def test_a_series_moved_from_an_occurrence_on_books_the_new_times_first_then_cancels_the_old(
    client: httpx.AsyncClient, service: BookingService, tokens: dict[str, str]
) -> None:
    await project(service, site(), offering(), member())
    made = await client.post("/v1/series", json=series_body(3), headers=bearer(tokens["member"]))
    series = made.json()
    second = series["occurrences"][1]["starts_at"]
    new_first = in_days(15, hour=11)  # the day after the second occurrence, an hour later
    move = {"from_occurrence": second, "starts_at": new_first.isoformat()}
    key = bearer(tokens["member"], **{"Idempotency-Key": "move-to-wednesdays"})
    moved = await client.post(f"/v1/series/{series['series_id']}/reschedule", json=move, headers=key)
    assert moved.status_code == 201, moved.text
    assert moved.json()["moved_from"] == series["series_id"]
    assert [o["outcome"] for o in moved.json()["occurrences"]] == ["booked", "booked"]
    assert moved.json()["occurrences"][0]["starts_at"] == new_first.astimezone(UTC).isoformat().replace("+00:00", "Z")
    old = (await client.get(f"/v1/series/{series['series_id']}", headers=bearer(tokens["member"]))).json()
    assert [o["outcome"] for o in old["occurrences"]] == ["booked", "cancelled", "cancelled"]
    assert old["moved_to"] == moved.json()["series_id"]

    again = await client.post(f"/v1/series/{series['series_id']}/reschedule", json=move, headers=key)
    assert again.json()["series_id"] == moved.json()["series_id"]
    assert await service.bookings.collection.count_documents({"status": "confirmed"}) == 3
    elsewhere = bearer(tokens["member"], **{"Idempotency-Key": "move-again"})
    twice = await client.post(f"/v1/series/{series['series_id']}/reschedule", json=move, headers=elsewhere)
    assert twice.status_code == 409


@pytest.fixture
async def racing_app(settings: BookingsSettings, request: pytest.FixtureRequest) -> AsyncIterator[FastAPI]:
    application = build_app(settings, seats=SessionSeats if request.param else UnguardedSeats)
    async with application.router.lifespan_context(application):
        await asyncio.wait_for(application.state.runtime.kafka_ready.wait(), 30)
        yield application


SEATS = 2
WEEKS = 3


@pytest.mark.parametrize("racing_app", [True, False], ids=["guarded", "guard-off"], indirect=True)
async def test_series_and_single_bookings_racing_for_the_last_seats_never_oversell(
    racing_app: FastAPI, settings: BookingsSettings
) -> None:
    service: BookingService = racing_app.state.components[BookingService]
    guarded = not isinstance(service.seats.sessions, UnguardedSeats)
    series_members = [f"member-series-{n}" for n in range(4)]
    single_members = [f"member-single-{n}" for n in range(8)]
    everyone = series_members + single_members
    await project(service, site(), offering(seats_per_session=SEATS), *(member(m) for m in everyone))
    tokens = {m: issue_token(settings, role=Role.MEMBER, member_id=m, person_id=f"person-{m[7:]}-1") for m in everyone}
    sessions = [in_days(7 + 7 * week) for week in range(WEEKS)]
    async with app_client(racing_app, "bookings", timeout=120) as client:

        async def a_series(member_id: str) -> httpx.Response:
            return await client.post(
                "/v1/series", json=series_body(WEEKS, member_id), headers=bearer(tokens[member_id])
            )

        async def a_single(number: int, member_id: str) -> httpx.Response:
            body = {
                "offering_id": "off-test-mentoring",
                "member_id": member_id,
                "starts_at": sessions[number % WEEKS].isoformat(),
            }
            return await client.post("/v1/bookings", json=body, headers=bearer(tokens[member_id]))

        answers = await asyncio.gather(
            *(a_series(m) for m in series_members), *(a_single(n, m) for n, m in enumerate(single_members))
        )
    assert all(a.status_code in (201, 409) for a in answers), [a.text for a in answers]
    per_session = Counter(
        d["starts_at"] for d in await service.bookings.collection.find({"status": "confirmed"}).to_list()
    )
    oversold = {when: n for when, n in per_session.items() if n > SEATS}
    if not guarded:
        assert oversold, "the race did not oversell with the guard off: the test would not catch it"
        return
    assert not oversold
    assert sorted(per_session.values()) == [SEATS] * WEEKS  # every seat went to someone
    refused = [o for a in answers[: len(series_members)] for o in a.json()["occurrences"] if o["outcome"] == "refused"]
    assert {o["reason"] for o in refused} <= {"full"}
