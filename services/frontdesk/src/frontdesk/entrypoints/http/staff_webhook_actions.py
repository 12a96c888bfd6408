"""What an admin does to one webhook endpoint from its page (issue 22): replay every event it
wants since a moment (on the network's clock; the form's Idempotency-Key, so a double click is one
replay), and rotate its secret after ticking that the receiver's owner will be given the new one.
The new secret is shown on the answer's page alone, never in a URL or a redirect; the old one
still signs beside it for insights' grace period (a day), so the receiver loses nothing."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from frontdesk.adapters import webhook_calls
from frontdesk.domain.forms import FormErrors
from frontdesk.entrypoints.http.pages import Clients, form_of
from frontdesk.entrypoints.http.staff_forms import done, new_key, run
from frontdesk.entrypoints.http.staff_webhooks import HOME, InsightsClient, admin, endpoint_page

router = APIRouter(prefix="/staff/webhooks")


@router.post("/{endpoint_id}/rotate", response_class=HTMLResponse)
async def rotate_secret(request: Request, services: Clients, insights: InsightsClient, endpoint_id: str) -> Response:
    visitor = admin(request)
    form = await form_of(request)
    if form.get("confirm") != "yes":
        errors = FormErrors(fields={"confirm": visitor.t("webhooks.rotate_unconfirmed")})
        return await endpoint_page(
            request, services, insights, visitor, endpoint_id, errors=errors, form=form, status_code=422
        )
    outcome = await run(webhook_calls.rotate(insights, visitor.token, endpoint_id), visitor)
    if outcome.answer is None:
        errors = FormErrors(general=[outcome.message])
        return await endpoint_page(request, services, insights, visitor, endpoint_id, errors=errors, status_code=409)
    return await endpoint_page(request, services, insights, visitor, endpoint_id, rotated=outcome.answer)


@router.post("/{endpoint_id}/replay")
async def replay(request: Request, services: Clients, insights: InsightsClient, endpoint_id: str) -> Response:
    """Post/Redirect/Get back to the endpoint's page with how many deliveries were queued again."""
    visitor = admin(request)
    form = await form_of(request)
    try:
        since = datetime.fromisoformat(form.get("since", "")).replace(tzinfo=ZoneInfo(services.default_time_zone))
    except ValueError:
        errors = FormErrors(fields={"since": visitor.t("webhooks.replay_since_invalid")})
        return await endpoint_page(
            request, services, insights, visitor, endpoint_id, errors=errors, form=form, status_code=422
        )
    key = form.get("idempotency_key") or new_key()
    outcome = await run(webhook_calls.replay(insights, visitor.token, endpoint_id, since, key), visitor, ("since",))
    if outcome.answer is None:
        if outcome.field == "since":  # out of the network's calendar: said in the reader's words
            errors = FormErrors(fields={"since": visitor.t("webhooks.replay_since_invalid")})
        else:
            errors = FormErrors(general=[outcome.message])
        return await endpoint_page(
            request, services, insights, visitor, endpoint_id, errors=errors, form=form, status_code=422
        )
    return done(f"{HOME}/{endpoint_id}", visitor.t("webhooks.replayed_now", n=outcome.answer.enqueued))
