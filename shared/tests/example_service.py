"""A minimal service built from the kit (a store, a relay, a consumer), run by tests as
a real process: `uvicorn example_service:app`."""

from __future__ import annotations

from kit_samples import COUNTERS, counter_store, project, registry

from parkgrid.consumer import Delivery
from parkgrid.projection import Projection
from parkgrid.runtime import ServiceRuntime, create_app
from parkgrid.settings import KitSettings

settings = KitSettings(PARKGRID_SERVICE_NAME="example")
runtime = ServiceRuntime(settings, registry=registry, topics=[COUNTERS])
store = counter_store(runtime.db["counters"])
view = Projection(runtime.db["counter_view"])
runtime.relay_outbox_of(store.collection)


async def _project(delivery: Delivery) -> None:
    await project(view, delivery)


runtime.consume(name="counter-view", topics=[COUNTERS], handler=_project)
app = create_app(runtime, title="example")
