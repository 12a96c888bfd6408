"""A member's residencies at the desk (spaces): extend, move to another office or desk, end
(a confirmation page first), and a day pass in a hot-desk area. Each form carries its
Idempotency-Key; a refusal comes back to the member's page next to the field it names."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from frontdesk.adapters import desk_calls
from frontdesk.entrypoints.http.pages import Clients, form_of, page
from frontdesk.entrypoints.http.panels import attempt
from frontdesk.entrypoints.http.staff_forms import (
    back_to_form,
    done,
    form_refusal,
    member_url,
    new_key,
    run,
    staff_back,
)
from frontdesk.entrypoints.http.staff_sites import site_context
from frontdesk.entrypoints.http.visitors import staff_at

router = APIRouter(prefix="/staff")


RESIDENCY_FIELDS = ["space_id", "starts_on", "ends_on", "member_id", "site_id"]


@router.post("/sites/{site_id}/residencies/{residency_id}/extend")
async def extend(request: Request, services: Clients, site_id: str, residency_id: str) -> Response:
    visitor = staff_at(request, site_id)
    form = await form_of(request)
    back = member_url(site_id, form.get("member_id", ""))
    body = {"ends_on": form.get("ends_on", "")}
    call = desk_calls.residency_command(
        services.spaces, visitor.token, residency_id, "extend", body, form.get("idempotency_key")
    )
    outcome = await run(call, visitor, ["ends_on"])
    if outcome.answer is None:
        return back_to_form(back, outcome, {"form": f"extend-{residency_id}"}, anchor="#residency-title")
    return done(back, visitor.t("desk.extended", until=outcome.answer.ends_on.strftime("%d/%m/%Y")))


@router.post("/sites/{site_id}/residencies/{residency_id}/move")
async def move(request: Request, services: Clients, site_id: str, residency_id: str) -> Response:
    visitor = staff_at(request, site_id)
    form = await form_of(request)
    back = member_url(site_id, form.get("member_id", ""))
    body = {"space_id": form.get("space_id", ""), "moves_on": form.get("moves_on", "")}
    call = desk_calls.residency_command(
        services.spaces, visitor.token, residency_id, "move", body, form.get("idempotency_key")
    )
    outcome = await run(call, visitor, ["space_id", "moves_on"])
    if outcome.answer is None:
        return back_to_form(back, outcome, {"form": f"move-{residency_id}"}, anchor="#residency-title")
    return done(back, visitor.t("desk.moved"))


@router.get("/sites/{site_id}/residencies/{residency_id}/end", response_class=HTMLResponse)
async def confirm_end(request: Request, services: Clients, site_id: str, residency_id: str) -> HTMLResponse:
    visitor = staff_at(request, site_id)
    site = await site_context(services, visitor, site_id)
    residency = await attempt(desk_calls.residency(services.spaces, visitor.token, residency_id))
    return page(
        request,
        "staff_residency_end.html",
        visitor,
        **site.context(),
        residency=residency,
        residency_id=residency_id,
        today=site.today,
        errors=form_refusal(request),
        key=new_key(),
    )


@router.post("/sites/{site_id}/residencies/{residency_id}/end")
async def end(request: Request, services: Clients, site_id: str, residency_id: str) -> Response:
    visitor = staff_at(request, site_id)
    form = await form_of(request)
    body: dict[str, Any] = {"ends_on": form["ends_on"]} if form.get("ends_on") else {}
    call = desk_calls.residency_command(
        services.spaces, visitor.token, residency_id, "end", body, form.get("idempotency_key")
    )
    outcome = await run(call, visitor, ["ends_on"])
    if outcome.answer is None:
        return back_to_form(f"/staff/sites/{site_id}/residencies/{residency_id}/end", outcome)
    back = member_url(site_id, outcome.answer.member_id)
    return done(staff_back(form, site_id, back), visitor.t("residency.ended", id=residency_id))


@router.post("/sites/{site_id}/members/{member_id}/day-passes")
async def day_pass(request: Request, services: Clients, site_id: str, member_id: str) -> Response:
    visitor = staff_at(request, site_id)
    form = await form_of(request)
    body = {
        "site_id": site_id,
        "member_id": member_id,
        "space_id": form.get("space_id", ""),
        "person_id": form.get("person_id", ""),
        "day": form.get("day", ""),
    }
    outcome = await run(
        desk_calls.day_pass(services.spaces, visitor.token, body, form.get("idempotency_key")),
        visitor,
        ["space_id", "person_id", "day"],
    )
    back = member_url(site_id, member_id)
    if outcome.answer is None:
        return back_to_form(back, outcome, {"form": "day-pass"}, anchor="#day-pass-title")
    issued = outcome.answer
    return done(
        back,
        visitor.t(
            "desk.day_pass", day=issued.day.strftime("%d/%m/%Y"), taken=issued.places_taken, capacity=issued.capacity
        ),
    )


@router.post("/sites/{site_id}/members/{member_id}/residencies")
async def allocate_residency(request: Request, services: Clients, site_id: str, member_id: str) -> Response:
    visitor = staff_at(request, site_id)
    form = await form_of(request)
    body: dict[str, Any] = {
        "member_id": member_id,
        "site_id": site_id,
        "space_id": form.get("space_id", ""),
        "starts_on": form.get("starts_on", ""),
    }
    if form.get("ends_on"):
        body["ends_on"] = form["ends_on"]
    call = desk_calls.start_residency(services.spaces, visitor.token, body, form.get("idempotency_key"))
    outcome = await run(call, visitor, RESIDENCY_FIELDS)
    if outcome.answer is None:
        kept = {"form": "residency", **{k: form.get(k, "") for k in ("space_id", "starts_on", "ends_on")}}
        return back_to_form(member_url(site_id, member_id), outcome, kept, anchor="#residency-title")
    notice = visitor.t("residency.allocated", id=outcome.answer.residency_id)
    return done(member_url(site_id, member_id), notice)
