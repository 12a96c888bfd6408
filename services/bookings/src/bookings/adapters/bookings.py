"""Bookings in the store: the aggregate with its outbox, and the queries of the views.

A booking's write carries two kinds of events in its outbox: its facts for
`bookings.booking`, and the saga's commands for `spaces.commands` (keyed by site, as the
contract says), in the same atomic update — so a reservation is requested exactly when
the pending booking is stored, and released exactly when its cancellation is.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

import bson
from bson.codec_options import CodecOptions
from pymongo import ASCENDING

from bookings.domain.booking import Actor, Booking
from bookings.domain.slots import session_key
from parkgrid import paging
from parkgrid.aggregates import AggregateStore
from parkgrid.contracts.bookings import BookingStatus
from parkgrid.events import IntegrationEvent, registry
from parkgrid.outbox import Answer, MongoAggregateStore
from parkgrid.store import Collection, Document, before, create_index, find_any


def state_of(booking: Booking) -> Document:
    state = asdict(booking)
    state["status"] = booking.status.value
    state["session_key"] = session_key(booking.offering_id, booking.starts_at)
    return state


def booking_of(doc: Document) -> Booking:
    fields: dict[str, Any] = {k: doc.get(k) for k in Booking.__dataclass_fields__ if k in doc}
    fields["booked_by"] = Actor(**doc["booked_by"])
    fields["status"] = BookingStatus(doc["status"])
    return Booking(**fields)


def due_filter(status: str, ended_before: datetime) -> Document:
    """The bookings of one status whose session ended before `ended_before` (`BookingAggregates.due`)."""
    return {"status": status, "ends_at": before(ended_before)}


LIST_KEY = "starts_at"


STORED: CodecOptions[dict[str, Any]] = CodecOptions(tz_aware=True)
"""How the store's client reads documents back (`parkgrid.store.client`)."""
AWAITING_SPACE = 1024
"""How many bookings pending a space this process remembers as stored (the oldest forgotten first)."""


class BookingAggregates:
    """Bookings read and written as `Booking`s over any `AggregateStore` (MongoDB's, or the kit's in-memory one)."""

    def __init__(self, store: AggregateStore) -> None:
        self.store = store
        self._awaiting_space: OrderedDict[str, Document] = OrderedDict()
        """Bookings this process stored pending a space, as stored: spaces' answer is applied to
        the document as written (`recall`), with no read of it first, unless it moved since."""

    async def get(self, booking_id: str) -> tuple[Booking, int] | None:
        doc = await self.store.get(booking_id)
        return None if doc is None else (booking_of(doc), doc["version"])

    async def add(self, booking: Booking, events: Sequence[IntegrationEvent], *, answer: Answer | None = None) -> int:
        state = state_of(booking)
        version = await self.store.create(booking.booking_id, state, events, answer=answer)
        if booking.reservation_request_id is not None:
            self._remember({**state, "_id": booking.booking_id, "version": version})
        return version

    def _remember(self, doc: Document) -> None:
        # As the store gives it back (milliseconds, UTC): what a read would have given.
        self._awaiting_space[doc["_id"]] = bson.decode(bson.encode(doc), STORED)
        while len(self._awaiting_space) > AWAITING_SPACE:
            self._awaiting_space.popitem(last=False)

    def recall(self, booking_id: str) -> Document | None:
        """The booking as this process stored it pending a space (once; `parkgrid.aggregates.change`'s
        `known`: it may have moved since, which the version guard finds)."""
        return self._awaiting_space.pop(booking_id, None)

    async def kept_answer(self, booking_id: str) -> Document | None:
        """The answer the command that made this booking gave, kept with it (`Answering`)."""
        return await self.store.kept_answer(booking_id)

    async def save(self, booking: Booking, expected_version: int, events: Sequence[IntegrationEvent]) -> int:
        return await self.store.update(booking.booking_id, expected_version, state_of(booking), events)


class Bookings(BookingAggregates):
    """The repository of bookings."""

    def __init__(self, collection: Collection) -> None:
        self.collection = collection
        self.mongo = MongoAggregateStore(collection, registry=registry, source="bookings", topic="bookings.booking")
        super().__init__(self.mongo)

    async def ensure_indexes(self) -> None:
        await self.mongo.ensure_indexes()
        for fields in (
            [("member_id", ASCENDING), ("starts_at", ASCENDING)],
            [("site_id", ASCENDING), ("starts_at", ASCENDING)],
            [("status", ASCENDING), ("ends_at", ASCENDING)],
            [("status", ASCENDING), ("requested_at", ASCENDING)],
            [("session_key", ASCENDING)],
        ):
            await create_index(self.collection, fields)

    async def find(
        self,
        *,
        member_id: str | None = None,
        site_ids: Sequence[str] | None = None,
        statuses: Sequence[str] | None = None,
        first: datetime | None = None,
        last: datetime | None = None,
        limit: int = 50,
        cursor: str | None = None,
        newest_first: bool = False,
        within: Document | None = None,
    ) -> tuple[list[tuple[Booking, int]], str | None]:
        """A page of bookings matching the criteria, inside `within` (the caller's scope, a store filter)."""
        query: Document = {}
        if member_id is not None:
            query["member_id"] = member_id
        if site_ids is not None:
            query["site_id"] = {"$in": list(site_ids)}
        if statuses:
            query["status"] = {"$in": list(statuses)}
        span: Document = {}
        if first is not None:
            span["$gte"] = first
        if last is not None:
            span["$lt"] = last
        if span:
            query["starts_at"] = span
        if within:
            query = {"$and": [query, within]} if query else within
        page, next_cursor = await paging.page(
            self.collection, query, LIST_KEY, limit, cursor, newest_first=newest_first
        )
        return [(booking_of(d), d["version"]) for d in page], next_cursor

    async def stored(self, booking_ids: Sequence[str]) -> set[str]:
        """Which of these booking ids have a booking document."""
        docs = await self.collection.find({"_id": {"$in": list(booking_ids)}}, {"_id": 1}).to_list()
        return {str(d["_id"]) for d in docs}

    async def of_member(self, member_id: str, first: datetime, last: datetime) -> list[Booking]:
        """The member's bookings starting in [first, last) (index member_id + starts_at)."""
        docs = await self.collection.find(
            {"member_id": member_id, "starts_at": {"$gte": first, "$lt": last}}, {"outbox": 0}
        ).to_list()
        return [booking_of(d) for d in docs]

    async def due(self, statuses: Sequence[str], ended_before: datetime, limit: int = 200) -> list[tuple[Booking, int]]:
        """Bookings in one of `statuses` whose session ended before `ended_before`, at most `limit`.

        One equality on `status` each (`find_any`): the sweep runs every half minute at every
        replica, and on FerretDB a `$in` was a scan of the whole collection, the park's history
        included; the `{status, ends_at}` index answers an equality, so the sweep reads only the
        bookings still in those statuses (the ones to come and the ones just ended)."""
        filters = [due_filter(status, ended_before) for status in statuses]
        docs = await find_any(self.collection, filters, projection={"outbox": 0}, limit=limit)
        return [(booking_of(d), d["version"]) for d in docs]

    async def not_checked_in(
        self, site_id: str, started_before: datetime, ending_after: datetime, limit: int = 200
    ) -> list[tuple[Booking, int]]:
        """The site's confirmed bookings, then its no-shows, whose session started before
        `started_before` and ends after `ending_after` (index site_id + starts_at): confirmed
        first, so released ones still in their session never crowd out those left to release."""
        docs = (
            await self.collection.find(
                {
                    "site_id": site_id,
                    "starts_at": {"$lt": started_before},
                    "ends_at": {"$gt": ending_after},
                    "status": {"$in": [BookingStatus.CONFIRMED.value, BookingStatus.NO_SHOW.value]},
                },
                {"outbox": 0},
            )
            .sort([("status", ASCENDING), ("starts_at", ASCENDING), ("_id", ASCENDING)])
            .limit(limit)
            .to_list()
        )
        return [(booking_of(d), d["version"]) for d in docs]

    async def pending_since(self, moment: datetime, limit: int = 200) -> list[tuple[Booking, int]]:
        """Bookings pending since before `moment`, oldest first (index status + requested_at)."""
        docs = (
            await self.collection.find(
                {"status": BookingStatus.PENDING.value, "requested_at": {"$lt": moment}}, {"outbox": 0}
            )
            .sort([("requested_at", ASCENDING), ("_id", ASCENDING)])
            .limit(limit)
            .to_list()
        )
        return [(booking_of(d), d["version"]) for d in docs]


def view(booking: Booking, version: int, **extra: Any) -> dict[str, Any]:
    """A booking as the API shows it."""
    data: dict[str, Any] = booking.snapshot("json")
    data.update(
        {
            "id": booking.booking_id,
            "version": version,
            "starts_at": booking.starts_at.isoformat(),
            "ends_at": booking.ends_at.isoformat(),
            "late": booking.late,
            "confirmed_at": booking.confirmed_at.isoformat() if booking.confirmed_at else None,
            "cancelled_at": booking.cancelled_at.isoformat() if booking.cancelled_at else None,
            "checked_in_at": booking.checked_in_at.isoformat() if booking.checked_in_at else None,
            "released_at": booking.released_at.isoformat() if booking.released_at else None,
            "reason": booking.reason,
            "rejection_detail": booking.rejection_detail,
            "replaces": booking.replaces,
            "decide_by": booking.decide_by.isoformat() if booking.decide_by else None,
            "decline_note": booking.decline_note,
            **extra,
        }
    )
    return data


__all__ = ["BookingAggregates", "Bookings", "booking_of", "state_of", "view"]
