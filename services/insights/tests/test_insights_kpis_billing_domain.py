"""The money KPIs on billing's facts, without infrastructure: revenue by the day a document is
issued (credit notes in their own period), receivables and their overdue part as of a moment,
charges by cause with voided ones left out; duplicates, other currencies and the forms (rows,
charts) they take. The numbers are the hand-made ledger of `insights_billing.november`."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
from insights_billing import ATLAS, CASA, QALAM, RABAT, Books, at, november
from insights_scenario import Scenario

from insights.adapters.projection import PROJECTED_TOPICS, WEBHOOK_TOPICS
from insights.domain import charts
from insights.domain.facts import Fact, end_of_day
from insights.domain.kpis import BY_NAME, Scope, compute, rows
from insights.domain.kpis_billing import BILLING_TOPICS
from insights.domain.webhooks import offered, wants

NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))
Money = dict[str, Any]


def facts_of(scenario: Scenario) -> list[Fact]:
    return [Fact(e.id, e.type, e.subject, e.sequence, e.time, e.data) for e in scenario.envelopes]


def ledger() -> list[Fact]:
    scenario = Scenario()
    november(Books(scenario.add))
    return facts_of(scenario)


def money(facts: list[Fact], as_of: date, site: str | None = None, period: tuple[date, date] = NOVEMBER) -> Money:
    """The money KPIs of `site` (else the network) over `period`, as of the end of the day `as_of`."""
    kpis = compute(facts, Scope(period[0], period[1], end_of_day(as_of), site))
    return {name: value for name, value in kpis.items() if name.endswith("_minor") or name == "invoices_overdue"}


def owed(found: Money) -> tuple[int, int, int]:
    """(receivables, their overdue part, overdue invoices)."""
    return found["receivables_minor"], found["receivables_overdue_minor"], found["invoices_overdue"]


def test_revenue_is_what_was_invoiced_in_the_range_less_the_credit_notes_issued_in_it() -> None:
    facts = ledger()
    before_the_note = money(facts, date(2026, 11, 19), RABAT)
    assert (before_the_note["revenue_net_minor"], before_the_note["revenue_gross_minor"]) == (325000, 390000)
    after = money(facts, date(2026, 11, 30), RABAT)
    assert (after["revenue_net_minor"], after["revenue_gross_minor"]) == (300000, 360000)
    assert after["revenue_by_site_minor"] == {RABAT: 300000}
    network = money(facts, date(2026, 11, 30))
    assert (network["revenue_net_minor"], network["revenue_gross_minor"]) == (400000, 480000)
    assert network["revenue_by_site_minor"] == {CASA: 100000, RABAT: 300000}
    # the credit note lowers the period it is issued in: 20 November alone holds it
    note_day = money(facts, date(2026, 11, 30), RABAT, (date(2026, 11, 20), date(2026, 11, 20)))
    assert (note_day["revenue_net_minor"], note_day["revenue_gross_minor"]) == (-25000, -30000)
    # by `issued_on`: October's invoices were issued in November, so October shows none
    assert money(facts, date(2026, 11, 30), None, (date(2026, 10, 1), date(2026, 10, 31)))["revenue_net_minor"] == 0


@pytest.mark.parametrize(
    ("as_of", "receivable", "overdue", "late"),
    [
        (date(2026, 11, 9), 390000, 0, 0),  # issued, nothing paid, not due yet
        (date(2026, 11, 13), 190000, 0, 0),  # 2,000.00 paid
        (date(2026, 11, 15), 190000, 0, 0),  # due today: not late yet
        (date(2026, 11, 18), 190000, 190000, 1),  # past due, not settled
        (date(2026, 11, 24), 160000, 160000, 1),  # the credit note covers its part
        (date(2026, 11, 25), 0, 0, 0),  # paid and settled
    ],
)
def test_receivables_and_their_overdue_part_as_of_a_day(as_of: date, receivable: int, overdue: int, late: int) -> None:
    assert owed(money(ledger(), as_of, RABAT)) == (receivable, overdue, late)


def test_a_payment_on_account_lowers_what_is_owed_but_pays_no_invoice() -> None:
    facts = ledger()
    before_due = money(facts, date(2026, 12, 2), CASA)
    assert (before_due["receivables_minor"], before_due["receivables_overdue_minor"]) == (70000, 0)
    late = money(facts, date(2026, 12, 3), CASA)
    assert owed(late) == (70000, 120000, 1)
    assert money(facts, date(2026, 11, 30))["receivables_minor"] == 70000  # the network: Rabat owes nothing


def test_a_settled_invoice_is_never_overdue_whatever_insights_saw_of_its_payments() -> None:
    """Settled says payments and credit notes cover it: a payment insights has not (a gateway's
    taken on account, say) does not make it late."""
    scenario = Scenario()
    books = Books(scenario.add)
    invoice = books.invoice(at(11, 1, 6), invoice_id="inv-x", site_id=RABAT, member_id=QALAM, period="2026-10",
                            issued_on=date(2026, 11, 1), due_on=date(2026, 11, 5), lines=[("ch-x", 10000)])  # fmt: skip
    assert money(facts_of(scenario), date(2026, 11, 6), RABAT)["receivables_overdue_minor"] == 12000
    books.settle(invoice, at(11, 6, 12), 12000)
    assert owed(money(facts_of(scenario), date(2026, 11, 7), RABAT)) == (12000, 0, 0)


def test_charges_by_cause_in_the_range_voided_ones_left_out_once_voided() -> None:
    facts = ledger()
    before_void = money(facts, date(2026, 11, 13), RABAT)
    assert before_void["charges_by_cause_minor"] == {"booking": 50000, "day_pass": 9000, "residency": 300000}
    after = money(facts, date(2026, 11, 30), RABAT)
    assert after["charges_by_cause_minor"] == {"booking": 25000, "day_pass": 9000, "residency": 300000}
    assert after["charges_minor"] == 334000
    assert money(facts, date(2026, 11, 30))["charges_minor"] == 343000  # with Casablanca's day pass
    # by `billable_on`: the first ten days hold the residency alone
    first_days = money(facts, date(2026, 11, 30), RABAT, (date(2026, 11, 1), date(2026, 11, 9)))
    assert first_days["charges_by_cause_minor"] == {"residency": 300000}


def test_a_front_desk_of_both_sites_sees_their_sum() -> None:
    facts = ledger()
    as_of = end_of_day(date(2026, 12, 3))
    both = compute(facts, Scope(*NOVEMBER, as_of, sites=frozenset({RABAT, CASA})))
    rabat, casa = (compute(facts, Scope(*NOVEMBER, as_of, site)) for site in (RABAT, CASA))
    for name in ("revenue_net_minor", "receivables_minor", "receivables_overdue_minor", "charges_minor"):
        assert both[name] == rabat[name] + casa[name], name
    assert compute(facts, Scope(*NOVEMBER, as_of, sites=frozenset({"site-fes"})))["revenue_net_minor"] == 0


def test_every_billing_fact_twice_in_any_order_counts_once() -> None:
    facts = ledger()
    for as_of in (date(2026, 11, 18), date(2026, 12, 3)):
        scope = Scope(*NOVEMBER, end_of_day(as_of))
        assert compute(facts + list(reversed(facts)), scope) == compute(facts, scope)


def test_amounts_in_another_currency_are_left_out_not_added() -> None:
    scenario = Scenario()
    books = Books(scenario.add)
    books.charge(at(11, 2), charge_id="ch-eur", site_id=RABAT, member_id=ATLAS, cause="booking", cause_id="bk-eur",
                 billable_on=date(2026, 11, 2), net_minor=5000, currency="EUR")  # fmt: skip
    books.invoice(at(11, 2), invoice_id="inv-eur", site_id=RABAT, member_id=ATLAS, period="2026-10",
                  issued_on=date(2026, 11, 2), due_on=date(2026, 11, 3), lines=[("ch-eur", 5000)],
                  currency="EUR")  # fmt: skip
    found = money(facts_of(scenario), date(2026, 11, 30), RABAT)
    assert found == {
        "revenue_net_minor": 0, "revenue_gross_minor": 0, "revenue_by_site_minor": {}, "receivables_minor": 0,
        "receivables_overdue_minor": 0, "invoices_overdue": 0, "charges_minor": 0, "charges_by_cause_minor": {},
    }  # fmt: skip


def test_nothing_billed_is_zero_and_every_amount_an_integer() -> None:
    empty = compute([], Scope(*NOVEMBER, datetime(2026, 12, 1, tzinfo=UTC)))
    assert empty["revenue_net_minor"] == empty["receivables_minor"] == empty["charges_minor"] == 0
    assert empty["revenue_by_site_minor"] == empty["charges_by_cause_minor"] == {}
    full = compute(ledger(), Scope(*NOVEMBER, end_of_day(date(2026, 12, 3))))
    amounts = [v for n, v in full.items() if BY_NAME[n].unit in ("amount", "amounts")]
    assert len(amounts) == 7
    for value in amounts:
        for amount in value.values() if isinstance(value, dict) else [value]:
            assert type(amount) is int


def test_rows_keep_centimes_and_charts_show_dirhams() -> None:
    kpis = compute(ledger(), Scope(*NOVEMBER, end_of_day(date(2026, 11, 30))))
    table = {(kpi, dimension): value for kpi, dimension, value in rows(kpis)}
    assert table[("revenue_net_minor", "")] == 400000
    assert table[("revenue_by_site_minor", RABAT)] == 300000
    assert table[("charges_by_cause_minor", "residency")] == 300000
    assert table[("invoices_overdue", "")] == 0
    assert "4,000.00 MAD" in charts.render("revenue_net_minor", kpis["revenue_net_minor"], "network")
    svg = charts.render("charges_by_cause_minor", kpis["charges_by_cause_minor"], "network")
    assert ">residency<" in svg
    assert "3,000.00 MAD" in svg
    assert "180.00 MAD" in svg  # a day pass at each site
    values = re.findall(r'<text x="(\d+)" y="\d+">([^<]*MAD)</text>', svg)
    assert len(values) == len(kpis["charges_by_cause_minor"]) == 3
    for x, shown in values:  # none cut off at the chart's edge
        assert int(x) + charts.CHAR_WIDTH * len(shown) <= charts.WIDTH, shown
    assert "-250.00 MAD" in charts.render("revenue_net_minor", -25000, "a credit note's day")


def test_billing_topics_are_projected_but_their_facts_offered_to_no_webhook() -> None:
    """The money KPIs need billing's facts in the log; partners subscribed to `parkgrid` do not get
    a member's invoices and payments until someone decides they should."""
    assert set(BILLING_TOPICS) == {"billing.charge", "billing.invoice", "billing.payment"}
    assert set(BILLING_TOPICS) <= set(PROJECTED_TOPICS)
    assert set(WEBHOOK_TOPICS) == set(PROJECTED_TOPICS) - set(BILLING_TOPICS)
    for event_type in ("parkgrid.billing.invoice.issued", "parkgrid.billing.payment.recorded"):
        assert not offered(event_type)
        assert not wants(["parkgrid"], None, event_type, {"site_id": RABAT})
        assert not wants([event_type], RABAT, event_type, {"site_id": RABAT})
    assert wants(["parkgrid"], None, "parkgrid.spaces.site.registered", {"site_id": RABAT})
