"""Credit packs over the real broker and store: a sale is charged once whatever the retries or a
crash between its two writes, its hours pay for room bookings after the included ones and before
any hour is charged, concurrent bookings never use more than a pack holds, and a booking
cancelled in time gives its hours back."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import httpx
from billing_fixtures import (
    MEMBER,
    SITE,
    app,
    booking,
    client,
    eventually,
    ledger_of,
    member,
    offering,
    part,
    price_list,
    publish_as_others,
    residency,
    settings,
    token,
)
from fastapi import FastAPI

from billing.adapters.charges import Charges
from billing.domain import packs
from billing.domain.charges import Charge
from billing.domain.packs import PackSale
from billing.domain.prices import CreditPack
from billing.service_layer.selling import PackSelling
from parkgrid.auth import Role
from parkgrid.contracts.billing import ChargeCause, ChargeStatus
from parkgrid.envelope import Envelope
from parkgrid.settings import KitSettings

__all__ = ["app", "client", "settings"]

TEN_HOURS = CreditPack(code="room-10", label="Pack 10 h de salle", room_hours=10, price=120_000, valid_months=3)
TWO_HOURS = CreditPack(code="room-2", label="Pack 2 h de salle", room_hours=2, price=27_000, valid_months=1)
APRIL_FIRST = date(2026, 4, 1)


async def with_packs(app: FastAPI, settings: KitSettings, **changes: Any) -> PackSelling:
    """The test's site sells both packs (version 2 of its list) and billing knows the member."""
    await ledger_of(app).prices.publish(price_list(credit_packs=(TEN_HOURS, TWO_HOURS), **changes), 1)
    await publish_as_others(settings, ("community.member", member()))
    selling = part(app, PackSelling)
    await eventually(lambda: selling.charging.member(MEMBER), "the member known to billing")
    return selling


async def sold(selling: PackSelling, sale_id: str, code: str = "room-10", on: date = APRIL_FIRST) -> PackSale:
    return await selling.sell(sale_id=sale_id, member_id=MEMBER, site_id=SITE, code=code, on=on, by="desk-1")


async def test_a_sale_is_charged_once_at_the_list_s_price_less_the_member_s_rate(
    app: FastAPI, settings: KitSettings
) -> None:
    selling = await with_packs(app, settings)

    first = await sold(selling, "pack-1")
    again = await sold(selling, "pack-1")  # the desk's retry with the same Idempotency-Key

    charge = await part(app, Charges).get("credit_pack:pack-1")
    assert again == first
    assert first.minutes == 600
    assert first.expires_on == date(2026, 6, 30)
    assert charge is not None
    assert charge.cause == ChargeCause.CREDIT_PACK
    assert (charge.unit_price_minor, charge.discount_percent, charge.net_minor) == (120_000, 50, 60_000)
    assert charge.price_list_version == 2
    assert [s.sale_id for s, _ in await selling.packs.of_member(MEMBER)] == ["pack-1"]


async def test_a_crash_between_the_pack_and_its_charge_is_finished_by_the_periodic_run(
    app: FastAPI, settings: KitSettings
) -> None:
    selling = await with_packs(app, settings)
    prices = await ledger_of(app).prices.current(SITE)
    assert prices is not None
    sale, _ = packs.sell(
        prices,
        "room-2",
        sale_id="pack-crash",
        member_id=MEMBER,
        sold_on=APRIL_FIRST,
        sold_by="desk-1",
    )
    await selling.packs.open(sale)  # the process died here, before the charge
    charges = part(app, Charges)
    assert await charges.get("credit_pack:pack-crash") is None

    assert await selling.finish() == 1
    assert await selling.finish() == 0

    charge = await charges.get("credit_pack:pack-crash")
    assert charge is not None
    assert charge.net_minor == 13_500


async def test_room_hours_come_from_the_office_then_the_pack_expiring_first_then_are_charged(
    app: FastAPI, settings: KitSettings
) -> None:
    selling = await with_packs(app, settings, included_room_hours=1)  # one hour a month per office
    await sold(selling, "pack-long", "room-10", on=date(2026, 3, 20))  # until 19 June
    await sold(selling, "pack-short", "room-2", on=date(2026, 4, 1))  # until 30 April: used first
    await publish_as_others(
        settings,
        ("catalogue.offering", offering("off-room", None)),
        ("spaces.residency", residency("started", "res-1", 1, starts_on="2026-01-01", ends_on="2026-12-31")),
    )
    await eventually(lambda: selling.charging.residencies.get("res-1"), "the residency known")
    rooms = [booking("confirmed", f"bk-{i}", "off-room", sequence=2, category="meeting_room") for i in range(3)]
    for room in rooms:  # 90 minutes each, one after the other so the order of takes is known
        await publish_as_others(settings, ("bookings.booking", room))

        async def charge_of(r: Envelope = room) -> Charge | None:
            return await part(app, Charges).get(f"booking:{r.subject}")

        await eventually(charge_of, "the booking charged")

    packs = {sale.sale_id: used for sale, used in await selling.packs.of_member(MEMBER)}
    # 270 min booked: 60 included, 120 from the short pack, 90 from the long one, nothing charged
    assert packs == {"pack-short": 120, "pack-long": 90}
    charged = [await part(app, Charges).get(f"booking:bk-{i}") for i in range(3)]
    assert [c.net_minor for c in charged if c is not None] == [0, 0, 0]
    assert "min from credit packs" in str(charged[1].description if charged[1] else "")

    await publish_as_others(
        settings, ("bookings.booking", booking("cancelled", "bk-2", "off-room", sequence=3, category="meeting_room"))
    )

    async def given_back() -> bool:
        voided = await part(app, Charges).get("booking:bk-2")
        left = {sale.sale_id: used for sale, used in await selling.packs.of_member(MEMBER)}
        return voided is not None and voided.status == ChargeStatus.VOIDED and left["pack-long"] == 0

    await eventually(given_back, "the cancelled booking's pack minutes given back")


async def test_concurrent_bookings_never_use_more_than_a_pack_holds(app: FastAPI, settings: KitSettings) -> None:
    selling = await with_packs(app, settings)
    await sold(selling, "pack-race", "room-2")
    minutes = selling.packs.minutes

    taken = await asyncio.gather(*(minutes.take("pack-race", f"bk-{i}", 30, 120) for i in range(10)))

    assert sum(taken) == 120
    assert sorted(taken) == [0] * 6 + [30] * 4
    found = await selling.packs.get("pack-race")
    assert found is not None
    assert found[1] == 120


async def test_the_desk_sells_a_pack_and_the_member_reads_its_hours(
    app: FastAPI, client: httpx.AsyncClient, settings: KitSettings
) -> None:
    await with_packs(app, settings, effective_from=date(2026, 1, 1))
    desk = {**token(settings, Role.FRONT_DESK), "Idempotency-Key": "sale-42"}

    sold_now = await client.post(
        f"/v1/members/{MEMBER}/credit-packs", json={"site_id": SITE, "code": "room-10"}, headers=desk
    )
    again = await client.post(
        f"/v1/members/{MEMBER}/credit-packs", json={"site_id": SITE, "code": "room-10"}, headers=desk
    )
    unknown = await client.post(
        f"/v1/members/{MEMBER}/credit-packs",
        json={"site_id": SITE, "code": "room-99"},
        headers={**desk, "Idempotency-Key": "sale-43"},
    )
    by_member = await client.post(
        f"/v1/members/{MEMBER}/credit-packs",
        json={"site_id": SITE, "code": "room-10"},
        headers=token(settings, Role.MEMBER),
    )
    read = await client.get(f"/v1/members/{MEMBER}/credit-packs", headers=token(settings, Role.MEMBER))

    assert sold_now.status_code == 201, sold_now.text
    body = sold_now.json()
    assert again.json()["sale_id"] == body["sale_id"]
    assert (body["minutes"], body["minutes_left"], body["label"]) == (600, 600, "Pack 10 h de salle")
    assert unknown.status_code == 422
    assert unknown.headers["content-type"] == "application/problem+json"
    assert "room-99" in unknown.json()["detail"]
    assert by_member.status_code == 403
    assert [p["sale_id"] for p in read.json()] == [body["sale_id"]]
    charge: Charge | None = await part(app, Charges).get(body["charge_id"])
    assert charge is not None
    assert charge.member_id == MEMBER
