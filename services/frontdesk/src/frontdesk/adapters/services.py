"""HTTP clients of the four services, calling with the signed-in user's own token.

The web app decides nothing itself: each service checks the token and its own rules.
A service that does not answer raises `Unavailable` (the page shows that panel as
unavailable and renders the rest); a refusal raises `ServiceProblem` with the
problem+json body, so the page can show it next to the field that caused it.

Answers are parsed into the services' published read models (`parkgrid.api`): the pages
read attributes, never guess shapes. An answer its model refuses is the service breaking
its contract: logged as an error, and that panel shows the service as unavailable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from frontdesk.adapters.known_members import MemberDirectory
from frontdesk.adapters.known_sites import SiteDirectory
from parkgrid.api.bookings import (
    BookingPage,
    BookingRead,
    CalendarFeedLink,
    EntitlementPage,
    SiteDay,
    SlotPage,
    WaitlistEntryRead,
    WaitlistPage,
    WaitlistPlaceRead,
)
from parkgrid.api.catalogue import OfferingPage, OfferingRead
from parkgrid.api.community import (
    EventPage,
    EventRead,
    MemberPage,
    MemberRead,
    RegistrationPage,
    RegistrationRead,
    TicketRead,
)
from parkgrid.api.spaces import AcceptedOffer, OccupancyDay, ResidencyRead, SiteList, SiteRead, SiteWaitlist
from parkgrid.clock import utc_now
from parkgrid.logging import get_logger

log = get_logger(__name__)

Json = dict[str, Any]
M = TypeVar("M", bound=BaseModel)


class Unavailable(Exception):
    """The service did not answer (down, timing out, or failing with 5xx)."""

    def __init__(self, service: str, reason: str) -> None:
        super().__init__(f"{service} is unavailable: {reason}")
        self.service = service
        self.reason = reason


class ServiceProblem(Exception):
    """The service refused the request (4xx) with a problem+json body."""

    def __init__(self, service: str, status: int, problem: Json) -> None:
        self.service = service
        self.status = status
        self.problem = problem
        self.detail = str(problem.get("detail") or problem.get("title") or f"HTTP {status}")
        super().__init__(f"{service} {status}: {self.detail}")

    @property
    def field(self) -> str | None:
        errors = self.problem.get("errors") or []
        if errors and isinstance(errors[0], Mapping):
            return errors[0].get("field")
        field = self.problem.get("field")
        return str(field) if field else None


class ServiceClient:
    """One service's base URL and connection pool; every call carries the caller's bearer token."""

    def __init__(
        self, name: str, base_url: str, *, timeout: float = 5.0, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.name = name
        self.http = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout, transport=transport)

    async def close(self) -> None:
        await self.http.aclose()

    async def call(
        self,
        method: str,
        path: str,
        token: str | None,
        *,
        params: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        query = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        try:
            response = await self._send(method, path, query, body, sent)
        except httpx.TransportError as exc:
            log.warning("frontdesk.service_unavailable", service=self.name, path=path, error=repr(exc))
            raise Unavailable(self.name, type(exc).__name__) from None
        if response.status_code >= 500:
            log.warning("frontdesk.service_failed", service=self.name, path=path, status=response.status_code)
            raise Unavailable(self.name, f"HTTP {response.status_code}")
        if response.status_code >= 400:
            try:
                problem = response.json()
            except ValueError:
                problem = {"detail": response.text[:300] or response.reason_phrase}
            if not isinstance(problem, dict):
                problem = {"detail": str(problem)}
            raise ServiceProblem(self.name, response.status_code, problem)
        return response

    async def _send(
        self, method: str, path: str, query: Mapping[str, Any], body: Mapping[str, Any] | None, headers: dict[str, str]
    ) -> httpx.Response:
        """One request; a read is sent once more when its pooled connection was closed under it.

        A service closes an idle keep-alive connection on its own schedule, and a request that
        picked that connection from the pool just then fails with a read or protocol error before
        the service saw it. Reads are safe to repeat; writes are not repeated here (their
        Idempotency-Key makes the person's own retry safe instead)."""
        try:
            return await self.http.request(method, path, params=query, json=body, headers=headers)
        except (httpx.ReadError, httpx.RemoteProtocolError) as exc:
            if method != "GET":
                raise
            log.info("frontdesk.read_retried", service=self.name, path=path, error=repr(exc))
            return await self.http.request(method, path, params=query, json=body, headers=headers)

    async def get(self, path: str, token: str | None, **params: Any) -> Json:
        answer: Json = (await self.call("GET", path, token, params=params)).json()
        return answer

    async def post(self, path: str, token: str | None, body: Mapping[str, Any] | None = None) -> Json:
        response = await self.call("POST", path, token, body=body if body is not None else {})
        answer: Json = response.json() if response.content else {}
        return answer

    async def patch(
        self, path: str, token: str | None, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
    ) -> Json:
        answer: Json = (await self.call("PATCH", path, token, body=body, headers=headers)).json()
        return answer

    def parse(self, model: type[M], answer: Any, path: str) -> M:
        """The answer as its read model; one that does not fit is the service's bug, shown as unavailable."""
        try:
            return model.model_validate(answer)
        except ValidationError as exc:
            log.error(
                "frontdesk.unreadable_answer", service=self.name, path=path, model=model.__name__, errors=str(exc)
            )
            raise Unavailable(self.name, f"an answer that is not a {model.__name__}") from None

    async def read(self, model: type[M], path: str, token: str | None, **params: Any) -> M:
        return self.parse(model, await self.get(path, token, **params), path)

    async def send(self, model: type[M], path: str, token: str | None, body: Mapping[str, Any] | None = None) -> M:
        return self.parse(model, await self.post(path, token, body), path)


class Catalogue(ServiceClient):
    async def offerings(self, token: str, **filters: Any) -> OfferingPage:
        return await self.read(OfferingPage, "/v1/offerings", token, **filters)

    async def offering(self, token: str, offering_id: str) -> OfferingRead:
        return await self.read(OfferingRead, f"/v1/offerings/{offering_id}", token)


class Bookings(ServiceClient):
    async def slots(self, token: str, offering_id: str, start: date, end: date, *, begun: bool = False) -> SlotPage:
        """Bookable sessions of [start, end]; with `begun` (staff), those begun that a desk may record as visits."""
        window = {"from": start.isoformat(), "to": end.isoformat()}
        return await self.read(
            SlotPage, f"/v1/offerings/{offering_id}/slots", token, **window, **({"begun": "true"} if begun else {})
        )

    async def book(self, token: str, request: Mapping[str, Any]) -> BookingRead | WaitlistPlaceRead:
        """The booking, or its place in line when the session was full and the request asked to wait."""
        path = "/v1/bookings"
        answer = await self.post(path, token, request)
        if answer.get("status") == "waitlisted":
            return self.parse(WaitlistPlaceRead, answer, path)
        return self.parse(BookingRead, answer, path)

    async def booking(self, token: str, booking_id: str) -> BookingRead:
        return await self.read(BookingRead, f"/v1/bookings/{booking_id}", token)

    async def bookings(self, token: str, **filters: Any) -> BookingPage:
        return await self.read(BookingPage, "/v1/bookings", token, **filters)

    async def cancel(self, token: str, booking_id: str) -> BookingRead:
        return await self.send(BookingRead, f"/v1/bookings/{booking_id}/cancel", token)

    async def check_in(self, token: str, booking_id: str) -> BookingRead:
        return await self.send(BookingRead, f"/v1/bookings/{booking_id}/check-in", token)

    async def day(self, token: str, site_id: str, day: date) -> SiteDay:
        return await self.read(SiteDay, f"/v1/sites/{site_id}/day", token, date=day.isoformat())

    async def entitlements(self, token: str, member_id: str) -> EntitlementPage:
        return await self.read(EntitlementPage, f"/v1/members/{member_id}/entitlements", token)

    async def calendar_feed(self, token: str, member_id: str) -> CalendarFeedLink:
        return await self.read(CalendarFeedLink, f"/v1/members/{member_id}/calendar-feed", token)

    async def waitlist(self, token: str, member_id: str) -> WaitlistPage:
        return await self.read(WaitlistPage, "/v1/waitlist", token, member_id=member_id)

    async def waitlist_seen(self, token: str) -> WaitlistPage:
        """Every waitlist place the caller sees (a front desk: those of its sites)."""
        return await self.read(WaitlistPage, "/v1/waitlist", token)

    async def leave_waitlist(self, token: str, entry_id: str) -> WaitlistEntryRead:
        """The place given up (`left`); 409 when it is no longer waiting."""
        return await self.send(WaitlistEntryRead, f"/v1/waitlist/{entry_id}/leave", token)


class Spaces(ServiceClient):
    async def sites(self, token: str) -> SiteList:
        return await self.read(SiteList, "/v1/sites", token)

    async def site(self, token: str, site_id: str) -> SiteRead:
        return await self.read(SiteRead, f"/v1/sites/{site_id}", token)

    async def occupancy(self, token: str, site_id: str, day: date) -> OccupancyDay:
        return await self.read(OccupancyDay, f"/v1/sites/{site_id}/occupancy", token, date=day.isoformat())

    async def start_residency(self, token: str, request: Mapping[str, Any]) -> ResidencyRead:
        return await self.send(ResidencyRead, "/v1/residencies", token, request)

    async def end_residency(self, token: str, residency_id: str) -> ResidencyRead:
        return await self.send(ResidencyRead, f"/v1/residencies/{residency_id}/end", token)

    async def office_waitlist(self, token: str, site_id: str) -> SiteWaitlist:
        return await self.read(SiteWaitlist, f"/v1/sites/{site_id}/office-waitlist", token)

    async def accept_office_offer(self, token: str, entry_id: str) -> AcceptedOffer:
        return await self.send(AcceptedOffer, f"/v1/office-waitlist/{entry_id}/accept", token)


class Community(ServiceClient):
    async def members(self, token: str, **filters: Any) -> MemberPage:
        return await self.read(MemberPage, "/v1/members", token, **filters)

    async def member(self, token: str, member_id: str) -> MemberRead:
        return await self.read(MemberRead, f"/v1/members/{member_id}", token)

    async def erase_person(self, token: str, member_id: str, person_id: str) -> MemberRead:
        """Someone erased at their request (admins; 403 for anyone else); erasing twice changes nothing."""
        return await self.send(MemberRead, f"/v1/members/{member_id}/people/{person_id}/erase", token)

    async def erase_everyone(self, token: str, member_id: str) -> MemberRead:
        """Every person of an organisation that left (admins; 409 while it is in the programme)."""
        return await self.send(MemberRead, f"/v1/members/{member_id}/erase", token)

    async def events(self, token: str, **filters: Any) -> EventPage:
        return await self.read(EventPage, "/v1/events", token, **filters)

    async def event(self, token: str, event_id: str) -> EventRead:
        return await self.read(EventRead, f"/v1/events/{event_id}", token)

    async def revise_event(self, token: str, event_id: str, changes: Mapping[str, Any], version: str) -> EventRead:
        """Title, description, capacity, audience, if the event is still at `version` (If-Match: 412
        when someone changed it since); 409 when the capacity is below the confirmed seats."""
        path = f"/v1/events/{event_id}"
        return self.parse(EventRead, await self.patch(path, token, changes, {"If-Match": f'"{version}"'}), path)

    async def register(self, token: str, event_id: str, person_id: str, member_id: str | None) -> RegistrationRead:
        body = {"person_id": person_id} | ({"member_id": member_id} if member_id else {})
        return await self.send(RegistrationRead, f"/v1/events/{event_id}/registrations", token, body)

    async def registrations(self, token: str, **filters: Any) -> RegistrationPage:
        return await self.read(RegistrationPage, "/v1/registrations", token, **filters)

    async def ticket(self, token: str, registration_id: str) -> TicketRead:
        return await self.read(TicketRead, f"/v1/registrations/{registration_id}/ticket", token)

    async def check_in(self, token: str, event_id: str, ticket: str) -> RegistrationRead:
        return await self.send(RegistrationRead, f"/v1/events/{event_id}/check-ins", token, {"token": ticket})


class Services:
    """The four clients the pages use, the sites' names and zones (`known_sites`, the web app's projection),
    the zone of a site spaces cannot tell (it is down): the
    network's default (`PARKGRID_DEFAULT_TIME_ZONE`), and the clock a page's "today" is read
    from (tests pass a fixed one)."""

    def __init__(
        self,
        catalogue: Catalogue,
        bookings: Bookings,
        spaces: Spaces,
        community: Community,
        *,
        default_time_zone: str,
        clock: Callable[[], datetime] = utc_now,
        sites: SiteDirectory | None = None,
        members: MemberDirectory | None = None,
    ) -> None:
        self.catalogue = catalogue
        self.bookings = bookings
        self.spaces = spaces
        self.community = community
        self.default_time_zone = default_time_zone
        self.clock = clock
        self.sites = sites
        """Names and zones of every site from the web app's own projection (any visitor may read them)."""
        self.members = members
        """Names and home sites of every member organisation, from the web app's own projection."""

    async def close(self) -> None:
        for client in (self.catalogue, self.bookings, self.spaces, self.community):
            await client.close()
