"""Payments staff record at the desk (transfer, cheque, card, cash; no gateway is called): staff of
the site record and read them, a member reads its own."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query

from billing.domain.payments import Payment
from billing.entrypoints.http.deps import Books, Cursor, Limit
from billing.views import payment_read
from parkgrid.api.billing import PaymentIn, PaymentPage, PaymentRead
from parkgrid.clock import utc_now
from parkgrid.http.access import Scoped, Staff, at_site
from parkgrid.http.idempotency import command_id
from parkgrid.http.problems import problems

router = APIRouter(prefix="/v1/payments", tags=["payments"])


@router.post("", status_code=201, response_model=PaymentRead, responses=problems(403, 404, 409, 422))
async def record_payment(
    body: PaymentIn,
    principal: Staff,
    books: Books,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> PaymentRead:
    """Record a payment, on an invoice (never more than it has left to pay: 409) or on the
    organisation's account. The same Idempotency-Key records it once."""
    at_site(principal, body.site_id)
    payment = Payment(
        payment_id="pay-" + command_id(f"billing.payment:{principal.subject}", idempotency_key),
        member_id=body.member_id,
        site_id=body.site_id,
        amount_minor=body.amount_minor,
        currency=body.currency,
        method=body.method,
        reference=body.reference,
        received_on=body.received_on,
        invoice_id=body.invoice_id,
        recorded_by_role=principal.role.value,
        recorded_by=principal.subject,
        recorded_at=utc_now(),
    )
    return payment_read(await books.record_payment(payment))


@router.get("", response_model=PaymentPage, responses=problems(422))
async def payments(
    scope: Scoped,
    books: Books,
    member_id: Annotated[str | None, Query(max_length=100)] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> PaymentPage:
    """Payments the caller may see (a member: its own; a desk: at its sites), newest received first."""
    found, following = await books.payments.page(scope.query(), member_id=member_id, limit=limit, cursor=cursor)
    return PaymentPage(items=[payment_read(p) for p in found], next_cursor=following)
