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
from collections.abc import Mapping
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


@router.post("/sites/{site_id}/rooms/site")
async def save_site_settings(request: Request, services: Clients, site_id: str) -> Response:
    """The site's no-show release and its defaults by kind of space, under If-Match."""
    visitor = admin_at(request, site_id)
    form = await form_of(request)
    typed = room_settings.site_from_form(form, visitor.t)
    if typed.errors:
        return await rooms_page(
            request, services, visitor, site_id, errors=typed.errors, site_typed=typed.typed, status_code=422
        )
    try:
        await room_calls.change_site(services.spaces, visitor.token, site_id, typed.changes, form.get("version", "0"))
    except ServiceProblem as exc:
        if exc.status == 412:
            stale = FormErrors(general=[visitor.t("rooms.site_stale")])
            return await rooms_page(request, services, visitor, site_id, errors=stale, status_code=412)
        names = {room_settings.RELEASE: room_settings.RELEASE}
        errors = room_settings.changed_errors(exc.problem, names, visitor.t)
        return await rooms_page(
            request, services, visitor, site_id, errors=errors, site_typed=typed.typed, status_code=exc.status
        )
    except Unavailable as exc:
        errors = FormErrors(general=[visitor.t("unavailable", service=exc.service)])
        return await rooms_page(
            request, services, visitor, site_id, errors=errors, site_typed=typed.typed, status_code=503
        )
    return see_other(f"/staff/sites/{site_id}/rooms?notice={quote(visitor.t('rooms.site_saved'))}")


@router.post("/sites/{site_id}/rooms/{space_id}")
async def save_room_settings(request: Request, services: Clients, site_id: str, space_id: str) -> Response:
    """One room's preparation and cleaning time, under If-Match; a room of another site is not
    changed from this site's page (spaces would change it: the admin may act anywhere)."""
    visitor = admin_at(request, site_id)
    form = await form_of(request)
    typed = room_settings.room_from_form(space_id, form, visitor.t)
    if typed.errors:
        return await rooms_page(
            request, services, visitor, site_id, errors=typed.errors, room_typed=typed.typed, status_code=422
        )
    try:
        found = await room_calls.room(services.spaces, visitor.token, space_id)
        if found.site_id != site_id:
            raise ServiceProblem("spaces", 404, {"detail": f"there is no room {space_id} at {site_id}"})
        await room_calls.change_room(services.spaces, visitor.token, space_id, typed.changes, form.get("version", "0"))
    except ServiceProblem as exc:
        if exc.status == 412:
            stale = FormErrors(fields={f"room-{space_id}": visitor.t("rooms.room_stale")})
            return await rooms_page(request, services, visitor, site_id, errors=stale, status_code=412)
        names = {f"buffer_{s}_minutes": room_settings.room_field(space_id, s) for s in room_settings.SIDES}
        errors = room_settings.changed_errors(exc.problem, names, visitor.t)
        return await rooms_page(
            request, services, visitor, site_id, errors=errors, room_typed=typed.typed, status_code=exc.status
        )
    except Unavailable as exc:
        errors = FormErrors(general=[visitor.t("unavailable", service=exc.service)])
        return await rooms_page(
            request, services, visitor, site_id, errors=errors, room_typed=typed.typed, status_code=503
        )
    saved = visitor.t("rooms.room_saved", room=found.name)
    return see_other(f"/staff/sites/{site_id}/rooms?notice={quote(saved)}#room-{space_id}")


@router.get("/sites/{site_id}/rooms/{space_id}/door", response_class=HTMLResponse)
async def room_door(request: Request, services: Clients, site_id: str, space_id: str) -> HTMLResponse:
    """The room's door sign to print: a QR code of the web app's own address of the member's
    check-in page for this room, and that address written out for a phone without a camera."""
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
