"""A two-hop saga in miniature for the observability tests: an order is placed (a command's
outbox), a consumer confirms it (its own outbox), a second consumer reads the confirmation.

Also run as a real service process (`uvicorn observability_samples:app`) whose `/metrics`
the dashboard test scrapes.
"""

from __future__ import annotations

from parkgrid.consumer import Delivery
from parkgrid.events import EventRegistry, IntegrationEvent
from parkgrid.outbox import MongoAggregateStore
from parkgrid.projection import Projection
from parkgrid.runtime import ServiceRuntime, create_app
from parkgrid.settings import KitSettings
from parkgrid.store import Collection
from parkgrid.topics import TopicSpec

registry = EventRegistry()
ORDERS = TopicSpec(name="obstest.order", partitions=1)
CONFIRMATIONS = TopicSpec(name="obstest.confirmation", partitions=1)


@registry.register
class OrderPlaced(IntegrationEvent):
    event_type = "parkgrid.obstest.order.placed"
    version = 1
    order_id: str


@registry.register
class OrderConfirmed(IntegrationEvent):
    event_type = "parkgrid.obstest.order.confirmed"
    version = 1
    order_id: str


def orders(collection: Collection) -> MongoAggregateStore:
    return MongoAggregateStore(collection, registry=registry, source="obstest", topic=ORDERS.name)


def confirmations(collection: Collection) -> MongoAggregateStore:
    return MongoAggregateStore(collection, registry=registry, source="obstest", topic=CONFIRMATIONS.name)


async def confirm(store: MongoAggregateStore, delivery: Delivery) -> None:
    """The first hop's handler: a write of its own, with an event in its outbox."""
    event = delivery.event
    assert isinstance(event, OrderPlaced)
    await store.create(event.order_id, {"state": "confirmed"}, [OrderConfirmed(order_id=event.order_id)])


def build_app() -> object:
    """The service the dashboard test runs: places orders over HTTP, confirms them, projects both."""
    from fastapi import APIRouter

    settings = KitSettings()
    runtime = ServiceRuntime(settings, registry=registry, topics=[ORDERS, CONFIRMATIONS])
    placed = orders(runtime.db["orders"])
    confirmed = confirmations(runtime.db["confirmations"])
    view = Projection(runtime.db["order_view"])
    runtime.relay_outbox_of(placed.collection, confirmed.collection)

    async def on_placed(delivery: Delivery) -> None:
        await confirm(confirmed, delivery)
        runtime.notify_relay()

    async def on_confirmed(delivery: Delivery) -> None:
        await view.apply_event(delivery.envelope, {"state": "confirmed"})

    runtime.consume(name="confirmer", topics=[ORDERS], handler=on_placed)
    runtime.consume(name="order-view", topics=[CONFIRMATIONS], handler=on_confirmed)
    router = APIRouter()

    @router.post("/v1/orders/{order_id}", status_code=201)
    async def place(order_id: str) -> dict[str, str]:
        await placed.create(order_id, {"state": "placed"}, [OrderPlaced(order_id=order_id)])
        runtime.notify_relay()
        return {"order_id": order_id}

    return create_app(runtime, title="observability sample", routers=[router])


def __getattr__(name: str) -> object:  # `uvicorn observability_samples:app` builds it; importing does not
    if name == "app":
        return build_app()
    raise AttributeError(name)
