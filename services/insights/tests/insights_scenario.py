"""A seeded scenario of September 2026 at two sites: every contracted event the other services
would publish (sites, spaces, members, bookings with their outcomes, waitlists, community
events and registrations, residencies, reservations, day passes, and billing's charges,
invoices, credit notes and payments of them), each with the time it happened, so that KPIs
"as of" a past moment are meaningful."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from insights_billing import Books

from parkgrid.contracts import bookings as b
from parkgrid.contracts import community as c
from parkgrid.contracts import spaces as s
from parkgrid.envelope import Envelope
from parkgrid.events import IntegrationEvent, registry

TZ = "Africa/Casablanca"
ZONE = ZoneInfo(TZ)
SITES = ("site-rabat", "site-casa")
OFFERINGS = (
    ("off-rabat-mentoring", "mentoring", "site-rabat"),
    ("off-casa-clinic", "expert_clinic", "site-casa"),
    ("off-net-training", "training", None),
    ("off-rabat-room", "meeting_room", "site-rabat"),
)
STAGES = ("pre_incubation", "incubation", "acceleration", "resident")


def utc(year: int, month: int, day_: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(year, month, day_, hour, minute, tzinfo=UTC)


def local(on: date, hour: int, minute: int = 0) -> datetime:
    return datetime(on.year, on.month, on.day, hour, minute, tzinfo=ZONE).astimezone(UTC)


def text(en: str) -> dict[str, str]:
    return {"fr": f"{en} (fr)", "en": en}


ACTOR = {"role": "front_desk", "subject": "staff-1"}

Scope = tuple[date, date, datetime, str | None]
"""(first day, last day, as of, site or None for the network): what the KPIs are asked for."""


def kpi_scopes(now: datetime) -> list[Scope]:
    """The scopes the KPIs are checked over: September, one site, a range past the scenario's
    ends, as of moments inside it (events after them must not count)."""
    return [
        (date(2026, 9, 1), date(2026, 9, 30), now, None),
        (date(2026, 9, 1), date(2026, 9, 30), now, "site-rabat"),
        (date(2026, 8, 25), date(2026, 10, 10), now, "site-casa"),
        (date(2026, 9, 1), date(2026, 9, 30), datetime(2026, 9, 12, tzinfo=UTC), None),
        (date(2026, 9, 10), date(2026, 9, 20), datetime(2026, 9, 14, 12, tzinfo=UTC), "site-rabat"),
    ]


@dataclass
class Scenario:
    items: list[tuple[str, Envelope]] = field(default_factory=list)
    sequences: dict[str, int] = field(default_factory=dict)

    def add(self, topic: str, event: IntegrationEvent, subject: str, at: datetime) -> None:
        sequence = self.sequences.get(subject, 0) + 1
        self.sequences[subject] = sequence
        source = topic.split(".")[0]
        envelope = registry.envelope(event, source=source, subject=subject, sequence=sequence)
        self.items.append((topic, envelope.model_copy(update={"time": at})))

    @property
    def envelopes(self) -> list[Envelope]:
        return [e for _, e in self.items]


def build(seed: int = 7) -> Scenario:
    rng = random.Random(seed)
    sc = Scenario()
    t0 = utc(2026, 8, 1)
    hours = [{"weekday": d, "opens": "08:00", "closes": "19:00"} for d in range(1, 6)]
    hours.append({"weekday": 6, "opens": "09:00", "closes": "13:00"})
    for site_id in SITES:
        closures = (
            [{"first_day": "2026-09-15", "last_day": "2026-09-16", "reason": "works"}]
            if site_id == "site-rabat"
            else []
        )
        site = s.SiteRegistered(
            site_id=site_id, name=site_id, city=site_id[5:], country="MA", time_zone=TZ,
            opening_hours=hours, closures=closures,
        )  # fmt: skip
        sc.add("spaces.site", site, site_id, t0)
    spaces: dict[str, dict[str, Any]] = {}
    for site_id in SITES:
        layout = [("hot", "hot_desk_area", 20)]
        layout += [(f"desk-{i}", "dedicated_desk", 4) for i in (1, 2)]
        layout += [(f"office-{i}", "private_office", 6) for i in (1, 2, 3)]
        layout += [(f"room-{i}", "meeting_room", 8) for i in (1, 2)]
        layout += [("hall", "event_hall", 100)]
        for suffix, kind, capacity in layout:
            space_id = f"{site_id}-{suffix}"
            data = {"space_id": space_id, "site_id": site_id, "name": space_id, "kind": kind, "capacity": capacity}
            spaces[space_id] = data
            sc.add("spaces.space", s.SpaceAdded.model_validate(data), space_id, t0 + timedelta(hours=1))
    retired = "site-rabat-room-2"
    sc.add(
        "spaces.space",
        s.SpaceRetired.model_validate({**spaces[retired], "status": "retired"}),
        retired,
        utc(2026, 9, 10),
    )

    # --- members ----------------------------------------------------------------------------
    members: dict[str, dict[str, Any]] = {}
    for n in range(1, 13):
        member_id = f"m-{n}"
        people = [
            {"person_id": f"p-{n}-1", "name": f"Founder {n}", "email": f"founder{n}@example.ma",
             "role": "CEO", "language": "fr" if n % 2 else "en"},
        ]  # fmt: skip
        if n % 3 == 0:
            people.append({"person_id": f"p-{n}-2", "name": f"CTO {n}", "email": f"cto{n}@example.ma", "role": "CTO"})
        snapshot = {
            "member_id": member_id, "name": f"Startup {n}", "kind": "startup", "sector": "agritech",
            "home_site_id": SITES[n % 2], "status": "active",
            "programme": {"stage": STAGES[n % 4], "started_on": "2026-01-05"}, "people": people,
        }  # fmt: skip
        members[member_id] = snapshot
        sc.add("community.member", c.MemberRegistered.model_validate(snapshot), member_id, utc(2026, 8, 2))
    for n in (2, 5, 7, 9):
        member = members[f"m-{n}"]
        previous = member["programme"]["stage"]
        member["programme"] = {
            **member["programme"],
            "stage": "acceleration" if previous != "acceleration" else "alumni",
        }
        stage_changed = c.MemberStageChanged.model_validate({**member, "previous_stage": previous})
        sc.add("community.member", stage_changed, member["member_id"], utc(2026, 9, 5))
    leaver = {**members["m-12"], "status": "left"}
    sc.add(
        "community.member", c.MemberLeft.model_validate({**leaver, "left_on": "2026-09-20"}), "m-12", utc(2026, 9, 20)
    )

    # --- bookings -----------------------------------------------------------------------------
    booking_sessions: dict[str, list[dict[str, str]]] = {}
    for n in range(1, 41):
        offering_id, category, offering_site = OFFERINGS[n % len(OFFERINGS)]
        member_id = f"m-{rng.randint(1, 11)}"
        on = date(2026, 9, 1) + timedelta(days=rng.randint(-3, 40))
        starts = local(on, rng.choice([0, 9, 10, 14, 16, 23]), 30)
        session = {"starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=1)).isoformat()}
        booking_sessions.setdefault(offering_id, []).append(session)
        requested_at = starts - timedelta(days=rng.randint(1, 15), minutes=rng.randint(0, 600))
        booking_id = f"bk-{n}"
        base = {
            "booking_id": booking_id, "offering_id": offering_id, "offering_title": text(f"Offering {offering_id}"),
            "category": category, "site_id": offering_site, "time_zone": TZ, "session": session,
            "member_id": member_id, "person_id": f"p-{member_id[2:]}-1", "party_size": 1,
            "booked_by": ACTOR, "requested_at": requested_at.isoformat(), "credits": 1,
        }  # fmt: skip
        path = rng.choice(["direct", "direct", "pending_confirmed", "pending_rejected", "pending_cancelled"])
        if path == "direct":
            confirmed_at = requested_at
            confirmed = {**base, "status": "confirmed", "confirmed_at": confirmed_at.isoformat()}
            sc.add("bookings.booking", b.BookingConfirmed.model_validate(confirmed), booking_id, confirmed_at)
        else:
            sc.add(
                "bookings.booking",
                b.BookingRequested.model_validate({**base, "status": "pending"}),
                booking_id,
                requested_at,
            )
            later = requested_at + timedelta(minutes=rng.randint(1, 600))
            if path == "pending_rejected":
                rejected = {**base, "status": "rejected", "reason": "no_space", "detail": "no room free"}
                sc.add("bookings.booking", b.BookingRejected.model_validate(rejected), booking_id, later)
                continue
            if path == "pending_cancelled":
                cancelled = {**base, "status": "cancelled", "cancelled_by": ACTOR, "late": False,
                             "previous_status": "pending"}  # fmt: skip
                sc.add("bookings.booking", b.BookingCancelled.model_validate(cancelled), booking_id, later)
                continue
            confirmed = {**base, "status": "confirmed", "confirmed_at": later.isoformat()}
            sc.add("bookings.booking", b.BookingConfirmed.model_validate(confirmed), booking_id, later)
        outcome = rng.choice(["stay", "cancel", "no_show", "attend", "attend"])
        if outcome == "cancel":
            late = rng.random() < 0.5
            at = starts - timedelta(hours=2 if late else 72)
            at = max(at, requested_at + timedelta(minutes=700))
            cancelled = {**base, "status": "cancelled", "cancelled_by": ACTOR, "late": late,
                         "previous_status": "confirmed"}  # fmt: skip
            sc.add("bookings.booking", b.BookingCancelled.model_validate(cancelled), booking_id, at)
        elif outcome == "no_show":
            no_show = {**base, "status": "no_show"}
            sc.add("bookings.booking", b.BookingNoShow.model_validate(no_show), booking_id, starts + timedelta(hours=2))
        elif outcome == "attend":
            checked = {**base, "status": "checked_in", "checked_in_at": starts.isoformat(), "checked_in_by": ACTOR}
            sc.add("bookings.booking", b.BookingCheckedIn.model_validate(checked), booking_id, starts)
            done = {**base, "status": "completed"}
            sc.add("bookings.booking", b.BookingCompleted.model_validate(done), booking_id, starts + timedelta(hours=1))

    # --- waitlists ----------------------------------------------------------------------------
    for n in range(1, 13):
        offering_id = OFFERINGS[n % len(OFFERINGS)][0]
        session = rng.choice(booking_sessions[offering_id])
        starts = datetime.fromisoformat(session["starts_at"])
        entry_id = f"wl-{n}"
        entry = {
            "entry_id": entry_id, "offering_id": offering_id, "session": session, "member_id": f"m-{n % 11 + 1}",
            "person_id": f"p-{n % 11 + 1}-1", "party_size": 1, "position": 1,
            "joined_at": (starts - timedelta(days=3)).isoformat(), "status": "waiting",
        }  # fmt: skip
        sc.add("bookings.waitlist", b.WaitlistJoined.model_validate(entry), entry_id, starts - timedelta(days=3))
        if n % 2:
            promoted = {**entry, "status": "promoted", "booking_id": f"bk-wl-{n}"}
            sc.add(
                "bookings.waitlist", b.WaitlistPromoted.model_validate(promoted), entry_id, starts - timedelta(days=1)
            )

    # --- community events and registrations ---------------------------------------------------
    plans = [
        ("ev-1", "site-rabat", date(2026, 9, 10), 8, "completed"),
        ("ev-2", "site-casa", date(2026, 9, 18), 5, "completed"),
        ("ev-3", "site-rabat", date(2026, 9, 25), 8, "cancelled"),
        ("ev-4", None, date(2026, 9, 12), 8, "published"),
        ("ev-5", "site-casa", date(2026, 10, 20), 6, "published"),
        ("ev-6", "site-rabat", date(2026, 9, 15), 6, "draft"),
    ]
    attendees = [(m["member_id"], p["person_id"]) for m in members.values() for p in m["people"]]
    for event_id, event_site, on, capacity, fate in plans:
        starts = local(on, 18)
        event = {
            "event_id": event_id, "site_id": event_site, "kind": "workshop",
            "mode": "online" if event_site is None else "in_person",
            "title": text(f"Event {event_id}"), "description": text("About"),
            "time": {"starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=2)).isoformat()},
            "time_zone": TZ, "capacity": capacity,
            "audience": {}, "status": "draft",
        }  # fmt: skip
        sc.add("community.event", c.CommunityEventScheduled.model_validate(event), event_id, utc(2026, 8, 20))
        if fate == "draft":
            continue
        event["status"] = "published"
        sc.add("community.event", c.CommunityEventPublished.model_validate(event), event_id, utc(2026, 8, 21))
        registrations: list[dict[str, Any]] = []
        chosen = rng.sample(attendees, min(len(attendees), capacity + 3))
        for i, (member_id, person_id) in enumerate(chosen):
            registration_id = f"{event_id}-r{i}"
            seated = i < capacity
            reg = {
                "registration_id": registration_id, "event_id": event_id, "member_id": member_id,
                "person_id": person_id, "status": "confirmed" if seated else "waitlisted",
                "waitlist_position": None if seated else i - capacity + 1,
                "registered_at": utc(2026, 8, 25, 9 + i % 8).isoformat(),
                "registered_by": {"role": "member", "subject": person_id},
                "event_time": event["time"], "event_title": event["title"],
            }  # fmt: skip
            model = c.RegistrationConfirmed if seated else c.RegistrationWaitlisted
            sc.add("community.registration", model.model_validate(reg), registration_id, utc(2026, 8, 25, 9 + i % 8))
            registrations.append(reg)
        # One seated person cancels; the first in line is promoted.
        quitter = registrations[0]
        quitter.update(status="cancelled")
        cancelled = {**quitter, "cancelled_by": {"role": "member", "subject": quitter["person_id"]},
                     "previous_status": "confirmed"}  # fmt: skip
        sc.add("community.registration", c.RegistrationCancelled.model_validate(cancelled),
               quitter["registration_id"], utc(2026, 9, 1))  # fmt: skip
        waiting = [r for r in registrations if r["status"] == "waitlisted"]
        if waiting:
            first = waiting[0]
            first.update(status="confirmed", waitlist_position=None)
            sc.add("community.registration", c.RegistrationPromoted.model_validate(first),
                   first["registration_id"], utc(2026, 9, 1, 10))  # fmt: skip
        if fate == "completed":
            attended = 0
            for reg in registrations:
                if reg["status"] == "confirmed" and rng.random() < 0.7:
                    reg.update(status="checked_in")
                    checked = {**reg, "checked_in_at": starts.isoformat()}
                    sc.add("community.registration", c.RegistrationCheckedIn.model_validate(checked),
                           reg["registration_id"], starts)  # fmt: skip
                    attended += 1
            seated_count = sum(1 for r in registrations if r["status"] in ("confirmed", "checked_in"))
            done = {**event, "status": "completed", "attended": attended, "no_shows": seated_count - attended}
            sc.add("community.event", c.CommunityEventCompleted.model_validate(done), event_id,
                   starts + timedelta(hours=3))  # fmt: skip
        elif fate == "cancelled":
            cancelled_at = utc(2026, 9, 20)
            sc.add("community.event",
                   c.CommunityEventCancelled.model_validate({**event, "status": "cancelled", "reason": "speaker ill"}),
                   event_id, cancelled_at)  # fmt: skip
            for reg in registrations:
                if reg["status"] in ("confirmed", "waitlisted"):
                    previous = reg["status"]
                    reg.update(status="cancelled")
                    gone = {**reg, "cancelled_by": {"role": "system", "subject": "community"},
                            "previous_status": previous}  # fmt: skip
                    sc.add("community.registration", c.RegistrationCancelled.model_validate(gone),
                           reg["registration_id"], cancelled_at + timedelta(minutes=1))  # fmt: skip

    # --- residencies --------------------------------------------------------------------------
    free = {site_id: ["desk-1", "desk-2", "office-1", "office-2", "office-3"] for site_id in SITES}
    for n in range(1, 10):
        member = members[f"m-{n}"]
        site_id = member["home_site_id"]
        space_id = f"{site_id}-{free[site_id].pop(0)}"  # one residency per space, as spaces allocates
        space = spaces[space_id]
        starts_on = date(2026, 7, 1) + timedelta(days=rng.randint(0, 70))
        ends_on = starts_on + timedelta(days=540)
        if n in (3, 8):
            ends_on = date(2026, 9, 20)  # reaches its planned end with no event
        residency_id = f"res-{n}"
        residency = {
            "residency_id": residency_id, "member_id": member["member_id"], "site_id": site_id,
            "space_id": space_id, "space_kind": space["kind"], "seats": min(space["capacity"], 4),
            "starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat(), "status": "active",
            "allocated_by": ACTOR,
        }  # fmt: skip
        started_at = datetime(starts_on.year, starts_on.month, starts_on.day, tzinfo=UTC) - timedelta(days=5)
        sc.add("spaces.residency", s.ResidencyStarted.model_validate(residency), residency_id, started_at)
        if n in (1, 4):
            previous = residency["ends_on"]
            residency["ends_on"] = (ends_on + timedelta(days=180)).isoformat()
            extended = {**residency, "previous_ends_on": previous}
            sc.add("spaces.residency", s.ResidencyExtended.model_validate(extended), residency_id, utc(2026, 9, 5))
        if n in (2, 6, 9):
            residency.update(status="ended", ends_on=max(starts_on, date(2026, 9, 14)).isoformat())
            ended = {**residency, "ended_early": True, "reason": "moved out"}
            sc.add("spaces.residency", s.ResidencyEnded.model_validate(ended), residency_id, utc(2026, 9, 14, 18))

    # --- reservations and day passes ---------------------------------------------------------
    for n in range(1, 15):
        site_id = SITES[n % 2]
        kind = "event_hall" if n % 5 == 0 else "meeting_room"
        space_id = f"{site_id}-hall" if kind == "event_hall" else f"{site_id}-room-1"
        on = date(2026, 9, 1) + timedelta(days=rng.randint(0, 35))
        starts = local(on, 10)
        reservation_id = f"rsv-{n}"
        reservation = {
            "reservation_id": reservation_id, "request_id": f"rq-{n}", "requested_by": "bookings",
            "reference_id": f"bk-r{n}", "site_id": site_id, "requirement": {"kind": kind, "seats": 4},
            "time": {"starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=n % 3 + 1)).isoformat()},
            "status": "confirmed", "space_id": space_id, "space_name": space_id,
        }  # fmt: skip
        at = starts - timedelta(days=2)
        if n % 7 == 0:
            refused = {**reservation, "status": "refused", "space_id": None, "space_name": None,
                       "reason": "no_space_free", "detail": "full"}  # fmt: skip
            sc.add("spaces.reservation", s.ReservationRefused.model_validate(refused), reservation_id, at)
            continue
        sc.add("spaces.reservation", s.ReservationConfirmed.model_validate(reservation), reservation_id, at)
        if n % 4 == 0:
            released = {**reservation, "status": "released", "released_at": (at + timedelta(days=1)).isoformat()}
            sc.add("spaces.reservation", s.ReservationReleased.model_validate(released), reservation_id,
                   at + timedelta(days=1))  # fmt: skip
    for n in range(1, 16):
        site_id = SITES[n % 2]
        on = date(2026, 9, 1) + timedelta(days=rng.randint(0, 34))
        member_id = f"m-{n % 11 + 1}"
        day_pass = s.DayPassIssued(
            day_pass_id=f"dp-{n}", site_id=site_id, space_id=f"{site_id}-hot", member_id=member_id,
            person_id=f"p-{n % 11 + 1}-1", day=on, places_taken=1, capacity=20,
        )  # fmt: skip
        sc.add("spaces.day_pass", day_pass, f"dp-{n}", local(on, 9))
    bill(sc)
    return sc


# --- billing ------------------------------------------------------------------------------------

BOOKING_PRICE = 25000
DAY_PASS_PRICE = 9000
SEAT_MONTH_PRICE = 120000
MONTHS = ("2026-08", "2026-09", "2026-10")


def latest(sc: Scenario, aggregate: str) -> dict[str, tuple[dict[str, Any], datetime, datetime]]:
    """subject → (newest data, time of its first event, time of its newest) of one aggregate so far."""
    found: dict[str, tuple[dict[str, Any], datetime, datetime]] = {}
    for topic, e in sc.items:
        if topic == aggregate:
            first = found[e.subject][1] if e.subject in found else e.time
            found[e.subject] = (dict(e.data), first, e.time)
    return found


def bill(sc: Scenario) -> None:
    """What billing would publish of the scenario's use: charges for bookings (voided when cancelled
    in time, a fee when late or missed), residencies by month and day passes; the month's invoices
    on the 1st of the next, paid in full, in part, credited, or not at all; a payment on account."""
    books = Books(sc.add)
    charges: list[dict[str, Any]] = []
    for booking_id, (d, first_at, last_at) in sorted(latest(sc, "bookings.booking").items()):
        if d["site_id"] is None or d["status"] in ("pending", "rejected"):
            continue
        on = datetime.fromisoformat(d["session"]["starts_at"]).astimezone(ZONE).date()
        common = {"site_id": d["site_id"], "member_id": d["member_id"], "billable_on": on}
        charge = books.charge(first_at, charge_id=f"ch-booking-{booking_id}", cause="booking", cause_id=booking_id,
                              net_minor=BOOKING_PRICE, **common)  # fmt: skip
        if d["status"] == "cancelled":
            books.void(charge, last_at)
            if not d["late"]:
                continue
        else:
            charges.append(charge)
        if d["status"] in ("cancelled", "no_show"):
            cause = "late_cancellation" if d["status"] == "cancelled" else "no_show"
            fee = books.charge(last_at, charge_id=f"ch-{cause}-{booking_id}", cause=cause, cause_id=booking_id,
                               net_minor=BOOKING_PRICE // 2, **common)  # fmt: skip
            charges.append(fee)
    for residency_id, (d, first_at, _) in sorted(latest(sc, "spaces.residency").items()):
        for month in MONTHS:
            start = date.fromisoformat(f"{month}-01")
            if not (d["starts_on"][:7] <= month <= d["ends_on"][:7]):
                continue
            billable_on = max(start, date.fromisoformat(d["starts_on"]))
            at = max(first_at, datetime(start.year, start.month, 1, 3, tzinfo=UTC))
            charges.append(
                books.charge(at, charge_id=f"ch-residency-{residency_id}-{month}", site_id=d["site_id"],
                             member_id=d["member_id"], cause="residency", cause_id=f"{residency_id}-{month}",
                             billable_on=billable_on, net_minor=d["seats"] * SEAT_MONTH_PRICE)
            )  # fmt: skip
    for day_pass_id, (d, first_at, _) in sorted(latest(sc, "spaces.day_pass").items()):
        charges.append(
            books.charge(first_at, charge_id=f"ch-day_pass-{day_pass_id}", site_id=d["site_id"],
                         member_id=d["member_id"], cause="day_pass", cause_id=day_pass_id,
                         billable_on=date.fromisoformat(d["day"]), net_minor=DAY_PASS_PRICE)
        )  # fmt: skip
    # August's invoices, issued on 1 September, and what became of them; September's on 1 October, unpaid.
    for month, issued_on in (("2026-08", date(2026, 9, 1)), ("2026-09", date(2026, 10, 1))):
        owed: dict[tuple[str, str], list[tuple[str, int]]] = {}
        for charge in charges:
            if charge["billable_on"].startswith(month):
                owed.setdefault((charge["site_id"], charge["member_id"]), []).append(
                    (charge["charge_id"], charge["net_minor"])
                )
        issued_at = local(issued_on, 6)
        for i, ((site_id, member_id), lines) in enumerate(sorted(owed.items())):
            terms = 7 if i % 2 else 30
            invoice = books.invoice(issued_at, invoice_id=f"inv-{site_id}-{member_id}-{month}", site_id=site_id,
                                    member_id=member_id, period=month, issued_on=issued_on,
                                    due_on=issued_on + timedelta(days=terms), lines=lines)  # fmt: skip
            if month != "2026-08":
                continue
            fate, total = i % 5, invoice["total_minor"]
            paying = {"site_id": site_id, "member_id": member_id, "invoice_id": invoice["invoice_id"]}
            if fate == 0:  # paid in full
                books.pay(utc(2026, 9, 5, 10), payment_id=f"pay-{i}", amount_minor=total, **paying)
                books.settle(invoice, utc(2026, 9, 5, 10), total)
            elif fate == 1:  # paid in part
                books.pay(utc(2026, 9, 10, 10), payment_id=f"pay-{i}", amount_minor=total // 2, **paying)
            elif fate == 2:  # a line credited, the rest paid late
                note = books.credit(invoice, utc(2026, 9, 20, 10), note_id=f"cn-{i}", issued_on=date(2026, 9, 20),
                                    charge_ids=[lines[0][0]])  # fmt: skip
                rest = total - note["total_minor"]
                if rest:
                    books.pay(utc(2026, 9, 25, 10), payment_id=f"pay-{i}", amount_minor=rest, **paying)
                books.settle(invoice, utc(2026, 9, 25, 10), rest)
            elif fate == 4:  # every line credited: covered, nothing paid
                books.credit(invoice, utc(2026, 9, 3, 10), note_id=f"cn-{i}", issued_on=date(2026, 9, 3),
                             charge_ids=[line[0] for line in lines])  # fmt: skip
                books.settle(invoice, utc(2026, 9, 3, 10), 0)
            # fate 3: never paid
    books.pay(utc(2026, 9, 15, 11), payment_id="pay-account", site_id="site-rabat", member_id="m-2",
              amount_minor=50000)  # fmt: skip
