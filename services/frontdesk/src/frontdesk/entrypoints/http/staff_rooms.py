"""A site's room settings (issue 25, items 3 and 5): each room's preparation and cleaning time, the
site's defaults by kind of space and its no-show release. Front desks of the site read them (as
spaces lets them); admins change them (spaces' PATCH is for admins).

Each form carries the version it was drawn from and spaces changes the room or the site only if it
is still at it (If-Match): a second admin's save in between is not overwritten but shown ("changed
meanwhile", the form drawn again from the current values). Saved → Post/Redirect/Get with a
notice; refused → the page again with each message next to its field. Each room also has its door
sign (`room_door`), a QR code members scan to check themselves in."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from frontdesk.adapters import room_calls
from frontdesk.adapters.qr_codes import qr_svg
from frontdesk.adapters.services import ServiceProblem, Services, Unavailable
from frontdesk.domain import room_settings
from frontdesk.domain.forms import FormErrors
from frontdesk.entrypoints.http.pages import Clients, form_of, page, see_other
from frontdesk.entrypoints.http.panels import Panel, attempt
from frontdesk.entrypoints.http.staff_sites import site_context
from frontdesk.entrypoints.http.visitors import NotAllowed, Visitor, staff_at
from parkgrid.api.spaces import SpaceRead
from parkgrid.auth import Role

router = APIRouter(prefix="/staff")


async def rooms_page(
    request: Request,
    services: Services,
    visitor: Visitor,
    site_id: str,
    *,
    errors: FormErrors | None = None,
    site_typed: Mapping[str, str] | None = None,
    room_typed: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The page; a refused form is drawn again as typed (`site_typed` or `room_typed`), the other
    forms from the values as they stand."""
    desk, site, rooms = await asyncio.gather(
        site_context(services, visitor, site_id),
        attempt(services.spaces.site(visitor.token, site_id)),
        attempt(room_calls.rooms_of(services.spaces, visitor.token, site_id)),
    )
    rows = room_settings.room_rows(rooms.data.items if rooms.data else [], site.data)
    return page(
        request,
        "staff_rooms.html",
        visitor,
        status_code=status_code,
        errors=errors,
        site=site,
        rooms=rooms,
        rows=rows,
        site_form={**(room_settings.site_typed(site.data) if site.data else {}), **(site_typed or {})},
        room_form=room_typed or {},
        may_edit=visitor.principal.role == Role.ADMIN,
        kinds=room_settings.KINDS,
        release_field=room_settings.RELEASE,
        buffer_field=room_settings.buffer_field,
        room_field=room_settings.room_field,
        **desk.context(),
    )


def admin_at(request: Request, site_id: str) -> Visitor:
    visitor = staff_at(request, site_id)
    if visitor.principal.role != Role.ADMIN:
        raise NotAllowed("room settings are changed by admins")
    return visitor


@router.get("/sites/{site_id}/rooms", response_class=HTMLResponse)
async def site_rooms(request: Request, services: Clients, site_id: str) -> HTMLResponse:
    return await rooms_page(request, services, staff_at(request, site_id), site_id)


@dataclass(frozen=True)
class Change:
    """One form's change as the page handles it: what was typed, how to send it, what a refusal says."""

    typed: room_settings.Typed
    send: Callable[[], Awaitable[object]]
    stale: FormErrors
    """Shown when spaces refuses the version (412): the form is then drawn from the current values."""
    names: Mapping[str, str]
    """Spaces' field → the form's field, for a 422 of spaces."""
    drawn: str
    """`rooms_page`'s argument that draws the form again as typed (`site_typed` or `room_typed`)."""


async def refusal(
    request: Request, services: Services, visitor: Visitor, site_id: str, change: Change
) -> Response | None:
    """Send the change; None once saved, else the page again: a wrong value next to its field (as
    typed), a change made meanwhile over the current values, spaces down."""

    async def again(errors: FormErrors, status_code: int, *, as_typed: bool = True) -> Response:
        typed = {change.drawn: change.typed.typed} if as_typed else {}
        return await rooms_page(request, services, visitor, site_id, errors=errors, status_code=status_code, **typed)

    if change.typed.errors:
        return await again(change.typed.errors, 422)
    try:
        await change.send()
    except ServiceProblem as exc:
        if exc.status == 412:
            return await again(change.stale, 412, as_typed=False)
        return await again(room_settings.changed_errors(exc.problem, change.names, visitor.t), exc.status)
    except Unavailable as exc:
        return await again(FormErrors(general=[visitor.t("unavailable", service=exc.service)]), 503)
    return None


@router.post("/sites/{site_id}/rooms/site")
async def save_site_settings(request: Request, services: Clients, site_id: str) -> Response:
    """The site's no-show release and its defaults by kind of space, under If-Match."""
    visitor = admin_at(request, site_id)
    form = await form_of(request)
    typed = room_settings.site_from_form(form, visitor.t)
    version = form.get("version", "0")
    change = Change(
        typed,
        lambda: room_calls.change_site(services.spaces, visitor.token, site_id, typed.changes, version),
        FormErrors(general=[visitor.t("rooms.site_stale")]),
        {room_settings.RELEASE: room_settings.RELEASE},
        "site_typed",
    )
    refused = await refusal(request, services, visitor, site_id, change)
    return refused or see_other(f"/staff/sites/{site_id}/rooms?notice={quote(visitor.t('rooms.site_saved'))}")


@router.post("/sites/{site_id}/rooms/{space_id}")
async def save_room_settings(request: Request, services: Clients, site_id: str, space_id: str) -> Response:
    """One room's preparation and cleaning time, under If-Match; a room of another site is not
    changed from this site's page (spaces would change it: the admin may act anywhere)."""
    visitor = admin_at(request, site_id)
    form = await form_of(request)
    typed = room_settings.room_from_form(space_id, form, visitor.t)
    version = form.get("version", "0")

    changed: list[SpaceRead] = []

    async def send() -> None:
        found = await room_calls.room(services.spaces, visitor.token, space_id)
        if found.site_id != site_id:
            raise ServiceProblem("spaces", 404, {"detail": f"there is no room {space_id} at {site_id}"})
        changed.append(await room_calls.change_room(services.spaces, visitor.token, space_id, typed.changes, version))

    names = {f"buffer_{s}_minutes": room_settings.room_field(space_id, s) for s in room_settings.SIDES}
    stale = FormErrors(fields={f"room-{space_id}": visitor.t("rooms.room_stale")})
    refused = await refusal(request, services, visitor, site_id, Change(typed, send, stale, names, "room_typed"))
    if refused is not None:
        return refused
    saved = visitor.t("rooms.room_saved", room=changed[0].name)
    return see_other(f"/staff/sites/{site_id}/rooms?notice={quote(saved)}#room-{space_id}")


@router.get("/sites/{site_id}/rooms/{space_id}/door", response_class=HTMLResponse)
async def room_door(request: Request, services: Clients, site_id: str, space_id: str) -> HTMLResponse:
    """The room's door sign to print: a QR code of the web app's own address of the member's
    check-in page for this room (on screen, also a link to that page)."""
    visitor = staff_at(request, site_id)
    desk, found = await asyncio.gather(
        site_context(services, visitor, site_id), attempt(room_calls.room(services.spaces, visitor.token, space_id))
    )
    if found.data is not None and found.data.site_id != site_id:
        found = Panel(problem=ServiceProblem("spaces", 404, {"detail": f"there is no room {space_id} here"}))
    url = str(request.url_for("member_room_check_in").include_query_params(space_id=space_id))
    name = visitor.t("door.qr_name", room=found.data.name) if found.data else ""
    return page(
        request,
        "staff_room_door.html",
        visitor,
        status_code=200 if found.ok else (found.problem.status if found.problem else 503),
        room=found,
        check_in_url=url,
        qr=qr_svg(url, name) if found.data else "",
        **desk.context(),
    )
