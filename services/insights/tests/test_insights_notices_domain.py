"""The notice rules without infrastructure: what an event implies, when reminders and residency
notices are due, who receives, in which language, and how long a retry waits."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from insights.adapters.mail import TEMPLATES, Templates
from insights.domain.notices import (
    EVENT_CANCELLATION_WAITS,
    Fate,
    NoticeKind,
    arabic_days,
    booking_reminder,
    notice_for_event,
    recipients,
    registrant_notices,
    registration_cancelled_fate,
    residency_ending,
    retry_delay,
    template_language,
)

NOW = datetime(2026, 11, 27, 10, tzinfo=UTC)
DAY = timedelta(hours=48)


def booking(starts: datetime, status: str = "confirmed") -> dict[str, object]:
    return {
        "booking_id": "bk-1",
        "offering_title": {"fr": "Mentorat", "en": "Mentoring"},
        "session": {"starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=1)).isoformat()},
        "time_zone": "Africa/Casablanca",
        "member_id": "m-1",
        "person_id": "p-1",
        "status": status,
    }


def test_an_event_implies_one_notice_keyed_by_its_id_unless_it_is_old_history() -> None:
    data = booking(NOW + timedelta(days=2))
    notice = notice_for_event("ev-id", "parkgrid.bookings.booking.confirmed", data, NOW, NOW, DAY)
    assert notice is not None
    assert (notice.notice_id, notice.kind, notice.person_id) == ("ev-id", NoticeKind.BOOKING_CONFIRMED, "p-1")
    old = NOW - timedelta(days=3)
    assert notice_for_event("ev-id", "parkgrid.bookings.booking.confirmed", data, old, NOW, DAY) is None
    assert notice_for_event("ev-id", "parkgrid.bookings.booking.completed", data, NOW, NOW, DAY) is None


def test_a_reminder_within_the_last_day_only_and_keyed_by_the_session() -> None:
    tomorrow = booking(NOW + timedelta(hours=20))
    reminder = booking_reminder(tomorrow, NOW)
    assert reminder is not None
    assert reminder.notice_id == f"reminder:bk-1:{(NOW + timedelta(hours=20)).isoformat()}"
    assert booking_reminder(booking(NOW + timedelta(hours=30)), NOW) is None
    assert booking_reminder(booking(NOW - timedelta(hours=1)), NOW) is None
    assert booking_reminder(booking(NOW + timedelta(hours=2), "cancelled"), NOW) is None


def test_a_residency_ending_within_30_days_tells_everyone_once_per_end_date() -> None:
    residency = {"residency_id": "r-1", "member_id": "m-1", "site_id": "s", "space_id": "o", "status": "active"}
    today = NOW.date()
    soon = residency_ending({**residency, "ends_on": (today + timedelta(days=30)).isoformat()}, today)
    assert soon is not None
    assert soon.person_id is None
    assert soon.notice_id == f"residency-ending:r-1:{today + timedelta(days=30)}"
    assert residency_ending({**residency, "ends_on": (today + timedelta(days=31)).isoformat()}, today) is None
    assert residency_ending({**residency, "ends_on": str(today), "status": "ended"}, today) is None
    assert residency_ending({**residency, "ends_on": str(date(2026, 1, 1))}, today) is None


def test_recipients_and_languages() -> None:
    member = {
        "people": [
            {"person_id": "p-1", "name": "Salma", "email": "s@example.ma", "language": "fr"},
            {"person_id": "p-2", "name": "John", "email": "j@example.ma", "language": "en"},
            {"person_id": "p-3", "name": "Amal", "email": "a@example.ma", "language": "ar"},
        ]
    }
    assert [r.email for r in recipients(member, "p-2")] == ["j@example.ma"]
    assert len(recipients(member, None)) == 3
    assert len(recipients(member, "p-gone")) == 3  # the person left: the organisation is told
    assert [template_language(x) for x in ("fr", "en", "ar", None)] == ["fr", "en", "ar", "fr"]
    assert [template_language(x) for x in ("es", "")] == ["fr", "fr"]


def test_backoff_doubles_up_to_a_ceiling() -> None:
    assert [retry_delay(n, 30).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert retry_delay(30, 30) == timedelta(hours=1)


def test_every_kind_renders_in_french_english_and_arabic() -> None:
    templates = Templates()
    context = {
        "title": {"fr": "Atelier", "en": "Workshop"},
        "starts_at": "2026-12-01T09:30:00+00:00",
        "time_zone": "Africa/Casablanca",
        "reason": "no room free",
        "late": True,
        "position": 2,
        "ends_on": "2026-12-20",
        "site_id": "site-rabat",
        "space_id": "office-1",
        "days_left": 23,
        "previous_starts_at": "2026-11-30T09:30:00+00:00",
        "seats": 4,
        "space_name": "Bureau 101",
        "starts_on": "2027-01-01",
        "guest_name": "Karim Benali",
        "guest_company": None,
        "site_name": "Technopark Rabat",
        "arrived_at": "2026-12-01T09:41:00Z",
        "number": "TPR-2026-000042",
        "legal_entity": "Technopark Rabat SA",
        "due_on": "2026-11-15",
        "days_overdue": 16,
        "amount_due_minor": 290000,
        "total_minor": 390000,
        "currency": "MAD",
    }
    for kind in NoticeKind:
        french = templates.render(kind.value, "fr", "Salma", context)
        english = templates.render(kind.value, "en", "John", context)
        arabic = templates.render(kind.value, "ar", "Amal", context)
        assert french[0]
        assert english[0]
        assert arabic[0]
        assert "Bonjour Salma" in french[1]
        assert "Hello John" in english[1]
        assert arabic[1].startswith("مرحبًا Amal،"), kind
        # Arabic text throughout: no French or English words left in the template's own text.
        own = arabic[0] + arabic[1]
        for word in ("Bonjour", "Hello", "Votre", "Your", "Subject", "{{", "{%"):
            assert word not in own, (kind, word)
        if "c.starts_at" in (Path(TEMPLATES) / "ar" / f"{kind.value}.txt").read_text():
            assert "الثلاثاء 1 دجنبر 2026، الساعة 10:30 (Africa/Casablanca)" in arabic[1], kind
    subject, body = templates.render("booking_confirmed", "fr", "Salma", context)
    assert subject == "Réservation confirmée : Atelier"
    assert "mardi 01/12/2026 à 10:30 (Africa/Casablanca)" in body
    subject, body = templates.render("booking_confirmed", "ar", "Amal", context)
    assert subject == "تأكيد الحجز: Atelier"  # no Arabic title: the French one
    assert "تم تأكيد حجزك «Atelier» يوم الثلاثاء 1 دجنبر 2026، الساعة 10:30 (Africa/Casablanca)." in body
    arabic_title = {**context, "title": {"fr": "Atelier", "en": "Workshop", "ar": "ورشة عمل"}}
    assert templates.render("event_cancelled", "ar", "Amal", arabic_title)[0] == "إلغاء الفعالية: ورشة عمل"
    subject, body = templates.render("residency_ending", "ar", "Amal", context)
    assert subject == "تنتهي إقامتكم يوم 20 دجنبر 2026"
    assert "أي بعد 23 يومًا" in body
    _, offered = templates.render("office_offered", "ar", "Amal", context)
    assert "ابتداءً من 1 يناير 2027" in offered


def test_arabic_counts_of_days_agree_with_their_number() -> None:
    assert [arabic_days(n) for n in (0, 1, 2, 3, 10, 11, 30)] == [
        "اليوم",
        "بعد يوم واحد",
        "بعد يومين",
        "بعد 3 أيام",
        "بعد 10 أيام",
        "بعد 11 يومًا",
        "بعد 30 يومًا",
    ]


EVENT: dict[str, Any] = {
    "event_id": "evt-1",
    "title": {"fr": "Demo day", "en": "Demo day"},
    "time": {"starts_at": "2026-12-09T15:00:00+00:00", "ends_at": "2026-12-09T18:00:00+00:00"},
    "previous_time": {"starts_at": "2026-12-08T15:00:00+00:00", "ends_at": "2026-12-08T18:00:00+00:00"},
    "time_zone": "Africa/Casablanca",
    "reason": "Intempéries",
}


def registration(registration_id: str, status: str, event_id: str = "evt-1") -> dict[str, object]:
    return {
        "registration_id": registration_id,
        "event_id": event_id,
        "member_id": "m-1",
        "person_id": "p-1",
        "status": status,
    }


def test_registrants_holding_a_place_are_told_of_a_cancelled_rescheduled_or_retitled_event() -> None:
    held = [registration("r-1", "confirmed"), registration("r-2", "waitlisted")]
    others = [registration("r-3", "cancelled"), registration("r-4", "confirmed", event_id="evt-2")]
    for event_type, kind in [
        ("parkgrid.community.event.cancelled", NoticeKind.EVENT_CANCELLED),
        ("parkgrid.community.event.rescheduled", NoticeKind.EVENT_RESCHEDULED),
    ]:
        notices = registrant_notices("ev-9", event_type, EVENT, [*held, *others], NOW, NOW, DAY)
        assert [(n.notice_id, n.kind) for n in notices] == [("ev-9:r-1", kind), ("ev-9:r-2", kind)]
    retitled = {**EVENT, "changed": ["title", "capacity"]}
    assert len(registrant_notices("ev-9", "parkgrid.community.event.revised", retitled, held, NOW, NOW, DAY)) == 2
    bigger = {**EVENT, "changed": ["capacity", "description"]}
    assert registrant_notices("ev-9", "parkgrid.community.event.revised", bigger, held, NOW, NOW, DAY) == []
    old = NOW - timedelta(days=3)
    assert registrant_notices("ev-9", "parkgrid.community.event.cancelled", EVENT, held, old, NOW, DAY) == []


def test_a_registration_cancelled_with_its_event_is_told_once_by_the_events_mail() -> None:
    by_event = {
        **registration("r-5", "cancelled"),
        "cancelled_by": {"role": "system", "subject": "community"},
        "previous_status": "confirmed",
    }
    by_person = {**by_event, "registration_id": "r-6", "cancelled_by": {"role": "member", "subject": "p-1"}}
    # The projection may hold the registration cancelled already: the event's mail still reaches it.
    notices = registrant_notices(
        "ev-9", "parkgrid.community.event.cancelled", EVENT, [by_event, by_person], NOW, NOW, DAY
    )
    assert [n.notice_id for n in notices] == ["ev-9:r-5"]
    moved = registrant_notices("ev-9", "parkgrid.community.event.rescheduled", EVENT, [by_event], NOW, NOW, DAY)
    assert moved == []

    cancelled = {**by_event, "event_title": EVENT["title"], "event_time": EVENT["time"]}
    notice = notice_for_event("ev-5", "parkgrid.community.registration.cancelled", cancelled, NOW, NOW, DAY)
    assert notice is not None
    assert notice.context["cancelled_by"] == "system"
    event = {**EVENT, "status": "cancelled"}
    assert registration_cancelled_fate(notice.context, event, 0) == Fate.COVERED
    published = {**EVENT, "status": "published"}
    # The event's cancellation is not projected yet: wait a little, then send rather than nothing.
    assert registration_cancelled_fate(notice.context, published, 0) == Fate.WAIT
    assert registration_cancelled_fate(notice.context, None, EVENT_CANCELLATION_WAITS - 1) == Fate.WAIT
    assert registration_cancelled_fate(notice.context, published, EVENT_CANCELLATION_WAITS) == Fate.SEND
    mine = {**notice.context, "cancelled_by": "member"}
    assert registration_cancelled_fate(mine, published, 0) == Fate.SEND
    assert registration_cancelled_fate(mine, event, 0) == Fate.COVERED


def test_office_offers_expired_holds_and_cancelled_registrations_are_notices() -> None:
    entry = {
        "entry_id": "w-1",
        "site_id": "site-rabat",
        "member_id": "m-1",
        "seats": 4,
        "offer": {"space_name": "Bureau 101", "starts_on": "2027-01-01"},
    }
    offered = notice_for_event("ev-1", "parkgrid.spaces.waitlist.offered", entry, NOW, NOW, DAY)
    lapsed = notice_for_event("ev-2", "parkgrid.spaces.waitlist.offer_lapsed", entry, NOW, NOW, DAY)
    assert offered is not None
    assert lapsed is not None
    assert (offered.kind, offered.person_id) == (NoticeKind.OFFICE_OFFERED, None)  # the whole organisation
    assert lapsed.kind == NoticeKind.OFFICE_OFFER_LAPSED
    expired = {**booking(NOW + timedelta(days=2)), "reason": "hold_expired"}
    hold = notice_for_event("ev-3", "parkgrid.bookings.booking.rejected", expired, NOW, NOW, DAY)
    assert hold is not None
    assert hold.kind == NoticeKind.BOOKING_HOLD_EXPIRED
    other = {**expired, "reason": "no_space"}
    rejected = notice_for_event("ev-4", "parkgrid.bookings.booking.rejected", other, NOW, NOW, DAY)
    assert rejected is not None
    assert rejected.kind == NoticeKind.BOOKING_REJECTED
    cancelled = {**registration("r-1", "cancelled"), "event_title": EVENT["title"], "event_time": EVENT["time"]}
    told = notice_for_event("ev-5", "parkgrid.community.registration.cancelled", cancelled, NOW, NOW, DAY)
    assert told is not None
    assert told.kind == NoticeKind.REGISTRATION_CANCELLED


def test_a_rescheduled_event_names_both_times_in_the_sites_zone() -> None:
    context = {**EVENT, "starts_at": EVENT["time"]["starts_at"], "previous_starts_at": "2026-12-08T15:00:00+00:00"}
    _, body = Templates().render("event_rescheduled", "fr", "Salma", context)
    assert "mercredi 09/12/2026 à 16:00" in body
    assert "mardi 08/12/2026 à 16:00" in body


def test_the_host_alone_is_told_of_their_visitors_arrival_in_the_sites_time() -> None:
    visit = {
        "visit_id": "vis-1",
        "site_id": "site-rabat",
        "day": "2026-12-01",
        "time_zone": "Africa/Casablanca",
        "member_id": "m-1",
        "host_person_id": "p-2",
        "guest_name": "Salma Idrissi",
        "guest_company": "Maghreb Seed Fund",
        "status": "arrived",
        "arrived_at": "2026-12-01T09:41:00Z",
    }
    arrived = notice_for_event("ev-7", "parkgrid.spaces.visit.arrived", visit, NOW, NOW, DAY)
    assert arrived is not None
    assert (arrived.kind, arrived.member_id, arrived.person_id) == (NoticeKind.VISITOR_ARRIVED, "m-1", "p-2")
    for other in ("expected", "left", "cancelled"):
        assert notice_for_event("ev-8", f"parkgrid.spaces.visit.{other}", visit, NOW, NOW, DAY) is None
    context = {**arrived.context, "site_name": "Technopark Rabat"}
    subject, body = Templates().render("visitor_arrived", "fr", "Omar", context)
    assert subject == "Votre visiteur est arrivé à l'accueil"
    assert "Salma Idrissi (Maghreb Seed Fund)" in body
    assert "mardi 01/12/2026 à 10:41 (Africa/Casablanca)" in body
    _, arabic = Templates().render("visitor_arrived", "ar", "Amal", {**context, "guest_company": None})
    assert "Salma Idrissi إلى مكتب الاستقبال في Technopark Rabat" in arabic
