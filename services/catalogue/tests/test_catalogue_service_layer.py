"""The catalogue's offering commands on the kit's in-memory aggregate store: no broker, no store.

Drafts publish nothing; publish, revise and withdraw put contract events in the outbox;
a stale If-Match is 412 on `If-Match`; refusals are the domain's `Refused` kinds.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from catalogue_samples import details

from catalogue.domain.offering import OfferingRuleBroken, SiteFacts, WrongState
from catalogue.service_layer.handlers import Catalogue, UnknownOffering
from parkgrid.aggregates import InMemoryAggregateStore
from parkgrid.contracts.catalogue import OfferingStatus
from parkgrid.events import registry
from parkgrid.refusals import Refusal, Refused, StaleVersion

NOW = datetime(2026, 5, 4, 9, tzinfo=UTC)
SITES = {
    "site-rabat": SiteFacts("site-rabat", "Africa/Casablanca"),
    "site-closed": SiteFacts("site-closed", "Africa/Casablanca", open=False),
}


@pytest.fixture
def store() -> InMemoryAggregateStore:
    return InMemoryAggregateStore(registry=registry, source="catalogue", topic="catalogue.offering")


@pytest.fixture
def catalogue(store: InMemoryAggregateStore) -> Catalogue:
    async def site_facts(site_id: str) -> SiteFacts | None:
        return SITES.get(site_id)

    return Catalogue(offerings=store, site_facts=site_facts, clock=lambda: NOW)


def types(outbox: list[dict[str, Any]]) -> list[str]:
    return [entry["envelope"]["type"].rsplit(".", 1)[-1] for entry in outbox]


async def test_the_lifecycle_publishes_from_the_first_publish_on(
    catalogue: Catalogue, store: InMemoryAggregateStore
) -> None:
    offering, version = await catalogue.create_offering("o-1", details())
    assert (offering.status, version) == (OfferingStatus.DRAFT, 1)
    _, version = await catalogue.revise_offering("o-1", version, lambda d: d.model_copy(update={"credits": 2}))
    assert await store.outbox("o-1") == []  # a draft publishes nothing
    published, version = await catalogue.publish_offering("o-1", version)
    assert published.status == OfferingStatus.PUBLISHED
    revised, version = await catalogue.revise_offering(
        "o-1", version, lambda d: d.model_copy(update={"seats_per_session": 2})
    )
    assert revised.details.seats_per_session == 2
    withdrawn, _ = await catalogue.withdraw_offering("o-1")
    assert withdrawn.status == OfferingStatus.WITHDRAWN
    assert types(await store.outbox("o-1")) == ["published", "updated", "withdrawn"]
    assert (await catalogue.get("o-1"))[0].status == OfferingStatus.WITHDRAWN


async def test_a_retried_create_finds_the_first_offering(catalogue: Catalogue) -> None:
    first = await catalogue.create_offering("o-1", details(), publish=True)
    again = await catalogue.create_offering("o-1", details(seats_per_session=5), publish=True)
    assert again == first


async def test_a_stale_if_match_is_412_on_if_match(catalogue: Catalogue) -> None:
    _, version = await catalogue.create_offering("o-1", details())
    await catalogue.revise_offering("o-1", version, lambda d: d)
    with pytest.raises(StaleVersion) as stale:
        await catalogue.publish_offering("o-1", version)
    assert (stale.value.kind, stale.value.field) == (Refusal.STALE, "If-Match")
    assert stale.value.detail == "offering o-1 is at version 2, not 1"


async def test_refusals_say_what_kind_of_no(catalogue: Catalogue) -> None:
    with pytest.raises(UnknownOffering) as unknown:
        await catalogue.get("o-nowhere")
    with pytest.raises(Refused) as not_there:
        await catalogue.publish_offering("o-nowhere")
    for refused in (unknown.value, not_there.value):
        assert (refused.kind, refused.detail) == (Refusal.NOT_FOUND, "there is no offering o-nowhere")
    with pytest.raises(OfferingRuleBroken) as broken:
        await catalogue.create_offering("o-2", details(site_id="site-unknown"))
    assert (broken.value.kind, broken.value.field) == (Refusal.INVALID, "site_id")
    await catalogue.create_offering("o-3", details(site_id="site-closed"))
    with pytest.raises(WrongState) as closed:
        await catalogue.publish_offering("o-3")
    assert closed.value.kind == Refusal.CONFLICT
    with pytest.raises(WrongState):
        await catalogue.withdraw_offering("o-3")


async def test_a_revision_to_another_site_checks_that_site(catalogue: Catalogue) -> None:
    _, version = await catalogue.create_offering("o-1", details())
    with pytest.raises(OfferingRuleBroken) as broken:
        await catalogue.revise_offering("o-1", version, lambda d: d.model_copy(update={"site_id": "site-gone"}))
    assert broken.value.field == "site_id"
    moved, _ = await catalogue.revise_offering(
        "o-1", version, lambda d: d.model_copy(update={"site_id": "site-closed"})
    )
    assert moved.details.site_id == "site-closed"
