"""The write paths' short memory of projected sites and members (`parkgrid.known`): what was read
a moment ago is used again, at most `RECENT_SECONDS` old, and a change this process applies is
seen at once; over the real store."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from parkgrid.contracts.common import MemberKind, ProgrammeStage
from parkgrid.contracts.community import MemberRegistered, MemberStageChanged, MemberStatus, Programme
from parkgrid.contracts.spaces import SiteRegistered, SiteUpdated
from parkgrid.envelope import Envelope
from parkgrid.events import IntegrationEvent
from parkgrid.known import KnownMembers, KnownSites, Lately, Recent
from parkgrid.store import Database

TUESDAY_NINE = datetime(2026, 12, 8, 9, tzinfo=UTC)


def _envelope(event: IntegrationEvent, subject: str, sequence: int) -> Envelope:
    return Envelope(
        type=event.event_type,
        source="tests",
        subject=subject,
        sequence=sequence,
        dataschema=event.dataschema(),
        data=event.model_dump(mode="json"),
    )


def _site(**changes: object) -> dict[str, object]:
    return {
        "site_id": "site-k",
        "name": "Technopark K",
        "city": "Rabat",
        "country": "MA",
        "time_zone": "Africa/Casablanca",
        "opening_hours": [{"weekday": d, "opens": "08:00", "closes": "20:00"} for d in range(1, 8)],
    } | changes


async def test_a_site_read_lately_is_kept_until_this_process_applies_a_change(database: Database) -> None:
    sites = KnownSites(database["sites"])
    await sites.apply(
        _envelope(SiteRegistered.model_validate(_site()), "site-k", 1), SiteRegistered.model_validate(_site())
    )
    assert await sites.time_zone("site-k") == "Africa/Casablanca"
    # another process changes the projection: this one keeps what it read a moment ago
    await database["sites"].update_one({"_id": "site-k"}, {"$set": {"time_zone": "Europe/Paris"}})
    assert await sites.time_zone("site-k") == "Africa/Casablanca"
    # a change applied here is seen at once, zone and calendar alike
    closed = SiteUpdated.model_validate(_site(status="closed"))
    await sites.apply(_envelope(closed, "site-k", 2), closed)
    assert await sites.refusal_for("site-k", TUESDAY_NINE, TUESDAY_NINE + timedelta(hours=1)) is not None
    # and what another process wrote is seen once the memory lapses
    sites.recent = Recent()
    await database["sites"].update_one({"_id": "site-k"}, {"$set": {"time_zone": "Europe/Paris"}})
    assert await sites.time_zone("site-k") == "Europe/Paris"


async def test_a_member_read_lately_is_kept_until_this_process_applies_a_change(database: Database) -> None:
    members = KnownMembers(database["members"])
    body = {
        "member_id": "member-k",
        "name": "K Labs",
        "kind": MemberKind.STARTUP,
        "sector": "ai",
        "home_site_id": "site-k",
        "status": MemberStatus.ACTIVE,
        "programme": Programme(stage=ProgrammeStage.INCUBATION, started_on=date(2026, 1, 5)),
    }
    registered = MemberRegistered.model_validate(body)
    await members.apply(_envelope(registered, "member-k", 1), registered)
    assert (await members.lately("member-k") or {})["stage"] == "incubation"
    await database["members"].update_one({"_id": "member-k"}, {"$set": {"status": "left"}})
    assert (await members.lately("member-k") or {})["status"] == "active"
    assert (await members.get("member-k") or {})["status"] == "left"  # `get` always reads the store
    moved = MemberStageChanged.model_validate(
        body
        | {
            "programme": Programme(stage=ProgrammeStage.ACCELERATION, started_on=date(2026, 1, 5)),
            "previous_stage": ProgrammeStage.INCUBATION,
        }
    )
    await members.apply(_envelope(moved, "member-k", 2), moved)
    assert (await members.lately("member-k") or {})["stage"] == "acceleration"


async def test_what_a_process_writes_itself_is_read_again_after_its_write_even_by_a_read_it_overtook() -> None:
    """`Lately`: a read under way while a write of the same key ends may hold the state from before
    it; the request that read it uses it, the next one reads again. `forget(None)` forgets all."""
    lately: Lately[str] = Lately()
    reading, written = asyncio.Event(), asyncio.Event()

    async def before_the_write() -> str:
        reading.set()
        await written.wait()
        return "before"

    read = asyncio.create_task(lately.read("k", before_the_write))
    await reading.wait()
    lately.forget("k")  # the write ended while the read was under way
    written.set()
    assert await read == "before"
    assert lately.remembered("k") is None

    async def after_the_write() -> str:
        return "after"

    async def nothing() -> str | None:
        return None

    assert await lately.read("k", after_the_write) == "after"
    assert await lately.read("k", before_the_write) == "after"  # remembered: not read
    assert await lately.read("gone", nothing) is None
    assert lately.remembered("gone") is None  # nothing found is not remembered
    lately.forget(None)
    assert lately.remembered("k") is None
