"""Overdue invoice reminders over the real broker, store and an SMTP sink (aiosmtpd): billing's
events (built from the contract samples, `insights_billing`) projected by the running service; a
late, partly paid invoice mails each person of its organisation once per stage, in their language,
however often the schedule runs and after a restart; settled, fully credited and not yet due
invoices mail nobody; an invoice paid between the schedule and the mail is not mailed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from fastapi import FastAPI
from insights_billing import RABAT, Books
from insights_fixtures import Sink, app, eventually, publish, settings, smtp_sink
from insights_scenario import Scenario

from insights.adapters.mail import Notices, SentLog
from insights.adapters.projection import InsightsStore
from insights.service_layer.notifications import Notifications
from insights.settings import InsightsSettings
from parkgrid.contracts import community as c
from parkgrid.contracts import spaces as s

__all__ = ["app", "settings", "smtp_sink"]

MEMBER = "m-overdue"
NNBSP = "\u202f"
PEOPLE = [("p-fr", "salma@example.ma", "fr"), ("p-en", "john@example.ma", "en"), ("p-ar", "amal@example.ma", "ar")]


def organisation(scenario: Scenario, at: datetime) -> None:
    """The member organisation with a person in each language, and its site (its name is in the mail)."""
    people = [
        {"person_id": p, "name": p.upper(), "email": email, "role": "CEO", "language": language}
        for p, email, language in PEOPLE
    ]
    member = {
        "member_id": MEMBER, "name": "Qalam EdTech", "kind": "startup", "sector": "edtech",
        "home_site_id": RABAT, "status": "active",
        "programme": {"stage": "incubation", "started_on": "2026-01-05"}, "people": people,
    }  # fmt: skip
    scenario.add("community.member", c.MemberRegistered.model_validate(member), MEMBER, at)
    site = s.SiteRegistered(site_id=RABAT, name="Technopark Rabat", city="Rabat", country="MA",
                            time_zone="Africa/Casablanca", opening_hours=[], closures=[])  # fmt: skip
    scenario.add("spaces.site", site, RABAT, at)


def invoice(books: Books, invoice_id: str, due_on: date) -> dict[str, object]:
    """3,000.00 net + 600.00 VAT = 3,600.00, issued 30 days before it is due."""
    issued_on = due_on - timedelta(days=30)
    return books.invoice(
        datetime(issued_on.year, issued_on.month, issued_on.day, 6, tzinfo=UTC), invoice_id=invoice_id,
        site_id=RABAT, member_id=MEMBER, period=f"{issued_on:%Y-%m}", issued_on=issued_on, due_on=due_on,
        lines=[(f"ch-{invoice_id}-1", 250000), (f"ch-{invoice_id}-2", 50000)],
    )  # fmt: skip


async def projected(store: InsightsStore, scenario: Scenario) -> None:
    async def all_there() -> bool:
        return bool(await store.facts.count_documents({}) == len(scenario.items))

    await eventually(all_there, within=45, what="the projection")


def restarted(notifications: Notifications, settings: InsightsSettings) -> Notifications:
    """Another mailer over the same store, as after a restart or on a second replica."""
    return Notifications(
        store=notifications.store,
        notices=Notices(notifications.notices.collection),
        sent_log=SentLog(notifications.sent_log.collection),
        relay=notifications.relay,
        settings=settings,
        keys=notifications.keys,
    )


async def test_an_overdue_invoice_mails_each_person_once_per_stage_even_when_scheduled_twice(
    app: FastAPI, settings: InsightsSettings, smtp_sink: tuple[Sink, int]
) -> None:
    sink, _ = smtp_sink
    now = datetime.now(UTC)
    today = now.date()
    long_ago = now - timedelta(days=60)
    scenario = Scenario()
    books = Books(scenario.add)
    organisation(scenario, long_ago)
    late = invoice(books, "inv-late", today - timedelta(days=15))  # 15 days late, partly paid
    books.pay(now - timedelta(days=20), payment_id="pay-late", site_id=RABAT, member_id=MEMBER, amount_minor=100000,
              invoice_id="inv-late")  # fmt: skip
    settled = invoice(books, "inv-settled", today - timedelta(days=20))
    books.pay(now - timedelta(days=10), payment_id="pay-settled", site_id=RABAT, member_id=MEMBER,
              amount_minor=360000, invoice_id="inv-settled")  # fmt: skip
    books.settle(settled, now - timedelta(days=10), 360000)
    credited = invoice(books, "inv-credited", today - timedelta(days=3))
    books.credit(credited, now - timedelta(days=2), note_id="cn-credited", issued_on=today - timedelta(days=2),
                 charge_ids=["ch-inv-credited-1", "ch-inv-credited-2"])  # fmt: skip
    invoice(books, "inv-not-due", today + timedelta(days=20))
    await publish(settings, scenario.items)
    store: InsightsStore = app.state.components[InsightsStore]
    await projected(store, scenario)
    billing = await store.facts_of(("billing.invoice", "billing.payment"))  # what the schedule reads: no more
    assert len(billing) == len(scenario.items) - 2  # all but the member and the site
    assert {f.aggregate for f in billing} == {"billing.invoice", "billing.payment"}

    notifications: Notifications = app.state.components[Notifications]
    assert await notifications.schedule() == 1  # inv-late at its 15-day stage; nothing else is late
    assert await notifications.schedule() == 0
    assert await restarted(notifications, settings).schedule() == 0

    async def three_mails() -> bool:
        return len(sink.messages) == 3

    await eventually(three_mails, within=20, what="the stage-15 reminders")
    await notifications.tick()
    number = late["number"]
    assert [m["Subject"] for m in sink.to("salma@example.ma")] == [f"Rappel : la facture {number} reste à régler"]
    assert [m["Subject"] for m in sink.to("john@example.ma")] == [f"Reminder: invoice {number} is overdue"]
    assert [m["Subject"] for m in sink.to("amal@example.ma")] == [f"تذكير: الفاتورة {number} لم تُؤدَّ بعد"]
    french = sink.to("salma@example.ma")[0].get_content()
    assert f"Il reste 2{NNBSP}600,00 MAD à payer, sur un total de 3{NNBSP}600,00 MAD." in french
    assert "elle a 15 jours de retard" in french
    assert "l'accueil de Technopark Rabat" in french
    assert "2,600.00 MAD is still to pay" in sink.to("john@example.ma")[0].get_content()
    arabic = sink.to("amal@example.ma")[0].get_content()
    assert "أي منذ 15 يومًا" in arabic
    assert "2.600,00 MAD" in arabic
    assert sink.to("amal@example.ma")[0]["Content-Language"] == "ar"

    # A fortnight later the 30-day stage: once more each, whichever mailer runs the schedule.
    later = now + timedelta(days=15)
    assert await notifications.schedule(later) == 1
    assert await restarted(notifications, settings).schedule(later) == 0
    await notifications.resolve(later)
    assert await notifications.deliver(later) == 3
    assert await notifications.schedule(later + timedelta(hours=1)) == 0
    await notifications.resolve(later + timedelta(hours=1))
    assert await notifications.deliver(later + timedelta(hours=1)) == 0
    assert len(sink.messages) == 6
    for _, email, _ in PEOPLE:
        assert len(sink.to(email)) == 2, email
    assert "elle a 30 jours de retard" in sink.to("salma@example.ma")[1].get_content()
    rows = await notifications.sent_log.rows()
    assert (
        sorted(r["notice_id"] for r in rows)
        == ["invoice-overdue:inv-late:15"] * 3 + ["invoice-overdue:inv-late:30"] * 3
    )
    assert {r["status"] for r in rows} == {"sent"}


async def test_an_invoice_paid_after_the_schedule_found_it_late_is_not_mailed(
    app: FastAPI, settings: InsightsSettings, smtp_sink: tuple[Sink, int]
) -> None:
    sink, _ = smtp_sink
    now = datetime.now(UTC)
    later = now + timedelta(days=20)  # the schedule and the mailer at a moment the running loop never reaches
    scenario = Scenario()
    books = Books(scenario.add)
    organisation(scenario, now - timedelta(days=60))
    unpaid = invoice(books, "inv-paid-late", now.date() + timedelta(days=5))
    await publish(settings, scenario.items)
    store: InsightsStore = app.state.components[InsightsStore]
    await projected(store, scenario)
    notifications: Notifications = app.state.components[Notifications]
    assert await notifications.schedule(later) == 1  # 15 days late by then

    # Paid in full before the mailer writes the reminders.
    books.pay(now, payment_id="pay-in-time", site_id=RABAT, member_id=MEMBER, amount_minor=360000,
              invoice_id="inv-paid-late")  # fmt: skip
    books.settle(unpaid, now, 360000)
    await publish(settings, scenario.items[-2:])
    await projected(store, scenario)
    assert await notifications.resolve(later) == 0
    assert await notifications.deliver(later) == 0
    notice = await notifications.notices.collection.find_one({"_id": "invoice-overdue:inv-paid-late:15"})
    assert notice is not None
    assert notice["status"] == "not_overdue"
    assert await notifications.schedule(later + timedelta(days=15)) == 0  # nor at the next stage
    assert sink.messages == []
    assert await notifications.sent_log.rows() == []
