"""Which mail a member's people get, and when: pure rules, no I/O.

A notice is "tell this member (or this person of it) that X happened"; the mailer turns
it into one mail per recipient. Event notices are keyed by the event's id, so a
redelivered event is the same notice; periodic notices (reminders, residency endings)
by what they are about and its date, so a rescheduled session or an extended residency
gets a new one and an unchanged one never a second; overdue invoices by the invoice and
the stage reached (`OVERDUE_STAGES`), so each stage is mailed once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from insights.domain.facts import Histories, day, moment, zone
from insights.domain.kpis_billing import Overdue, overdue_invoices


class NoticeKind(StrEnum):
    BOOKING_CONFIRMED = "booking_confirmed"
    BOOKING_REJECTED = "booking_rejected"
    BOOKING_CANCELLED = "booking_cancelled"
    WAITLIST_PROMOTED = "waitlist_promoted"
    REGISTRATION_CONFIRMED = "registration_confirmed"
    REGISTRATION_WAITLISTED = "registration_waitlisted"
    REGISTRATION_PROMOTED = "registration_promoted"
    BOOKING_REMINDER = "booking_reminder"
    EVENT_REMINDER = "event_reminder"
    RESIDENCY_ENDING = "residency_ending"
    BOOKING_HOLD_EXPIRED = "booking_hold_expired"
    BOOKING_AWAITING_APPROVAL = "booking_awaiting_approval"
    BOOKING_DECLINED = "booking_declined"
    BOOKING_APPROVAL_EXPIRED = "booking_approval_expired"
    REGISTRATION_CANCELLED = "registration_cancelled"
    EVENT_CANCELLED = "event_cancelled"
    EVENT_RESCHEDULED = "event_rescheduled"
    EVENT_REVISED = "event_revised"
    OFFICE_OFFERED = "office_offered"
    OFFICE_OFFER_LAPSED = "office_offer_lapsed"
    VISITOR_ARRIVED = "visitor_arrived"
    INVOICE_OVERDUE = "invoice_overdue"


EVENT_NOTICES: dict[str, NoticeKind] = {
    "parkgrid.bookings.booking.confirmed": NoticeKind.BOOKING_CONFIRMED,
    "parkgrid.bookings.booking.rejected": NoticeKind.BOOKING_REJECTED,
    "parkgrid.bookings.booking.cancelled": NoticeKind.BOOKING_CANCELLED,
    "parkgrid.bookings.booking.awaiting_approval": NoticeKind.BOOKING_AWAITING_APPROVAL,
    "parkgrid.bookings.waitlist.promoted": NoticeKind.WAITLIST_PROMOTED,
    "parkgrid.community.registration.confirmed": NoticeKind.REGISTRATION_CONFIRMED,
    "parkgrid.community.registration.waitlisted": NoticeKind.REGISTRATION_WAITLISTED,
    "parkgrid.community.registration.promoted": NoticeKind.REGISTRATION_PROMOTED,
    "parkgrid.community.registration.cancelled": NoticeKind.REGISTRATION_CANCELLED,
    "parkgrid.spaces.waitlist.offered": NoticeKind.OFFICE_OFFERED,
    "parkgrid.spaces.waitlist.offer_lapsed": NoticeKind.OFFICE_OFFER_LAPSED,
    "parkgrid.spaces.visit.arrived": NoticeKind.VISITOR_ARRIVED,
}

REJECTION_NOTICES: dict[str, NoticeKind] = {
    "hold_expired": NoticeKind.BOOKING_HOLD_EXPIRED,
    "declined": NoticeKind.BOOKING_DECLINED,
    "approval_expired": NoticeKind.BOOKING_APPROVAL_EXPIRED,
}
"""A rejection told in its own words: no room in time, the staff's decline (with their note),
nobody approving in time (issue 25's approvals); any other reason is the plain rejection."""

REGISTRANT_NOTICES: dict[str, NoticeKind] = {
    "parkgrid.community.event.cancelled": NoticeKind.EVENT_CANCELLED,
    "parkgrid.community.event.rescheduled": NoticeKind.EVENT_RESCHEDULED,
    "parkgrid.community.event.revised": NoticeKind.EVENT_REVISED,
}
"""Events about a community event that every registrant (confirmed or waitlisted) is told of."""

REVISIONS_TOLD = frozenset({"title"})
"""A revision registrants are told of: a new title (time changes come as `rescheduled`;
a new description, capacity or audience changes nothing they must act on)."""

REMINDER_AHEAD = timedelta(hours=24)
RESIDENCY_NOTICE_DAYS = 30

OVERDUE_STAGES = (1, 15, 30)
"""Days past an invoice's due date on which its organisation is reminded, once each: the day
after (a transfer forgotten, or still on its way: the mail says to ignore it then), half a month
on, and a month on, by when a second month's invoice is usually out beside it. Three mails at
most per invoice, never one every round: a reminder each run would be noise a member learns to
ignore, and beyond a month it is for the site's staff to call, not for more mail."""


@dataclass(frozen=True)
class Notice:
    notice_id: str
    kind: NoticeKind
    member_id: str
    person_id: str | None
    """None: every person of the member organisation."""
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str
    language: str
    person_id: str | None = None


def notice_for_event(
    event_id: str, event_type: str, data: Mapping[str, Any], occurred_at: datetime, now: datetime, max_age: timedelta
) -> Notice | None:
    """The notice an event implies, or None (not a notifying type, or old history replayed)."""
    kind = EVENT_NOTICES.get(event_type)
    if kind is None or now - occurred_at > max_age:
        return None
    if event_type == "parkgrid.bookings.booking.rejected":
        kind = REJECTION_NOTICES.get(str(data.get("reason")), kind)
    if event_type.startswith("parkgrid.spaces.waitlist."):
        offer = data.get("offer") or {}
        context_: dict[str, Any] = {
            "site_id": data["site_id"],
            "seats": data["seats"],
            "space_name": offer.get("space_name"),
            "starts_on": offer.get("starts_on"),
        }
        return Notice(event_id, kind, data["member_id"], None, context_)
    if event_type == "parkgrid.spaces.visit.arrived":
        return visitor_arrived(event_id, data)
    if event_type.startswith("parkgrid.bookings.booking."):
        context: dict[str, Any] = {
            "title": data["offering_title"],
            "starts_at": data["session"]["starts_at"],
            "time_zone": data.get("time_zone"),
            "booking_id": data["booking_id"],
            "reason": data.get("decline_note") or data.get("detail") or data.get("reason"),
            "late": data.get("late"),
            "decide_by": data.get("decide_by"),
        }
    elif event_type == "parkgrid.bookings.waitlist.promoted":
        context = {
            "title": None,
            "starts_at": data["session"]["starts_at"],
            "time_zone": None,
            "booking_id": data["booking_id"],
        }
    else:
        context = {
            "title": data["event_title"],
            "starts_at": data["event_time"]["starts_at"],
            "time_zone": None,
            "position": data.get("waitlist_position"),
            "event_id": data["event_id"],
            "cancelled_by": (data.get("cancelled_by") or {}).get("role"),
        }
    return Notice(event_id, kind, data["member_id"], data["person_id"], context)


def visitor_arrived(event_id: str, visit: Mapping[str, Any]) -> Notice:
    """The host person (not the whole organisation: the guest is theirs) is told their guest is at
    the desk. The guest's name is personal data: it is in this notice and its mail only."""
    context = {
        "guest_name": visit["guest_name"],
        "guest_company": visit.get("guest_company"),
        "site_id": visit["site_id"],
        "arrived_at": visit["arrived_at"],
        "time_zone": visit.get("time_zone"),
    }
    return Notice(event_id, NoticeKind.VISITOR_ARRIVED, visit["member_id"], visit["host_person_id"], context)


class Fate(StrEnum):
    """What becomes of a registration-cancelled notice when its recipients are resolved."""

    SEND = "send"
    COVERED = "covered"
    """Its event was cancelled: the registrant is told by the event-cancelled mail, not twice."""
    WAIT = "wait"
    """Cancelled by the system (what the event's cancellation does) before the event's
    cancellation is projected: wait for it a little."""


EVENT_CANCELLATION_WAITS = 5
"""How many times a system-cancelled registration's notice waits for its event's cancellation
to reach the projection (the two topics are read by two consumers) before it is sent anyway."""


def registration_cancelled_fate(context: Mapping[str, Any], event: Mapping[str, Any] | None, attempts: int) -> Fate:
    """A registration cancelled because its event was cancelled is told once, by the event's mail.

    `RegistrationCancelled` names no cause, only who cancelled: community cancels each
    registration of a cancelled event as the system. So the event's status in the projection
    decides, when the mail is about to be written."""
    if event is not None and event.get("status") == "cancelled":
        return Fate.COVERED
    if context.get("cancelled_by") == "system" and attempts < EVENT_CANCELLATION_WAITS:
        return Fate.WAIT
    return Fate.SEND


def registrant_notices(
    event_id: str,
    event_type: str,
    data: Mapping[str, Any],
    registrations: Sequence[Mapping[str, Any]],
    occurred_at: datetime,
    now: datetime,
    max_age: timedelta,
) -> list[Notice]:
    """One notice per registrant still holding a place (confirmed or waitlisted) of a cancelled,
    rescheduled or retitled event; keyed by the event's id and the registration, so a
    redelivered event adds nothing.

    Of a cancelled event, the registrations the system cancelled with it are told too: the
    projection may have them cancelled already (their own mail then gives way to this one)."""
    kind = REGISTRANT_NOTICES.get(event_type)
    if kind is None or now - occurred_at > max_age:
        return []
    if kind == NoticeKind.EVENT_REVISED and not REVISIONS_TOLD & set(data.get("changed", [])):
        return []
    context: dict[str, Any] = {
        "title": data["title"],
        "starts_at": data["time"]["starts_at"],
        "time_zone": data.get("time_zone"),
        "event_id": data["event_id"],
        "reason": data.get("reason"),
        "previous_starts_at": (data.get("previous_time") or {}).get("starts_at"),
    }
    return [
        Notice(f"{event_id}:{r['registration_id']}", kind, r["member_id"], r["person_id"], context)
        for r in registrations
        if r["event_id"] == data["event_id"] and _holds_a_place(r, kind)
    ]


def _holds_a_place(registration: Mapping[str, Any], kind: NoticeKind) -> bool:
    if registration["status"] in ("confirmed", "waitlisted"):
        return True
    return (
        kind == NoticeKind.EVENT_CANCELLED
        and registration["status"] == "cancelled"
        and (registration.get("cancelled_by") or {}).get("role") == "system"
        and registration.get("previous_status") in ("confirmed", "waitlisted")
    )


def booking_reminder(booking: Mapping[str, Any], now: datetime) -> Notice | None:
    """A confirmed booking whose session starts within a day gets one reminder."""
    starts_at = moment(booking["session"]["starts_at"])
    if booking["status"] != "confirmed" or not now < starts_at <= now + REMINDER_AHEAD:
        return None
    return Notice(
        f"reminder:{booking['booking_id']}:{starts_at.isoformat()}",
        NoticeKind.BOOKING_REMINDER,
        booking["member_id"],
        booking["person_id"],
        {
            "title": booking["offering_title"],
            "starts_at": booking["session"]["starts_at"],
            "time_zone": booking.get("time_zone"),
            "booking_id": booking["booking_id"],
        },
    )


def event_reminder(registration: Mapping[str, Any], time_zone: str | None, now: datetime) -> Notice | None:
    """A confirmed registration whose event starts within a day gets one reminder."""
    starts_at = moment(registration["event_time"]["starts_at"])
    if registration["status"] != "confirmed" or not now < starts_at <= now + REMINDER_AHEAD:
        return None
    return Notice(
        f"reminder:{registration['registration_id']}:{starts_at.isoformat()}",
        NoticeKind.EVENT_REMINDER,
        registration["member_id"],
        registration["person_id"],
        {
            "title": registration["event_title"],
            "starts_at": registration["event_time"]["starts_at"],
            "time_zone": time_zone,
        },
    )


def residency_ending(residency: Mapping[str, Any], today: date) -> Notice | None:
    """An active residency whose last day is within 30 days: every person of the member is told once."""
    ends_on = day(residency["ends_on"])
    if residency["status"] != "active" or not today <= ends_on <= today + timedelta(days=RESIDENCY_NOTICE_DAYS):
        return None
    return Notice(
        f"residency-ending:{residency['residency_id']}:{ends_on.isoformat()}",
        NoticeKind.RESIDENCY_ENDING,
        residency["member_id"],
        None,
        {
            "ends_on": ends_on.isoformat(),
            "site_id": residency["site_id"],
            "space_id": residency["space_id"],
            "days_left": (ends_on - today).days,
        },
    )


def overdue_stage(days_overdue: int) -> int | None:
    """The latest stage an invoice `days_overdue` days past due has reached, None before the first.

    Only the latest: a stage missed (insights down that day) is not mailed late beside the next."""
    reached = [stage for stage in OVERDUE_STAGES if stage <= days_overdue]
    return reached[-1] if reached else None


def invoice_overdue(overdue: Overdue) -> Notice | None:
    """An overdue invoice's reminder at the stage it has reached: every person of the member is told
    once per stage (the id is the invoice and the stage)."""
    stage = overdue_stage(overdue.days)
    if stage is None:
        return None
    invoice = overdue.invoice
    return Notice(
        f"invoice-overdue:{invoice['invoice_id']}:{stage}",
        NoticeKind.INVOICE_OVERDUE,
        invoice["member_id"],
        None,
        {"stage": stage, **overdue_context(overdue)},
    )


def overdue_context(overdue: Overdue) -> dict[str, Any]:
    """What an overdue reminder says of its invoice: written again when the mail is, so it tells
    what is left then."""
    invoice = overdue.invoice
    return {
        "invoice_id": invoice["invoice_id"],
        "number": invoice["number"],
        "site_id": invoice["site_id"],
        "legal_entity": invoice["legal_entity"]["name"],
        "due_on": invoice["due_on"],
        "days_overdue": overdue.days,
        "amount_due_minor": overdue.left_minor,
        "total_minor": invoice["total_minor"],
        "currency": invoice["currency"],
    }


def overdue_reminders(known: Histories, today: date) -> list[Notice]:
    """The reminders due on `today` (a UTC date, as billing decides what is late): one per overdue
    invoice, at its latest stage; a settled or fully credited invoice is not overdue, so none."""
    return [n for n in map(invoice_overdue, overdue_invoices(known, today)) if n]


def recipients(member: Mapping[str, Any], person_id: str | None) -> list[Recipient]:
    """Who gets a member's notice: the person it is about, else (or if they left) everyone of the member."""
    people = [
        Recipient(p["email"], p["name"], template_language(p.get("language")), p.get("person_id"))
        for p in member.get("people", [])
        if person_id is None or p["person_id"] == person_id
    ]
    if people or person_id is None:
        return people
    return recipients(member, None)


TEMPLATE_LANGUAGES = ("fr", "en", "ar")
"""The languages a member may choose (`parkgrid.contracts.common.Language`), each with its templates."""


def template_language(language: str | None) -> str:
    """The person's language if it has templates; anyone else reads French, the network's working language."""
    return language if language in TEMPLATE_LANGUAGES else "fr"


ARABIC_WEEKDAYS = ("الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد")
ARABIC_MONTHS = (
    "يناير",
    "فبراير",
    "مارس",
    "أبريل",
    "ماي",
    "يونيو",
    "يوليوز",
    "غشت",
    "شتنبر",
    "أكتوبر",
    "نونبر",
    "دجنبر",
)
"""The months as Moroccan Arabic writing names them (press, administration); digits are Western
Arabic (0-9), as in Morocco."""


def local_time(value: str, time_zone: str | None, language: str) -> str:
    """A session's start as the member reads it, in the site's zone."""
    local = moment(value).astimezone(zone(time_zone))
    label = time_zone or "UTC"
    if language == "en":
        return f"{local:%A %d %B %Y, %H:%M} ({label})"
    if language == "ar":
        return f"{ARABIC_WEEKDAYS[local.weekday()]} {local_day(local.date(), language)}، الساعة {local:%H:%M} ({label})"
    days = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
    return f"{days[local.weekday()]} {local:%d/%m/%Y à %H:%M} ({label})"


def local_day(value: str | date, language: str) -> str:
    """A calendar day (a residency's end, an office's first day) as the member reads it; ISO for fr and en."""
    when = value if isinstance(value, date) else day(value)
    if language == "ar":
        return f"{when.day} {ARABIC_MONTHS[when.month - 1]} {when.year}"
    return when.isoformat()


def arabic_days(count: int) -> str:
    """In N days, in Arabic, the noun agreeing with its number (0 is today)."""
    if count <= 0:
        return "اليوم"
    if count == 1:
        return "بعد يوم واحد"
    if count == 2:
        return "بعد يومين"
    if count <= 10:
        return f"بعد {count} أيام"
    return f"بعد {count} يومًا"


NARROW_NO_BREAK_SPACE = "\u202f"


def amount(minor: int, currency: str, language: str) -> str:
    """Minor units as the member reads an amount: `1 234,56 MAD` (fr, narrow no-break spaces, as on
    billing's invoices), `1,234.56 MAD` (en), `1.234,56 MAD` (ar, as Moroccan Arabic writing groups
    it, Western digits; the web app's forms). Integer arithmetic: never a float's rounding."""
    sign = "-" if minor < 0 else ""
    units, cents = divmod(abs(minor), 100)
    grouped = f"{units:,}"
    if language == "en":
        return f"{sign}{grouped}.{cents:02d} {currency}"
    separator = "." if language == "ar" else NARROW_NO_BREAK_SPACE
    return f"{sign}{grouped.replace(',', separator)},{cents:02d} {currency}"


def arabic_days_ago(count: int) -> str:
    """N days ago (since N days), in Arabic, the noun agreeing with its number: with digits, 3 to 10
    take the plural, 11 to 99 the singular accusative, hundreds the singular."""
    if count <= 0:
        return "اليوم"
    if count == 1:
        return "منذ يوم واحد"
    if count == 2:
        return "منذ يومين"
    if 3 <= count % 100 <= 10:
        return f"منذ {count} أيام"
    if 11 <= count % 100 <= 99:
        return f"منذ {count} يومًا"
    return f"منذ {count} يوم"


def retry_delay(attempts: int, first: float, ceiling: float = 3600.0) -> timedelta:
    """Exponential backoff after `attempts` failures."""
    return timedelta(seconds=min(ceiling, first * 2 ** max(0, attempts - 1)))
