"""The period close, payments and credit notes over the real store and broker: numbers without gaps
under concurrent closes and after a crash mid-close, totals that are their lines', payments that
never exceed what is due however many desks record at once, a line credited once."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from billing_fixtures import SITE, a_charge, app, ledger_of, part, price_list, settings
from fastapi import FastAPI

from billing.adapters.documents import invoice_state
from billing.domain import invoices as rules
from billing.domain.charges import Charge
from billing.domain.invoices import Invoice
from billing.domain.money import vat_of
from billing.domain.payments import Payment
from billing.service_layer.closing import Closing
from parkgrid.contracts.billing import ChargeStatus, DocumentKind, InvoiceStatus, PaymentMethod
from parkgrid.refusals import Refused
from parkgrid.settings import KitSettings
from parkgrid.testing.topics import read_topic

__all__ = ["app", "settings"]

SERIES = "TPR:invoice:2026"


async def charged(app: FastAPI, *charges: Charge) -> None:
    ledger = ledger_of(app)
    for charge in charges:
        assert await ledger.closing.charging.record(charge)


async def issued_invoice(app: FastAPI, member_id: str = "m-1", *nets: int) -> Invoice:
    await charged(app, *(a_charge(member_id, n, net) for n, net in enumerate(nets or (10_000,))))
    await part(app, Closing).close("2026-04")
    return await ledger_of(app).invoice(rules.invoice_id_for(SITE, member_id, "2026-04"))


def payment(payment_id: str, amount: int, invoice_id: str | None, member_id: str = "m-1") -> Payment:
    return Payment(
        payment_id=payment_id,
        member_id=member_id,
        site_id=SITE,
        amount_minor=amount,
        currency="MAD",
        method=PaymentMethod.BANK_TRANSFER,
        reference=f"VIR-{payment_id}",
        received_on=date(2026, 5, 12),
        invoice_id=invoice_id,
        recorded_by_role="front_desk",
        recorded_by="desk-1",
        recorded_at=datetime(2026, 5, 12, 9, tzinfo=UTC),
    )


async def test_concurrent_closes_number_every_invoice_once_without_gaps(app: FastAPI, settings: KitSettings) -> None:
    members = [f"m-{i:02d}" for i in range(12)]
    await charged(app, *(a_charge(m, n) for m in members for n in range(2)))
    closing = part(app, Closing)

    results = await asyncio.gather(*(closing.close("2026-04") for _ in range(4)))

    numbers = sorted(n for closed in results for ns in closed.issued.values() for n in ns)
    assert sorted(set(numbers)) == [f"TPR-2026-{n:06d}" for n in range(1, 13)]
    assert await closing.numbers.in_series(SERIES) == list(range(1, 13))
    issued = await read_topic(settings, "billing.invoice", 12, types={"parkgrid.billing.invoice.issued"}, grace=2.0)
    assert sorted(e.data["number"] for e in issued) == [f"TPR-2026-{n:06d}" for n in range(1, 13)]
    assert await closing.charges.collection.count_documents({"status": ChargeStatus.INVOICED.value}) == 24


async def test_numbers_taken_at_once_for_many_invoices_are_one_each_without_gaps(app: FastAPI) -> None:
    numbers = part(app, Closing).numbers

    taken = await asyncio.gather(*(numbers.take(SERIES, f"inv-{i}") for i in range(20)))
    again = await asyncio.gather(*(numbers.take(SERIES, f"inv-{i}") for i in range(20)))

    assert sorted(taken) == list(range(1, 21))
    assert again == taken  # an invoice keeps the number it took
    assert await numbers.in_series(SERIES) == list(range(1, 21))


async def test_a_close_that_crashed_after_taking_a_number_is_finished_with_that_number(app: FastAPI) -> None:
    await charged(app, a_charge("m-crash", 1), a_charge("m-after", 1))
    closing = part(app, Closing)
    crashed_id = rules.invoice_id_for(SITE, "m-crash", "2026-04")
    # The first steps of a close of m-crash alone, then the process dies before issuing.
    await closing.charges.claim(crashed_id, SITE, "m-crash", date(2026, 4, 30))
    draft = rules.draft(
        site_id=SITE,
        customer=await closing.customer("m-crash"),
        legal_entity=price_list().legal_entity,
        period="2026-04",
        charges=await closing.charges.on_invoice(crashed_id),
        issued_on=date(2026, 5, 1),
        payment_terms_days=30,
    )
    await closing.invoices.store.create(crashed_id, invoice_state(draft), [])
    assert await closing.numbers.take(SERIES, crashed_id) == 1

    closed = await closing.close("2026-04")

    assert closed.issued == {SITE: ["TPR-2026-000002"]}  # m-after; the crashed one was finished first
    crashed = await ledger_of(app).invoice(crashed_id)
    assert crashed.number == "TPR-2026-000001"
    assert await closing.numbers.in_series(SERIES) == [1, 2]


async def test_a_close_that_crashed_after_claiming_or_after_issuing_is_finished(app: FastAPI) -> None:
    await charged(app, a_charge("m-claimed", 1), a_charge("m-issued", 1))
    closing = part(app, Closing)
    claimed_id = rules.invoice_id_for(SITE, "m-claimed", "2026-04")
    await closing.charges.claim(claimed_id, SITE, "m-claimed", date(2026, 4, 30))  # then the process died
    issued_id = rules.invoice_id_for(SITE, "m-issued", "2026-04")
    original = closing.charges.mark_invoiced

    async def dies(invoice_id: str) -> None:
        raise ConnectionError("killed")

    closing.charges.mark_invoiced = dies  # type: ignore[method-assign]
    with pytest.raises(ConnectionError):
        await closing.invoice(SITE, "m-issued", "2026-04", price_list())  # issued, charges left open
    closing.charges.mark_invoiced = original  # type: ignore[method-assign]

    closed = await closing.close("2026-04")

    assert closed.issued == {SITE: ["TPR-2026-000002"]}  # m-claimed; m-issued was number 1
    assert (await ledger_of(app).invoice(claimed_id)).lines[0].charge_id == "booking:m-claimed-1"
    assert await closing.charges.collection.count_documents({"status": "open"}) == 0
    assert (await closing.charges.on_invoice(issued_id))[0].status == ChargeStatus.INVOICED


async def test_an_invoice_total_is_the_sum_of_its_lines_as_stored_and_published(
    app: FastAPI, settings: KitSettings
) -> None:
    nets = (12_345, 1, 3, 99_999)
    invoice = await issued_invoice(app, "m-1", *nets)
    assert [line.net_minor for line in invoice.lines] == list(nets)
    assert invoice.vat_minor == sum(vat_of(n, 2000) for n in nets)
    assert invoice.total_minor == sum(nets) + invoice.vat_minor
    [event] = await read_topic(settings, "billing.invoice", 1, types={"parkgrid.billing.invoice.issued"})
    lines = event.data["lines"]
    assert event.data["total_minor"] == sum(line["net_minor"] + line["vat_minor"] for line in lines)
    assert event.data["legal_entity"]["ice"] == "001525369000088"


async def test_concurrent_payments_never_pay_more_than_is_due(app: FastAPI, settings: KitSettings) -> None:
    invoice = await issued_invoice(app, "m-1", 10_000)  # 120.00 MAD
    ledger = ledger_of(app)

    outcomes = await asyncio.gather(
        *(ledger.record_payment(payment(f"p-{i}", invoice.total_minor, invoice.invoice_id)) for i in range(8)),
        return_exceptions=True,
    )

    paid = [o for o in outcomes if isinstance(o, Payment)]
    refused = [o for o in outcomes if isinstance(o, Refused)]
    assert (len(paid), len(refused)) == (1, 7), outcomes
    after = await ledger.invoice(invoice.invoice_id)
    assert (after.paid_minor, after.status) == (invoice.total_minor, InvoiceStatus.PAID)
    assert len(await ledger.payments.of_member("m-1")) == 1
    settled = await read_topic(settings, "billing.invoice", 1, types={"parkgrid.billing.invoice.settled"}, grace=1.0)
    assert len(settled) == 1
    payments = await read_topic(settings, "billing.payment", 1, grace=1.0)
    assert [e.subject for e in payments] == [paid[0].payment_id]


async def test_a_payment_recorded_twice_is_one_payment_and_a_crash_after_the_invoice_loses_nothing(
    app: FastAPI,
) -> None:
    invoice = await issued_invoice(app, "m-1", 10_000)
    ledger = ledger_of(app)
    first = await ledger.record_payment(payment("p-1", 5_000, invoice.invoice_id))
    again = await ledger.record_payment(payment("p-1", 5_000, invoice.invoice_id))
    assert first == again
    assert (await ledger.invoice(invoice.invoice_id)).paid_minor == 5_000

    # The invoice decided p-2, then the process died before the payment itself was written.
    await ledger.finish_pending(invoice.invoice_id)
    original = ledger.finish_pending

    async def dies(invoice_id: str) -> None:
        raise ConnectionError("killed")

    ledger.finish_pending = dies  # type: ignore[method-assign]
    with pytest.raises(ConnectionError):
        await ledger.record_payment(payment("p-2", 2_000, invoice.invoice_id))
    ledger.finish_pending = original  # type: ignore[method-assign]
    assert await ledger.payments.get("p-2") is None

    await ledger.finish_every_pending()  # what the periodic job runs
    assert (await ledger.payments.get("p-2")) is not None
    assert (await ledger.invoice(invoice.invoice_id)).paid_minor == 7_000
    assert (await ledger.balance("m-1", SITE, date(2026, 5, 20))).owed_minor == invoice.total_minor - 7_000


async def test_an_unallocated_payment_counts_on_the_account(app: FastAPI) -> None:
    invoice = await issued_invoice(app, "m-1", 10_000)
    ledger = ledger_of(app)
    await ledger.record_payment(payment("p-account", 20_000, None))
    owed = await ledger.balance("m-1", None, invoice.due_on + timedelta(days=1))
    assert owed.owed_minor == invoice.total_minor - 20_000
    assert owed.overdue_minor == invoice.total_minor  # nothing paid on the invoice itself


async def test_credit_notes_take_each_line_back_once_even_when_asked_at_once(
    app: FastAPI, settings: KitSettings
) -> None:
    invoice = await issued_invoice(app, "m-1", 10_000, 5_000)
    ledger = ledger_of(app)
    line = invoice.lines[1].charge_id

    outcomes = await asyncio.gather(
        *(ledger.credit(invoice.invoice_id, f"cn-{i}", [str(line)]) for i in range(5)), return_exceptions=True
    )

    notes = [o for o in outcomes if isinstance(o, Invoice)]
    assert len(notes) == 1, outcomes
    [note] = notes
    assert (note.kind, note.number, note.total_minor) == (DocumentKind.CREDIT_NOTE, "TPR-AV-2026-000001", 6_000)
    after = await ledger.invoice(invoice.invoice_id)
    assert after.lines == invoice.lines  # an issued invoice never changes its lines
    assert after.due_minor == invoice.total_minor - 6_000
    whole = await ledger.credit(invoice.invoice_id, "cn-rest", None)
    assert whole.lines == (invoice.lines[0],)
    assert (await ledger.invoice(invoice.invoice_id)).status == InvoiceStatus.PAID
    issued = await read_topic(settings, "billing.invoice", 2, types={"parkgrid.billing.invoice.credit_note_issued"})
    assert sorted(e.data["number"] for e in issued) == ["TPR-AV-2026-000001", "TPR-AV-2026-000002"]


async def test_charges_of_a_closed_month_arriving_late_go_on_the_next_invoice(app: FastAPI) -> None:
    await issued_invoice(app, "m-1", 10_000)
    await charged(app, a_charge("m-1", 9, 4_000, day=date(2026, 4, 29)))  # late: April is invoiced
    closing = part(app, Closing)
    assert (await closing.close("2026-04")).count == 0
    may = await closing.close("2026-05")
    assert may.issued == {SITE: ["TPR-2026-000002"]}
    found = await ledger_of(app).invoice(rules.invoice_id_for(SITE, "m-1", "2026-05"))
    assert [line.net_minor for line in found.lines] == [4_000]


async def test_the_periodic_close_invoices_last_month_and_any_older_month_left_open(app: FastAPI) -> None:
    closing = part(app, Closing)
    closing.today = lambda: date(2026, 7, 5)
    await charged(
        app,
        a_charge("m-1", 1, day=date(2026, 4, 10)),
        a_charge("m-1", 2, day=date(2026, 6, 20)),
        a_charge("m-1", 3, day=date(2026, 7, 2)),
    )

    closed = await closing.close_ended_months()

    assert [(c.period, c.count) for c in closed] == [("2026-04", 1), ("2026-05", 0), ("2026-06", 1)]
    july = await closing.charges.get("booking:m-1-3")
    assert july is not None
    assert (july.status, july.invoice_id) == (ChargeStatus.OPEN, None)  # this month is not over
    assert [c.count for c in await closing.close_ended_months()] == [0]  # only last month, nothing new
