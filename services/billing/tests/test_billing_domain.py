"""Billing's pure rules: money and VAT, price lists and programme rates, charges from causes,
residencies pro rata across moves, invoices whose totals are their lines', numbers, credit notes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.domain import charges as rules
from billing.domain import invoices, packs
from billing.domain.charges import BookedSession, DayPass, OfferingPrice, Residency, Stay
from billing.domain.invoices import Customer
from billing.domain.money import discounted, months_between, pro_rata, text, vat_of
from billing.domain.payments import Payment, balance
from billing.domain.prices import CreditPack, Discount, LegalEntity, MemberFacts, PriceList, in_force
from parkgrid.contracts.billing import ChargeCause, ChargeStatus, DocumentKind, InvoiceStatus, PaymentMethod
from parkgrid.contracts.catalogue import OfferingCategory
from parkgrid.contracts.common import MemberKind, ProgrammeStage, SpaceKind
from parkgrid.refusals import Refused

ENTITY = LegalEntity(code="TPR", name="Technopark Rabat SA", ice="001525369000088", address="Rabat")
PROGRAMME_RATE = Discount(
    label="Incubation, first 18 months", percent=50, stage=ProgrammeStage.INCUBATION, within_months=18
)
PRICES = PriceList(
    site_id="site-rabat",
    version=2,
    effective_from=date(2026, 1, 1),
    legal_entity=ENTITY,
    monthly={SpaceKind.PRIVATE_OFFICE: 600_000, SpaceKind.DEDICATED_DESK: 120_000},
    space_monthly={"office-top": 900_000},
    room_hour=15_000,
    day_pass=8_000,
    late_cancellation_percent=50,
    no_show_percent=100,
    discounts=(PROGRAMME_RATE, Discount(label="Partners", percent=10, member_kind=MemberKind.PARTNER)),
)
INCUBATED = MemberFacts("m-1", "Qalam", MemberKind.STARTUP, ProgrammeStage.INCUBATION, date(2026, 1, 15))


def session(**changes: object) -> BookedSession:
    fields: dict[str, object] = {
        "booking_id": "b-1",
        "member_id": "m-1",
        "site_id": "site-rabat",
        "title": "Pitch clinic",
        "day": date(2026, 4, 15),
        "minutes": 90,
        "party_size": 2,
        "category": OfferingCategory.EXPERT_CLINIC,
        "credits": 0,
    }
    return BookedSession(**{**fields, **changes})  # type: ignore[arg-type]


# --- money -----------------------------------------------------------------------------


def test_vat_is_rounded_half_up_to_the_centime() -> None:
    assert vat_of(25_000, 2000) == 5_000
    assert vat_of(1, 2000) == 0  # 0.2 centime
    assert vat_of(3, 2000) == 1  # 0.6 centime
    assert vat_of(25, 2000) == 5
    assert vat_of(1_234_567, 1000) == 123_457  # 10 % (a reduced rate), 123 456.7


def test_a_discount_and_a_pro_rata_round_half_up() -> None:
    assert discounted(10_001, 50) == 5_000  # the discount 5 000.5 rounds up to 5 001
    assert pro_rata(600_000, 18, 30) == 360_000
    assert pro_rata(100, 1, 3) == 33


def test_amounts_read_the_way_an_invoice_prints_them() -> None:
    assert text(123_450) == "1\u202f234,50 MAD"
    assert text(5) == "0,05 MAD"


def test_months_between_lists_every_period() -> None:
    assert months_between(date(2026, 11, 20), date(2027, 2, 1)) == ["2026-11", "2026-12", "2027-01", "2027-02"]
    assert months_between(date(2026, 3, 1), date(2026, 2, 1)) == []


# --- price lists -------------------------------------------------------------------------


def test_the_programme_rate_applies_in_the_first_18_months_only() -> None:
    assert PRICES.discount_for(INCUBATED, date(2027, 7, 14)) == PROGRAMME_RATE
    assert PRICES.discount_for(INCUBATED, date(2027, 7, 15)) is None
    graduated = MemberFacts("m-2", "Argan", MemberKind.STARTUP, ProgrammeStage.ACCELERATION, date(2026, 1, 15))
    assert PRICES.discount_for(graduated, date(2026, 4, 1)) is None
    assert PRICES.discount_for(None, date(2026, 4, 1)) is None


def test_the_largest_applicable_discount_wins() -> None:
    incubated_partner = MemberFacts("m-3", "P", MemberKind.PARTNER, ProgrammeStage.INCUBATION, date(2026, 1, 1))
    assert PRICES.discount_for(incubated_partner, date(2026, 2, 1)) == PROGRAMME_RATE


def test_the_version_in_force_is_the_latest_effective_by_the_day() -> None:
    later = PriceList(site_id="site-rabat", version=3, effective_from=date(2026, 6, 1), legal_entity=ENTITY)
    assert in_force([PRICES, later], date(2026, 5, 31)) == PRICES
    assert in_force([PRICES, later], date(2026, 6, 1)) == later
    assert in_force([PRICES, later], date(2025, 12, 31)) is None


# --- charges -------------------------------------------------------------------------------


def test_a_priced_booking_is_charged_per_place_at_the_programme_rate() -> None:
    charge = rules.for_booking(session(), OfferingPrice(25_000, "MAD"), PRICES, INCUBATED)
    assert charge is not None
    assert charge.charge_id == "booking:b-1"
    assert (charge.quantity, charge.unit_price_minor, charge.discount_percent) == (2, 25_000, 50)
    assert charge.net_minor == 25_000
    assert charge.vat_rate_bp == 2000
    assert charge.price_list_version == 2
    assert charge.billable_on == date(2026, 4, 15)


def test_a_meeting_room_without_a_price_is_charged_by_the_hour() -> None:
    room = session(category=OfferingCategory.MEETING_ROOM, minutes=90, party_size=6)
    charge = rules.for_booking(room, None, PRICES, None)
    assert charge is not None
    assert (charge.quantity, charge.unit_price_minor, charge.net_minor) == (1, 22_500, 22_500)


def test_free_and_credit_bookings_are_not_charged() -> None:
    assert rules.for_booking(session(), None, PRICES, None) is None
    assert rules.for_booking(session(category=OfferingCategory.MEETING_ROOM, credits=2), None, PRICES, None) is None
    assert rules.for_booking(session(), OfferingPrice(0, "MAD"), PRICES, None) is None


def test_a_price_in_another_currency_is_refused_loudly() -> None:
    with pytest.raises(rules.CurrencyMismatch):
        rules.for_booking(session(), OfferingPrice(2_500, "EUR"), PRICES, None)


def test_a_late_cancellation_fee_is_the_policy_share_of_what_was_charged() -> None:
    charge = rules.for_booking(session(), OfferingPrice(25_000, "MAD"), PRICES, None)
    assert charge is not None
    fee = rules.fee(charge, ChargeCause.LATE_CANCELLATION, 50, "Late cancellation")
    assert fee is not None
    assert fee.charge_id == "late_cancellation:b-1"
    assert (fee.quantity, fee.net_minor, fee.discount_percent) == (1, 25_000, 0)
    assert fee.description.startswith("Late cancellation: Pitch clinic")


def test_only_an_open_charge_can_be_voided() -> None:
    charge = rules.for_booking(session(), OfferingPrice(25_000, "MAD"), PRICES, None)
    assert charge is not None
    assert rules.void(charge).status == ChargeStatus.VOIDED
    with pytest.raises(Refused):
        rules.void(charge.__class__(**{**charge.__dict__, "invoice_id": "inv-1"}))


def test_a_day_pass_is_charged_at_the_site_rate() -> None:
    charge = rules.for_day_pass(DayPass("dp-1", "m-1", "site-rabat", "Open space", date(2026, 4, 2)), PRICES, None)
    assert charge is not None
    assert (charge.charge_id, charge.net_minor) == ("day_pass:dp-1", 8_000)


# --- residencies ---------------------------------------------------------------------------


def office(first: date, last: date, space: str = "office-12", kind: SpaceKind = SpaceKind.PRIVATE_OFFICE) -> Stay:
    return Stay(space, "site-rabat", kind, 4, first, last)


def month_charges(residency: Residency, period: str) -> list[rules.Charge]:
    return rules.for_residency_month(residency, period, lambda site, day: PRICES, None, lambda space: space)


def test_a_whole_month_of_an_office_is_its_monthly_price() -> None:
    residency = Residency("r-1", "m-1", ()).started(office(date(2026, 1, 1), date(2026, 12, 31)))
    [charge] = month_charges(residency, "2026-04")
    assert (charge.charge_id, charge.net_minor, charge.quantity) == ("residency:r-1:2026-04:0", 600_000, 1)


def test_a_partial_month_is_pro_rata_of_its_days() -> None:
    residency = Residency("r-1", "m-1", ()).started(office(date(2026, 4, 13), date(2026, 12, 31)))
    [charge] = month_charges(residency, "2026-04")
    assert charge.net_minor == pro_rata(600_000, 18, 30)
    assert "18/30 days" in charge.description


def test_a_move_mid_month_charges_each_space_for_its_days() -> None:
    residency = (
        Residency("r-1", "m-1", ())
        .started(office(date(2026, 1, 1), date(2026, 12, 31)))
        .moved(office(date(2026, 4, 11), date(2026, 12, 31), space="office-top"))
    )
    first, second = month_charges(residency, "2026-04")
    assert first.net_minor == pro_rata(600_000, 10, 30)
    assert second.net_minor == pro_rata(900_000, 20, 30)
    assert (first.cause_id, second.cause_id) == ("r-1:2026-04:0", "r-1:2026-04:1")


def test_desks_are_charged_per_seat_and_an_early_end_stops_the_charge() -> None:
    desks = office(date(2026, 1, 1), date(2026, 12, 31), space="desks-a", kind=SpaceKind.DEDICATED_DESK)
    residency = Residency("r-2", "m-1", ()).started(desks).ended_on(date(2026, 4, 15))
    [charge] = month_charges(residency, "2026-04")
    assert (charge.quantity, charge.unit_price_minor) == (4, pro_rata(120_000, 15, 30))
    assert month_charges(residency, "2026-05") == []


def test_an_extension_moves_the_last_day() -> None:
    residency = Residency("r-3", "m-1", ()).started(office(date(2026, 1, 1), date(2026, 3, 31)))
    assert month_charges(residency, "2026-04") == []
    assert len(month_charges(residency.extended_to(date(2026, 6, 30)), "2026-04")) == 1


# --- invoices ----------------------------------------------------------------------------


def charge_of(net: int, rate: int = 2000, n: int = 0) -> rules.Charge:
    return rules.Charge(
        charge_id=f"booking:b-{n}",
        member_id="m-1",
        site_id="site-rabat",
        cause=ChargeCause.BOOKING,
        cause_id=f"b-{n}",
        description=f"line {n}",
        billable_on=date(2026, 4, 1 + n % 28),
        quantity=1,
        unit_price_minor=net,
        discount_percent=0,
        net_minor=net,
        vat_rate_bp=rate,
        currency="MAD",
        price_list_version=1,
    )


def a_draft(*charges: rules.Charge) -> invoices.Invoice:
    return invoices.draft(
        site_id="site-rabat",
        customer=Customer("m-1", "Qalam EdTech", "002345678000091"),
        legal_entity=ENTITY,
        period="2026-04",
        charges=charges,
        issued_on=date(2026, 5, 1),
        payment_terms_days=30,
    )


@given(st.lists(st.tuples(st.integers(0, 10_000_000), st.sampled_from([0, 700, 1000, 1400, 2000])), min_size=1))
def test_an_invoice_total_is_always_the_sum_of_its_lines(lines: list[tuple[int, int]]) -> None:
    invoice = a_draft(*(charge_of(net, rate, n) for n, (net, rate) in enumerate(lines)))
    assert invoice.net_minor == sum(line.net_minor for line in invoice.lines)
    assert invoice.vat_minor == sum(vat_of(line.net_minor, line.vat_rate_bp) for line in invoice.lines)
    assert invoice.total_minor == invoice.net_minor + invoice.vat_minor


def test_a_draft_has_no_number_and_is_due_after_the_terms() -> None:
    invoice = a_draft(charge_of(10_000))
    assert invoice.number is None
    assert not invoice.issued
    assert invoice.invoice_id == "inv:site-rabat:m-1:2026-04"
    assert invoice.due_on == date(2026, 5, 31)


def test_numbers_read_by_entity_kind_and_year() -> None:
    issued = invoices.issue(a_draft(charge_of(10_000)), 42)
    assert issued.number == "TPR-2026-000042"
    assert invoices.series_of(issued) == "TPR:invoice:2026"
    assert invoices.number_text("TPR", DocumentKind.CREDIT_NOTE, 2026, 3) == "TPR-AV-2026-000003"


def test_a_payment_may_not_exceed_what_is_due() -> None:
    issued = invoices.issue(a_draft(charge_of(10_000)), 1)  # 120.00 MAD with VAT
    partly = invoices.pay(issued, 2_000)
    assert (partly.due_minor, partly.status) == (10_000, InvoiceStatus.PARTIALLY_PAID)
    with pytest.raises(Refused) as refused:
        invoices.pay(partly, 10_001)
    assert refused.value.field == "amount_minor"
    assert invoices.pay(partly, 10_000).status == InvoiceStatus.PAID
    with pytest.raises(Refused):
        invoices.pay(a_draft(charge_of(10_000)), 1)  # a draft is not payable


def test_a_credit_note_takes_lines_back_once() -> None:
    issued = invoices.issue(a_draft(charge_of(10_000, n=1), charge_of(5_000, n=2)), 7)
    note = invoices.credit_note(issued, "cn-1", ["booking:b-2"], date(2026, 5, 6), [])
    assert (note.kind, note.credits_invoice_id, note.total_minor) == (
        DocumentKind.CREDIT_NOTE,
        issued.invoice_id,
        6_000,
    )
    after = invoices.credited(issued, note)
    assert after.due_minor == 12_000
    with pytest.raises(Refused):
        invoices.credit_note(after, "cn-2", ["booking:b-2"], date(2026, 5, 7), ["booking:b-2"])
    with pytest.raises(Refused) as unknown:
        invoices.credit_note(after, "cn-3", ["booking:b-9"], date(2026, 5, 7), [])
    assert unknown.value.field == "charge_ids"
    whole = invoices.credit_note(issued, "cn-4", None, date(2026, 5, 6), [])
    assert invoices.credited(issued, whole).status == InvoiceStatus.PAID


def test_the_balance_counts_invoices_credit_notes_and_every_payment() -> None:
    issued = invoices.issue(a_draft(charge_of(10_000, n=1), charge_of(5_000, n=2)), 1)  # 180.00 MAD
    note = invoices.issue(invoices.credit_note(issued, "cn-1", ["booking:b-2"], date(2026, 5, 2), []), 1)
    payment = Payment(
        payment_id="pay-1",
        member_id="m-1",
        site_id="site-rabat",
        amount_minor=5_000,
        currency="MAD",
        method=PaymentMethod.CHEQUE,
        reference="CHQ-1",
        received_on=date(2026, 5, 3),
        invoice_id=None,
        recorded_by_role="front_desk",
        recorded_by="desk-1",
        recorded_at=datetime(2026, 5, 3, 9, tzinfo=UTC),
    )
    owed = balance([invoices.credited(issued, note), note], [payment], date(2026, 7, 1))
    assert (owed.invoiced_minor, owed.credited_minor, owed.paid_minor) == (18_000, 6_000, 5_000)
    assert owed.owed_minor == 7_000
    assert owed.overdue_minor == 12_000  # due 31 May, 120.00 MAD of it left after the credit note


def test_a_rooms_included_minutes_are_not_charged_and_still_shown() -> None:
    room = session(category=OfferingCategory.MEETING_ROOM, minutes=90)
    partly = rules.for_booking(room, None, PRICES, None, included_minutes=60)
    assert partly is not None
    assert (partly.unit_price_minor, partly.net_minor) == (7_500, 7_500)  # the half hour left
    assert partly.description.endswith("60 min included")
    whole = rules.for_booking(room, None, PRICES, None, included_minutes=90)
    assert whole is not None
    assert whole.net_minor == 0  # a line of nothing to pay: the invoice shows the hours used


# --- credit packs ---------------------------------------------------------------------

PACK = CreditPack(code="room-10", label="Pack 10 h", room_hours=10, price=120_000, valid_months=3)


def test_a_pack_lasts_until_the_day_before_the_same_day_months_later() -> None:
    assert packs.expiry(date(2026, 3, 20), 3) == date(2026, 6, 19)
    assert packs.expiry(date(2026, 4, 1), 1) == date(2026, 4, 30)
    assert packs.expiry(date(2026, 1, 31), 1) == date(2026, 2, 28)  # February has no 31st
    assert packs.expiry(date(2026, 11, 15), 3) == date(2027, 2, 14)


def test_a_site_sells_only_the_packs_of_its_list() -> None:
    prices = replace(PRICES, credit_packs=(PACK,))
    sale, pack = packs.sell(prices, "room-10", sale_id="s-1", member_id="m-1", sold_on=date(2026, 4, 2), sold_by="d")
    assert (sale.minutes, sale.expires_on, sale.price_list_version, pack) == (600, date(2026, 7, 1), 2, PACK)
    with pytest.raises(Refused) as refused:
        packs.sell(PRICES, "room-10", sale_id="s-2", member_id="m-1", sold_on=date(2026, 4, 2), sold_by="d")
    assert refused.value.field == "code"


def test_a_session_spends_the_pack_expiring_first_and_none_out_of_its_dates() -> None:
    prices = replace(PRICES, credit_packs=(PACK, replace(PACK, code="room-2", valid_months=1)))
    sold = {
        code: packs.sell(prices, code, sale_id=code, member_id="m-1", sold_on=on, sold_by="d")[0]
        for code, on in (("room-10", date(2026, 3, 20)), ("room-2", date(2026, 4, 10)))
    }
    assert [s.sale_id for s in packs.spending_order(sold.values(), date(2026, 4, 15))] == ["room-2", "room-10"]
    assert [s.sale_id for s in packs.spending_order(sold.values(), date(2026, 4, 5))] == ["room-10"]
    assert [s.sale_id for s in packs.spending_order(sold.values(), date(2026, 6, 20))] == []


def test_a_pack_is_charged_at_its_price_less_the_programme_rate_and_covers_room_minutes() -> None:
    prices = replace(PRICES, credit_packs=(PACK,))
    sale, pack = packs.sell(prices, "room-10", sale_id="s-1", member_id="m-1", sold_on=date(2026, 4, 2), sold_by="d")
    charge = rules.for_credit_pack(sale, pack, prices, INCUBATED)
    assert (charge.charge_id, charge.net_minor, charge.billable_on) == ("credit_pack:s-1", 60_000, date(2026, 4, 2))
    room = session(category=OfferingCategory.MEETING_ROOM, minutes=120)
    booked = rules.for_booking(room, None, PRICES, None, included_minutes=60, prepaid_minutes=30)
    assert booked is not None
    assert booked.net_minor == 7_500  # the half hour neither included nor prepaid
    assert booked.description.endswith("60 min included, 30 min from credit packs")
