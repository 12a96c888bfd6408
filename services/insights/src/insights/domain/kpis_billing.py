"""Money KPIs, from billing's published facts alone: pure functions, no I/O.

Billing says what it charged (`billing.charge`), invoiced and credited (`billing.invoice`) and
was paid (`billing.payment`); every event carries its document's full state, so the folded
histories (`insights.domain.facts`) give each charge, invoice, credit note and payment as it
stood at `as_of`, exactly as the other KPIs read bookings or residencies. Amounts stay integer
minor units (centimes) throughout: a sum of integers is exact, and equal to billing's own.

- **revenue** (`revenue_*`): invoices issued in the range less credit notes issued in the range,
  by their `issued_on` (a local date, billing's own), at the document's site. A credit note
  lowers the revenue of the period it is issued in, not the invoice's: an issued invoice never
  changes, and the books of a closed month stay closed.
- **receivables** (`receivables_*`, `invoices_overdue`): a stock, measured at `as_of`: every
  invoice's total less every credit note and every payment known then (a payment on account,
  naming no invoice, counts too: billing's `Balance`). The overdue part is, per invoice past its
  `due_on` (on `as_of`'s UTC date, as billing decides it) and not `settled`, what payments on it
  and credit notes correcting it have not covered (`overdue_invoices`: the one rule, which the
  mailer's overdue reminders read too).
- **charges** (`charges_*`): what members were charged for what they used, by `billable_on` in
  the range, voided charges left out; by cause, so a park sees what its offices (`residency`)
  earn beside its services (`booking`, `day_pass`, fees).

Only the network's currency is counted (`CURRENCY`): amounts in two currencies do not add up,
and every price list is in dirhams; a document in another currency is left out, not converted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from insights.domain.facts import Histories, History, day

if TYPE_CHECKING:  # kpis imports this module: the scope is only a type here
    from insights.domain.kpis import Scope

CURRENCY = "MAD"
"""The network invoices in Moroccan dirhams; amounts are its minor units (centimes)."""

CHARGES = "billing.charge"
INVOICES = "billing.invoice"
PAYMENTS = "billing.payment"
BILLING_TOPICS = (CHARGES, INVOICES, PAYMENTS)
"""The topics billing publishes on, projected like any other: the money KPIs read them alone."""

INVOICE = "invoice"
CREDIT_NOTE = "credit_note"
VOIDED = "voided"
SETTLED = "settled"


def _counted(state: Mapping[str, Any]) -> bool:
    return state.get("currency") == CURRENCY


def _documents(known: Histories, aggregate: str) -> list[History]:
    return [h for h in known.get(aggregate, {}).values() if _counted(h.state)]


def revenue(known: Histories, scope: Scope) -> dict[str, Any]:
    """Invoiced net and gross (VAT included) in the range, less credit notes, and net per site."""
    net = gross = 0
    by_site: Counter[str] = Counter()
    for h in _documents(known, INVOICES):
        document = h.state
        if not (scope.at(document["site_id"]) and scope.covers(day(document["issued_on"]))):
            continue
        sign = -1 if document["kind"] == CREDIT_NOTE else 1
        net += sign * document["net_minor"]
        gross += sign * document["total_minor"]
        by_site[document["site_id"]] += sign * document["net_minor"]
    return {
        "revenue_net_minor": net,
        "revenue_gross_minor": gross,
        "revenue_by_site_minor": dict(sorted(by_site.items())),
    }


@dataclass(frozen=True)
class Overdue:
    """An invoice past its due date with something left to pay on it, on a given day."""

    invoice: Mapping[str, Any]
    """Its latest state (number, member, site, due date, total)."""
    left_minor: int
    """Its total less the payments naming it and the credit notes correcting it: above 0."""
    days: int
    """Days since its `due_on`: 1 the day after."""


def overdue_invoices(known: Histories, today: date) -> list[Overdue]:
    """Every invoice past its `due_on` on `today` (a UTC date, as billing decides it), not `settled`,
    that payments naming it and credit notes correcting it have not covered.

    The one rule of "overdue": the receivables KPI sums it, the mailer's reminders name it. A
    payment on account (naming no invoice) pays none of them."""
    documents = _documents(known, INVOICES)
    # What covers each invoice: the payments naming it and the credit notes correcting it, wherever
    # the scope is (billing keeps both at the invoice's site anyway).
    covered: Counter[str] = Counter()
    for payment in _documents(known, PAYMENTS):
        if payment.state.get("invoice_id"):
            covered[payment.state["invoice_id"]] += payment.state["amount_minor"]
    for h in documents:
        if h.state["kind"] == CREDIT_NOTE and h.state.get("credits_invoice_id"):
            covered[h.state["credits_invoice_id"]] += h.state["total_minor"]
    found: list[Overdue] = []
    for h in documents:
        document = h.state
        if document["kind"] == CREDIT_NOTE or SETTLED in h.verbs():
            continue
        due_on = day(document["due_on"])
        left = document["total_minor"] - covered[document["invoice_id"]]
        if today > due_on and left > 0:
            found.append(Overdue(document, left, (today - due_on).days))
    return found


def receivables(known: Histories, scope: Scope) -> dict[str, Any]:
    """What members owe at `as_of` (negative when they paid in advance), and what of it is overdue."""
    owed = 0
    for h in _documents(known, INVOICES):
        document = h.state
        if scope.at(document["site_id"]):
            owed += -document["total_minor"] if document["kind"] == CREDIT_NOTE else document["total_minor"]
    owed -= sum(h.state["amount_minor"] for h in _documents(known, PAYMENTS) if scope.at(h.state["site_id"]))
    late = [o for o in overdue_invoices(known, scope.as_of.date()) if scope.at(o.invoice["site_id"])]
    return {
        "receivables_minor": owed,
        "receivables_overdue_minor": sum(o.left_minor for o in late),
        "invoices_overdue": len(late),
    }


def charges(known: Histories, scope: Scope) -> dict[str, Any]:
    """Net amounts charged for what was used in the range (voided charges left out), in all and per cause."""
    by_cause: Counter[str] = Counter()
    for h in _documents(known, CHARGES):
        charge = h.state
        if charge["status"] == VOIDED or not scope.at(charge["site_id"]):
            continue
        if scope.covers(day(charge["billable_on"])):
            by_cause[charge["cause"]] += charge["net_minor"]
    return {"charges_minor": sum(by_cause.values()), "charges_by_cause_minor": dict(sorted(by_cause.items()))}


def money(known: Histories, scope: Scope) -> dict[str, Any]:
    """Every money KPI of the scope."""
    return {**revenue(known, scope), **receivables(known, scope), **charges(known, scope)}
