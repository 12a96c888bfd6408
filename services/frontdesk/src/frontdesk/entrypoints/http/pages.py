"""What every page shares: the templates and `page()`, the routes' dependencies (service
clients, settings, live feed), forms and redirects. Who is visiting lives in `visitors`,
panels that survive a service being down in `panels`, what a URL asks for in `asked`."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from frontdesk.adapters.billing import Billing
from frontdesk.adapters.services import Services
from frontdesk.domain.forms import FormErrors
from frontdesk.domain.limits import usage_words
from frontdesk.domain.member_days import day_label, local_day_label
from frontdesk.domain.messages import LANGUAGES, RIGHT_TO_LEFT, localized, translator
from frontdesk.domain.rejections import why_rejected
from frontdesk.domain.today import local_time
from frontdesk.entrypoints.http.visitors import Visitor, language_of
from frontdesk.service_layer.live import LiveFeed
from frontdesk.settings import FrontdeskSettings
from parkgrid.http.access import component

templates = Jinja2Templates(directory=str(Path(__file__).resolve().parents[2] / "templates"))
templates.env.globals["localized"] = localized
templates.env.globals["local_time"] = local_time
templates.env.globals["LANGUAGES"] = LANGUAGES
templates.env.globals["RIGHT_TO_LEFT"] = RIGHT_TO_LEFT
templates.env.globals["why_rejected"] = why_rejected
templates.env.globals["usage_words"] = usage_words  # a member's per-period limits, in words
# weekday and date in the reader's language, on the site's clock (the member pages' dates)
templates.env.globals["portal_day"] = day_label
templates.env.globals["portal_moment"] = local_day_label

Clients = Annotated[Services, component(Services)]
"""The four service clients, as a route dependency (`bootstrap` provides them)."""
BillingClient = Annotated[Billing, component(Billing)]
"""Billing's client, as a route dependency (`bootstrap` provides it)."""
Settings = Annotated[FrontdeskSettings, component(FrontdeskSettings)]
Feed = Annotated[LiveFeed, component(LiveFeed)]


async def form_of(request: Request) -> dict[str, str]:
    """An urlencoded form body (what browsers and htmx send) as a plain dict."""
    body = (await request.body()).decode("utf-8", errors="replace")
    return dict(parse_qsl(body, keep_blank_values=True))


def page(
    request: Request,
    template: str,
    visitor: Visitor | None,
    status_code: int = 200,
    *,
    errors: FormErrors | None = None,
    form: Mapping[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """The page, with what every template reads; a form shown again brings its `errors` and typed `form`."""
    language = visitor.language if visitor else language_of(request)
    base: dict[str, Any] = {
        "visitor": visitor,
        "lang": language,
        "t": visitor.t if visitor else translator(language),
        "notice": request.query_params.get("notice"),
        "errors": errors or FormErrors(),
        "input_error": None,
        "form": form or {},
    }
    return templates.TemplateResponse(request, template, {**base, **context}, status_code=status_code)


def see_other(url: str) -> Response:
    return RedirectResponse(url, status_code=303)
