"""Webhooks for admins (issue 22): the partners' endpoints insights signs and sends events to.

The page lists every endpoint (where, which families of events, which site, enabled or disabled
and why) with a button to disable or enable it, and a form to register one. The secret insights
answers on registering is shown on that answer's page alone: it is never in a URL or a redirect,
and no later page can show it again. An endpoint's page shows its deliveries, newest first, with
every attempt (when, the receiver's status, how long it took, the error), and the forms to replay
from a moment and to rotate the secret (`staff_webhook_actions`).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from frontdesk.adapters import webhook_calls
from frontdesk.adapters.insights import Insights
from frontdesk.adapters.services import Services
from frontdesk.domain import webhooks
from frontdesk.domain.forms import FormErrors
from frontdesk.entrypoints.http.pages import Clients, form_of, page
from frontdesk.entrypoints.http.panels import attempt
from frontdesk.entrypoints.http.staff_forms import done, new_key, run
from frontdesk.entrypoints.http.visitors import NotAllowed, Visitor, visitor_of
from parkgrid.api.webhooks import EndpointWithSecret
from parkgrid.auth import Role
from parkgrid.http.access import component

router = APIRouter(prefix="/staff/webhooks")

InsightsClient = Annotated[Insights, component(Insights)]
HOME = "/staff/webhooks"


def admin(request: Request) -> Visitor:
    visitor = visitor_of(request)
    if visitor.principal.role != Role.ADMIN:
        raise NotAllowed("webhooks are for admins")
    return visitor


async def webhooks_page(
    request: Request,
    services: Clients,
    insights: Insights,
    visitor: Visitor,
    *,
    created: EndpointWithSecret | None = None,
    errors: FormErrors | None = None,
    form: dict[str, str] | None = None,
    chosen: list[str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    listed = await attempt(webhook_calls.endpoints(insights, visitor.token))
    sites = await attempt(services.spaces.sites(visitor.token))
    names = {s.site_id: s.name for s in sites.data.items} if sites.data else {}
    return page(
        request,
        "staff_webhooks.html",
        visitor,
        status_code=status_code,
        errors=errors,
        form=form,
        listed=listed,
        created=created,
        site_names=names,
        families=webhooks.FAMILIES,
        families_of=webhooks.families_of,
        chosen=chosen if chosen is not None else list(webhooks.FAMILIES[1:2]),
        languages=webhooks.LANGUAGES,
        key=new_key(),
    )


@router.get("", response_class=HTMLResponse)
async def webhook_endpoints(request: Request, services: Clients, insights: InsightsClient) -> HTMLResponse:
    return await webhooks_page(request, services, insights, admin(request))


@router.post("", response_class=HTMLResponse)
async def register_endpoint(request: Request, services: Clients, insights: InsightsClient) -> HTMLResponse:
    """Answered with the page itself (no redirect): the one page that shows the new secret."""
    visitor = admin(request)
    form = await form_of(request)
    chosen = [v for k, v in parse_qsl((await request.body()).decode(), keep_blank_values=True) if k == "family"]
    body = webhooks.body_of(form, chosen)
    key = form.get("idempotency_key") or new_key()
    outcome = await run(webhook_calls.register(insights, visitor.token, body, key), visitor, webhooks.FIELDS)
    if outcome.answer is None:
        if outcome.field in webhooks.FIELDS:  # said in the reader's language, not insights' English
            errors = FormErrors(fields={outcome.field: visitor.t(f"webhooks.invalid.{outcome.field}")})
        else:
            errors = FormErrors(general=[outcome.message])
        return await webhooks_page(
            request, services, insights, visitor, errors=errors, form=form, chosen=chosen, status_code=422
        )
    return await webhooks_page(request, services, insights, visitor, created=outcome.answer)


@router.post("/{endpoint_id}/enabled")
async def switch_endpoint(request: Request, insights: InsightsClient, endpoint_id: str) -> Response:
    visitor = admin(request)
    enabled = (await form_of(request)).get("enabled") == "true"
    outcome = await run(webhook_calls.switch(insights, visitor.token, endpoint_id, enabled), visitor)
    if outcome.answer is None:
        return done(HOME, outcome.message)
    url = outcome.answer.url
    return done(
        HOME, visitor.t("webhooks.enabled_now", url=url) if enabled else visitor.t("webhooks.disabled_now", url=url)
    )


@router.get("/{endpoint_id}", response_class=HTMLResponse)
async def endpoint_deliveries(
    request: Request, services: Clients, insights: InsightsClient, endpoint_id: str
) -> HTMLResponse:
    return await endpoint_page(request, services, insights, admin(request), endpoint_id)


async def endpoint_page(
    request: Request,
    services: Services,
    insights: Insights,
    visitor: Visitor,
    endpoint_id: str,
    *,
    rotated: EndpointWithSecret | None = None,
    errors: FormErrors | None = None,
    form: dict[str, str] | None = None,
    status_code: int | None = None,
) -> HTMLResponse:
    """An endpoint's page: its delivery log (older pages by cursor), replaying from a moment, and
    rotating its secret (`staff_webhook_actions`); `rotated` shows the new secret, this once."""
    cursor = request.query_params.get("cursor") or None
    endpoint = await attempt(webhook_calls.endpoint(insights, visitor.token, endpoint_id))
    log = await attempt(webhook_calls.deliveries(insights, visitor.token, endpoint_id, cursor))
    zone = ZoneInfo(services.default_time_zone)
    following = log.data[0].next_cursor if log.data else None
    return page(
        request,
        "staff_webhook.html",
        visitor,
        status_code=status_code or (endpoint.problem.status if endpoint.problem else 200),
        endpoint=endpoint,
        log=log,
        local=lambda moment: moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
        older=f"{HOME}/{endpoint_id}?{urlencode({'cursor': following})}" if following else None,
        rotated=rotated,
        errors=errors,
        form=form or {},
        key=new_key(),
        zone=services.default_time_zone,
    )
