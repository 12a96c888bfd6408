"""Members' data exports in the web app (issue 22, item 2): an admin exports an organisation from its
page, a member its own organisation (or only itself) from its home; both then follow the export on
its page, which reloads itself while the services answer, and download the archive once it is ready.
Insights decides who may (a front desk may not); the web app only asks with the visitor's token."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from frontdesk.adapters import export_calls
from frontdesk.entrypoints.http.pages import Clients, form_of, page, see_other
from frontdesk.entrypoints.http.panels import attempt
from frontdesk.entrypoints.http.staff_forms import back_to_form, new_key, run
from frontdesk.entrypoints.http.staff_webhooks import InsightsClient
from frontdesk.entrypoints.http.visitors import visitor_of

router = APIRouter()


@router.post("/exports")
async def request_export(request: Request, insights: InsightsClient) -> Response:
    """Post/Redirect/Get to the export's page; a refusal goes back to the page the form was on."""
    visitor = visitor_of(request)
    form = await form_of(request)
    member_id = form.get("member_id", "")
    person_id = form.get("person_id") or None
    back = form.get("back") or "/"
    key = form.get("idempotency_key") or new_key()
    outcome = await run(export_calls.request(insights, visitor.token, member_id, person_id, key), visitor)
    if outcome.answer is None:
        return back_to_form(back, outcome, {"form": "export"}, anchor="#export-title")
    return see_other(f"/exports/{outcome.answer.export_id}")


@router.get("/exports/{export_id}", response_class=HTMLResponse)
async def export_page(request: Request, services: Clients, insights: InsightsClient, export_id: str) -> HTMLResponse:
    """The organisation (and person) by name, as community says; their ids if it cannot."""
    visitor = visitor_of(request)
    export = await attempt(export_calls.export(insights, visitor.token, export_id))
    member_name = person_name = None
    if export.data is not None:
        member = await attempt(services.community.member(visitor.token, export.data.member_id))
        if member.data is not None:
            member_name = member.data.name
            people = {p.person_id: p.name for p in member.data.people}
            person_name = people.get(export.data.person_id or "")
    return page(
        request,
        "export.html",
        visitor,
        export=export,
        export_id=export_id,
        member_name=member_name,
        person_name=person_name,
    )


@router.get("/exports/{export_id}/archive")
async def export_archive(request: Request, insights: InsightsClient, export_id: str) -> Response:
    visitor = visitor_of(request)
    content = await export_calls.archive(insights, visitor.token, export_id)
    disposition = f'attachment; filename="parkgrid-export-{export_id}.json"'
    return Response(content, media_type="application/json", headers={"Content-Disposition": disposition})
