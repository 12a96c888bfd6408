"""Who is visiting: the token cookie (forwarded to the services), its principal, the language,
and the checks that keep a page to its role and site."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from frontdesk.domain.messages import Translate, pick_language, translator
from parkgrid.auth import Principal, Role, TokenVerifier
from parkgrid.http.problems import Problem

TOKEN_COOKIE = "parkgrid_token"
LANGUAGE_COOKIE = "parkgrid_lang"
AFTER_SIGN_IN_COOKIE = "parkgrid_after_sign_in"
"""Where to go once signed in, set by a page that sent its visitor to sign in (a room's door sign
scanned before signing in: back to that room's check-in); a local path only."""
STAFF_ROLES = (Role.FRONT_DESK, Role.ADMIN)


class SignInRequired(Exception):
    """No usable token: the visitor goes to the sign-in page."""


class NotAllowed(Exception):
    """Signed in, but this page is for another role or site."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass
class Visitor:
    """The person at the keyboard: their token (forwarded to the services), principal and language."""

    token: str
    principal: Principal
    language: str
    t: Translate

    @property
    def is_staff(self) -> bool:
        return self.principal.role in STAFF_ROLES


def language_of(request: Request) -> str:
    return pick_language(request.cookies.get(LANGUAGE_COOKIE), request.headers.get("accept-language"))


def principal_of(request: Request, token: str) -> Principal:
    verifier: TokenVerifier = request.app.state.token_verifier
    return verifier.verify(token)


def visitor_of(request: Request) -> Visitor:
    token = request.cookies.get(TOKEN_COOKIE)
    if not token:
        raise SignInRequired()
    try:
        principal = principal_of(request, token)
    except Problem:
        raise SignInRequired() from None
    language = language_of(request)
    return Visitor(token=token, principal=principal, language=language, t=translator(language))


def staff_at(request: Request, site_id: str) -> Visitor:
    visitor = visitor_of(request)
    if not visitor.is_staff:
        raise NotAllowed("front-desk pages are for front-desk staff")
    if not visitor.principal.may_act_at_site(site_id):
        raise NotAllowed(f"you do not work at {site_id}")
    return visitor


def member_visitor(request: Request) -> Visitor:
    visitor = visitor_of(request)
    if visitor.principal.role != Role.MEMBER or not visitor.principal.member_id:
        raise NotAllowed("these pages are for members")
    return visitor


def own(visitor: Visitor) -> tuple[str, str | None]:
    """The member organisation and person a member visitor acts as."""
    member_id = visitor.principal.member_id
    assert member_id is not None
    return member_id, visitor.principal.person_id
