"""Billing's events as billing publishes them, for insights' tests: each built from its contract
sample (`shared/contracts/samples/parkgrid.billing.*.v1.json`) with what a test changes, and
validated by its model, so a test cannot publish what billing never could."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from parkgrid.contracts import billing as bl
from parkgrid.events import IntegrationEvent

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "contracts" / "samples"
ENTITIES = {
    "site-rabat": {"code": "TPR", "name": "Technopark Rabat SA"},
    "site-casa": {"code": "TPC", "name": "Technopark Casablanca SA"},
}

Add = Callable[[str, IntegrationEvent, str, datetime], None]
"""How a test keeps an event: (topic, event, subject, when it happened), as `Scenario.add`."""


@cache
def _sample(event_type: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SAMPLES / f"{event_type}.v1.json").read_text("utf-8"))["data"]
    return data


def sample(event_type: str) -> dict[str, Any]:
    """The data of the type's v1 sample (a copy: a test changes it at will)."""
    return copy.deepcopy(_sample(event_type))


def vat(net_minor: int, rate_bp: int = 2000) -> int:
    """A line's VAT rounded half up, as billing rounds it (`billing.domain.money`)."""
    return (net_minor * rate_bp + 5000) // 10000


class Books:
    """Billing's side of a test: charges, invoices, credit notes, settlements and payments, each
    handed to `add` as the event billing would publish, and returned as its data."""

    def __init__(self, add: Add) -> None:
        self.add = add
        self.numbers: dict[tuple[str, str], int] = {}

    def charge(
        self,
        at: datetime,
        *,
        charge_id: str,
        site_id: str,
        member_id: str,
        cause: str,
        cause_id: str,
        billable_on: date,
        net_minor: int,
        currency: str = "MAD",
    ) -> dict[str, Any]:
        data = sample("parkgrid.billing.charge.recorded")
        data.update(
            charge_id=charge_id, member_id=member_id, site_id=site_id, cause=cause, cause_id=cause_id,
            description=f"{cause} {cause_id}", billable_on=billable_on.isoformat(), quantity=1,
            unit_price_minor=net_minor, discount_percent=0, net_minor=net_minor, currency=currency,
            status="open", invoice_id=None,
        )  # fmt: skip
        self.add("billing.charge", bl.ChargeRecorded.model_validate(data), charge_id, at)
        return data

    def void(self, charge: dict[str, Any], at: datetime, reason: str = "booking cancelled in time") -> None:
        voided = {**charge, "status": "voided", "reason": reason}
        self.add("billing.charge", bl.ChargeVoided.model_validate(voided), charge["charge_id"], at)

    def _number(self, site_id: str, kind: str, year: int) -> str:
        code = ENTITIES[site_id]["code"]
        series = code if kind == "invoice" else f"{code}-AV"
        key = (series, str(year))
        self.numbers[key] = self.numbers.get(key, 0) + 1
        return f"{series}-{year}-{self.numbers[key]:06d}"

    def _document(
        self,
        kind: str,
        *,
        invoice_id: str,
        site_id: str,
        member_id: str,
        period: str,
        issued_on: date,
        due_on: date,
        lines: Sequence[tuple[str, int]],
        currency: str,
    ) -> dict[str, Any]:
        data = sample(
            "parkgrid.billing.invoice.issued" if kind == "invoice" else "parkgrid.billing.invoice.credit_note_issued"
        )
        template = data["lines"][0]
        made = [
            {**template, "charge_id": charge_id, "description": f"line {charge_id}", "quantity": 1,
             "unit_price_minor": net, "discount_percent": 0, "net_minor": net, "vat_rate_bp": 2000,
             "vat_minor": vat(net)}
            for charge_id, net in lines
        ]  # fmt: skip
        net_minor = sum(line["net_minor"] for line in made)
        vat_minor = sum(line["vat_minor"] for line in made)
        data.update(
            invoice_id=invoice_id, number=self._number(site_id, kind, issued_on.year), member_id=member_id,
            member_name=f"Organisation {member_id}", site_id=site_id,
            legal_entity={**data["legal_entity"], **ENTITIES[site_id]}, period=period,
            issued_on=issued_on.isoformat(), due_on=due_on.isoformat(), currency=currency, lines=made,
            net_minor=net_minor, vat_minor=vat_minor, total_minor=net_minor + vat_minor, paid_minor=0,
            status="issued",
        )  # fmt: skip
        return data

    def invoice(
        self,
        at: datetime,
        *,
        invoice_id: str,
        site_id: str,
        member_id: str,
        period: str,
        issued_on: date,
        due_on: date,
        lines: Sequence[tuple[str, int]],
        currency: str = "MAD",
    ) -> dict[str, Any]:
        """An issued invoice of `lines` (charge id, net): VAT 20 % a line, totals the lines' sums."""
        data = self._document(
            "invoice", invoice_id=invoice_id, site_id=site_id, member_id=member_id, period=period,
            issued_on=issued_on, due_on=due_on, lines=lines, currency=currency,
        )  # fmt: skip
        data["credits_invoice_id"] = None
        self.add("billing.invoice", bl.InvoiceIssued.model_validate(data), invoice_id, at)
        return data

    def credit(
        self, invoice: dict[str, Any], at: datetime, *, note_id: str, issued_on: date, charge_ids: Sequence[str]
    ) -> dict[str, Any]:
        """A credit note taking back the named lines of `invoice` (a document of its own)."""
        lines = [(line["charge_id"], line["net_minor"]) for line in invoice["lines"] if line["charge_id"] in charge_ids]
        data = self._document(
            "credit_note", invoice_id=note_id, site_id=invoice["site_id"], member_id=invoice["member_id"],
            period=invoice["period"], issued_on=issued_on, due_on=issued_on, lines=lines,
            currency=invoice["currency"],
        )  # fmt: skip
        data["credits_invoice_id"] = invoice["invoice_id"]
        self.add("billing.invoice", bl.CreditNoteIssued.model_validate(data), note_id, at)
        return data

    def settle(self, invoice: dict[str, Any], at: datetime, paid_minor: int) -> None:
        """Payments (`paid_minor` of them) and credit notes now cover the invoice."""
        settled = {**invoice, "paid_minor": paid_minor, "status": "paid"}
        self.add("billing.invoice", bl.InvoiceSettled.model_validate(settled), invoice["invoice_id"], at)

    def pay(
        self,
        at: datetime,
        *,
        payment_id: str,
        site_id: str,
        member_id: str,
        amount_minor: int,
        invoice_id: str | None = None,
    ) -> dict[str, Any]:
        """A payment staff recorded, on an invoice or (`invoice_id` None) on the organisation's account."""
        data = sample("parkgrid.billing.payment.recorded")
        data.update(
            payment_id=payment_id, member_id=member_id, site_id=site_id, amount_minor=amount_minor,
            reference=f"VIR-{payment_id}", received_on=at.date().isoformat(), invoice_id=invoice_id,
            recorded_at=at.isoformat(),
        )  # fmt: skip
        self.add("billing.payment", bl.PaymentRecorded.model_validate(data), payment_id, at)
        return data


RABAT, CASA = "site-rabat", "site-casa"
QALAM, ATLAS = "mb-qalam-edtech", "mb-atlas-robotics"


def at(month: int, day_: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day_, hour, tzinfo=UTC)


def november(books: Books) -> None:
    """A small ledger with round numbers, the one the billing KPI tests check by hand (dates 2026).

    Rabat, Qalam: charged in November a residency 3,000.00, a booking 250.00 and a day pass 90.00,
    and a booking 250.00 voided on 14/11; October's invoice (issued 1/11, due 15/11) is 3,250.00 net
    + 650.00 VAT = 3,900.00, paid 2,000.00 on 10/11, its booking line (250.00 + 50.00) credited on
    20/11, the 1,600.00 left paid and the invoice settled on 25/11.
    Casablanca, Atlas: a day pass 90.00 charged on 3/11; October's invoice (issued 2/11, due 2/12)
    1,000.00 + 200.00 VAT = 1,200.00, unpaid; 500.00 paid on account (no invoice named) on 5/11.
    """
    rabat = {"site_id": RABAT, "member_id": QALAM}
    books.charge(at(11, 1, 3), charge_id="ch-nov-res", cause="residency", cause_id="res-q-2026-11",
                 billable_on=date(2026, 11, 1), net_minor=300000, **rabat)  # fmt: skip
    books.charge(at(11, 5), charge_id="ch-nov-bk1", cause="booking", cause_id="bk-1",
                 billable_on=date(2026, 11, 10), net_minor=25000, **rabat)  # fmt: skip
    books.charge(at(11, 12, 8), charge_id="ch-nov-dp", cause="day_pass", cause_id="dp-1",
                 billable_on=date(2026, 11, 12), net_minor=9000, **rabat)  # fmt: skip
    cancelled = books.charge(at(11, 6), charge_id="ch-nov-bk2", cause="booking", cause_id="bk-2",
                             billable_on=date(2026, 11, 15), net_minor=25000, **rabat)  # fmt: skip
    books.void(cancelled, at(11, 14))
    october = books.invoice(at(11, 1, 6), invoice_id="inv-rabat-qalam-2026-10", period="2026-10",
                            issued_on=date(2026, 11, 1), due_on=date(2026, 11, 15),
                            lines=[("ch-oct-res", 300000), ("ch-oct-bk", 25000)], **rabat)  # fmt: skip
    books.pay(at(11, 10), payment_id="pay-q-1", amount_minor=200000, invoice_id=october["invoice_id"], **rabat)
    books.credit(october, at(11, 20), note_id="cn-rabat-qalam-2026-10-1", issued_on=date(2026, 11, 20),
                 charge_ids=["ch-oct-bk"])  # fmt: skip
    books.pay(at(11, 25), payment_id="pay-q-2", amount_minor=160000, invoice_id=october["invoice_id"], **rabat)
    books.settle(october, at(11, 25), 360000)
    casa = {"site_id": CASA, "member_id": ATLAS}
    books.charge(at(11, 3, 8), charge_id="ch-nov-casa-dp", cause="day_pass", cause_id="dp-2",
                 billable_on=date(2026, 11, 3), net_minor=9000, **casa)  # fmt: skip
    books.invoice(at(11, 2, 6), invoice_id="inv-casa-atlas-2026-10", period="2026-10",
                  issued_on=date(2026, 11, 2), due_on=date(2026, 12, 2), lines=[("ch-oct-casa", 100000)],
                  **casa)  # fmt: skip
    books.pay(at(11, 5), payment_id="pay-a-1", amount_minor=50000, **casa)
