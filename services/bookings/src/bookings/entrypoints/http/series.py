"""Recurring bookings (series): request one, read it, cancel it from an occurrence on, move it
from an occurrence on (`reschedule`: a new series, booked first, then the old occurrences cancelled).

`POST /v1/series` honours `Idempotency-Key` (the series id derives from it), and a retry of
an interrupted request finishes it. It answers 201 with every occurrence's outcome, booked,
waitlisted or refused with the reason, even when some or all were refused: a partial series
is said, never hidden. One occurrence is cancelled as any booking (`/v1/bookings/{id}/cancel`).
Who may do what is a single booking's rule: a member for its own organisation, a front desk at
its sites (the series is at its offering's site, an online one at the member's home site).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response
from pydantic import Field

from bookings.domain.series import MAX_OCCURRENCES, Repeat
from bookings.entrypoints.http.common import MAX_LIMIT, Service, actor_of, may_name_member, site_of_member
from bookings.service_layer.series import SeriesCommand, SeriesDesk
from parkgrid.api.series import SeriesPage, SeriesRead
from parkgrid.auth import Principal, Role
from parkgrid.contracts.common import Id
from parkgrid.http.access import CallerOrService, Scope, Scoped, acts_for, component
from parkgrid.http.idempotency import command_id
from parkgrid.http.models import RequestModel
from parkgrid.http.problems import Forbidden, problems
from parkgrid.inputs import Day, Instant

router = APIRouter(prefix="/v1", tags=["series"])

Desk = Annotated[SeriesDesk, component(SeriesDesk)]
Weekday = Annotated[int, Field(ge=1, le=7)]


class RepeatIn(RequestModel):
    every_weeks: int = Field(1, ge=1, le=4, description="1: every week; 2: every other week; up to 4.")
    weekdays: list[Weekday] = Field(
        [], max_length=7, description="ISO weekdays, 1 = Monday; none: the first session's weekday."
    )
    until: Day | None = Field(None, description="The last local day (inclusive); or give `count`.")
    count: int | None = Field(None, ge=1, le=MAX_OCCURRENCES, description="How many occurrences; or give `until`.")


class SeriesIn(RequestModel):
    offering_id: Id
    member_id: Id
    person_id: Id | None = None
    starts_at: Instant = Field(description="The first occurrence: a session of the offering.")
    repeat: RepeatIn
    join_waitlist: bool = Field(False, description="A full occurrence joins its waitlist instead of being refused.")


class SeriesMoveIn(RequestModel):
    from_occurrence: Instant = Field(description="This occurrence and the following ones move.")
    starts_at: Instant = Field(description="The moved series' first session (its weekday, the same rhythm).")


class SeriesCancelIn(RequestModel):
    from_occurrence: Instant | None = Field(
        None, description="This occurrence and the following ones; none: every occurrence not yet begun."
    )
    override: bool = Field(False, description="Staff only: waive the late flag.")


def series_view(doc: dict[str, Any], statuses: dict[str, str] | None = None) -> dict[str, Any]:
    statuses = statuses or {}
    occurrences = [{**o, "status": statuses.get(o["booking_id"])} for o in doc["occurrences"]]
    return {
        **{k: doc.get(k) for k in SeriesRead.model_fields},
        "series_id": doc["_id"],
        "occurrences": occurrences,
        "booked": sum(o["outcome"] in ("booked", "waitlisted") for o in occurrences),
        "refused": sum(o["outcome"] == "refused" for o in occurrences),
    }


async def live_statuses(desk: SeriesDesk, doc: dict[str, Any]) -> dict[str, str]:
    """What became of each occurrence since: its booking confirmed, rejected or cancelled, its place promoted."""
    parts = desk.office.parts
    found: dict[str, str] = {}
    for occurrence in doc["occurrences"]:
        booking_id = occurrence["booking_id"]
        booking = await parts.bookings.get(booking_id)
        if booking is not None:
            found[booking_id] = booking[0].status.value
        elif (place := await parts.waitlist.get(f"wl-{booking_id}")) is not None:
            found[booking_id] = f"waitlist_{place['status']}"
    return found


def may_see_series(principal: Principal, doc: dict[str, Any]) -> None:
    Scope(principal).require(f"series {doc['_id']}", site_id=doc.get("site_id"), member_id=doc["member_id"])


def may_act_on_series(principal: Principal, doc: dict[str, Any]) -> None:
    if principal.role == Role.FRONT_DESK and not Scope(principal).sees(site_id=doc.get("site_id")):
        raise Forbidden(f"series {doc['_id']} is at {doc.get('site_id')}, not at one of your sites")
    may_see_series(principal, doc)


@router.post("/series", status_code=201, response_model=SeriesRead, responses=problems(403, 404, 409, 422))
async def request_series(
    body: SeriesIn,
    response: Response,
    principal: CallerOrService,
    service: Service,
    desk: Desk,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> Any:
    """Book every occurrence of the rule as its own booking (same seats, credits and rules as one);
    the answer lists each with its outcome. Members for their own organisation; front desks at their sites."""
    acts_for(principal, body.member_id, "members book for their own organisation only", field="member_id")
    offering, _ = await service.offering(body.offering_id)
    site = offering.site_id or await site_of_member(service, body.member_id)
    if principal.role == Role.FRONT_DESK and not Scope(principal).sees(site_id=site):
        raise Forbidden(f"you are not front desk at {site}", field="offering_id")
    person_id = body.person_id
    if principal.role == Role.MEMBER and person_id is None:
        person_id = principal.person_id
    repeat = body.repeat
    command = SeriesCommand(
        series_id=f"sr-{command_id(f'bookings.series:{principal.subject}', idempotency_key)}",
        offering_id=body.offering_id,
        member_id=body.member_id,
        person_id=person_id,
        first=body.starts_at,
        repeat=Repeat(repeat.every_weeks, tuple(repeat.weekdays), repeat.until, repeat.count),
        join_waitlist=body.join_waitlist,
        actor=actor_of(principal),
        site_id=site,
    )
    doc, version = await desk.request(command)
    response.headers["Location"] = f"/v1/series/{doc['_id']}"
    response.headers["ETag"] = f'"{version}"'
    return series_view(doc, await live_statuses(desk, doc))


@router.get("/series/{series_id}", response_model=SeriesRead, responses=problems(404))
async def get_series(series_id: str, response: Response, principal: CallerOrService, desk: Desk) -> Any:
    doc, version = await desk.get(series_id)
    may_see_series(principal, doc)
    response.headers["ETag"] = f'"{version}"'
    return series_view(doc, await live_statuses(desk, doc))


@router.get("/series", response_model=SeriesPage, responses=problems(403))
async def list_series(
    scope: Scoped,
    principal: CallerOrService,
    service: Service,
    desk: Desk,
    member_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = MAX_LIMIT,
) -> Any:
    """The series the caller sees (of one member organisation if `member_id`), oldest first; outcomes as recorded."""
    await may_name_member(service, principal, member_id)
    docs = await desk.book.find(member_id, scope.query(site_field="site_id", member_field="member_id"), limit)
    return {"items": [series_view(doc) for doc in docs]}


@router.post("/series/{series_id}/cancel", response_model=SeriesRead, responses=problems(403, 404, 409, 422))
async def cancel_series(
    series_id: str, response: Response, principal: CallerOrService, desk: Desk, body: SeriesCancelIn | None = None
) -> Any:
    """Cancel this occurrence and the following ones (`from_occurrence`), or the whole series' future;
    each booking as a single cancellation would (late flag, credits)."""
    body = body or SeriesCancelIn()
    doc, _ = await desk.get(series_id)
    may_act_on_series(principal, doc)
    if body.override and principal.role not in (Role.ADMIN, Role.FRONT_DESK):
        raise Forbidden("only staff may override the cancellation rules", field="override")
    doc, version = await desk.cancel(series_id, body.from_occurrence, actor_of(principal), staff_override=body.override)
    response.headers["ETag"] = f'"{version}"'
    return series_view(doc, await live_statuses(desk, doc))


@router.post(
    "/series/{series_id}/reschedule", status_code=201, response_model=SeriesRead, responses=problems(403, 404, 409, 422)
)
async def reschedule_series(
    series_id: str,
    body: SeriesMoveIn,
    response: Response,
    principal: CallerOrService,
    desk: Desk,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> Any:
    """Move this occurrence and the following ones to another weekday or time: a new series (201,
    Location; `moved_from` names the old one), booked first with every occurrence's outcome, then
    the old occurrences cancelled. Retried with the same Idempotency-Key, it finishes the same move."""
    doc, _ = await desk.get(series_id)
    may_act_on_series(principal, doc)
    scope = f"bookings.series.move:{principal.subject}:{series_id}"
    new_id = f"sr-{command_id(scope, idempotency_key)}"
    moved, version = await desk.move(series_id, body.from_occurrence, body.starts_at, actor_of(principal), new_id)
    response.headers["Location"] = f"/v1/series/{moved['_id']}"
    response.headers["ETag"] = f'"{version}"'
    return series_view(moved, await live_statuses(desk, moved))
