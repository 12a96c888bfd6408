"""The stays seeder over the real broker and store: members read from `community.member`,
residencies and waitlist entries written through the service layer and published; seeding
again changes nothing."""

from __future__ import annotations

from datetime import date

from spaces_support import member_fields, publish_members

from parkgrid.clock import utc_now
from parkgrid.contracts.common import Actor, MemberKind, ProgrammeStage
from parkgrid.contracts.community import MemberRegistered, Programme, SealedPerson
from parkgrid.settings import KitSettings
from parkgrid.store import Database
from parkgrid.testing.topics import read_topic
from spaces.adapters.stores import SpacesStore
from spaces.domain.visits import Visit, instant
from spaces.seed import SITES, seed_into
from spaces.seed_stays import seed
from spaces.seed_visits import desk_steps
from spaces.service_layer.handlers import Inventory

pytest_plugins = ["spaces_fixtures"]

# Casablanca: four in the programme for three offices and one hoping for one (its line);
# Rabat: two in the programme, an alumnus (its freed office) and one hoping (waiting for it).
MEMBERS = [
    ("casa-a", "site-casablanca", MemberKind.STARTUP, ProgrammeStage.RESIDENT),
    ("casa-b", "site-casablanca", MemberKind.STARTUP, ProgrammeStage.ACCELERATION),
    ("casa-c", "site-casablanca", MemberKind.TPE, ProgrammeStage.INCUBATION),
    ("casa-d", "site-casablanca", MemberKind.STARTUP, ProgrammeStage.INCUBATION),
    ("casa-e", "site-casablanca", MemberKind.PROJECT_HOLDER, ProgrammeStage.PRE_INCUBATION),
    ("casa-partner", "site-casablanca", MemberKind.PARTNER, ProgrammeStage.RESIDENT),
    ("rabat-a", "site-rabat", MemberKind.STARTUP, ProgrammeStage.INCUBATION),
    ("rabat-b", "site-rabat", MemberKind.TPE, ProgrammeStage.ACCELERATION),
    ("rabat-old", "site-rabat", MemberKind.STARTUP, ProgrammeStage.ALUMNI),
    ("rabat-new", "site-rabat", MemberKind.STARTUP, ProgrammeStage.PRE_INCUBATION),
]


def _registered(slug: str, site_id: str, kind: MemberKind, stage: ProgrammeStage) -> MemberRegistered:
    fields = member_fields(f"member-{slug}")
    return MemberRegistered(
        **{
            **fields,
            "home_site_id": site_id,
            "kind": kind,
            "programme": Programme(stage=stage, started_on=date(2025, 1, 6)),
        }
    )


async def test_seeding_stays_publishes_residencies_and_a_waitlist_once(
    settings: KitSettings, database: Database
) -> None:
    store = SpacesStore(database)
    await store.ensure_indexes()
    await seed_into(Inventory(store), [s for s in SITES if s[0] in ("site-casablanca", "site-rabat")])
    await publish_members(settings, [(_registered(*m), 1) for m in MEMBERS])

    assert await seed(settings, wait=30) == "6 residencies (6 new), 3 waiting for an office"

    residencies = await read_topic(settings, "spaces.residency", until=7)
    kinds = sorted(e.type.rsplit(".", 1)[1] for e in residencies)
    assert kinds == ["ended", "started", "started", "started", "started", "started", "started"]
    started = {e.data["residency_id"]: e.data for e in residencies if e.type.endswith("started")}
    assert {d["site_id"] for d in started.values()} == {"site-casablanca", "site-rabat"}
    assert {d["member_id"] for d in started.values()} == {
        "member-casa-a",
        "member-casa-b",
        "member-casa-c",
        "member-rabat-a",
        "member-rabat-b",
        "member-rabat-old",
    }
    ended = next(e for e in residencies if e.type.endswith("ended"))
    assert ended.data["member_id"] == "member-rabat-old"
    assert ended.data["ended_early"] is True

    joined = await read_topic(settings, "spaces.waitlist", until=3)
    lines = sorted((e.data["site_id"], e.data["member_id"], e.data["status"]) for e in joined)
    assert lines == [
        ("site-casablanca", "member-casa-d", "waiting"),
        ("site-casablanca", "member-casa-e", "waiting"),
        ("site-rabat", "member-rabat-new", "waiting"),
    ]

    assert await seed(settings, wait=5) == "6 residencies (0 new), 3 waiting for an office"
    assert len(await read_topic(settings, "spaces.residency", until=8, within=5)) == 7
    assert len(await read_topic(settings, "spaces.waitlist", until=4, within=5)) == 3
    docs = await database["residencies"].find({}, {"status": 1}).to_list()
    assert sorted(d["status"] for d in docs) == ["active"] * 5 + ["ended"]


def guest(zone: str, day: date, at: str) -> Visit:
    """A seeded guest as `desk_steps` needs one: its day, zone and time."""
    desk = Actor(role="front_desk", subject="seed")
    return Visit("v", "site-casablanca", day, zone, at, "m", "p", "Guest", None, desk)


async def test_seeding_expects_a_few_visitors_today_at_each_open_site_once(
    settings: KitSettings, database: Database
) -> None:
    """Hosts are the members' people: three guests at each site open today (none on a closed day)."""
    store = SpacesStore(database)
    await store.ensure_indexes()
    await seed_into(Inventory(store), [s for s in SITES if s[0] in ("site-casablanca", "site-rabat")])
    people = {"people": [SealedPerson(person_id="p-host-casa", name="Hind", email="hind@example.ma", role="CEO")]}
    host = MemberRegistered(**{**_registered(*MEMBERS[0]).model_dump(), **people})
    await publish_members(settings, [(host, 1), (_registered(*MEMBERS[6]), 1)])

    first = await seed(settings, wait=30)
    casablanca = await store.site("site-casablanca")
    assert casablanca is not None
    site = casablanca[0]
    today = site.local(utc_now()).date()
    if site.open_hours_on(today) <= 0:
        assert "visitors" not in first
        return
    assert first.endswith(", 3 visitors expected today"), first
    seeded_at = utc_now()
    guests = [guest(site.time_zone, today, at) for at in ("09:30", "11:00", "14:30")]
    steps = [step for g in guests for step in desk_steps(g, seeded_at)]
    events = await read_topic(settings, "spaces.visit", until=3 + len(steps))
    expected = [e for e in events if e.type.endswith(".expected")]
    assert (
        sorted((e.data["site_id"], e.data["host_person_id"], e.data["day"]) for e in expected)
        == [("site-casablanca", "p-host-casa", today.isoformat())] * 3
    )  # Rabat's member has nobody to host
    assert sorted(e.data["expected_at"] for e in expected) == ["09:30", "11:00", "14:30"]
    # the guests whose time had passed were checked in and out, at their times
    assert sorted(e.data.get("arrived_at") or "" for e in events if e.type.endswith(".arrived")) == sorted(
        instant(at) for step, at in steps if step == "arrive"
    )
    assert sorted(e.data.get("left_at") or "" for e in events if e.type.endswith(".left")) == sorted(
        instant(at) for step, at in steps if step == "leave"
    )
    await seed(settings, wait=5)
    again = 3 + sum(len(desk_steps(g, utc_now())) for g in guests)
    assert len(await read_topic(settings, "spaces.visit", until=again + 1, within=5)) == again
