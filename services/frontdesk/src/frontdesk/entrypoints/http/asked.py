"""What a URL asks for (`?date=`, `?q=`): read within the network's calendar and one line of
text, or answered with a default and the reason shown above the page (issue 26)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypeVar

from fastapi import Request

from frontdesk.domain.inputs import CALENDAR, SEARCH_LIMIT, day_typed, search_typed
from frontdesk.entrypoints.http.visitors import Visitor

T = TypeVar("T")


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
