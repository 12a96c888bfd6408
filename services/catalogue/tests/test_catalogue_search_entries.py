"""Search entries follow their offerings on the real store: a write interrupted before its entry
is caught up, and an older projection never overwrites a newer entry."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from catalogue.adapters.offerings import Offerings, state_of
from catalogue.adapters.search import Search, find
from catalogue.domain import offering as rules
from catalogue.domain.offering import OfferingDetails
from parkgrid.contracts.catalogue import OfferingStatus
from parkgrid.store import Database

NOW = datetime(2026, 5, 4, 9, tzinfo=UTC)


def published(offering_id: str, title: str) -> rules.Offering:
    details = OfferingDetails.model_validate(
        {
            "category": "training",
            "title": {"fr": title, "en": title},
            "description": {"fr": "Formation", "en": "Training"},
            "provider": {"name": "Experte", "kind": "expert"},
            "mode": "online",
            "session_minutes": 60,
            "seats_per_session": 10,
            "eligibility": {"member_kinds": ["startup"], "stages": []},
        }
    )
    drafted, _ = rules.draft(offering_id, details, None, NOW)
    return replace(drafted, status=OfferingStatus.PUBLISHED)


async def test_an_offering_written_without_its_entry_is_caught_up(database: Database) -> None:
    offerings = Offerings(database["offerings"], database["offerings_search"])
    offering = published("o-crash", "Pitch training")
    # the aggregate write happened, the process died before the entry was written
    await offerings.store.create(offering.offering_id, state_of(offering), [])
    search = Search(member_kind="startup", text="pitch")
    assert (await find(offerings.collection, offerings.search, search))[0] == []

    assert await offerings.catch_up() == 1
    docs, _ = await find(offerings.collection, offerings.search, search)
    assert [d["_id"] for d in docs] == ["o-crash"]
    stored = await offerings.collection.find_one({"_id": "o-crash"})
    assert stored is not None
    assert stored["search_pending"] is False
    assert await offerings.catch_up() == 0
    assert (await find(offerings.collection, offerings.search, Search(member_kind="tpe")))[0] == []


async def test_an_older_projection_never_overwrites_a_newer_entry(database: Database) -> None:
    offerings = Offerings(database["offerings"], database["offerings_search"])
    first = published("o-1", "Export clinic")
    version = await offerings.create(first.offering_id, state_of(first), [])
    details = OfferingDetails.model_validate(
        {**first.details.model_dump(), "title": {"fr": "Atelier export", "en": "Export workshop"}}
    )
    renamed = replace(first, details=details)
    newer = await offerings.update(renamed.offering_id, version, state_of(renamed), [])
    await offerings._upsert_entries([(first, version)])  # a late retry of the first projection
    entry = await offerings.search.find_one({"_id": "o-1"})
    assert entry is not None
    assert entry["version"] == newer
    assert entry["title_sort"] == "export workshop"
