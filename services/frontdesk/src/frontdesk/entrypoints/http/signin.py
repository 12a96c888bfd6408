"""Signing in and out, and the language switch.

The token lives in an HttpOnly, SameSite=Lax cookie: scripts cannot read it and other
sites cannot post forms with it. In development (`PARKGRID_ENV=development`) the page
also issues demo tokens with the local key, as `parkgrid token` would; in production
the visitor signs in with the organisation's identity provider (`oidc_signin`, when
`PARKGRID_OIDC_*` is set); pasting a token stays for service accounts and operators.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from frontdesk.adapters.services import Services
from frontdesk.domain.forms import FormErrors
from frontdesk.domain.messages import LANGUAGES, translator
from frontdesk.entrypoints.http import oidc_signin
from frontdesk.entrypoints.http.pages import Clients, Settings, form_of, page, see_other
from frontdesk.entrypoints.http.panels import attempt
from frontdesk.entrypoints.http.visitors import (
    AFTER_SIGN_IN_COOKIE,
    LANGUAGE_COOKIE,
    TOKEN_COOKIE,
    SignInRequired,
    language_of,
    principal_of,
    visitor_of,
)
from frontdesk.settings import FrontdeskSettings
from parkgrid.api.community import MemberRead
from parkgrid.auth import Principal, Role, issue_token
from parkgrid.http.problems import Problem

router = APIRouter()
router.include_router(oidc_signin.router)

DEMO_SITES = ["site-casablanca", "site-rabat", "site-agadir", "site-tanger", "site-fes"]


def home_of(principal: Principal) -> str:
    if principal.role == Role.MEMBER:
        return "/member"
    if principal.role == Role.FRONT_DESK and len(principal.sites) == 1:
        return f"/staff/sites/{principal.sites[0]}/today"
    return "/staff/sites"


def signed_in(request: Request, settings: FrontdeskSettings, token: str) -> Response:
    after = oidc_signin.local_path(request.cookies.get(AFTER_SIGN_IN_COOKIE))
    response = see_other(after if after != "/" else home_of(principal_of(request, token)))
    response.delete_cookie(AFTER_SIGN_IN_COOKIE)
    response.set_cookie(
        TOKEN_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        max_age=12 * 3600,
    )
    return response


@router.get("/favicon.ico", include_in_schema=False)
async def favicon() -> Response:
    return Response(status_code=204)


@router.get("/")
async def home(request: Request) -> Response:
    try:
        visitor = visitor_of(request)
    except SignInRequired:
        return see_other("/sign-in")
    return see_other(home_of(visitor.principal))


def demo_admin(settings: FrontdeskSettings) -> str:
    return issue_token(settings, role=Role.ADMIN, subject="frontdesk-demo")


async def demo_members(services: Services, settings: FrontdeskSettings) -> tuple[list[MemberRead], str | None]:
    """A few member organisations to sign in as (read with an admin development token)."""
    found = await attempt(services.community.members(demo_admin(settings), limit=8))
    return (found.data.items if found.data else []), found.unavailable


async def demo_sites(services: Services, settings: FrontdeskSettings) -> list[str]:
    """The sites spaces knows, or the demo network's when spaces does not answer."""
    found = await attempt(services.spaces.sites(demo_admin(settings)))
    return [s.site_id for s in found.data.items] if found.data and found.data.items else DEMO_SITES


@dataclass(frozen=True)
class DemoLogins:
    """What the sign-in page offers in development: the sites' desks and a few member organisations."""

    sites: list[str]
    members: list[MemberRead]
    community_unavailable: str | None


async def demo_logins(services: Services, settings: FrontdeskSettings) -> DemoLogins | None:
    """The demo logins to offer, or None outside development."""
    if not settings.development:
        return None
    members, unavailable = await demo_members(services, settings)
    return DemoLogins(await demo_sites(services, settings), members, unavailable)


async def sign_in_page(
    request: Request,
    services: Services,
    settings: FrontdeskSettings,
    errors: FormErrors | None = None,
    status_code: int = 200,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    demo = await demo_logins(services, settings)
    oidc = oidc_signin.oidc_settings(request).enabled
    return page(
        request,
        "sign_in.html",
        None,
        status_code,
        demo=demo,
        errors=errors,
        form=form,
        oidc=oidc,
        paste=token_pasting(request, settings),
    )


def token_pasting(request: Request, settings: FrontdeskSettings) -> bool:
    """Signing in by pasting a token: in development, or where no provider is configured (a
    deployment's service accounts); never beside the provider's sign-in in production."""
    return settings.development or not oidc_signin.oidc_settings(request).enabled


@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in_form(request: Request, services: Clients, settings: Settings) -> HTMLResponse:
    return await sign_in_page(request, services, settings)


@router.post("/sign-in")
async def sign_in(request: Request, services: Clients, settings: Settings) -> Response:
    if not token_pasting(request, settings):
        raise HTTPException(status_code=404, detail="sign in with the organisation's provider")
    form = await form_of(request)
    token = form.get("token", "").strip()
    t = translator(language_of(request))
    try:
        principal_of(request, token)
    except Problem as exc:
        errors = FormErrors(fields={"token": t("signin.invalid", reason=exc.detail)})
        return await sign_in_page(request, services, settings, errors, status_code=422)
    return signed_in(request, settings, token)


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    return await oidc_signin.signed_out(request)


@router.post("/language")
async def choose_language(request: Request) -> Response:
    form = await form_of(request)
    chosen = form.get("lang", "")
    back = form.get("back", "/")
    response = see_other(back if back.startswith("/") and not back.startswith("//") else "/")
    if chosen in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, chosen, samesite="lax", max_age=365 * 24 * 3600)
    return response
