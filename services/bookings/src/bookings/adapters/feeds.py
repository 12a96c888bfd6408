"""The calendar feeds' secret links, and what the feeds show of community (its events and registrations).

`FeedLinks` (collection `calendar_feeds`): one secret token per feed, an organisation's
(`_id` = member id, as the links made before) or a person's (`_id` = `<member>@<person>`);
whoever has the token reads the feed. A link is made once (a duplicate key answers the token
already made), rotated by one update that replaces the token (the old one opens nothing from
then on), revoked by deleting it.

`CommunityEvents` (`community_events`, from `community.event`) and `EventRegistrations`
(`registrations`, from `community.registration`): the few facts the feed shows (time, zone,
title, site, status), under the kit's version guard, rebuildable.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from parkgrid.contracts.community import CommunityEventSnapshot, RegistrationSnapshot
from parkgrid.envelope import Envelope
from parkgrid.projection import Projection
from parkgrid.store import Collection, Database, Document, create_index

RESCHEDULED_LEEWAY = timedelta(days=366)


def feed_key(member_id: str, person_id: str | None) -> str:
    """A feed's id: the organisation's is its member id (as before); a person's adds the person (`@` is in no id)."""
    return member_id if person_id is None else f"{member_id}@{person_id}"


class FeedLinks:
    """The secret token of each feed."""

    def __init__(self, collection: Collection) -> None:
        self.collection = collection

    async def token_of(self, member_id: str, person_id: str | None, now: datetime) -> str:
        """The feed's token, made on first ask."""
        key = feed_key(member_id, person_id)
        token = secrets.token_urlsafe(24)
        try:
            await self.collection.insert_one(
                {"_id": key, "token": token, "member_id": member_id, "person_id": person_id, "created_at": now}
            )
            return token
        except DuplicateKeyError:
            doc = await self.collection.find_one({"_id": key})
            if doc is None:  # revoked meanwhile: make it again
                return await self.token_of(member_id, person_id, now)
            return str(doc["token"])

    async def rotate(self, member_id: str, person_id: str | None, now: datetime) -> str:
        """A new token in one write: the old one opens nothing from then on."""
        token = secrets.token_urlsafe(24)
        await self.collection.update_one(
            {"_id": feed_key(member_id, person_id)},
            {
                "$set": {"token": token, "member_id": member_id, "person_id": person_id, "rotated_at": now},
                "$setOnInsert": {"created_at": now},
            },
            upsert=True,
        )
        return token

    async def revoke(self, member_id: str, person_id: str | None) -> bool:
        """Delete the link; True if there was one."""
        return bool((await self.collection.delete_one({"_id": feed_key(member_id, person_id)})).deleted_count)

    async def owner_of(self, token: str) -> tuple[str, str | None] | None:
        """The organisation and person (None: the organisation's feed) whose feed the token opens."""
        doc = await self.collection.find_one({"token": token})
        if doc is None:
            return None
        person = doc.get("person_id")
        return str(doc.get("member_id") or doc["_id"]), None if person is None else str(person)

    async def ensure_indexes(self) -> None:
        await create_index(self.collection, [("token", ASCENDING)])


class CommunityEvents:
    """Community events as the feed shows them (`community_events`)."""

    def __init__(self, db: Database) -> None:
        self.projection = Projection(db["community_events"])

    async def apply(self, envelope: Envelope, event: CommunityEventSnapshot) -> bool:
        return await self.projection.apply_event(
            envelope,
            {
                "title": event.title.model_dump(mode="json"),
                "site_id": event.site_id,
                "starts_at": event.time.starts_at.astimezone(UTC),
                "ends_at": event.time.ends_at.astimezone(UTC),
                "time_zone": event.time_zone,
                "status": event.status.value,
            },
        )

    async def of(self, event_ids: set[str]) -> dict[str, Document]:
        if not event_ids:
            return {}
        found = self.projection.collection.find({"_id": {"$in": sorted(event_ids)}})
        return {str(d["_id"]): d for d in await found.to_list()}


class EventRegistrations:
    """Registrations to community events (`registrations`), by organisation and person."""

    def __init__(self, db: Database) -> None:
        self.projection = Projection(db["registrations"])

    async def apply(self, envelope: Envelope, registration: RegistrationSnapshot) -> bool:
        return await self.projection.apply_event(
            envelope,
            {
                "event_id": registration.event_id,
                "member_id": registration.member_id,
                "person_id": registration.person_id,
                "status": registration.status.value,
                "starts_at": registration.event_time.starts_at.astimezone(UTC),
                "ends_at": registration.event_time.ends_at.astimezone(UTC),
                "title": registration.event_title.model_dump(mode="json"),
            },
        )

    async def of(self, member_id: str, person_id: str | None, since: datetime, limit: int) -> list[Document]:
        """The organisation's (or the person's) registrations to events starting from `since`
        (as registered: `RESCHEDULED_LEEWAY` earlier too, the event may have moved), soonest first."""
        query: Document = {
            "member_id": member_id,
            "starts_at": {"$gte": since - RESCHEDULED_LEEWAY},
            "_removed": {"$ne": True},
        }
        if person_id is not None:
            query["person_id"] = person_id
        found = self.projection.collection.find(query).sort([("starts_at", 1), ("_id", 1)]).limit(limit)
        return await found.to_list()

    async def ensure_indexes(self) -> None:
        await self.projection.ensure_indexes("member_id")


class FeedFacts:
    """What the calendar feed reads besides bookings: community's events and registrations."""

    def __init__(self, db: Database) -> None:
        self.events = CommunityEvents(db)
        self.registrations = EventRegistrations(db)

    async def ensure_indexes(self) -> None:
        await self.registrations.ensure_indexes()
