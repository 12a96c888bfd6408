"""Offerings in the store: the aggregate (through the kit's MongoAggregateStore) and its search entries.

`Offerings` is an `AggregateStore` (parkgrid.aggregates): the service layer changes an
offering with the kit's `change`, and each write also refreshes the offering's search entry.

The aggregate document holds the offering as written (`details`, status, zone, times) and
its outbox. Discovery reads a separate, compact collection (`offerings_search`, see
`catalogue.adapters.search`): one small entry per offering with only what searches filter
and sort on. Small entries are what makes a search cheap on FerretDB, which decodes every
candidate document; the page's full offerings are then fetched by `_id`.

Keeping the entry in step without transactions: every aggregate write sets
`search_pending: true` in the same atomic update, then the entry is upserted (guarded by
the version, so an older write never overwrites a newer entry) and the flag is cleared
(guarded by the version too). A crash in between leaves the flag set; `catch_up` (run when
the store is ready and then periodically) projects every flagged offering again.
"""

from __future__ import annotations

from collections.abc import Sequence

from pymongo import ASCENDING
from pymongo.errors import PyMongoError

from catalogue.adapters.search import ANY_COHORT, search_entry
from catalogue.domain.offering import Offering, OfferingDetails
from parkgrid.contracts.catalogue import OfferingStatus
from parkgrid.contracts.topics import topic
from parkgrid.events import IntegrationEvent, registry
from parkgrid.logging import get_logger
from parkgrid.outbox import Answer, MongoAggregateStore
from parkgrid.store import Collection, Document, create_index, is_duplicate_key

log = get_logger(__name__)

TOPIC = topic("catalogue.offering")
PENDING = "search_pending"


def offering_store(collection: Collection) -> MongoAggregateStore:
    return MongoAggregateStore(collection, registry=registry, source="catalogue", topic=TOPIC.name)


def state_of(offering: Offering) -> Document:
    """The document fields of an offering (the kit adds `_id`, `version`, `outbox`)."""
    return {
        "details": offering.details.model_dump(mode="json"),
        "status": offering.status.value,
        "time_zone": offering.time_zone,
        "created_at": offering.created_at,
        "updated_at": offering.updated_at,
        PENDING: True,
    }


def offering_of(doc: Document) -> Offering:
    return Offering(
        offering_id=doc["_id"],
        details=OfferingDetails.model_validate(doc["details"]),
        status=OfferingStatus(doc["status"]),
        time_zone=doc["time_zone"],
        created_at=doc["created_at"],
        updated_at=doc["updated_at"],
    )


class Offerings:
    """The repository of offerings and of their search entries."""

    def __init__(self, collection: Collection, search: Collection | None = None) -> None:
        self.collection = collection
        self.search = search if search is not None else collection.database[f"{collection.name}_search"]
        self.store = offering_store(collection)

    async def ensure_indexes(self) -> None:
        """Indexes for MongoDB; FerretDB 1.24 (SQLite) uses only the `_id` one for queries
        (see the README: its other filters are evaluated while scanning)."""
        await self.store.ensure_indexes()
        await create_index(self.collection, [(PENDING, ASCENDING)], name=PENDING)
        for name, fields in (
            ("status_title", [("status", ASCENDING), ("title_sort", ASCENDING), ("_id", ASCENDING)]),
            ("status_created", [("status", ASCENDING), ("created_at", ASCENDING), ("_id", ASCENDING)]),
            ("site_status_title", [("site", ASCENDING), ("status", ASCENDING), ("title_sort", ASCENDING)]),
            ("category_status_title", [("category", ASCENDING), ("status", ASCENDING), ("title_sort", ASCENDING)]),
        ):
            await create_index(self.search, fields, name=name)

    async def get(self, aggregate_id: str) -> Document | None:
        return await self.store.get(aggregate_id)

    async def kept_answer(self, aggregate_id: str) -> Document | None:
        return await self.store.kept_answer(aggregate_id)

    async def create(
        self, aggregate_id: str, state: Document, events: Sequence[IntegrationEvent], *, answer: Answer | None = None
    ) -> int:
        version = await self.store.create(aggregate_id, state, events, answer=answer)
        await self._index(offering_of({**state, "_id": aggregate_id}), version)
        return version

    async def update(
        self, aggregate_id: str, expected_version: int, state: Document, events: Sequence[IntegrationEvent]
    ) -> int:
        version = await self.store.update(aggregate_id, expected_version, state, events)
        await self._index(offering_of({**state, "_id": aggregate_id}), version)
        return version

    async def outbox(self, aggregate_id: str) -> list[Document]:
        return await self.store.outbox(aggregate_id)

    async def _index(self, offering: Offering, version: int) -> None:
        """Project the stored write into its search entry; a failure is left to `catch_up`."""
        try:
            await self._upsert_entries([(offering, version)])
            await self.collection.update_one(
                {"_id": offering.offering_id, "version": version}, {"$set": {PENDING: False}}
            )
        except PyMongoError as exc:
            log.warning("catalogue.search_entry_deferred", offering_id=offering.offering_id, error=repr(exc))

    async def _upsert_entries(self, written: Sequence[tuple[Offering, int]]) -> None:
        """Upsert entries unless a newer version is there already (that upsert then hits `_id`'s
        unique index, which is the expected outcome, not an error)."""
        for offering, version in written:
            try:
                await self.search.update_one(
                    {"_id": offering.offering_id, "version": {"$lt": version}},
                    {"$set": search_entry(offering, version)},
                    upsert=True,
                )
            except PyMongoError as exc:
                if not is_duplicate_key(exc):
                    raise

    async def catch_up(self) -> int:
        """Project every offering whose search entry may be missing or stale; returns how many."""
        done = 0
        async for doc in self.collection.find({PENDING: True}, {"outbox": 0}):
            await self._index(offering_of(doc), doc["version"])
            done += 1
        if done:
            log.info("catalogue.search_entries_caught_up", count=done)
        return done

    async def add_cohorts(self) -> int:
        """Give entries projected before cohorts were searched their `cohorts` (run when the store is ready).

        `catch_up` cannot: an entry is upserted only from a newer version. Each entry lacking
        the field gets its offering's cohorts, set only while still lacking (a newer entry wins)."""
        done = 0
        async for entry in self.search.find({"cohorts": {"$exists": False}}, {"_id": 1}):
            doc = await self.collection.find_one({"_id": entry["_id"]}, {"details.eligibility": 1})
            cohorts = (doc or {}).get("details", {}).get("eligibility", {}).get("cohorts") or [ANY_COHORT]
            await self.search.update_one(
                {"_id": entry["_id"], "cohorts": {"$exists": False}}, {"$set": {"cohorts": sorted(cohorts)}}
            )
            done += 1
        return done

    async def load(self, offerings: Sequence[Offering], batch: int = 500) -> None:
        """Bulk-insert new offerings that publish nothing (imports, tests) with their entries.

        The documents `add` would write without events (version 1, empty outbox) and the same
        projection, in batches. Entries go first, so an interrupted load leaves no offering
        without its entry (an entry whose offering is missing is skipped by searches)."""
        for start in range(0, len(offerings), batch):
            chunk = offerings[start : start + batch]
            await self.search.insert_many([{"_id": o.offering_id, **search_entry(o, 1)} for o in chunk], ordered=False)
            await self.collection.insert_many(
                [
                    {
                        **state_of(o),
                        PENDING: False,
                        "_id": o.offering_id,
                        "version": 1,
                        "outbox": [],
                        "outbox_pending": False,
                    }
                    for o in chunk
                ],
                ordered=False,
            )
