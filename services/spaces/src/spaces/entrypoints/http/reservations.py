"""Staff reservations: the front desk of the site (or an admin) reserves a fitting space."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import Field, model_validator

from parkgrid.api.spaces import ReservationRead
from parkgrid.contracts.common import Feature, Id, SpaceKind, SpaceRequirement, TimeRange
from parkgrid.contracts.spaces import Requester
from parkgrid.http.access import Staff
from parkgrid.http.idempotency import command_id
from parkgrid.http.models import RequestModel
from parkgrid.http.params import PathId
from parkgrid.http.problems import problems
from parkgrid.inputs import Instant
from spaces.domain.model import LONGEST_RESERVATION
from spaces.entrypoints.http.deps import ReservationsPart, Store, in_scope, named_site
from spaces.service_layer.handlers import ReservationRequest
from spaces.views import reservation_body

router = APIRouter(prefix="/v1", tags=["reservations"])


class RequirementIn(RequestModel):
    kind: SpaceKind
    seats: int = Field(ge=1, le=2000)
    features: list[Feature] = Field(default_factory=list, max_length=30)


class TimeRangeIn(RequestModel):
    starts_at: Instant
    ends_at: Instant

    @model_validator(mode="after")
    def _sensible(self) -> TimeRangeIn:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        if self.ends_at - self.starts_at > LONGEST_RESERVATION:
            raise ValueError(f"a reservation lasts at most {LONGEST_RESERVATION.days} days")
        return self


class ReservationIn(RequestModel):
    site_id: Id
    requirement: RequirementIn
    time: TimeRangeIn
    member_id: Id | None = None
    reference_id: Id | None = None


@router.post("/reservations", status_code=201, response_model=ReservationRead, responses=problems(403))
async def reserve(
    body: ReservationIn,
    request: Request,
    response: Response,
    principal: Staff,
    store: Store,
    reservations: ReservationsPart,
) -> dict[str, object]:
    """Confirmed on the best-fitting free space, or stored as refused with the reason."""
    site = await named_site(store, principal, body.site_id)
    reservations.check_horizon(body.time.starts_at)
    request_id = command_id(principal.subject, request.headers.get("idempotency-key"))
    doc = await reservations.reserve(
        ReservationRequest(
            request_id=request_id,
            requested_by=Requester.STAFF,
            reference_id=body.reference_id or request_id,
            site_id=body.site_id,
            requirement=SpaceRequirement.model_validate(body.requirement.model_dump()),
            time=TimeRange(starts_at=body.time.starts_at, ends_at=body.time.ends_at),
            member_id=body.member_id,
        )
    )
    response.headers["Location"] = f"/v1/reservations/{request_id}"
    return reservation_body(doc, site.time_zone)


@router.get("/reservations/{reservation_id}", response_model=ReservationRead, responses=problems(403, 404))
async def get_reservation(
    reservation_id: PathId, principal: Staff, store: Store, reservations: ReservationsPart
) -> dict[str, object]:
    doc = in_scope(await reservations.get(reservation_id), principal, f"reservation {reservation_id}")
    found = await store.site(doc["site_id"])
    return reservation_body(doc, found[0].time_zone if found else None)


@router.post("/reservations/{reservation_id}/release", response_model=ReservationRead, responses=problems(403, 404))
async def release(reservation_id: PathId, principal: Staff, reservations: ReservationsPart) -> dict[str, object]:
    """Give the space back; a refused or released reservation stays as it is."""
    in_scope(await reservations.get(reservation_id), principal, f"reservation {reservation_id}")
    released = await reservations.release(reservation_id)
    assert released is not None
    return reservation_body(released)
