"""People's keys, as community shares them on `community.subject_key`: what opens their sealed
name and email in member events (`parkgrid.shredding`).

A projection like any other (rebuilt from offset 0 of a compacted topic: each person's newest
record), but one that must forget: a shredded key is deleted here the moment it is read, so a
person's sealed values in insights' facts, and in every replay of the log, stay unreadable.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from parkgrid import shredding
from parkgrid.consumer import Delivery
from parkgrid.contracts.community import SubjectKeyIssued, SubjectKeyShredded
from parkgrid.store import Collection

SUBJECT_KEYS = "subject_keys"
"""The collection, and the projection's name (`parkgrid rebuild insights subject_keys`)."""


class SubjectKeys:
    def __init__(self, collection: Collection) -> None:
        self.collection = collection

    async def on_event(self, delivery: Delivery) -> None:
        event = delivery.event
        if isinstance(event, SubjectKeyIssued):
            await self.collection.update_one(
                {"_id": event.person_id}, {"$set": {"key": event.key, "member_id": event.member_id}}, upsert=True
            )
        elif isinstance(event, SubjectKeyShredded):
            await self.collection.delete_one({"_id": event.person_id})

    async def of(self, person_ids: Iterable[str]) -> dict[str, str]:
        wanted = sorted(set(person_ids))
        if not wanted:
            return {}
        return {d["_id"]: d["key"] async for d in self.collection.find({"_id": {"$in": wanted}})}

    async def opened_people(self, member: Mapping[str, Any]) -> tuple[list[dict[str, Any]], set[str]]:
        """The member's people in clear, and the ids of those this reader cannot open yet (their key
        has not arrived, or was shredded while the member's state still lists them)."""
        people = list(member.get("people") or [])
        keys = await self.of(str(p["person_id"]) for p in people if any(map(shredding.is_sealed, p.values())))
        clear, closed = [], set()
        for person in people:
            opened = shredding.opened_person(person, keys)
            if opened is None:
                closed.add(str(person["person_id"]))
            else:
                clear.append(opened)
        return clear, closed
