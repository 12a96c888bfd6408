"""Check-in tickets: a signed token bound to one registration, its round and its event.

The token is a compact JWT (HS256) signed with a key derived from the service's secret for
this purpose only, with its own audience, so neither a bearer token nor a ticket of another
service passes for one. It expires some hours after the event ends. The QR code is the
token drawn as SVG on the server (with `segno` when installed; otherwise only the token).
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
import io
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

AUDIENCE = "parkgrid-community-ticket"
ALGORITHM = "HS256"


class TicketRefused(Exception):
    """The token is not a valid ticket; `detail` says why, for the person at the door."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True)
class Ticket:
    registration_id: str
    round: int
    event_id: str


class TicketSigner:
    def __init__(self, secret: str, *, valid_after_end: timedelta = timedelta(hours=6)) -> None:
        self._key = hmac.new(secret.encode(), b"parkgrid community check-in tickets", hashlib.sha256).digest()
        self.valid_after_end = valid_after_end

    def issue(self, ticket: Ticket, event_ends_at: datetime) -> str:
        claims = {
            "aud": AUDIENCE,
            "sub": ticket.registration_id,
            "rnd": ticket.round,
            "evt": ticket.event_id,
            "exp": event_ends_at + self.valid_after_end,
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def read(self, token: str) -> Ticket:
        """The ticket the token carries; TicketRefused if forged, altered, expired or not a ticket."""
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                options={"require": ["exp", "sub", "evt", "rnd", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise TicketRefused("this ticket has expired: the event is over") from None
        except jwt.InvalidSignatureError:
            raise TicketRefused("this ticket's signature is not valid: it was not issued by ParkGrid") from None
        except jwt.PyJWTError as exc:
            raise TicketRefused(f"this is not a ParkGrid ticket ({exc})") from None
        try:
            return Ticket(registration_id=str(claims["sub"]), round=int(claims["rnd"]), event_id=str(claims["evt"]))
        except (TypeError, ValueError):
            raise TicketRefused("this is not a ParkGrid ticket (its claims are malformed)") from None


def qr_svg(token: str) -> str | None:
    """The token as an SVG QR code, or None while no QR library is installed."""
    try:
        segno = importlib.import_module("segno")
    except ImportError:
        return None
    out = io.BytesIO()
    segno.make(token, error="m").save(out, kind="svg", scale=4, xmldecl=False)
    return out.getvalue().decode()
