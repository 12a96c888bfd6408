"""What a member who scanned a room's door sign finds: the booking of theirs in that room that the
sign is about now, and whether it can be checked in, said plainly otherwise.

Pure: the member's bookings around now (bookings' read models), the room and the clock in; one
answer out. Which booking: the member's in this room whose session has not ended, soonest first,
leaving aside those that will never take place there (cancelled, rejected, still pending, moved).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from frontdesk.domain.today import CHECK_IN_OPENS, check_in_open, instant
from parkgrid.api.bookings import BookingRead

LOOK_BACK = timedelta(hours=24)
"""How far before now a session may have started and still be on (the longest session a room is
booked for is a day)."""
LOOK_AHEAD = timedelta(hours=24)
"""How far ahead the page looks for the member's next session in the room ("opens at …")."""
HELD = ("confirmed", "checked_in", "no_show")


class DoorAnswer(StrEnum):
    OPEN = "open"
    """Inside the window: one button checks the member in."""
    NOT_YET = "not_yet"
    """A session later: the window opens an hour before its start."""
    ALREADY = "already"
    RELEASED = "released"
    """Not checked in in time: released as a no-show, the room freed."""
    NONE = "none"


@dataclass(frozen=True)
class AtTheDoor:
    answer: DoorAnswer
    booking: BookingRead | None = None

    @property
    def opens_at(self) -> datetime | None:
        """When the window of a session later opens."""
        return instant(self.booking.session.starts_at) - CHECK_IN_OPENS if self.booking else None


def at_the_door(bookings: Iterable[BookingRead], space_id: str, now: datetime) -> AtTheDoor:
    """The member's booking in the room `space_id` the door sign is about at `now`, and what it allows."""
    here = sorted(
        (b for b in bookings if b.space_id == space_id and b.status in HELD and now < instant(b.session.ends_at)),
        key=lambda b: instant(b.session.starts_at),
    )
    for booking in here:
        if check_in_open(booking.status, booking.session.starts_at, booking.session.ends_at, now):
            return AtTheDoor(DoorAnswer.OPEN, booking)
    if not here:
        return AtTheDoor(DoorAnswer.NONE)
    first = here[0]
    if first.status == "checked_in":
        return AtTheDoor(DoorAnswer.ALREADY, first)
    if first.status == "no_show":
        return AtTheDoor(DoorAnswer.RELEASED, first)
    return AtTheDoor(DoorAnswer.NOT_YET, first)
