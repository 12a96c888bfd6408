"""The KPI dashboard (issue 24, item 4; billing's KPIs: issue 20, item 5): its presentation rules
without infrastructure, its pages over HTTP against the real insights of the stack (and the degraded
web app that cannot reach it), billing's figures in dirhams from billing's events as insights counts
them, and a front desk using it in a real browser (Debian's Chromium) with an axe-core check.
"""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import pytest_asyncio
from frontdesk_support import (
    MENTORING,
    SCREENSHOTS,
    SITE,
    ZONE,
    Stack,
    axe_violations,
    eventually,
    publish,
    site_of_its_own,
)
from playwright.async_api import Browser, expect

from frontdesk.domain.dashboard import (
    DASH,
    LABEL_WIDTH,
    NARROW_SPACE,
    PAD,
    VALUE_ROOM,
    WIDTH,
    dashboard_of,
    number,
    percent,
    period_of,
)
from frontdesk.domain.messages import translator
from frontdesk.entrypoints.http.pages import templates
from frontdesk.entrypoints.http.panels import Panel
from parkgrid.api.insights import KpiReport
from parkgrid.auth import Role
from parkgrid.contracts import billing as bl
from parkgrid.contracts.common import Actor
from parkgrid.events import IntegrationEvent

pytest_plugins = ["frontdesk_fixtures"]

TRACK = WIDTH - LABEL_WIDTH - VALUE_ROOM - 2 * PAD


def report(site_id: str | None = SITE, **kpis: Any) -> KpiReport:
    """A KPI report as insights writes it (every KPI zero or empty unless given)."""
    zero: dict[str, Any] = {
        "bookings": 0,
        "bookings_by_category": {},
        "bookings_by_site": {},
        "confirmation_rate": None,
        "rejection_rate": None,
        "cancellation_rate": None,
        "late_cancellation_rate": None,
        "no_show_rate": None,
        "time_to_confirmation": {"count": 0},
        "waitlist_joined": 0,
        "waitlist_promoted": 0,
        "waitlist_conversion_rate": None,
        "events": 0,
        "events_completed": 0,
        "events_cancelled": 0,
        "event_registrations": 0,
        "event_fill_rate": None,
        "event_attendance_rate": None,
        "event_attendees": 0,
        "event_waitlist_conversion_rate": None,
        "occupancy": {},
        "residents": 0,
        "residencies_started": 0,
        "residencies_ended": 0,
        "residency_turnover_rate": None,
        "members": 0,
        "members_by_stage": {},
    }
    return KpiReport.model_validate(
        {
            "site_id": site_id,
            "from": "2026-11-05",
            "to": "2026-12-04",
            "as_of": "2026-12-04T23:59:59+00:00",
            "kpis": zero | kpis,
            "definitions": [],
        }
    )


SAMPLE: dict[str, Any] = {
    "bookings": 1234,
    "bookings_by_category": {"meeting_room": 4, "mentoring": 9, "quantum_lab": 1},
    "bookings_by_site": {"site-a": 7, "network": 2},
    "confirmation_rate": 0.8,
    "no_show_rate": 0.125,
    "occupancy": {"meeting_room": {"unit": "hours", "capacity": 40, "used": 10.5, "rate": 0.2625}},
    "residency_turnover_rate": 0.5,
    "members_by_stage": {"incubation": 3},
}


# -- presentation rules --------------------------------------------------------------------------


def test_numbers_and_rates_are_written_as_each_language_writes_them() -> None:
    assert number(1234.5, "en", 1) == "1,234.5"
    assert number(1234.5, "fr", 1) == f"1{NARROW_SPACE}234,5"
    assert number(1234.5, "ar", 1) == "1.234,5"  # Western digits, as Moroccan Arabic writing does
    assert percent(0.125, "en") == "12.5%"
    assert percent(0.125, "fr") == f"12,5{NARROW_SPACE}%"
    assert percent(0.5, "ar") == f"50{NARROW_SPACE}%"
    assert percent(None, "fr") == DASH  # nothing to divide: a dash, never 0 %


def test_the_period_is_the_thirty_days_ending_on_the_as_of_date() -> None:
    assert period_of(date(2026, 12, 4)) == (date(2026, 11, 5), date(2026, 12, 4))


def test_a_site_report_becomes_figures_and_charts_in_the_readers_language() -> None:
    board = dashboard_of(report(**SAMPLE), translator("fr"), "fr", {"site-a": "Technopark"})
    names = [c.name for c in board.charts]
    # one site: no chart of bookings by site
    assert names == [
        "bookings_by_category",
        "outcomes",
        "occupancy",
        "events",
        "event_rates",
        "turnover",
        "members_by_stage",
        "charges_by_cause",
    ]
    categories = board.charts[0]
    # a category the catalogue of words does not know yet keeps its raw name
    assert [(b.label, b.shown) for b in categories.bars] == [
        ("Mentorat", "9"),
        ("Salle de réunion", "4"),
        ("quantum_lab", "1"),
    ]
    assert categories.summary == "Réservations par catégorie : Mentorat 9, Salle de réunion 4, quantum_lab 1."
    outcomes = {b.key: b.shown for b in board.charts[1].bars}
    assert outcomes["no_show_rate"] == f"12,5{NARROW_SPACE}%"
    assert outcomes["rejection_rate"] == DASH
    occupancy = board.charts[2].bars[0]
    assert occupancy.label == "salle de réunion"
    assert occupancy.detail == "10,5 sur 40 heures"
    assert [(f.label, f.shown) for f in board.figures][:2] == [
        ("Réservations", f"1{NARROW_SPACE}234"),
        ("Taux d'absence", f"12,5{NARROW_SPACE}%"),
    ]


def test_the_network_report_has_bookings_by_site_named() -> None:
    board = dashboard_of(report(site_id=None, **SAMPLE), translator("en"), "en", {"site-a": "Technopark"})
    by_site = next(c for c in board.charts if c.name == "bookings_by_site")
    assert [(b.label, b.shown) for b in by_site.bars] == [("Technopark", "7"), ("Whole network", "2")]


MONEY: dict[str, Any] = {
    "revenue_net_minor": 1_234_567,
    "revenue_gross_minor": 1_481_480,
    "revenue_by_site_minor": {"site-a": 1_234_567, "site-b": -5_000},
    "receivables_minor": 1_281_480,
    "receivables_overdue_minor": 1_000_000,
    "invoices_overdue": 1,
    "charges_minor": 842_345,
    "charges_by_cause_minor": {"residency": 800_000, "booking": 30_000, "day_pass": 12_345},
}
"""Billing's KPIs as insights answers them: integer centimes of MAD."""


def test_billing_figures_are_dirhams_written_as_each_language_writes_them() -> None:
    for language, revenue, overdue in (
        ("fr", f"12{NARROW_SPACE}345,67 MAD", f"10{NARROW_SPACE}000,00 MAD"),
        ("en", "12,345.67 MAD", "10,000.00 MAD"),
        ("ar", "12.345,67 MAD", "10.000,00 MAD"),  # Western digits, as on billing's own pages
    ):
        board = dashboard_of(report(**MONEY), translator(language), language, {})
        shown = [f.shown for f in board.billing]
        assert shown[0] == revenue
        assert shown[3] == overdue
        assert shown[4] == "1"  # how many invoices are overdue: a count
    board = dashboard_of(report(**MONEY), translator("fr"), "fr", {})
    assert [(f.label, f.shown) for f in board.billing] == [
        ("Chiffre d'affaires facturé HT", f"12{NARROW_SPACE}345,67 MAD"),
        ("Chiffre d'affaires facturé TTC", f"14{NARROW_SPACE}814,80 MAD"),
        ("Créances clients", f"12{NARROW_SPACE}814,80 MAD"),
        ("Créances échues", f"10{NARROW_SPACE}000,00 MAD"),
        ("Factures échues", "1"),
    ]
    # an insights that does not compute money yet answers zeros: said as such, never a raw key
    assert [f.shown for f in dashboard_of(report(), translator("en"), "en", {}).billing][:4] == ["0.00 MAD"] * 4


def test_charges_set_residencies_beside_services_whose_causes_are_the_detail() -> None:
    board = dashboard_of(report(**MONEY), translator("en"), "en", {})
    charges = next(c for c in board.charts if c.name == "charges_by_cause")
    assert [(b.label, b.shown, b.detail) for b in charges.bars] == [
        ("Residencies (offices, desks)", "8,000.00 MAD", ""),
        ("Services", "423.45 MAD", "bookings 300.00 MAD, day passes 123.45 MAD"),
    ]
    assert charges.note == "Charged for use in all, excl. VAT: 8,423.45 MAD"
    assert charges.summary.startswith("Charged for use excl. VAT, by cause: Residencies (offices, desks) 8,000.00 MAD")
    # nothing charged: no bars (the page says there is nothing to show), the total still said
    empty = next(c for c in dashboard_of(report(), translator("fr"), "fr", {}).charts if c.name == "charges_by_cause")
    assert empty.bars == []
    assert empty.note == "Facturable pour l'usage, en tout, HT : 0,00 MAD"


def test_revenue_per_site_is_charted_where_the_report_covers_several_sites() -> None:
    one = dashboard_of(report(**MONEY), translator("en"), "en", {"site-a": "Technopark"})
    assert "revenue_by_site" not in [c.name for c in one.charts]
    network = dashboard_of(report(site_id=None, **MONEY), translator("ar"), "ar", {"site-a": "Technopark"})
    by_site = next(c for c in network.charts if c.name == "revenue_by_site")
    assert [(b.label, b.shown) for b in by_site.bars] == [("Technopark", "12.345,67 MAD"), ("site-b", "-50,00 MAD")]
    # more credited than invoiced draws no bar; the amounts' column is wide enough for their text
    shapes = by_site.shapes("ar")
    assert shapes[0].bar_width == round(WIDTH - LABEL_WIDTH - by_site.value_room - 2 * PAD, 1)
    assert shapes[1].bar_width == 0
    assert by_site.value_room > VALUE_ROOM
    assert shapes[0].value_x - by_site.value_room + 6 >= 0  # mirrored: the value ends inside the chart


def test_bars_scale_to_the_largest_count_or_to_100_percent_and_mirror_in_arabic() -> None:
    board = dashboard_of(report(**SAMPLE), translator("en"), "en", {})
    counts, rates = board.charts[0], board.charts[1]
    widths = [s.bar_width for s in counts.shapes("en")]
    assert widths[0] == max(widths)
    assert widths[1] == pytest.approx(widths[0] * 4 / 9, abs=0.1)
    full = rates.shapes("en")
    assert full[0].bar_width == round(TRACK * 0.8, 1)  # confirmation 80 %: four fifths of the track
    assert all(s.bar_width == 0 for s in full if s.bar.value is None)
    left, right = counts.shapes("en")[0], counts.shapes("ar")[0]
    assert left.bar_x < left.value_x
    assert left.label_x < left.bar_x
    assert right.value_x < right.bar_x
    assert right.bar_x + right.bar_width < right.label_x


def test_arabic_page_is_right_to_left_with_its_charts_and_tables() -> None:
    t = translator("ar")
    board = dashboard_of(report(**SAMPLE | MONEY), t, "ar", {})
    html = templates.get_template("dashboard.html").render(
        request=SimpleNamespace(url=SimpleNamespace(path="/staff/dashboard")),
        visitor=None,
        lang="ar",
        t=t,
        notice=None,
        errors=None,
        input_error=None,
        form={},
        site_id=SITE,
        scope="Technopark",
        report=Panel(data=report(**SAMPLE | MONEY)),
        board=Panel(data=board),
        as_of=date(2026, 12, 4),
        period="…",
        as_of_label="…",
        csv_url="/staff/sites/site-fd/dashboard.csv?as_of=2026-12-04",
        choices=[(SITE, "Technopark")],
        network=False,
        chart_width=640,
    )
    assert 'dir="rtl"' in html
    assert 'direction="rtl"' in html
    assert "الحجوزات حسب الفئة" in html
    assert "نسبة الغياب" in html
    assert "<dt>رقم المعاملات المفوتر دون احتساب الضريبة</dt><dd>12.345,67 MAD</dd>" in html
    assert html.count('<svg role="img"') == html.count('<table class="kpi-table">') == len(board.charts)


def test_insights_down_costs_the_charts_only() -> None:
    html = templates.get_template("dashboard.html").render(
        request=SimpleNamespace(url=SimpleNamespace(path="/staff/dashboard")),
        visitor=None,
        lang="en",
        t=translator("en"),
        notice=None,
        errors=None,
        input_error=None,
        form={},
        scope="Network",
        report=Panel(unavailable="insights"),
        board=Panel(unavailable="insights"),
        as_of=date(2026, 12, 4),
        period="…",
        as_of_label="…",
        csv_url="/staff/dashboard.csv?as_of=2026-12-04",
        choices=[],
        network=True,
        chart_width=640,
    )
    assert "insights is unavailable right now" in html
    assert "<svg" not in html
    assert 'name="as_of"' in html


# -- the pages over HTTP, against the stack's real insights --------------------------------------

pages = pytest.mark.asyncio(loop_scope="session")


@pages
async def test_the_desk_sees_its_sites_dashboard_and_not_anothers(stack: Stack) -> None:
    async with stack.browser(stack.staff) as desk:
        mine = await desk.get(f"/staff/sites/{SITE}/dashboard")
        assert mine.status_code == 200
        assert 'id="kpi-bookings_by_category"' in mine.text
        assert (await desk.get("/staff/sites/site-elsewhere/dashboard")).status_code == 403
        together = await desk.get("/staff/dashboard")  # a desk's own sites together
        assert together.status_code == 200
        assert "Technopark Test" in together.text
        typed = await desk.get(f"/staff/sites/{SITE}/dashboard", params={"as_of": "9999-12-31"})
        assert typed.status_code == 422
        assert 'id="input-error"' in typed.text
    async with stack.browser(stack.member) as member:
        assert (await member.get("/staff/dashboard")).status_code == 403
    async with stack.browser(stack.admin) as admin:
        network = await admin.get("/staff/dashboard")
        assert network.status_code == 200
        assert 'id="kpi-bookings_by_site"' in network.text


@pages
async def test_the_csv_comes_through_the_web_app_with_the_visitors_token(stack: Stack) -> None:
    async with stack.browser(stack.staff) as desk:
        answer = await desk.get(f"/staff/sites/{SITE}/dashboard.csv", params={"as_of": "2026-12-01"})
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/csv")
        assert "attachment" in answer.headers["content-disposition"]
        rows = list(csv.DictReader(io.StringIO(answer.text)))
        assert rows
        assert {r["site_id"] for r in rows} == {SITE}
        assert rows[0]["to"] == "2026-12-01"
        refused = await desk.get("/staff/sites/site-elsewhere/dashboard.csv")
        assert refused.status_code == 403


@pages
async def test_with_insights_down_the_dashboard_says_so_and_the_csv_goes_back(stack: Stack) -> None:
    async with stack.browser(stack.staff, degraded=True) as desk:
        shown = await desk.get(f"/staff/sites/{SITE}/dashboard")
        assert shown.status_code == 200
        assert "insights est indisponible" in shown.text  # French: no language asked
        relayed = await desk.get(f"/staff/sites/{SITE}/dashboard.csv", params={"as_of": "2026-12-01"})
        assert relayed.status_code == 303
        assert relayed.headers["location"].startswith(f"/staff/sites/{SITE}/dashboard?as_of=2026-12-01&notice=")


# -- billing's KPIs over HTTP: billing's events, counted by the stack's insights -----------------

MONEY_SITE = "site-fd-money"
MONEY_SITE_NAME = "Technopark Kénitra"
MONEY_MEMBER = "m-fd-money"


def invoice(invoice_id: str, number: str, issued_on: date, due_on: date, net_minor: int) -> bl.InvoiceIssued:
    """An invoice of one line at 20 % VAT, as billing issues it at the money site."""
    vat_minor = net_minor // 5
    line = bl.InvoiceLine(
        charge_id=None, description="Bureau 3", quantity=1, unit_price_minor=net_minor,
        net_minor=net_minor, vat_rate_bp=2000, vat_minor=vat_minor,
    )  # fmt: skip
    return bl.InvoiceIssued(
        invoice_id=invoice_id, kind=bl.DocumentKind.INVOICE, number=number, member_id=MONEY_MEMBER,
        member_name="Gharb Robotics", site_id=MONEY_SITE,
        legal_entity=bl.LegalEntity(code="TPK", name="Technopark Kénitra SA", ice="001525369000088", address="Kénitra"),
        period=issued_on.strftime("%Y-%m"), issued_on=issued_on, due_on=due_on, language="fr", currency="MAD",
        lines=[line], net_minor=net_minor, vat_minor=vat_minor, total_minor=net_minor + vat_minor,
        status=bl.InvoiceStatus.ISSUED,
    )  # fmt: skip


def charge(charge_id: str, cause: str, billable_on: date, net_minor: int) -> dict[str, object]:
    return {
        "charge_id": charge_id, "member_id": MONEY_MEMBER, "site_id": MONEY_SITE, "cause": cause,
        "cause_id": f"{cause}-{charge_id}", "description": f"{cause} {charge_id}", "billable_on": billable_on,
        "quantity": 1, "unit_price_minor": net_minor, "net_minor": net_minor, "vat_rate_bp": 2000,
        "currency": "MAD", "price_list_version": 1, "status": bl.ChargeStatus.OPEN,
    }  # fmt: skip


async def money_site_booked(stack: Stack, as_of: date) -> None:
    """A site of this test's own, whose books billing's events write: two invoices (one 5 days past
    due, paid 2 000,00 of 12 000,00), charges of an office and of services (one voided), all dated
    from `as_of`, then waits for insights to count every one."""
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {stack.admin}"}, timeout=30) as http:
        await site_of_its_own(http, stack, MONEY_SITE, MONEY_SITE_NAME, "Kénitra")
    late = invoice(
        "inv-fd-money-a", "TPK-2026-000001", as_of - timedelta(days=20), as_of - timedelta(days=5), 1_000_000
    )
    recent = invoice(
        "inv-fd-money-b", "TPK-2026-000002", as_of - timedelta(days=2), as_of + timedelta(days=28), 234_567
    )
    paid = bl.PaymentRecorded(
        payment_id="pay-fd-money", member_id=MONEY_MEMBER, site_id=MONEY_SITE, amount_minor=200_000, currency="MAD",
        method=bl.PaymentMethod.CHEQUE, reference="CHQ-7731", received_on=as_of - timedelta(days=1),
        invoice_id=late.invoice_id, recorded_by=Actor(role="front_desk", subject="desk-kenitra"),
        recorded_at=datetime.now(UTC),
    )  # fmt: skip
    office = charge("ch-fd-money-office", "residency", as_of - timedelta(days=10), 800_000)
    booked = charge("ch-fd-money-room", "booking", as_of - timedelta(days=3), 30_000)
    day_pass = charge("ch-fd-money-pass", "day_pass", as_of - timedelta(days=1), 12_345)
    no_show = charge("ch-fd-money-absent", "no_show", as_of - timedelta(days=4), 5_000)
    charges: list[tuple[IntegrationEvent, str, int]] = [
        (bl.ChargeRecorded.model_validate(c), str(c["charge_id"]), 1) for c in (office, booked, day_pass, no_show)
    ]
    voided = bl.ChargeVoided.model_validate(no_show | {"status": bl.ChargeStatus.VOIDED, "reason": "cancelled in time"})
    await publish(stack.kafka, "billing.charge", [*charges, (voided, "ch-fd-money-absent", 2)])
    await publish(stack.kafka, "billing.invoice", [(late, late.invoice_id, 1), (recent, recent.invoice_id, 1)])
    await publish(stack.kafka, "billing.payment", [(paid, paid.payment_id, 1)])

    async def counted() -> bool:
        first, last = period_of(as_of)
        params = {"site_id": MONEY_SITE, "from": first.isoformat(), "to": last.isoformat(), "as_of": as_of.isoformat()}
        async with httpx.AsyncClient(base_url=stack.insights, timeout=10) as http:
            answer = await http.get("/v1/kpis", params=params, headers={"Authorization": f"Bearer {stack.admin}"})
        kpis = answer.json()["kpis"]
        return (kpis["revenue_net_minor"], kpis["receivables_minor"], kpis["charges_minor"]) == (
            1_234_567,
            1_281_480,
            842_345,
        )

    await eventually(counted, "insights to count billing's events", within=60)


def figures_in(page: str, section: str) -> dict[str, str]:
    """The figures (label to value) of one section of the dashboard's HTML."""
    found = re.search(rf'<section aria-labelledby="{section}-title" id="{section}">(.*?)</section>', page, re.S)
    assert found, f"no {section} on the page"
    pairs = re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", found.group(1))
    return {html.unescape(label): html.unescape(value) for label, value in pairs}


def table_of(page: str, chart: str) -> dict[str, str]:
    """A chart's table (measure to value, its detail included) from the dashboard's HTML."""
    found = re.search(rf'<section class="card chart"[^>]*id="kpi-{chart}">(.*?)</section>', page, re.S)
    assert found, f"no {chart} chart on the page"
    rows = re.findall(r'<tr><th scope="row">(.*?)</th><td>(.*?)</td></tr>', found.group(1))
    return {html.unescape(k): html.unescape(re.sub(r"<[^>]+>", "", v)) for k, v in rows}


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def money_as_of(stack: Stack) -> date:
    """The "as of" date of the money site's books, written once for the module: the UTC date, at
    whose end billing's events just published are known whatever the suite's zone."""
    as_of = datetime.now(UTC).date()
    await money_site_booked(stack, as_of)
    return as_of


@pages
async def test_billing_kpis_are_shown_in_dirhams_in_french_and_arabic(stack: Stack, money_as_of: date) -> None:
    as_of = money_as_of
    desk = stack.token(Role.FRONT_DESK, sites=[SITE, MONEY_SITE])
    asked = {"as_of": as_of.isoformat()}
    # a desk of the site reads its money, as it reads its members' balances on their billing pages
    async with stack.browser(desk, headers={"Accept-Language": "fr"}) as http:
        page = await http.get(f"/staff/sites/{MONEY_SITE}/dashboard", params=asked)
        assert page.status_code == 200
        assert figures_in(page.text, "billing-figures") == {
            "Chiffre d'affaires facturé HT": f"12{NARROW_SPACE}345,67 MAD",
            "Chiffre d'affaires facturé TTC": f"14{NARROW_SPACE}814,80 MAD",
            "Créances clients": f"12{NARROW_SPACE}814,80 MAD",
            "Créances échues": f"10{NARROW_SPACE}000,00 MAD",
            "Factures échues": "1",
        }
        assert table_of(page.text, "charges_by_cause") == {
            "Résidences (bureaux, postes)": f"8{NARROW_SPACE}000,00 MAD",
            # the voided no-show is left out, as insights counts it
            "Services": "423,45 MAD (réservations 300,00 MAD, pass journée 123,45 MAD)",
        }
        assert f"Facturable pour l&#39;usage, en tout, HT : 8{NARROW_SPACE}423,45 MAD" in page.text
        assert 'id="kpi-revenue_by_site"' not in page.text  # one site: no chart per site
        # the desk's sites together: revenue per site, by the site's name
        together = await http.get("/staff/dashboard", params=asked)
        assert together.status_code == 200
        assert table_of(together.text, "revenue_by_site")[MONEY_SITE_NAME] == f"12{NARROW_SPACE}345,67 MAD"
    # the admin's network, in Arabic: right to left, the same amounts in Moroccan Arabic's writing
    async with stack.browser(stack.admin, headers={"Accept-Language": "ar"}) as http:
        network = await http.get("/staff/dashboard", params=asked)
        assert network.status_code == 200
        assert 'dir="rtl"' in network.text
        assert table_of(network.text, "revenue_by_site")[MONEY_SITE_NAME] == "12.345,67 MAD"
        site = await http.get(f"/staff/sites/{MONEY_SITE}/dashboard", params=asked)
        figures = figures_in(site.text, "billing-figures")
        assert figures["رقم المعاملات المفوتر دون احتساب الضريبة"] == "12.345,67 MAD"
        assert figures["رقم المعاملات المفوتر شامل الضريبة"] == "14.814,80 MAD"
        assert figures["المستحقات على الأعضاء"] == "12.814,80 MAD"
        assert figures["المستحقات المتأخرة"] == "10.000,00 MAD"
        assert table_of(site.text, "charges_by_cause")["الإقامات (مكاتب ومقاعد)"] == "8.000,00 MAD"
        assert '<svg role="img" aria-labelledby="chart-charges_by_cause chart-charges_by_cause-desc"' in site.text
    # insights down: the billing figures go with the charts, the page still answers
    async with stack.browser(desk, degraded=True) as http:
        degraded = await http.get(f"/staff/sites/{MONEY_SITE}/dashboard", params=asked)
        assert degraded.status_code == 200
        assert "insights est indisponible" in degraded.text
        assert 'id="billing-figures"' not in degraded.text


# -- a front desk in a real browser ------------------------------------------------------------


@pytest.mark.asyncio(loop_scope="session")
async def test_the_billing_tiles_and_charts_pass_axe_in_french_and_arabic(
    browser: Browser, stack: Stack, money_as_of: date
) -> None:
    desk = stack.token(Role.FRONT_DESK, sites=[SITE, MONEY_SITE])
    for lang, revenue in (("fr", f"12{NARROW_SPACE}345,67 MAD"), ("ar", "12.345,67 MAD")):
        context = await browser.new_context(viewport={"width": 1280, "height": 900})
        await context.add_cookies(
            [
                {"name": "parkgrid_token", "value": desk, "url": stack.frontdesk},
                {"name": "parkgrid_lang", "value": lang, "url": stack.frontdesk},
            ]
        )
        page = await context.new_page()
        for path in (f"/staff/sites/{MONEY_SITE}/dashboard", "/staff/dashboard"):
            await page.goto(f"{stack.frontdesk}{path}?as_of={money_as_of.isoformat()}")
            await expect(page.locator("#billing-figures dd").first).to_have_text(
                revenue if path != "/staff/dashboard" else re.compile(r"MAD")
            )
            await expect(page.locator("#kpi-charges_by_cause svg[role=img]")).to_be_visible()
            assert await axe_violations(page) == [], f"{lang} {path}"
        await expect(page.locator("#kpi-revenue_by_site svg[role=img]")).to_be_visible()
        await page.screenshot(path=str(SCREENSHOTS / f"dashboard-billing-{lang}.png"), full_page=True)
        await context.close()


async def kpis_of(stack: Stack, as_of: date) -> dict[str, Any]:
    first, last = period_of(as_of)
    params = {"site_id": SITE, "from": first.isoformat(), "to": last.isoformat(), "as_of": as_of.isoformat()}
    async with httpx.AsyncClient(base_url=stack.insights, timeout=10) as http:
        answer = await http.get("/v1/kpis", params=params, headers={"Authorization": f"Bearer {stack.staff}"})
        assert answer.status_code == 200, answer.text
        kpis: dict[str, Any] = answer.json()["kpis"]
        return kpis


@pytest.mark.asyncio(loop_scope="session")
async def test_a_front_desk_reads_the_kpis_changes_the_date_and_downloads_the_csv(
    browser: Browser, stack: Stack
) -> None:
    # something to count: the member books the first mentoring slot (confirmed at once)
    member = await browser.new_context(locale="en-GB")
    await member.add_cookies([{"name": "parkgrid_token", "value": stack.member, "url": stack.frontdesk}])
    booking = await member.new_page()
    await booking.goto(f"{stack.frontdesk}/member/offerings/{stack.offerings[MENTORING]}")
    first_slot = booking.locator("input[name=starts_at]").first
    starts_at = datetime.fromisoformat(str(await first_slot.get_attribute("value")))
    await first_slot.check()
    await booking.get_by_role("button", name="Book", exact=True).click()
    await expect(booking.locator("#booking-status")).to_contain_text("confirmed", timeout=30_000)
    await member.close()
    # the session's day (today, or tomorrow late in the day) is the dashboard's "as of"
    day = starts_at.astimezone(ZoneInfo(ZONE)).date()

    async def counted() -> bool:
        by_category: dict[str, int] = (await kpis_of(stack, day))["bookings_by_category"]
        return by_category.get("mentoring", 0) >= 1

    await eventually(counted, "insights to count the booking")
    expected = await kpis_of(stack, day)

    desk = await browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900}, accept_downloads=True)
    await desk.add_cookies([{"name": "parkgrid_token", "value": stack.staff, "url": stack.frontdesk}])
    page = await desk.new_page()
    await page.goto(f"{stack.frontdesk}/staff/sites/{SITE}/today")
    await page.get_by_role("link", name="Dashboard").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Dashboard · Technopark Test")
    if day != datetime.now(ZoneInfo(ZONE)).date():
        await page.get_by_label("As of").fill(day.isoformat())
        await page.get_by_role("button", name="Show").click()
    figure = page.locator(".figures > div").filter(has_text="Bookings").locator("dd")
    await expect(figure).to_have_text(f"{expected['bookings']:,}")
    table = page.locator("#kpi-bookings_by_category table")
    mentoring_row = table.get_by_role("row").filter(has_text="Mentoring")
    await expect(mentoring_row).to_contain_text(str(expected["bookings_by_category"]["mentoring"]))
    await expect(page.get_by_role("img", name="Bookings by category")).to_be_visible()
    await page.screenshot(path=str(SCREENSHOTS / "dashboard.png"), full_page=True)
    assert await axe_violations(page) == []

    # the CSV through the web app: the same numbers
    async with page.expect_download() as downloading:
        await page.get_by_role("link", name="Download as CSV").click()
    download = await downloading.value
    text = (await download.path()).read_bytes().decode("utf-8")
    rows = {(r["kpi"], r["dimension"]): r["value"] for r in csv.DictReader(io.StringIO(text))}
    assert rows[("bookings", "")] == str(expected["bookings"])
    assert rows[("bookings_by_category", "mentoring")] == str(expected["bookings_by_category"]["mentoring"])

    # as of the day before the stack existed: nothing had happened yet
    before = datetime.now(ZoneInfo(ZONE)).date() - timedelta(days=2)
    await page.get_by_label("As of").fill(before.isoformat())
    await page.get_by_role("button", name="Show").click()
    await expect(page).to_have_url(f"{stack.frontdesk}/staff/sites/{SITE}/dashboard?as_of={before.isoformat()}")
    await expect(figure).to_have_text("0")
    await expect(page.locator("#dashboard-period")).to_contain_text(before.strftime("%d/%m/%Y"))

    # in Arabic: right to left, labels translated, still no violation
    await page.get_by_label("Language").select_option("ar")
    await page.locator("form[action='/language'] button").click()
    await expect(page.locator("html")).to_have_attribute("dir", "rtl")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("لوحة القيادة")
    await page.screenshot(path=str(SCREENSHOTS / "dashboard-ar.png"), full_page=True)
    assert await axe_violations(page) == []
    await desk.close()


def test_every_dashboard_message_is_in_french_english_and_arabic() -> None:
    from frontdesk.domain.messages import MESSAGES

    ours = {k: v for k, v in MESSAGES.items() if k.startswith("dashboard.") or k == "nav.dashboard"}
    assert ours
    assert all(set(v) >= {"fr", "en", "ar"} for v in ours.values())
