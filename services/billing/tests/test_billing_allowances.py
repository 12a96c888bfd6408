"""Meeting-room hours included with an office, over the real broker and store: bookings charged at
once never use more than is included, a redelivered booking takes nothing twice, and a booking
cancelled in time gives its hours back."""

from __future__ import annotations

import asyncio

from billing_fixtures import (
    MEMBER,
    SITE,
    app,
    booking,
    eventually,
    ledger_of,
    offering,
    part,
    price_list,
    publish_as_others,
    residency,
    settings,
)
from fastapi import FastAPI

from billing.adapters.allowances import Allowances, allowance_key
from billing.adapters.charges import Charges
from billing.domain.charges import Charge
from parkgrid.contracts.billing import ChargeStatus
from parkgrid.settings import KitSettings

__all__ = ["app", "settings"]

APRIL = allowance_key(MEMBER, SITE, "2026-04")


async def test_concurrent_takes_never_use_more_than_is_included(app: FastAPI) -> None:
    allowances = ledger_of(app).closing.charging.allowances

    taken = await asyncio.gather(*(allowances.take("m:s:2026-04", f"bk-{i}", 60, 240) for i in range(10)))
    again = await asyncio.gather(*(allowances.take("m:s:2026-04", f"bk-{i}", 60, 240) for i in range(10)))

    assert sum(taken) == 240
    assert sorted(taken) == [0] * 6 + [60] * 4
    assert again == taken  # a redelivered booking is told what it took
    assert await allowances.used("m:s:2026-04") == 240
    await allowances.give_back("m:s:2026-04", "bk-0")
    await allowances.give_back("m:s:2026-04", "bk-0")
    assert await allowances.used("m:s:2026-04") == 240 - taken[0]


async def test_room_bookings_of_a_resident_use_its_included_hours_first(app: FastAPI, settings: KitSettings) -> None:
    ledger = ledger_of(app)
    await ledger.prices.publish(price_list(included_room_hours=2), 1)  # two hours a month per office
    await publish_as_others(
        settings,
        ("catalogue.offering", offering("off-room", None)),
        ("spaces.residency", residency("started", "res-1", 1, starts_on="2026-01-01", ends_on="2026-12-31")),
    )
    residencies = ledger_of(app).closing.charging.residencies
    await eventually(lambda: residencies.get("res-1"), "the residency known")
    rooms = [
        booking("confirmed", f"bk-room-{i}", "off-room", sequence=2, party_size=4, category="meeting_room")
        for i in range(4)
    ]  # 90 minutes each
    await publish_as_others(settings, *(("bookings.booking", b) for b in rooms), ("bookings.booking", rooms[0]))
    charges = part(app, Charges)

    async def all_charged() -> list[Charge] | None:
        found = [await charges.get(f"booking:bk-room-{i}") for i in range(4)]
        return [c for c in found if c is not None] if all(found) else None

    charged = await eventually(all_charged, "the four room bookings charged")

    assert sum(c.net_minor for c in charged) == 4 * 22_500 - 2 * 15_000  # 6 h booked, 2 h included
    assert await ledger_of(app).closing.charging.allowances.used(APRIL) == 120
    cancelled = next(c for c in charged if c.net_minor < 22_500)
    number = cancelled.charge_id.rsplit("-", 1)[1]
    await publish_as_others(
        settings,
        (
            "bookings.booking",
            booking("cancelled", f"bk-room-{number}", "off-room", sequence=3, category="meeting_room"),
        ),
    )
    await eventually(lambda: charges.get(cancelled.charge_id), "the cancellation applied")

    async def given_back() -> bool:
        voided = await charges.get(cancelled.charge_id)
        allowances: Allowances = ledger_of(app).closing.charging.allowances
        return voided is not None and voided.status == ChargeStatus.VOIDED and await allowances.used(APRIL) < 120

    await eventually(given_back, "the cancelled booking's included minutes given back")
