"""The live feed of a site: what the Kafka consumer learns, fanned out to the open Today pages.

One group-less reader per web-app process reads the services' topics from their end (no
consumer group: a new pod replays nothing, a gone one leaves nothing); each event names its site
(a registration through the event it belongs to) and becomes a small update that every
connected front-desk page of that site receives over server-sent events. A page that
cannot keep up loses updates rather than slowing the others (its queue is bounded);
it reloads the panel on the next one anyway.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from typing import Any

from frontdesk.domain.today import local_time
from parkgrid.consumer import Delivery
from parkgrid.envelope import Envelope

QUEUE_SIZE = 100

# topic (without the test prefix) -> the Today panel it changes
PANELS = {
    "bookings.booking": "bookings",
    "spaces.reservation": "rooms",
    "community.event": "events",
    "community.registration": "events",
    "spaces.visit": "visitors",
}


@dataclass(frozen=True)
class SiteUpdate:
    """One change at a site, as the page needs it: which panel to refresh and a line to show."""

    panel: str
    type: str
    subject: str
    status: str | None
    summary: dict[str, Any]

    def as_json(self, time_zone: str | None = None) -> dict[str, Any]:
        """The update as sent to a page, with its start on the site's clock when a zone is given
        (browsers' time-zone data is not to be trusted for Morocco's Ramadan changes)."""
        body = asdict(self)
        window = self.summary.get("session") or self.summary.get("time") or self.summary.get("event_time") or {}
        if time_zone and isinstance(window, dict) and window.get("starts_at"):
            body["local_start"] = local_time(str(window["starts_at"]), time_zone)
        return body


class LiveFeed:
    """Subscribers per site, each with its own bounded queue."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[asyncio.Queue[SiteUpdate]]] = {}

    @asynccontextmanager
    async def subscribe(self, site_id: str) -> AsyncIterator[asyncio.Queue[SiteUpdate]]:
        queue: asyncio.Queue[SiteUpdate] = asyncio.Queue(QUEUE_SIZE)
        self._subscribers.setdefault(site_id, set()).add(queue)
        try:
            yield queue
        finally:
            self._subscribers[site_id].discard(queue)
            if not self._subscribers[site_id]:
                del self._subscribers[site_id]

    def watchers(self, site_id: str) -> int:
        return len(self._subscribers.get(site_id, ()))

    def publish(self, site_id: str, update: SiteUpdate) -> int:
        """Hand the update to every page of the site; returns how many got it."""
        delivered = 0
        for queue in self._subscribers.get(site_id, set()):
            try:
                queue.put_nowait(update)
                delivered += 1
            except asyncio.QueueFull:
                continue
        return delivered


def update_of(topic: str, envelope: Envelope) -> SiteUpdate | None:
    """The page update an event means, or None for topics the front desk does not show."""
    panel = PANELS.get(topic)
    if panel is None:
        return None
    data = envelope.data
    summary: dict[str, Any] = {}
    for key in (
        "offering_title",
        "event_title",
        "title",
        "session",
        "time",
        "event_time",
        "member_id",
        "person_id",
        "space_name",
        "space_id",
    ):
        if data.get(key) is not None:
            summary[key] = data[key]
    return SiteUpdate(
        panel=panel,
        type=envelope.type,
        subject=envelope.subject,
        status=data.get("status"),
        summary=summary,
    )


def fan_out(
    feed: LiveFeed,
    *,
    prefix: str,
    site_of_event: Callable[[str], Awaitable[str | None]],
) -> Callable[[Delivery], Awaitable[None]]:
    """The live reader's handler: tell the pages of the event's site (a registration's site is
    the event_sites projection's, which the shared group fills)."""

    async def handle(delivery: Delivery) -> None:
        topic = delivery.topic.removeprefix(prefix)
        envelope = delivery.envelope
        update = update_of(topic, envelope)
        if update is None:
            return
        site_id = envelope.data.get("site_id")
        if site_id is None and topic == "community.registration":
            site_id = await site_of_event(str(envelope.data.get("event_id")))
        if site_id:
            feed.publish(str(site_id), update)

    return handle
