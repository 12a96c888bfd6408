"""Wires insights: settings, runtime (store, consumers), the mailer, and the app.

`uvicorn insights.bootstrap:app --port 8005`. Insights publishes nothing and reads no other
service's database: everything it knows comes from the contracted topics.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI

from insights.adapters.mail import Notices, SentLog, SmtpRelay
from insights.adapters.projection import InsightsStore
from insights.entrypoints import api
from insights.entrypoints.consumers import consume_facts, consume_notifying_events
from insights.service_layer.kpis import Kpis
from insights.service_layer.notifications import Notifications
from insights.service_layer.projection import Projector
from insights.settings import InsightsSettings
from parkgrid.events import registry
from parkgrid.runtime import ServiceRuntime, create_app


@dataclass
class Insights:
    runtime: ServiceRuntime
    store: InsightsStore
    notifications: Notifications


def build(settings: InsightsSettings) -> Insights:
    runtime = ServiceRuntime(settings, registry=registry)
    store = InsightsStore(runtime.db)
    notifications = Notifications(
        store=store,
        notices=Notices(runtime.db["notices"]),
        sent_log=SentLog(runtime.db["sent_mail"]),
        relay=SmtpRelay(settings.smtp_host, settings.smtp_port, settings.mail_from, settings.smtp_timeout_seconds),
        settings=settings,
    )
    runtime.on_store_ready(store.ensure_indexes)
    runtime.on_store_ready(notifications.ensure_indexes)
    consume_facts(runtime, Projector(store))
    consume_notifying_events(runtime, notifications)
    return Insights(runtime, store, notifications)


def build_app(settings: InsightsSettings | None = None) -> FastAPI:
    settings = settings or InsightsSettings()
    insights = build(settings)
    application = create_app(
        insights.runtime,
        title="ParkGrid insights",
        description="KPIs of the network and member notifications, built only from published events.",
        routers=[api.router],
    )
    application.state.insights_store = insights.store
    application.state.kpis = Kpis(insights.store, ttl=settings.kpi_cache_seconds)
    application.state.notifications = insights.notifications
    started = application.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with started(app):
            mailer = asyncio.create_task(insights.notifications.run(), name="mailer") if settings.mail_enabled else None
            try:
                yield
            finally:
                insights.notifications.stop()
                if mailer is not None:
                    with contextlib.suppress(asyncio.CancelledError):
                        await mailer

    application.router.lifespan_context = lifespan
    return application


app = build_app()
