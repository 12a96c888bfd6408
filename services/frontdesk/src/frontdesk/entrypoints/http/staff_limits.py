"""A site's per-period limits per plan (issue 25, item 6): its front desk reads them, an admin edits
them (every rule in one form, a blank row to add one, a box to remove one).

The form carries the version it was drawn from and bookings replaces the rules only if they are
still at it (If-Match): a second admin's save in between is not overwritten but shown ("changed
meanwhile", the current rules drawn again). Saved → Post/Redirect/Get with a notice; refused →
the form again with each message next to its row's field.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from frontdesk.adapters import limit_calls
from frontdesk.adapters.services import ServiceProblem, Services, Unavailable
from frontdesk.domain import limits
from frontdesk.domain.forms import FormErrors
from frontdesk.entrypoints.http.pages import Clients, form_of, page, see_other
from frontdesk.entrypoints.http.panels import attempt
from frontdesk.entrypoints.http.staff_sites import site_context
from frontdesk.entrypoints.http.visitors import NotAllowed, Visitor, staff_at
from parkgrid.auth import Role

router = APIRouter(prefix="/staff")


async def limits_page(
    request: Request,
    services: Services,
    visitor: Visitor,
    site_id: str,
    *,
    errors: FormErrors | None = None,
    rules: list[dict[str, object]] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    site = await site_context(services, visitor, site_id)
    policy = await attempt(limit_calls.site_limits(services.bookings, visitor.token, site_id))
    if rules is None:  # drawn from the rules as they stand, else from those the admin sent
        rules = [r.model_dump(mode="json") for r in policy.data.rules] if policy.data else []
    return page(
        request,
        "staff_limits.html",
        visitor,
        status_code=status_code,
        errors=errors,
        policy=policy,
        rows=limits.rows_of(rules),
        may_edit=visitor.principal.role == Role.ADMIN,
        kinds=limits.KINDS,
        stages=limits.STAGES,
        measures=limits.MEASURES,
        periods=limits.PERIODS,
        categories=limits.CATEGORIES,
        **site.context(),
    )


@router.get("/sites/{site_id}/limits", response_class=HTMLResponse)
async def site_limits(request: Request, services: Clients, site_id: str) -> HTMLResponse:
    return await limits_page(request, services, staff_at(request, site_id), site_id)


@router.post("/sites/{site_id}/limits")
async def save_site_limits(request: Request, services: Clients, site_id: str) -> Response:
    visitor = staff_at(request, site_id)
    if visitor.principal.role != Role.ADMIN:
        raise NotAllowed("the limits are set by admins")
    form = await form_of(request)
    rules = limits.rules_from_form(form)
    try:
        await limit_calls.set_site_limits(services.bookings, visitor.token, site_id, rules, form.get("version", "0"))
    except ServiceProblem as exc:
        if exc.status == 412:
            errors = FormErrors(general=[visitor.t("limits.stale")])
            return await limits_page(request, services, visitor, site_id, errors=errors, status_code=412)
        errors = limits.rule_errors(exc.problem, rules, visitor.t)
        return await limits_page(
            request, services, visitor, site_id, errors=errors, rules=rules, status_code=exc.status
        )
    except Unavailable as exc:
        errors = FormErrors(general=[visitor.t("unavailable", service=exc.service)])
        return await limits_page(request, services, visitor, site_id, errors=errors, rules=rules, status_code=503)
    saved = visitor.t("limits.saved")
    return see_other(f"/staff/sites/{site_id}/limits?notice={quote(saved)}")
