"""Signing in with the organisation's identity provider (OIDC, authorization code + PKCE).

`/sign-in/oidc` sends the browser to the provider with a fresh state, nonce and PKCE
challenge (kept in a short-lived HttpOnly cookie, `parkgrid_oidc`); the provider sends
it back to `/sign-in/oidc/callback`, where the state is checked, the code exchanged
server-side (`parkgrid.oidc`), the ID token verified, and the access token (which the
APIs verify against the provider's JWKS) becomes the session cookie the web app has
always used (`parkgrid_token`). The refresh token lives in its own HttpOnly cookie;
`token_refresh.TokenRefresh` renews the access token before a request when it has expired, so pages
keep working through the access token's short life. When the provider refuses, the
visitor sees a page saying so, never a server error.

On when `PARKGRID_OIDC_ISSUER` and `PARKGRID_OIDC_CLIENT_ID` are set (see `parkgrid.oidc`);
the web app's own `PARKGRID_JWKS_URL`, `PARKGRID_JWT_ISSUER` and `PARKGRID_JWT_AUDIENCE`
must name the same provider, as the APIs' do.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from frontdesk.entrypoints.http.pages import Settings, page, see_other
from frontdesk.entrypoints.http.visitors import AFTER_SIGN_IN_COOKIE, TOKEN_COOKIE
from frontdesk.settings import FrontdeskSettings
from parkgrid.auth import TokenVerifier
from parkgrid.http.problems import Problem
from parkgrid.oidc import OidcClient, OidcSettings, Pending, ProviderRefused, Tokens

router = APIRouter()

PENDING_COOKIE = "parkgrid_oidc"
NEXT_COOKIE = "parkgrid_oidc_next"
REFRESH_COOKIE = "parkgrid_refresh"
ID_COOKIE = "parkgrid_id"
SESSION_SECONDS = 12 * 3600
"""How long the session cookies live (as demo sign-in's); the provider's refresh token may end it sooner."""


def oidc_settings(request: Request) -> OidcSettings:
    found: OidcSettings | None = getattr(request.app.state, "oidc_settings", None)
    if found is None:
        found = OidcSettings()
        request.app.state.oidc_settings = found
    return found


def oidc_client(request: Request) -> OidcClient:
    found: OidcClient | None = getattr(request.app.state, "oidc_client", None)
    if found is None:
        found = OidcClient(oidc_settings(request))
        request.app.state.oidc_client = found
    return found


def local_path(value: str | None) -> str:
    return value if value and value.startswith("/") and not value.startswith("//") else "/"


def refused(request: Request, detail: str, status_code: int) -> HTMLResponse:
    response = page(request, "oidc_error.html", None, status_code, detail=detail)
    response.delete_cookie(PENDING_COOKIE, path="/sign-in/oidc")
    return response


def redirect_url(request: Request) -> str:
    return oidc_settings(request).redirect_url or str(request.url_for("oidc_callback"))


def keep_session(response: Response, settings: FrontdeskSettings, tokens: Tokens) -> None:
    """The tokens in HttpOnly, SameSite=Lax cookies: scripts cannot read them, other sites cannot use them."""
    cookie: dict[str, Any] = {"httponly": True, "samesite": "lax", "secure": settings.cookie_secure}
    response.set_cookie(TOKEN_COOKIE, tokens.access_token, max_age=SESSION_SECONDS, **cookie)
    if tokens.refresh_token:
        response.set_cookie(REFRESH_COOKIE, tokens.refresh_token, max_age=SESSION_SECONDS, **cookie)
    if tokens.id_token:
        response.set_cookie(ID_COOKIE, tokens.id_token, max_age=SESSION_SECONDS, **cookie)


def forget_session(response: Response) -> None:
    for name in (TOKEN_COOKIE, REFRESH_COOKIE, ID_COOKIE):
        response.delete_cookie(name)


@router.get("/sign-in/oidc")
async def oidc_sign_in(request: Request, settings: Settings) -> Response:
    if not oidc_settings(request).enabled:
        return refused(request, "sign-in with an identity provider is not configured here", 404)
    pending = Pending.new()
    try:
        url = await oidc_client(request).authorization_url(pending, redirect_url(request))
    except ProviderRefused as exc:
        return refused(request, exc.detail, 502)
    response = RedirectResponse(url, status_code=303)
    cookie: dict[str, Any] = {
        "httponly": True,
        "samesite": "lax",
        "secure": settings.cookie_secure,
        "max_age": 600,
        "path": "/sign-in/oidc",
    }
    response.set_cookie(PENDING_COOKIE, pending.encode(), **cookie)
    # back to `?next=`, else to the page that sent the visitor to sign in (a room's door)
    after = request.query_params.get("next") or request.cookies.get(AFTER_SIGN_IN_COOKIE)
    response.set_cookie(NEXT_COOKIE, local_path(after), **cookie)
    return response


@router.get("/sign-in/oidc/callback", name="oidc_callback")
async def oidc_callback(request: Request, settings: Settings) -> Response:
    from frontdesk.entrypoints.http.signin import home_of

    query = request.query_params
    if not oidc_settings(request).enabled:
        return refused(request, "sign-in with an identity provider is not configured here", 404)
    if query.get("error"):
        detail = query.get("error_description") or query["error"]
        return refused(request, f"the identity provider refused the sign-in: {detail}", 403)
    pending = Pending.decode(request.cookies.get(PENDING_COOKIE))
    if pending is None:
        return refused(request, "this sign-in was not started here, or took longer than 10 minutes", 400)
    if query.get("state") != pending.state:
        return refused(request, "the answer does not belong to this sign-in (state does not match)", 400)
    code = query.get("code")
    if not code:
        return refused(request, "the identity provider sent no authorization code", 400)
    try:
        tokens = await oidc_client(request).exchange(code, pending, redirect_url(request))
    except ProviderRefused as exc:
        return refused(request, exc.detail, 502 if "did not answer" in exc.detail else 403)
    verifier: TokenVerifier = request.app.state.token_verifier
    try:
        principal = await verifier.verify_async(tokens.access_token)
    except Problem as exc:
        return refused(request, f"the identity provider's access token is not usable here: {exc.detail}", 403)
    after = request.cookies.get(NEXT_COOKIE)
    response = see_other(after if after and after != "/" else home_of(principal))
    keep_session(response, settings, tokens)
    response.delete_cookie(PENDING_COOKIE, path="/sign-in/oidc")
    response.delete_cookie(NEXT_COOKIE, path="/sign-in/oidc")
    response.delete_cookie(AFTER_SIGN_IN_COOKIE)
    return response


async def signed_out(request: Request) -> Response:
    """Forget the session; with a provider, end its session too and come back to the sign-in page."""
    response: Response = see_other("/sign-in")
    if oidc_settings(request).enabled and request.cookies.get(ID_COOKIE):
        back = str(request.url_for("sign_in_form"))
        url = await oidc_client(request).end_session_url(request.cookies.get(ID_COOKIE), back)
        if url:
            response = see_other(url)
    forget_session(response)
    return response
