"""The aggregates of the community service in the store, and its projections.

Members, community events and registrations are aggregates with an embedded outbox
(`parkgrid.outbox.MongoAggregateStore`). A community event's outbox also carries its commands
to spaces (reservation requested / release requested): they go to `spaces.commands`, keyed
by site, in the same atomic write as the event's state, so the saga never asks for a
venue it did not record, nor records one it did not ask for.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Generic, TypeVar

from pymongo import ASCENDING

from community.adapters.seats import SeatBook
from community.domain.events import CommunityEvent
from community.domain.members import Member
from community.domain.registrations import Registration
from parkgrid.contracts.community import CommunityEventStatus
from parkgrid.contracts.spaces import ReservationSnapshot
from parkgrid.envelope import Envelope
from parkgrid.events import EventRegistry, registry
from parkgrid.known import KnownSites, Lately
from parkgrid.outbox import MongoAggregateStore
from parkgrid.projection import Projection
from parkgrid.store import Collection, Database, Document, DuplicateKeyError, Reads, before, create_index

SOURCE = "community"
T = TypeVar("T")


def member_state(member: Member) -> Document:
    """The member's document: its state plus flat fields the front desk searches on."""
    state: Document = member.model_dump(mode="json")
    state.update(
        name_search=member.name.casefold(),
        name_sort=member.name.casefold(),
        stage=member.programme.stage.value,
        cohort=member.programme.cohort,
        person_ids=[p.person_id for p in member.people],
        former_person_ids=[f.person.person_id for f in member.former_people],
        emails=[p.email.casefold() for p in member.people],
    )
    return state


def event_state(event: CommunityEvent) -> Document:
    state: Document = event.model_dump(mode="json")
    state["starts_at"] = event.time.starts_at  # BSON dates, for range queries and sorting
    state["ends_at"] = event.time.ends_at
    return state


def ended_filter(moment: datetime) -> Document:
    """Published events that ended before `moment`: what the reconciler completes."""
    return {"status": CommunityEventStatus.PUBLISHED.value, "ends_at": before(moment)}


def registration_state(registration: Registration) -> Document:
    state: Document = registration.model_dump(mode="json")
    state["registered_at_sort"] = registration.registered_at
    return state


def _clean(doc: Document) -> Document:
    return {k: v for k, v in doc.items() if not k.startswith("outbox") and k not in ("_id", "version")}


def member_of(doc: Document) -> Member:
    return Member.model_validate(_clean(doc))


def event_of(doc: Document) -> CommunityEvent:
    return CommunityEvent.model_validate(_clean(doc))


def registration_of(doc: Document) -> Registration:
    return Registration.model_validate(_clean(doc))


class RememberedAggregates(MongoAggregateStore, Generic[T]):
    """An aggregate store whose `lately` answers what was read at most `RECENT_SECONDS` ago; every
    write through it (create, update: every command's) forgets the aggregate, whether it succeeded or not."""

    def __init__(
        self,
        collection: Collection,
        load: Callable[[Document], T],
        *,
        registry: EventRegistry,
        source: str,
        topic: str,
    ) -> None:
        self.remembered: Lately[tuple[T, int]] = Lately()
        super().__init__(
            collection,
            registry=registry,
            source=source,
            topic=topic,
            written=lambda aggregate_id, _: self.remembered.forget(aggregate_id),
        )
        self.load = load

    async def lately(self, aggregate_id: str) -> tuple[T, int] | None:
        """The aggregate and its version as read at most `RECENT_SECONDS` ago (None: not found, not remembered)."""

        async def load() -> tuple[T, int] | None:
            doc = await self.get(aggregate_id)
            return None if doc is None else (self.load(doc), int(doc["version"]))

        return await self.remembered.read(aggregate_id, load)


class VenueReservations:
    """The outcomes of community's reservation requests (`spaces.reservation`), one per request."""

    def __init__(self, collection: Collection) -> None:
        self.projection = Projection(collection)

    async def apply(self, envelope: Envelope, reservation: ReservationSnapshot, detail: str | None) -> bool:
        return await self.projection.apply_event(
            envelope,
            {
                "event_id": reservation.reference_id,
                "site_id": reservation.site_id,
                "status": reservation.status.value,
                "space_id": reservation.space_id,
                "space_name": reservation.space_name,
                "starts_at": reservation.time.starts_at,
                "ends_at": reservation.time.ends_at,
                "detail": detail,
            },
        )

    async def of_event(self, event_id: str) -> list[Document]:
        return await self.projection.collection.find({"event_id": event_id}).sort("_id", ASCENDING).to_list()


class Directory:
    """Who is whose, by `_id` (the only lookups the local store answers without a scan).

    `person:<id>` and `email:<address>` → the member organisation. An entry is written
    before the member's own write and is only ever a pointer: the member document decides.
    So a crash in between leaves a pointer nobody trusts, and an email's pointer is taken
    over when the organisation it names does not list that email (a person belongs to one
    organisation: the unique `_id` decides between two organisations claiming one email).
    """

    def __init__(self, collection: Collection, moved: Callable[[str], None] = lambda _: None) -> None:
        self.collection = collection
        self.pointers = Reads(collection)
        """A person's pointer, read together with those asked for meanwhile (a rush of registrations)."""
        self.moved = moved
        """Told of each person pointed here (what was read of their pointer lately is forgotten)."""

    async def point(self, person_id: str, member_id: str) -> None:
        try:
            await self.collection.update_one(
                {"_id": f"person:{person_id}"}, {"$set": {"member_id": member_id}}, upsert=True
            )
        finally:
            self.moved(person_id)

    async def member_id_of(self, person_id: str) -> str | None:
        doc = await self.pointers.get(f"person:{person_id}")
        return doc["member_id"] if doc else None

    async def claim_email(self, email: str, member_id: str, owner_lists: Callable[[str, str], Awaitable[bool]]) -> bool:
        """True if `email` is now `member_id`'s; False if another organisation holds it."""
        key = f"email:{email.casefold()}"
        while True:
            try:
                await self.collection.insert_one({"_id": key, "member_id": member_id})
                return True
            except DuplicateKeyError:
                pass
            doc = await self.collection.find_one({"_id": key})
            if doc is None:
                continue
            owner = doc["member_id"]
            if owner == member_id:
                return True
            if await owner_lists(owner, email.casefold()):
                return False
            taken = await self.collection.update_one(
                {"_id": key, "member_id": owner}, {"$set": {"member_id": member_id}}
            )
            if taken.modified_count:
                return True

    async def release_email(self, email: str, member_id: str) -> None:
        """`email` is no longer `member_id`'s (its person was erased): the pointer holds the address."""
        await self.collection.delete_one({"_id": f"email:{email.casefold()}", "member_id": member_id})


class CommunityStore:
    """Every collection of the community service."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.members: RememberedAggregates[Member] = RememberedAggregates(
            db["members"], member_of, registry=registry, source=SOURCE, topic="community.member"
        )
        self.events: RememberedAggregates[CommunityEvent] = RememberedAggregates(
            db["events"], event_of, registry=registry, source=SOURCE, topic="community.event"
        )
        self.registrations = MongoAggregateStore(
            db["registrations"], registry=registry, source=SOURCE, topic="community.registration"
        )
        self.seats = SeatBook(db["seats"])
        self.sites = KnownSites(db["sites"])
        self.venue_reservations = VenueReservations(db["venue_reservations"])
        self.people_lately: Lately[str] = Lately()
        """Person → organisation, the directory's pointer as read at most `RECENT_SECONDS` ago,
        forgotten when this process points the person (`Directory.point`)."""
        self.directory = Directory(db["people"], moved=self.people_lately.forget)

    @property
    def outbox_collections(self) -> list[Collection]:
        return [self.members.collection, self.events.collection, self.registrations.collection]

    async def ensure_indexes(self) -> None:
        for aggregates in (self.members, self.events, self.registrations):
            await aggregates.ensure_indexes()
        members = self.members.collection
        await create_index(members, [("person_ids", ASCENDING)], name="person")
        await create_index(members, [("name_sort", ASCENDING), ("_id", ASCENDING)], name="name")
        await create_index(members, [("home_site_id", ASCENDING)], name="site")
        await create_index(self.events.collection, [("starts_at", ASCENDING), ("_id", ASCENDING)], name="starts")
        # The reconciler's `events_ended_before`: FerretDB answers only an equality leading an index.
        await create_index(self.events.collection, [("status", ASCENDING), ("ends_at", ASCENDING)], name="status_ends")
        registrations = self.registrations.collection
        await create_index(registrations, [("event_id", ASCENDING)], name="event")
        await create_index(registrations, [("member_id", ASCENDING)], name="member")
        await create_index(registrations, [("placing", ASCENDING)], name="placing")
        await self.venue_reservations.projection.ensure_indexes("event_id")
        await self.seats.ensure_indexes()
        await self.bring_seats_up_to_date()

    async def bring_seats_up_to_date(self) -> int:
        """Seat documents written before they kept their event's start, or not closed when it ended.

        Once at start: each gets its event's `starts_at` (promotion stops there) and is closed if
        the event is cancelled or completed (the reconciler's scan reads open ones only)."""
        fixed = 0
        async for seats in self.seats.collection.find({"starts_at": {"$exists": False}}, {"_id": 1}):
            event = await self.events.collection.find_one({"_id": seats["_id"]}, {"starts_at": 1})
            if event is not None:
                await self.seats.retime(seats["_id"], event["starts_at"])
                fixed += 1
        open_ids = [doc["_id"] async for doc in self.seats.collection.find({"closed": False}, {"_id": 1})]
        over = {"_id": {"$in": open_ids}, "status": {"$in": ["cancelled", "completed"]}}
        async for event in self.events.collection.find(over, {"_id": 1}):
            await self.seats.close(event["_id"])
            fixed += 1
        return fixed

    async def align_seat_starts(self, batch: int = 200) -> int:
        """Give each open seat document its event's start where they differ; how many were fixed.

        A reschedule saves the event, then copies its new start to the seats (`Events._change`):
        a crash in between leaves the old start, so registration and promotion would stop at the
        wrong time. The reconciler runs this: open documents only, by the `{closed, _id}` index
        in batches, their events read by id; each fix is a compare-and-set on the start it read
        (`SeatBook.retime(was=)`), so it never overwrites a newer retime and a repeat is harmless."""
        fixed = 0
        after = ""
        while True:
            seats = (
                await self.seats.collection.find({"closed": False, "_id": {"$gt": after}}, {"starts_at": 1})
                .sort([("closed", ASCENDING), ("_id", ASCENDING)])
                .limit(batch)
                .to_list()
            )
            if not seats:
                return fixed
            ids = [doc["_id"] for doc in seats]
            starts = {
                doc["_id"]: doc["starts_at"]
                async for doc in self.events.collection.find({"_id": {"$in": ids}}, {"starts_at": 1})
            }
            for doc in seats:
                start = starts.get(doc["_id"])
                if start is not None and start != doc.get("starts_at"):
                    fixed += await self.seats.retime(doc["_id"], start, was=doc.get("starts_at"))
            if len(seats) < batch:
                return fixed
            after = ids[-1]

    # --- reads ---------------------------------------------------------------------------

    async def member(self, member_id: str) -> tuple[Member, int] | None:
        doc = await self.members.get(member_id)
        return (member_of(doc), doc["version"]) if doc else None

    async def member_of_person(self, person_id: str) -> tuple[Member, int] | None:
        """The organisation a person belongs to now (None if unknown or left)."""
        member_id = await self.directory.member_id_of(person_id)
        found = await self.member(member_id) if member_id else None
        if found is None or found[0].person(person_id) is None:
            return None
        return found

    async def member_lately(self, member_id: str) -> tuple[Member, int] | None:
        """The member as read at most `RECENT_SECONDS` ago (forgotten when this process writes it)."""
        return await self.members.lately(member_id)

    async def member_of_person_lately(self, person_id: str) -> tuple[Member, int] | None:
        """`member_of_person` from what was read at most `RECENT_SECONDS` ago: the directory's pointer,
        then that member (the member document decides, as in `member_of_person`).

        The pointer is not guessed from a member's people: a person id listed by two organisations
        (only emails are claimed) is the directory's to decide."""
        member_id = await self.people_lately.read(person_id, lambda: self.directory.member_id_of(person_id))
        found = await self.member_lately(member_id) if member_id else None
        if found is None or found[0].person(person_id) is None:
            return None
        return found

    async def event_lately(self, event_id: str) -> tuple[CommunityEvent, int] | None:
        """The event as saved (no seat counts: those of its last change), read at most `RECENT_SECONDS`
        ago and forgotten when this process writes it. For a registration: what decides on the
        event's status, site, audience and capacity; the seat book's guarded update decides the seat."""
        return await self.events.lately(event_id)

    async def lists_email(self, member_id: str, email: str) -> bool:
        """Whether the organisation counts someone with this email among its current people."""
        doc = await self.members.collection.find_one({"_id": member_id}, {"emails": 1})
        return doc is not None and email.casefold() in doc.get("emails", [])

    async def event(self, event_id: str) -> tuple[CommunityEvent, int] | None:
        doc = await self.events.get(event_id)
        return (event_of(doc), doc["version"]) if doc else None

    async def registration(self, registration_id: str) -> tuple[Registration, int] | None:
        doc = await self.registrations.get(registration_id)
        return (registration_of(doc), doc["version"]) if doc else None

    async def registrations_of_event(self, event_id: str) -> list[tuple[Registration, int]]:
        docs = await self.registrations.collection.find({"event_id": event_id}, {"outbox": 0}).to_list()
        return [(registration_of(d), d["version"]) for d in docs]

    async def placing_since(self, before: datetime, limit: int = 100) -> list[str]:
        docs = (
            await self.registrations.collection.find(
                {"placing": True, "registered_at_sort": {"$lt": before}}, {"_id": 1}
            )
            .limit(limit)
            .to_list()
        )
        return [d["_id"] for d in docs]

    async def events_ended_before(self, moment: datetime, limit: int = 100) -> list[str]:
        """Published events that ended before `moment` (the reconciler's, every few seconds at every
        replica). The `{status, ends_at}` index answers it: without it, FerretDB read every event
        ever held, completed and cancelled ones included."""
        docs = await self.events.collection.find(ended_filter(moment), {"_id": 1}).limit(limit).to_list()
        return [d["_id"] for d in docs]
