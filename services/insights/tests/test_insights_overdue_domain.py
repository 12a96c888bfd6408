"""Overdue invoice reminders without infrastructure: which invoice is late and by how much (the
receivables KPI's own rule), at which stage, keyed so each stage is one notice; settled, fully
credited or not yet due invoices get none; amounts and days as each language writes them."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from insights_billing import ATLAS, CASA, QALAM, RABAT, Books, at, november
from insights_scenario import Scenario

from insights.adapters.mail import Templates
from insights.domain.facts import Fact, Histories, end_of_day, histories_as_of
from insights.domain.kpis import Scope, compute
from insights.domain.notices import (
    OVERDUE_STAGES,
    Notice,
    NoticeKind,
    amount,
    arabic_days_ago,
    overdue_reminders,
    overdue_stage,
)

DUE = date(2026, 11, 15)
NNBSP = "\u202f"


def known(scenario: Scenario, today: date) -> Histories:
    facts = [Fact(e.id, e.type, e.subject, e.sequence, e.time, e.data) for e in scenario.envelopes]
    return histories_as_of(facts, end_of_day(today))


def reminders(scenario: Scenario, today: date) -> dict[str, Notice]:
    """The reminders due on `today`, by invoice id."""
    return {n.context["invoice_id"]: n for n in overdue_reminders(known(scenario, today), today)}


def books_with_one_invoice(invoice_id: str = "inv-a") -> tuple[Scenario, Books, dict[str, Any]]:
    """Qalam's October at Rabat: 3,250.00 net + 650.00 VAT = 3,900.00, issued 1/11, due 15/11."""
    scenario = Scenario()
    books = Books(scenario.add)
    invoice = books.invoice(at(11, 1, 6), invoice_id=invoice_id, site_id=RABAT, member_id=QALAM, period="2026-10",
                            issued_on=date(2026, 11, 1), due_on=DUE,
                            lines=[("ch-office", 300000), ("ch-room", 25000)])  # fmt: skip
    return scenario, books, invoice


def test_stages_are_the_latest_reached_from_the_day_after_the_due_date() -> None:
    assert OVERDUE_STAGES == (1, 15, 30)
    assert [overdue_stage(d) for d in (0, 1, 14, 15, 29, 30, 400)] == [None, 1, 1, 15, 15, 30, 30]


def test_an_unpaid_invoice_is_reminded_from_the_day_after_it_fell_due_to_every_person() -> None:
    scenario, _, invoice = books_with_one_invoice()
    assert reminders(scenario, DUE - timedelta(days=3)) == {}
    assert reminders(scenario, DUE) == {}  # due today: not late yet
    notice = reminders(scenario, DUE + timedelta(days=1))["inv-a"]
    assert notice.notice_id == "invoice-overdue:inv-a:1"
    assert (notice.kind, notice.member_id, notice.person_id) == (NoticeKind.INVOICE_OVERDUE, QALAM, None)
    assert notice.context == {
        "stage": 1,
        "invoice_id": "inv-a",
        "number": invoice["number"],
        "site_id": RABAT,
        "legal_entity": "Technopark Rabat SA",
        "due_on": "2026-11-15",
        "days_overdue": 1,
        "amount_due_minor": 390000,
        "total_minor": 390000,
        "currency": "MAD",
    }


def test_each_stage_is_one_notice_whatever_the_days_the_schedule_runs() -> None:
    scenario, _, _ = books_with_one_invoice()
    first_seen: dict[str, int] = {}
    for days in range(0, 90):
        for notice in overdue_reminders(known(scenario, DUE + timedelta(days=days)), DUE + timedelta(days=days)):
            first_seen.setdefault(notice.notice_id, days)
    assert first_seen == {"invoice-overdue:inv-a:1": 1, "invoice-overdue:inv-a:15": 15, "invoice-overdue:inv-a:30": 30}
    # the same day twice is the same notice (its id is the store's key: a second insert adds nothing)
    twice = DUE + timedelta(days=20)
    assert overdue_reminders(known(scenario, twice), twice) == overdue_reminders(known(scenario, twice), twice)


def test_a_partly_paid_invoice_is_reminded_of_what_is_left() -> None:
    scenario, books, _ = books_with_one_invoice()
    books.pay(at(11, 10), payment_id="pay-1", site_id=RABAT, member_id=QALAM, amount_minor=100000, invoice_id="inv-a")
    notice = reminders(scenario, DUE + timedelta(days=15))["inv-a"]
    assert notice.notice_id == "invoice-overdue:inv-a:15"
    assert (notice.context["amount_due_minor"], notice.context["total_minor"]) == (290000, 390000)
    assert notice.context["days_overdue"] == 15


def test_a_partly_credited_invoice_is_reminded_of_what_the_credit_note_left() -> None:
    scenario, books, invoice = books_with_one_invoice()
    books.credit(invoice, at(11, 20), note_id="cn-1", issued_on=date(2026, 11, 20), charge_ids=["ch-room"])
    assert reminders(scenario, date(2026, 11, 21))["inv-a"].context["amount_due_minor"] == 360000


def test_a_settled_invoice_gets_no_reminder_even_when_the_schedule_runs_later() -> None:
    scenario, books, invoice = books_with_one_invoice()
    assert "inv-a" in reminders(scenario, DUE + timedelta(days=2))  # late, and reminded
    books.pay(at(11, 18), payment_id="pay-1", site_id=RABAT, member_id=QALAM, amount_minor=390000, invoice_id="inv-a")
    books.settle(invoice, at(11, 18), 390000)
    for days in (3, 15, 30, 60):
        assert reminders(scenario, DUE + timedelta(days=days)) == {}, days


def test_settled_says_covered_even_when_insights_saw_no_payment_on_it() -> None:
    """As the KPI: a settlement by a payment insights does not hold (a gateway's) stops the reminders."""
    scenario, books, invoice = books_with_one_invoice()
    books.settle(invoice, at(11, 18), 390000)
    assert reminders(scenario, DUE + timedelta(days=15)) == {}


def test_a_fully_credited_invoice_gets_no_reminder() -> None:
    scenario, books, invoice = books_with_one_invoice()
    books.credit(invoice, at(11, 16), note_id="cn-1", issued_on=date(2026, 11, 16),
                 charge_ids=["ch-office", "ch-room"])  # fmt: skip
    # no settlement event: the amounts alone say nothing is left (and the credit note is no invoice)
    for days in (1, 15, 30):
        assert reminders(scenario, DUE + timedelta(days=days)) == {}, days


def test_a_payment_on_account_pays_no_invoice_so_it_is_still_reminded() -> None:
    scenario, books, _ = books_with_one_invoice()
    books.pay(at(11, 10), payment_id="pay-acc", site_id=RABAT, member_id=QALAM, amount_minor=500000)
    assert reminders(scenario, DUE + timedelta(days=1))["inv-a"].context["amount_due_minor"] == 390000


def test_reminders_name_exactly_what_the_overdue_kpi_counts() -> None:
    """One rule, not two: on every day, the reminders' invoices and amounts are the KPI's."""
    scenario = Scenario()
    november(Books(scenario.add))
    for offset in range(0, 60):
        today = date(2026, 11, 1) + timedelta(days=offset)
        kpis = compute(
            [Fact(e.id, e.type, e.subject, e.sequence, e.time, e.data) for e in scenario.envelopes],
            Scope(date(2026, 11, 1), date(2026, 11, 30), end_of_day(today)),
        )
        found = reminders(scenario, today)
        assert len(found) == kpis["invoices_overdue"], today
        assert sum(n.context["amount_due_minor"] for n in found.values()) == kpis["receivables_overdue_minor"], today
    # Qalam's invoice was reminded while late, not once settled; Atlas's from the day after its due date
    assert set(reminders(scenario, date(2026, 11, 18))) == {"inv-rabat-qalam-2026-10"}
    late = reminders(scenario, date(2026, 12, 3))
    assert set(late) == {"inv-casa-atlas-2026-10"}
    atlas = late["inv-casa-atlas-2026-10"]
    assert (atlas.member_id, atlas.context["site_id"]) == (ATLAS, CASA)


def test_amounts_from_minor_units_as_each_language_writes_them() -> None:
    assert amount(290000, "MAD", "fr") == f"2{NNBSP}900,00 MAD"
    assert amount(290000, "MAD", "en") == "2,900.00 MAD"
    assert amount(290000, "MAD", "ar") == "2.900,00 MAD"
    assert amount(123456789, "MAD", "fr") == f"1{NNBSP}234{NNBSP}567,89 MAD"
    assert [amount(m, "MAD", "en") for m in (0, 5, 99, 100, -25000)] == [
        "0.00 MAD",
        "0.05 MAD",
        "0.99 MAD",
        "1.00 MAD",
        "-250.00 MAD",
    ]


def test_arabic_days_ago_agree_with_their_number() -> None:
    assert [arabic_days_ago(n) for n in (1, 2, 3, 10, 11, 15, 30, 99, 100, 103)] == [
        "منذ يوم واحد",
        "منذ يومين",
        "منذ 3 أيام",
        "منذ 10 أيام",
        "منذ 11 يومًا",
        "منذ 15 يومًا",
        "منذ 30 يومًا",
        "منذ 99 يومًا",
        "منذ 100 يوم",
        "منذ 103 أيام",
    ]


def test_the_reminder_in_french_english_and_arabic_names_the_invoice_amount_due_date_and_how_to_pay() -> None:
    scenario, books, _ = books_with_one_invoice()
    books.pay(at(11, 10), payment_id="pay-1", site_id=RABAT, member_id=QALAM, amount_minor=100000, invoice_id="inv-a")
    notice = reminders(scenario, DUE + timedelta(days=15))["inv-a"]
    context = {**notice.context, "site_name": "Technopark Rabat"}
    number = context["number"]
    templates = Templates()
    subject, body = templates.render("invoice_overdue", "fr", "Salma", context)
    assert subject == f"Rappel : la facture {number} reste à régler"
    assert "le 2026-11-15 : elle a 15 jours de retard" in body
    assert f"Il reste 2{NNBSP}900,00 MAD à payer, sur un total de 3{NNBSP}900,00 MAD." in body
    assert "l'accueil de Technopark Rabat" in body
    assert f"numéro de facture {number} comme référence du paiement" in body
    subject, body = templates.render("invoice_overdue", "en", "John", context)
    assert subject == f"Reminder: invoice {number} is overdue"
    assert "was due on 2026-11-15: it is 15 days overdue." in body
    assert "2,900.00 MAD is still to pay, of a total of 3,900.00 MAD." in body
    assert f"quoting the invoice number {number} as the payment's reference" in body
    subject, body = templates.render("invoice_overdue", "ar", "Amal", context)
    assert subject == f"تذكير: الفاتورة {number} لم تُؤدَّ بعد"
    assert "يوم 15 نونبر 2026، أي منذ 15 يومًا" in body
    assert "المبلغ المتبقي للأداء: 2.900,00 MAD من أصل 3.900,00 MAD." in body
    assert f"مع ذكر رقم الفاتورة {number} مرجعًا للأداء" in body
    # the day after, unpaid: one day, singular, and no "of a total" when nothing was paid
    whole = {**context, "days_overdue": 1, "amount_due_minor": 390000}
    english = templates.render("invoice_overdue", "en", "J", whole)[1]
    assert "it is 1 day overdue. 3,900.00 MAD is still to pay.\n" in english
    assert "elle a 1 jour de retard" in templates.render("invoice_overdue", "fr", "S", whole)[1]
    assert "أي منذ يوم واحد" in templates.render("invoice_overdue", "ar", "A", whole)[1]
