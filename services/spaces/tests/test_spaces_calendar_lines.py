"""How a space's calendar stores its holds: one string per hold (`hold_line`), because the store
pays for every value of a document on every command (`Calendars`' docstring)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI
from spaces_support import SITE, add_site_with_rooms, bearer

from spaces.adapters.stores import SpacesStore, hold_from_stored, hold_line
from spaces.domain.model import Hold

pytest_plugins = ["spaces_fixtures"]

AT = datetime(2027, 3, 2, 9, 30, 15, 250_000, tzinfo=UTC)


def test_a_hold_line_gives_back_the_hold_it_was_made_of() -> None:
    holds = [
        Hold("rq-1", AT, AT + timedelta(hours=1)),
        Hold("res|with|bars", AT, AT + timedelta(days=90), residency=True, held_at=AT - timedelta(hours=2)),
        Hold("dp-7", AT, AT + timedelta(hours=8), places=1),
    ]
    for hold in holds:
        assert hold_from_stored(hold_line(hold)) == hold
    assert hold_line(holds[0]) == "2027-03-02T09:30:15.250000Z|2027-03-02T10:30:15.250000Z||||rq-1"


def test_a_hold_stored_as_a_document_is_still_read() -> None:
    stored = {
        "reservation_id": "rq-1",
        "starts_at": AT.replace(tzinfo=None),
        "ends_at": AT.replace(tzinfo=None),
        "places": 2,
    }
    assert hold_from_stored(stored) == Hold("rq-1", AT, AT, places=2)


async def test_every_hold_of_a_calendar_is_one_value_of_its_document(
    app: FastAPI, client: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    await add_site_with_rooms(
        client, tokens["admin"], [{"space_id": "room-1", "name": "Atlas", "kind": "meeting_room", "capacity": 8}]
    )
    desk = bearer(tokens["desk"])
    for hour in range(9, 14):  # the service's clock is pinned (spaces_fixtures): a date that does not age
        start = datetime(2026, 12, 8, hour, tzinfo=UTC)
        body = {
            "site_id": SITE,
            "requirement": {"kind": "meeting_room", "seats": 2},
            "time": {"starts_at": start.isoformat(), "ends_at": (start + timedelta(minutes=45)).isoformat()},
        }
        answer = await client.post("/v1/reservations", json=body, headers=desk)
        assert answer.json()["status"] == "confirmed", answer.text
    stored = await app.state.components[SpacesStore].calendars.collection.find_one({"_id": "room-1"})
    assert set(stored) == {"_id", "site_id", "version", "holds", "first_end", "residency_holds"}
    assert len(stored["holds"]) == 5
    assert all(isinstance(line, str) for line in stored["holds"]), stored["holds"]
    assert stored["first_end"] == datetime(2026, 12, 8, 9, 45, tzinfo=UTC)
