"""Fixtures of billing's integration tests: the app over the test's own database and topic prefix,
the other contexts' events as they publish them (from the contract samples, with what a test
changes), a price list of the test's site, and tokens."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from fastapi import FastAPI

from billing.bootstrap import build_app
from billing.domain.charges import Charge
from billing.domain.prices import Discount, LegalEntity, PriceList
from billing.service_layer.ledger import Ledger
from parkgrid.auth import Role, issue_token
from parkgrid.contracts.billing import ChargeCause
from parkgrid.contracts.common import ProgrammeStage, SpaceKind
from parkgrid.contracts.topics import topics
from parkgrid.envelope import Envelope
from parkgrid.events import registry
from parkgrid.settings import KitSettings
from parkgrid.testing.http import app_client
from parkgrid.testing.plugin import ServiceSettings
from parkgrid.testing.topics import publish
from parkgrid.topics import ensure_topics

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "contracts" / "samples"
SITE = "site-rabat"
OTHER_SITE = "site-fes"
MEMBER = "mb-qalam-edtech"
ENTITY = LegalEntity(code="TPR", name="Technopark Rabat SA", ice="001525369000088", address="Avenue Mohammed VI, Rabat")
T = TypeVar("T")

CONSUMED = topics(
    "catalogue.offering", "bookings.booking", "spaces.space", "spaces.residency", "spaces.day_pass", "community.member"
)


def price_list(site_id: str = SITE, **changes: Any) -> PriceList:
    fields: dict[str, Any] = {
        "site_id": site_id,
        "version": 0,
        "effective_from": date(2026, 1, 1),
        "legal_entity": ENTITY,
        "monthly": {SpaceKind.PRIVATE_OFFICE: 600_000, SpaceKind.DEDICATED_DESK: 120_000},
        "room_hour": 15_000,
        "day_pass": 8_000,
        "late_cancellation_percent": 50,
        "no_show_percent": 100,
        "discounts": (Discount(label="Incubation", percent=50, stage=ProgrammeStage.INCUBATION, within_months=18),),
    }
    return PriceList(**{**fields, **changes})


def a_charge(member_id: str, n: int | str, net: int = 10_000, day: date = date(2026, 4, 10)) -> Charge:
    """A booking's charge of `net` (before 20 % VAT) at the test's site, as charging would record it."""
    return Charge(
        charge_id=f"booking:{member_id}-{n}",
        member_id=member_id,
        site_id=SITE,
        cause=ChargeCause.BOOKING,
        cause_id=f"{member_id}-{n}",
        description=f"Session {n}",
        billable_on=day,
        quantity=1,
        unit_price_minor=net,
        discount_percent=0,
        net_minor=net,
        vat_rate_bp=2000,
        currency="MAD",
        price_list_version=1,
    )


@pytest.fixture
def settings(service_settings: ServiceSettings, monkeypatch: pytest.MonkeyPatch) -> KitSettings:
    """The test's billing, waiting at most 2 s for a member community never tells it of (the tests
    whose member is registered publish it first, or wait for it)."""
    monkeypatch.setenv("BILLING_MEMBER_PATIENCE_SECONDS", "2")
    return service_settings("billing")


@pytest.fixture
async def app(settings: KitSettings) -> AsyncIterator[FastAPI]:
    await ensure_topics(settings.kafka_bootstrap_servers, [t.prefixed(settings.topic_prefix) for t in CONSUMED])
    application = build_app(settings)
    async with application.router.lifespan_context(application):
        await ledger_of(application).prices.publish(price_list(), None)
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(app, "test", raise_app_exceptions=True) as c:
        yield c


def ledger_of(app: FastAPI) -> Ledger:
    found: Ledger = app.state.components[Ledger]
    return found


def part(app: FastAPI, kind: type[T]) -> T:
    found: T = app.state.components[kind]
    return found


def token(settings: KitSettings, role: Role, **claims: Any) -> dict[str, str]:
    if role == Role.MEMBER:
        claims = {"member_id": MEMBER, "person_id": "ps-1", **claims}
    elif role == Role.FRONT_DESK:
        claims = {"sites": [SITE], **claims}
    return {"Authorization": f"Bearer {issue_token(settings, role=role, **claims)}"}


def sample(event_type: str, version: int = 1, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SAMPLES / f"{event_type}.v{version}.json").read_text())["data"]
    return {**data, **changes}


def envelope(event_type: str, subject: str, sequence: int, data: dict[str, Any], version: int = 1) -> Envelope:
    event = registry.model(event_type, version).model_validate(data)
    source = event_type.split(".")[1]
    return registry.envelope(event, source=source, subject=subject, sequence=sequence)


def offering(offering_id: str, price_minor: int | None, *, site_id: str = SITE, sequence: int = 1) -> Envelope:
    data = sample(
        "parkgrid.catalogue.offering.published",
        2,
        offering_id=offering_id,
        site_id=site_id,
        category="expert_clinic",
        price=None if price_minor is None else {"amount_minor": price_minor, "currency": "MAD"},
    )
    return envelope("parkgrid.catalogue.offering.published", offering_id, sequence, data, version=2)


def member(member_id: str = MEMBER, *, stage: str = "incubation", started_on: str = "2026-03-02") -> Envelope:
    data = sample(
        "parkgrid.community.member.registered", 2, member_id=member_id, name="Qalam EdTech", home_site_id=SITE
    )
    data["programme"] = {**data["programme"], "stage": stage, "started_on": started_on}
    data["people"] = []
    return envelope("parkgrid.community.member.registered", member_id, 1, data, version=2)


def booking(
    what: str,
    booking_id: str,
    offering_id: str,
    *,
    sequence: int,
    day: str = "2026-04-15",
    party_size: int = 2,
    member_id: str = MEMBER,
    **extra: Any,
) -> Envelope:
    """A booking event (`what`: confirmed, cancelled, no_show) of a 10:00-11:30 session on `day`."""
    version = 2 if what == "cancelled" else 1
    base = sample("parkgrid.bookings.booking.confirmed")
    data = {
        **base,
        "booking_id": booking_id,
        "offering_id": offering_id,
        "category": "expert_clinic",
        "site_id": SITE,
        "member_id": member_id,
        "party_size": party_size,
        "session": {"starts_at": f"{day}T10:00:00+01:00", "ends_at": f"{day}T11:30:00+01:00"},
        "status": what,
        **extra,
    }
    if what != "confirmed":
        data.pop("confirmed_at", None)
    if what == "cancelled":
        data = {"cancelled_by": base["booked_by"], "previous_status": "confirmed", "late": False, **data}
    return envelope(f"parkgrid.bookings.booking.{what}", booking_id, sequence, data, version=version)


def residency(what: str, residency_id: str, sequence: int, **changes: Any) -> Envelope:
    data = sample(f"parkgrid.spaces.residency.{what}", member_id=MEMBER, site_id=SITE, residency_id=residency_id)
    return envelope(f"parkgrid.spaces.residency.{what}", residency_id, sequence, {**data, **changes})


def day_pass(day_pass_id: str, day: str = "2026-04-02") -> Envelope:
    data = sample("parkgrid.spaces.day_pass.issued", day_pass_id=day_pass_id, site_id=SITE, member_id=MEMBER, day=day)
    return envelope("parkgrid.spaces.day_pass.issued", day_pass_id, 1, data)


async def publish_as_others(settings: KitSettings, *items: tuple[str, Envelope]) -> None:
    await publish(settings, items, client_id="test-others")


async def eventually(check: Callable[[], Awaitable[T | None]], what: str, within: float = 30.0) -> T:
    deadline = time.monotonic() + within
    while True:
        found = await check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within:.0f} s: {what}")
        await asyncio.sleep(0.1)
