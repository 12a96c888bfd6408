"""An offering's details and the sites the unit tests decide against (no infrastructure)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from catalogue.domain.offering import OfferingDetails, SiteFacts

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
RABAT = SiteFacts("site-rabat", "Africa/Casablanca")


def details(**changes: Any) -> OfferingDetails:
    """A valid one-to-one mentoring at Rabat on Tuesday mornings, with `changes` on top."""
    body: dict[str, Any] = {
        "site_id": "site-rabat",
        "category": "mentoring",
        "title": {"fr": "Mentorat", "en": "Mentoring"},
        "description": {"fr": "Une heure avec un mentor", "en": "One hour with a mentor"},
        "provider": {"name": "Réseau Entreprendre", "kind": "partner"},
        "mode": "in_person",
        "session_minutes": 60,
        "seats_per_session": 1,
        "availability": [{"weekday": 2, "opens": "09:00", "closes": "12:00"}],
    }
    return OfferingDetails.model_validate({**body, **changes})
