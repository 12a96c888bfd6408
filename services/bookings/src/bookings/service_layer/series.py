"""Recurring bookings: request a series, cancel it from an occurrence on, move it.

Each occurrence is booked through `Booker.book`, the one path of a single booking, so it
passes the same seat guard, allowances and rules; its booking id derives from the series
and its start. The series document is created first with every occurrence `due`, and each
outcome is recorded as soon as it is known: a request interrupted after 3 of 10
occurrences is finished by its retry (same Idempotency-Key, same series id), which finds
the 3 bookings already made (`book` answers a retried command with its booking) and books
the other 7. Only when none is due is `SeriesRequested` published, with every outcome.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bookings.adapters.series import SeriesBook
from bookings.domain import series as rules
from bookings.domain.booking import Actor, BookingRefused, InvalidBooking, Unavailable
from bookings.domain.series import BOOKED, CANCELLED, DUE, REFUSED, WAITLISTED, Repeat
from bookings.domain.slots import session_at
from bookings.service_layer.commands import BookCommand
from bookings.service_layer.service import BookingOffice
from parkgrid.aggregates import Decision, Rule, change
from parkgrid.contracts.bookings import SeriesCancelled, SeriesRequested, SeriesSnapshot
from parkgrid.outbox import AlreadyExists
from parkgrid.refusals import Refusal, Refused
from parkgrid.store import Document


class UnknownSeries(Refused):
    """No series by that id (404)."""

    def __init__(self, series_id: str) -> None:
        super().__init__(Refusal.NOT_FOUND, f"there is no series {series_id}")


@dataclass(frozen=True)
class SeriesCommand:
    series_id: str
    offering_id: str
    member_id: str
    person_id: str | None
    first: datetime
    repeat: Repeat
    join_waitlist: bool
    actor: Actor
    site_id: str | None = None
    moved_from: str | None = None


def snapshot(doc: Document) -> dict[str, Any]:
    """The series as its events tell it (the document less what only bookings keeps)."""
    fields = {k: doc.get(k) for k in SeriesSnapshot.model_fields}
    return SeriesSnapshot.model_validate({**fields, "series_id": doc["_id"]}).model_dump()


class SeriesDesk:
    """Series over the booking office's own command path, and the series' document."""

    def __init__(self, office: BookingOffice, book: SeriesBook) -> None:
        self.office = office
        self.book = book

    async def get(self, series_id: str) -> tuple[Document, int]:
        doc = await self.book.get(series_id)
        if doc is None:
            raise UnknownSeries(series_id)
        return doc, int(doc["version"])

    async def request(self, command: SeriesCommand) -> tuple[Document, int]:
        """Create the series (or find it: a retry), book every occurrence still due, then announce it."""
        parts = self.office.parts
        offering, zone = await parts.offering(command.offering_id)
        starts = rules.occurrences(command.first, zone, command.repeat)
        if session_at(offering, zone, command.first) is None:
            raise InvalidBooking(
                f"{command.first.isoformat()} is not the start of a session of this offering", field="starts_at"
            )
        state: Document = {
            "offering_id": command.offering_id,
            "site_id": offering.site_id or command.site_id,
            "member_id": command.member_id,
            "person_id": command.person_id,
            "every_weeks": command.repeat.every_weeks,
            "weekdays": sorted({*command.repeat.weekdays, starts[0].astimezone(ZoneInfo(zone)).isoweekday()}),
            "until": command.repeat.until.isoformat() if command.repeat.until else None,
            "count": command.repeat.count,
            "time_zone": zone,
            "join_waitlist": command.join_waitlist,
            "requested_by": command.actor.as_dict(),
            "requested_at": parts.now(),
            "announced": False,
            "moved_from": command.moved_from,
            "moved_to": None,
            "occurrences": [
                {
                    "starts_at": start.astimezone(UTC),
                    "outcome": DUE,
                    "booking_id": rules.occurrence_booking_id(command.series_id, start),
                    "reason": None,
                    "detail": None,
                }
                for start in starts
            ],
        }
        with contextlib.suppress(AlreadyExists):  # a retry of the same request: finish what the first run started
            await self.book.store.create(command.series_id, state, [])
        doc, _ = await self.get(command.series_id)
        for index, occurrence in enumerate(doc["occurrences"]):
            if occurrence["outcome"] == DUE:
                decided = await self._book_one(doc, occurrence, command.actor)
                await change(self.book.store, command.series_id, _record(index, decided), what="series")
        return await change(self.book.store, command.series_id, _announce, what="series")

    async def _book_one(self, doc: Document, occurrence: Document, actor: Actor) -> Document:
        """One occurrence through the single booking's path: its outcome, or why it was refused."""
        offering, zone = await self.office.parts.offering(doc["offering_id"])
        starts_at = occurrence["starts_at"]
        if session_at(offering, zone, starts_at) is None:
            return _refused(rules.NO_SUCH_SESSION, f"{starts_at.isoformat()} is no session of this offering")
        command = BookCommand(
            booking_id=occurrence["booking_id"],
            offering_id=doc["offering_id"],
            member_id=doc["member_id"],
            person_id=doc["person_id"],
            starts_at=starts_at,
            party_size=1,
            join_waitlist=bool(doc["join_waitlist"]),
            actor=actor,
            series_id=doc["_id"],
        )
        try:
            outcome = await self.office.book(command)
        except BookingRefused as refused:
            return _refused(rules.refusal_reason(refused), refused.detail)
        return {"outcome": WAITLISTED if outcome.entry is not None else BOOKED, "reason": None, "detail": None}

    async def cancel(
        self, series_id: str, start: datetime | None, actor: Actor, *, staff_override: bool = False
    ) -> tuple[Document, int]:
        """Cancel the occurrences from `start` on (the whole series' future if None): their
        bookings through the single booking's cancel, their waitlist places left. Idempotent."""
        parts = self.office.parts
        doc, _ = await self.get(series_id)
        now = parts.now()
        if start is not None and start not in {o["starts_at"] for o in doc["occurrences"]}:
            raise InvalidBooking(f"{start.isoformat()} is no occurrence of this series", field="from_occurrence")
        chosen = [
            o["booking_id"]
            for o in doc["occurrences"]
            if o["starts_at"] > now
            and (start is None or o["starts_at"] >= start)
            and o["outcome"] in (BOOKED, WAITLISTED)
        ]
        if not chosen:
            raise Unavailable("no occurrence of this series is left to cancel", field="from_occurrence")
        for booking_id in chosen:
            await self._let_go(booking_id, actor, staff_override)

        def cancelled(current: Document) -> Decision:
            occurrences = [
                {**o, "outcome": CANCELLED} if o["booking_id"] in chosen else o for o in current["occurrences"]
            ]
            state = {"occurrences": occurrences}
            event = SeriesCancelled(
                **snapshot({**current, **state}), cancelled_from=start, cancelled_by=actor.as_dict()
            )
            return state, [event]

        return await change(self.book.store, series_id, cancelled, what="series")

    async def move(
        self, series_id: str, start: datetime, first: datetime, actor: Actor, new_series_id: str
    ) -> tuple[Document, int]:
        """Reschedule the series from the occurrence at `start` on: a new series from `first` (its
        weekday, the same rhythm, as many occurrences or the same last day) is booked first, each
        occurrence with its own outcome; then the old occurrences from `start` on are cancelled.
        A retry finishes both (the new series resumes; the old ones already cancelled stay so)."""
        old, _ = await self.get(series_id)
        if old.get("moved_to") not in (None, new_series_id):
            raise Unavailable(f"this series was already moved to {old['moved_to']}", field="from_occurrence")
        following = [o for o in old["occurrences"] if o["starts_at"] >= start]
        if start not in {o["starts_at"] for o in following}:
            raise InvalidBooking(f"{start.isoformat()} is no occurrence of this series", field="from_occurrence")
        until = date.fromisoformat(old["until"]) if old["until"] else None
        weekday = first.astimezone(ZoneInfo(old["time_zone"])).isoweekday()
        moved = SeriesCommand(
            series_id=new_series_id,
            offering_id=old["offering_id"],
            member_id=old["member_id"],
            person_id=old["person_id"],
            first=first,
            repeat=Repeat(old["every_weeks"], (weekday,), until, None if until else len(following)),
            join_waitlist=bool(old["join_waitlist"]),
            actor=actor,
            site_id=old["site_id"],
            moved_from=series_id,
        )
        made = await self.request(moved)
        with contextlib.suppress(Unavailable):  # a retry: the old ones were cancelled by the first run
            await self.cancel(series_id, start, actor)

        def moved_to(doc: Document) -> Decision | None:
            return None if doc.get("moved_to") == new_series_id else ({"moved_to": new_series_id}, [])

        await change(self.book.store, series_id, moved_to, what="series")
        return made

    async def _let_go(self, booking_id: str, actor: Actor, staff_override: bool) -> None:
        """Cancel the occurrence's booking if it holds a seat, else leave its waitlist place if it waits."""
        office = self.office
        found = await office.parts.bookings.get(booking_id)
        if found is not None and found[0].holds_seat:
            await office.cancel(booking_id, actor, staff_override=staff_override)
            return
        place = await office.parts.waitlist.get(f"wl-{booking_id}")
        if place is not None and place["status"] == "waiting":
            await office.leave_waitlist(place["_id"])


def _refused(reason: str, detail: str) -> Document:
    return {"outcome": REFUSED, "reason": reason, "detail": detail[:500]}


def _record(index: int, decided: Document) -> Rule:
    def rule(doc: Document) -> Decision | None:
        occurrences = list(doc["occurrences"])
        if occurrences[index]["outcome"] != DUE:
            return None  # a concurrent retry recorded it first
        occurrences[index] = {**occurrences[index], **decided}
        return {"occurrences": occurrences}, []

    return rule


def _announce(doc: Document) -> Decision | None:
    """Publish the series once, when every occurrence has its outcome."""
    if doc["announced"] or any(o["outcome"] == DUE for o in doc["occurrences"]):
        return None
    return {"announced": True}, [SeriesRequested(**snapshot(doc))]
