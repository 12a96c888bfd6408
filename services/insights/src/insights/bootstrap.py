"""Wires insights: settings, runtime (store, consumers), the mailer, and the app.

`uvicorn insights.bootstrap:app --port 8005`. Insights publishes nothing and reads no other
service's database: everything it knows comes from the contracted topics. `build(settings)`
makes the parts; `build_app(settings)` puts them behind the routers (`provide`) and runs the
mailer with the app.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from fastapi import FastAPI

from insights.adapters.exports import ExportStore
from insights.adapters.keys import SUBJECT_KEYS, SubjectKeys
from insights.adapters.mail import Notices, SentLog, SmtpRelay
from insights.adapters.projection import PROJECTED_TOPICS, WEBHOOK_TOPICS, InsightsStore, topics_of
from insights.adapters.sealing import Sealer
from insights.adapters.webhooks import WebhookSender, WebhookStore
from insights.entrypoints.http import routers
from insights.service_layer.erasure import Erasure
from insights.service_layer.exports import Exports
from insights.service_layer.kpis import Kpis
from insights.service_layer.notifications import NOTIFYING_TOPICS, Notifications
from insights.service_layer.projection import PROJECTION, Projector
from insights.service_layer.webhooks import EndpointCommands, Webhooks
from insights.settings import InsightsSettings
from parkgrid.contracts.privacy import EXPORTING_SERVICES
from parkgrid.contracts.topics import topic
from parkgrid.events import registry
from parkgrid.http.access import provide
from parkgrid.runtime import ServiceRuntime, Subscription, create_app
from parkgrid.settings import KitSettings


@dataclass
class InsightsParts:
    """What `build` wires: the runtime, the projection's store and projector, the KPI queries, the mailer,
    the webhooks' worker, the admins' endpoint commands and the exports."""

    runtime: ServiceRuntime
    store: InsightsStore
    keys: SubjectKeys
    projector: Projector
    kpis: Kpis
    notifications: Notifications
    webhooks: Webhooks
    endpoints: EndpointCommands
    exports: Exports


def subscriptions(parts: InsightsParts) -> list[Subscription]:
    """The projection (every fact topic) and the notifications, in two groups so that neither holds up the other."""
    return [
        Subscription(
            name=PROJECTION,
            topics=topics_of(PROJECTED_TOPICS),
            handler=parts.projector.on_event,
            projections=[parts.store.facts, parts.store.aggregates],
            # `parkgrid rebuild insights projection` replays in batches, its indexes back right after the drop.
            apply_batch=parts.projector.on_batch,
            after_drop=parts.projector.after_drop,
        ),
        Subscription(name="notifications", topics=topics_of(NOTIFYING_TOPICS), handler=parts.notifications.on_event),
        # a group of its own: a slow endpoint lookup never holds up the projection or the mail
        # (billing's facts are projected for the KPIs but not offered to endpoints: `domain.webhooks.offered`)
        Subscription(name="webhooks", topics=topics_of(WEBHOOK_TOPICS), handler=parts.webhooks.on_event),
        Subscription(
            name="exports", topics=[topic(f"{s}.export") for s in EXPORTING_SERVICES], handler=parts.exports.on_answer
        ),
        # people's keys, kept apart from the facts (never a fact, never a webhook): a shredded key goes at once
        Subscription(
            name=SUBJECT_KEYS,
            topics=[topic("community.subject_key")],
            handler=parts.keys.on_event,
            projections=[parts.keys.collection],
        ),
    ]


def build(settings: InsightsSettings) -> InsightsParts:
    runtime = ServiceRuntime(settings, registry=registry, topics=[topic("insights.export")])
    store = InsightsStore(runtime.db)
    keys = SubjectKeys(runtime.db[SUBJECT_KEYS])
    notifications = Notifications(
        keys=keys,
        store=store,
        notices=Notices(runtime.db["notices"]),
        sent_log=SentLog(runtime.db["sent_mail"]),
        relay=SmtpRelay(
            settings.smtp_host,
            settings.smtp_port,
            settings.mail_from,
            settings.smtp_timeout_seconds,
            security=settings.smtp_security,
            user=settings.smtp_user,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            tls=ssl.create_default_context(cafile=settings.smtp_ca_file) if settings.smtp_ca_file else None,
        ),
        settings=settings,
    )
    runtime.on_store_ready(store.ensure_indexes)
    runtime.on_store_ready(notifications.ensure_indexes)
    hooks = WebhookStore(runtime.db, Sealer.of(settings.webhook_sealing_keys))
    runtime.on_store_ready(hooks.ensure_indexes)
    webhooks = Webhooks(
        store=hooks,
        facts=store,
        sender=WebhookSender(settings.webhook_timeout_seconds, reach_private=settings.webhooks_reach_private_addresses),
        sent_log=notifications.sent_log,
        settings=settings,
    )
    export_store = ExportStore(runtime.db)
    runtime.relay_outbox_of(export_store.requests.collection)
    runtime.on_store_ready(export_store.ensure_indexes)
    exports = Exports(export_store, notifications.sent_log.collection, runtime.notify_relay)
    runtime.every("forget-exports", timedelta(hours=1), exports.forget_expired)
    parts = InsightsParts(
        runtime,
        store,
        keys,
        Projector(store, Erasure(notifications.notices, notifications.sent_log, export_store)),
        Kpis(store, ttl=settings.kpi_cache_seconds),
        notifications,
        webhooks,
        EndpointCommands(hooks, settings, catch_up=webhooks.replay),
        exports,
    )
    runtime.subscribe(*subscriptions(parts))
    return parts


def build_app(settings: KitSettings | None = None) -> FastAPI:
    config = InsightsSettings.of(settings)
    parts = build(config)
    application = create_app(
        parts.runtime,
        title="ParkGrid insights",
        description="KPIs of the network and member notifications, built only from published events.",
        routers=routers,
    )
    provide(
        application,
        parts.store,
        parts.kpis,
        parts.notifications,
        parts.webhooks,
        parts.webhooks.store,
        parts.endpoints,
        parts.exports,
    )
    started = application.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with started(app):
            mailer = asyncio.create_task(parts.notifications.run(), name="mailer") if config.mail_enabled else None
            hooks = asyncio.create_task(parts.webhooks.run(), name="webhooks") if config.webhooks_enabled else None
            try:
                yield
            finally:
                if hooks is not None:  # a send cut short keeps its lease: the next worker sends it once it lapses
                    parts.webhooks.stop()
                    hooks.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await hooks
                await parts.webhooks.sender.close()
                parts.notifications.stop()
                if mailer is not None:
                    with contextlib.suppress(asyncio.CancelledError):
                        await mailer

    application.router.lifespan_context = lifespan
    return application


app = build_app()
