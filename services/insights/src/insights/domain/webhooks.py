"""Signed webhooks for subscribers without Kafka: the rules, with no I/O.

An admin registers an endpoint (a URL, the event types it wants — exact CloudEvents types or
dotted prefixes such as `parkgrid.bookings` —, optionally one site). Every fact insights
consumes that an enabled endpoint wants becomes one delivery, signed as the Standard Webhooks
specification says (`webhook-id` is the event id, so a receiver deduplicates on it;
`webhook-signature` is `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` with the
endpoint's `whsec_` secret). A refused or unreachable delivery is retried with exponential
backoff and jitter, capped, over days; one that exhausts its schedule is given up, and an
endpoint whose deliveries are given up `disable_after` times in a row is disabled (its owner
is told) rather than retried for ever.

    pending ──claim (lease)──▶ sending ──2xx──▶ delivered
       ▲                          │
       └──── refused, retry ◀─────┤ (attempts left)
                                  └── schedule exhausted ──▶ failed
    a lease that expires (the worker died mid-send) makes the delivery claimable again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 24  # Standard Webhooks asks for 24 to 64 bytes of randomness
_DELIVERY_NAMESPACE = uuid.UUID("6f1d3b0e-2b8a-4c61-9a3e-0c7d5e2f4a19")
LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


class DeliveryStatus:
    PENDING = "pending"
    SENDING = "sending"
    DELIVERED = "delivered"
    FAILED = "failed"  # the schedule is exhausted, or the endpoint is gone or disabled


def new_secret() -> str:
    """A fresh signing secret, shown to the admin once: `whsec_` and base64 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _key(secret: str) -> bytes:
    raw = secret.removeprefix(SECRET_PREFIX)
    return base64.b64decode(raw + "=" * (-len(raw) % 4))


def signature(secret: str, message_id: str, timestamp: int, body: str) -> str:
    """`v1,<base64 HMAC-SHA256>` of `{id}.{timestamp}.{body}`, as Standard Webhooks receivers check it."""
    digest = hmac.new(_key(secret), f"{message_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(secret: str | Sequence[str], message_id: str, at: datetime, body: str) -> dict[str, str]:
    """The headers of one attempt: a receiver refuses a timestamp too far from its clock (replays).
    Several secrets (a rotation's grace) give several space-separated signatures, as Standard
    Webhooks allows: a receiver that knows either secret verifies the delivery."""
    timestamp = int(at.timestamp())
    keys = [secret] if isinstance(secret, str) else list(secret)
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signature(key, message_id, timestamp, body) for key in keys),
    }


def signing_secrets(endpoint: Mapping[str, Any], now: datetime) -> list[str]:
    """What signs a delivery to `endpoint` at `now`: its secret and, until its grace ends, the one a
    rotation replaced (so a receiver updated a little after the rotation loses nothing)."""
    found = [str(endpoint["secret"])]
    previous, until = endpoint.get("previous_secret"), endpoint.get("previous_valid_until")
    if previous and until is not None and _aware(until) > now:
        found.append(str(previous))
    return found


def _aware(moment: datetime) -> datetime:
    """The store gives naive UTC back."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def url_refusal(url: str, *, allow_loopback_http: bool) -> str | None:
    """Why this URL cannot be an endpoint, or None: https anywhere; plain http only to this machine
    (a developer's receiver), and only where the deployment allows it — never a secret in clear."""
    parts = urlsplit(url)
    if parts.scheme not in {"https", "http"} or not parts.hostname:
        return "the URL must be https://host/..."
    if parts.username or parts.password:
        return "the URL must not carry credentials"
    if parts.scheme == "http" and not (allow_loopback_http and is_loopback(parts.hostname)):
        return "plain http is only for a receiver on this machine in development; use https"
    return None


def address_refusal(host: str, addresses: Sequence[str]) -> str | None:
    """Why a receiver at these addresses (what `host` resolves to) is not one ParkGrid sends to, or
    None: every address must be public. A private, loopback, link-local (cloud metadata), shared,
    reserved or multicast address would let an admin's URL reach into the park's own network, so
    one such address among several refuses the host (DNS may answer either)."""
    if not addresses:
        return f"{host} does not resolve to any address"
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if not ip.is_global or ip.is_multicast:
            return f"{host} resolves to {ip}, which is not a public address"
    return None


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


WITHHELD = ("parkgrid.billing.",)
"""Facts insights projects (for the money KPIs) but offers to no endpoint: billing's charges,
invoices and payments are a member organisation's accounts, and no one has decided yet that a
partner subscribed to `parkgrid` (or a site) should receive them. A live delivery and a replay
from the fact log both ask `wants`, so neither sends them."""


def offered(event_type: str) -> bool:
    """Whether webhook endpoints may be sent this type of event at all."""
    return not event_type.startswith(WITHHELD)


def wants(event_types: Sequence[str], site_id: str | None, event_type: str, data: Mapping[str, Any]) -> bool:
    """Whether an endpoint subscribed to `event_types` (exact types or dotted prefixes) and, when
    named, one site, wants this event. A site-bound endpoint never gets network-wide events, and
    no endpoint gets what is not `offered`."""
    if not offered(event_type):
        return False
    if not any(event_type == t or event_type.startswith(t.rstrip(".*") + ".") for t in event_types):
        return False
    return site_id is None or site_of(data) == site_id


def site_of(data: Mapping[str, Any]) -> str | None:
    """The site an event is about: its `site_id`, else a member's home site; None for the network."""
    site = data.get("site_id") or data.get("home_site_id")
    return str(site) if site else None


def source_of(event_type: str) -> str:
    """`parkgrid.bookings.booking.confirmed` → `bookings`: the publishing service, as its envelopes name it."""
    return event_type.split(".")[1]


def event_body(
    event_id: str, event_type: str, subject: str, sequence: int, time: datetime, actor: str | None, data: Any
) -> str:
    """The request body: the event as a structured-mode CloudEvent (JSON). Built from the fact's
    fields alone, so a live delivery and a replay from the fact log send the same bytes."""
    event = {
        "specversion": "1.0",
        "id": event_id,
        "type": event_type,
        "source": source_of(event_type),
        "subject": subject,
        "time": time.isoformat(),
        "datacontenttype": "application/json",
        "sequence": sequence,
        "actor": actor,
        "data": data,
    }
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False, default=str)


def delivery_id(endpoint_id: str, event_id: str, replay_id: str | None = None) -> str:
    """One delivery per (endpoint, event) — per (replay, endpoint, event) for a replay —, so a
    redelivered Kafka message, or a replay repeated with the same Idempotency-Key, adds none."""
    return "wd-" + str(uuid.uuid5(_DELIVERY_NAMESPACE, f"{replay_id or 'live'}\x00{endpoint_id}\x00{event_id}"))


@dataclass(frozen=True)
class Schedule:
    """When to try again: `first` seconds, doubling, never more than `longest` apart, each delay
    jittered by ±`jitter` (so a receiver back after an outage is not hit by every retry at once),
    `attempts` tries in all."""

    first: float
    longest: float
    attempts: int
    jitter: float = 0.2

    def delay(self, attempts_made: int, spread: float) -> timedelta:
        """The wait after the `attempts_made`-th failed try; `spread` in [0, 1) picks the jitter."""
        base = min(self.first * 2 ** (attempts_made - 1), self.longest)
        return timedelta(seconds=base * (1 - self.jitter + 2 * self.jitter * spread))

    def exhausted(self, attempts_made: int) -> bool:
        return attempts_made >= self.attempts

    def span(self) -> timedelta:
        """How long a delivery is tried before it is given up (without jitter): the days it covers."""
        return timedelta(seconds=sum(min(self.first * 2**n, self.longest) for n in range(self.attempts - 1)))


def succeeded(status_code: int | None) -> bool:
    return status_code is not None and 200 <= status_code < 300


def should_disable(consecutive_failed: int, disable_after: int) -> bool:
    """An endpoint whose last `disable_after` deliveries were all given up is disabled."""
    return consecutive_failed >= disable_after
