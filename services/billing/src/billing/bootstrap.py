"""Wires billing: settings, runtime (store, relay, consumers), handlers and the app.

`uvicorn billing.bootstrap:app` serves it on port 8006 (deploy/local/services.tsv).
`build(settings)` makes the parts; `build_app(settings)` puts them behind the routers,
each part available to routes by its type (`parkgrid.http.access.provide`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from fastapi import FastAPI

from billing.adapters.allowances import Allowances
from billing.adapters.charges import Charges
from billing.adapters.facts import OfferingPrices, Profiles, Residencies, SpaceNames
from billing.adapters.gateway import GatewayHook, gateway_of
from billing.adapters.invoices import Invoices, Numbers
from billing.adapters.packs import CreditPacks
from billing.adapters.payments import Payments
from billing.adapters.prices import PriceLists
from billing.entrypoints.http import routers
from billing.service_layer.charging import (
    Charging,
    booking_handler,
    member_handler,
    offering_handler,
    space_handler,
    stays_handler,
)
from billing.service_layer.closing import Closing
from billing.service_layer.ledger import Ledger
from billing.service_layer.selling import PackSelling
from billing.settings import BillingSettings
from parkgrid.contracts.topics import topic, topics
from parkgrid.events import registry
from parkgrid.http.access import provide
from parkgrid.known import KnownMembers
from parkgrid.runtime import ServiceRuntime, Subscription, create_app
from parkgrid.settings import KitSettings

TOPICS = topics("billing.charge", "billing.invoice", "billing.payment")


@dataclass
class BillingParts:
    """What `build` wires: the runtime, the handlers, and the stores routes and tests read."""

    runtime: ServiceRuntime
    charging: Charging
    closing: Closing
    ledger: Ledger
    selling: PackSelling
    charges: Charges
    invoices: Invoices
    numbers: Numbers
    payments: Payments


def subscriptions(charging: Charging) -> list[Subscription]:
    """Billing's consumers: what prices and addresses charges (offerings, spaces, members), and
    what is charged (bookings, day passes, residencies)."""
    return [
        Subscription(
            name="offerings",
            topics=[topic("catalogue.offering")],
            handler=offering_handler(charging.offerings),
            projections=[charging.offerings.projection.collection],
            concurrency=8,
            newest_per_key=True,
        ),
        Subscription(
            name="spaces",
            topics=[topic("spaces.space")],
            handler=space_handler(charging.spaces),
            projections=[charging.spaces.projection.collection],
            concurrency=8,
            newest_per_key=True,
        ),
        Subscription(
            name="members",
            topics=[topic("community.member")],
            handler=member_handler(charging.members),
            projections=[charging.members.projection.collection],
            concurrency=16,
            newest_per_key=True,
        ),
        # Charges: one booking's events in order (its key), bookings independent of each other.
        Subscription(
            name="bookings", topics=[topic("bookings.booking")], handler=booking_handler(charging), concurrency=8
        ),
        Subscription(
            name="stays",
            topics=topics("spaces.day_pass", "spaces.residency"),
            handler=stays_handler(charging),
            projections=[charging.residencies.collection],
            after_drop=charging.residencies.ensure_indexes,
        ),
    ]


def build(settings: BillingSettings, *, consumers: bool = True) -> BillingParts:
    runtime = ServiceRuntime(settings, registry=registry, topics=TOPICS)
    db = runtime.db
    charges, invoices, payments = Charges(db["charges"]), Invoices(db["invoices"]), Payments(db["payments"])
    numbers, prices = Numbers(db["invoice_numbers"]), PriceLists(db["price_lists"])
    residencies, members = Residencies(db["residencies"]), KnownMembers(db["members"])
    packs = CreditPacks(db["credit_packs"])
    for store in (charges, invoices, payments, numbers, prices, residencies, packs):
        runtime.on_store_ready(store.ensure_indexes)
    charging = Charging(
        charges=charges,
        prices=prices,
        offerings=OfferingPrices(db["offering_prices"]),
        members=members,
        spaces=SpaceNames(db["spaces"]),
        residencies=residencies,
        allowances=Allowances(db["allowances"]),
        packs=packs,
        written=runtime.notify_relay,
        member_patience=timedelta(seconds=settings.member_patience_seconds),
    )
    profiles = Profiles(db["billing_profiles"])
    closing = Closing(
        charging=charging,
        charges=charges,
        invoices=invoices,
        numbers=numbers,
        prices=prices,
        residencies=residencies,
        spaces=charging.spaces,
        members=members,
        profiles=profiles,
        written=runtime.notify_relay,
    )
    ledger = Ledger(invoices, payments, prices, profiles, closing, written=runtime.notify_relay)
    runtime.relay_outbox_of(charges.collection, invoices.collection, payments.collection)
    if consumers:
        runtime.subscribe(*subscriptions(charging))
    selling = PackSelling(charging)
    return BillingParts(runtime, charging, closing, ledger, selling, charges, invoices, numbers, payments)


def build_app(settings: KitSettings | None = None) -> FastAPI:
    config = BillingSettings.of(settings)
    parts = build(config)
    application = create_app(
        parts.runtime,
        title="ParkGrid billing",
        description="Charges from what members use, monthly invoices numbered without gaps, payments.",
        routers=routers,
    )
    secret = config.gateway_secret.get_secret_value() if config.gateway_secret else None
    provide(
        application,
        parts.ledger,
        parts.selling,
        parts.closing,
        parts.charges,
        parts.invoices,
        parts.payments,
        parts.closing.members,
        GatewayHook(gateway_of(config.gateway_name, secret)),
    )

    async def close_and_finish() -> None:
        await parts.closing.close_ended_months()
        await parts.ledger.finish_every_pending()
        await parts.selling.finish()

    # Invoices every month that ended, and finishes what a crash left (drafts, pending payments,
    # packs sold but not charged).
    parts.runtime.every("period-close", timedelta(seconds=config.close_every_seconds), close_and_finish)
    return application


app = build_app()
