"""Spaces' own records are stored in the very shape the contracts' snapshots had (pure).

The service layer builds documents from the domain's types, no longer from the contracts'
snapshot classes; the publication validates the public events from those documents. These
tests pin that a document built either way is the same, field for field.
"""

from __future__ import annotations

from datetime import date

from parkgrid.contracts.common import Actor, SpaceKind
from parkgrid.contracts.spaces import ResidencySnapshot, ResidencyStatus
from spaces.domain.stays import Residency

DESK = Actor(role="front_desk", subject="desk-1")


def test_a_residency_is_stored_as_its_contract_snapshot_was() -> None:
    residency = Residency(
        residency_id="res-1",
        member_id="org-1",
        site_id="site-1",
        space_id="office-1",
        space_kind=SpaceKind.PRIVATE_OFFICE,
        seats=4,
        starts_on=date(2027, 1, 1),
        ends_on=date(2028, 6, 30),
        status=ResidencyStatus.ACTIVE,
        allocated_by=DESK,
    )
    snapshot = ResidencySnapshot(**vars(residency))
    assert residency.to_document() == snapshot.model_dump(mode="json")
