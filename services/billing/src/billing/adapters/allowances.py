"""The meeting-room hours a member's offices include, used month by month at each site.

One document per member, site and month: the minutes used and which booking took how many.
A booking takes its minutes in one conditional write on the minutes used as read (compare and
set), so bookings charged at once never use more than is included; the booking's own entry
makes a redelivered booking take nothing twice, and a booking cancelled in time gives back what
it took, once.
"""

from __future__ import annotations

from pymongo.errors import PyMongoError

from parkgrid.store import Collection, is_duplicate_key


class Allowances:
    def __init__(self, collection: Collection) -> None:
        self.collection = collection

    async def take(self, key: str, booking_id: str, minutes: int, included: int) -> int:
        """The minutes of `booking_id` the allowance `key` covers (what it took before, if it did)."""
        while True:
            doc = await self.collection.find_one({"_id": key})
            used = 0 if doc is None else int(doc["used"])
            for taken in [] if doc is None else doc["takes"]:
                if taken["booking_id"] == booking_id:
                    return int(taken["minutes"])
            take = max(0, min(minutes, included - used))
            entry = {"booking_id": booking_id, "minutes": take}
            try:
                if doc is None:
                    await self.collection.insert_one({"_id": key, "used": take, "takes": [entry]})
                    return take
                result = await self.collection.update_one(
                    {"_id": key, "used": used, "takes.booking_id": {"$ne": booking_id}},
                    {"$inc": {"used": take}, "$push": {"takes": entry}},
                )
            except PyMongoError as exc:
                if not is_duplicate_key(exc):
                    raise
                continue  # another booking opened the month first: read it again
            if result.matched_count == 1:
                return take
            # Another booking of the month took minutes meanwhile (or this one did): read again.

    async def give_back(self, key: str, booking_id: str) -> None:
        """What `booking_id` took goes back to the allowance (once: its entry goes with it)."""
        doc = await self.collection.find_one({"_id": key, "takes.booking_id": booking_id})
        if doc is None:
            return
        entry = next(t for t in doc["takes"] if t["booking_id"] == booking_id)
        exact = {
            "booking_id": entry["booking_id"],
            "minutes": entry["minutes"],
        }  # FerretDB 1.24 pulls by value, not by condition
        await self.collection.update_one(
            {"_id": key, "takes.booking_id": booking_id},
            {"$inc": {"used": -int(entry["minutes"])}, "$pull": {"takes": exact}},
        )

    async def used(self, key: str) -> int:
        doc = await self.collection.find_one({"_id": key})
        return 0 if doc is None else int(doc["used"])


def allowance_key(member_id: str, site_id: str, period: str) -> str:
    return f"{member_id}:{site_id}:{period}"
