"""Examples the pure tests of spaces share: one residency and one office offer, as plain fields.

The records tests build spaces' own records from them and the publication tests the contracts'
snapshots, so both speak of the same residency and the same offer.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from parkgrid.contracts.common import Actor, SpaceKind
from parkgrid.contracts.spaces import ResidencyStatus

STAFF = Actor(role="admin", subject="staff-1")

RESIDENCY: dict[str, Any] = {
    "residency_id": "res-1",
    "member_id": "org-1",
    "site_id": "site-a",
    "space_id": "office-1",
    "space_kind": SpaceKind.PRIVATE_OFFICE,
    "seats": 4,
    "starts_on": date(2027, 1, 1),
    "ends_on": date(2027, 12, 31),
    "status": ResidencyStatus.ACTIVE,
    "allocated_by": STAFF,
}
"""org-1's office at site-a for 2027, allocated by staff."""

OFFER: dict[str, Any] = {
    "space_id": "office-1",
    "space_name": "Office 1",
    "capacity": 4,
    "starts_on": date(2027, 1, 1),
    "ends_on": date(2027, 12, 31),
    "residency_id": "res-owl-1",
    "offered_by": STAFF,
}
"""That office, offered to the first in line for the residency it would start."""
