"""The entitlements ledger and calendar-feed tokens in the store; how a waitlist place is shown."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import Any

from pymongo import ASCENDING

from bookings.adapters.sessions import MemberAllowances
from bookings.domain.entitlements import Entitlement
from parkgrid.contracts.bookings import WaitlistEntrySnapshot
from parkgrid.events import registry
from parkgrid.outbox import MongoAggregateStore
from parkgrid.store import Collection, Document, DuplicateKeyError, create_index


def entry_snapshot(doc: Document) -> dict[str, Any]:
    return WaitlistEntrySnapshot.model_validate(
        {**doc, "session": {"starts_at": doc["starts_at"], "ends_at": doc["ends_at"]}}
    ).model_dump()


def entry_view(doc: Document) -> dict[str, Any]:
    data = WaitlistEntrySnapshot.model_validate(
        {**doc, "session": {"starts_at": doc["starts_at"], "ends_at": doc["ends_at"]}}
    ).model_dump(mode="json")
    return {
        **data,
        "id": doc["_id"],
        "booking_id": doc["booking_id"],
        "starts_at": data["session"]["starts_at"],
        "ends_at": data["session"]["ends_at"],
    }


class Ledger:
    """Entitlements (aggregate, topic `bookings.entitlement`), one per member, category and period;
    and the allowances a booking reserves when requested (`allowances`, same database), which
    the ledger's consumer gives back too."""

    def __init__(self, collection: Collection) -> None:
        self.collection = collection
        self.store = MongoAggregateStore(collection, registry=registry, source="bookings", topic="bookings.entitlement")
        self.allowances = MemberAllowances(collection.database["allowances"])

    async def ensure_indexes(self) -> None:
        await self.store.ensure_indexes()
        await self.allowances.ensure_indexes()
        await create_index(self.collection, [("member_id", ASCENDING), ("period_start", ASCENDING)])

    async def get(self, entitlement_id: str) -> tuple[Entitlement, int] | None:
        doc = await self.store.get(entitlement_id)
        return None if doc is None else (entitlement_of(doc), doc["version"])

    async def of_member(self, member_id: str) -> list[Entitlement]:
        docs = await self.collection.find({"member_id": member_id}, {"outbox": 0}).sort("period_start", 1).to_list()
        return [entitlement_of(d) for d in docs]


def entitlement_state(entitlement: Entitlement) -> Document:
    return {
        "entitlement_id": entitlement.entitlement_id,
        "member_id": entitlement.member_id,
        "category": entitlement.category,
        "period_start": entitlement.period_start.isoformat(),
        "period_end": entitlement.period_end.isoformat(),
        "allowance": entitlement.allowance,
        "consumed": [{"booking_id": b, "amount": a} for b, a in entitlement.consumed],
        "restored": list(entitlement.restored),
        "used": entitlement.used,
        "remaining": entitlement.remaining,
    }


def entitlement_of(doc: Document) -> Entitlement:
    return Entitlement(
        entitlement_id=doc["entitlement_id"],
        member_id=doc["member_id"],
        category=doc["category"],
        period_start=date.fromisoformat(doc["period_start"]),
        period_end=date.fromisoformat(doc["period_end"]),
        allowance=doc["allowance"],
        consumed=tuple((c["booking_id"], c["amount"]) for c in doc.get("consumed", [])),
        restored=tuple(doc.get("restored", [])),
    )


class CalendarFeeds:
    """One secret token per member organisation; the token alone opens its iCalendar feed."""

    def __init__(self, collection: Collection) -> None:
        self.collection = collection

    async def token_of(self, member_id: str, now: datetime) -> str:
        try:
            token = secrets.token_urlsafe(24)
            await self.collection.insert_one({"_id": member_id, "token": token, "created_at": now})
            return token
        except DuplicateKeyError:
            doc = await self.collection.find_one({"_id": member_id})
            assert doc is not None
            return str(doc["token"])

    async def member_of(self, token: str) -> str | None:
        doc = await self.collection.find_one({"token": token})
        return None if doc is None else str(doc["_id"])
