"""The period close killed -9 mid-way (`make chaos`): billing as its own process closes a month of
many organisations while the controller kills it at random moments and starts it again.

Billing (a real uvicorn process, its own topic prefix and database) gets a price list and an
offering's price as the catalogue publishes it. Then, BILLING_ROUNDS times, a month's usage
arrives (two bookings of each of BILLING_MEMBERS organisations, as bookings publishes them),
an admin asks for that month's close, and at a seeded random moment (BILLING_CHAOS_SEED,
printed) during the call the process is killed -9 and started again. Every month is then
closed once more, as the periodic close would, and answers.

Then, read from billing's own store and topic: every charge is on exactly one invoice, of its
month or (when its month's close was killed and the next month's close ran first) a later
one, never an earlier one; an organisation has at most one invoice a month; every invoice is
issued; the numbers of the year's series are 1..N with no gap and none twice, and no number
was taken and left unused; no draft and no outbox entry is left; `invoice.issued` was
published for each invoice (at least once, one id each: a relay killed between publishing and
removing its entry publishes the same envelope again, which consumers ignore by its id).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import MongoClient

import parkgrid.contracts  # noqa: F401  # registers every event type
from parkgrid.auth import Role
from parkgrid.envelope import Envelope
from parkgrid.events import registry
from parkgrid.testing.infrastructure import Infrastructure
from parkgrid.testing.stack import Stack, running_stack
from parkgrid.testing.topics import publish, read_topic

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "shared" / "contracts" / "samples"
MEMBERS = int(os.environ.get("BILLING_MEMBERS", "40"))
ROUNDS = int(os.environ.get("BILLING_ROUNDS", "6"))
SEED = int(os.environ.get("BILLING_CHAOS_SEED", str(random.randrange(1_000_000))))
SITE = "site-rabat"
PERIODS = [f"2026-{month:02d}" for month in range(1, 13)]
PRICES = {
    "effective_from": "2026-01-01",
    "legal_entity": {"code": "TPR", "name": "Technopark Rabat SA", "ice": "001525369000088", "address": "Rabat"},
    "room_hour": 15_000,
}


def sample(event_type: str, version: int = 1) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SAMPLES / f"{event_type}.v{version}.json").read_text())["data"]
    return data


def envelope(event_type: str, version: int, subject: str, sequence: int, data: dict[str, Any]) -> Envelope:
    event = registry.model(event_type, version).model_validate(data)
    return registry.envelope(event, source=event_type.split(".")[1], subject=subject, sequence=sequence)


async def publish_offering(stack: Stack) -> None:
    """An offering at 250.00 MAD, as the catalogue publishes it."""
    offering = {**sample("parkgrid.catalogue.offering.published", 2), "offering_id": "off-chaos", "site_id": SITE}
    offering["price"] = {"amount_minor": 25_000, "currency": "MAD"}
    item = ("catalogue.offering", envelope("parkgrid.catalogue.offering.published", 2, "off-chaos", 1, offering))
    await publish(stack.settings("billing-chaos"), [item], client_id="billing-chaos")


async def publish_month(stack: Stack, period: str) -> None:
    """Two bookings of each organisation in `period`, as bookings publishes them."""
    items = []
    for m in range(MEMBERS):
        for day in (10, 11):
            booking_id = f"bk-{period}-{m:03d}-{day}"
            data = {
                **sample("parkgrid.bookings.booking.confirmed"),
                "booking_id": booking_id,
                "offering_id": "off-chaos",
                "category": "expert_clinic",
                "site_id": SITE,
                "member_id": f"mb-chaos-{m:03d}",
                "party_size": 1,
                "session": {"starts_at": f"{period}-{day}T10:00:00+01:00", "ends_at": f"{period}-{day}T11:00:00+01:00"},
            }
            items.append(("bookings.booking", envelope("parkgrid.bookings.booking.confirmed", 1, booking_id, 2, data)))
    await publish(stack.settings("billing-chaos"), items, client_id="billing-chaos")


async def wait_until(probe: Any, what: str, within: float = 120.0) -> None:
    deadline = time.monotonic() + within
    while not probe():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within:.0f} s: {what}")
        await asyncio.sleep(0.3)


async def close(stack: Stack, period: str) -> int:
    """The admin's close call's status; 0 when the process was killed under it."""
    async with httpx.AsyncClient(timeout=120) as http:
        try:
            answer = await http.post(
                f"{stack.url('billing')}/v1/periods/{period}/close", json={}, headers=stack.headers(Role.ADMIN)
            )
        except httpx.HTTPError:
            return 0
        return answer.status_code


async def test_closes_killed_at_random_moments_number_and_invoice_everything_once(
    infrastructure: Infrastructure,
) -> None:
    print(f"BILLING_CHAOS_SEED={SEED}")
    chance = random.Random(SEED)
    periods = PERIODS[:ROUNDS]
    with running_stack(
        infrastructure.kafka_bootstrap_servers,
        infrastructure.mongodb_uri,
        ["billing"],
        # Its organisations are never registered in community: charged at once, without a programme rate.
        extra_env={"BILLING_CLOSE_EVERY_SECONDS": "3600", "BILLING_MEMBER_PATIENCE_SECONDS": "0"},
    ) as stack:
        client: MongoClient[dict[str, Any]] = MongoClient(infrastructure.mongodb_uri, tz_aware=True)
        db = client[stack.database("billing")]
        try:
            async with httpx.AsyncClient(timeout=30) as http:
                put = await http.put(
                    f"{stack.url('billing')}/v1/price-lists/{SITE}",
                    json=PRICES,
                    headers={**stack.headers(Role.ADMIN), "If-Match": '"0"'},
                )
            assert put.status_code == 200, put.text
            await publish_offering(stack)
            kills, answers = 0, []
            for round_, period in enumerate(periods, start=1):
                await publish_month(stack, period)
                await wait_until(
                    lambda n=2 * MEMBERS * round_: db.charges.count_documents({}) == n, f"{period}'s charges"
                )
                call = asyncio.create_task(close(stack, period))
                await asyncio.sleep(chance.uniform(0.05, 0.6))
                if not call.done():
                    await asyncio.to_thread(stack.kill, "billing")
                    kills += 1
                answers.append(await call)
                await asyncio.to_thread(stack.restart, "billing")
            for period in periods:
                assert await close(stack, period) == 200
            await wait_until(lambda: db.invoices.count_documents({"outbox_pending": True}) == 0, "the outbox drained")
            published = await read_topic(
                stack.settings("billing"),
                "billing.invoice",
                MEMBERS * ROUNDS,
                within=60,
                types={"parkgrid.billing.invoice.issued"},
            )
            invoices = list(db.invoices.find({}, {"outbox": 0}))
            invoiced = db.charges.count_documents({"status": "invoiced"})
            numbers = db.invoice_numbers.count_documents({})
        finally:
            client.close()

    print(json.dumps({"seed": SEED, "kills": kills, "close_answers": answers, "invoices": len(invoices)}))
    assert kills >= ROUNDS // 2, f"only {kills} of {ROUNDS} closes were killed mid-way: nothing was tested"
    assert {i["status"] for i in invoices} == {"issued"}
    assert sorted(int(i["number"].rsplit("-", 1)[1]) for i in invoices) == list(range(1, len(invoices) + 1))
    assert numbers == len(invoices)  # no number taken and left unused
    assert len({(i["member_id"], i["period"]) for i in invoices}) == len(invoices)  # one a month at most
    lines = [(line["charge_id"], invoice["period"]) for invoice in invoices for line in invoice["lines"]]
    assert sorted(charge for charge, _ in lines) == sorted(
        f"booking:bk-{period}-{m:03d}-{day}" for period in periods for m in range(MEMBERS) for day in (10, 11)
    )  # every charge on exactly one invoice
    # A month whose close was killed and not finished before the next month's close has its
    # charges on that next invoice (each charge once); never on an earlier month's.
    assert all(charge.split("-", 1)[1][:7] <= period for charge, period in lines)
    assert all(i["total_minor"] == 30_000 * len(i["lines"]) for i in invoices)  # 250.00 MAD and VAT a line
    assert len(invoices) >= MEMBERS * (ROUNDS - kills)
    assert invoiced == 2 * MEMBERS * ROUNDS
    assert {e.subject for e in published} == {i["_id"] for i in invoices}
