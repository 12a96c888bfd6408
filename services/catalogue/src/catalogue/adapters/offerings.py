"""Offerings in the store: the aggregate (through the kit's AggregateStore) and its queries.

The aggregate document is also the read model: besides `details` it carries flat fields
for discovery (site, category, mode, status, eligible kinds and stages with "*" for
"anyone", weekdays with a window, a lowercase `search_text` in every language, the sort
keys). FerretDB 1.24 on SQLite evaluates these filters itself (`explain` shows a SCAN with
`filterPushdown: false` for anything but `_id`), so indexes are declared for MongoDB in
production and the local store answers by scanning, which stays fast at thousands.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING

from catalogue.domain.availability import open_between, weekdays_between
from catalogue.domain.offering import Offering, OfferingDetails
from parkgrid.contracts.catalogue import OfferingStatus
from parkgrid.contracts.topics import TOPICS
from parkgrid.events import IntegrationEvent, registry
from parkgrid.outbox import AggregateStore
from parkgrid.store import Collection, Document

TOPIC = next(t for t in TOPICS if t.name == "catalogue.offering")
ANYONE = "*"
NETWORK = "network"
SORTS: dict[str, tuple[str, int]] = {
    "title": ("title_sort", ASCENDING),
    "-title": ("title_sort", DESCENDING),
    "created": ("created_at", ASCENDING),
    "-created": ("created_at", DESCENDING),
}


def offering_store(collection: Collection) -> AggregateStore:
    return AggregateStore(collection, registry=registry, source="catalogue", topic=TOPIC.name)


def search_text(details: OfferingDetails) -> str:
    parts = [details.title.fr, details.title.en, details.title.ar, details.description.fr, details.description.en]
    parts += [details.description.ar, details.provider.name, details.provider.organisation]
    return "\n".join(p for p in parts if p).casefold()


def state_of(offering: Offering) -> Document:
    """The document fields of an offering (the kit adds `_id`, `version`, `outbox`)."""
    details = offering.details
    return {
        "details": details.model_dump(mode="json"),
        "status": offering.status.value,
        "time_zone": offering.time_zone,
        "created_at": offering.created_at,
        "updated_at": offering.updated_at,
        "site": details.site_id or NETWORK,
        "category": details.category.value,
        "mode": details.mode.value,
        "kinds": [k.value for k in details.eligibility.member_kinds] or [ANYONE],
        "stages": [s.value for s in details.eligibility.stages] or [ANYONE],
        "weekdays": sorted({w.weekday for w in details.availability}),
        "search_text": search_text(details),
        "title_sort": details.title.en.casefold(),
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
    """The repository of offerings."""

    def __init__(self, collection: Collection) -> None:
        self.collection = collection
        self.store = offering_store(collection)

    async def ensure_indexes(self) -> None:
        await self.store.ensure_indexes()
        for fields in (
            [("status", ASCENDING), ("title_sort", ASCENDING)],
            [("status", ASCENDING), ("created_at", ASCENDING)],
            [("site", ASCENDING), ("category", ASCENDING)],
            [("kinds", ASCENDING)],
            [("stages", ASCENDING)],
        ):
            await self.collection.create_index(fields)

    async def get(self, offering_id: str) -> tuple[Offering, int] | None:
        doc = await self.store.get(offering_id)
        return None if doc is None else (offering_of(doc), doc["version"])

    async def add(self, offering: Offering, events: list[IntegrationEvent]) -> int:
        return await self.store.create(offering.offering_id, state_of(offering), events)

    async def save(self, offering: Offering, expected_version: int, events: list[IntegrationEvent]) -> int:
        return await self.store.update(offering.offering_id, expected_version, state_of(offering), events)


@dataclass(frozen=True)
class Search:
    """A discovery query; every field narrows the result."""

    statuses: tuple[OfferingStatus, ...] = (OfferingStatus.PUBLISHED,)
    site: str | None = None
    category: str | None = None
    mode: str | None = None
    member_kind: str | None = None
    stage: str | None = None
    eligible_kind: str | None = None
    eligible_stage: str | None = None
    text: str | None = None
    available_from: date | None = None
    available_to: date | None = None
    sort: str = "title"
    limit: int = 20
    cursor: str | None = None


class BadCursor(ValueError):
    pass


def encode_cursor(sort: str, doc: Document) -> str:
    key, _ = SORTS[sort]
    value = doc[key]
    raw = [sort, value.isoformat() if isinstance(value, datetime) else value, doc["_id"]]
    return base64.urlsafe_b64encode(json.dumps(raw).encode()).decode().rstrip("=")


def decode_cursor(sort: str, cursor: str) -> tuple[Any, str]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        cursor_sort, value, last_id = raw
        if cursor_sort != sort or not isinstance(last_id, str):
            raise BadCursor("the cursor belongs to another sort order")
        if SORTS[sort][0] == "created_at":
            value = datetime.fromisoformat(value)
        return value, last_id
    except BadCursor:
        raise
    except Exception:
        raise BadCursor("the cursor is not one this service gave") from None


def store_filter(search: Search) -> Document:
    """The part of a search the store evaluates."""
    query: Document = {"status": {"$in": [s.value for s in search.statuses]}}
    for field, value in (("site", search.site), ("category", search.category), ("mode", search.mode)):
        if value is not None:
            query[field] = value
    # A kind (or stage) filter and a member's eligibility may both narrow the same field.
    eligibility: list[Document] = [
        {field: {"$in": [value, ANYONE]}}
        for field, value in (
            ("kinds", search.member_kind),
            ("stages", search.stage),
            ("kinds", search.eligible_kind),
            ("stages", search.eligible_stage),
        )
        if value is not None
    ]
    if search.text:
        query["search_text"] = {"$regex": _escape(search.text.casefold())}
    if search.available_from is not None and search.available_to is not None:
        query["weekdays"] = {"$in": weekdays_between(search.available_from, search.available_to)}
    if eligibility:
        return {"$and": [query, *eligibility]}
    return query


_SPECIAL = set("\\.^$|?*+()[]{}-/")


def _escape(text: str) -> str:
    """Free text matches literally (the store's regex dialect is RE2-like)."""
    return "".join("\\" + c if c in _SPECIAL else c for c in text)


def kept(search: Search) -> Callable[[Document], bool]:
    """The part of a search checked in Python: closures covering every open day of the range."""
    first, last = search.available_from, search.available_to
    if first is None or last is None:
        return lambda doc: True

    def check(doc: Document) -> bool:
        details = OfferingDetails.model_validate(doc["details"])
        return open_between(details.availability, details.closures, first, last)

    return check


def _after(key: str, op: str, value: Any, last_id: str) -> Document:
    return {"$or": [{key: {op: value}}, {key: value, "_id": {op: last_id}}]}


async def find(collection: Collection, search: Search) -> tuple[list[Document], str | None]:
    """One page of the search in sort order, and the cursor of the next page (None at the end)."""
    key, direction = SORTS[search.sort]
    query = store_filter(search)
    if search.cursor:
        value, last_id = decode_cursor(search.sort, search.cursor)
        after = "$gt" if direction == ASCENDING else "$lt"
        query = {"$and": [query, _after(key, after, value, last_id)]}
    keep = kept(search)
    filtered_here = search.available_from is not None
    batch = max(50, search.limit * 2) if filtered_here else search.limit + 1
    page: list[Document] = []
    position: Document | None = None
    while True:
        paged = query
        if position is not None:
            after = "$gt" if direction == ASCENDING else "$lt"
            paged = {"$and": [query, _after(key, after, position[key], position["_id"])]}
        docs = (
            await collection.find(paged, {"outbox": 0})
            .sort([(key, direction), ("_id", direction)])
            .limit(batch)
            .to_list()
        )
        for doc in docs:
            if keep(doc):
                page.append(doc)
                if len(page) > search.limit:
                    return page[: search.limit], encode_cursor(search.sort, page[search.limit - 1])
        if len(docs) < batch:
            return page, None
        position = docs[-1]
