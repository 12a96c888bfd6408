"""A member organisation's billing at the front desk, a page linked from its member page: its balance
at the desk's site (owed, of which overdue), its invoices and credit notes there (each with its
printable document), its payments, its packs of room hours, and the desk's three forms: "Record a
payment" (dirhams typed with decimals, sent as centimes, with the form's Idempotency-Key: a double
submit is one payment), the billing profile the next invoices are addressed with (ICE, legal name,
address, language), and "Sell a credit pack" (one of the site's price list, once per form).

Billing decides everything (what a desk may see and record, what is due); a refusal comes back next
to the field it names, in the reader's language, and billing down leaves the page with a notice in
place of each panel, never an error page. Admins also find "Issue a credit note" per invoice
(`staff_credit_notes`); printable documents are `invoice_documents`."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from frontdesk.adapters.billing import Billing
from frontdesk.adapters.services import ServiceProblem, Services, Unavailable
from frontdesk.domain.billing import (
    METHODS,
    PACK_FIELDS,
    PAYMENT_FIELDS,
    PROFILE_FIELDS,
    PROFILE_LANGUAGES,
    creditable,
    form_field,
    hours,
    minor_units,
    money,
    packs_on_sale,
    payable,
    payment_body,
    profile_body,
    state_key,
)
from frontdesk.domain.forms import FormErrors
from frontdesk.entrypoints.http.pages import BillingClient, Clients, form_of, page
from frontdesk.entrypoints.http.panels import attempt
from frontdesk.entrypoints.http.staff_forms import (
    Outcome,
    back_to_form,
    done,
    form_refusal,
    in_own_words,
    member_url,
    new_key,
    refusal,
    run,
)
from frontdesk.entrypoints.http.staff_sites import site_context
from frontdesk.entrypoints.http.visitors import Visitor, staff_at
from parkgrid.api.billing import BillingProfileRead
from parkgrid.auth import Role

router = APIRouter(prefix="/staff")


def billing_url(site_id: str, member_id: str) -> str:
    """The member's billing page at a site's desk, where its forms come back to."""
    return f"{member_url(site_id, member_id)}/billing"


async def organisation_name(services: Services, visitor: Visitor, member_id: str) -> str:
    """The organisation's name: community's, else the web app's projection (a member based at another
    site, which community does not show this desk), else its id."""
    member = await attempt(services.community.member(visitor.token, member_id))
    if member.data is not None:
        return member.data.name
    known = await services.members.get(member_id) if services.members is not None else None
    return known.name if known is not None else member_id


def profile_form(profile: BillingProfileRead | None) -> dict[str, str]:
    """The profile form's values as billing keeps them (blank where none)."""
    if profile is None:
        return {"language": "fr"}
    return {
        "legal_name": profile.legal_name or "",
        "ice": profile.ice or "",
        "address": profile.address or "",
        "language": profile.language.value,
    }


@router.get("/sites/{site_id}/members/{member_id}/billing", response_class=HTMLResponse)
async def member_billing(
    request: Request, services: Clients, billing: BillingClient, site_id: str, member_id: str
) -> HTMLResponse:
    visitor = staff_at(request, site_id)
    site = await site_context(services, visitor, site_id)
    (name, balance, documents, payments, profile), (packs, prices) = await asyncio.gather(
        asyncio.gather(
            organisation_name(services, visitor, member_id),
            attempt(billing.balance(visitor.token, member_id, site_id)),
            attempt(billing.invoices(visitor.token, member_id, site_id)),
            attempt(billing.payments(visitor.token, member_id)),
            attempt(billing.profile(visitor.token, member_id)),
        ),
        asyncio.gather(
            attempt(billing.credit_packs(visitor.token, member_id, site_id)),
            attempt(billing.price_lists(visitor.token, site_id)),
        ),
    )
    asked = request.query_params
    refused_form = asked.get("form", "")
    refused = form_refusal(request)
    typed = {k: asked.get(k, "") for k in (*PAYMENT_FIELDS, *PROFILE_FIELDS)}
    payment = (
        {k: typed[k] for k in PAYMENT_FIELDS}
        if refused_form == "payment"
        else {"method": METHODS[0], "received_on": site.today.isoformat(), "invoice_id": asked.get("invoice_id", "")}
    )
    profile_typed = {k: typed[k] for k in PROFILE_FIELDS} if refused_form == "profile" else profile_form(profile.data)
    numbers = {i.invoice_id: i.number for i in documents.data or []}
    return page(
        request,
        "staff_billing.html",
        visitor,
        **site.context(),
        member_id=member_id,
        member_name=name,
        balance=balance,
        documents=documents,
        payments=payments.map(lambda found: [p for p in found if p.site_id == site_id]),
        profile=profile,
        numbers=numbers,
        payable=payable(documents.data or []),
        methods=METHODS,
        languages=PROFILE_LANGUAGES,
        payment_form=payment,
        payment_errors=refused if refused_form == "payment" else FormErrors(),
        profile_form=profile_typed,
        profile_errors=refused if refused_form == "profile" else FormErrors(),
        packs=packs,
        on_sale=packs_on_sale(prices.data),
        pack_errors=refused if refused_form == "pack" else FormErrors(),
        hours=hours,
        is_admin=visitor.principal.role == Role.ADMIN,
        creditable=creditable,
        state_key=state_key,
        money=lambda minor, currency="MAD": money(minor, currency, visitor.t),
        new_key=new_key,
        billing_url=billing_url(site_id, member_id),
    )


async def payment_refusal(
    problem: ServiceProblem, billing: Billing, visitor: Visitor, invoice_id: str | None
) -> Outcome[object]:
    """Billing's refusal of a payment in the desk's words, next to the form's field it names: more than
    the invoice has left to pay (409) says what is left, read from the invoice; a value billing cannot
    take (422) is the field's own sentence; a desk of another site (403) is said as such."""
    if problem.status == 409 and problem.field == "amount_minor" and invoice_id:
        invoice = await attempt(billing.invoice(visitor.token, invoice_id))
        if invoice.data is not None:
            left = money(invoice.data.due_minor, invoice.data.currency, visitor.t)
            return Outcome(
                field="amount", message=visitor.t("billing.more_than_due", number=invoice.data.number, due=left)
            )
    field, message = refusal(problem, visitor, [*PAYMENT_FIELDS, "amount_minor"])
    field = form_field(field)
    if problem.status == 422 and field in PAYMENT_FIELDS:
        message = visitor.t(f"billing.invalid.{field}")
    return Outcome(field=field, message=message)


@router.post("/sites/{site_id}/members/{member_id}/billing/payments")
async def record_payment(request: Request, billing: BillingClient, site_id: str, member_id: str) -> Response:
    visitor = staff_at(request, site_id)
    form = await form_of(request)
    back = billing_url(site_id, member_id)
    kept = {"form": "payment", **{k: form.get(k, "") for k in PAYMENT_FIELDS}}
    amount = minor_units(form.get("amount", ""))
    if not amount:  # nothing, zero or not an amount: said before billing is asked
        return back_to_form(
            back, Outcome(field="amount", message=visitor.t("billing.invalid.amount")), kept, "#payment-title"
        )
    body = payment_body(form, member_id, site_id, amount)
    try:
        payment = await billing.record_payment(visitor.token, body, form.get("idempotency_key"))
    except ServiceProblem as exc:
        outcome = await payment_refusal(exc, billing, visitor, body["invoice_id"])
        return back_to_form(back, outcome, kept, "#payment-title")
    except Unavailable as exc:
        return back_to_form(
            back, Outcome(message=visitor.t("unavailable", service=exc.service)), kept, "#payment-title"
        )
    said = money(payment.amount_minor, payment.currency, visitor.t)
    return done(back, visitor.t("billing.payment_recorded", amount=said, reference=payment.reference))


@router.post("/sites/{site_id}/members/{member_id}/billing/profile")
async def keep_profile(request: Request, billing: BillingClient, site_id: str, member_id: str) -> Response:
    visitor = staff_at(request, site_id)
    form = await form_of(request)
    back = billing_url(site_id, member_id)
    outcome = await run(billing.keep_profile(visitor.token, member_id, profile_body(form)), visitor, PROFILE_FIELDS)
    if outcome.answer is None:
        refused = in_own_words(outcome, visitor, PROFILE_FIELDS, "billing.invalid.")
        kept = {"form": "profile", **{k: form.get(k, "") for k in PROFILE_FIELDS}}
        return back_to_form(back, refused, kept, "#profile-title")
    return done(back, visitor.t("billing.profile_saved"))


@router.post("/sites/{site_id}/members/{member_id}/billing/packs")
async def sell_pack(request: Request, billing: BillingClient, site_id: str, member_id: str) -> Response:
    visitor = staff_at(request, site_id)
    form = await form_of(request)
    back = billing_url(site_id, member_id)
    body = {"site_id": site_id, "code": form.get("code", "")}
    outcome = await run(
        billing.sell_pack(visitor.token, member_id, body, form.get("idempotency_key")), visitor, PACK_FIELDS
    )
    if outcome.answer is None:
        refused = in_own_words(outcome, visitor, PACK_FIELDS, "billing.invalid.")
        return back_to_form(back, refused, {"form": "pack", "code": body["code"]}, "#packs-title")
    sold = outcome.answer
    until = sold.expires_on.strftime("%d/%m/%Y")
    return done(back, visitor.t("billing.pack_sold", label=sold.label, hours=hours(sold.minutes), until=until))
