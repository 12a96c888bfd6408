"""Demo logins (development only): a front desk of a site, or a member organisation, in one
click. `parkgrid seed` prints the links; they sign in with tokens issued by the local key."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from frontdesk.adapters.services import ServiceProblem, Services, Unavailable
from frontdesk.domain.forms import FormErrors
from frontdesk.domain.messages import translator
from frontdesk.entrypoints.http.pages import Clients, Settings, form_of
from frontdesk.entrypoints.http.signin import demo_admin, demo_members, sign_in_page, signed_in
from frontdesk.entrypoints.http.visitors import language_of
from frontdesk.settings import FrontdeskSettings
from parkgrid.auth import Role, issue_token
from parkgrid.http.problems import NotFound

router = APIRouter()


async def demo_token(
    request: Request, services: Services, settings: FrontdeskSettings, values: dict[str, str]
) -> str | FormErrors:
    """A development token for the demo login asked for, or the errors to show."""
    t = translator(language_of(request))
    role = values.get("role")
    if role == Role.FRONT_DESK.value:
        site = values.get("site_id", "").strip()
        if not site:
            return FormErrors(fields={"site_id": t("signin.site_id")})
        return issue_token(settings, role=Role.FRONT_DESK, sites=[site], subject=f"desk-{site}", name=f"Desk {site}")
    if role == Role.MEMBER.value:
        member_id = values.get("member_id", "").strip()
        person_id = values.get("person_id", "").strip()
        if not member_id:
            members, _ = await demo_members(services, settings)
            if not members:
                return FormErrors(fields={"member_id": t("signin.no_demo_member")})
            member_id = members[0].member_id
        if not person_id:
            try:
                member = await services.community.member(demo_admin(settings), member_id)
            except (Unavailable, ServiceProblem) as exc:
                return FormErrors(fields={"member_id": str(exc)})
            person_id = member.people[0].person_id if member.people else f"{member_id}-person"
        return issue_token(settings, role=Role.MEMBER, member_id=member_id, person_id=person_id)
    if role == Role.ADMIN.value:
        return issue_token(settings, role=Role.ADMIN, subject="admin-demo")
    return FormErrors(general=["role?"])


async def demo_sign_in(
    request: Request, services: Services, settings: FrontdeskSettings, values: dict[str, str]
) -> Response:
    if not settings.development:
        raise NotFound("demo logins exist only in development")
    outcome = await demo_token(request, services, settings, values)
    if isinstance(outcome, FormErrors):
        return await sign_in_page(request, services, settings, outcome, status_code=422, form=values)
    return signed_in(request, settings, outcome)


@router.post("/sign-in/demo")
async def demo_sign_in_form(request: Request, services: Clients, settings: Settings) -> Response:
    return await demo_sign_in(request, services, settings, await form_of(request))


@router.get("/sign-in/demo")
async def demo_sign_in_link(request: Request, services: Clients, settings: Settings) -> Response:
    """The links `make run` prints: one click and the demo user is in (development only)."""
    return await demo_sign_in(request, services, settings, dict(request.query_params))
