"""Billing's HTTP API: who may do what (admins, a site's desk, a member for its own organisation),
what is refused and how (problem+json naming the field), and keyed commands done once."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import httpx
from billing_fixtures import (
    MEMBER,
    OTHER_SITE,
    SITE,
    a_charge,
    app,
    client,
    eventually,
    ledger_of,
    member,
    part,
    publish_as_others,
    settings,
    token,
)
from fastapi import FastAPI

from billing.adapters.gateway import SIGNATURE_HEADER, GatewayHook, SignedNotices
from billing.domain import invoices as rules
from billing.service_layer.closing import Closing
from parkgrid.auth import Role
from parkgrid.known import KnownMembers
from parkgrid.settings import KitSettings

__all__ = ["app", "client", "settings"]

PRICE_LIST: dict[str, Any] = {
    "effective_from": "2026-06-01",
    "legal_entity": {"code": "TPR", "name": "Technopark Rabat SA", "ice": "001525369000088", "address": "Rabat"},
    "monthly": {"private_office": 650_000},
    "room_hour": 16_000,
    "day_pass": 9_000,
    "discounts": [{"label": "Incubation", "percent": 50, "stage": "incubation", "within_months": 18}],
}


def problem(response: httpx.Response, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    if field is not None:
        assert field in str(body), body
    return body


async def an_invoice(app: FastAPI, member_id: str = MEMBER, net: int = 10_000) -> str:
    charge = a_charge(member_id, "api", net)
    assert await ledger_of(app).closing.charging.record(charge)
    await part(app, Closing).close("2026-04")
    return rules.invoice_id_for(SITE, member_id, "2026-04")


async def test_admins_publish_price_lists_under_if_match_and_a_sites_staff_read_them(
    client: httpx.AsyncClient, settings: KitSettings
) -> None:
    admin, desk = token(settings, Role.ADMIN), token(settings, Role.FRONT_DESK)
    read = await client.get(f"/v1/price-lists/{SITE}", headers=desk)
    assert read.status_code == 200
    assert read.headers["ETag"] == '"1"'
    assert read.json()["current"]["legal_entity"]["code"] == "TPR"

    problem(await client.put(f"/v1/price-lists/{SITE}", json=PRICE_LIST, headers=admin), 428)
    problem(await client.put(f"/v1/price-lists/{SITE}", json=PRICE_LIST, headers={**admin, "If-Match": '"0"'}), 412)
    problem(await client.put(f"/v1/price-lists/{SITE}", json=PRICE_LIST, headers={**desk, "If-Match": '"1"'}), 403)
    bad = {**PRICE_LIST, "legal_entity": {**PRICE_LIST["legal_entity"], "ice": "12345"}}
    problem(await client.put(f"/v1/price-lists/{SITE}", json=bad, headers={**admin, "If-Match": '"1"'}), 422, "ice")

    saved = await client.put(f"/v1/price-lists/{SITE}", json=PRICE_LIST, headers={**admin, "If-Match": '"1"'})
    assert saved.status_code == 200, saved.text
    assert (saved.json()["version"], saved.headers["ETag"]) == (2, '"2"')
    versions = (await client.get(f"/v1/price-lists/{SITE}", headers=admin)).json()["versions"]
    assert [v["version"] for v in versions] == [2, 1]  # the old version stays: invoices name it
    problem(await client.get(f"/v1/price-lists/{OTHER_SITE}", headers=desk), 404)


async def test_invoices_are_seen_by_their_organisation_and_their_sites_staff_only(
    app: FastAPI, client: httpx.AsyncClient, settings: KitSettings
) -> None:
    invoice_id = await an_invoice(app)
    mine = token(settings, Role.MEMBER)
    other = token(settings, Role.MEMBER, member_id="mb-other")
    far_desk = token(settings, Role.FRONT_DESK, sites=[OTHER_SITE])

    seen = await client.get(f"/v1/invoices/{invoice_id}", headers=mine)
    assert seen.status_code == 200
    assert (seen.json()["number"], seen.json()["total_minor"], seen.json()["due_minor"]) == (
        "TPR-2026-000001",
        12_000,
        12_000,
    )
    problem(await client.get(f"/v1/invoices/{invoice_id}", headers=other), 404)
    problem(await client.get(f"/v1/invoices/{invoice_id}", headers=far_desk), 404)
    problem(await client.get(f"/v1/invoices/{invoice_id}/document", headers=far_desk), 404)
    assert (await client.get("/v1/invoices", headers=other)).json() == {"items": [], "next_cursor": None}
    assert (await client.get("/v1/invoices", headers=far_desk)).json()["items"] == []
    assert [i["invoice_id"] for i in (await client.get("/v1/invoices", headers=mine)).json()["items"]] == [invoice_id]
    problem(await client.get("/v1/invoices", params={"period": "2026-13"}, headers=mine), 422, "period")
    problem(await client.get("/v1/invoices/no-such-invoice", headers=token(settings, Role.ADMIN)), 404)


async def test_lists_come_a_page_at_a_time_newest_first_and_overdue_ones_on_request(
    app: FastAPI, client: httpx.AsyncClient, settings: KitSettings
) -> None:
    charging = ledger_of(app).closing.charging
    for n in range(5):
        assert await charging.record(a_charge(MEMBER, f"p{n}", day=date(2026, 4, 10 + n)))
    admin = token(settings, Role.ADMIN)

    pages, cursor = [], None
    while True:
        answer = await client.get(
            "/v1/charges", params={"limit": 2, **({"cursor": cursor} if cursor else {})}, headers=admin
        )
        assert answer.status_code == 200, answer.text
        pages.append([c["charge_id"] for c in answer.json()["items"]])
        cursor = answer.json()["next_cursor"]
        if cursor is None:
            break

    assert pages == [
        [f"booking:{MEMBER}-p4", f"booking:{MEMBER}-p3"],
        [f"booking:{MEMBER}-p2", f"booking:{MEMBER}-p1"],
        [f"booking:{MEMBER}-p0"],
    ]
    problem(await client.get("/v1/charges", params={"cursor": "not-a-cursor"}, headers=admin), 422, "cursor")
    problem(await client.get("/v1/charges", params={"limit": 0}, headers=admin), 422, "limit")
    closing = part(app, Closing)
    closing.today = lambda: date(2026, 5, 1)  # closed on time: issued 1 May, due 31 May, overdue since
    await closing.close("2026-04")
    assert await charging.record(a_charge("mb-late", "p0", day=date(2026, 4, 30)))
    closing.today = lambda: date.today()  # a charge found late: invoiced today, not due yet
    await closing.close("2026-04")
    everything = await client.get("/v1/invoices", headers=admin)
    assert len(everything.json()["items"]) == 2
    overdue = await client.get("/v1/invoices", params={"overdue": "true"}, headers=admin)
    assert [i["number"] for i in overdue.json()["items"]] == ["TPR-2026-000001"]
    assert overdue.json()["items"][0]["overdue"] is True


async def test_the_document_reads_in_the_customers_language(
    app: FastAPI, client: httpx.AsyncClient, settings: KitSettings
) -> None:
    desk = token(settings, Role.FRONT_DESK)
    profile = {"legal_name": "Qalam EdTech SARL", "ice": "002345678000091", "language": "ar"}
    problem(await client.put(f"/v1/members/{MEMBER}/billing-profile", json=profile, headers=desk), 403)  # unknown yet
    await publish_as_others(settings, ("community.member", member()))
    members = part(app, KnownMembers)
    await eventually(lambda: members.get(MEMBER), "billing knows the member")
    problem(await client.put(f"/v1/members/{MEMBER}/billing-profile", json={"ice": "12"}, headers=desk), 422, "ice")
    far_desk = token(settings, Role.FRONT_DESK, sites=[OTHER_SITE])
    problem(await client.put(f"/v1/members/{MEMBER}/billing-profile", json=profile, headers=far_desk), 403)
    saved = await client.put(f"/v1/members/{MEMBER}/billing-profile", json=profile, headers=desk)
    assert saved.status_code == 200, saved.text
    own = await client.get(f"/v1/members/{MEMBER}/billing-profile", headers=token(settings, Role.MEMBER))
    assert own.json()["ice"] == "002345678000091"
    problem(await client.get(f"/v1/members/{MEMBER}/billing-profile", headers=far_desk), 404)
    invoice_id = await an_invoice(app)

    page = await client.get(f"/v1/invoices/{invoice_id}/document", headers=token(settings, Role.MEMBER))

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert 'dir="rtl"' in page.text
    assert "فاتورة" in page.text
    for mention in ("TPR-2026-000001", "002345678000091", "001525369000088", "Qalam EdTech SARL", "120,00 MAD"):
        assert mention in page.text


async def test_the_invoice_downloads_as_pdf_for_those_who_see_it(
    app: FastAPI, client: httpx.AsyncClient, settings: KitSettings
) -> None:
    invoice_id = await an_invoice(app)

    pdf = await client.get(f"/v1/invoices/{invoice_id}/document.pdf", headers=token(settings, Role.MEMBER))

    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == 'attachment; filename="TPR-2026-000001.pdf"'
    assert pdf.content.startswith(b"%PDF-")
    assert len(pdf.content) > 2_000
    other = token(settings, Role.MEMBER, member_id="mb-other")
    problem(await client.get(f"/v1/invoices/{invoice_id}/document.pdf", headers=other), 404)


async def test_payments_are_recorded_once_per_key_by_the_sites_staff_and_never_past_the_due(
    app: FastAPI, client: httpx.AsyncClient, settings: KitSettings
) -> None:
    invoice_id = await an_invoice(app)
    desk = token(settings, Role.FRONT_DESK)
    body = {
        "member_id": MEMBER,
        "site_id": SITE,
        "amount_minor": 5_000,
        "method": "cheque",
        "reference": "CHQ-0042",
        "received_on": "2026-05-12",
        "invoice_id": invoice_id,
    }
    first = await client.post("/v1/payments", json=body, headers={**desk, "Idempotency-Key": "k-1"})
    again = await client.post("/v1/payments", json=body, headers={**desk, "Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201, first.text
    assert first.json()["payment_id"] == again.json()["payment_id"]
    assert first.json()["recorded_by"] == {"role": "front_desk", "subject": first.json()["recorded_by"]["subject"]}

    too_much = await client.post("/v1/payments", json={**body, "amount_minor": 7_001}, headers=desk)
    problem(too_much, 409, "amount_minor")
    problem(await client.post("/v1/payments", json={**body, "amount_minor": 0}, headers=desk), 422, "amount_minor")
    problem(await client.post("/v1/payments", json={**body, "method": "bitcoin"}, headers=desk), 422, "method")
    far_desk = token(settings, Role.FRONT_DESK, sites=[OTHER_SITE])
    problem(await client.post("/v1/payments", json=body, headers=far_desk), 403)
    problem(await client.post("/v1/payments", json=body, headers=token(settings, Role.MEMBER)), 403)

    balance = await client.get(f"/v1/members/{MEMBER}/balance", params={"site_id": SITE}, headers=desk)
    assert balance.status_code == 200
    assert (balance.json()["invoiced_minor"], balance.json()["paid_minor"], balance.json()["owed_minor"]) == (
        12_000,
        5_000,
        7_000,
    )
    problem(await client.get(f"/v1/members/{MEMBER}/balance", headers=desk), 422, "site_id")
    problem(await client.get(f"/v1/members/{MEMBER}/balance", headers=token(settings, Role.MEMBER, member_id="x")), 403)
    assert len((await client.get("/v1/payments", headers=token(settings, Role.MEMBER))).json()["items"]) == 1


async def test_only_admins_issue_credit_notes_and_close_periods(
    app: FastAPI, client: httpx.AsyncClient, settings: KitSettings
) -> None:
    invoice_id = await an_invoice(app)
    admin, desk = token(settings, Role.ADMIN), token(settings, Role.FRONT_DESK)

    problem(await client.post(f"/v1/invoices/{invoice_id}/credit-notes", json={}, headers=desk), 403)
    first = await client.post(
        f"/v1/invoices/{invoice_id}/credit-notes", json={}, headers={**admin, "Idempotency-Key": "c"}
    )
    again = await client.post(
        f"/v1/invoices/{invoice_id}/credit-notes", json={}, headers={**admin, "Idempotency-Key": "c"}
    )
    assert first.status_code == again.status_code == 201, first.text
    assert first.json()["number"] == again.json()["number"] == "TPR-AV-2026-000001"
    assert first.json()["credits_invoice_id"] == invoice_id
    problem(await client.post(f"/v1/invoices/{invoice_id}/credit-notes", json={}, headers=admin), 409)
    problem(
        await client.post(f"/v1/invoices/{invoice_id}/credit-notes", json={"charge_ids": []}, headers=admin),
        422,
        "charge_ids",
    )

    problem(await client.post("/v1/periods/2026-05/close", json={}, headers=desk), 403)
    problem(await client.post("/v1/periods/2026-5/close", json={}, headers=admin), 422, "period")
    closed = await client.post("/v1/periods/2026-05/close", json={}, headers=admin)
    assert closed.status_code == 200
    assert closed.json()["count"] == 0


async def test_a_signed_gateway_notice_is_a_payment_once_and_an_unsigned_one_nothing(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    invoice_id = await an_invoice(app)
    gateway = SignedNotices("cmi", b"shared-secret")
    app.state.components[GatewayHook] = GatewayHook(gateway)
    notice = json.dumps(
        {
            "reference": "CMI-778812",
            "invoice_id": invoice_id,
            "amount_minor": 12_000,
            "currency": "MAD",
            "paid_on": "2026-05-03",
        }
    ).encode()

    forged = await client.post("/v1/gateway/notifications", content=notice, headers={SIGNATURE_HEADER: "sha256=00"})
    problem(forged, 401)
    signed = {SIGNATURE_HEADER: gateway.sign(notice), "content-type": "application/json"}
    first = await client.post("/v1/gateway/notifications", content=notice, headers=signed)
    again = await client.post("/v1/gateway/notifications", content=notice, headers=signed)  # the gateway retries

    assert first.status_code == again.status_code == 200, first.text
    assert first.json()["payment_id"] == again.json()["payment_id"]
    assert (first.json()["method"], first.json()["recorded_by"]["subject"]) == ("card", "cmi")
    ledger = ledger_of(app)
    assert (await ledger.invoice(invoice_id)).status.value == "paid"
    assert len(await ledger.payments.of_member(MEMBER)) == 1

    # Paid at the desk meanwhile: the money the gateway took is the organisation's credit.
    late = notice.replace(b"CMI-778812", b"CMI-778813")
    answer = await client.post(
        "/v1/gateway/notifications", content=late, headers={**signed, SIGNATURE_HEADER: gateway.sign(late)}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["invoice_id"] is None
    assert (await ledger.balance(MEMBER, None, date(2026, 5, 3))).owed_minor == -12_000


async def test_without_a_gateway_every_notice_is_refused(client: httpx.AsyncClient) -> None:
    problem(await client.post("/v1/gateway/notifications", content=b"{}"), 401)
