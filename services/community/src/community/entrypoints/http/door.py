"""At the door: a confirmed registration's ticket (signed token and QR code), and check-in."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field

from community.adapters.tickets import qr_svg
from community.entrypoints.http.scope import EventsService, RegistrationsService, SeenRegistration, Store, event_for
from community.views import registration_read
from parkgrid.api.community import RegistrationRead, TicketRead
from parkgrid.http.access import Staff
from parkgrid.http.models import RequestModel
from parkgrid.http.problems import problems

router = APIRouter(prefix="/v1", tags=["registrations"])


class CheckInIn(RequestModel):
    token: str = Field(min_length=1, max_length=4000)


@router.get("/registrations/{registration_id}/ticket", response_model=TicketRead, responses=problems(403, 404, 409))
async def ticket(seen: SeenRegistration, registrations: RegistrationsService) -> TicketRead:
    """The signed check-in token and its QR code (SVG), to show at the door."""
    registration, _ = seen
    token = registrations.ticket(registration)
    return TicketRead(
        registration_id=registration.registration_id,
        event_id=registration.event_id,
        token=token,
        qr_svg=qr_svg(token),
    )


@router.post("/events/{event_id}/check-ins", response_model=RegistrationRead, responses=problems(403, 404, 409))
async def check_in(
    event_id: str,
    body: CheckInIn,
    principal: Staff,
    store: Store,
    events: EventsService,
    registrations: RegistrationsService,
) -> RegistrationRead:
    """At the door: the ticket's token; a forged, expired or other event's ticket is refused (422 on `token`)."""
    await event_for(events, event_id, principal)
    registration, version = await registrations.check_in(event_id, body.token)
    return await registration_read(store, registration, version)
