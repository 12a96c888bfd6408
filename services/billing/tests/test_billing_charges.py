"""Charges from the other contexts' events over the real broker and store: one per cause whatever
the redelivery, the site's policy for late cancellations, day passes, residencies at the close."""

from __future__ import annotations

from datetime import timedelta

from billing_fixtures import (
    MEMBER,
    app,
    booking,
    client,
    day_pass,
    eventually,
    ledger_of,
    member,
    offering,
    part,
    publish_as_others,
    residency,
    settings,
)
from fastapi import FastAPI

from billing.adapters.charges import Charges
from billing.domain.charges import Charge
from billing.service_layer.closing import Closing
from parkgrid.contracts.billing import ChargeStatus
from parkgrid.metrics import RETRIED
from parkgrid.settings import KitSettings
from parkgrid.testing.topics import read_topic

__all__ = ["app", "client", "settings"]


async def charge_in(app: FastAPI, charge_id: str, status: ChargeStatus | None = None) -> Charge:
    charges = part(app, Charges)

    async def found() -> Charge | None:
        charge = await charges.get(charge_id)
        return charge if charge is not None and (status is None or charge.status == status) else None

    return await eventually(found, f"charge {charge_id} {status or ''}")


def retries_of(event_type: str) -> float:
    """How often any consumer of this process retried an event of `event_type` as a passing failure."""
    return sum(
        sample.value
        for metric in RETRIED.collect()
        for sample in metric.samples
        if sample.name.endswith("_total")
        and sample.labels.get("reason") == "transient"
        and sample.labels.get("type") == event_type
    )


async def _true(value: bool) -> bool:
    return value


async def test_a_confirmed_booking_is_charged_once_however_often_it_is_delivered(
    app: FastAPI, settings: KitSettings
) -> None:
    ledger_of(app).closing.charging.member_patience = timedelta(seconds=60)  # production's is 5 minutes
    confirmed = booking("confirmed", "bk-1", "off-clinic", sequence=2)
    waited = retries_of("parkgrid.bookings.booking.confirmed")
    await publish_as_others(
        settings, ("catalogue.offering", offering("off-clinic", 25_000)), ("bookings.booking", confirmed)
    )
    # The member is told after billing tried the booking: it waits for the member's programme rate.
    await eventually(lambda: _true(retries_of("parkgrid.bookings.booking.confirmed") > waited), "a wait")
    await publish_as_others(
        settings,
        ("community.member", member()),
        ("bookings.booking", confirmed),  # redelivered
    )
    charge = await charge_in(app, "booking:bk-1")
    assert (charge.quantity, charge.unit_price_minor, charge.discount_percent, charge.net_minor) == (
        2,
        25_000,
        50,
        25_000,
    )

    await publish_as_others(settings, ("bookings.booking", confirmed))  # once more, after it was charged
    recorded = await read_topic(settings, "billing.charge", 1, types={"parkgrid.billing.charge.recorded"}, grace=2.0)
    assert [e.subject for e in recorded] == ["booking:bk-1"]
    assert await part(app, Charges).collection.count_documents({}) == 1


async def test_a_booking_seen_before_its_offering_waits_for_the_price(app: FastAPI, settings: KitSettings) -> None:
    await publish_as_others(settings, ("bookings.booking", booking("confirmed", "bk-2", "off-late", sequence=2)))
    await publish_as_others(settings, ("catalogue.offering", offering("off-late", 10_000)))
    charge = await charge_in(app, "booking:bk-2")
    assert charge.net_minor == 20_000  # no member known: no programme rate


async def test_a_cancellation_in_time_voids_the_charge_and_a_late_one_costs_the_policy_share(
    app: FastAPI, settings: KitSettings
) -> None:
    await publish_as_others(
        settings,
        ("catalogue.offering", offering("off-clinic", 30_000)),
        ("bookings.booking", booking("confirmed", "bk-in-time", "off-clinic", sequence=2, party_size=1)),
        ("bookings.booking", booking("cancelled", "bk-in-time", "off-clinic", sequence=3, party_size=1)),
        ("bookings.booking", booking("confirmed", "bk-late", "off-clinic", sequence=2, party_size=1)),
        ("bookings.booking", booking("cancelled", "bk-late", "off-clinic", sequence=3, party_size=1, late=True)),
    )
    assert (await charge_in(app, "booking:bk-in-time", ChargeStatus.VOIDED)).net_minor == 30_000
    assert (await charge_in(app, "booking:bk-late", ChargeStatus.VOIDED)).net_minor == 30_000
    fee = await charge_in(app, "late_cancellation:bk-late")
    assert (fee.net_minor, fee.status) == (15_000, ChargeStatus.OPEN)  # the site's 50 %
    assert await part(app, Charges).get("late_cancellation:bk-in-time") is None

    voided = await read_topic(settings, "billing.charge", 2, types={"parkgrid.billing.charge.voided"}, grace=1.0)
    assert sorted(e.subject for e in voided) == ["booking:bk-in-time", "booking:bk-late"]


async def test_a_no_show_keeps_its_charge_at_a_full_policy(app: FastAPI, settings: KitSettings) -> None:
    await publish_as_others(
        settings,
        ("catalogue.offering", offering("off-clinic", 30_000)),
        ("bookings.booking", booking("confirmed", "bk-away", "off-clinic", sequence=2, party_size=1)),
        ("bookings.booking", booking("no_show", "bk-away", "off-clinic", sequence=3, party_size=1)),
        ("spaces.day_pass", day_pass("dp-1")),
    )
    await charge_in(app, "day_pass:dp-1")  # after the no-show on another topic; the booking's was first
    assert (await charge_in(app, "booking:bk-away")).status == ChargeStatus.OPEN
    assert await part(app, Charges).get("no_show:bk-away") is None


async def test_a_residency_is_charged_pro_rata_at_the_close_of_its_months(app: FastAPI, settings: KitSettings) -> None:
    await publish_as_others(
        settings,
        ("community.member", member(stage="resident")),
        (
            "spaces.residency",
            residency("started", "res-1", 1, space_id="sp-a", starts_on="2026-04-13", ends_on="2027-04-12"),
        ),
        (
            "spaces.residency",
            residency(
                "moved",
                "res-1",
                2,
                space_id="sp-b",
                starts_on="2026-04-13",
                ends_on="2027-04-12",
                moved_on="2026-05-11",
                previous_space_id="sp-a",
            ),
        ),
    )
    ledger = ledger_of(app)

    async def moved() -> bool:
        found = await ledger.closing.residencies.get("res-1")
        return found is not None and len(found[0].stays) == 2

    await eventually(moved, "the move applied")
    closing = part(app, Closing)
    april = await closing.close("2026-04")
    may = await closing.close("2026-05")
    assert (april.count, may.count) == (1, 1)
    april_charge = await part(app, Charges).get("residency:res-1:2026-04:0")
    assert april_charge is not None
    assert april_charge.net_minor == 360_000
    may_a, may_b = [await part(app, Charges).get(f"residency:res-1:2026-05:{i}") for i in (0, 1)]
    assert may_a is not None
    assert may_b is not None
    assert (may_a.net_minor, may_b.net_minor) == (193_548, 406_452)  # 10 and 21 days of 31
    assert (await closing.close("2026-05")).count == 0  # closing again issues nothing new
    assert await part(app, Charges).collection.count_documents({"member_id": MEMBER}) == 3
