"""Billing in the web app, against the stack's real billing: a desk reads a member organisation's
balance and invoices at its site, records a partial payment (typed in dirhams, sent as centimes, once
per form) and keeps its billing profile; the member reads "My invoices" and opens the printable
invoice through the web app; an admin issues a credit note after a confirmation page, which a desk is
neither shown nor let through (billing's 403 said on the page); billing down costs its panels only.

Each test charges an organisation of its own: billing's charges are recorded through the stack's
billing app (`Charging.record`, what its consumers do for a booking), then last month is closed
through billing's API, as an admin does, which issues the invoice the pages show."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from frontdesk_support import (
    SCREENSHOTS,
    SITE,
    Stack,
    axe_violations,
    eventually,
    member_body,
    signed_in,
    until_accepted,
)
from playwright.async_api import Browser, expect

from billing.domain.charges import Charge
from billing.domain.packs import expiry
from billing.service_layer.closing import Closing
from frontdesk.domain.billing import credited_lines, minor_units, money, profile_body, state_key
from frontdesk.domain.messages import translator
from parkgrid.api.billing import InvoiceRead
from parkgrid.auth import Role
from parkgrid.clock import utc_now
from parkgrid.contracts.billing import ChargeCause

pytest_plugins = ["frontdesk_fixtures"]

ON_THE_STACK = pytest.mark.asyncio(loop_scope="session")
"""The tests that drive the stack share its event loop; the presentation rules need none."""

ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}
PRICE_LIST: dict[str, Any] = {
    "effective_from": "2026-01-01",
    "legal_entity": {
        "code": "TPT",
        "name": "Technopark Test SA",
        "ice": "001525369000088",
        "address": "Route de Nouaceur, Casablanca",
    },
    "room_hour": 0,
    "day_pass": 0,
    "payment_terms_days": 30,
    "credit_packs": [
        {"code": "salle-10h", "label": "Pack 10 heures de salle", "room_hours": 10, "price": 90_000, "valid_months": 3}
    ],
}
"""The stack site's prices: nothing the other modules book costs anything, so only the charges a test
records here are invoiced."""
LINES = (("Salle Atlas, 2 h", 2, 25_000), ("Day pass, open space", 1, 8_000))
"""Each test organisation's month: 2 x 250.00 + 80.00 net, 20 % VAT → 600.00 + 96.00 = 696.00 MAD."""


def last_month() -> date:
    """The 15th of last month (UTC): a month that ended, as the period close invoices."""
    return (utc_now().date().replace(day=1) - timedelta(days=1)).replace(day=15)


def billing_app_parts(stack: Stack) -> Closing:
    assert stack.billing_app is not None, "the stack runs billing"
    closing: Closing = stack.billing_app.state.components[Closing]
    return closing


async def price_list_published(http: httpx.AsyncClient, stack: Stack) -> None:
    """The stack site's price list, published once for the module (If-Match: the version in force)."""
    current = await http.get(f"{stack.billing}/v1/price-lists/{SITE}")
    assert current.status_code == 200, current.text
    if current.json()["current"] is not None:
        return
    published = await http.put(
        f"{stack.billing}/v1/price-lists/{SITE}", json=PRICE_LIST, headers={"If-Match": current.headers["ETag"]}
    )
    assert published.status_code == 200, published.text


async def invoiced(stack: Stack, member_id: str, name: str, person: dict[str, str] | None = None) -> InvoiceRead:
    """An organisation at the stack's site with last month invoiced at 696.00 MAD: registered in
    community, known to billing (from `community.member`), charged, and the month closed by an admin."""
    admin = {"Authorization": f"Bearer {stack.admin}"}
    desk = {"Authorization": f"Bearer {stack.staff}"}
    async with httpx.AsyncClient(headers=admin, timeout=30) as http:
        await price_list_published(http, stack)
        created = await until_accepted(
            http, f"{stack.community}/v1/members", member_body(member_id, name, SITE, [person] if person else [])
        )
        assert created.status_code in (200, 201), created.text

        async def known_to_billing() -> bool:  # its billing profile answers the home site's desk once billing knows it
            found = await http.get(f"{stack.billing}/v1/members/{member_id}/billing-profile", headers=desk)
            return found.status_code == 200

        await eventually(known_to_billing, f"billing to learn {member_id}")
        day = last_month()
        charging = billing_app_parts(stack).charging
        for n, (description, quantity, unit) in enumerate(LINES):
            charge = Charge(
                charge_id=f"booking:{member_id}-{n}",
                member_id=member_id,
                site_id=SITE,
                cause=ChargeCause.BOOKING,
                cause_id=f"{member_id}-{n}",
                description=description,
                billable_on=day,
                quantity=quantity,
                unit_price_minor=unit,
                discount_percent=0,
                net_minor=quantity * unit,
                vat_rate_bp=2000,
                currency="MAD",
                price_list_version=1,
            )
            assert await charging.record(charge)
        closed = await http.post(f"{stack.billing}/v1/periods/{day:%Y-%m}/close", json={"site_ids": [SITE]})
        assert closed.status_code == 200, closed.text
        found = await http.get(f"{stack.billing}/v1/invoices", params={"member_id": member_id})
        assert found.status_code == 200, found.text
        (invoice,) = [InvoiceRead.model_validate(i) for i in found.json()["items"]]
    assert invoice.total_minor == 69_600
    return invoice


def billing_page(member_id: str) -> str:
    return f"/staff/sites/{SITE}/members/{member_id}/billing"


def redirected_to(response: httpx.Response) -> tuple[str, dict[str, list[str]]]:
    assert response.status_code == 303, response.text
    location = urlparse(response.headers["location"])
    return location.path, parse_qs(location.query)


def key_of(html: str, form_id: str) -> str:
    """The Idempotency-Key a page drew into one of its forms."""
    form = html[html.index(f'id="{form_id}"') :]
    found = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', form)
    assert found, form_id
    return found.group(1)


# ---------------------------------------------------------------- presentation rules, no infrastructure


@pytest.mark.parametrize(
    ("typed", "minor"),
    [
        ("200", 20_000),
        ("200,5", 20_050),
        ("200.50", 20_050),
        ("1 200,50", 120_050),
        ("1\u202f200,50", 120_050),
        (" 0,01 ", 1),
        ("0", 0),
        ("12,345", None),
        ("-5", None),
        ("1e3", None),
        ("", None),
        ("deux cents", None),
    ],
)
def test_what_a_desk_types_in_dirhams_is_read_as_centimes(typed: str, minor: int | None) -> None:
    assert minor_units(typed) == minor


def test_amounts_are_said_in_the_readers_language_from_the_centimes() -> None:
    assert money(123_456, "MAD", translator("en")) == "1,234.56 MAD"
    assert money(123_456, "MAD", translator("fr")) == "1\u202f234,56 MAD"
    assert money(123_456, "MAD", translator("ar")) == "1.234,56 MAD"
    assert money(-5_000, "MAD", translator("en")) == "-50.00 MAD"


def test_the_profile_form_becomes_billings_body_and_credit_notes_mark_their_lines() -> None:
    assert profile_body({"legal_name": " ", "ice": "001 525 369 000 088", "address": "", "language": "ar"}) == {
        "legal_name": None,
        "ice": "001525369000088",
        "address": None,
        "language": "ar",
    }
    base: dict[str, Any] = {
        "member_id": "m-1",
        "member_name": "M",
        "site_id": SITE,
        "legal_entity": PRICE_LIST["legal_entity"],
        "period": "2026-05",
        "issued_on": "2026-06-01",
        "due_on": "2026-07-01",
        "language": "fr",
        "currency": "MAD",
        "net_minor": 100,
        "vat_minor": 20,
        "total_minor": 120,
        "due_minor": 0,
        "credited_minor": 0,
        "overdue": False,
    }
    line = {"description": "x", "quantity": 1, "unit_price_minor": 100, "net_minor": 100, "vat_rate_bp": 2000}
    note = InvoiceRead.model_validate(
        base
        | {
            "invoice_id": "cn-1",
            "kind": "credit_note",
            "number": "TPT-AV-2026-000001",
            "status": "issued",
            "credits_invoice_id": "inv-1",
            "lines": [line | {"charge_id": "c-2", "vat_minor": 20}],
        }
    )
    invoice = InvoiceRead.model_validate(
        base
        | {
            "invoice_id": "inv-1",
            "kind": "invoice",
            "number": "TPT-2026-000001",
            "status": "partially_paid",
            "due_minor": 60,
            "overdue": True,
            "lines": [line | {"charge_id": "c-1", "vat_minor": 20}],
        }
    )
    assert credited_lines("inv-1", [invoice, note]) == {"c-2"}
    assert credited_lines("inv-2", [invoice, note]) == set()
    assert state_key(note) == "billing.state.credit_note"
    assert state_key(invoice) == "billing.state.overdue"
    assert state_key(invoice.model_copy(update={"overdue": False})) == "billing.state.partially_paid"


# ---------------------------------------------------------------- the desk


@ON_THE_STACK
async def test_a_desk_reads_the_invoice_records_a_partial_payment_and_the_balance_drops(
    browser: Browser, stack: Stack
) -> None:
    member_id = "m-fd-bill-desk"
    invoice = await invoiced(stack, member_id, "Billing Desk Labs")
    context = await signed_in(browser, stack.frontdesk, stack.staff)
    page = await context.new_page()
    await page.goto(f"{stack.frontdesk}/staff/sites/{SITE}/members/{member_id}")
    await page.get_by_role("link", name="Billing: balance, invoices, payments").click()
    await expect(page.get_by_role("heading", name="Billing · Billing Desk Labs", exact=True)).to_be_visible()
    row = page.locator(f"#invoice-{invoice.number}")
    await expect(row).to_contain_text(f"{last_month():%Y-%m}")
    await expect(row).to_contain_text("696.00 MAD")
    await expect(row).to_contain_text("To pay")
    await expect(page.locator("#balance-owed")).to_have_text("696.00 MAD")
    await expect(page.locator("#balance-overdue")).to_have_text("0.00 MAD")
    await expect(page.locator("#payments-none")).to_be_visible()
    await expect(page.get_by_role("link", name=re.compile("Issue a credit note"))).to_have_count(0)

    form = page.locator("#payment-form")
    await form.get_by_label("Amount (MAD)").fill("deux cents")
    await form.get_by_label("Reference").fill("VIR-118")
    await form.get_by_role("button", name="Record the payment").click()
    await expect(page.locator("#amount-error")).to_have_text(
        "Type an amount in dirhams above zero, with at most two decimals."
    )
    await expect(page.locator("#pay-amount")).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#pay-reference")).to_have_value("VIR-118")  # what was typed is kept

    await form.get_by_label("Amount (MAD)").fill("1 000")
    await form.get_by_label("Invoice paid").select_option(label=f"{invoice.number} (696.00 MAD left)")
    await form.get_by_role("button", name="Record the payment").click()
    await expect(page.locator("#amount-error")).to_have_text(f"More than {invoice.number} has left to pay: 696.00 MAD.")

    await form.get_by_label("Amount (MAD)").fill("200,50")
    await form.get_by_label("Invoice paid").select_option(label=f"{invoice.number} (696.00 MAD left)")
    await form.get_by_label("Payment method").select_option(label="Cheque")
    await form.get_by_label("Reference").fill("CHQ-4471")
    await form.get_by_role("button", name="Record the payment").click()
    await expect(page.get_by_role("status")).to_have_text("Payment of 200.50 MAD recorded (CHQ-4471).")
    await expect(page.locator("#balance-owed")).to_have_text("495.50 MAD")
    await expect(row).to_contain_text("Partly paid")
    await expect(row).to_contain_text("495.50 MAD")
    await expect(page.locator("#payments li")).to_have_count(1)
    await expect(page.locator("#payments")).to_contain_text(f"200.50 MAD Cheque · CHQ-4471 for {invoice.number}")
    assert await axe_violations(page) == []
    await page.screenshot(path=str(SCREENSHOTS / "billing-desk.png"), full_page=True)
    await context.close()

    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {stack.admin}"}, timeout=30) as http:
        payments = await http.get(f"{stack.billing}/v1/payments", params={"member_id": member_id})
    assert [(p["amount_minor"], p["method"], p["invoice_id"]) for p in payments.json()["items"]] == [
        (20_050, "cheque", invoice.invoice_id)
    ]


@ON_THE_STACK
async def test_a_payment_form_submitted_twice_is_one_payment(stack: Stack) -> None:
    member_id = "m-fd-bill-twice"
    invoice = await invoiced(stack, member_id, "Billing Twice Labs")
    async with stack.browser(stack.staff, headers=ENGLISH) as browser:
        shown = await browser.get(billing_page(member_id))
        assert shown.status_code == 200
        form = {
            "idempotency_key": key_of(shown.text, "payment-form"),
            "amount": "100",
            "invoice_id": invoice.invoice_id,
            "method": "cash",
            "reference": "CASH-1",
            "received_on": date.today().isoformat(),
        }
        for _ in range(2):
            path, query = redirected_to(await browser.post(f"{billing_page(member_id)}/payments", data=form))
            assert path == billing_page(member_id)
            assert query["notice"] == ["Payment of 100.00 MAD recorded (CASH-1)."]
        page = await browser.get(billing_page(member_id))
    assert page.text.count("CASH-1") == 1
    assert 'id="balance-owed">596.00 MAD<' in page.text


@ON_THE_STACK
async def test_the_desk_keeps_the_billing_profile_the_next_invoices_are_addressed_with(stack: Stack) -> None:
    member_id = "m-fd-bill-profile"
    await invoiced(stack, member_id, "Billing Profile Labs")
    async with stack.browser(stack.staff, headers=ENGLISH) as browser:
        typed = {"legal_name": "Profile Labs SARL", "ice": "12345", "address": "Casablanca", "language": "en"}
        path, query = redirected_to(await browser.post(f"{billing_page(member_id)}/profile", data=typed))
        assert (path, query["field"], query["error"]) == (
            billing_page(member_id),
            ["ice"],
            ["The ICE is exactly 15 digits."],
        )
        again = await browser.get(path, params=query)
        assert 'id="ice-error"' in again.text
        assert "The ICE is exactly 15 digits." in again.text
        assert 'value="Profile Labs SARL"' in again.text  # what was typed is kept

        typed["ice"] = "002 345 678 000 091"
        path, query = redirected_to(await browser.post(f"{billing_page(member_id)}/profile", data=typed))
        assert query["notice"] == ["Billing profile saved."]
        page = await browser.get(billing_page(member_id))
    assert 'value="002345678000091"' in page.text
    assert '<option value="en" selected>' in page.text
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {stack.admin}"}, timeout=30) as http:
        kept = await http.get(f"{stack.billing}/v1/members/{member_id}/billing-profile")
    assert kept.json() | {"member_id": member_id} == {
        "member_id": member_id,
        "legal_name": "Profile Labs SARL",
        "ice": "002345678000091",
        "address": "Casablanca",
        "language": "en",
    }


@ON_THE_STACK
async def test_a_desk_of_another_site_is_not_shown_the_billing_page(stack: Stack) -> None:
    elsewhere = stack.token(Role.FRONT_DESK, sites=["site-elsewhere"])
    async with stack.browser(elsewhere, headers=ENGLISH) as browser:
        refused = await browser.get(billing_page("m-fd-bill-desk"))
    assert refused.status_code == 403


# ---------------------------------------------------------------- the member


@ON_THE_STACK
async def test_a_member_reads_my_invoices_and_opens_the_printable_invoice(browser: Browser, stack: Stack) -> None:
    member_id, person = (
        "m-fd-bill-member",
        {"person_id": "p-fd-bill", "name": "Nadia Alami", "email": "nadia.billing@example.ma", "role": "CFO"},
    )
    invoice = await invoiced(stack, member_id, "Billing Member Labs", person)
    other = await invoiced(stack, "m-fd-bill-other", "Billing Other Labs")
    token = stack.token(Role.MEMBER, member_id=member_id, person_id="p-fd-bill")
    context = await signed_in(browser, stack.frontdesk, token)
    page = await context.new_page()
    await page.goto(f"{stack.frontdesk}/member")
    await page.get_by_role("link", name="My invoices").click()
    await expect(page.get_by_role("heading", name="My invoices", exact=True)).to_be_visible()
    await expect(page.locator("#balance-owed")).to_have_text("696.00 MAD")
    row = page.locator(f"#invoice-{invoice.number}")
    await expect(row).to_contain_text("Technopark Test")
    await expect(row).to_contain_text("696.00 MAD")
    await expect(page.locator("#invoices tbody tr")).to_have_count(1)  # its own invoices only
    await expect(page.locator("#payments-none")).to_have_text("No payment recorded.")
    assert await axe_violations(page) == []
    await page.screenshot(path=str(SCREENSHOTS / "billing-member.png"), full_page=True)

    async with page.expect_download() as downloading:
        await row.get_by_role("link", name=f"Download PDF {invoice.number}").click()
    download = await downloading.value
    assert download.suggested_filename == f"{invoice.number}.pdf"
    saved = await download.path()
    assert saved.read_bytes().startswith(b"%PDF-")

    async with context.expect_page() as opened:
        await row.get_by_role("link", name=f"Printable invoice {invoice.number}").click()
    document = await opened.value
    await document.wait_for_load_state()
    assert document.url == f"{stack.frontdesk}/member/invoices/{invoice.invoice_id}/document"
    content = await document.content()
    assert invoice.number in content
    assert "Billing Member Labs" in content
    assert "Technopark Test SA" in content
    await document.screenshot(path=str(SCREENSHOTS / "billing-document.png"), full_page=True)
    await context.close()

    async with stack.browser(token, headers=ENGLISH) as http:
        relayed = await http.get(f"/member/invoices/{invoice.invoice_id}/document")
        assert relayed.headers["content-type"].startswith("text/html")
        assert "sandbox" in relayed.headers["content-security-policy"]
        assert relayed.headers["cache-control"] == "private, no-store"
        path, query = redirected_to(await http.get(f"/member/invoices/{other.invoice_id}/document"))
        assert path == "/member/invoices"
        assert query["notice"][0].startswith("The invoice cannot be opened:")
        pdf = await http.get(f"/member/invoices/{invoice.invoice_id}/document.pdf")
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.headers["content-disposition"] == f'attachment; filename="{invoice.number}.pdf"'
        path, query = redirected_to(await http.get(f"/member/invoices/{other.invoice_id}/document.pdf"))
        assert path == "/member/invoices"
        assert query["notice"][0].startswith("The invoice cannot be opened:")
        staff_page = await http.get(billing_page(member_id))
        assert staff_page.status_code == 403
    async with stack.browser(token, headers={"Accept-Language": "ar"}) as http:
        arabic = await http.get("/member/invoices")
    assert arabic.status_code == 200
    assert '<html lang="ar" dir="rtl">' in arabic.text
    assert "<h1>فواتيري</h1>" in arabic.text
    assert "696,00 MAD" in arabic.text


# ---------------------------------------------------------------- credit packs


@ON_THE_STACK
async def test_a_desk_sells_a_credit_pack_and_the_member_reads_its_hours(browser: Browser, stack: Stack) -> None:
    member_id = "m-fd-bill-packs"
    await invoiced(stack, member_id, "Billing Packs Labs")
    context = await signed_in(browser, stack.frontdesk, stack.staff)
    page = await context.new_page()
    await page.goto(f"{stack.frontdesk}{billing_page(member_id)}")
    await expect(page.locator("#packs-none")).to_have_text("No credit pack bought.")
    form = page.locator("#pack-form")
    await form.get_by_label("Pack sold").select_option(label="Pack 10 heures de salle: 10 h, 900.00 MAD")
    await form.get_by_role("button", name="Sell the pack").click()
    until = pack_expiry(utc_now().date())
    await expect(page.get_by_role("status")).to_have_text(f"Pack 10 heures de salle sold: 10 h until {until}.")
    await expect(page.locator("#packs li")).to_have_count(1)
    await expect(page.locator("#packs")).to_contain_text("10 h left of 10 h")
    await expect(page.locator("#packs")).to_contain_text(f"until {until}")
    assert await axe_violations(page) == []
    await page.screenshot(path=str(SCREENSHOTS / "billing-packs.png"), full_page=True)
    await context.close()

    async with stack.browser(stack.staff, headers=ENGLISH) as desk:  # the same form twice: one pack
        shown = await desk.get(billing_page(member_id))
        twice = {"idempotency_key": key_of(shown.text, "pack-form"), "code": "salle-10h"}
        for _ in range(2):
            path, _query = redirected_to(await desk.post(f"{billing_page(member_id)}/packs", data=twice))
            assert path == billing_page(member_id)
        path, query = redirected_to(
            await desk.post(f"{billing_page(member_id)}/packs", data={"idempotency_key": "k-none", "code": "salle-99h"})
        )
        assert query["field"] == ["code"]
        assert query["error"] == ["Choose one of the packs this site sells."]
    token = stack.token(Role.MEMBER, member_id=member_id, person_id="p-fd-bill-packs")
    async with stack.browser(token, headers={"Accept-Language": "fr"}) as member:
        mine = await member.get("/member/invoices")
    assert mine.status_code == 200
    assert mine.text.count("Pack 10 heures de salle") == 2
    assert "10 h restantes sur 10 h" in mine.text
    assert 'id="pack-form"' not in mine.text  # members read their packs; the desk sells them
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {stack.admin}"}, timeout=30) as http:
        charges = await http.get(f"{stack.billing}/v1/charges", params={"member_id": member_id, "status": "open"})
    assert [(c["cause"], c["net_minor"]) for c in charges.json()["items"]] == [("credit_pack", 90_000)] * 2


def pack_expiry(sold_on: date) -> str:
    """The day a three-month pack sold on `sold_on` lasts until, as the pages print it."""
    return expiry(sold_on, 3).strftime("%d/%m/%Y")


# ---------------------------------------------------------------- credit notes (admins)


@ON_THE_STACK
async def test_an_admin_issues_a_credit_note_and_a_desk_is_neither_shown_nor_let_through(
    browser: Browser, stack: Stack
) -> None:
    member_id = "m-fd-bill-credit"
    invoice = await invoiced(stack, member_id, "Billing Credit Labs")
    async with stack.browser(stack.staff, headers=ENGLISH) as desk:
        shown = await desk.get(billing_page(member_id))
        assert "credit-note" not in shown.text
        confirm = f"{billing_page(member_id)}/invoices/{invoice.invoice_id}/credit-note"
        assert (await desk.get(confirm)).status_code == 403
        forged = {"idempotency_key": "forged-1", "charge_id": f"booking:{member_id}-0"}
        path, query = redirected_to(await desk.post(confirm, data=forged))
        assert path == billing_page(member_id)
        assert query["notice"][0].startswith("This is not yours to do at this desk:")
        after = await desk.get(path, params=query)
        assert "This is not yours to do at this desk:" in after.text

    context = await signed_in(browser, stack.frontdesk, stack.admin)
    page = await context.new_page()
    await page.goto(f"{stack.frontdesk}{billing_page(member_id)}")
    await page.get_by_role("link", name=f"Issue a credit note… {invoice.number}").click()
    await expect(page.get_by_role("heading", name="Issue a credit note", exact=True)).to_be_visible()
    lines = page.get_by_role("group", name="Lines to take back")
    await lines.get_by_label(re.compile("Salle Atlas")).uncheck()
    await lines.get_by_label(re.compile("Day pass")).uncheck()
    await page.get_by_role("button", name="Issue the credit note").click()
    await expect(page.locator("#charge_id-error")).to_have_text("Tick at least one line to take back.")
    await expect(lines).to_contain_text("Salle Atlas, 2 h · 600.00 MAD")
    assert await axe_violations(page) == []

    await lines.get_by_label(re.compile("Salle Atlas")).uncheck()  # the Day pass line stays ticked
    await page.get_by_role("button", name="Issue the credit note").click()
    await expect(page.get_by_role("status")).to_contain_text("Credit note TPT-AV-")
    await expect(page.get_by_role("status")).to_contain_text("(96.00 MAD)")
    await expect(page.locator("#balance-owed")).to_have_text("600.00 MAD")
    note_row = page.locator("#invoices tbody tr", has_text=f"credit note for {invoice.number}")
    await expect(note_row).to_contain_text("Credit note")
    await page.screenshot(path=str(SCREENSHOTS / "billing-credit-note.png"), full_page=True)

    await page.get_by_role("link", name=f"Issue a credit note… {invoice.number}").click()
    await expect(
        page.get_by_text("Day pass, open space · 96.00 MAD · already taken back by a credit note")
    ).to_be_visible()
    await context.close()


# ---------------------------------------------------------------- billing down


@ON_THE_STACK
async def test_billing_down_costs_its_panels_only(stack: Stack) -> None:
    member_id = "m-fd-bill-down"
    async with stack.browser(stack.staff, degraded=True, headers=ENGLISH) as desk:
        page = await desk.get(billing_page(member_id))
        assert page.status_code == 200
        assert page.text.count("billing is unavailable right now") >= 3
        assert 'id="payment-form"' not in page.text
        form = {
            "idempotency_key": "k-down",
            "amount": "10",
            "method": "cash",
            "reference": "R",
            "received_on": "2026-01-02",
        }
        path, query = redirected_to(await desk.post(f"{billing_page(member_id)}/payments", data=form))
        assert path == billing_page(member_id)
        assert query["error"] == ["billing is unavailable right now; the rest of the page works."]
        path, query = redirected_to(await desk.get(f"{billing_page(member_id)}/invoices/inv-1/document"))
        assert query["notice"] == ["billing is unavailable right now; the rest of the page works."]
    async with stack.browser(stack.member, degraded=True, headers=ENGLISH) as member:
        page = await member.get("/member/invoices")
        assert page.status_code == 200
        assert "billing is unavailable right now" in page.text
        assert 'href="/member/invoices"' in page.text
