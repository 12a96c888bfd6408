"""The demo seed: 40 organisations over the eight sites and 12 events, idempotent, through
the service layer (so everything is published)."""

from __future__ import annotations

from community_support import publish_sites, read_topic

from community.bootstrap import build
from community.seed import seed
from community.seed_data import SITES
from parkgrid.contracts.topics import TOPICS
from parkgrid.settings import KitSettings
from parkgrid.testing.plugin import CreateTopics, ServiceSettings


async def test_seed_is_idempotent_and_published(service_settings: ServiceSettings, create_topics: CreateTopics) -> None:
    await create_topics([t for t in TOPICS if t.name.startswith(("community.", "spaces."))])
    settings: KitSettings = service_settings("community")
    await publish_sites(settings, SITES)
    first = await seed(settings, site_wait=30)
    assert first.startswith("40 member organisations (40 created), 12 community events created"), first
    again = await seed(settings, site_wait=30)
    assert again.startswith("40 member organisations (0 created), 0 community events created"), again

    community = build(settings, consumers=False)
    try:
        events = await community.store.events.collection.find({}, {"status": 1, "site_id": 1}).to_list()
        statuses = sorted(e["status"] for e in events)
        assert statuses.count("published") == 2  # the online ones; the others wait for spaces
        assert statuses.count("venue_pending") == 10
        member = await community.store.member_of_person("person-atlas-robotics-1")
        assert member is not None
        assert member[0].member_id == "member-atlas-robotics"
    finally:
        await community.runtime.mongo.close()
    members = await read_topic(settings, "community.member", until=40)
    assert len({e.subject for e in members}) == 40
    commands = await read_topic(settings, "spaces.commands", until=10)
    assert len(commands) == 10
