"""The webhooks page's rules, no I/O: the families of events an admin subscribes an endpoint to (one
box per publishing service, sent as insights' dotted prefixes), the form as insights' body, and how
an endpoint's subscription reads back."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

FAMILIES = ("catalogue", "bookings", "spaces", "community")
"""`parkgrid.<family>`: every event that service publishes (offerings; bookings and waitlists;
sites, spaces, residencies, reservations, day passes; members, events, registrations)."""
LANGUAGES = ("fr", "en", "ar")
FIELDS = ("url", "event_types", "site_id", "description", "owner_email", "owner_language")


def body_of(form: Mapping[str, str], chosen: list[str]) -> dict[str, Any]:
    """Insights' `EndpointIn` from the form: the boxes ticked (`family` repeated) as prefixes."""
    body: dict[str, Any] = {
        "url": form.get("url", "").strip(),
        "event_types": [f"parkgrid.{f}" for f in chosen if f in FAMILIES],
        "description": form.get("description", "").strip(),
        "owner_email": form.get("owner_email", "").strip(),
        "owner_language": form.get("owner_language") if form.get("owner_language") in LANGUAGES else "fr",
    }
    if form.get("site_id"):
        body["site_id"] = form["site_id"]
    return body


def families_of(event_types: list[str]) -> tuple[list[str], list[str]]:
    """An endpoint's subscription as (the families it takes whole, the other types it names)."""
    whole = [f for f in FAMILIES if f"parkgrid.{f}" in event_types]
    others = [t for t in event_types if t.removeprefix("parkgrid.") not in whole]
    return whole, others
