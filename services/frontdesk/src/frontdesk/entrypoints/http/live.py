"""Server-sent events of a site's Today page (`entrypoints/consumers.py` feeds them)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from frontdesk.entrypoints.http.pages import Clients, Feed, Settings
from frontdesk.entrypoints.http.staff_sites import site_context
from frontdesk.entrypoints.http.visitors import staff_at
from frontdesk.service_layer.live import SiteUpdate

router = APIRouter(prefix="/staff")


def message(update: SiteUpdate, time_zone: str) -> str:
    return f"event: update\ndata: {json.dumps(update.as_json(time_zone), default=str)}\n\n"


@router.get("/sites/{site_id}/live")
async def live(request: Request, services: Clients, settings: Settings, feed: Feed, site_id: str) -> StreamingResponse:
    """`text/event-stream` of the site's updates; a comment every few seconds keeps proxies from closing it."""
    visitor = staff_at(request, site_id)
    time_zone = (await site_context(services, visitor, site_id)).time_zone

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
