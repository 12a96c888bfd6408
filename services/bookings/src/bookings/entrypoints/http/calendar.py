"""A member organisation's bookings as an iCalendar feed behind a secret URL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse

from bookings import views
from bookings.entrypoints.http.common import Feeds, Service, may_see_member
from parkgrid.api.bookings import CalendarFeedLink
from parkgrid.http.access import CallerOrService
from parkgrid.http.problems import NotFound, problems

router = APIRouter(prefix="/v1", tags=["bookings"])


@router.get("/members/{member_id}/calendar-feed", response_model=CalendarFeedLink, responses=problems(403, 404))
async def calendar_feed(
    member_id: str, request: Request, principal: CallerOrService, service: Service, feeds: Feeds
) -> Any:
    """The secret URL of the organisation's iCalendar feed (whoever has it can read the feed)."""
    await may_see_member(service, principal, member_id)
    token = await feeds.token_of(member_id, datetime.now(UTC))
    path = f"/v1/calendar/{token}.ics"
    return {"url": str(request.base_url).rstrip("/") + path, "path": path}


@router.get("/calendar/{feed}", response_class=PlainTextResponse, responses=problems(404))
async def calendar(feed: str, service: Service, feeds: Feeds) -> PlainTextResponse:
    """RFC 5545 feed; no bearer token: the URL's secret is the key."""
    if not feed.endswith(".ics"):
        raise NotFound("there is no such calendar")
    member_id = await feeds.member_of(feed.removesuffix(".ics"))
    if member_id is None:
        raise NotFound("there is no such calendar")
    text = await views.calendar(service, member_id)
    return PlainTextResponse(text, media_type="text/calendar; charset=utf-8")
