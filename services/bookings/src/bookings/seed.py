"""`parkgrid seed` for bookings: a believable day at every site, relative to today, through the service layer.

Bookings learns offerings, members, sites and rooms only from their events: the seeder reads
`catalogue.offering`, `community.member` and `spaces.site` into its projections (its own
consumer groups, from the beginning) for up to `BOOKINGS_SEED_WAIT` seconds (20), and the
rooms and what holds them from the running service's projection. Then `plan` (pure: a function
of the moment and those facts, tested without infrastructure in tests/demo) says what a real
front desk would see, and `seed_bookings` only carries it out:

- each site's demo day is today in its own zone if the site is open and enough of today's
  sessions are still ahead (the seeder books as the front desk, which may book a walk-in at
  any time before a session begins; `WALK_IN_LEAD`), else its next open day, and then what is
  left of today (an afternoon's rooms) is booked too, and, if that is not much (an evening), what
  began earlier today is recorded as visits (checked in, as a desk records who came);
  the two open days after it get a few bookings too;
- arrivals across the site's offerings of that day, a room timeline kept within what the
  site's rooms can host at once (so the saga's room request is confirmed, never `no_space`),
  one booking the member then cancels, and a full one-seat session with two members waiting;
- a booking whose check-in has opened by the time the seeder runs (a re-run later in the
  day) is checked in, as the front desk would;
- for each offering that requires staff approval, one request for its first session a day or
  more ahead (`APPROVAL_AHEAD`), left awaiting approval so the site's queue is not empty.

Nothing else is seeded in the past: only a visit, which the front desk records after the session
began (`domain.booking.check_rules`), and a room held then is kept clear of the holds of that day.
Ids are deterministic (`seed-<offering>-<session>-<member>`), so seeding again changes nothing.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from bookings.adapters.rooms import Rooms, room_of
from bookings.bootstrap import BookingsSettings, build
from bookings.domain.booking import VISIT_WITHIN, Actor, BookingRefused, MemberFacts, check_eligible
from bookings.domain.rooms import Held, Room, is_free
from bookings.domain.slots import Session, SiteCalendar, session_key_time, sessions_begun, sessions_between
from bookings.entrypoints.consumers import projections
from bookings.service_layer.commands import BookCommand
from bookings.service_layer.service import BookingService
from parkgrid.contracts.bookings import BookingStatus
from parkgrid.contracts.catalogue import OfferingSnapshot
from parkgrid.outbox import pending_count
from parkgrid.settings import KitSettings

SEEDER = Actor("system", "bookings-seed")
FRONT_DESK = Actor("front_desk", "bookings-seed")
DEMO_MEMBER = "member-atlas-robotics"
"""The member the demo's member sign-in opens: booked first wherever eligible."""
BUSY_DAY = 4
"""A day with fewer bookable sessions than this at a site is not its demo day (the next open day is)."""
PER_SITE = 14
"""Bookings of the demo day at one site, at most."""
LATER_DAYS, PER_LATER_DAY = 2, 4
"""The open days after the demo day that get a few bookings too, and how many each."""
PER_MEMBER = 4
"""Plan bookings of one member at most (the site offerings allow 4 a month)."""
SEATS_IN_GROUP = 3
"""Members booked into one session of a multi-seat offering (a workshop, a training)."""
WALK_IN_LEAD = timedelta(minutes=20)
"""Today's sessions the demo books start at least this far ahead: the front desk books them as
walk-ins (no notice), and the saga has its room confirmed well before the session begins."""
APPROVAL_AHEAD = timedelta(hours=26)
"""A request awaiting approval is seeded for a session at least this far ahead: its decision, due
within the offering's window and at the latest 2 h before, then stays open for the demo's day."""

Then = Literal["stay", "arrive", "cancel", "wait", "visit"]


@dataclass(frozen=True)
class PlannedBooking:
    """One booking the demo makes, and what then happens to it."""

    booking_id: str
    offering_id: str
    site_id: str
    member_id: str
    person_id: str
    starts_at: datetime
    ends_at: datetime
    then: Then = "stay"
    """`arrive`: checked in once check-in opens; `cancel`: the member cancels it; `wait`: the
    session is full, the member joins its waitlist; `visit`: the session has begun, the front desk
    records it (checked in at once)."""

    def local_day(self, time_zone: str) -> date:
        return self.starts_at.astimezone(ZoneInfo(time_zone)).date()


def booking_id_of(offering_id: str, starts_at: datetime, member_id: str) -> str:
    return f"seed-{offering_id.removeprefix('off-')}-{session_key_time(starts_at)}-{member_id.removeprefix('member-')}"


@dataclass
class _Site:
    """The plan of one site as it grows: what is accepted, and what the rooms must host."""

    rooms: Sequence[Room]
    held: Sequence[Held]
    accepted: list[tuple[PlannedBooking, OfferingSnapshot]]

    def _fit(self, offering: OfferingSnapshot, starts_at: datetime, ends_at: datetime) -> int:
        """Rooms that meet the offering's requirement and nothing else holds (events, residencies)."""
        assert offering.space_requirement is not None
        free = 0
        for room in self.rooms:
            if not room.meets(offering.space_requirement):
                continue
            if room.kind == "hot_desk_area":  # shared: its places, not the whole space
                free += room.capacity
                continue
            if is_free(room, self.held, starts_at, ends_at):
                free += 1
        return free

    def hosts(self, booking: PlannedBooking, offering: OfferingSnapshot) -> bool:
        """Whether the site's rooms host this booking with every room booking already planned,
        whatever room spaces picks for each: no room booking overlaps (widened by the longest
        buffer) as many others as there are free rooms that could host it."""
        if offering.space_requirement is None:
            return True
        widen = max((r.buffers.widest for r in self.rooms), default=timedelta(minutes=60))
        planned = [(b, o) for b, o in self.accepted if o.space_requirement is not None and b.then != "wait"]
        planned.append((booking, offering))

        kinds = {b.booking_id: o.space_requirement.kind for b, o in planned if o.space_requirement is not None}

        def meet(a: PlannedBooking, b: PlannedBooking) -> bool:
            """Both need a space of the same kind at overlapping times."""
            same = kinds[a.booking_id] == kinds[b.booking_id]
            return same and a.starts_at < b.ends_at + widen and b.starts_at - widen < a.ends_at

        return all(
            sum(1 for other, _ in planned if meet(other, b)) <= self._fit(o, b.starts_at, b.ends_at)
            for b, o in planned
            if meet(b, booking)
        )


def _day_sessions(
    offerings: Sequence[OfferingSnapshot], zone: str, calendar: SiteCalendar | None, day: date, now: datetime
) -> list[tuple[OfferingSnapshot, Session]]:
    """The sessions of the day the front desk may still book at `now` (a walk-in: no notice, but
    `WALK_IN_LEAD` ahead so the room is confirmed before it begins) and the site hosts."""
    return [
        (offering, session)
        for offering in offerings
        for session in sessions_between(offering, zone, day, day, now + WALK_IN_LEAD, walk_in=True)
        if calendar is None or calendar.refusal(session) is None
    ]


def _begun_sessions(
    offerings: Sequence[OfferingSnapshot], zone: str, calendar: SiteCalendar | None, day: date, now: datetime
) -> list[tuple[OfferingSnapshot, Session]]:
    """The sessions of the day that have begun by `now` and the site hosts: a desk records them as visits."""
    return [
        (offering, session)
        for offering in offerings
        for session in sessions_begun(offering, zone, day, day, now)
        if calendar is None or calendar.refusal(session) is None
    ]


def _interleaved(sessions: list[tuple[OfferingSnapshot, Session]]) -> list[tuple[OfferingSnapshot, Session]]:
    """One session of each offering in turn, each offering's every other session first (a timeline
    with gaps, mornings and afternoons alike), then the ones in between."""
    by_offering: dict[str, list[tuple[OfferingSnapshot, Session]]] = {}
    for offering, session in sorted(sessions, key=lambda p: (p[0].offering_id, p[1].starts_at)):
        by_offering.setdefault(offering.offering_id, []).append((offering, session))
    queues = [rows[::2] + rows[1::2] for rows in by_offering.values()]
    out: list[tuple[OfferingSnapshot, Session]] = []
    while any(queues):
        for queue in queues:
            if queue:
                out.append(queue.pop(0))
    return out


def _members_for(site_id: str, members: Sequence[MemberFacts]) -> list[MemberFacts]:
    """The demo member first, then the site's own members, then the others (by id)."""
    return sorted(members, key=lambda m: (m.member_id != DEMO_MEMBER, m.home_site_id != site_id, m.member_id))


def _may_book(offering: OfferingSnapshot, member: MemberFacts, load: Counter[str]) -> str | None:
    """The person the member books for, unless it has its share of the plan or may not book it."""
    if load[member.member_id] >= PER_MEMBER:
        return None
    try:
        return check_eligible(offering, member, None)
    except BookingRefused:
        return None


def _planned(
    offering: OfferingSnapshot, site_id: str, session: Session, member_id: str, person_id: str
) -> PlannedBooking:
    return PlannedBooking(
        booking_id_of(offering.offering_id, session.starts_at, member_id),
        offering.offering_id,
        site_id,
        member_id,
        person_id,
        session.starts_at.astimezone(UTC),
        session.ends_at.astimezone(UTC),
    )


def _book_day(
    site: _Site,
    site_id: str,
    sessions: list[tuple[OfferingSnapshot, Session]],
    members: list[MemberFacts],
    load: Counter[str],
    wanted: int,
) -> list[PlannedBooking]:
    made: list[PlannedBooking] = []
    for offering, session in _interleaved(sessions):
        if len(made) >= wanted:
            break
        group = 1 if offering.seats_per_session == 1 or offering.category.value == "meeting_room" else SEATS_IN_GROUP
        seated = 0
        for member in members:
            if seated >= min(group, offering.seats_per_session) or len(made) >= wanted:
                break
            person = _may_book(offering, member, load)
            if person is None:
                continue
            booking = _planned(offering, site_id, session, member.member_id, person)
            if not site.hosts(booking, offering):
                break  # no room left at that time: the next session
            site.accepted.append((booking, offering))
            made.append(booking)
            load[member.member_id] += 1
            seated += 1
    return made


def _waitlist(
    site: _Site,
    members: list[MemberFacts],
    day: list[PlannedBooking],
    offerings: Mapping[str, OfferingSnapshot],
    load: Counter[str],
) -> list[PlannedBooking]:
    """Two members waiting for the day's first full one-seat session."""
    full = next((b for b in day if offerings[b.offering_id].seats_per_session == 1), None)
    if full is None:
        return []
    offering = offerings[full.offering_id]
    waiting: list[PlannedBooking] = []
    for member in members:
        if len(waiting) == 2:
            break
        if member.member_id == full.member_id:
            continue
        person = _may_book(
            offering, member, load
        )  # joining asks its allowances as a booking would (and gives them back)
        if person is None:
            continue
        entry = PlannedBooking(
            booking_id_of(full.offering_id, full.starts_at, member.member_id),
            full.offering_id,
            full.site_id,
            member.member_id,
            person,
            full.starts_at,
            full.ends_at,
            then="wait",
        )
        site.accepted.append((entry, offering))
        waiting.append(entry)
    return waiting


def _awaiting_approval(
    site: _Site,
    offerings: Sequence[OfferingSnapshot],
    zone: str,
    calendar: SiteCalendar | None,
    members: list[MemberFacts],
    load: Counter[str],
    now: datetime,
) -> list[PlannedBooking]:
    """One request for each of the site's offerings requiring staff approval, its first session
    `APPROVAL_AHEAD` or more ahead that a member may book and the rooms host: it stays awaiting."""
    made: list[PlannedBooking] = []
    today = now.astimezone(ZoneInfo(zone)).date()
    for offering in offerings:
        if offering.rules.approval is None or not offering.rules.approval.required:
            continue
        sessions = (
            session
            for offset in range(1, 30)
            for _, session in _day_sessions([offering], zone, calendar, today + timedelta(days=offset), now)
            if session.starts_at - now >= APPROVAL_AHEAD
        )
        for session in sessions:
            request = _first_request(site, offering, session, members, load)
            if request is not None:
                made.append(request)
                break
    return made


def _first_request(
    site: _Site, offering: OfferingSnapshot, session: Session, members: list[MemberFacts], load: Counter[str]
) -> PlannedBooking | None:
    """The first member (under `PER_MEMBER`, eligible) whose request for `session` the site hosts."""
    assert offering.site_id is not None
    starts_at = session.starts_at.astimezone(UTC)
    if any(b.offering_id == offering.offering_id and b.starts_at == starts_at for b, _ in site.accepted):
        return None  # the session is taken in the plan already: the next one
    for member in members:
        person = _may_book(offering, member, load)
        if person is None:
            continue
        request = _planned(offering, offering.site_id, session, member.member_id, person)
        if not site.hosts(request, offering):
            return None
        site.accepted.append((request, offering))
        load[member.member_id] += 1
        return request
    return None


def demo_day(
    now: datetime, offerings: Sequence[OfferingSnapshot], zone: str, calendar: SiteCalendar | None
) -> tuple[date, list[date]]:
    """The site's demo day (today in its zone if open with enough left to book, of two offerings
    or more, else the next open day that is) and the open days after it that get a few bookings."""
    today = now.astimezone(ZoneInfo(zone)).date()
    busy: date | None = None
    later: list[date] = []
    for offset in range(21):
        day = today + timedelta(days=offset)
        sessions = _day_sessions(offerings, zone, calendar, day, now)
        count = len(sessions)
        if busy is None:
            if count >= BUSY_DAY and len({offering.offering_id for offering, _ in sessions}) > 1:
                busy = day
        elif count:
            later.append(day)
            if len(later) == LATER_DAYS:
                break
    return (busy or today), later


def plan(
    now: datetime,
    offerings: Sequence[OfferingSnapshot],
    members: Sequence[MemberFacts],
    calendars: Mapping[str, SiteCalendar],
    rooms: Sequence[Room],
    held: Sequence[Held] = (),
) -> list[PlannedBooking]:
    """What the demo books at `now`: pure, so the same facts give the same plan (and the same ids)."""
    by_id = {o.offering_id: o for o in offerings}
    load: Counter[str] = Counter()
    out: list[PlannedBooking] = []
    active = [m for m in members if m.active]
    for site_id in sorted({o.site_id for o in offerings if o.site_id is not None}):
        site_offerings = sorted((o for o in offerings if o.site_id == site_id), key=lambda o: o.offering_id)
        calendar = calendars.get(site_id)
        zone = calendar.time_zone if calendar is not None else site_offerings[0].time_zone
        site = _Site([r for r in rooms if r.site_id == site_id], held, [])
        people = _members_for(site_id, active)
        busy, later = demo_day(now, site_offerings, zone, calendar)
        today = now.astimezone(ZoneInfo(zone)).date()
        if busy != today:  # what is left of today (an afternoon's rooms) is booked in place of a later day
            rest = _day_sessions(site_offerings, zone, calendar, today, now)
            today_booked = _book_day(site, site_id, rest, people, load, PER_LATER_DAY)
            if len(today_booked) < PER_LATER_DAY:  # an evening: who came earlier today, recorded
                begun = _begun_sessions(site_offerings, zone, calendar, today, now)
                visits = _book_day(site, site_id, begun, people, load, PER_LATER_DAY - len(today_booked))
                today_booked += [PlannedBooking(**{**b.__dict__, "then": "visit"}) for b in visits]
            if today_booked:
                out += today_booked
                later = later[:-1]
        day = _book_day(site, site_id, _day_sessions(site_offerings, zone, calendar, busy, now), people, load, PER_SITE)
        waiting = _waitlist(site, people, day, by_id, load)
        full = {(w.offering_id, w.starts_at) for w in waiting}
        cancelled = next((b for b in reversed(day) if (b.offering_id, b.starts_at) not in full), None)
        out += [PlannedBooking(**{**b.__dict__, "then": "cancel"}) if b is cancelled else b for b in day] + waiting
        for later_day in later:
            sessions = _day_sessions(site_offerings, zone, calendar, later_day, now)
            out += _book_day(site, site_id, sessions, people, load, PER_LATER_DAY)
        out += _awaiting_approval(site, site_offerings, zone, calendar, people, load, now)
    return out


def arrivals(now: datetime, seeded: Sequence[tuple[str, str, datetime, datetime]]) -> list[str]:
    """Which seeded bookings (id, status, start, end) the front desk checks in at `now`: every
    confirmed one whose check-in is open, but one in four (someone is always late)."""
    open_now = [
        booking_id
        for booking_id, status, starts_at, ends_at in sorted(seeded)
        if status == BookingStatus.CONFIRMED.value and starts_at - timedelta(minutes=60) <= now < ends_at
    ]
    return [booking_id for number, booking_id in enumerate(open_now) if number % 4 != 3]


async def _wait_for_facts(service: BookingService, within: float) -> tuple[list[OfferingSnapshot], list[MemberFacts]]:
    """Wait until the projections stop growing (or the time is up)."""
    deadline = time.monotonic() + within
    last = (-1, -1)
    steady_since = time.monotonic()
    while True:
        offerings = await service.projections.offerings.published()
        members = await service.projections.active_members()
        now = (len(offerings), len(members))
        if now != last:
            last, steady_since = now, time.monotonic()
        if (offerings and members and time.monotonic() - steady_since > 3) or time.monotonic() > deadline:
            return offerings, members
        await asyncio.sleep(0.5)


async def _site_facts(
    service: BookingService, rooms: Rooms, site_ids: set[str], now: datetime
) -> tuple[dict[str, SiteCalendar], list[Room], list[Held]]:
    """The sites' calendars, their rooms, and what holds the rooms: from now on, all but the seed's own
    bookings (the plan makes them again); earlier today, all but the seed's own visits (the same)."""
    calendars: dict[str, SiteCalendar] = {}
    buffers: dict[str, Any] = {}
    for site_id in site_ids:
        doc = await service.projections.sites.get(site_id)
        if doc is not None:
            calendars[site_id] = SiteCalendar.of(doc)
            buffers[site_id] = doc.get("buffers")
    known = [
        room_of(d, buffers.get(str(d["site_id"]))) for d in await rooms.spaces.projection.collection.find({}).to_list()
    ]
    visits = await service.bookings.collection.find(
        {"_id": {"$regex": "^seed-"}, "visit": True, "reservation_request_id": {"$ne": None}},
        {"reservation_request_id": 1},
    ).to_list()  # the visits an earlier run recorded: the plan makes them again
    held = [
        Held(str(d["space_id"]), d["starts_at"], d["ends_at"])
        for d in await rooms.holds.reservations.collection.find(
            {
                "status": "confirmed",
                "$or": [
                    {"ends_at": {"$gt": now}, "_id": {"$not": {"$regex": "^seed-"}}},
                    {
                        "ends_at": {"$gt": now - VISIT_WITHIN, "$lte": now},
                        "_id": {"$nin": [d["reservation_request_id"] for d in visits]},
                    },
                ],
            }
        ).to_list()
    ]
    held += [h for h in await rooms.holds.holding([r.space_id for r in known], now, now) if h.ends_at > now]
    return calendars, known, held


async def seed_bookings(service: BookingService, planned: Sequence[PlannedBooking]) -> tuple[int, list[str]]:
    """Book the plan; returns (booked or found, refusals)."""
    made = 0
    refused: list[str] = []
    for booking in planned:
        try:
            await service.book(
                BookCommand(
                    booking_id=booking.booking_id,
                    offering_id=booking.offering_id,
                    member_id=booking.member_id,
                    person_id=booking.person_id,
                    starts_at=booking.starts_at,
                    party_size=1,
                    join_waitlist=booking.then == "wait",
                    actor=FRONT_DESK,
                    visit=booking.then == "visit",
                )
            )
            made += 1
        except BookingRefused as exc:
            refused.append(f"{booking.booking_id}: {exc}")
    return made, refused


async def _decided(service: BookingService, planned: Sequence[PlannedBooking], within: float) -> None:
    """Until no planned booking is pending any more (spaces answered the saga), or `within` s."""
    ids = [b.booking_id for b in planned if b.then != "wait"]
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not await service.bookings.collection.count_documents(
            {"_id": {"$in": ids}, "status": BookingStatus.PENDING.value}
        ):
            return
        await asyncio.sleep(0.5)


async def _then(service: BookingService, planned: Sequence[PlannedBooking], now: datetime) -> tuple[int, int]:
    """The member cancels what the plan says; the front desk checks in whoever has arrived."""
    cancelled = checked_in = 0
    for booking in planned:
        if booking.then != "cancel":
            continue
        found = await service.bookings.collection.find_one({"_id": booking.booking_id}, {"status": 1})
        holding = (BookingStatus.PENDING.value, BookingStatus.CONFIRMED.value, BookingStatus.AWAITING_APPROVAL.value)
        if found is not None and found["status"] in holding:
            try:
                await service.cancel(booking.booking_id, Actor("member", booking.person_id))
                cancelled += 1
            except BookingRefused:
                pass
    seeded = [
        (str(d["_id"]), str(d["status"]), d["starts_at"].replace(tzinfo=UTC), d["ends_at"].replace(tzinfo=UTC))
        for d in await service.bookings.collection.find(
            {"_id": {"$regex": "^seed-"}, "status": BookingStatus.CONFIRMED.value},
            {"status": 1, "starts_at": 1, "ends_at": 1},
        ).to_list()
    ]
    for booking_id in arrivals(now, seeded):
        try:
            await service.check_in(booking_id, FRONT_DESK)
            checked_in += 1
        except BookingRefused:
            pass
    return cancelled, checked_in


async def seed(settings: KitSettings | None = None, wait: float | None = None) -> str:
    settings = settings or BookingsSettings()
    within = wait if wait is not None else float(os.environ.get("BOOKINGS_SEED_WAIT", "20"))
    wiring = build(settings, consumers=False)
    wiring.runtime.subscribe(
        *projections(settings, wiring.runtime.db, wiring.service, group_suffix=f"-seed-{os.getpid()}")
    )
    await wiring.runtime.start()
    service = wiring.service
    try:
        await service.bookings.ensure_indexes()
        offerings, members = await _wait_for_facts(service, within)
        now = service.clock()
        site_ids = {o.site_id for o in offerings if o.site_id is not None}
        calendars, rooms, held = await _site_facts(service, Rooms(wiring.runtime.db), site_ids, now)
        planned = plan(now, offerings, members, calendars, rooms, held)
        made, refused = await seed_bookings(service, planned)
        wiring.runtime.notify_relay()
        await _decided(service, planned, 30)
        cancelled, checked_in = await _then(service, planned, service.clock())
        wiring.runtime.notify_relay()
        deadline = time.monotonic() + 30
        while await pending_count(service.bookings.collection) and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        total = await service.bookings.collection.count_documents({})
    finally:
        await wiring.runtime.stop()
    days = Counter(b.site_id.removeprefix("site-") for b in planned if b.then != "wait")
    per_site = ", ".join(f"{site} {count}" for site, count in sorted(days.items()))
    summary = (
        f"{total} bookings ({made} of {len(planned)} planned booked or found, {cancelled} cancelled, "
        f"{checked_in} checked in; planned per site: {per_site})"
    )
    if refused:
        summary += f"; refused: {'; '.join(refused[:5])}{' …' if len(refused) > 5 else ''}"
    if not members or not offerings:
        summary += "; no members or offerings projected yet: seed community and catalogue, then seed again"
    return summary
