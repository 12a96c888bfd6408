"""The office waitlist for a member (spaces): join the line of a site for an office of some
seats (joining twice is one place), decline an office offered to them, leave the line; both
after a confirmation page. Accepting an offer is the front desk's (spaces: staff only)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from frontdesk.adapters import member_calls
from frontdesk.domain.inputs import whole_number
from frontdesk.domain.member_days import site_name
from frontdesk.entrypoints.http.pages import Clients, form_of, page, see_other
from frontdesk.entrypoints.http.panels import attempt, notice_after, submitted
from frontdesk.entrypoints.http.visitors import member_visitor, own

router = APIRouter()

ANSWERS = ("decline", "leave")


@router.post("/office-waitlist")
async def join(request: Request, services: Clients) -> Response:
    visitor = member_visitor(request)
    member_id, _ = own(visitor)
    form = await form_of(request)
    seats = whole_number(form.get("seats"), default=1)
    call = member_calls.join_office_waitlist(
        services.spaces, visitor.token, form.get("site_id", ""), member_id, seats, form.get("idempotency_key")
    )
    outcome = await submitted(call, visitor, ["site_id", "seats"])
    if outcome.answer is not None:
        notice = visitor.t("portal.office_joined", position=outcome.answer.position or "—")
    elif outcome.errors is not None:
        fields = [f"{visitor.t('portal.office_' + k)}: {v}" for k, v in outcome.errors.fields.items()]
        notice = " · ".join(fields + outcome.errors.general)
    else:
        notice = visitor.t("unavailable", service="spaces")
    return see_other(f"/member?notice={quote(notice)}#office")


@router.get("/office-waitlist/{entry_id}/{answer}", response_class=HTMLResponse)
async def confirm(request: Request, services: Clients, entry_id: str, answer: str) -> HTMLResponse:
    visitor = member_visitor(request)
    member_id, _ = own(visitor)
    entries = await attempt(member_calls.office_entries(services.spaces, visitor.token, member_id))
    entry = next((e for e in entries.data.items if e.entry_id == entry_id), None) if entries.data else None
    names = await services.sites.names() if services.sites else {}
    return page(
        request,
        "member_office_answer.html",
        visitor,
        status_code=200 if answer in ANSWERS else 404,
        entry_id=entry_id,
        answer=answer if answer in ANSWERS else "leave",
        entries=entries,
        entry=entry,
        site_name=lambda s: site_name(s, names, visitor.t),
    )


@router.post("/office-waitlist/{entry_id}/{answer}")
async def answer_offer(request: Request, services: Clients, entry_id: str, answer: str) -> Response:
    visitor = member_visitor(request)
    if answer not in ANSWERS:
        return see_other("/member#office")
    call = member_calls.answer_office(services.spaces, visitor.token, entry_id, answer)
    notice = await notice_after(
        call, visitor, visitor.t("portal.office_declined") if answer == "decline" else visitor.t("portal.office_left")
    )
    return see_other(f"/member?notice={quote(notice)}#office")
