"""A member's visitors (spaces): inviting a guest for a day at a site, the guests to come, and
cancelling one (a confirmation page first). The form carries its Idempotency-Key (a double submit
is one visit); Post/Redirect/Get: done, a line above the page; refused, the form again with the
refusal next to the field it names, in the reader's language, and what was typed kept."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from frontdesk.adapters import visit_calls
from frontdesk.domain.member_days import site_name
from frontdesk.domain.today import local_date
from frontdesk.entrypoints.http.member_day import home_zone
from frontdesk.entrypoints.http.member_home import site_names
from frontdesk.entrypoints.http.pages import Clients, form_of, page, see_other
from frontdesk.entrypoints.http.panels import attempt, notice_after
from frontdesk.entrypoints.http.staff_forms import back_to_form, done, form_refusal, in_own_words, new_key, run
from frontdesk.entrypoints.http.visitors import member_visitor, own

router = APIRouter(prefix="/member")

PAGE = "/member/visitors"
FIELDS = ["site_id", "day", "guest_name", "guest_company", "expected_at"]
"""The form's inputs, named like spaces' fields: a refusal naming one is shown next to it."""


@router.get("/visitors", response_class=HTMLResponse)
async def visitors(request: Request, services: Clients) -> HTMLResponse:
    visitor = member_visitor(request)
    member_id, _ = own(visitor)
    member = await attempt(services.community.member(visitor.token, member_id))
    zone = await home_zone(services, visitor, member)
    today = local_date(services.clock(), zone)
    guests = await attempt(visit_calls.guests_of(services.spaces, visitor.token, member_id, today))
    names = await site_names(services, visitor)
    home = member.data.home_site_id if member.data else ""
    sites = sorted(
        ((s, site_name(s, names, visitor.t)) for s in {*names, *([home] if home else [])}), key=lambda p: p[1]
    )
    typed = {name: request.query_params.get(name, "") for name in FIELDS}
    return page(
        request,
        "member_visitors.html",
        visitor,
        errors=form_refusal(request),
        form={**typed, "site_id": typed["site_id"] or home, "day": typed["day"] or today.isoformat()},
        guests=guests,
        sites=sites,
        site_name=lambda s: site_name(s, names, visitor.t),
        today=today,
        key=new_key(),
    )


@router.post("/visitors")
async def invite(request: Request, services: Clients) -> Response:
    visitor = member_visitor(request)
    member_id, _ = own(visitor)
    form = await form_of(request)
    call = visit_calls.invite(services.spaces, visitor.token, member_id, form, form.get("idempotency_key"))
    outcome = await run(call, visitor, FIELDS)
    if outcome.answer is None:  # spaces' words are English (and pydantic's): the field's own sentence instead
        refused = in_own_words(outcome, visitor, FIELDS, "visitors.invalid.")
        return back_to_form(PAGE, refused, {k: form.get(k, "") for k in FIELDS}, anchor="#invite-title")
    guest = outcome.answer
    return done(PAGE, visitor.t("visitors.invited", name=guest.guest_name or "", day=guest.day.strftime("%d/%m/%Y")))


@router.get("/visitors/{visit_id}/cancel", response_class=HTMLResponse)
async def confirm_cancel(request: Request, services: Clients, visit_id: str) -> HTMLResponse:
    visitor = member_visitor(request)
    found = await attempt(visit_calls.visit(services.spaces, visitor.token, visit_id))
    names = await site_names(services, visitor)
    return page(
        request,
        "member_visitor_cancel.html",
        visitor,
        status_code=404 if found.problem and found.problem.status == 404 else 200,
        found=found,
        visit_id=visit_id,
        site_name=lambda s: site_name(s, names, visitor.t),
    )


@router.post("/visitors/{visit_id}/cancel")
async def cancel(request: Request, services: Clients, visit_id: str) -> Response:
    visitor = member_visitor(request)
    call = visit_calls.step(services.spaces, visitor.token, visit_id, "cancel")
    notice = await notice_after(call, visitor, visitor.t("visitors.cancelled"))
    return see_other(f"{PAGE}?notice={quote(notice)}#guests-title")
