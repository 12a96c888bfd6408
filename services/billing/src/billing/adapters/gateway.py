"""The hook for an online payment gateway: how a gateway's payment notice becomes a payment.

No gateway is reachable from ParkGrid's machines, so payments are recorded by staff. A park
that signs up with one (a Moroccan acquirer's hosted payment page, a card processor) adds an
adapter here that implements `PaymentGateway` and selects it in `gateway_of`:

- `verify(body, headers)` turns the notice the gateway POSTs to `/v1/gateway/notifications`
  into a `GatewayPayment`, after checking it really comes from the gateway (its signature),
  or raises `InvalidNotice` (answered 401, nothing recorded);
- the payment is then recorded like a desk's, under an id derived from the gateway's own
  reference, so a notice the gateway sends again is recorded once.

`SignedNotices` is such an adapter for the common scheme (a JSON notice signed with an
HMAC-SHA256 of its body under a shared secret, `BILLING_GATEWAY_SECRET`); `NoGateway`, the
default, refuses every notice.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Protocol

SIGNATURE_HEADER = "x-gateway-signature"


@dataclass(frozen=True)
class GatewayPayment:
    """A payment a gateway says it took for an invoice."""

    gateway: str
    reference: str
    invoice_id: str
    amount_minor: int
    currency: str
    paid_on: date


class InvalidNotice(Exception):
    """A notice that is not the gateway's, or not one it could have sent."""


class PaymentGateway(Protocol):
    name: str

    def verify(self, body: bytes, headers: Mapping[str, str]) -> GatewayPayment: ...


class NoGateway:
    """No online payments: every notice is refused."""

    name = "none"

    def verify(self, body: bytes, headers: Mapping[str, str]) -> GatewayPayment:
        raise InvalidNotice("no payment gateway is configured")


class SignedNotices:
    """Notices signed `sha256=<hex HMAC-SHA256 of the body>` under a secret shared with the gateway."""

    def __init__(self, name: str, secret: bytes) -> None:
        self.name = name
        self.secret = secret

    def sign(self, body: bytes) -> str:
        return "sha256=" + hmac.new(self.secret, body, hashlib.sha256).hexdigest()

    def verify(self, body: bytes, headers: Mapping[str, str]) -> GatewayPayment:
        given = headers.get(SIGNATURE_HEADER, "")
        if not hmac.compare_digest(given, self.sign(body)):
            raise InvalidNotice("the notice's signature does not match")
        try:
            notice = json.loads(body)
            payment = GatewayPayment(
                gateway=self.name,
                reference=str(notice["reference"])[:100],
                invoice_id=str(notice["invoice_id"]),
                amount_minor=int(notice["amount_minor"]),
                currency=str(notice["currency"]),
                paid_on=date.fromisoformat(str(notice["paid_on"])),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidNotice(f"not a payment notice: {exc!r}") from None
        if payment.amount_minor <= 0 or not payment.reference:
            raise InvalidNotice("a payment notice needs a reference and a positive amount")
        return payment


@dataclass(frozen=True)
class GatewayHook:
    """The gateway in use, as the notices route gets it."""

    gateway: PaymentGateway


def gateway_of(name: str, secret: str | None) -> PaymentGateway:
    """The configured gateway: signed notices under `secret`, or none without one."""
    return SignedNotices(name, secret.encode()) if secret else NoGateway()
