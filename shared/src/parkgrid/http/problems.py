"""Errors as `application/problem+json` (RFC 9457), with what was wrong and where.

Routes raise `Problem` subclasses named after HTTP semantics (NotFound, Conflict...);
validation errors from FastAPI become 422 with one entry per offending field; any
other exception becomes a 500 whose body reveals nothing internal.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from parkgrid.inputs import MULTI_LINE, SINGLE_LINE
from parkgrid.logging import get_logger
from parkgrid.refusals import Refusal, Refused

log = get_logger(__name__)

PROBLEM_JSON = "application/problem+json"
TEXT_PATTERNS = (SINGLE_LINE, MULTI_LINE)
_TYPE_BASE = "urn:parkgrid:problem:"


class Problem(Exception):
    """An error a client can act on. Subclasses fix the status and the type."""

    status = 400
    type_name = "bad-request"
    title = "Bad request"

    def __init__(
        self, detail: str, *, field: str | None = None, headers: dict[str, str] | None = None, **extra: Any
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.headers = headers or {}
        self.extra = extra

    def body(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": _TYPE_BASE + self.type_name,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        if self.field:
            body["errors"] = [{"field": self.field, "message": self.detail}]
        body.update(self.extra)
        return body


class InvalidInput(Problem):
    status, type_name, title = 422, "invalid-input", "Invalid input"


class Unauthorized(Problem):
    status, type_name, title = 401, "unauthorized", "Authentication required"

    def __init__(self, detail: str, **kw: Any) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"}, **kw)


class Forbidden(Problem):
    status, type_name, title = 403, "forbidden", "Not allowed"


class NotFound(Problem):
    status, type_name, title = 404, "not-found", "Not found"


class Conflict(Problem):
    status, type_name, title = 409, "conflict", "Conflict"


class PreconditionFailed(Problem):
    status, type_name, title = 412, "precondition-failed", "Precondition failed"


class PreconditionRequired(Problem):
    status, type_name, title = 428, "precondition-required", "If-Match required"


class PayloadTooLarge(Problem):
    status, type_name, title = 413, "payload-too-large", "Payload too large"


class TooManyRequests(Problem):
    status, type_name, title = 429, "rate-limited", "Too many requests"


class ServiceUnavailable(Problem):
    status, type_name, title = 503, "unavailable", "Service unavailable"


_BY_REFUSAL: dict[Refusal, type[Problem]] = {
    Refusal.INVALID: InvalidInput,
    Refusal.NOT_FOUND: NotFound,
    Refusal.FORBIDDEN: Forbidden,
    Refusal.CONFLICT: Conflict,
    Refusal.STALE: PreconditionFailed,
}


def as_problem(refused: Refused) -> Problem:
    """The problem a refusal of the domain or service layer answers with."""
    kind = _BY_REFUSAL[refused.kind]
    return kind(refused.detail, field=refused.field, **refused.extra)


class FieldError(BaseModel):
    field: str
    message: str


class ProblemBody(BaseModel):
    """An error as RFC 9457 problem details, with the offending fields."""

    model_config = ConfigDict(extra="allow")  # a problem may add members (RFC 9457 §3.2)

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldError] | None = None


_MEANING = {
    400: "The request is malformed.",
    401: "No usable bearer token.",
    403: "Seen, but not the caller's to do.",
    404: "Nothing the caller may see by that id.",
    409: "A conflict: full, overlapping, or in the wrong state.",
    412: "The If-Match version is no longer current.",
    413: "The body is too large.",
    422: "Invalid input; `errors` names each offending field.",
    428: "This update needs If-Match.",
    429: "Rate-limited; see Retry-After.",
    503: "A dependency is unavailable; retry later.",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` documenting these error statuses as problem+json (401 and 422 always)."""
    documented = sorted({401, 422, *statuses})
    return {
        status: {
            "model": ProblemBody,
            "description": _MEANING.get(status, "An error."),
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemBody"}}},
        }
        for status in documented
    }


def problem_response(problem: Problem, request: Request | None = None) -> JSONResponse:
    return JSONResponse(
        problem.body(str(request.url.path) if request else None),
        status_code=problem.status,
        media_type=PROBLEM_JSON,
        headers=problem.headers,
    )


def _field_of(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:] if parts[0] == "body" else parts
    return ".".join(parts) or "(body)"


def _message_of(error: Any) -> str:
    """Pydantic's message, but in words for the kit's own text patterns (a regex says nothing to a person)."""
    if error.get("type") == "string_pattern_mismatch" and (error.get("ctx") or {}).get("pattern") in TEXT_PATTERNS:
        return "control characters are not allowed here"
    return str(error["msg"])


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc, request)

    @app.exception_handler(Refused)
    async def _refused(request: Request, exc: Refused) -> JSONResponse:
        return problem_response(as_problem(exc), request)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": _field_of(e["loc"]), "message": _message_of(e)} for e in exc.errors()]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return JSONResponse(
            {
                "type": _TYPE_BASE + "invalid-input",
                "title": "Invalid input",
                "status": 422,
                "detail": detail,
                "instance": str(request.url.path),
                "errors": errors,
            },
            status_code=422,
            media_type=PROBLEM_JSON,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            {
                "type": "about:blank",
                "title": str(exc.detail) if exc.status_code < 500 else "Server error",
                "status": exc.status_code,
                "detail": str(exc.detail),
                "instance": str(request.url.path),
            },
            status_code=exc.status_code,
            media_type=PROBLEM_JSON,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("http.unhandled", path=str(request.url.path))
        return JSONResponse(
            {
                "type": _TYPE_BASE + "internal",
                "title": "Server error",
                "status": 500,
                "detail": "The server could not complete the request; it has been logged.",
                "instance": str(request.url.path),
            },
            status_code=500,
            media_type=PROBLEM_JSON,
        )
