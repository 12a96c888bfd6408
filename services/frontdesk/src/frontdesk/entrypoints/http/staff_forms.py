"""What every staff command form shares: an Idempotency-Key generated into the form, and the
answer to a command as a redirect (Post/Redirect/Get): done, to the page with a line saying so;
refused, back to the form's own page (a GET address) with the refusal next to the field it names.

A refusal is said in the reader's language where the web app knows its kind: 403 (not this desk's
to do), a field's 422 (`desk.invalid.<field>`, never pydantic's words), a member's per-period limit
reached (409 `limit_reached`); another 409 is the service's sentence about the state of things
("check-in opens at …"), as bookings and spaces word it."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.responses import Response

from frontdesk.adapters.services import ServiceProblem, Unavailable
from frontdesk.domain.forms import FormErrors, errors_from_problem
from frontdesk.domain.limits import limit_refusal
from frontdesk.domain.messages import MESSAGES
from frontdesk.entrypoints.http.pages import see_other
from frontdesk.entrypoints.http.visitors import Visitor

T = TypeVar("T")


def new_key() -> str:
    """A fresh Idempotency-Key for a form (a hidden `idempotency_key`): two submits of the same
    form send the same key, so the service makes one effect."""
    return uuid.uuid4().hex


@dataclass
class Outcome(Generic[T]):
    answer: T | None = None
    field: str | None = None
    message: str = ""


PARSER_WORDS = (
    "Input should",
    "Field required",
    "String should",
    "Extra inputs",
    "Invalid",
    "Not enough",
    "List should",
    "Unable to",
    "value is not",
    "Timezone",
)
"""How pydantic's own messages begin: those are replaced by the field's message in the reader's
language; a service's rule ("ends_on must not be before starts_on") is shown as the service said it."""


def refusal(problem: ServiceProblem, visitor: Visitor, fields: Sequence[str]) -> tuple[str | None, str]:
    """The field a refusal names (one of the form's) and what to say, in the reader's language."""
    if problem.status == 403:
        return None, visitor.t("desk.forbidden", detail=problem.detail)
    if problem.status == 409:
        errors = errors_from_problem(problem.problem, list(fields))
        named = next(iter(errors.fields), None)
        return named, limit_refusal(problem.problem, visitor.t) or problem.detail
    errors = errors_from_problem(problem.problem, list(fields))
    typed_wrong = str(problem.problem.get("type", "")).endswith("invalid-input")
    for name, message in errors.fields.items():
        if not typed_wrong or not message.startswith(PARSER_WORDS):
            return name, message
        key = f"desk.invalid.{name}"
        return name, visitor.t(key) if key in MESSAGES else visitor.t("desk.invalid")
    if typed_wrong:
        return None, visitor.t("desk.invalid")
    return None, problem.detail


async def run(call: Awaitable[T], visitor: Visitor, fields: Sequence[str] = ()) -> Outcome[T]:
    try:
        return Outcome(answer=await call)
    except ServiceProblem as exc:
        field, message = refusal(exc, visitor, fields)
        return Outcome(field=field, message=message)
    except Unavailable as exc:
        return Outcome(message=visitor.t("unavailable", service=exc.service))


def in_own_words(outcome: Outcome[T], visitor: Visitor, fields: Sequence[str], prefix: str) -> Outcome[T]:
    """A refusal naming one of the form's `fields` said by that field's own sentence (`<prefix><field>`,
    in the reader's language) rather than the service's English; one naming no field as it came."""
    named = outcome.field if outcome.field in fields else None
    if named:
        outcome.message = visitor.t(f"{prefix}{named}")
    outcome.field = named
    return outcome


def done(url: str, notice: str, anchor: str = "") -> Response:
    joiner = "&" if "?" in url else "?"
    return see_other(f"{url}{joiner}notice={quote(notice)}{anchor}")


def back_to_form(url: str, outcome: Outcome[Any], kept: dict[str, str] | None = None, anchor: str = "") -> Response:
    """The form's page again (GET), its refusal in the query: `error`, the `field` it names, and what was typed."""
    query = {"error": outcome.message, **({"field": outcome.field} if outcome.field else {}), **(kept or {})}
    joiner = "&" if "?" in url else "?"
    return see_other(f"{url}{joiner}{urlencode(query)}{anchor}")


def form_refusal(request: Request) -> FormErrors:
    """The refusal a redirect brought back (`back_to_form`), as the form's errors."""
    message = request.query_params.get("error", "")
    field = request.query_params.get("field", "")
    if not message:
        return FormErrors()
    return FormErrors(fields={field: message}) if field else FormErrors(general=[message])


def member_url(site_id: str, member_id: str) -> str:
    """A member organisation's page at a site's desk, where its forms come back to."""
    return f"/staff/sites/{site_id}/members/{member_id}"


def staff_back(form: dict[str, str], site_id: str, default: str) -> str:
    """Where a command returns: the form's `back` if it is a page of this site's desk, else `default`."""
    back = form.get("back", "")
    prefix = f"/staff/sites/{site_id}/"
    return back if back.startswith(prefix) and "#" not in back and ".." not in back else default
