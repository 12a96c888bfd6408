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
  and credit notes correcting it have not covered.
- **charges** (`charges_*`): what members were charged for what they used, by `billable_on` in
  the range, voided charges left out; by cause, so a park sees what its offices (`residency`)
  earn beside its services (`booking`, `day_pass`, fees).

Only the network's currency is counted (`CURRENCY`): amounts in two currencies do not add up,
and every price list is in dirhams; a document in another currency is left out, not converted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
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


def receivables(known: Histories, scope: Scope) -> dict[str, Any]:
    """What members owe at `as_of` (negative when they paid in advance), and what of it is overdue."""
    today = scope.as_of.date()
    documents = _documents(known, INVOICES)
    payments = [h.state for h in _documents(known, PAYMENTS)]
    # What covers each invoice: the payments naming it and the credit notes correcting it, wherever
    # the scope is (billing keeps both at the invoice's site anyway).
    covered: Counter[str] = Counter()
    for payment in payments:
        if payment.get("invoice_id"):
            covered[payment["invoice_id"]] += payment["amount_minor"]
    for h in documents:
        if h.state["kind"] == CREDIT_NOTE and h.state.get("credits_invoice_id"):
            covered[h.state["credits_invoice_id"]] += h.state["total_minor"]
    owed = overdue = late = 0
    for h in documents:
        document = h.state
        if not scope.at(document["site_id"]):
            continue
        if document["kind"] == CREDIT_NOTE:
            owed -= document["total_minor"]
            continue
        owed += document["total_minor"]
        left = document["total_minor"] - covered[document["invoice_id"]]
        if SETTLED not in h.verbs() and today > day(document["due_on"]) and left > 0:
            overdue += left
            late += 1
    owed -= sum(p["amount_minor"] for p in payments if scope.at(p["site_id"]))
    return {"receivables_minor": owed, "receivables_overdue_minor": overdue, "invoices_overdue": late}


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
