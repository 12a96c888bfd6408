"""Who may touch what, across every service's API: one matrix, against the real services.

Object level (BOLA): member B (another organisation, at site Y) tries every endpoint of member
A's objects (at site X): bookings, registrations and tickets, residencies, office-waitlist
entries, entitlements and history, the calendar feed. What B may not see is 404, so that B
cannot even learn it exists (DESIGN.md: "404 for what the caller may not see").
Function level: a member on staff and admin endpoints is 403; front-desk staff of site Y acting
on site X's objects are 403 where they could see them (bookings, community), 404 where the
service hides other sites' objects from them (spaces: reservations, residencies, waitlists).
A few rows are the owner or X's staff getting 200: proof the objects exist, so a 404 above is
a refusal and not a typo.

`test_every_operation_of_every_api_is_in_the_matrix` reads each service's OpenAPI: a new
endpoint without an attacking row here fails it. The front desk's web app is not in it: its
HTML pages call these APIs with the signed-in user's own token, and have their own tests.

Also here, across services: mass assignment (fields a client must not set, such as status,
price, version, id, created_at, seats, are refused with 422 wherever a body does not declare
them; the ones a body does declare are role-checked rows of the matrix) and unbounded `limit`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

import httpx
import pytest
from security_fixtures import (
    MEMBER_A,
    MEMBER_B,
    PERSON_A,
    SITE_X,
    WEBHOOK,
    World,
    build_world,
    event_body,
    member_body,
)

from parkgrid.testing.infrastructure import Infrastructure
from parkgrid.testing.stack import Stack, installed_services, running_stack

API_SERVICES = [s.name for s in installed_services() if s.name != "frontdesk"]
ATTACKERS = {"member_b", "desk_y"}


class Row(NamedTuple):
    service: str
    method: str
    path: str  # the OpenAPI path template; `{name}` is the world's id of that name (A's, at site X)
    actor: str  # owner (A) | member_b | desk_x | desk_y | admin | anonymous
    expected: int
    body: Any = None
    query: dict[str, str] | None = None
    headers: dict[str, str] | None = None
    empty: bool = False  # 200 must then hold no items: a list filtered to the caller's own
    hides: str | None = None  # the answer must not contain it (a world id): a list narrowed to the caller
    shows: str | None = None  # the answer must contain it: proof the object exists, to its own


IF_MATCH = {"If-Match": '"1"'}
SERIES = {
    "offering_id": "{offering_id}",
    "member_id": MEMBER_A,
    "starts_at": "{starts_at}",
    "repeat": {"every_weeks": 1, "count": 2},
}
SERIES_MOVE = {"from_occurrence": "{starts_at}", "starts_at": "{starts_at}"}
DECLINE = {"note": "Intrus"}
BOOKING = {"offering_id": "{offering_id}", "member_id": MEMBER_A, "starts_at": "{starts_at}"}
RESERVATION = {
    "site_id": SITE_X,
    "requirement": {"kind": "meeting_room", "seats": 2},
    "time": {"starts_at": "{later}", "ends_at": "{later_end}"},
}
RESIDENCY = {"member_id": MEMBER_A, "site_id": SITE_X, "space_id": "{office_id}", "starts_on": "{day}"}
WAITLIST = {"site_id": SITE_X, "member_id": MEMBER_A, "seats": 3}
DAY_PASS = {"site_id": SITE_X, "space_id": "{office_id}", "member_id": MEMBER_A, "person_id": PERSON_A, "day": "{day}"}
EVENT_TIME = {"starts_at": "{later}", "ends_at": "{later_end}"}
PERSON = {"name": "Intrus", "email": "intrus@example.org", "role": "CTO"}
KPI_QUERY = {"site_id": SITE_X}
MOVE = {"space_id": "x", "moves_on": "{day}"}
OFFER = {"space_id": "x", "starts_on": "{day}"}
REPORT = {"from": "{day}", "to": "{day}"}
BOOKING_DAY = {"date": "{booking_day}"}
VISIT = {"site_id": SITE_X, "member_id": MEMBER_A, "host_person_id": PERSON_A, "day": "{day}", "guest_name": "Intrus"}

MATRIX: list[Row] = [
    # --- catalogue: admins shape the grid; anyone signed in reads what is published
    Row("catalogue", "POST", "/v1/offerings", "member_b", 403, {}),
    Row("catalogue", "POST", "/v1/offerings", "desk_x", 403, {}),
    Row("catalogue", "PUT", "/v1/offerings/{offering_id}", "member_b", 403, {}, headers=IF_MATCH),
    Row("catalogue", "PUT", "/v1/offerings/{offering_id}", "desk_x", 403, {}, headers=IF_MATCH),
    Row("catalogue", "PATCH", "/v1/offerings/{offering_id}", "member_b", 403, {"price": None}, headers=IF_MATCH),
    Row("catalogue", "PATCH", "/v1/offerings/{offering_id}", "desk_x", 403, {"credits": 0}, headers=IF_MATCH),
    Row("catalogue", "POST", "/v1/offerings/{offering_id}/publish", "member_b", 403),
    Row("catalogue", "POST", "/v1/offerings/{offering_id}/withdraw", "member_b", 403),
    Row("catalogue", "POST", "/v1/offerings/{offering_id}/withdraw", "desk_x", 403),
    # --- bookings: A's booking, entitlements, history and calendar
    Row("bookings", "POST", "/v1/bookings", "member_b", 403, BOOKING),
    Row("bookings", "POST", "/v1/bookings", "desk_y", 403, BOOKING),
    Row("bookings", "POST", "/v1/bookings/{booking_id}/cancel", "member_b", 404, {"reason": "not mine"}),
    Row("bookings", "POST", "/v1/bookings/{booking_id}/cancel", "desk_y", 403, {"reason": "not my site"}),
    Row("bookings", "POST", "/v1/bookings/{booking_id}/reschedule", "member_b", 404, {"starts_at": "{starts_at}"}),
    Row("bookings", "POST", "/v1/bookings/{booking_id}/reschedule", "desk_y", 403, {"starts_at": "{starts_at}"}),
    # members check themselves in (their own organisation's booking): B does not see A's; A is let
    # through to the rule, which refuses a check-in days before the session (409, not 403)
    Row("bookings", "POST", "/v1/bookings/{booking_id}/check-in", "member_b", 404),
    Row("bookings", "POST", "/v1/bookings/{booking_id}/check-in", "owner", 409),
    Row("bookings", "POST", "/v1/bookings/{booking_id}/check-in", "desk_y", 403),
    Row("bookings", "POST", "/v1/waitlist/{entry_id}/leave", "member_b", 404),
    Row("bookings", "POST", "/v1/waitlist/{entry_id}/leave", "desk_y", 403),
    # --- spaces: sites and spaces are the admins'; other sites' objects are not found by staff
    Row("spaces", "POST", "/v1/sites", "member_b", 403, {}),
    Row("spaces", "POST", "/v1/sites", "desk_x", 403, {}),
    Row("spaces", "PATCH", "/v1/sites/{site_id}", "member_b", 403, {"status": "closed"}, headers=IF_MATCH),
    Row("spaces", "PATCH", "/v1/sites/{site_id}", "desk_x", 403, {"name": "Mine"}, headers=IF_MATCH),
    Row("spaces", "POST", "/v1/sites/{site_id}/spaces", "member_b", 403, {}),
    Row("spaces", "POST", "/v1/sites/{site_id}/spaces", "desk_x", 403, {}),
    Row("spaces", "PATCH", "/v1/spaces/{space_id}", "member_b", 403, {"capacity": 99}, headers=IF_MATCH),
    Row("spaces", "PATCH", "/v1/spaces/{space_id}", "desk_x", 403, {"capacity": 99}, headers=IF_MATCH),
    Row("spaces", "POST", "/v1/spaces/{space_id}/retire", "member_b", 403),
    Row("spaces", "POST", "/v1/spaces/{space_id}/retire", "desk_x", 403),
    Row("spaces", "POST", "/v1/reservations", "member_b", 403, RESERVATION),
    Row("spaces", "POST", "/v1/reservations", "desk_y", 403, RESERVATION),
    Row("spaces", "POST", "/v1/reservations/{reservation_id}/release", "member_b", 403),
    Row("spaces", "POST", "/v1/reservations/{reservation_id}/release", "desk_y", 404),
    Row("spaces", "POST", "/v1/residencies", "member_b", 403, RESIDENCY),
    Row("spaces", "POST", "/v1/residencies", "desk_y", 403, RESIDENCY),
    Row("spaces", "POST", "/v1/residencies/{residency_id}/extend", "owner", 403, {"ends_on": "2040-01-01"}),
    Row("spaces", "POST", "/v1/residencies/{residency_id}/extend", "member_b", 403, {"ends_on": "2040-01-01"}),
    Row("spaces", "POST", "/v1/residencies/{residency_id}/extend", "desk_y", 404, {"ends_on": "2040-01-01"}),
    Row("spaces", "POST", "/v1/residencies/{residency_id}/end", "member_b", 403, {"reason": "not mine"}),
    Row("spaces", "POST", "/v1/residencies/{residency_id}/end", "desk_y", 404, {"reason": "not my site"}),
    Row("spaces", "POST", "/v1/residencies/{residency_id}/move", "member_b", 403, MOVE),
    Row("spaces", "POST", "/v1/residencies/{residency_id}/move", "desk_y", 404, MOVE),
    Row("spaces", "POST", "/v1/office-waitlist", "member_b", 403, WAITLIST),
    Row("spaces", "POST", "/v1/office-waitlist", "desk_y", 403, WAITLIST),
    Row("spaces", "POST", "/v1/sites/{site_id}/office-waitlist/offers", "member_b", 403, OFFER),
    Row("spaces", "POST", "/v1/sites/{site_id}/office-waitlist/offers", "desk_y", 404, OFFER),
    Row("spaces", "POST", "/v1/office-waitlist/{entry_id}/accept", "owner", 403),
    Row("spaces", "POST", "/v1/office-waitlist/{entry_id}/accept", "desk_y", 404),
    Row("spaces", "POST", "/v1/office-waitlist/{entry_id}/decline", "member_b", 404, {}),
    Row("spaces", "POST", "/v1/office-waitlist/{entry_id}/decline", "desk_y", 404, {}),
    Row("spaces", "POST", "/v1/office-waitlist/{entry_id}/leave", "member_b", 404, {}),
    Row("spaces", "POST", "/v1/office-waitlist/{entry_id}/leave", "desk_y", 404, {}),
    Row("spaces", "POST", "/v1/day-passes", "member_b", 403, DAY_PASS),
    Row("spaces", "POST", "/v1/day-passes", "desk_y", 403, DAY_PASS),
    Row("spaces", "POST", "/v1/visits", "member_b", 403, VISIT),
    Row("spaces", "POST", "/v1/visits", "desk_y", 403, VISIT),
    Row("spaces", "POST", "/v1/visits/{visit_id}/arrive", "owner", 403),
    Row("spaces", "POST", "/v1/visits/{visit_id}/arrive", "desk_y", 404),
    Row("spaces", "POST", "/v1/visits/{visit_id}/leave", "member_b", 403),
    Row("spaces", "POST", "/v1/visits/{visit_id}/leave", "desk_y", 404),
    Row("spaces", "POST", "/v1/visits/{visit_id}/cancel", "member_b", 404),
    Row("spaces", "POST", "/v1/visits/{visit_id}/cancel", "desk_y", 404),
    # --- community: members, events, registrations and tickets
    Row("community", "POST", "/v1/members", "member_b", 403, member_body("member-forged", "person-forged", SITE_X)),
    Row("community", "POST", "/v1/members", "desk_y", 403, member_body("member-forged", "person-forged", SITE_X)),
    Row("community", "PATCH", "/v1/members/{member_id}", "owner", 403, {"name": "Renamed"}, headers=IF_MATCH),
    Row("community", "PATCH", "/v1/members/{member_id}", "member_b", 403, {"name": "Renamed"}, headers=IF_MATCH),
    Row("community", "PATCH", "/v1/members/{member_id}", "desk_y", 404, {"name": "Renamed"}, headers=IF_MATCH),
    Row("community", "POST", "/v1/members/{member_id}/stage", "owner", 403, {"stage": "resident"}),
    Row("community", "POST", "/v1/members/{member_id}/stage", "desk_y", 404, {"stage": "alumni"}),
    Row("community", "POST", "/v1/members/{member_id}/people", "member_b", 403, PERSON),
    Row("community", "POST", "/v1/members/{member_id}/people", "desk_y", 404, PERSON),
    Row("community", "POST", "/v1/members/{member_id}/people/{person_id}/leave", "member_b", 403),
    Row("community", "POST", "/v1/members/{member_id}/people/{person_id}/leave", "desk_y", 404),
    # erasing someone is an admin's act: neither the member itself nor its own site's desk
    Row("community", "POST", "/v1/members/{member_id}/people/{person_id}/erase", "owner", 403),
    Row("community", "POST", "/v1/members/{member_id}/people/{person_id}/erase", "desk_x", 403),
    Row("community", "POST", "/v1/members/{member_id}/people/{person_id}/erase", "desk_y", 403),
    Row("community", "POST", "/v1/members/{member_id}/erase", "owner", 403),
    Row("community", "POST", "/v1/members/{member_id}/erase", "desk_x", 403),
    Row("community", "POST", "/v1/members/{member_id}/erase", "desk_y", 403),
    Row("community", "POST", "/v1/members/{member_id}/leave", "member_b", 403, {}),
    Row("community", "POST", "/v1/members/{member_id}/leave", "desk_y", 404, {}),
    Row("community", "POST", "/v1/events", "member_b", 403, event_body(SITE_X)),
    Row("community", "POST", "/v1/events", "desk_y", 403, event_body(SITE_X)),
    Row("community", "POST", "/v1/events/{event_id}/publish", "member_b", 403),
    Row("community", "POST", "/v1/events/{event_id}/publish", "desk_y", 404),
    Row("community", "POST", "/v1/events/{event_id}/reschedule", "member_b", 403, EVENT_TIME),
    Row("community", "POST", "/v1/events/{event_id}/reschedule", "desk_y", 404, EVENT_TIME),
    Row("community", "POST", "/v1/events/{event_id}/cancel", "member_b", 403, {"reason": "no"}),
    Row("community", "POST", "/v1/events/{event_id}/cancel", "desk_y", 404, {"reason": "no"}),
    Row("community", "PATCH", "/v1/events/{event_id}", "member_b", 403, {"capacity": 5}),
    Row("community", "PATCH", "/v1/events/{event_id}", "desk_y", 404, {"capacity": 5}),
    Row("community", "POST", "/v1/events/{event_id}/registrations", "member_b", 403, {"person_id": PERSON_A}),
    Row("community", "POST", "/v1/events/{event_id}/registrations", "desk_y", 404, {"person_id": PERSON_A}),
    Row("community", "POST", "/v1/registrations/{registration_id}/cancel", "member_b", 404),
    Row("community", "POST", "/v1/registrations/{registration_id}/cancel", "desk_y", 404),
    Row("community", "POST", "/v1/events/{event_id}/check-ins", "member_b", 403, {"token": "x"}),
    Row("community", "POST", "/v1/events/{event_id}/check-ins", "owner", 403, {"token": "x"}),
    Row("community", "POST", "/v1/events/{event_id}/check-ins", "desk_y", 404, {"token": "x"}),
]

# --- reads: every GET of every service ----------------------------------------------------------
#
# The rule (`parkgrid.http.access.Scope`): admins see everything, a front desk what is at its own
# sites, a member what belongs to its own organisation. An object the caller may not see is 404
# (it does not exist for them); a foreign site named in a list filter is 403; a list without
# such a filter is narrowed to the caller's scope (`hides`: A's object never appears in it).
# What is the network's on purpose (the published catalogue, published events, slots) answers
# 200 to everyone signed in. `test_every_read_is_attacked_and_proved` derives from the OpenAPI
# what this list must hold, so a new GET route or a new filter fails until its rows are here.

A_ONLY = "{member_id}"  # A's id: it must not appear in a list another organisation or site sees

READS: list[Row] = [
    # --- catalogue: the published grid is the network's
    Row("catalogue", "GET", "/v1/offerings", "owner", 200, shows="{offering_id}"),
    Row("catalogue", "GET", "/v1/offerings", "member_b", 200, shows="{offering_id}"),
    Row("catalogue", "GET", "/v1/offerings", "desk_y", 200, shows="{offering_id}"),
    Row("catalogue", "GET", "/v1/offerings", "owner", 200, query={"member_id": MEMBER_A}),
    Row("catalogue", "GET", "/v1/offerings", "member_b", 403, query={"member_id": MEMBER_A}),
    Row("catalogue", "GET", "/v1/offerings", "desk_y", 404, query={"member_id": MEMBER_A}),
    Row("catalogue", "GET", "/v1/offerings", "member_b", 200, query={"site": SITE_X}, shows="{offering_id}"),
    Row("catalogue", "GET", "/v1/offerings", "desk_y", 200, query={"site": SITE_X}, shows="{offering_id}"),
    Row("catalogue", "GET", "/v1/offerings", "member_b", 200, query={"q": "Mentorat"}),
    Row("catalogue", "GET", "/v1/offerings", "desk_y", 200, query={"q": "Mentorat"}),
    Row("catalogue", "GET", "/v1/offerings/{offering_id}", "owner", 200),
    Row("catalogue", "GET", "/v1/offerings/{offering_id}", "member_b", 200),
    Row("catalogue", "GET", "/v1/offerings/{offering_id}", "desk_y", 200),
    # --- bookings: slots are the published offering's; bookings, entitlements, history are A's
    Row("bookings", "GET", "/v1/offerings/{offering_id}/slots", "owner", 200),
    Row("bookings", "GET", "/v1/offerings/{offering_id}/slots", "member_b", 200),
    Row("bookings", "GET", "/v1/offerings/{offering_id}/slots", "desk_y", 200),
    Row("bookings", "GET", "/v1/bookings", "desk_x", 200, shows="{booking_id}"),
    Row("bookings", "GET", "/v1/bookings", "member_b", 200, hides="{booking_id}"),
    Row("bookings", "GET", "/v1/bookings", "desk_y", 200, hides="{booking_id}"),
    Row("bookings", "GET", "/v1/bookings", "owner", 200, query={"member_id": MEMBER_A}, shows="{booking_id}"),
    Row("bookings", "GET", "/v1/bookings", "member_b", 200, query={"member_id": MEMBER_A}, empty=True),
    Row("bookings", "GET", "/v1/bookings", "desk_y", 403, query={"member_id": MEMBER_A}),
    Row("bookings", "GET", "/v1/series/{series_id}", "owner", 200),
    Row("bookings", "GET", "/v1/series/{series_id}", "desk_x", 200),
    Row("bookings", "GET", "/v1/series/{series_id}", "member_b", 404),
    Row("bookings", "GET", "/v1/series/{series_id}", "desk_y", 404),
    Row("bookings", "GET", "/v1/series", "owner", 200, query={"member_id": MEMBER_A}, shows="{series_id}"),
    Row("bookings", "GET", "/v1/series", "member_b", 200, hides="{series_id}"),
    Row("bookings", "GET", "/v1/series", "desk_y", 200, hides="{series_id}"),
    Row("bookings", "GET", "/v1/series", "member_b", 200, query={"member_id": MEMBER_A}, empty=True),
    Row("bookings", "GET", "/v1/series", "desk_y", 403, query={"member_id": MEMBER_A}),
    Row("bookings", "POST", "/v1/series", "member_b", 403, SERIES),
    Row("bookings", "POST", "/v1/series", "desk_y", 403, SERIES),
    Row("bookings", "POST", "/v1/series/{series_id}/cancel", "member_b", 404, {}),
    Row("bookings", "POST", "/v1/series/{series_id}/cancel", "desk_y", 403, {}),
    Row("bookings", "POST", "/v1/series/{series_id}/reschedule", "member_b", 404, SERIES_MOVE),
    Row("bookings", "POST", "/v1/series/{series_id}/reschedule", "desk_y", 403, SERIES_MOVE),
    # Approvals: a site's staff and admins only; A's booking is confirmed, so X's desk finds nothing to decide.
    Row("bookings", "GET", "/v1/approvals", "desk_x", 200, query={"site_id": SITE_X}),
    Row("bookings", "GET", "/v1/approvals", "owner", 403, query={"site_id": SITE_X}),
    Row("bookings", "GET", "/v1/approvals", "member_b", 403, query={"site_id": SITE_X}),
    Row("bookings", "GET", "/v1/approvals", "desk_y", 403, query={"site_id": SITE_X}),
    Row("bookings", "POST", "/v1/approvals/{booking_id}/approve", "desk_x", 404, {}),
    Row("bookings", "POST", "/v1/approvals/{booking_id}/approve", "owner", 403, {}),
    Row("bookings", "POST", "/v1/approvals/{booking_id}/approve", "member_b", 403, {}),
    Row("bookings", "POST", "/v1/approvals/{booking_id}/approve", "desk_y", 403, {}),
    Row("bookings", "POST", "/v1/approvals/{booking_id}/decline", "owner", 403, DECLINE),
    Row("bookings", "POST", "/v1/approvals/{booking_id}/decline", "member_b", 403, DECLINE),
    Row("bookings", "POST", "/v1/approvals/{booking_id}/decline", "desk_y", 403, DECLINE),
    Row("bookings", "GET", "/v1/bookings/{booking_id}", "owner", 200),
    Row("bookings", "GET", "/v1/bookings/{booking_id}", "desk_x", 200),
    Row("bookings", "GET", "/v1/bookings/{booking_id}", "member_b", 404),
    Row("bookings", "GET", "/v1/bookings/{booking_id}", "desk_y", 404),
    Row("bookings", "GET", "/v1/sites/{site_id}/day", "desk_x", 200, query=BOOKING_DAY, shows="{booking_id}"),
    Row("bookings", "GET", "/v1/sites/{site_id}/day", "member_b", 403),
    Row("bookings", "GET", "/v1/sites/{site_id}/day", "desk_y", 403),
    Row("bookings", "GET", "/v1/members/{member_id}/entitlements", "owner", 200),
    Row("bookings", "GET", "/v1/members/{member_id}/entitlements", "member_b", 404),
    Row("bookings", "GET", "/v1/members/{member_id}/entitlements", "desk_y", 404),
    Row("bookings", "GET", "/v1/members/{member_id}/limits", "owner", 200, shows=MEMBER_A),
    Row("bookings", "GET", "/v1/members/{member_id}/limits", "member_b", 404),
    Row("bookings", "GET", "/v1/members/{member_id}/limits", "desk_y", 404),
    Row("bookings", "GET", "/v1/members/{member_id}/limits", "member_b", 404, query={"site_id": SITE_X}),
    Row("bookings", "GET", "/v1/members/{member_id}/limits", "desk_y", 404, query={"site_id": SITE_X}),
    Row("bookings", "GET", "/v1/sites/{site_id}/limits", "desk_x", 200, shows=SITE_X),
    Row("bookings", "GET", "/v1/sites/{site_id}/limits", "member_b", 403),
    Row("bookings", "GET", "/v1/sites/{site_id}/limits", "desk_y", 403),
    Row("bookings", "PUT", "/v1/sites/{site_id}/limits", "member_b", 403, {"rules": []}, headers=IF_MATCH),
    Row("bookings", "PUT", "/v1/sites/{site_id}/limits", "desk_x", 403, {"rules": []}, headers=IF_MATCH),
    Row("bookings", "GET", "/v1/members/{member_id}/history", "owner", 200),
    Row("bookings", "GET", "/v1/members/{member_id}/history", "member_b", 404),
    Row("bookings", "GET", "/v1/members/{member_id}/history", "desk_y", 404),
    Row("bookings", "GET", "/v1/members/{member_id}/calendar-feed", "owner", 200),
    Row("bookings", "GET", "/v1/members/{member_id}/calendar-feed", "member_b", 404),
    Row("bookings", "GET", "/v1/members/{member_id}/calendar-feed", "desk_y", 404),
    Row("bookings", "GET", "/v1/members/{member_id}/calendar-feed", "owner", 200, query={"person_id": PERSON_A}),
    Row("bookings", "GET", "/v1/members/{member_id}/calendar-feed", "member_b", 404, query={"person_id": PERSON_A}),
    Row("bookings", "GET", "/v1/members/{member_id}/calendar-feed", "desk_y", 404, query={"person_id": PERSON_A}),
    Row("bookings", "POST", "/v1/members/{member_id}/calendar-feed/rotate", "member_b", 404),
    Row("bookings", "POST", "/v1/members/{member_id}/calendar-feed/rotate", "desk_y", 404),
    Row("bookings", "DELETE", "/v1/members/{member_id}/calendar-feed", "member_b", 404),
    Row("bookings", "DELETE", "/v1/members/{member_id}/calendar-feed", "desk_y", 404),
    Row("bookings", "GET", "/v1/calendar/{feed}", "anonymous", 200),  # the URL's secret is the key
    Row("bookings", "GET", "/v1/calendar/not-a-feed-token.ics", "anonymous", 404),
    Row("bookings", "GET", "/v1/calendar/{feed_near_miss}", "member_b", 404),  # A's token, one character off
    Row("bookings", "GET", "/v1/calendar/{feed_near_miss}", "desk_y", 404),
    Row("bookings", "GET", "/v1/waitlist", "owner", 200, query={"member_id": MEMBER_A}),
    Row("bookings", "GET", "/v1/waitlist", "member_b", 200, hides=A_ONLY),
    Row("bookings", "GET", "/v1/waitlist", "desk_y", 200, hides=A_ONLY),
    Row("bookings", "GET", "/v1/waitlist", "member_b", 200, query={"member_id": MEMBER_A}, empty=True),
    Row("bookings", "GET", "/v1/waitlist", "desk_y", 403, query={"member_id": MEMBER_A}),
    Row("bookings", "GET", "/v1/waitlist", "member_b", 200, query={"offering_id": "{offering_id}"}, hides=A_ONLY),
    Row("bookings", "GET", "/v1/waitlist", "desk_y", 403, query={"offering_id": "{offering_id}"}),
    # --- spaces: sites are the admins' and their staff's; what is at site X is X's
    Row("spaces", "GET", "/v1/sites", "admin", 200, shows=SITE_X),
    Row("spaces", "GET", "/v1/sites", "member_b", 403),
    Row("spaces", "GET", "/v1/sites", "desk_y", 200, hides=SITE_X),
    Row("spaces", "GET", "/v1/sites/{site_id}", "desk_x", 200),
    Row("spaces", "GET", "/v1/sites/{site_id}", "member_b", 403),
    Row("spaces", "GET", "/v1/sites/{site_id}", "desk_y", 404),
    Row("spaces", "GET", "/v1/sites/{site_id}/spaces", "desk_x", 200, shows="{space_id}"),
    Row("spaces", "GET", "/v1/sites/{site_id}/spaces", "member_b", 403),
    Row("spaces", "GET", "/v1/sites/{site_id}/spaces", "desk_y", 404),
    Row("spaces", "GET", "/v1/spaces/{space_id}", "desk_x", 200),
    Row("spaces", "GET", "/v1/spaces/{space_id}", "member_b", 403),
    Row("spaces", "GET", "/v1/spaces/{space_id}", "desk_y", 404),
    Row("spaces", "GET", "/v1/reservations/{reservation_id}", "desk_x", 200),
    Row("spaces", "GET", "/v1/reservations/{reservation_id}", "member_b", 403),
    Row("spaces", "GET", "/v1/reservations/{reservation_id}", "desk_y", 404),
    Row("spaces", "GET", "/v1/residencies/{residency_id}", "owner", 200),
    Row("spaces", "GET", "/v1/residencies/{residency_id}", "member_b", 404),
    Row("spaces", "GET", "/v1/residencies/{residency_id}", "desk_y", 404),
    Row("spaces", "GET", "/v1/office-waitlist", "owner", 200, query={"member_id": MEMBER_A}, shows="{entry_id}"),
    Row("spaces", "GET", "/v1/office-waitlist", "member_b", 403, query={"member_id": MEMBER_A}),
    Row("spaces", "GET", "/v1/office-waitlist", "desk_y", 200, query={"member_id": MEMBER_A}, empty=True),
    Row("spaces", "GET", "/v1/day-passes/{day_pass_id}", "owner", 200),
    Row("spaces", "GET", "/v1/day-passes/{day_pass_id}", "desk_x", 200),
    Row("spaces", "GET", "/v1/day-passes/{day_pass_id}", "member_b", 404),
    Row("spaces", "GET", "/v1/day-passes/{day_pass_id}", "desk_y", 404),
    Row("spaces", "GET", "/v1/office-waitlist/{entry_id}", "owner", 200),
    Row("spaces", "GET", "/v1/office-waitlist/{entry_id}", "member_b", 404),
    Row("spaces", "GET", "/v1/office-waitlist/{entry_id}", "desk_y", 404),
    Row("spaces", "GET", "/v1/sites/{site_id}/office-waitlist", "desk_x", 200, shows="{entry_id}"),
    Row("spaces", "GET", "/v1/sites/{site_id}/office-waitlist", "member_b", 403),
    Row("spaces", "GET", "/v1/sites/{site_id}/office-waitlist", "desk_y", 404),
    Row("spaces", "GET", "/v1/visits", "owner", 200, shows="{visit_id}"),
    Row("spaces", "GET", "/v1/visits", "member_b", 200, hides="{visit_id}"),
    Row("spaces", "GET", "/v1/visits", "desk_y", 200, hides="{visit_id}"),
    Row("spaces", "GET", "/v1/visits", "member_b", 403, query={"member_id": MEMBER_A}),
    Row("spaces", "GET", "/v1/visits", "desk_y", 200, query={"member_id": MEMBER_A}, hides="{visit_id}"),
    Row("spaces", "GET", "/v1/visits/{visit_id}", "owner", 200),
    Row("spaces", "GET", "/v1/visits/{visit_id}", "desk_x", 200),
    Row("spaces", "GET", "/v1/visits/{visit_id}", "member_b", 404),
    Row("spaces", "GET", "/v1/visits/{visit_id}", "desk_y", 404),
    Row(
        "spaces", "GET", "/v1/sites/{site_id}/visits", "desk_x", 200, query={"date": "{visit_day}"}, shows="{visit_id}"
    ),
    Row("spaces", "GET", "/v1/sites/{site_id}/visits", "member_b", 403, query={"date": "{visit_day}"}),
    Row("spaces", "GET", "/v1/sites/{site_id}/visits", "desk_y", 404, query={"date": "{visit_day}"}),
    Row("spaces", "GET", "/v1/sites/{site_id}/occupancy", "desk_x", 200, query={"date": "{day}"}),
    Row("spaces", "GET", "/v1/sites/{site_id}/occupancy", "member_b", 403, query={"date": "{day}"}),
    Row("spaces", "GET", "/v1/sites/{site_id}/occupancy", "desk_y", 404, query={"date": "{day}"}),
    Row("spaces", "GET", "/v1/sites/{site_id}/occupancy-report", "desk_x", 200, query=REPORT),
    Row("spaces", "GET", "/v1/sites/{site_id}/occupancy-report", "member_b", 403, query=REPORT),
    Row("spaces", "GET", "/v1/sites/{site_id}/occupancy-report", "desk_y", 404, query=REPORT),
    # --- community: an organisation is at its home site; events at theirs (published: every member's)
    Row("community", "GET", "/v1/members", "admin", 200, shows=A_ONLY),
    Row("community", "GET", "/v1/members", "member_b", 403),
    Row("community", "GET", "/v1/members", "desk_y", 200, shows=MEMBER_B, hides=A_ONLY),  # issue 26
    Row("community", "GET", "/v1/members", "desk_x", 200, query={"site_id": SITE_X}, shows=A_ONLY),
    Row("community", "GET", "/v1/members", "member_b", 403, query={"site_id": SITE_X}),
    Row("community", "GET", "/v1/members", "desk_y", 403, query={"site_id": SITE_X}),  # issue 26
    Row("community", "GET", "/v1/members", "desk_x", 200, query={"q": "{member_name}"}, shows=A_ONLY),
    Row("community", "GET", "/v1/members", "member_b", 403, query={"q": "{member_name}"}),
    Row("community", "GET", "/v1/members", "desk_y", 200, query={"q": "{member_name}"}, hides=A_ONLY),  # issue 26
    Row("community", "GET", "/v1/members/{member_id}", "owner", 200),
    Row("community", "GET", "/v1/members/{member_id}", "desk_x", 200),
    Row("community", "GET", "/v1/members/{member_id}", "member_b", 404),
    Row("community", "GET", "/v1/members/{member_id}", "desk_y", 404),  # issue 26
    Row("community", "GET", "/v1/events", "desk_x", 200, shows="{event_id}"),
    Row("community", "GET", "/v1/events", "member_b", 200, shows="{event_id}"),  # published: every member's
    Row("community", "GET", "/v1/events", "desk_y", 200, hides="{event_id}"),
    Row("community", "GET", "/v1/events", "member_b", 200, query={"site_id": SITE_X}, shows="{event_id}"),
    Row("community", "GET", "/v1/events", "desk_y", 403, query={"site_id": SITE_X}),
    Row("community", "GET", "/v1/events/{event_id}", "desk_x", 200),
    Row("community", "GET", "/v1/events/{event_id}", "member_b", 200),  # published: open to every member
    Row("community", "GET", "/v1/events/{event_id}", "desk_y", 404),
    Row("community", "GET", "/v1/events/{event_id}/registrations", "desk_x", 200, shows="{registration_id}"),
    Row("community", "GET", "/v1/events/{event_id}/registrations", "member_b", 403),
    Row("community", "GET", "/v1/events/{event_id}/registrations", "desk_y", 404),
    Row("community", "GET", "/v1/registrations", "owner", 200, shows="{registration_id}"),
    Row("community", "GET", "/v1/registrations", "member_b", 200, hides="{registration_id}"),
    Row("community", "GET", "/v1/registrations", "desk_y", 422),  # staff name what they list
    Row(
        "community", "GET", "/v1/registrations", "desk_x", 200, query={"member_id": MEMBER_A}, shows="{registration_id}"
    ),
    Row("community", "GET", "/v1/registrations", "member_b", 403, query={"member_id": MEMBER_A}),
    Row("community", "GET", "/v1/registrations", "desk_y", 404, query={"member_id": MEMBER_A}),
    Row("community", "GET", "/v1/registrations", "member_b", 200, query={"event_id": "{event_id}"}, empty=True),
    Row("community", "GET", "/v1/registrations", "desk_y", 404, query={"event_id": "{event_id}"}),
    Row("community", "GET", "/v1/registrations", "member_b", 200, query={"person_id": PERSON_A}, empty=True),
    Row("community", "GET", "/v1/registrations", "desk_y", 200, query={"person_id": PERSON_A}, empty=True),
    Row("community", "GET", "/v1/registrations/{registration_id}", "owner", 200),
    Row("community", "GET", "/v1/registrations/{registration_id}", "member_b", 404),
    Row("community", "GET", "/v1/registrations/{registration_id}", "desk_y", 404),
    Row("community", "GET", "/v1/registrations/{registration_id}/ticket", "owner", 200),
    Row("community", "GET", "/v1/registrations/{registration_id}/ticket", "member_b", 404),
    Row("community", "GET", "/v1/registrations/{registration_id}/ticket", "desk_y", 404),
    # --- insights: KPIs are the staff's, of their own sites
    *(
        row
        for path in ("/v1/kpis", "/v1/kpis.csv", "/v1/kpis/{kpi}.svg")
        for row in (
            Row("insights", "GET", path, "desk_x", 200, query=KPI_QUERY),
            Row("insights", "GET", path, "member_b", 403, query=KPI_QUERY),
            Row("insights", "GET", path, "desk_y", 403, query=KPI_QUERY),
            Row("insights", "GET", path, "member_b", 403),
            Row("insights", "GET", path, "desk_y", 200, hides=SITE_X),  # the network, narrowed to its sites
        )
    ),
    # --- insights: the audit trail is the admins' alone
    Row("insights", "GET", "/v1/audit", "admin", 200, query={"object_id": SITE_X}, shows=SITE_X),
    Row("insights", "GET", "/v1/audit", "desk_x", 403, query={"object_id": SITE_X}),
    Row("insights", "GET", "/v1/audit", "member_b", 403),
    Row("insights", "GET", "/v1/audit", "desk_y", 403),
    # --- insights: webhook endpoints and their delivery log are the admins' alone (issue 22)
    Row("insights", "GET", "/v1/webhooks/endpoints", "admin", 200, shows="{endpoint_id}"),
    Row("insights", "GET", "/v1/webhooks/endpoints/{endpoint_id}", "admin", 200, shows="{endpoint_id}"),
    Row("insights", "GET", "/v1/webhooks/endpoints/{endpoint_id}/deliveries", "admin", 200, shows="{delivery_id}"),
    Row("insights", "GET", "/v1/webhooks/deliveries/{delivery_id}", "admin", 200, shows="{delivery_id}"),
    Row("insights", "GET", "/v1/webhooks/endpoints", "desk_x", 403),
    Row("insights", "GET", "/v1/webhooks/endpoints", "anonymous", 401),
    *(
        Row("insights", method, path, actor, 403, body)
        for actor in ("member_b", "desk_y", "owner")
        for method, path, body in (
            ("POST", "/v1/webhooks/endpoints", WEBHOOK),
            ("GET", "/v1/webhooks/endpoints", None),
            ("GET", "/v1/webhooks/endpoints/{endpoint_id}", None),
            ("PATCH", "/v1/webhooks/endpoints/{endpoint_id}", {"enabled": False}),
            ("DELETE", "/v1/webhooks/endpoints/{endpoint_id}", None),
            ("GET", "/v1/webhooks/endpoints/{endpoint_id}/deliveries", None),
            ("GET", "/v1/webhooks/deliveries/{delivery_id}", None),
            ("POST", "/v1/webhooks/endpoints/{endpoint_id}/replay", {"since": "{day}T00:00:00Z"}),
        )
    ),
    # --- insights: an export is the organisation's own, or the admins' (issue 22); never a desk's
    Row("insights", "POST", "/v1/exports", "owner", 202, {"member_id": MEMBER_A}),
    Row("insights", "POST", "/v1/exports", "admin", 202, {"member_id": MEMBER_A}),
    Row("insights", "GET", "/v1/exports/{export_id}", "owner", 200, shows="{export_id}"),
    Row("insights", "GET", "/v1/exports/{export_id}", "admin", 200, shows="{export_id}"),
    Row("insights", "GET", "/v1/exports/{export_id}/archive", "owner", 200, shows="{member_id}"),
    Row("insights", "POST", "/v1/exports", "anonymous", 401, {"member_id": MEMBER_A}),
    *(
        Row("insights", method, path, actor, expected, body)
        for actor, member_expected in (("member_b", 404), ("desk_y", 403), ("desk_x", 403))
        for method, path, body, expected in (
            ("POST", "/v1/exports", {"member_id": MEMBER_A}, 403),
            ("GET", "/v1/exports/{export_id}", None, member_expected),
            ("GET", "/v1/exports/{export_id}/archive", None, member_expected),
        )
    ),
    Row("insights", "GET", "/v1/audit", "owner", 403, query={"object_id": MEMBER_A}),
    Row("insights", "GET", "/v1/audit", "anonymous", 401),
]

PAYMENT = {
    "member_id": MEMBER_A,
    "site_id": SITE_X,
    "amount_minor": 100,
    "method": "cash",
    "reference": "Intrus",
    "received_on": "{day}",
    "invoice_id": "{invoice_id}",
}
A_INVOICE = "{invoice_id}"

BILLING: list[Row] = [
    # --- billing: prices are read by the site's staff and set by admins; an invoice, its charges and
    # its payments are the organisation's and its site's staff's; closes and credit notes the admins'
    Row("billing", "GET", "/v1/price-lists/{site_id}", "desk_x", 200, shows="{site_id}"),
    Row("billing", "GET", "/v1/price-lists/{site_id}", "desk_y", 404),
    Row("billing", "GET", "/v1/price-lists/{site_id}", "member_b", 403),
    Row("billing", "GET", "/v1/price-lists/{site_id}", "anonymous", 401),
    Row("billing", "PUT", "/v1/price-lists/{site_id}", "desk_x", 403, {}, headers=IF_MATCH),
    Row("billing", "PUT", "/v1/price-lists/{site_id}", "member_b", 403, {}, headers=IF_MATCH),
    Row("billing", "GET", "/v1/invoices", "owner", 200, shows=A_INVOICE),
    Row("billing", "GET", "/v1/invoices", "desk_x", 200, shows=A_INVOICE),
    Row("billing", "GET", "/v1/invoices/{invoice_id}", "owner", 200, shows=A_INVOICE),
    Row("billing", "GET", "/v1/invoices/{invoice_id}/document", "desk_x", 200, shows="{invoice_number}"),
    Row("billing", "GET", "/v1/invoices/{invoice_id}/document.pdf", "owner", 200),
    Row("billing", "GET", "/v1/payments", "owner", 200, shows="{payment_id}"),
    Row("billing", "GET", "/v1/charges", "owner", 200, shows="{charge_id}"),
    Row("billing", "GET", "/v1/members/{member_id}/balance", "owner", 200, shows="{member_id}"),
    Row(
        "billing",
        "GET",
        "/v1/members/{member_id}/balance",
        "desk_x",
        200,
        query={"site_id": SITE_X},
        shows="{member_id}",
    ),
    Row("billing", "GET", "/v1/members/{member_id}/billing-profile", "owner", 200, shows="{member_id}"),
    Row("billing", "GET", "/v1/members/{member_id}/credit-packs", "owner", 200, shows="{pack_sale_id}"),
    Row("billing", "GET", "/v1/members/{member_id}/credit-packs", "desk_x", 200, shows="{pack_sale_id}"),
    Row("billing", "GET", "/v1/members/{member_id}/credit-packs", "desk_y", 200, hides="{pack_sale_id}"),
    Row("billing", "GET", "/v1/members/{member_id}/credit-packs", "desk_y", 404, query={"site_id": SITE_X}),
    Row("billing", "GET", "/v1/members/{member_id}/credit-packs", "member_b", 403),
    Row("billing", "GET", "/v1/members/{member_id}/credit-packs", "member_b", 403, query={"site_id": SITE_X}),
    *(
        Row(
            "billing", "POST", "/v1/members/{member_id}/credit-packs", actor, 403, {"site_id": SITE_X, "code": "room-5"}
        )
        for actor in ("member_b", "desk_y", "owner")
    ),
    Row("billing", "POST", "/v1/gateway/notifications", "anonymous", 401, {}),
    *(
        Row("billing", "GET", path, actor, 200, query=query, hides=hidden)
        for actor in ("member_b", "desk_y")
        for path, hidden in (
            ("/v1/invoices", A_INVOICE),
            ("/v1/payments", "{payment_id}"),
            ("/v1/charges", "{charge_id}"),
        )
        for query in (None, {"member_id": MEMBER_A}, *([{"site_id": SITE_X}] if path == "/v1/invoices" else []))
    ),
    *(
        Row("billing", "GET", path, actor, 404)
        for actor in ("member_b", "desk_y")
        for path in (
            "/v1/invoices/{invoice_id}",
            "/v1/invoices/{invoice_id}/document",
            "/v1/invoices/{invoice_id}/document.pdf",
            "/v1/members/{member_id}/billing-profile",
        )
    ),
    Row("billing", "GET", "/v1/members/{member_id}/balance", "member_b", 403),
    Row("billing", "GET", "/v1/members/{member_id}/balance", "member_b", 403, query={"site_id": SITE_X}),
    Row("billing", "GET", "/v1/members/{member_id}/balance", "desk_y", 422),  # a desk names its site
    Row("billing", "GET", "/v1/members/{member_id}/balance", "desk_y", 404, query={"site_id": SITE_X}),
    *(
        Row("billing", "POST", path, actor, 403, {})
        for actor in ("member_b", "desk_y", "owner", "desk_x")
        for path in ("/v1/invoices/{invoice_id}/credit-notes", "/v1/periods/{period}/close")
    ),
    *(Row("billing", "POST", "/v1/payments", actor, 403, PAYMENT) for actor in ("member_b", "desk_y", "owner")),
    *(
        Row("billing", "PUT", "/v1/members/{member_id}/billing-profile", actor, 403, {"language": "fr"})
        for actor in ("member_b", "desk_y", "owner")
    ),
]

MATRIX += READS + BILLING

# Operations no matrix row attacks, with the reason. Kept empty on purpose: add one only with a why.
PUBLIC: dict[tuple[str, str, str], str] = {}

# Rows whose path is a literal variation of an OpenAPI template (a wrong token, not a template).
SPELLED_OUT = {
    "/v1/calendar/not-a-feed-token.ics": "/v1/calendar/{feed}",
    "/v1/calendar/{feed_near_miss}": "/v1/calendar/{feed}",
}

# Query parameters that name a site, an organisation or one of its objects, or search them:
# each one a GET declares needs a row of each attacker sending it.
NAMING = {"site", "site_id", "member_id", "person_id", "event_id", "offering_id", "q"}
PROVERS = {"owner", "desk_x", "admin", "anonymous"}


def row_id(row: Row) -> str:
    return f"{row.service} {row.method} {row.path} {row.actor}->{row.expected}" + "".join(
        f" {k}={v}" for k, v in sorted((row.query or {}).items())
    )


@pytest.fixture(scope="module")
def stack(infrastructure: Infrastructure) -> Iterator[Stack]:
    with running_stack(infrastructure.kafka_bootstrap_servers, infrastructure.mongodb_uri, API_SERVICES) as stack:
        yield stack


@pytest.fixture(scope="module")
def world(stack: Stack) -> World:
    return build_world(stack)


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=15) as client:
        yield client


@pytest.fixture(scope="module")
def openapi(stack: Stack, http: httpx.Client) -> dict[str, dict[str, Any]]:
    return {s: http.get(f"{stack.url(s)}/openapi.json").raise_for_status().json() for s in API_SERVICES}


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield method.upper(), path, operation


def call(http: httpx.Client, world: World, row: Row) -> httpx.Response:
    return http.request(
        row.method,
        world.stack.url(row.service) + world.fill(row.path, **world.per_service.get(row.service, {})),
        params=world.fill(row.query) if row.query else None,
        json=world.fill(row.body) if row.body is not None else None,
        headers={**world.headers(row.actor), **(row.headers or {})},
    )


def check(world: World, row: Row, answer: httpx.Response) -> None:
    """The answer is the row's: its status, a problem for a refusal, and a list that shows or hides what it says."""
    assert answer.status_code == row.expected, f"{row_id(row)}: got {answer.status_code} {answer.text[:500]}"
    if row.expected >= 400:
        assert answer.headers["content-type"] == "application/problem+json", f"{row_id(row)}: not a problem"
    if row.empty:
        assert answer.json()["items"] == [], f"{row_id(row)} shows another organisation's items"
    if row.hides:
        assert world.fill(row.hides) not in answer.text, f"{row_id(row)} shows {world.fill(row.hides)}"
    if row.shows:
        assert world.fill(row.shows) in answer.text, f"{row_id(row)} does not show {world.fill(row.shows)}"


@pytest.mark.parametrize("row", MATRIX, ids=row_id)
def test_authorisation_matrix(world: World, http: httpx.Client, row: Row) -> None:
    check(world, row, call(http, world, row))


def unattacked(openapi: dict[str, dict[str, Any]], matrix: list[Row]) -> list[str]:
    """Operations of the OpenAPI documents no row attacks, and rows of operations that do not exist."""
    declared = {(s, method, path) for s, doc in openapi.items() for method, path, _ in operations(doc)}
    attacked = {
        (r.service, r.method, SPELLED_OUT.get(r.path, r.path))
        for r in matrix
        if r.actor in ATTACKERS or (r.expected >= 400 and r.actor != "admin")
    }
    missing = [f"no row attacks {op}" for op in sorted(declared - attacked - set(PUBLIC))]
    rowed = {(r.service, r.method, SPELLED_OUT.get(r.path, r.path)) for r in matrix}
    return missing + [f"rows for an operation that does not exist: {op}" for op in sorted(rowed - declared)]


def unread(openapi: dict[str, dict[str, Any]], matrix: list[Row]) -> list[str]:
    """What the matrix lacks of the reads: for every GET, a row of each attacker (naming nothing in
    its query unless it must, and naming each of its naming query parameters) and a row proving
    the object exists (200)."""
    gaps = []
    for service, document in openapi.items():
        for method, path, operation in operations(document):
            if method != "GET":
                continue
            rows = [
                r for r in matrix if (r.service, r.method, SPELLED_OUT.get(r.path, r.path)) == (service, method, path)
            ]
            required = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query" and p.get("required")}
            naming = sorted(
                p["name"] for p in operation.get("parameters", []) if p["in"] == "query" and p["name"] in NAMING
            )
            for attacker in sorted(ATTACKERS):
                plain = not NAMING & required  # a call naming nothing is possible
                if plain and not any(r.actor == attacker and not NAMING & set(r.query or {}) for r in rows):
                    gaps.append(f"{service} GET {path}: no row of {attacker}")
                gaps += [
                    f"{service} GET {path}?{name}=: no row of {attacker}"
                    for name in naming
                    if not any(r.actor == attacker and name in (r.query or {}) for r in rows)
                ]
            if not any(r.actor in PROVERS and r.expected == 200 for r in rows):
                gaps.append(f"{service} GET {path}: no row proves what the attackers are refused exists (200)")
    return gaps


def test_every_operation_of_every_api_is_in_the_matrix(openapi: dict[str, dict[str, Any]]) -> None:
    """A new endpoint fails this until someone writes who may not call it (or says why anyone may)."""
    gaps = unattacked(openapi, MATRIX)
    assert not gaps, "\n".join(gaps)


def test_every_read_is_attacked_and_proved(openapi: dict[str, dict[str, Any]]) -> None:
    """Every GET, from the OpenAPI: each attacker on its path and on each naming filter, and a proof row."""
    gaps = unread(openapi, MATRIX)
    assert not gaps, "\n".join(gaps)


# --- negative controls: the checks above catch what they are for ---------------------------------

DESK_Y_READS_A = Row("community", "GET", "/v1/members/{member_id}", "desk_y", 404)
DESK_Y_SEARCHES = Row("community", "GET", "/v1/members", "desk_y", 200, query={"q": "{member_name}"}, hides=A_ONLY)


def test_a_read_missing_from_the_matrix_is_reported(openapi: dict[str, dict[str, Any]]) -> None:
    assert DESK_Y_READS_A in MATRIX
    assert DESK_Y_SEARCHES in MATRIX
    without = [r for r in MATRIX if r not in (DESK_Y_READS_A, DESK_Y_SEARCHES)]
    already = set(unread(openapi, MATRIX))
    assert sorted(gap for gap in unread(openapi, without) if gap not in already) == [
        "community GET /v1/members/{member_id}: no row of desk_y",
        "community GET /v1/members?q=: no row of desk_y",
    ]
    route = Row("community", "GET", "/v1/members/{member_id}/people", "owner", 200)
    widened = {**openapi, "community": {"paths": {**openapi["community"]["paths"], route.path: {"get": {}}}}}
    assert [gap for gap in unread(widened, MATRIX) if gap not in already] == [
        f"community GET {route.path}: no row of desk_y",
        f"community GET {route.path}: no row of member_b",
        f"community GET {route.path}: no row proves what the attackers are refused exists (200)",
    ]
    assert f"no row attacks ('community', 'GET', '{route.path}')" in unattacked(widened, MATRIX)


def test_a_leaking_answer_fails_its_row(world: World) -> None:
    """A 200 with A's record to another site's desk, or a list naming A, fails the row."""
    request = httpx.Request("GET", "http://test/")
    leaked = httpx.Response(200, json={"member_id": MEMBER_A}, request=request)
    with pytest.raises(AssertionError, match="got 200"):
        check(world, DESK_Y_READS_A, leaked)
    listed = httpx.Response(200, json={"items": [{"member_id": MEMBER_A}]}, request=request)
    with pytest.raises(AssertionError, match=f"shows {MEMBER_A}"):
        check(world, DESK_Y_SEARCHES, listed)
    narrowed = httpx.Response(200, json={"items": [{"member_id": MEMBER_B}]}, request=request)
    check(world, DESK_Y_SEARCHES, narrowed)
    problem = {"content-type": "application/problem+json"}
    refused = httpx.Response(404, headers=problem, content=b'{"title": "Not Found"}', request=request)
    check(world, DESK_Y_READS_A, refused)


def test_nothing_of_a_was_changed_by_the_matrix(world: World, http: httpx.Client) -> None:
    """Refused means refused: after every attack, A's objects are as A left them."""
    owner, stack = world.headers("owner"), world.stack
    booking = http.get(f"{stack.url('bookings')}/v1/bookings/{world.ids['booking_id']}", headers=owner).json()
    assert booking["status"] == "confirmed", booking
    registration = http.get(
        f"{stack.url('community')}/v1/registrations/{world.ids['registration_id']}", headers=owner
    ).json()
    assert registration["status"] == "confirmed", registration
    residency = http.get(f"{stack.url('spaces')}/v1/residencies/{world.ids['residency_id']}", headers=owner).json()
    assert residency["ends_on"] != "2040-01-01"
    entry = http.get(f"{stack.url('spaces')}/v1/office-waitlist/{world.ids['entry_id']}", headers=owner).json()
    assert entry["status"] == "waiting", entry
    member = http.get(f"{stack.url('community')}/v1/members/{MEMBER_A}", headers=owner).json()
    assert member["version"] == 2, member  # as registered: its person's key, then the organisation
    assert member["name"] != "Renamed"
    assert len(member["people"]) == 1
    reservation = http.get(
        f"{stack.url('spaces')}/v1/reservations/{world.ids['reservation_id']}", headers=world.headers("admin")
    ).json()
    assert reservation["status"] != "released", reservation
    visit = http.get(f"{stack.url('spaces')}/v1/visits/{world.ids['visit_id']}", headers=owner).json()
    assert visit["status"] == "expected", visit


def test_b_s_own_calendar_feed_shows_none_of_a_s_bookings(world: World, http: httpx.Client) -> None:
    bookings = world.stack.url("bookings")
    mine = http.get(bookings + world.b_feed_path)
    assert mine.status_code == 200
    assert world.ids["booking_id"] not in mine.text
    theirs = http.get(f"{bookings}/v1/calendar/{world.ids['feed']}")
    assert world.ids["booking_id"] in theirs.text, "A's feed names A's booking (else the check above proves nothing)"


# --- mass assignment --------------------------------------------------------------------------

# Fields a client must never set itself. A body that declares one (a booking's member_id, a
# site's status, an offering's price) takes it as input on purpose; who may send it is then a
# row of MATRIX (members book for their own organisation only; only admins change sites/prices).
SERVER_OWNED: dict[str, Any] = {
    "id": "forged-id",
    "version": 99,
    "created_at": "2020-01-01T00:00:00Z",
    "updated_at": "2020-01-01T00:00:00Z",
    "status": "confirmed",
    "state": "active",
    "price": {"amount_minor": 0, "currency": "MAD"},
    "seats": 9999,
    "capacity": 9999,
    "remaining": 9999,
    "member_id": MEMBER_B,
    "organisation_id": MEMBER_B,
    "checked_in_at": "2020-01-01T00:00:00Z",
    "outbox": [],
}


def request_schema(document: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any] | None:
    body = operation.get("requestBody")
    if body is None:
        return None
    schema: dict[str, Any] = body["content"]["application/json"]["schema"]
    for option in schema.get("anyOf", [schema]):  # an optional body is anyOf[model, null]
        if "$ref" in option:
            resolved: dict[str, Any] = document["components"]["schemas"][option["$ref"].rsplit("/", 1)[1]]
            return resolved
    return schema


@pytest.mark.parametrize("service", API_SERVICES)
def test_mass_assignment_is_refused(
    service: str, world: World, http: httpx.Client, openapi: dict[str, dict[str, Any]]
) -> None:
    """Every body of every operation: its schema forbids unknown fields, and the service answers
    422 naming each server-owned field sent (as admin, so no role check answers first)."""
    document, failures, checked = openapi[service], [], 0
    for method, path, operation in operations(document):
        schema = request_schema(document, operation)
        if schema is None:
            continue
        checked += 1
        if schema.get("additionalProperties") is not False:
            failures.append(f"{method} {path}: its body schema does not forbid unknown fields")
        extra = {k: v for k, v in SERVER_OWNED.items() if k not in schema.get("properties", {})}
        answer = http.request(
            method, world.stack.url(service) + world.fill(path), json=extra, headers=world.headers("admin")
        )
        refused = {
            e["field"].rsplit(".", 1)[-1]
            for e in (answer.json().get("errors", []) if answer.status_code == 422 else [])
            if "extra" in e["message"].lower()
        }
        if answer.status_code != 422 or refused != set(extra):
            failures.append(f"{method} {path}: {answer.status_code}, refused {sorted(refused)} of {sorted(extra)}")
    if service != "insights":  # insights takes no bodies
        assert checked, f"{service} has no operation with a body?"
    assert not failures, "\n".join(failures)


# --- unbounded limit -------------------------------------------------------------------------

PAGE_SIZE_NAMES = {"limit", "page_size", "per_page", "size", "max_results"}


@pytest.mark.parametrize("service", API_SERVICES)
def test_a_huge_limit_is_capped_or_refused(
    service: str, world: World, http: httpx.Client, openapi: dict[str, dict[str, Any]]
) -> None:
    """Every list operation with a page-size parameter declares a maximum and holds to it."""
    failures, checked = [], 0
    for method, path, operation in operations(openapi[service]):
        for parameter in operation.get("parameters", []):
            if parameter["in"] != "query" or parameter["name"] not in PAGE_SIZE_NAMES:
                continue
            checked += 1
            cap = parameter["schema"].get("maximum")
            if cap is None or cap > 1000:
                failures.append(f"{method} {path}: {parameter['name']} has no sensible maximum ({cap})")
            answer = http.request(
                method,
                world.stack.url(service) + world.fill(path),
                params={parameter["name"]: "1000000000", "member_id": MEMBER_A},
                headers=world.headers("admin"),
            )
            if answer.status_code == 200:
                if len(answer.json().get("items", [])) > (cap or 1000):
                    failures.append(f"{method} {path}: answered more than {cap} items")
            elif answer.status_code != 422:
                failures.append(f"{method} {path}: {answer.status_code} {answer.text[:200]}")
    print(f"{service}: {checked} list operations with a page size")
    assert not failures, "\n".join(failures)
