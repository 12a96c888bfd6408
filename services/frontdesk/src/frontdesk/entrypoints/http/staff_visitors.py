"""The desk's visitors (spaces): a guest expected for one of a member's people, from the member's
page (the form's Idempotency-Key; a refusal next to its field, in the reader's language); and on
Today (the panel is `staff_today.visitors_panel`) checking each guest in (the host is told:
insights mails them) and out. A step the guest made
already is said as spaces says it (a conflict: a line above the page); two desks pressing Arrived
at once make one arrival (spaces decides it in one conditional write)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from frontdesk.adapters import visit_calls
from frontdesk.entrypoints.http.pages import Clients, form_of, see_other
from frontdesk.entrypoints.http.panels import notice_after
from frontdesk.entrypoints.http.staff_forms import back_to_form, done, in_own_words, run
from frontdesk.entrypoints.http.staff_today import day_query
from frontdesk.entrypoints.http.visitors import staff_at

router = APIRouter(prefix="/staff")

GUEST_FIELDS = ["host_person_id", "day", "guest_name", "guest_company", "expected_at"]
"""The desk's visitor form, named like spaces' fields."""

DESK_STEPS = {"arrive": "visitors.arrived", "leave": "visitors.left"}
"""What the desk does to a visit, and the line that says it was done."""


@router.post("/sites/{site_id}/visits/{visit_id}/{step}")
async def desk_step(request: Request, services: Clients, site_id: str, visit_id: str, step: str) -> Response:
    """Arrived or Left, then back to Today (on the day it showed)."""
    visitor = staff_at(request, site_id)
    back = f"/staff/sites/{site_id}/today?{day_query(request)}notice="
    if step not in DESK_STEPS:
        return see_other(f"/staff/sites/{site_id}/today")
    call = visit_calls.step(services.spaces, visitor.token, visit_id, step)
    notice = await notice_after(call, visitor, visitor.t(DESK_STEPS[step]))
    return see_other(f"{back}{quote(notice)}#visitors-title")


@router.post("/sites/{site_id}/members/{member_id}/visits")
async def expect_guest(request: Request, services: Clients, site_id: str, member_id: str) -> Response:
    visitor = staff_at(request, site_id)
    form = await form_of(request)
    key = form.get("idempotency_key")
    call = visit_calls.invite(services.spaces, visitor.token, member_id, form, key, site_id=site_id)
    outcome = await run(call, visitor, GUEST_FIELDS)
    back = f"/staff/sites/{site_id}/members/{member_id}"
    if outcome.answer is None:
        refused = in_own_words(outcome, visitor, GUEST_FIELDS, "visitors.invalid.")
        kept = {"form": "visit", **{k: form.get(k, "") for k in GUEST_FIELDS}}
        return back_to_form(back, refused, kept, anchor="#visit-title")
    guest = outcome.answer
    return done(back, visitor.t("visitors.invited", name=guest.guest_name or "", day=guest.day.strftime("%d/%m/%Y")))
