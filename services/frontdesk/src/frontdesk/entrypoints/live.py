"""Server-sent events of a site's Today page, and the Kafka consumer that feeds them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from frontdesk.adapters.event_sites import EventSites
from frontdesk.entrypoints.staff import site_context
from frontdesk.entrypoints.web import staff_at
from frontdesk.service_layer.live import PANELS, LiveFeed, SiteUpdate, fan_out
from frontdesk.settings import FrontdeskSettings
from parkgrid.contracts.topics import TOPICS
from parkgrid.runtime import ServiceRuntime

router = APIRouter(prefix="/staff")


def consume_site_news(runtime: ServiceRuntime, settings: FrontdeskSettings, feed: LiveFeed, sites: EventSites) -> None:
    """Feed the site pages of this process from the services' topics.

    Every process must see every event to serve its own pages, so replicas need a group
    each (`FRONTDESK_LIVE_GROUP`); one process uses `<service>.live`.
    """
    runtime.consume(
        name="live",
        topics=[t for t in TOPICS if t.name in PANELS],
        handler=fan_out(
            feed, prefix=settings.topic_prefix, record_event_site=sites.record, site_of_event=sites.site_of
        ),
        group=settings.live_group,
    )


def message(update: SiteUpdate, time_zone: str) -> str:
    return f"event: update\ndata: {json.dumps(update.as_json(time_zone), default=str)}\n\n"


@router.get("/sites/{site_id}/live")
async def live(request: Request, site_id: str) -> StreamingResponse:
    """`text/event-stream` of the site's updates; a comment every few seconds keeps proxies from closing it."""
    visitor = staff_at(request, site_id)
    time_zone = (await site_context(request, visitor, site_id))["time_zone"]
    feed: LiveFeed = request.app.state.live_feed
    settings: FrontdeskSettings = request.app.state.settings

    async def stream() -> AsyncIterator[str]:
        async with feed.subscribe(site_id) as queue:
            yield "retry: 2000\n: connected\n\n"
            while not await request.is_disconnected():
                try:
                    update = await asyncio.wait_for(queue.get(), settings.live_heartbeat)
                except TimeoutError:
                    yield ": still here\n\n"
                    continue
                yield message(update, time_zone)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
