"""What spaces publishes of what happens to its aggregates: the one place its public events are built.

The domain keeps raw documents (with what only spaces needs: tickets, stays, moves); each
public event is validated from the document after the change, so it carries the contract's
fields only, and the contract stays what subscribers read whatever the documents grow.
"""

from __future__ import annotations

from collections.abc import Sequence

from parkgrid.aggregates import Decision
from parkgrid.contracts import spaces as public
from parkgrid.domain import DomainEvent, Publication
from parkgrid.events import IntegrationEvent
from spaces.domain import happened, visits
from spaces.domain.happened import Document

publication = Publication("spaces")


def published(change: tuple[Document, Sequence[DomainEvent]] | None) -> Decision | None:
    """A domain transition's answer as the kit saves it (`change`, `create`): the state and its public events."""
    if change is None:
        return None
    state, what_happened = change
    return state, publication(what_happened)


@publication.maps(happened.SiteJoined)
def _site_joined(event: happened.SiteJoined) -> list[IntegrationEvent]:
    return [public.SiteRegistered.model_validate(event.site)]


@publication.maps(happened.SiteRevised)
def _site_revised(event: happened.SiteRevised) -> list[IntegrationEvent]:
    return [public.SiteUpdated.model_validate(event.site)]


@publication.maps(happened.SpaceOpened)
def _space_opened(event: happened.SpaceOpened) -> list[IntegrationEvent]:
    return [public.SpaceAdded.model_validate(event.space)]


@publication.maps(happened.SpaceRevised)
def _space_revised(event: happened.SpaceRevised) -> list[IntegrationEvent]:
    return [public.SpaceUpdated.model_validate(event.space)]


@publication.maps(happened.SpaceWithdrawn)
def _space_withdrawn(event: happened.SpaceWithdrawn) -> list[IntegrationEvent]:
    return [public.SpaceRetired.model_validate(event.space)]


@publication.maps(happened.ReservationHeld)
def _reservation_held(event: happened.ReservationHeld) -> list[IntegrationEvent]:
    return [public.ReservationConfirmed.model_validate(event.reservation)]


@publication.maps(happened.ReservationTurnedDown)
def _reservation_turned_down(event: happened.ReservationTurnedDown) -> list[IntegrationEvent]:
    return [public.ReservationRefused.model_validate(event.reservation)]


@publication.maps(happened.ReservationGivenBack)
def _reservation_given_back(event: happened.ReservationGivenBack) -> list[IntegrationEvent]:
    return [public.ReservationReleased.model_validate({**event.reservation, "released_at": event.released_at})]


@publication.maps(happened.ResidencyBegun)
def _residency_begun(event: happened.ResidencyBegun) -> list[IntegrationEvent]:
    return [public.ResidencyStarted.model_validate(event.residency)]


@publication.maps(happened.ResidencyProlonged)
def _residency_prolonged(event: happened.ResidencyProlonged) -> list[IntegrationEvent]:
    return [public.ResidencyExtended.model_validate({**event.residency, "previous_ends_on": event.previous_ends_on})]


@publication.maps(happened.ResidencyRelocated)
def _residency_relocated(event: happened.ResidencyRelocated) -> list[IntegrationEvent]:
    left, site_id = event.left, event.residency["site_id"]
    moved = {
        **event.residency,
        "previous_space_id": left.space_id,
        "previous_site_id": left.site_id if left.site_id != site_id else None,
        "moved_on": event.moved_on,
    }
    return [public.ResidencyMoved.model_validate(moved)]


@publication.maps(happened.ResidencyClosed)
def _residency_closed(event: happened.ResidencyClosed) -> list[IntegrationEvent]:
    ended = {**event.residency, "ended_early": event.ended_early, "reason": event.reason}
    return [public.ResidencyEnded.model_validate(ended)]


@publication.maps(happened.DayPassGranted)
def _day_pass_granted(event: happened.DayPassGranted) -> list[IntegrationEvent]:
    return [public.DayPassIssued.model_validate(event.day_pass)]


@publication.maps(happened.LineJoined)
def _line_joined(event: happened.LineJoined) -> list[IntegrationEvent]:
    return [public.OfficeWaitlistJoined.model_validate(event.entry)]


@publication.maps(happened.OfficeOffered)
def _office_offered(event: happened.OfficeOffered) -> list[IntegrationEvent]:
    return [public.OfficeWaitlistOffered.model_validate(event.entry)]


@publication.maps(happened.OfferTaken)
def _offer_taken(event: happened.OfferTaken) -> list[IntegrationEvent]:
    return [public.OfficeWaitlistAccepted.model_validate(event.entry)]


@publication.maps(happened.OfferTurnedDown)
def _offer_turned_down(event: happened.OfferTurnedDown) -> list[IntegrationEvent]:
    return [public.OfficeWaitlistDeclined.model_validate({**event.entry, "reason": event.reason})]


@publication.maps(happened.OfferLapsed)
def _offer_lapsed(event: happened.OfferLapsed) -> list[IntegrationEvent]:
    return [public.OfficeWaitlistOfferLapsed.model_validate({**event.entry, "lapsed_at": event.at})]


@publication.maps(happened.LineLeft)
def _line_left(event: happened.LineLeft) -> list[IntegrationEvent]:
    return [public.OfficeWaitlistLeft.model_validate({**event.entry, "reason": event.reason})]


@publication.maps(visits.VisitRegistered)
def _visit_registered(event: visits.VisitRegistered) -> list[IntegrationEvent]:
    return [public.VisitExpected.model_validate(event.visit)]


@publication.maps(visits.GuestArrived)
def _guest_arrived(event: visits.GuestArrived) -> list[IntegrationEvent]:
    return [public.VisitArrived.model_validate(event.visit)]


@publication.maps(visits.GuestLeft)
def _guest_left(event: visits.GuestLeft) -> list[IntegrationEvent]:
    return [public.VisitLeft.model_validate(event.visit)]


@publication.maps(visits.VisitCalledOff)
def _visit_called_off(event: visits.VisitCalledOff) -> list[IntegrationEvent]:
    return [public.VisitCancelled.model_validate({**event.visit, "cancelled_by": event.by})]


__all__ = ["publication", "published"]
