"""Credit packs sold, and the minutes each has left (collection `credit_packs`).

One document per sale (`_id` = its sale id, from the desk's Idempotency-Key): the pack as sold,
`charged` once its charge exists, and the minutes used with which booking took how many, the
same shape as an office's included hours (`adapters.allowances`), so a booking takes from a pack
by the same compare-and-set on the minutes used and gives back the same way.
"""

from __future__ import annotations

from pymongo import ASCENDING
from pymongo.errors import PyMongoError

from billing.adapters.allowances import Allowances
from billing.adapters.documents import pack_sale_of, pack_sale_state
from billing.domain.packs import PackSale
from parkgrid.store import Collection, Document, create_index, is_duplicate_key

BATCH = 500
"""Uncharged packs finished per periodic run (the rest on the next)."""


class CreditPacks:
    def __init__(self, collection: Collection) -> None:
        self.collection = collection
        self.minutes = Allowances(collection)

    async def ensure_indexes(self) -> None:
        await create_index(self.collection, [("member_id", ASCENDING), ("site_id", ASCENDING)], name="by_member")
        await create_index(self.collection, [("takes.booking_id", ASCENDING)], name="by_booking")
        await create_index(self.collection, [("charged", ASCENDING)], name="by_charged")

    async def open(self, sale: PackSale) -> PackSale:
        """Keep the sale (uncharged, nothing used); a retried sale finds the one kept first."""
        doc = {"_id": sale.sale_id, **pack_sale_state(sale), "charged": False, "used": 0, "takes": []}
        try:
            await self.collection.insert_one(doc)
        except PyMongoError as exc:
            if not is_duplicate_key(exc):
                raise
            found = await self.collection.find_one({"_id": sale.sale_id})
            assert found is not None  # a duplicate key means it is there: sales are never deleted
            return pack_sale_of(found)
        return sale

    async def get(self, sale_id: str) -> tuple[PackSale, int] | None:
        """The sale and the minutes it has used."""
        doc = await self.collection.find_one({"_id": sale_id})
        return None if doc is None else (pack_sale_of(doc), int(doc["used"]))

    async def mark_charged(self, sale_id: str) -> None:
        await self.collection.update_one({"_id": sale_id}, {"$set": {"charged": True}})

    async def uncharged(self) -> list[PackSale]:
        """Sales whose charge a crash may have kept from being recorded (`CreditPacking.finish`)."""
        return [pack_sale_of(doc) for doc in await self.collection.find({"charged": False}).to_list(BATCH)]

    async def of_member(self, member_id: str, site_id: str | None = None) -> list[tuple[PackSale, int]]:
        """The member's packs (at a site) and the minutes each has used, newest sale first."""
        query: Document = {"member_id": member_id}
        if site_id is not None:
            query["site_id"] = site_id
        docs = await self.collection.find(query).sort([("sold_on", -1), ("_id", ASCENDING)]).to_list()
        return [(pack_sale_of(doc), int(doc["used"])) for doc in docs]

    async def taken_by(self, booking_id: str) -> list[str]:
        """The sales `booking_id` took minutes from."""
        docs = await self.collection.find({"takes.booking_id": booking_id}, {"_id": 1}).to_list()
        return [str(doc["_id"]) for doc in docs]
