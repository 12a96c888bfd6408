"""What every page needs: who is visiting (token cookie), in which language, the service
clients, templates, and panels that survive a service being down."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Generic, TypeVar
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from frontdesk.adapters.services import ServiceProblem, Services, Unavailable
from frontdesk.domain.forms import FormErrors, errors_from_problem
from frontdesk.domain.inputs import CALENDAR, SEARCH_LIMIT, day_typed, search_typed
from frontdesk.domain.messages import LANGUAGES, Translate, localized, pick_language, translator
from frontdesk.domain.today import local_time
from frontdesk.service_layer.live import LiveFeed
from frontdesk.settings import FrontdeskSettings
from parkgrid.auth import Principal, Role, TokenVerifier
from parkgrid.http.access import component
from parkgrid.http.problems import Problem

TOKEN_COOKIE = "parkgrid_token"
LANGUAGE_COOKIE = "parkgrid_lang"
STAFF_ROLES = (Role.FRONT_DESK, Role.ADMIN)

templates = Jinja2Templates(directory=str(Path(__file__).resolve().parents[2] / "templates"))
templates.env.globals["localized"] = localized
templates.env.globals["local_time"] = local_time
templates.env.globals["LANGUAGES"] = LANGUAGES

T = TypeVar("T")
U = TypeVar("U")

Clients = Annotated[Services, component(Services)]
"""The four service clients, as a route dependency (`bootstrap` provides them)."""
Settings = Annotated[FrontdeskSettings, component(FrontdeskSettings)]
Feed = Annotated[LiveFeed, component(LiveFeed)]


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


@dataclass
class Panel(Generic[T]):
    """A part of a page fed by one service: its data, or why it has none."""

    data: T | None = None
    unavailable: str | None = None
    problem: ServiceProblem | None = None

    @property
    def ok(self) -> bool:
        return self.data is not None

    def map(self, convert: Callable[[T], U]) -> Panel[U]:
        """The same panel with its data converted (or the same notice)."""
        if self.data is None:
            return Panel(unavailable=self.unavailable, problem=self.problem)
        return Panel(data=convert(self.data))


async def attempt(call: Awaitable[T]) -> Panel[T]:
    """Run one service call; a service down or refusing becomes the panel's notice, not an error page."""
    try:
        return Panel(data=await call)
    except Unavailable as exc:
        return Panel(unavailable=exc.service)
    except ServiceProblem as exc:
        return Panel(problem=exc)


async def notice_after(call: Awaitable[object], visitor: Visitor, done: str) -> str:
    """The line to show after a command: `done`, the service's refusal, or that it did not answer."""
    try:
        await call
    except ServiceProblem as exc:
        return exc.detail
    except Unavailable as exc:
        return visitor.t("unavailable", service=exc.service)
    return done


@dataclass
class Submitted(Generic[T]):
    """What a form's command came to: the service's answer, or the errors to show with the form
    again and the page's status (422 refused, 503 not answering)."""

    answer: T | None = None
    errors: FormErrors | None = None
    status: int = 200


async def submitted(call: Awaitable[T], visitor: Visitor, fields: list[str]) -> Submitted[T]:
    """Run a form's command; a refusal lands next to the `fields` it names, a service down on the form."""
    try:
        return Submitted(answer=await call)
    except ServiceProblem as exc:
        return Submitted(errors=problem_errors(exc, fields), status=422)
    except Unavailable as exc:
        return Submitted(errors=FormErrors(general=[visitor.t("unavailable", service=exc.service)]), status=503)


async def gather(*calls: Awaitable[Any]) -> list[Panel[Any]]:
    return list(await asyncio.gather(*(attempt(c) for c in calls)))


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


async def form_of(request: Request) -> dict[str, str]:
    """An urlencoded form body (what browsers and htmx send) as a plain dict."""
    body = (await request.body()).decode("utf-8", errors="replace")
    return dict(parse_qsl(body, keep_blank_values=True))


def page(
    request: Request, template: str, visitor: Visitor | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    language = visitor.language if visitor else language_of(request)
    base: dict[str, Any] = {
        "visitor": visitor,
        "lang": language,
        "t": visitor.t if visitor else translator(language),
        "notice": request.query_params.get("notice"),
        "errors": FormErrors(),
        "input_error": None,
        "form": {},
    }
    return templates.TemplateResponse(request, template, {**base, **context}, status_code=status_code)


@dataclass(frozen=True)
class Asked(Generic[T]):
    """A value a URL asked for, and the message for the page when what was typed is refused."""

    value: T
    error: str | None = None


def day_asked(request: Request, visitor: Visitor, name: str, default: date) -> Asked[date]:
    """The date in `?<name>=` (within the network's calendar), else `default` with a message saying so."""
    typed = day_typed(request.query_params.get(name), default)
    if typed.refused is None:
        return Asked(typed.value)
    message = visitor.t("input.day", value=typed.refused, shown=typed.value.isoformat(), **CALENDAR)
    return Asked(typed.value, message)


def search_asked(request: Request, visitor: Visitor, name: str = "q") -> Asked[str]:
    """The text to search for in `?<name>=` (one line, no control characters), else '' with a message."""
    typed = search_typed(request.query_params.get(name))
    if typed.refused is None:
        return Asked(typed.value)
    return Asked("", visitor.t("input.text", value=typed.refused, limit=SEARCH_LIMIT))


def asked_status(*asked: Asked[Any]) -> int:
    """422 when the page answers something other than what the URL asked for, else 200."""
    return 422 if any(a.error for a in asked) else 200


def see_other(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


def problem_errors(problem: ServiceProblem, fields: Mapping[str, Any] | list[str]) -> FormErrors:
    errors = errors_from_problem(problem.problem, list(fields))
    if not errors:
        errors.general.append(problem.detail)
    return errors
