"""Member notifications over the real broker, store and an SMTP sink (aiosmtpd): each mail once in
the person's language even when every event arrives twice; a refusing mailbox is retried with
backoff without holding up anyone else; a notice waits for a member projected later; reminders
the day before and residencies ending within 30 days are sent once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from insights_fixtures import Sink, app, eventually, publish, settings, smtp_sink, wrap
from prometheus_client import REGISTRY

from insights.adapters.mail import SentLog
from insights.adapters.projection import InsightsStore
from insights.service_layer.notifications import Notifications
from insights.settings import InsightsSettings
from parkgrid.contracts import bookings as b
from parkgrid.contracts import community as c
from parkgrid.contracts import spaces as s
from parkgrid.envelope import Envelope

__all__ = ["app", "settings", "smtp_sink"]

TZ = "Africa/Casablanca"
STAFF = {"role": "front_desk", "subject": "staff-1"}


def member(member_id: str, people: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "member_id": member_id,
        "name": f"Startup {member_id}",
        "kind": "startup",
        "sector": "fintech",
        "home_site_id": "site-rabat",
        "status": "active",
        "programme": {"stage": "incubation", "started_on": "2026-01-05"},
        "people": people,
    }


def person(person_id: str, email: str, language: str) -> dict[str, Any]:
    return {"person_id": person_id, "name": person_id.upper(), "email": email, "role": "CEO", "language": language}


def booking(booking_id: str, member_id: str, person_id: str, starts: datetime, status: str) -> dict[str, Any]:
    return {
        "booking_id": booking_id,
        "offering_id": "off-1",
        "offering_title": {"fr": "Clinique juridique", "en": "Legal clinic"},
        "category": "legal_clinic",
        "site_id": "site-rabat",
        "time_zone": TZ,
        "session": {"starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=1)).isoformat()},
        "member_id": member_id,
        "person_id": person_id,
        "party_size": 1,
        "booked_by": STAFF,
        "status": status,
        "requested_at": (starts - timedelta(days=2)).isoformat(),
    }


async def test_each_mail_once_in_the_persons_language_and_a_refusing_mailbox_never_blocks(
    app: FastAPI, settings: InsightsSettings, smtp_sink: tuple[Sink, int]
) -> None:
    sink, _ = smtp_sink
    sink.refusals["flaky@example.ma"] = 2
    mail_before = {outcome: mails_counted(settings, outcome) for outcome in ("sent", "failed")}
    now = datetime.now(UTC)
    soon = now + timedelta(days=3)
    m1 = member("m-1", [person("p-fr", "salma@example.ma", "fr"), person("p-en", "john@example.ma", "en")])
    m2 = member("m-2", [person("p-flaky", "flaky@example.ma", "en")])
    m3 = member("m-3", [person("p-late", "late@example.ma", "ar")])
    confirmed = b.BookingConfirmed.model_validate(
        {**booking("bk-1", "m-1", "p-fr", soon, "confirmed"), "confirmed_at": now.isoformat()}
    )
    cancelled = b.BookingCancelled.model_validate(
        {
            **booking("bk-2", "m-2", "p-flaky", soon, "cancelled"),
            "cancelled_by": STAFF,
            "late": True,
            "previous_status": "confirmed",
        }
    )
    registration = c.RegistrationConfirmed.model_validate(
        {
            "registration_id": "reg-1",
            "event_id": "ev-1",
            "member_id": "m-1",
            "person_id": "p-en",
            "status": "confirmed",
            "registered_at": now.isoformat(),
            "registered_by": {"role": "member", "subject": "p-en"},
            "event_time": {"starts_at": soon.isoformat(), "ends_at": (soon + timedelta(hours=2)).isoformat()},
            "event_title": {"fr": "Soirée pitch", "en": "Pitch night"},
        }
    )
    rejected = b.BookingRejected.model_validate(
        {**booking("bk-3", "m-3", "p-late", soon, "rejected"), "reason": "no_space", "detail": "no room free"}
    )
    items: list[tuple[str, Envelope]] = [
        ("community.member", wrap(c.MemberRegistered.model_validate(m1), "m-1", 1, "community")),
        ("community.member", wrap(c.MemberRegistered.model_validate(m2), "m-2", 1, "community")),
        ("bookings.booking", wrap(confirmed, "bk-1", 1, "bookings")),
        ("bookings.booking", wrap(cancelled, "bk-2", 3, "bookings")),
        ("community.registration", wrap(registration, "reg-1", 1, "community")),
        ("bookings.booking", wrap(rejected, "bk-3", 2, "bookings")),  # m-3 is not known yet
    ]
    await publish(settings, items + items)  # every event twice

    async def first_mails() -> bool:
        return {m["To"] for m in sink.messages} >= {"salma@example.ma", "john@example.ma", "flaky@example.ma"}

    await eventually(first_mails, within=30, what="the first mails")
    # m-3 arrives after its booking's event: the notice waited for it.
    await publish(settings, [("community.member", wrap(c.MemberRegistered.model_validate(m3), "m-3", 1, "community"))])

    async def late_mail() -> bool:
        return bool(sink.to("late@example.ma"))

    await eventually(late_mail, within=20, what="the mail of a member projected later")
    notifications: Notifications = app.state.components[Notifications]
    await notifications.tick()  # one more round: nothing is due twice

    assert [m["Subject"] for m in sink.to("salma@example.ma")] == ["Réservation confirmée : Clinique juridique"]
    assert [m["Subject"] for m in sink.to("john@example.ma")] == ["Registration confirmed: Pitch night"]
    assert [m["Subject"] for m in sink.to("flaky@example.ma")] == ["Booking cancelled: Legal clinic"]
    # Arabic, with the French title where the offering has no Arabic one.
    assert [m["Subject"] for m in sink.to("late@example.ma")] == ["تعذّر تأكيد الحجز: Clinique juridique"]
    salma = sink.to("salma@example.ma")[0].get_content()
    assert "Bonjour P-FR" in salma
    assert "(Africa/Casablanca)" in salma
    assert "credits are not given back" in sink.to("flaky@example.ma")[0].get_content()
    assert sink.refused == ["flaky@example.ma", "flaky@example.ma"]
    assert len(sink.messages) == 4

    sent_log: SentLog = notifications.sent_log
    rows = {r["email"]: r for r in await sent_log.rows()}
    assert {r["status"] for r in rows.values()} == {"sent"}
    assert rows["flaky@example.ma"]["attempts"] == 2
    assert rows["salma@example.ma"]["attempts"] == 0
    # What an operator sees on /metrics: four sent, two refused attempts.
    assert mails_counted(settings, "sent") - mail_before["sent"] == 4
    assert mails_counted(settings, "failed") - mail_before["failed"] == 2


def mails_counted(settings: InsightsSettings, outcome: str) -> float:
    sample = REGISTRY.get_sample_value(
        "parkgrid_mail_messages_total", {"service": settings.service_name, "outcome": outcome}
    )
    return sample or 0.0


async def test_reminders_the_day_before_and_residencies_ending_are_sent_once(
    app: FastAPI, settings: InsightsSettings, smtp_sink: tuple[Sink, int]
) -> None:
    sink, _ = smtp_sink
    now = datetime.now(UTC)
    m1 = member("m-1", [person("p-fr", "salma@example.ma", "fr"), person("p-en", "john@example.ma", "en")])
    tomorrow = now + timedelta(hours=20)
    next_week = now + timedelta(days=7)
    old = now - timedelta(days=5)  # history: these events send nothing themselves

    def confirmed(booking_id: str, starts: datetime) -> b.BookingConfirmed:
        data = {**booking(booking_id, "m-1", "p-en", starts, "confirmed"), "requested_at": old.isoformat()}
        return b.BookingConfirmed.model_validate({**data, "confirmed_at": old.isoformat()})

    today = now.date()
    residency: dict[str, Any] = {
        "residency_id": "res-1",
        "member_id": "m-1",
        "site_id": "site-rabat",
        "space_id": "office-1",
        "space_kind": "private_office",
        "seats": 4,
        "starts_on": (today - timedelta(days=500)).isoformat(),
        "ends_on": (today + timedelta(days=20)).isoformat(),
        "status": "active",
        "allocated_by": STAFF,
    }
    far = {**residency, "residency_id": "res-2", "ends_on": (today + timedelta(days=90)).isoformat()}
    items = [
        ("community.member", wrap(c.MemberRegistered.model_validate(m1), "m-1", 1, "community")),
        ("bookings.booking", wrap(confirmed("bk-soon", tomorrow), "bk-soon", 1, "bookings")),
        ("bookings.booking", wrap(confirmed("bk-later", next_week), "bk-later", 1, "bookings")),
        ("spaces.residency", wrap(s.ResidencyStarted.model_validate(residency), "res-1", 1, "spaces")),
        ("spaces.residency", wrap(s.ResidencyStarted.model_validate(far), "res-2", 1, "spaces")),
    ]
    items = [(topic, envelope.model_copy(update={"time": old})) for topic, envelope in items]
    await publish(settings, items)
    store = app.state.components[InsightsStore]

    async def projected() -> bool:
        return bool(await store.facts.count_documents({}) == len(items))

    await eventually(projected, within=30, what="the projection")
    notifications: Notifications = app.state.components[Notifications]
    assert await notifications.schedule() == 2  # bk-soon's reminder, res-1's ending
    assert await notifications.schedule() == 0

    async def mails() -> bool:
        return len(sink.messages) == 3

    await eventually(mails, within=20, what="the reminder and the residency mails")
    await notifications.tick()
    assert sorted(m["Subject"] for m in sink.to("john@example.ma")) == [
        "Reminder: Legal clinic tomorrow",
        f"Your residency ends on {today + timedelta(days=20)}",
    ]
    assert [m["Subject"] for m in sink.to("salma@example.ma")] == [
        f"Votre résidence se termine le {today + timedelta(days=20)}"
    ]
    assert "dans 20 jours" in sink.to("salma@example.ma")[0].get_content()
    assert date.fromisoformat(residency["ends_on"]) - today == timedelta(days=20)
    assert len(sink.messages) == 3
