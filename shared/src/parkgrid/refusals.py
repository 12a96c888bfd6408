"""One way for any layer to say no: `Refused(kind, detail)`, turned into problem+json once.

Domains and service layers refuse in the park's words ("the session is full") and say of
what kind the refusal is; they import nothing of HTTP. The kit's problem handler maps each
kind to its status (DESIGN.md's conventions), so routes need no `try/except` per refusal.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Refusal(StrEnum):
    """What kind of no it is; each maps to one HTTP status."""

    INVALID = "invalid"  # 422: the request names something impossible
    NOT_FOUND = "not_found"  # 404: nothing the caller may see by that id
    FORBIDDEN = "forbidden"  # 403: seen, but not theirs to do
    CONFLICT = "conflict"  # 409: full, overlapping, wrong state
    STALE = "stale"  # 412: an If-Match version that is no longer current


class Refused(Exception):
    """A rule said no. `field` names the offending input where there is one."""

    def __init__(self, kind: Refusal | str, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.kind = Refusal(kind)
        self.detail = detail
        self.field = field
        self.extra: dict[str, Any] = {}  # members the problem adds (RFC 9457 §3.2), for clients to act on

    @classmethod
    def invalid(cls, detail: str, field: str | None = None) -> Refused:
        return cls(Refusal.INVALID, detail, field=field)

    @classmethod
    def not_found(cls, detail: str) -> Refused:
        return cls(Refusal.NOT_FOUND, detail)

    @classmethod
    def forbidden(cls, detail: str) -> Refused:
        return cls(Refusal.FORBIDDEN, detail)

    @classmethod
    def conflict(cls, detail: str, field: str | None = None) -> Refused:
        return cls(Refusal.CONFLICT, detail, field=field)

    @classmethod
    def stale(cls, detail: str) -> Refused:
        return cls(Refusal.STALE, detail)


class StaleVersion(Refused):
    """The aggregate is no longer at the version the caller read (an If-Match that lost).

    Named on the `If-Match` header: that is what the caller must read again and resend."""

    def __init__(self, detail: str) -> None:
        super().__init__(Refusal.STALE, detail, field="If-Match")
