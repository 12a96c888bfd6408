"""How billing's domain objects are stored: one document shape each, read back to the same object."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from billing.domain.charges import Charge, Residency, Stay
from billing.domain.invoices import Customer, Invoice, Line
from billing.domain.packs import PackSale
from billing.domain.payments import Payment
from billing.domain.prices import CreditPack, Discount, LegalEntity, MemberFacts, PriceList
from parkgrid.contracts.billing import ChargeCause, ChargeStatus, DocumentKind, PaymentMethod
from parkgrid.contracts.common import Language, MemberKind, ProgrammeStage, SpaceKind
from parkgrid.store import Document


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def charge_state(charge: Charge) -> Document:
    return {
        **asdict(charge),
        "billable_on": charge.billable_on.isoformat(),
        "cause": charge.cause.value,
        "status": charge.status.value,
    }


def charge_of(doc: Document) -> Charge:
    return Charge(
        charge_id=doc["charge_id"],
        member_id=doc["member_id"],
        site_id=doc["site_id"],
        cause=ChargeCause(doc["cause"]),
        cause_id=doc["cause_id"],
        description=doc["description"],
        billable_on=_day(doc["billable_on"]),
        quantity=int(doc["quantity"]),
        unit_price_minor=int(doc["unit_price_minor"]),
        discount_percent=int(doc["discount_percent"]),
        net_minor=int(doc["net_minor"]),
        vat_rate_bp=int(doc["vat_rate_bp"]),
        currency=doc["currency"],
        price_list_version=int(doc["price_list_version"]),
        status=ChargeStatus(doc["status"]),
        invoice_id=doc.get("invoice_id"),
    )


def entity_state(entity: LegalEntity) -> Document:
    return asdict(entity)


def entity_of(doc: Document) -> LegalEntity:
    return LegalEntity(code=doc["code"], name=doc["name"], ice=doc["ice"], address=doc["address"])


def invoice_state(invoice: Invoice) -> Document:
    return {
        "invoice_id": invoice.invoice_id,
        "kind": invoice.kind.value,
        "customer": {**asdict(invoice.customer), "language": invoice.customer.language.value},
        "member_id": invoice.customer.member_id,
        "site_id": invoice.site_id,
        "legal_entity": entity_state(invoice.legal_entity),
        "period": invoice.period,
        "issued_on": invoice.issued_on.isoformat(),
        "due_on": invoice.due_on.isoformat(),
        "currency": invoice.currency,
        "lines": [asdict(line) for line in invoice.lines],
        "number": invoice.number,
        "paid_minor": invoice.paid_minor,
        "credited_minor": invoice.credited_minor,
        "credits_invoice_id": invoice.credits_invoice_id,
        # Kept for queries (balances, lists); always what the lines add up to.
        "total_minor": invoice.total_minor,
        "due_minor": invoice.due_minor,
        "status": invoice.status.value if invoice.issued else "draft",
    }


def invoice_of(doc: Document) -> Invoice:
    customer = doc["customer"]
    return Invoice(
        invoice_id=doc["invoice_id"],
        kind=DocumentKind(doc["kind"]),
        customer=Customer(
            member_id=customer["member_id"],
            name=customer["name"],
            ice=customer.get("ice"),
            language=Language(customer.get("language", "fr")),
            address=customer.get("address"),
        ),
        site_id=doc["site_id"],
        legal_entity=entity_of(doc["legal_entity"]),
        period=doc["period"],
        issued_on=_day(doc["issued_on"]),
        due_on=_day(doc["due_on"]),
        currency=doc["currency"],
        lines=tuple(Line(**line) for line in doc["lines"]),
        number=doc.get("number"),
        paid_minor=int(doc.get("paid_minor", 0)),
        credited_minor=int(doc.get("credited_minor", 0)),
        credits_invoice_id=doc.get("credits_invoice_id"),
    )


def payment_state(payment: Payment) -> Document:
    return {
        **asdict(payment),
        "method": payment.method.value,
        "received_on": payment.received_on.isoformat(),
    }


def payment_of(doc: Document) -> Payment:
    recorded_at = doc["recorded_at"]
    return Payment(
        payment_id=doc["payment_id"],
        member_id=doc["member_id"],
        site_id=doc["site_id"],
        amount_minor=int(doc["amount_minor"]),
        currency=doc["currency"],
        method=PaymentMethod(doc["method"]),
        reference=doc["reference"],
        received_on=_day(doc["received_on"]),
        invoice_id=doc.get("invoice_id"),
        recorded_by_role=doc["recorded_by_role"],
        recorded_by=doc["recorded_by"],
        recorded_at=recorded_at if isinstance(recorded_at, datetime) else datetime.fromisoformat(recorded_at),
    )


def price_list_state(prices: PriceList) -> Document:
    return {
        "site_id": prices.site_id,
        "version": prices.version,
        "effective_from": prices.effective_from.isoformat(),
        "legal_entity": entity_state(prices.legal_entity),
        "currency": prices.currency,
        "vat_rate_bp": prices.vat_rate_bp,
        "monthly": {kind.value: amount for kind, amount in prices.monthly.items()},
        "space_monthly": dict(prices.space_monthly),
        "room_hour": prices.room_hour,
        "day_pass": prices.day_pass,
        "included_room_hours": prices.included_room_hours,
        "late_cancellation_percent": prices.late_cancellation_percent,
        "no_show_percent": prices.no_show_percent,
        "payment_terms_days": prices.payment_terms_days,
        "discounts": [
            {
                "label": d.label,
                "percent": d.percent,
                "member_kind": d.member_kind.value if d.member_kind else None,
                "stage": d.stage.value if d.stage else None,
                "within_months": d.within_months,
            }
            for d in prices.discounts
        ],
        "credit_packs": [asdict(pack) for pack in prices.credit_packs],
    }


def price_list_of(doc: Document) -> PriceList:
    return PriceList(
        site_id=doc["site_id"],
        version=int(doc["version"]),
        effective_from=_day(doc["effective_from"]),
        legal_entity=entity_of(doc["legal_entity"]),
        currency=doc["currency"],
        vat_rate_bp=int(doc["vat_rate_bp"]),
        monthly={SpaceKind(kind): int(amount) for kind, amount in doc.get("monthly", {}).items()},
        space_monthly={space: int(amount) for space, amount in doc.get("space_monthly", {}).items()},
        room_hour=int(doc.get("room_hour", 0)),
        day_pass=int(doc.get("day_pass", 0)),
        included_room_hours=int(doc.get("included_room_hours", 0)),
        late_cancellation_percent=int(doc.get("late_cancellation_percent", 100)),
        no_show_percent=int(doc.get("no_show_percent", 100)),
        payment_terms_days=int(doc.get("payment_terms_days", 30)),
        discounts=tuple(
            Discount(
                label=d["label"],
                percent=int(d["percent"]),
                member_kind=MemberKind(d["member_kind"]) if d.get("member_kind") else None,
                stage=ProgrammeStage(d["stage"]) if d.get("stage") else None,
                within_months=d.get("within_months"),
            )
            for d in doc.get("discounts", [])
        ),
        credit_packs=tuple(CreditPack(**pack) for pack in doc.get("credit_packs", [])),
    )


def pack_sale_state(sale: PackSale) -> Document:
    return {**asdict(sale), "sold_on": sale.sold_on.isoformat(), "expires_on": sale.expires_on.isoformat()}


def pack_sale_of(doc: Document) -> PackSale:
    return PackSale(
        sale_id=doc["sale_id"],
        member_id=doc["member_id"],
        site_id=doc["site_id"],
        code=doc["code"],
        label=doc["label"],
        minutes=int(doc["minutes"]),
        sold_on=_day(doc["sold_on"]),
        expires_on=_day(doc["expires_on"]),
        price_list_version=int(doc["price_list_version"]),
        sold_by=doc["sold_by"],
    )


def residency_state(residency: Residency) -> Document:
    return {
        "residency_id": residency.residency_id,
        "member_id": residency.member_id,
        "stays": [
            {
                **asdict(stay),
                "kind": stay.kind.value,
                "first_day": stay.first_day.isoformat(),
                "last_day": stay.last_day.isoformat(),
            }
            for stay in residency.stays
        ],
        "sites": sorted({stay.site_id for stay in residency.stays}),
        "first_day": min((s.first_day for s in residency.stays), default=date.max).isoformat(),
        "last_day": max((s.last_day for s in residency.stays), default=date.min).isoformat(),
    }


def residency_of(doc: Document) -> Residency:
    return Residency(
        residency_id=doc["residency_id"],
        member_id=doc["member_id"],
        stays=tuple(
            Stay(
                space_id=s["space_id"],
                site_id=s["site_id"],
                kind=SpaceKind(s["kind"]),
                seats=int(s["seats"]),
                first_day=_day(s["first_day"]),
                last_day=_day(s["last_day"]),
            )
            for s in doc.get("stays", [])
        ),
    )


def member_facts_of(doc: Document | None) -> MemberFacts | None:
    """A member as the kit's members projection holds it (None when community has not told us yet)."""
    if doc is None:
        return None
    started = doc.get("programme_started_on")
    return MemberFacts(
        member_id=doc["member_id"],
        name=doc["name"],
        kind=MemberKind(doc["kind"]),
        stage=ProgrammeStage(doc["stage"]),
        programme_started_on=_day(started) if started else date.min,
    )
