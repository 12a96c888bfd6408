"""Repair after a crash: days held for an offer that was declined (or lapsed) but never given back.

The crash is simulated by writing the entry's state directly, as a process dying between the
entry's change and the calendar's would leave it. The repair sweep removes such a hold once,
after its grace, however many sweeps run at once, and never the hold of an offer still open
or of a residency.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import httpx
from fastapi import FastAPI
from spaces_support import SITE, Clock, add_site_with_rooms, bearer, project_members

from parkgrid.contracts.common import Actor
from parkgrid.contracts.spaces import WaitlistStatus
from parkgrid.store import Database
from spaces.adapters.stores import SpacesStore
from spaces.domain.model import Hold
from spaces.domain.waitlist import abandoned, offer_entry_of
from spaces.service_layer.repair import HoldRepair
from spaces.service_layer.waitlist import Offering, Waitlist

pytest_plugins = ["spaces_fixtures"]

OFFICES = [
    {"space_id": f"office-{n}", "name": f"Bureau 10{n}", "kind": "private_office", "capacity": 4} for n in (1, 2, 3)
]
SWEEPS = 8


async def held(app: FastAPI, space_id: str) -> list[str]:
    calendar = await app.state.components[SpacesStore].calendars.get(space_id, SITE)
    return [h.reservation_id for h in calendar.holds]


async def test_an_abandoned_offer_hold_is_removed_once_after_its_grace_and_nothing_else(
    app: FastAPI, client: httpx.AsyncClient, tokens: dict[str, str], database: Database, clock: Clock
) -> None:
    await add_site_with_rooms(client, tokens["admin"], OFFICES)
    await project_members(database, "org-1", "org-2", "org-3")
    desk = bearer(tokens["desk"])
    entries = []
    for member in ("org-1", "org-2"):
        joined = await client.post(
            "/v1/office-waitlist", json={"site_id": SITE, "member_id": member, "seats": 4}, headers=desk
        )
        entries.append(joined.json()["entry_id"])
    offers = {}
    for office in ("office-1", "office-2"):
        offered = await client.post(
            f"/v1/sites/{SITE}/office-waitlist/offers",
            json={"space_id": office, "starts_on": "2027-01-01"},
            headers=desk,
        )
        assert offered.status_code == 201, offered.text
        offers[office] = offered.json()["offer"]["residency_id"]
    resident = await client.post(
        "/v1/residencies",
        json={"member_id": "org-3", "site_id": SITE, "space_id": "office-3", "starts_on": "2026-12-07"},
        headers=desk,
    )
    assert resident.status_code == 201, resident.text
    # The crash: org-1's offer was declined, and the process died before giving its days back.
    await database["office_waitlist"].update_one(
        {"_id": entries[0]}, {"$set": {"status": "declined", "position": None}}
    )
    assert await held(app, "office-1") == [offers["office-1"]]

    repair: HoldRepair = app.state.components[HoldRepair]
    assert await repair.repair_once() == 0  # first seen now: the grace starts
    clock.advance(timedelta(minutes=59))
    assert await repair.repair_once() == 0
    clock.advance(timedelta(minutes=2))
    removed = await asyncio.gather(*(repair.repair_once() for _ in range(SWEEPS)))
    assert sum(removed) == 1, removed
    assert await held(app, "office-1") == []
    assert await held(app, "office-2") == [offers["office-2"]]  # org-2 is still offered it
    assert await held(app, "office-3") == [resident.json()["residency_id"]]
    assert await repair.repair_once() == 0


async def test_days_taken_again_after_a_sweep_read_them_are_not_removed_by_it(
    app: FastAPI, client: httpx.AsyncClient, tokens: dict[str, str], database: Database, clock: Clock
) -> None:
    """An offer crashed after holding the days, before the entry said so (still waiting): the
    days are abandoned, unless the office is offered again meanwhile, which takes them again:
    a sweep that read the calendar before cannot remove them then (the calendar's version)."""
    await add_site_with_rooms(client, tokens["admin"], OFFICES[:1])
    await project_members(database, "org-1")
    desk = bearer(tokens["desk"])
    joined = await client.post(
        "/v1/office-waitlist", json={"site_id": SITE, "member_id": "org-1", "seats": 4}, headers=desk
    )
    entry_id = joined.json()["entry_id"]
    waitlist: Waitlist = app.state.components[Waitlist]
    offering = Offering(SITE, "office-1", date(2027, 1, 1), None, Actor(role="front_desk", subject="desk-1"))
    rid = (await waitlist.offer(offering))["offer"]["residency_id"]
    await database["office_waitlist"].update_one(
        {"_id": entry_id}, {"$set": {"status": "waiting", "position": 1}, "$unset": {"offer": "", "offered_at": ""}}
    )
    calendars = app.state.components[SpacesStore].calendars
    seen = await calendars.stamp_residency_holds("office-1", SITE, clock())
    clock.advance(timedelta(hours=2))
    # The sweep read the calendar (the entry waiting, the hold past its grace); the office is
    # offered again before its removal is written.
    again = await waitlist.offer(offering)
    assert again["status"] == "offered"
    assert not await calendars.drop_holds(seen, {rid})
    assert await held(app, "office-1") == [rid]
    repair: HoldRepair = app.state.components[HoldRepair]
    clock.advance(timedelta(hours=2))
    assert await repair.repair_once() == 0  # offered: kept, however long
    assert await held(app, "office-1") == [rid]


def test_a_hold_is_abandoned_only_past_its_grace_with_no_residency_and_no_open_offer() -> None:
    seen = datetime(2026, 12, 1, 9, tzinfo=UTC)
    start, end = datetime(2027, 1, 1, tzinfo=UTC), datetime(2028, 7, 1, tzinfo=UTC)
    old = Hold("res-owl-1", start, end, residency=True, held_at=seen - timedelta(minutes=1))
    for status in (None, WaitlistStatus.WAITING, WaitlistStatus.DECLINED, WaitlistStatus.LEFT):
        assert abandoned(old, seen, False, status), status
    for status in (WaitlistStatus.OFFERED, WaitlistStatus.ACCEPTED):
        assert not abandoned(old, seen, False, status), status
    assert not abandoned(old, seen, True, WaitlistStatus.DECLINED)  # its residency exists
    assert not abandoned(replace(old, held_at=seen + timedelta(seconds=1)), seen, False, None)  # in its grace
    assert not abandoned(replace(old, held_at=None), seen, False, None)  # not seen yet
    assert not abandoned(replace(old, residency=False), seen, False, None)  # a reservation's: pruned, not repaired
    assert offer_entry_of("res-owl-1") == "owl-1"
    assert offer_entry_of("res-2/1") is None
