"""Credits and per-member limits are reserved when a booking is requested, under concurrency, over
the real store and HTTP; given back once on rejection and cancellation whatever the redelivery; the
site's calendar refuses a session. With the allowances' guard switched off (a test-only subclass),
the same credit race catches the overdraft.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from bookings_support import (
    MEMBER,
    PERSON,
    UnguardedAllowances,
    bearer,
    eventually,
    in_days,
    member,
    offering,
    project,
    site,
)

from bookings.domain import booking as rules
from bookings.domain.booking import Actor
from bookings.service_layer.commands import BookCommand
from bookings.service_layer.publication import publication
from bookings.service_layer.service import BookingService
from parkgrid.consumer import Delivery
from parkgrid.contracts.common import Closure
from parkgrid.events import IntegrationEvent, registry
from parkgrid.store import Document
from parkgrid.testing.http import app_client

pytest_plugins = ["bookings_fixtures"]

DAY = 5  # every racing session on one local day: one period for every allowance


async def race(service: BookingService, token: str, starts: list[str]) -> list[tuple[int, dict[str, Any]]]:
    async with app_client(service.app, "bookings") as client:  # type: ignore[attr-defined]

        async def book(starts_at: str) -> tuple[int, dict[str, Any]]:
            body = {"offering_id": "off-test-mentoring", "member_id": MEMBER, "starts_at": starts_at}
            response = await client.post("/v1/bookings", json=body, headers=bearer(token))
            return response.status_code, response.json()

        return list(await asyncio.gather(*(book(s) for s in starts)))


def held_by(doc: Document | None) -> int:
    return 0 if doc is None else int(doc["used"])


@pytest.mark.parametrize("racing", [True, False], ids=["guarded", "guard-off"], indirect=True)
async def test_a_member_with_three_credits_left_gets_three_of_eight_racing_bookings(
    racing: BookingService, tokens: dict[str, str]
) -> None:
    service = racing
    guarded = not isinstance(service.ledger.allowances, UnguardedAllowances)
    # Pre-incubation: 4 mentoring credits a quarter; each session costs 1, one is already booked.
    await project(service, site(), offering(credits=1), member(MEMBER, stage="pre_incubation"))
    [(first, _)] = await race(service, tokens["member"], [in_days(DAY, 9).isoformat()])
    assert first == 201
    answers = await race(service, tokens["member"], [in_days(DAY, hour).isoformat() for hour in range(10, 17)])
    statuses = [status for status, _ in answers]
    allowance = await service.ledger.allowances.collection.find_one({"kind": "credits", "member_id": MEMBER})
    held = await service.bookings.collection.count_documents({"member_id": MEMBER, "status": "confirmed"})
    if not guarded:  # the negative control: without the guard the same race overdraws
        assert statuses.count(201) > 3
        assert held > 4
        assert held_by(allowance) > 4
        return
    assert statuses.count(201) == 3, answers
    assert statuses.count(409) == 4
    assert all("credit" in body["detail"] for status, body in answers if status == 409)
    assert held == 4
    assert held_by(allowance) == 4


async def test_ten_racing_bookings_at_a_limit_of_four_a_month_hold_four(
    service: BookingService, tokens: dict[str, str]
) -> None:
    limited = offering(session_minutes=30, rules={
        "min_notice_minutes": 60, "max_advance_days": 120, "cancellation_window_minutes": 24 * 60,
        "per_member_limit": {"count": 4, "period": "month"},
    })  # fmt: skip
    await project(service, site(), limited, member(MEMBER))
    outcomes = await asyncio.gather(
        *(
            service.book(
                BookCommand(
                    booking_id=f"b-limit-{n}",
                    offering_id="off-test-mentoring",
                    member_id=MEMBER,
                    person_id=PERSON,
                    starts_at=in_days(DAY, 9) + timedelta(minutes=30 * n),
                    party_size=1,
                    join_waitlist=False,
                    actor=Actor("member", PERSON),
                )
            )
            for n in range(10)
        ),
        return_exceptions=True,
    )
    made = [o for o in outcomes if not isinstance(o, BaseException)]
    refused = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(made) == 4, outcomes
    assert all("at most 4 booking(s) of this offering per month" in str(r) for r in refused), refused
    assert await service.bookings.collection.count_documents({"member_id": MEMBER}) == 4
    allowance = await service.ledger.allowances.collection.find_one({"kind": "limit", "member_id": MEMBER})
    assert held_by(allowance) == 4


def delivered(event: IntegrationEvent, subject: str) -> Delivery:
    return Delivery(registry.envelope(event, source="bookings", subject=subject, sequence=1), event, "t", 0, 0)


async def test_rejection_and_cancellation_give_credits_back_once_whatever_the_redelivery(
    service: BookingService,
) -> None:
    room = {"kind": "meeting_room", "seats": 2, "features": []}
    await project(
        service,
        site(),
        offering(credits=2),
        offering("off-test-room", credits=2, space_requirement=room),
        member(MEMBER),
    )

    def command(booking_id: str, offering_id: str, hour: int) -> BookCommand:
        return BookCommand(
            booking_id, offering_id, MEMBER, PERSON, in_days(DAY, hour), 1, False, Actor("member", PERSON)
        )

    async def used() -> int:
        found = await service.ledger.allowances.collection.find_one({"kind": "credits", "member_id": MEMBER})
        return held_by(found)

    confirmed = (await service.book(command("b-timely", "off-test-mentoring", 10))).booking
    pending = (await service.book(command("b-refused", "off-test-room", 11))).booking
    assert confirmed is not None
    assert pending is not None
    assert pending.status.value == "pending"
    assert await used() == 4
    cancelled, _ = await service.cancel("b-timely", Actor("member", PERSON))
    assert await used() == 2
    _, happened = rules.cancel(confirmed, Actor("member", PERSON), service.clock(), 24 * 60)
    [cancelled_event] = publication(happened)
    for _ in range(2):  # redelivered: nothing more
        await service.on_booking_event(delivered(cancelled_event, "b-timely"))
        await service.seating.free(cancelled)
    assert await used() == 2
    rejected, happened = rules.reject(pending, "no_space", "no room")
    [rejected_event] = publication(happened)
    for _ in range(2):
        await service.on_booking_event(delivered(rejected_event, "b-refused"))
        await service.seating.free(rejected)
    assert await used() == 0

    # The ledger's account of consumption keeps its meaning: consumed once, restored once (the
    # confirmation reaches the ledger through Kafka, in its own time).
    async def ledger() -> bool:
        found = await service.ledger.of_member(MEMBER)
        return len(found) == 1 and found[0].consumed != () and found[0].used == 0

    await eventually(ledger)
    [entitlement] = await service.ledger.of_member(MEMBER)
    assert (entitlement.used, entitlement.remaining) == (0, 6)


async def test_a_session_on_a_closure_day_is_refused_for_an_offering_without_a_room(
    client: httpx.AsyncClient, service: BookingService, tokens: dict[str, str]
) -> None:
    holiday: date = in_days(DAY).date()
    closed = site().model_copy(update={"closures": [Closure(first_day=holiday, last_day=holiday, reason="Holiday")]})
    await project(service, closed, offering(), member(MEMBER))
    body = {"offering_id": "off-test-mentoring", "member_id": MEMBER, "starts_at": in_days(DAY, 10).isoformat()}
    response = await client.post("/v1/bookings", json=body, headers=bearer(tokens["member"]))
    assert response.status_code == 422, response.text
    assert "Holiday" in response.json()["detail"]
    assert "starts_at" in response.text
    other_day = {**body, "starts_at": in_days(DAY + 1, 10).isoformat()}
    assert (await client.post("/v1/bookings", json=other_day, headers=bearer(tokens["member"]))).status_code == 201
