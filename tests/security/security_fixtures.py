"""A small network for the authorisation tests: two sites, two member organisations, and one of
every object a member owns, made through the real services' APIs (facts cross over Kafka).

Organisation A lives at site X and owns: a booking, an event registration (with a ticket), a
residency, an office-waitlist entry, a day pass, entitlements and a calendar feed. Organisation B lives at
site Y and owns nothing that matters; front-desk staff exist at X and at Y. The tests then send
B and Y's staff against A's objects.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import httpx

from parkgrid.auth import Role
from parkgrid.testing.stack import Stack

T = TypeVar("T")

SITE_X = "site-sec-x"
SITE_Y = "site-sec-y"
MEMBER_A = "member-sec-a"
PERSON_A = "person-sec-a1"
MEMBER_B = "member-sec-b"
PERSON_B = "person-sec-b1"


def eventually(probe: Callable[[], T | None], *, within: float = 45.0, what: str = "") -> T:
    """Poll until `probe` gives something: what one service learns from another comes over Kafka."""
    deadline = time.monotonic() + within
    last: object = None
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within:.0f} s: {what} (last: {last})")
        time.sleep(0.2)


@dataclass
class World:
    """The ids of what was made, by the names the OpenAPI path templates use."""

    stack: Stack
    ids: dict[str, str] = field(default_factory=dict)
    per_service: dict[str, dict[str, str]] = field(default_factory=dict)
    """Ids that one service names like another's (a bookings waitlist place vs an office-waitlist entry)."""
    b_feed_path: str = ""

    def headers(self, actor: str) -> dict[str, str]:
        """Bearer headers of an actor of the matrix; `anonymous` sends none."""
        stack = self.stack
        match actor:
            case "owner":
                return stack.headers(Role.MEMBER, member_id=MEMBER_A, person_id=PERSON_A)
            case "member_b":
                return stack.headers(Role.MEMBER, member_id=MEMBER_B, person_id=PERSON_B)
            case "desk_x":
                return stack.headers(Role.FRONT_DESK, sites=[SITE_X], subject="desk-x")
            case "desk_y":
                return stack.headers(Role.FRONT_DESK, sites=[SITE_Y], subject="desk-y")
            case "admin":
                return stack.headers(Role.ADMIN)
            case "anonymous":
                return {}
        raise ValueError(actor)

    def fill(self, value: Any, **overrides: str) -> Any:
        """`value` with every `{name}` in its strings replaced by the world's id of that name."""
        if isinstance(value, str):
            return value.format(**{**self.ids, **overrides})
        if isinstance(value, dict):
            return {k: self.fill(v, **overrides) for k, v in value.items()}
        if isinstance(value, list):
            return [self.fill(v, **overrides) for v in value]
        return value


def site_body(site_id: str) -> dict[str, Any]:
    return {
        "site_id": site_id,
        "name": f"Technopark {site_id}",
        "city": "Rabat",
        "country": "MA",
        "time_zone": "Africa/Casablanca",
        "opening_hours": [{"weekday": d, "opens": "07:00", "closes": "21:00"} for d in range(1, 8)],
    }


def member_body(member_id: str, person_id: str, site_id: str) -> dict[str, Any]:
    return {
        "member_id": member_id,
        "name": f"Startup {member_id}",
        "kind": "startup",
        "sector": "software",
        "home_site_id": site_id,
        "stage": "incubation",
        "people": [{"person_id": person_id, "name": "Founder", "email": f"{person_id}@example.org", "role": "CEO"}],
    }


def offering_body(site_id: str) -> dict[str, Any]:
    return {
        "site_id": site_id,
        "category": "mentoring",
        "title": {"fr": "Mentorat", "en": "Mentoring"},
        "description": {"fr": "Une heure avec un mentor", "en": "An hour with a mentor"},
        "provider": {"name": "Salma Idrissi", "kind": "expert"},
        "mode": "in_person",
        "session_minutes": 60,
        "seats_per_session": 5,
        "eligibility": {"member_kinds": ["startup"], "stages": ["incubation"]},
        "price": {"amount_minor": 0, "currency": "MAD"},
        "availability": [{"weekday": d, "opens": "09:00", "closes": "17:00"} for d in range(1, 8)],
    }


def event_body(site_id: str) -> dict[str, Any]:
    starts = (datetime.now(UTC) + timedelta(days=10)).replace(hour=10, minute=0, second=0, microsecond=0)
    return {
        "site_id": site_id,
        "kind": "workshop",
        "title": {"fr": "Atelier", "en": "Workshop"},
        "description": {"fr": "Atelier pitch", "en": "Pitch workshop"},
        "time": {"starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=2)).isoformat()},
        "capacity": 20,
        "publish": True,
    }


def near_miss(feed: str) -> str:
    """The feed's token with its last character changed."""
    token = feed.removesuffix(".ics")
    return token[:-1] + ("A" if token[-1] != "A" else "B") + ".ics"


def expect(answer: httpx.Response, *statuses: int) -> dict[str, Any]:
    assert answer.status_code in statuses, f"{answer.request.method} {answer.request.url}: {answer.text}"
    body: dict[str, Any] = answer.json()
    return body


PRICE_LIST = {
    "effective_from": "2020-01-01",
    "legal_entity": {"code": "SECX", "name": "Technopark X SA", "ice": "001525369000088", "address": "Rabat"},
    "day_pass": 10_000,
    "credit_packs": [{"code": "room-5", "label": "Pack 5 h", "room_hours": 5, "price": 50_000, "valid_months": 3}],
}
WEBHOOK = {"url": "https://partner.invalid/hooks", "event_types": ["parkgrid.bookings"], "owner_email": "ops@x.ma"}


def build_world(stack: Stack) -> World:
    """Everything A owns, made the way clients make it; waits where a fact must cross Kafka."""
    world = World(stack)
    admin, owner = world.headers("admin"), world.headers("owner")
    spaces, community, catalogue, bookings = (stack.url(s) for s in ("spaces", "community", "catalogue", "bookings"))
    with httpx.Client(timeout=15) as http:
        for site in (SITE_X, SITE_Y):
            expect(http.post(f"{spaces}/v1/sites", json=site_body(site), headers=admin), 201)
        # X's prices, before anything A uses there is published (billing charges from the events)
        billing = stack.url("billing")
        expect(
            http.put(f"{billing}/v1/price-lists/{SITE_X}", json=PRICE_LIST, headers={**admin, "If-Match": '"0"'}), 200
        )
        # an admin's webhook endpoint for what follows; it cannot be reached, so its deliveries stay in the log
        endpoint = expect(
            http.post(
                f"{stack.url('insights')}/v1/webhooks/endpoints",
                json={**WEBHOOK, "event_types": ["parkgrid.community"]},
                headers=admin,
            ),
            201,
        )
        office = expect(
            http.post(
                f"{spaces}/v1/sites/{SITE_X}/spaces",
                json={"space_id": "office-sec-x", "name": "Bureau 1", "kind": "private_office", "capacity": 4},
                headers=admin,
            ),
            201,
        )
        room = expect(
            http.post(
                f"{spaces}/v1/sites/{SITE_X}/spaces",
                json={"space_id": "room-sec-x", "name": "Salle A", "kind": "meeting_room", "capacity": 8},
                headers=admin,
            ),
            201,
        )

        def registered(member: str, person: str, site: str) -> dict[str, Any] | None:
            answer = http.post(f"{community}/v1/members", json=member_body(member, person, site), headers=admin)
            return answer.json() if answer.status_code == 201 else None

        eventually(lambda: registered(MEMBER_A, PERSON_A, SITE_X), what="community knows site X")
        eventually(lambda: registered(MEMBER_B, PERSON_B, SITE_Y), what="community knows site Y")

        def offered() -> dict[str, Any] | None:
            answer = http.post(f"{catalogue}/v1/offerings", json=offering_body(SITE_X), headers=admin)
            return answer.json() if answer.status_code == 201 else None

        offering = eventually(offered, what="the catalogue knows site X")
        expect(http.post(f"{catalogue}/v1/offerings/{offering['id']}/publish", headers=admin), 200)

        def a_slot() -> dict[str, Any] | None:
            first = date.today() + timedelta(days=2)
            answer = http.get(
                f"{bookings}/v1/offerings/{offering['id']}/slots",
                params={"from": first.isoformat(), "to": (first + timedelta(days=3)).isoformat()},
                headers=owner,
            )
            free = list(answer.json().get("items", [])) if answer.status_code == 200 else []
            return free[0] if free else None

        slot = eventually(a_slot, what="bookings knows the published offering")

        def booked() -> dict[str, Any] | None:
            answer = http.post(
                f"{bookings}/v1/bookings",
                json={"offering_id": offering["id"], "member_id": MEMBER_A, "starts_at": slot["starts_at"]},
                headers=owner,
            )
            return answer.json() if answer.status_code == 201 else None

        booking = eventually(booked, what="bookings knows member A")
        # A series of A's (its one occurrence is refused: A holds that session already; it exists all the same).
        repeat = {"every_weeks": 1, "count": 1}
        series = expect(
            http.post(
                f"{bookings}/v1/series",
                json={
                    "offering_id": offering["id"],
                    "member_id": MEMBER_A,
                    "starts_at": slot["starts_at"],
                    "repeat": repeat,
                },
                headers={**owner, "Idempotency-Key": "security-series"},
            ),
            201,
        )

        # A waitlist place of A: B (booked by staff) fills another session, A joins its line.
        def a_slot_after(taken: str) -> dict[str, Any] | None:
            first = date.today() + timedelta(days=2)
            answer = http.get(
                f"{bookings}/v1/offerings/{offering['id']}/slots",
                params={"from": first.isoformat(), "to": (first + timedelta(days=3)).isoformat()},
                headers=owner,
            )
            free = [s for s in answer.json().get("items", []) if s["starts_at"] != taken] if answer.is_success else []
            return free[0] if free else None

        full = eventually(lambda: a_slot_after(slot["starts_at"]), what="a second free session")

        def filled() -> dict[str, Any] | None:
            answer = http.post(
                f"{bookings}/v1/bookings",
                json={
                    "offering_id": offering["id"],
                    "member_id": MEMBER_B,
                    "starts_at": full["starts_at"],
                    "party_size": offering_body(SITE_X)["seats_per_session"],
                },
                headers=admin,
            )
            return answer.json() if answer.status_code == 201 else None

        eventually(filled, what="bookings knows member B")
        place = expect(
            http.post(
                f"{bookings}/v1/bookings",
                json={
                    "offering_id": offering["id"],
                    "member_id": MEMBER_A,
                    "starts_at": full["starts_at"],
                    "join_waitlist": True,
                },
                headers=owner,
            ),
            201,
        )

        event = expect(http.post(f"{community}/v1/events", json=event_body(SITE_X), headers=admin), 201)
        registration = expect(
            http.post(
                f"{community}/v1/events/{event['event_id']}/registrations",
                json={"person_id": PERSON_A},
                headers=owner,
            ),
            201,
        )

        def resident() -> dict[str, Any] | None:
            answer = http.post(
                f"{spaces}/v1/residencies",
                json={
                    "member_id": MEMBER_A,
                    "site_id": SITE_X,
                    "space_id": office["space_id"],
                    "starts_on": (date.today() + timedelta(days=30)).isoformat(),
                    "ends_on": (date.today() + timedelta(days=400)).isoformat(),
                },
                headers=admin,
            )
            return answer.json() if answer.status_code == 201 else None

        residency = eventually(resident, what="spaces knows member A")
        entry = expect(
            http.post(
                f"{spaces}/v1/office-waitlist",
                json={"site_id": SITE_X, "member_id": MEMBER_A, "seats": 2},
                headers=owner,
            ),
            201,
        )
        now = datetime.now(UTC).replace(microsecond=0)
        reservation = expect(
            http.post(
                f"{spaces}/v1/reservations",
                json={
                    "site_id": SITE_X,
                    "requirement": {"kind": "meeting_room", "seats": 4},
                    "time": {
                        "starts_at": (now + timedelta(days=5)).isoformat(),
                        "ends_at": (now + timedelta(days=5, hours=1)).isoformat(),
                    },
                    "member_id": MEMBER_A,
                },
                headers=admin,
            ),
            201,
        )
        desk = expect(
            http.post(
                f"{spaces}/v1/sites/{SITE_X}/spaces",
                json={"space_id": "desk-sec-x", "name": "Open space", "kind": "hot_desk_area", "capacity": 20},
                headers=admin,
            ),
            201,
        )
        day_pass = expect(
            http.post(
                f"{spaces}/v1/day-passes",
                json={
                    "site_id": SITE_X,
                    "space_id": desk["space_id"],
                    "member_id": MEMBER_A,
                    "person_id": PERSON_A,
                    "day": (date.today() + timedelta(days=1)).isoformat(),
                },
                headers=owner,
            ),
            201,
        )
        visit = expect(
            http.post(
                f"{spaces}/v1/visits",
                json={
                    "site_id": SITE_X,
                    "member_id": MEMBER_A,
                    "day": (date.today() + timedelta(days=1)).isoformat(),
                    "guest_name": "Invitée de A",
                },
                headers=owner,
            ),
            201,
        )
        # A's day pass charged by billing, its month closed: A's invoice at X, partly paid at X's desk
        charge_id = f"day_pass:{day_pass['day_pass_id']}"
        eventually(
            lambda: any(
                c["charge_id"] == charge_id
                for c in expect(http.get(f"{billing}/v1/charges", params={"member_id": MEMBER_A}, headers=admin), 200)[
                    "items"
                ]
            ),
            what="billing charged A's day pass",
        )
        period = (date.today() + timedelta(days=1)).strftime("%Y-%m")
        expect(http.post(f"{billing}/v1/periods/{period}/close", json={"site_ids": [SITE_X]}, headers=admin), 200)
        invoice = expect(http.get(f"{billing}/v1/invoices/inv:{SITE_X}:{MEMBER_A}:{period}", headers=admin), 200)
        payment = expect(
            http.post(
                f"{billing}/v1/payments",
                json={
                    "member_id": MEMBER_A,
                    "site_id": SITE_X,
                    "amount_minor": 100,
                    "method": "cash",
                    "reference": "SEC-1",
                    "received_on": date.today().isoformat(),
                    "invoice_id": invoice["invoice_id"],
                },
                headers={**world.headers("desk_x"), "Idempotency-Key": "security-payment"},
            ),
            201,
        )
        attempts = iter(range(1000))

        def sell_pack() -> dict[str, Any] | None:
            """X's desk sells A a pack once billing has heard of A (a fresh key each try: a 404 is kept)."""
            sold = http.post(
                f"{billing}/v1/members/{MEMBER_A}/credit-packs",
                json={"site_id": SITE_X, "code": "room-5"},
                headers={**world.headers("desk_x"), "Idempotency-Key": f"security-pack-{next(attempts)}"},
            )
            return dict(sold.json()) if sold.status_code == 201 else None

        pack = eventually(sell_pack, what="billing sold A a credit pack at X")
        feed = expect(http.get(f"{bookings}/v1/members/{MEMBER_A}/calendar-feed", headers=owner), 200)
        b_feed = expect(
            http.get(f"{bookings}/v1/members/{MEMBER_B}/calendar-feed", headers=world.headers("member_b")), 200
        )
        deliveries = f"{stack.url('insights')}/v1/webhooks/endpoints/{endpoint['id']}/deliveries"
        delivery = eventually(
            lambda: next(iter(expect(http.get(deliveries, headers=admin), 200)["items"]), None),
            what="a webhook delivery of the world's events",
        )
        insights = stack.url("insights")
        export = expect(
            http.post(
                f"{insights}/v1/exports",
                json={"member_id": MEMBER_A},
                headers={**owner, "Idempotency-Key": "security-world-export"},
            ),
            202,
        )
        eventually(
            lambda: (
                expect(http.get(f"{insights}/v1/exports/{export['export_id']}", headers=owner), 200)["status"]
                == "ready"
            ),
            what="the world's export gathered from every service",
        )
    world.b_feed_path = b_feed["path"]
    world.per_service = {"bookings": {"entry_id": place["entry_id"]}}
    world.ids = {
        "site_id": SITE_X,
        "member_id": MEMBER_A,
        "member_name": member_body(MEMBER_A, PERSON_A, SITE_X)["name"],
        "person_id": PERSON_A,
        "offering_id": offering["id"],
        "booking_id": booking["id"],
        "series_id": series["series_id"],
        "event_id": event["event_id"],
        "registration_id": registration["registration_id"],
        "residency_id": residency["residency_id"],
        "entry_id": entry["entry_id"],
        "space_id": room["space_id"],
        "reservation_id": reservation["reservation_id"],
        "day_pass_id": day_pass["day_pass_id"],
        "visit_id": visit["visit_id"],
        "feed": feed["path"].rsplit("/", 1)[1],
        "feed_near_miss": near_miss(feed["path"].rsplit("/", 1)[1]),
        "kpi": "bookings",
        "endpoint_id": endpoint["id"],
        "delivery_id": delivery["id"],
        "export_id": export["export_id"],
        "invoice_id": invoice["invoice_id"],
        "invoice_number": invoice["number"],
        "charge_id": charge_id,
        "payment_id": payment["payment_id"],
        "pack_sale_id": pack["sale_id"],
        "period": period,
        # Not path parameters: values the matrix's bodies need.
        "office_id": office["space_id"],
        "visit_day": visit["day"],
        "starts_at": slot["starts_at"],
        "booking_day": slot["starts_at"][:10],
        "later": (now + timedelta(days=6)).isoformat(),
        "later_end": (now + timedelta(days=6, hours=1)).isoformat(),
        "day": (date.today() + timedelta(days=3)).isoformat(),
    }
    return world
