"""Approvals through the API, over the real store and broker (issue 25 part 2): an offering that
requires staff approval → the member's booking awaits (its seat and its allowance held, `decide_by`
on its read) → the site's staff see it in their queue and approve it (`booking.confirmed`), or
decline it with a note (`booking.rejected` v3, `declined`, the allowance given back), or nobody
decides and the sweep rejects it (`approval_expired`). Members and another site's desk are 403,
a second decision 409 naming the first, a retry with the same Idempotency-Key the first answer.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
from bookings_support import CASABLANCA, SITE, bearer, local, member, now, offering, project, site

from bookings.bootstrap import BookingsSettings
from bookings.service_layer.service import BookingService
from parkgrid.contracts.catalogue import ApprovalRule, Period, PerMemberLimit
from parkgrid.testing.topics import read_topic

pytest_plugins = ["bookings_fixtures"]

PROBLEM = "application/problem+json"
AWAITING = "parkgrid.bookings.booking.awaiting_approval"
CONFIRMED = "parkgrid.bookings.booking.confirmed"
REJECTED = "parkgrid.bookings.booking.rejected"


async def approval_offerings(service: BookingService) -> None:
    """The test site, its member, the clinic (approval within 24 h, one booking a week per member)
    and a plain mentoring offering (no approval)."""
    plain = offering("off-test-plain")
    clinic = offering("off-test-clinic", category="expert_clinic")
    rules = clinic.rules.model_copy(
        update={
            "approval": ApprovalRule(decide_within_hours=24),
            "per_member_limit": PerMemberLimit(count=1, period=Period.WEEK),
        }
    )
    await project(service, site(), plain, clinic.model_copy(update={"rules": rules}), member())


def one_week() -> list[datetime]:
    """Two sessions (10:00) a week or more ahead on consecutive days of one Monday week."""
    day = now().astimezone(CASABLANCA).date() + timedelta(days=8)
    if day.isoweekday() == 7:
        day += timedelta(days=1)
    return [local(day, 10), local(day + timedelta(days=1), 10)]


async def book(client: httpx.AsyncClient, token: str, offering_id: str, starts_at: datetime) -> httpx.Response:
    body = {"offering_id": offering_id, "member_id": member().member_id, "starts_at": starts_at.isoformat()}
    return await client.post("/v1/bookings", json=body, headers=bearer(token))


async def test_staff_approve_and_decline_what_awaits_and_the_sweep_expires_the_rest(
    client: httpx.AsyncClient, service: BookingService, tokens: dict[str, str], settings: BookingsSettings
) -> None:
    await approval_offerings(service)
    desk, me = bearer(tokens["desk"]), tokens["member"]
    week = one_week()
    made = await book(client, me, "off-test-clinic", week[0])
    assert made.status_code == 201, made.text
    first = made.json()
    assert first["status"] == "awaiting_approval"
    assert first["decide_by"] is not None
    assert first["confirmed_at"] is None
    read = await client.get(f"/v1/bookings/{first['id']}", headers=bearer(me))
    assert (read.json()["status"], read.json()["decide_by"]) == ("awaiting_approval", first["decide_by"])

    # Who may look and decide: the site's staff and admins; members and another site's desk 403.
    queue = await client.get("/v1/approvals", params={"site_id": SITE}, headers=desk)
    assert queue.status_code == 200, queue.text
    (item,) = queue.json()["items"]
    assert item["booking_id"] == first["id"]
    assert datetime.fromisoformat(item["decide_by"]) == datetime.fromisoformat(first["decide_by"])
    assert item["offering_title"]["en"] == "Mentoring"
    assert queue.json()["next_cursor"] is None
    for token in (tokens["member"], tokens["other_desk"]):
        refused = await client.get("/v1/approvals", params={"site_id": SITE}, headers=bearer(token))
        assert refused.status_code == 403, refused.text
        assert refused.headers["content-type"].startswith(PROBLEM)
        decided = await client.post(f"/v1/approvals/{first['id']}/approve", headers=bearer(token))
        assert decided.status_code == 403, decided.text
        assert decided.headers["content-type"].startswith(PROBLEM)
    assert (await client.get("/v1/approvals", headers=desk)).status_code == 422  # site_id is required
    unknown = await client.post("/v1/approvals/bk-nobody/approve", headers=desk)
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith(PROBLEM)

    # Approved, once: a retry with the key is the first answer; any later decision is 409.
    key = {**desk, "Idempotency-Key": "approve-1"}
    approved = await client.post(f"/v1/approvals/{first['id']}/approve", headers=key)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "confirmed"
    assert approved.json()["confirmed_at"] is not None
    again = await client.post(f"/v1/approvals/{first['id']}/approve", headers=key)
    assert again.status_code == 200
    assert again.json() == approved.json()
    for verb, body in (("approve", None), ("decline", {"note": "too late"})):
        twice = await client.post(f"/v1/approvals/{first['id']}/{verb}", json=body, headers=bearer(tokens["admin"]))
        assert twice.status_code == 409, twice.text
        assert twice.headers["content-type"].startswith(PROBLEM)
        assert twice.json()["type"].endswith("already-decided")
        assert "already approved" in twice.json()["detail"]
        assert twice.json()["outcome"] == "approved"
    assert (await client.get("/v1/approvals", params={"site_id": SITE}, headers=desk)).json()["items"] == []

    # A plain offering's booking is confirmed at once and never awaits: 404 naming why.
    plain = await book(client, me, "off-test-plain", week[0])
    assert plain.json()["status"] == "confirmed"
    assert plain.json()["decide_by"] is None
    never = await client.post(f"/v1/approvals/{plain.json()['id']}/approve", headers=desk)
    assert never.status_code == 404
    assert never.json()["type"].endswith("not-awaiting-approval")

    # Awaiting holds the week's allowance as a confirmed booking does; declining gives it back.
    cancelled = await client.post(f"/v1/bookings/{first['id']}/cancel", headers=bearer(me))
    assert cancelled.status_code == 200, cancelled.text
    second = (await book(client, me, "off-test-clinic", week[1])).json()
    assert second["status"] == "awaiting_approval"
    limited = await book(client, me, "off-test-clinic", week[0])
    assert limited.status_code == 409, limited.text
    empty = await client.post(f"/v1/approvals/{second['id']}/decline", json={"note": "  "}, headers=desk)
    assert empty.status_code == 422
    assert empty.headers["content-type"].startswith(PROBLEM)
    note = "The expert is away that week; the 15th is free."
    declined = await client.post(
        f"/v1/approvals/{second['id']}/decline", json={"note": note}, headers={**desk, "Idempotency-Key": "d-1"}
    )
    assert declined.status_code == 200, declined.text
    assert (declined.json()["status"], declined.json()["reason"], declined.json()["decline_note"]) == (
        "rejected",
        "declined",
        note,
    )
    late = await client.post(f"/v1/approvals/{second['id']}/approve", headers=desk)
    assert (late.status_code, late.json()["outcome"]) == (409, "declined")
    third = (await book(client, me, "off-test-clinic", week[0])).json()  # the allowance came back
    assert third["status"] == "awaiting_approval", third

    # Nobody decides: at its deadline the sweep rejects it (`approval_expired`), its seat back.
    deadline = datetime.fromisoformat(third["decide_by"])
    service.clock = lambda: deadline
    try:
        assert await service.sweep() >= 1
    finally:
        service.clock = now
    expired = (await client.get(f"/v1/bookings/{third['id']}", headers=bearer(me))).json()
    assert (expired["status"], expired["reason"]) == ("rejected", "approval_expired")
    gone = await client.post(f"/v1/approvals/{third['id']}/decline", json={"note": "x"}, headers=desk)
    assert (gone.status_code, gone.json()["outcome"]) == (409, "expired")

    published = await read_topic(settings, "bookings.booking", until=7, types={AWAITING, CONFIRMED, REJECTED})
    seen = {(e.subject, e.type): e for e in published}
    assert seen[(first["id"], AWAITING)].data["decide_by"] is not None
    assert seen[(first["id"], CONFIRMED)].data["status"] == "confirmed"
    rejection = seen[(second["id"], REJECTED)]
    assert rejection.dataschema is not None
    assert rejection.dataschema.endswith(":v3")
    assert (rejection.data["reason"], rejection.data["decline_note"]) == ("declined", note)
    assert seen[(third["id"], REJECTED)].data["reason"] == "approval_expired"


async def test_a_booking_of_an_online_offering_awaits_at_its_members_home_site(
    client: httpx.AsyncClient, service: BookingService, tokens: dict[str, str]
) -> None:
    """An online offering has no site: its bookings are at their member's home site, there in the
    queue and decided by that site's desk, as every other read and command of a booking."""
    online = offering("off-test-online", site_id=None, mode="online")
    rules = online.rules.model_copy(update={"approval": ApprovalRule(decide_within_hours=24)})
    await project(service, site(), online.model_copy(update={"rules": rules}), member())
    made = await book(client, tokens["member"], "off-test-online", one_week()[0])
    assert made.status_code == 201, made.text
    assert made.json()["status"] == "awaiting_approval"
    desk = bearer(tokens["desk"])
    (item,) = (await client.get("/v1/approvals", params={"site_id": SITE}, headers=desk)).json()["items"]
    assert (item["booking_id"], item["site_id"]) == (made.json()["id"], SITE)
    other = await client.post(f"/v1/approvals/{item['booking_id']}/approve", headers=bearer(tokens["other_desk"]))
    assert other.status_code == 403
    approved = await client.post(f"/v1/approvals/{item['booking_id']}/approve", headers=desk)
    assert (approved.status_code, approved.json()["status"]) == (200, "confirmed")
