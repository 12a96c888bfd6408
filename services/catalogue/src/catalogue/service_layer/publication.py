"""The one place the catalogue turns what happened to its offerings into public events.

Subscribers only care about what can be booked or was bookable: a draft publishes
nothing, so the first event of an offering is `OfferingPublished` (v2); afterwards every
change is published in full, as the offering's `OfferingSnapshot`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from catalogue.domain import happened
from catalogue.domain.offering import Offering
from parkgrid.contracts import catalogue as public
from parkgrid.domain import Publication
from parkgrid.events import IntegrationEvent

publication = Publication("catalogue")


def snapshot(offering: Offering) -> dict[str, Any]:
    """The offering as the v2 contract describes it (also the body of its HTTP read model)."""
    data = offering.details.model_dump(exclude={"time_zone"})
    return public.OfferingSnapshot(
        **data, offering_id=offering.offering_id, status=offering.status, time_zone=offering.time_zone
    ).model_dump(mode="json")


@publication.maps(happened.OfferingDrafted)
def _drafted(event: happened.OfferingDrafted) -> Sequence[IntegrationEvent]:
    return []


@publication.maps(happened.DraftRevised)
def _draft_revised(event: happened.DraftRevised) -> Sequence[IntegrationEvent]:
    return []


@publication.maps(happened.OfferingRevised)
def _revised(event: happened.OfferingRevised) -> Sequence[IntegrationEvent]:
    return [public.OfferingUpdated(**snapshot(event.offering))]


@publication.maps(happened.OfferingOpened)
def _opened(event: happened.OfferingOpened) -> Sequence[IntegrationEvent]:
    return [public.OfferingPublished(**snapshot(event.offering))]


@publication.maps(happened.OfferingWithdrawn)
def _withdrawn(event: happened.OfferingWithdrawn) -> Sequence[IntegrationEvent]:
    return [public.OfferingWithdrawn(**snapshot(event.offering))]
