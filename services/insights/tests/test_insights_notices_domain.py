"""The notice rules without infrastructure: what an event implies, when reminders and residency
notices are due, who receives, in which language, and how long a retry waits."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from insights.adapters.mail import Templates
from insights.domain.notices import (
    NoticeKind,
    booking_reminder,
    notice_for_event,
    recipients,
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
    assert [template_language(x) for x in ("fr", "en", "ar", None)] == ["fr", "en", "fr", "fr"]


def test_backoff_doubles_up_to_a_ceiling() -> None:
    assert [retry_delay(n, 30).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert retry_delay(30, 30) == timedelta(hours=1)


def test_every_kind_renders_in_french_and_english() -> None:
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
    }
    for kind in NoticeKind:
        french = templates.render(kind.value, "fr", "Salma", context)
        english = templates.render(kind.value, "en", "John", context)
        assert french[0]
        assert english[0]
        assert "Bonjour Salma" in french[1]
        assert "Hello John" in english[1]
    subject, body = templates.render("booking_confirmed", "fr", "Salma", context)
    assert subject == "Réservation confirmée : Atelier"
    assert "mardi 01/12/2026 à 10:30 (Africa/Casablanca)" in body
