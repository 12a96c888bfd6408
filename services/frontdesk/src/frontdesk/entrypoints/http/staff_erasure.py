"""Erasing someone at their request (issue 22, item 3), for admins: from a member's page, a
confirmation page naming the person and what erasure means (it cannot be undone), then
community's erasure; for an organisation that left, everyone of it at once. The pages and
actions are refused to a front desk here already, not only by community: a desk never sees
the links, and a forged address answers the not-allowed page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from frontdesk.entrypoints.http.pages import Clients, page
from frontdesk.entrypoints.http.panels import attempt
from frontdesk.entrypoints.http.staff_forms import back_to_form, done, form_refusal, run
from frontdesk.entrypoints.http.staff_sites import site_context
from frontdesk.entrypoints.http.visitors import NotAllowed, Visitor, staff_at
from parkgrid.auth import Role

router = APIRouter(prefix="/staff")


def admin_at(request: Request, site_id: str) -> Visitor:
    visitor = staff_at(request, site_id)
    if visitor.principal.role != Role.ADMIN:
        raise NotAllowed("erasing someone is for admins")
    return visitor


def erase_path(site_id: str, member_id: str, person_id: str) -> str:
    return f"/staff/sites/{site_id}/members/{member_id}/people/{person_id}/erase"


@router.get("/sites/{site_id}/members/{member_id}/people/{person_id}/erase", response_class=HTMLResponse)
async def confirm_erase(
    request: Request, services: Clients, site_id: str, member_id: str, person_id: str
) -> HTMLResponse:
    visitor = admin_at(request, site_id)
    site = await site_context(services, visitor, site_id)
    member = await attempt(services.community.member(visitor.token, member_id))
    everyone = [*member.data.people, *(f.person for f in member.data.former_people)] if member.data else []
    person = next((p for p in everyone if p.person_id == person_id), None)
    return page(
        request,
        "staff_erase_person.html",
        visitor,
        status_code=200 if person is not None or not member.ok else 404,
        **site.context(),
        member=member,
        member_id=member_id,
        person=person,
        person_id=person_id,
        errors=form_refusal(request),
    )


@router.post("/sites/{site_id}/members/{member_id}/people/{person_id}/erase")
async def erase(request: Request, services: Clients, site_id: str, member_id: str, person_id: str) -> Response:
    """Post/Redirect/Get to the member's page; erasing twice is no error (community changes nothing)."""
    visitor = admin_at(request, site_id)
    outcome = await run(services.community.erase_person(visitor.token, member_id, person_id), visitor)
    if outcome.answer is None:
        return back_to_form(erase_path(site_id, member_id, person_id), outcome)
    return done(f"/staff/sites/{site_id}/members/{member_id}", visitor.t("erase.done"), anchor="#people-title")


@router.get("/sites/{site_id}/members/{member_id}/erase", response_class=HTMLResponse)
async def confirm_erase_everyone(request: Request, services: Clients, site_id: str, member_id: str) -> HTMLResponse:
    visitor = admin_at(request, site_id)
    site = await site_context(services, visitor, site_id)
    member = await attempt(services.community.member(visitor.token, member_id))
    return page(
        request,
        "staff_erase_person.html",
        visitor,
        **site.context(),
        member=member,
        member_id=member_id,
        everyone=True,
        errors=form_refusal(request),
    )


@router.post("/sites/{site_id}/members/{member_id}/erase")
async def erase_everyone(request: Request, services: Clients, site_id: str, member_id: str) -> Response:
    visitor = admin_at(request, site_id)
    outcome = await run(services.community.erase_everyone(visitor.token, member_id), visitor)
    if outcome.answer is None:
        return back_to_form(f"/staff/sites/{site_id}/members/{member_id}/erase", outcome)
    return done(f"/staff/sites/{site_id}/members/{member_id}", visitor.t("erase.done_everyone"), anchor="#people-title")
