"""iCalendar feeds behind secret URLs: a member organisation's, or one of its people's.

`GET /members/{id}/calendar-feed[?person_id=]` gives the feed's link (made on first ask),
`POST .../calendar-feed/rotate` replaces its secret (the old URL is 404 from then on),
`DELETE .../calendar-feed` revokes it (404 afterwards; asking for the link again makes a new one).
Who may ask is who sees the member (`may_see_member`); the feed itself needs no bearer token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import PlainTextResponse

from bookings import views
from bookings.adapters.feeds import FeedFacts, FeedLinks
from bookings.entrypoints.http.common import Service, may_see_member
from bookings.entrypoints.http.slots import SpaceFacts
from parkgrid.api.bookings import CalendarFeedLink
from parkgrid.contracts.common import Id
from parkgrid.http.access import CallerOrService, component
from parkgrid.http.problems import NotFound, problems
from parkgrid.refusals import Refused

router = APIRouter(prefix="/v1", tags=["bookings"])

Links = Annotated[FeedLinks, component(FeedLinks)]
Community = Annotated[FeedFacts, component(FeedFacts)]
PersonId = Annotated[
    Id | None, Query(description="A person of the organisation: their own feed (else the organisation's).")
]


@dataclass(frozen=True)
class Feed:
    """The feed a route names: a member organisation's, or (`person_id`) one of its people's."""

    member_id: str
    person_id: str | None


async def feed_named(member_id: str, principal: CallerOrService, service: Service, person_id: PersonId = None) -> Feed:
    """Every feed route's `/members/{member_id}/calendar-feed[?person_id=]`: 404 unless the caller
    sees the member; then the person, if one of the organisation's people (as community last
    said), else 422 naming `person_id`; no person for the organisation's own feed."""
    await may_see_member(service, principal, member_id)
    if person_id is None:
        return Feed(member_id, None)
    member = await service.projections.member(member_id)
    if member is None or person_id not in member.people:
        raise Refused.invalid(f"{person_id} is not a person of {member_id}", field="query.person_id")
    return Feed(member_id, person_id)


NamedFeed = Annotated[Feed, Depends(feed_named)]


def link(request: Request, token: str) -> dict[str, str]:
    path = f"/v1/calendar/{token}.ics"
    return {"url": str(request.base_url).rstrip("/") + path, "path": path}


@router.get("/members/{member_id}/calendar-feed", response_model=CalendarFeedLink, responses=problems(403, 404, 422))
async def calendar_feed(feed: NamedFeed, request: Request, service: Service, links: Links) -> Any:
    """The secret URL of the organisation's (or a person's) iCalendar feed: whoever has it can read the feed."""
    return link(request, await links.token_of(feed.member_id, feed.person_id, service.clock()))


@router.post(
    "/members/{member_id}/calendar-feed/rotate",
    response_model=CalendarFeedLink,
    responses=problems(403, 404, 422),
)
async def rotate_calendar_feed(feed: NamedFeed, request: Request, service: Service, links: Links) -> Any:
    """A new secret URL for the feed; the old one is 404 from now on."""
    return link(request, await links.rotate(feed.member_id, feed.person_id, service.clock()))


@router.delete(
    "/members/{member_id}/calendar-feed", status_code=204, response_class=Response, responses=problems(403, 404, 422)
)
async def revoke_calendar_feed(feed: NamedFeed, links: Links) -> Response:
    """Revoke the feed's URL (404 afterwards). Revoking a feed that has no URL is no error."""
    await links.revoke(feed.member_id, feed.person_id)
    return Response(status_code=204)


@router.get("/calendar/{feed}", response_class=PlainTextResponse, responses=problems(404))
async def calendar(feed: str, service: Service, links: Links, rooms: SpaceFacts, community: Community) -> Any:
    """RFC 5545 feed; no bearer token: the URL's secret is the key."""
    if not feed.endswith(".ics"):
        raise NotFound("there is no such calendar")
    owner = await links.owner_of(feed.removesuffix(".ics"))
    if owner is None:
        raise NotFound("there is no such calendar")
    text = await views.calendar(service, rooms, community, *owner)
    return PlainTextResponse(text, media_type="text/calendar; charset=utf-8")
