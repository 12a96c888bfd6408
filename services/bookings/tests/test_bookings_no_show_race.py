"""A late check-in racing the no-show release, over the real store and broker: sixteen rounds, each a
member checking itself in (HTTP) at the very moment the sweep finds its booking 15 minutes after its
start at a site that releases no-shows after 15. Each round ends with exactly one outcome:

- checked in (200): the booking checked in, its seat still held, never released, one `checked_in`
  published and no `no_show`;
- released: the booking a no-show with `released_at`, its seat back in the session, one `no_show`
  published, and the check-in refused with a 409 saying when it was released.

Both are decided inside the booking's version-guarded write (`Lifecycle.check_in`,
`Sweepers.release_no_shows`); with the guard out, a release overwrites a check-in that answered 200
(or the reverse), and both events are published for one booking.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
from bookings_support import CASABLANCA, bearer, book_each, in_days, member, now, offering, project, site

from bookings.bootstrap import BookingsSettings
from bookings.domain.slots import session_key
from bookings.service_layer.service import BookingService
from parkgrid.testing.topics import read_topic

pytest_plugins = ["bookings_fixtures"]

RELEASE_AFTER = 15
ROUNDS = 16
STAGGER = 0.008  # seconds
CHECKED_IN = "parkgrid.bookings.booking.checked_in"
NO_SHOW = "parkgrid.bookings.booking.no_show"


def sessions() -> list[datetime]:
    """Sixteen sessions of an hour back to back (09:00-17:00 on two days): one booking due per round."""
    return [in_days(day, hour) for day in (2, 3) for hour in range(9, 17)][:ROUNDS]


async def seats_taken(service: BookingService, starts_at: datetime) -> int:
    found = await service.seats.sessions.get(session_key("off-test-mentoring", starts_at))
    return int(found["taken"]) if found else 0


async def test_a_late_check_in_racing_the_release_ends_with_one_outcome(
    client: httpx.AsyncClient, service: BookingService, tokens: dict[str, str], settings: BookingsSettings
) -> None:
    releasing = site().model_copy(update={"no_show_release_minutes": RELEASE_AFTER})
    await project(service, releasing, offering(), member())
    starts = sessions()
    ids = [(await book_each(client, bearer(tokens["member"]), start, member().member_id))[0] for start in starts]
    me = bearer(tokens["member"])
    outcomes: dict[str, str] = {}
    try:
        for n, (booking_id, start) in enumerate(zip(ids, starts, strict=True)):
            moment = start.astimezone(UTC) + timedelta(minutes=RELEASE_AFTER, seconds=30)
            service.clock = lambda moment=moment: moment  # type: ignore[misc]

            async def arrive(booking_id: str = booking_id, late: float = STAGGER * (n % 8)) -> httpx.Response:
                await asyncio.sleep(late)  # how late the member comes, so both sides win some rounds
                return await client.post(f"/v1/bookings/{booking_id}/check-in", headers=me)

            if n % 2:
                checked, _ = await asyncio.gather(arrive(), service.sweep())
            else:
                _, checked = await asyncio.gather(service.sweep(), arrive())
            after = (await client.get(f"/v1/bookings/{booking_id}", headers=me)).json()
            taken = await seats_taken(service, start)
            if checked.status_code == 200:
                assert (after["status"], after["released_at"], taken) == ("checked_in", None, 1), after
                assert checked.json()["status"] == "checked_in"
                outcomes[booking_id] = CHECKED_IN
            else:
                assert checked.status_code == 409, checked.text
                assert checked.headers["content-type"].startswith("application/problem+json")
                released = datetime.fromisoformat(after["released_at"]).astimezone(CASABLANCA)
                assert checked.json()["detail"].startswith(f"released as a no-show at {released:%H:%M}")
                assert (after["status"], taken) == ("no_show", 0), after
                outcomes[booking_id] = NO_SHOW
    finally:
        service.clock = now

    published = await read_topic(settings, "bookings.booking", until=ROUNDS, types={CHECKED_IN, NO_SHOW}, grace=1.0)
    seen: dict[str, list[str]] = {}
    for envelope in published:
        seen.setdefault(envelope.subject, []).append(envelope.type)
    assert seen == {booking_id: [outcome] for booking_id, outcome in outcomes.items()}
    no_shows = [e for e in published if e.type == NO_SHOW]
    assert all(e.data["released_at"] is not None for e in no_shows)
    print(f"outcomes: {sum(o == CHECKED_IN for o in outcomes.values())} checked in, {len(no_shows)} released")
