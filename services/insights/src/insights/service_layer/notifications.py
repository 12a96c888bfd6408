"""Member notifications: events become notices, notices become one mail per recipient.

Three steps, each safe to repeat:
1. `on_event` (a Kafka consumer) stores the notice an event implies, keyed by the event's
   id: a redelivered event is a duplicate insert and adds nothing.
2. `resolve` finds the recipients in the members projection (a notice whose member is not
   projected yet waits and retries) and claims one sent-log row per (event, recipient),
   rendered in the person's language.
3. `deliver` sends each due row on its own: a refused recipient is retried with
   exponential backoff and never holds up anyone else's mail.
`schedule` adds the periodic notices: reminders the day before a session or event,
residencies ending within 30 days, and overdue invoices at each of their stages (read from
billing's facts by the receivables KPI's own rule); and forgets visitors' names past their
retention.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from insights.adapters.keys import SUBJECT_KEYS, SubjectKeys
from insights.adapters.mail import Mail, Notices, SentLog, SmtpRelay, Templates
from insights.adapters.projection import InsightsStore
from insights.domain.facts import Histories, histories_as_of
from insights.domain.kpis_billing import INVOICES, PAYMENTS, Overdue, overdue_invoices
from insights.domain.notices import (
    REGISTRANT_NOTICES,
    Fate,
    Notice,
    NoticeKind,
    booking_reminder,
    event_reminder,
    notice_for_event,
    overdue_context,
    overdue_reminders,
    recipients,
    registrant_notices,
    registration_cancelled_fate,
    residency_ending,
    retry_delay,
)
from insights.service_layer.rounds import Rounds
from insights.settings import InsightsSettings
from parkgrid.clock import utc_now
from parkgrid.consumer import Delivery
from parkgrid.logging import get_logger
from parkgrid.metrics import count_mail

log = get_logger(__name__)

RESOLVE_ATTEMPTS = 20
NOTIFYING_TOPICS = (
    "bookings.booking",
    "bookings.waitlist",
    "community.registration",
    "community.event",
    "spaces.waitlist",
    "spaces.visit",
)


class Notifications:
    def __init__(
        self,
        *,
        store: InsightsStore,
        notices: Notices,
        sent_log: SentLog,
        relay: SmtpRelay,
        settings: InsightsSettings,
        templates: Templates | None = None,
        clock: Callable[[], datetime] = utc_now,
        keys: SubjectKeys | None = None,
    ) -> None:
        self.store = store
        self.keys = keys or SubjectKeys(store.db[SUBJECT_KEYS])
        self.notices = notices
        self.sent_log = sent_log
        self.relay = relay
        self.settings = settings
        self.templates = templates or Templates()
        self.clock = clock
        self.rounds = Rounds("mailer", settings.mailer_interval_seconds)
        self._last_schedule: datetime | None = None

    async def ensure_indexes(self) -> None:
        await self.notices.ensure_indexes()
        await self.sent_log.ensure_indexes()

    # --- 1. events → notices -----------------------------------------------------------------

    async def on_event(self, delivery: Delivery) -> None:
        envelope = delivery.envelope
        occurred_at = envelope.time if envelope.time.tzinfo else envelope.time.replace(tzinfo=UTC)
        max_age = timedelta(hours=self.settings.notify_max_age_hours)
        notices = [notice_for_event(envelope.id, envelope.type, envelope.data, occurred_at, self.clock(), max_age)]
        if envelope.type in REGISTRANT_NOTICES:
            # the registrants as the projection holds them (registrations precede what happens to their event)
            registrations = await self.store.registrations_of_event(envelope.data["event_id"])
            notices += registrant_notices(
                envelope.id, envelope.type, envelope.data, registrations, occurred_at, self.clock(), max_age
            )
        added = 0
        for notice in notices:
            if notice is not None:
                added += await self.notices.add(notice, self.clock())
        if added:
            self.rounds.wake()

    async def schedule(self, now: datetime | None = None) -> int:
        """Add the reminders, residency endings and overdue invoices' reminders that are due; returns
        how many were new."""
        now = now or self.clock()
        found: list[Notice] = []
        for booking in await self.store.states("bookings.booking", status="confirmed"):
            found += [n for n in [booking_reminder(booking, now)] if n]
        zones: dict[str, str | None] = {}
        for registration in await self.store.states("community.registration", status="confirmed"):
            event_id = registration["event_id"]
            if event_id not in zones:
                event = await self.store.state("community.event", event_id)
                zones[event_id] = None if event is None else event.get("time_zone")
            found += [n for n in [event_reminder(registration, zones[event_id], now)] if n]
        for residency in await self.store.states("spaces.residency", status="active"):
            found += [n for n in [residency_ending(residency, now.date())] if n]
        found += overdue_reminders(await self._billing(now), now.date())
        await self.forget_guests(now)
        added = 0
        for notice in found:
            added += await self.notices.add(notice, now)
        if added:
            self.rounds.wake()
        return added

    async def _billing(self, now: datetime) -> Histories:
        """Billing's invoices, credit notes and payments as of `now`, folded from the fact log as the
        money KPIs fold them."""
        return histories_as_of(await self.store.facts_of((INVOICES, PAYMENTS)), now)

    async def forget_guests(self, now: datetime) -> int:
        """A visitor's name and company are personal data: `visitor_retention_days` after the host's
        notice they leave the notice and its sent mails (the fact of the mail stays); how many notices."""
        before = now - timedelta(days=self.settings.visitor_retention_days)
        ids = await self.notices.forget_guests(NoticeKind.VISITOR_ARRIVED, before)
        if ids:
            await self.sent_log.forget(ids, "(erased: a visitor's personal data)")
            log.info("notice.visitors_forgotten", notices=len(ids), keep_days=self.settings.visitor_retention_days)
        return len(ids)

    # --- 2. notices → sent-log rows ----------------------------------------------------------

    async def resolve(self, now: datetime | None = None) -> int:
        now = now or self.clock()
        claimed = 0
        due = await self.notices.due(now)
        overdue: dict[str, Overdue] = {}
        if any(doc["kind"] == NoticeKind.INVOICE_OVERDUE for doc in due):
            # what is overdue now, not when the notice was added: paid or credited meanwhile, no mail
            overdue = {o.invoice["invoice_id"]: o for o in overdue_invoices(await self._billing(now), now.date())}
        for doc in due:
            try:
                claimed += await self._resolve_one(doc, now, overdue)
            except Exception as exc:  # one notice that cannot be rendered must not stop the others
                log.warning("notice.unresolved", notice=doc["_id"], error=repr(exc))
                await self._retry_later(doc, now, "unresolvable")
        return claimed

    async def _resolve_one(self, doc: dict[str, Any], now: datetime, overdue: dict[str, Overdue]) -> int:
        if doc["kind"] == NoticeKind.INVOICE_OVERDUE:
            late = overdue.get(doc["context"]["invoice_id"])
            if late is None:  # settled or credited since the schedule found it late
                await self.notices.settle(doc["_id"], "not_overdue")
                return 0
            doc = {**doc, "context": {**doc["context"], **overdue_context(late)}}
        if doc["kind"] == NoticeKind.REGISTRATION_CANCELLED:
            event = await self.store.state("community.event", doc["context"]["event_id"])
            fate = registration_cancelled_fate(doc["context"], event, doc["attempts"])
            if fate == Fate.COVERED:  # the event-cancelled mail tells the registrant: one mail, not two
                await self.notices.settle(doc["_id"], "covered")
                return 0
            if fate == Fate.WAIT:
                await self._retry_later(doc, now, "unresolvable")
                return 0
        member = await self.store.state("community.member", doc["member_id"])
        if member is None:
            await self._retry_later(doc, now, "no_recipient")
            return 0
        people_in_clear, closed = await self.keys.opened_people(member)
        if closed and (doc["person_id"] is None or doc["person_id"] in closed):
            await self._retry_later(doc, now, "no_recipient")  # their key is on its way (or they are being erased)
            return 0
        context = await self._complete(doc["kind"], dict(doc["context"]))
        people = recipients({**member, "people": people_in_clear}, doc["person_id"])
        claimed = 0
        for person in people:
            subject, body = self.templates.render(doc["kind"], person.language, person.name, context)
            mail = Mail(doc["_id"], person.email, person.language, subject, body, person.person_id)
            claimed += await self.sent_log.claim(mail, now)
        await self.notices.settle(doc["_id"], "resolved" if people else "no_recipient")
        return claimed

    async def _retry_later(self, doc: dict[str, Any], now: datetime, final_status: str) -> None:
        attempts = doc["attempts"] + 1
        if attempts >= RESOLVE_ATTEMPTS:
            log.warning("notice.given_up", notice=doc["_id"], member=doc["member_id"], status=final_status)
            await self.notices.settle(doc["_id"], final_status)
        else:
            delay = retry_delay(attempts, self.settings.mail_retry_seconds)
            await self.notices.postpone(doc["_id"], attempts, now + delay)

    async def _complete(self, kind: str, context: dict[str, Any]) -> dict[str, Any]:
        """What the event did not carry but the projection knows: an event's zone, a promoted booking's title,
        a site's name."""
        if kind == NoticeKind.WAITLIST_PROMOTED and context.get("booking_id"):
            booking = await self.store.state("bookings.booking", context["booking_id"])
            if booking is not None:
                context.update(title=booking["offering_title"], time_zone=booking.get("time_zone"))
        if kind in (NoticeKind.VISITOR_ARRIVED, NoticeKind.INVOICE_OVERDUE):
            site = await self.store.state("spaces.site", context["site_id"])
            context["site_name"] = context["site_id"] if site is None else site["name"]
        if context.get("event_id") and not context.get("time_zone"):
            event = await self.store.state("community.event", context["event_id"])
            if event is not None:
                context["time_zone"] = event.get("time_zone")
        return context

    # --- 3. sent-log rows → SMTP -------------------------------------------------------------

    async def deliver(self, now: datetime | None = None) -> int:
        now = now or self.clock()
        sent = 0
        for row in await self.sent_log.due(now):
            if not await self.sent_log.start(row, now):
                continue  # another mailer took it
            try:
                await self.relay.send(row["email"], row["subject"], row["body"], row["_id"], row.get("language"))
            except Exception as exc:  # refused, unreachable, or a message the relay cannot take
                attempts = row["attempts"] + 1
                give_up = attempts >= self.settings.mail_max_attempts
                delay = retry_delay(attempts, self.settings.mail_retry_seconds)
                log.warning("mail.failed", mail=row["_id"], attempt=attempts, give_up=give_up, error=str(exc))
                await self.sent_log.failed(row["_id"], attempts, str(exc), now + delay, give_up)
                count_mail(self.settings.service_name, "given_up" if give_up else "failed")
                continue
            await self.sent_log.sent(row["_id"], self.clock())
            count_mail(self.settings.service_name, "sent")
            sent += 1
        return sent

    # --- the loop ----------------------------------------------------------------------------

    async def tick(self) -> int:
        now = self.clock()
        if self._last_schedule is None or (now - self._last_schedule).total_seconds() >= (
            self.settings.periodic_interval_seconds
        ):
            self._last_schedule = now
            await self.schedule(now)
        await self.resolve(now)
        return await self.deliver(now)

    async def run(self) -> None:
        """Until `stop()`: work whenever woken by a new notice, or every `mailer_interval_seconds`."""
        await self.rounds.run(self.tick)

    def stop(self) -> None:
        self.rounds.stop()
