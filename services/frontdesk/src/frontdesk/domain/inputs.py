"""What a person types into a URL or a form, read before anything uses it.

A date in a URL (`?date=`, `?from=`) must be one of the network's calendar (the kit's
`parkgrid.inputs`, 2000-01-01..2199-12-31): a page adds days to it, and `9999-12-31` would
overflow into a 500. A search is one line of text without control characters, like every
text the services accept. What is refused is shown back to the person (control characters
made visible, cut short), with the page for a value that works.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Generic, TypeVar

from pydantic import Field, TypeAdapter, ValidationError

from parkgrid.inputs import EARLIEST, LATEST, Text, in_calendar

T = TypeVar("T")
SEARCH_LIMIT = 200
SHOWN_LIMIT = 40
_SEARCH = TypeAdapter(Annotated[Text, Field(max_length=SEARCH_LIMIT)])
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Typed(Generic[T]):
    """The value to use, and the person's text when it was refused (None when it was fine or absent)."""

    value: T
    refused: str | None = None


def day_typed(raw: str | None, default: date) -> Typed[date]:
    """A date in the network's calendar, else `default` (and what was refused, if anything was typed)."""
    if not raw or not raw.strip():
        return Typed(default)
    try:
        return Typed(in_calendar(date.fromisoformat(raw.strip())))
    except ValueError:
        return Typed(default, refused=shown(raw))


def search_typed(raw: str | None) -> Typed[str]:
    """One line to search for, trimmed ('' when absent, or refused: control characters, too long)."""
    if raw is None:
        return Typed("")
    try:
        return Typed(_SEARCH.validate_python(raw))
    except ValidationError:
        return Typed("", refused=shown(raw))


def whole_number(raw: str | None, default: int) -> int | str:
    """A count typed in a form: the number, `default` when empty, else the text itself for the service to refuse."""
    text = (raw or "").strip()
    if not text:
        return default
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else text


def shown(raw: str) -> str:
    """The person's text safe to show: control characters as U+FFFD, at most SHOWN_LIMIT characters."""
    visible = _CONTROL.sub("\ufffd", raw.strip())
    return visible if len(visible) <= SHOWN_LIMIT else visible[: SHOWN_LIMIT - 1] + "…"


CALENDAR = {"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()}
